"""Places a planner names: resolved against the places layer, accents and case ignored, or given
as ``lat,lon``."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sahelrisk.countries import known_countries, normalize_name
from sahelrisk.errors import SpecError

__all__ = ["Waypoint", "AmbiguousPlace", "loose_key", "resolve_place", "nearest", "parse_lat_lon", "haversine_km", "SAME_PLACE_KM"]

_LAT_LON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")
# Two entries of one name closer than this are one place (GeoNames' town and Krantz's city of
# the same name sit a few km apart).
SAME_PLACE_KM = 30.0
DOMINANT = 10
"""A town this many times the population of every other place of its name is the one meant."""


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


def haversine_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> np.ndarray:
    """Great-circle distances (km) between points given in degrees (arrays broadcast)."""
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * np.arcsin(np.sqrt(a))


class AmbiguousPlace(SpecError):
    """A name that stands for several places far apart; ``candidates`` are their waypoints."""

    def __init__(self, message: str, candidates: list[Waypoint]) -> None:
        super().__init__(message)
        self.candidates = candidates


def loose_key(key: str) -> str:
    """A spelling key that French and English transliterations share: Dogofry and Dogofri,
    Tombouctou and Tombuctu, Hombori and Hombory (``ou``/``u``, ``y``/``i``, ``dj``/``j``,
    doubled letters)."""
    text = key.replace("dj", "j").replace("ou", "u").replace("y", "i").replace("w", "u")
    return re.sub(r"(.)\1+", r"\1", text)


def resolve_place(text: str, places: gpd.GeoDataFrame, countries: Iterable[str] | None = None,
                  near: Sequence[tuple[float, float]] = ()) -> Waypoint:
    """The place ``text`` names.

    Parameters
    ----------
    text : str
        A place name (accents and case ignored; "Name, ISO3" picks a country) or "lat,lon".
    places : geopandas.GeoDataFrame
        The places layer (``name``, ``place_kind``, ``country_iso3``, ``population``).
    countries : iterable of str, optional
        Countries searched first (the model's); other countries only when nothing matches there.
    near : sequence of (lon, lat)
        The route's other stops: of several places of one name, the one clearly nearest them
        (at most half as far as the next) is meant.

    Returns
    -------
    Waypoint

    Raises
    ------
    SpecError
        Unknown (with the closest names) or ambiguous (:class:`AmbiguousPlace`, with the candidates
        and how to pick one).
    """
    pair = parse_lat_lon(text)
    if pair is not None:
        return Waypoint(text, f"{pair[0]:.4f},{pair[1]:.4f}", lon=pair[1], lat=pair[0])
    name, _, code = text.partition(",")
    country = code.strip().upper() or None
    if country is not None and country not in known_countries():
        raise SpecError(f"place {text!r}: unknown country code {country!r}; write 'Name, ISO3', e.g. 'Sokolo, MLI'")
    from sahelrisk.routes.gazetteer import KIND_ORDER, as_gazetteer

    gazetteer = as_gazetteer(places)
    keys = gazetteer["key"]
    hits = gazetteer[keys == normalize_name(name)]
    if hits.empty:   # another spelling of the same sounds
        hits = gazetteer[gazetteer["loose"] == loose_key(normalize_name(name))]
    if country is not None:
        hits = hits[hits["country_iso3"] == country]
    elif countries is not None and hits["country_iso3"].isin(list(countries)).any():
        hits = hits[hits["country_iso3"].isin(list(countries))]
    # a town of that name before a village the events name, before an area named after it:
    # "Gao" is the city, not a hamlet of the same name in Burkina Faso
    for kinds in (("town", "city"), ("locality",)):
        if hits["kind"].isin(kinds).any():
            hits = hits[hits["kind"].isin(kinds)]
            break
    if hits.empty:
        close = difflib.get_close_matches(normalize_name(name), sorted(set(keys)), n=5, cutoff=0.7)
        shown = sorted(set(gazetteer.loc[keys.isin(close), "name"]))
        hint = f"; did you mean {', '.join(shown)}?" if shown else ""
        raise SpecError(f"place {text!r} is not in the gazetteer{hint} Give its position as lat,lon instead "
                        "(e.g. 14.32,-5.98)")
    hits = hits.assign(_order=hits["kind"].map(KIND_ORDER)).sort_values(
        ["_order", "population", "events"], ascending=[True, False, False], na_position="last", kind="stable")
    first = hits.iloc[0]
    apart = haversine_km(first.geometry.x, first.geometry.y, hits.geometry.x.to_numpy(), hits.geometry.y.to_numpy())
    far = hits[apart > SAME_PLACE_KM]
    # a city and a village of one name: the city is meant (ten times the people or more)
    dominant = pd.notna(first["population"]) and (far["population"].fillna(0) * DOMINANT <= first["population"]).all()
    if len(far) and not dominant:
        shown = pd.concat([hits.iloc[:1], far])
        shown = shown[~shown.assign(_at=[(round(g.y, 1), round(g.x, 1)) for g in shown.geometry])
                      .duplicated(subset=["name", "country_iso3", "_at"])]
        candidates = [Waypoint(text, str(r["name"]), float(r.geometry.x), float(r.geometry.y), r["country_iso3"])
                      for _, r in shown.iterrows()]
        chosen = nearest(candidates, near)
        if chosen is not None:
            return chosen
        options = "; ".join(_described(r) for _, r in shown.iterrows())
        raise AmbiguousPlace(f"place {text!r} names {len(shown)} places: {options}. Pick one with 'Name, ISO3' or "
                             "give lat,lon", candidates)
    # the position of the first entry, the spelling the planner typed where an entry has it ("Ségou")
    spelled = hits.loc[hits["name"] == name.strip(), "name"]
    return Waypoint(text, str(spelled.iloc[0] if len(spelled) else first["name"]), lon=float(first.geometry.x),
                    lat=float(first.geometry.y), country_iso3=first["country_iso3"])


def nearest(candidates: list[Waypoint], near: Sequence[tuple[float, float]]) -> Waypoint | None:
    """The candidate clearly nearest the points ``near`` (half as far as the next at most), or None."""
    if not near:
        return None
    lon, lat = np.array([p[0] for p in near]), np.array([p[1] for p in near])
    distance = np.array([haversine_km(c.lon, c.lat, lon, lat).min() for c in candidates])
    order = np.argsort(distance)
    return candidates[order[0]] if distance[order[0]] <= 0.5 * distance[order[1]] else None


def _described(entry: pd.Series) -> str:
    """"Sokolo, MLI (Niono, Ségou; 14.733,-6.122)": enough to tell two places of one name apart."""
    where = ", ".join(v for v in (entry.get("adm2_name"), entry.get("adm1_name")) if isinstance(v, str) and v)
    return (f"{entry['name']}, {entry['country_iso3']} ({where + '; ' if where else ''}"
            f"{entry.geometry.y:.3f},{entry.geometry.x:.3f})")
