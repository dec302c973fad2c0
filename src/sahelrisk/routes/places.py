"""Places a planner names: resolved against the places layer, accents and case ignored, or given
as ``lat,lon``."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from numpy.typing import ArrayLike

from sahelrisk.countries import known_countries, normalize_name
from sahelrisk.errors import SpecError

__all__ = ["Waypoint", "resolve_place", "parse_lat_lon"]

_LAT_LON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
# Two entries of one name closer than this are one place (GeoNames' town and Krantz's city of
# the same name sit a few km apart).
SAME_PLACE_KM = 30.0


@dataclass(frozen=True)
class Waypoint:
    """A point of a route: what the planner wrote, the place it resolved to, where it is."""

    query: str
    name: str
    lon: float
    lat: float
    country_iso3: str | None = None


def parse_lat_lon(text: str) -> tuple[float, float] | None:
    """``(lat, lon)`` from "lat,lon", or None when the text is not a coordinate pair."""
    match = _LAT_LON.match(text)
    if match is None:
        return None
    lat, lon = float(match[1]), float(match[2])
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise SpecError(f"place {text!r}: not a coordinate pair (latitude -90..90, longitude -180..180); "
                        "write it as lat,lon, e.g. 14.32,-5.98")
    return lat, lon


def _km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


def resolve_place(text: str, places: gpd.GeoDataFrame, countries: Iterable[str] | None = None) -> Waypoint:
    """The place ``text`` names.

    Parameters
    ----------
    text : str
        A place name (accents and case ignored; "Name, ISO3" picks a country) or "lat,lon".
    places : geopandas.GeoDataFrame
        The places layer (``name``, ``place_kind``, ``country_iso3``, ``population``).
    countries : iterable of str, optional
        Countries searched first (the model's); other countries only when nothing matches there.

    Returns
    -------
    Waypoint

    Raises
    ------
    SpecError
        Unknown (with the closest names) or ambiguous (with the candidates and how to pick one).
    """
    pair = parse_lat_lon(text)
    if pair is not None:
        return Waypoint(text, f"{pair[0]:.4f},{pair[1]:.4f}", lon=pair[1], lat=pair[0])
    name, _, code = text.partition(",")
    country = code.strip().upper() or None
    if country is not None and country not in known_countries():
        raise SpecError(f"place {text!r}: unknown country code {country!r}; write 'Name, ISO3', e.g. 'Sokolo, MLI'")
    towns = places[places["place_kind"].isin(["town", "city"])]
    keys = towns["name"].map(normalize_name)
    hits = towns[keys == normalize_name(name)]
    if country is not None:
        hits = hits[hits["country_iso3"] == country]
    elif countries is not None and hits["country_iso3"].isin(list(countries)).any():
        hits = hits[hits["country_iso3"].isin(list(countries))]
    if hits.empty:
        close = difflib.get_close_matches(normalize_name(name), sorted(set(keys)), n=5, cutoff=0.7)
        shown = sorted(set(towns.loc[keys.isin(close), "name"]))
        hint = f"; did you mean {', '.join(shown)}?" if shown else ""
        raise SpecError(f"place {text!r} is not in the places layer{hint} Give its position as lat,lon instead "
                        "(e.g. 14.32,-5.98)")
    hits = hits.sort_values("population", ascending=False, kind="stable")
    first = hits.iloc[0]
    apart = _km(first.geometry.x, first.geometry.y, hits.geometry.x.to_numpy(), hits.geometry.y.to_numpy())
    if (apart > SAME_PLACE_KM).any():
        options = "; ".join(f"{r['name']}, {r['country_iso3']} ({r.geometry.y:.3f},{r.geometry.x:.3f})"
                            for _, r in hits.iterrows())
        raise SpecError(f"place {text!r} names {len(hits)} places: {options}. Pick one with 'Name, ISO3' "
                        "or give lat,lon")
    # the position of the largest entry, the spelling the planner typed where an entry has it ("Ségou")
    spelled = hits.loc[hits["name"] == name.strip(), "name"]
    return Waypoint(text, str(spelled.iloc[0] if len(spelled) else first["name"]), lon=float(first.geometry.x),
                    lat=float(first.geometry.y), country_iso3=first["country_iso3"])
