"""The gazetteer a planner types into: every name a place goes by in the field, where it is, and
what it is, deduplicated and ranked.

Three sources, in this order of trust:

- the places layer's towns and cities (GeoNames, Krantz), each under its own name and its
  alternate names in Latin script (GeoNames lists "Tombouctou" for Timbuktu);
- the places the event data names (UCDP's ``where_coordinates``, ACLED's ``location``: the
  ``locality`` column), for events located at the place itself ("Diabaly town", "Farabougou
  village"): villages that are in no population list are where the violence happened, so they
  are where convoys are checked; a locality within :data:`SAME_PLACE_KM` of a town of the same
  name is that town;
- the admin areas (ADM1, ADM2), at a point inside each.

Each entry carries the ADM2 and ADM1 it lies in, so that completion can tell two "Sokolo" apart.
"""

from __future__ import annotations

import re
import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd

from sahelrisk.countries import normalize_name
from sahelrisk.routes.places import SAME_PLACE_KM, haversine_km, loose_key

__all__ = ["build_gazetteer", "as_gazetteer", "GAZETTEER_COLUMNS", "KIND_ORDER"]

GAZETTEER_COLUMNS = ["name", "key", "loose", "kind", "country_iso3", "adm2_name", "adm1_name", "population", "events",
                     "source", "geometry"]
_BASE = [c for c in GAZETTEER_COLUMNS if c not in ("adm2_name", "adm1_name", "loose")]
KIND_ORDER = {"town": 0, "city": 1, "locality": 2, "area": 3}
"""How entries of one name rank: a GeoNames town (its own centre and spelling) before a city of
Krantz's list (a population summed within 30 km, sometimes placed at a neighbour), before a
village the events name, before an area."""

# "Diabaly town", "Dogofry village", "Ménaka city": the event is located at the named settlement
_SETTLEMENT = re.compile(r"^\s*(?P<name>.+?)\s+(?:town|village|city|commune)\s*$", re.IGNORECASE)
_EXACT = 2
"""UCDP ``where_prec`` at most this (1: the place itself, 2: within 25 km of it) for a locality."""


def _latin(text: str) -> bool:
    """A name written in Latin letters (with accents), as a planner types it."""
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and all(unicodedata.name(c, "").startswith("LATIN") for c in letters)


def _alternates(value: object, own: str) -> list[str]:
    """The alternate names worth typing: Latin script, capitalised, not an airport code."""
    if not isinstance(value, str):
        return []
    names = []
    for name in value.split("|"):
        name = name.strip()
        if (len(name) < 3 or name == own or not _latin(name) or not name[0].isupper()
                or (name.isupper() and len(name) <= 4)):
            continue
        names.append(name)
    return list(dict.fromkeys(names))


def _towns(places: gpd.GeoDataFrame) -> pd.DataFrame:
    towns = places[places["place_kind"].isin(["town", "city"])]
    rows = []
    for _, p in towns.iterrows():
        base = {"name": str(p["name"]), "kind": p["place_kind"], "country_iso3": p["country_iso3"],
                "population": p["population"], "events": 0, "source": "places", "geometry": p.geometry}
        rows.append({**base, "key": normalize_name(p["name"])})
        for other in _alternates(p.get("alternate_names"), str(p["name"])):
            rows.append({**base, "key": normalize_name(other)})
    return pd.DataFrame(rows, columns=_BASE)


def _localities(events: pd.DataFrame | None, towns: pd.DataFrame) -> pd.DataFrame:
    columns = _BASE
    if events is None or "locality" not in events or events.empty:
        return pd.DataFrame(columns=columns)
    located = events[events["has_location"].fillna(False).astype(bool)
                     & (events["geo_precision"].fillna(99) <= _EXACT)]
    names = located["locality"].astype("string").str.extract(_SETTLEMENT)["name"].str.strip()
    found = located.assign(name=names).dropna(subset=["name"])
    found = found[found["name"].str.len() >= 3]
    if found.empty:
        return pd.DataFrame(columns=columns)
    found = found.assign(key=found["name"].map(normalize_name))
    grouped = found.groupby(["key", "country_iso3"], sort=True)
    rows = grouped.agg(name=("name", lambda s: s.mode().iloc[0]), longitude=("longitude", "median"),
                       latitude=("latitude", "median"), events=("name", "size")).reset_index()
    # a locality a town of the same name already places (within SAME_PLACE_KM) is that town
    known = towns.assign(lon=[g.x for g in towns["geometry"]], lat=[g.y for g in towns["geometry"]])
    keep = []
    for _, r in rows.iterrows():
        same = known[(known["key"] == r["key"]) & (known["country_iso3"] == r["country_iso3"])]
        keep.append(same.empty or bool((haversine_km(same["lon"], same["lat"], r["longitude"], r["latitude"])
                                        > SAME_PLACE_KM).all()))
    rows = rows[np.array(keep, dtype=bool)]
    return pd.DataFrame({"name": rows["name"], "key": rows["key"], "kind": "locality",
                         "country_iso3": rows["country_iso3"], "population": np.nan, "events": rows["events"],
                         "source": "events", "geometry": gpd.points_from_xy(rows["longitude"], rows["latitude"])},
                        columns=columns)


def _areas(admin: list[gpd.GeoDataFrame]) -> pd.DataFrame:
    columns = _BASE
    frames = []
    for layer in admin:
        if layer is None or layer.empty or "name" not in layer:
            continue
        points = layer.geometry.representative_point()
        frames.append(pd.DataFrame({"name": layer["name"].astype(str), "key": layer["name"].map(normalize_name),
                                    "kind": "area", "country_iso3": layer["country_iso3"], "population": np.nan,
                                    "events": 0, "source": "admin", "geometry": points.to_numpy()}, columns=columns))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)


def _within(entries: gpd.GeoDataFrame, layer: gpd.GeoDataFrame | None) -> pd.Series:
    """The name of the area of ``layer`` each entry lies in (empty where none)."""
    if layer is None or layer.empty:
        return pd.Series("", index=entries.index, dtype=object)
    joined = gpd.sjoin(entries[["geometry"]], layer[["name", "geometry"]].to_crs(entries.crs), predicate="within",
                       how="left")
    joined = joined[~joined.index.duplicated()]
    return joined["name"].reindex(entries.index).fillna("").astype(str)


def build_gazetteer(places: gpd.GeoDataFrame, events: pd.DataFrame | None = None,
                    admin1: gpd.GeoDataFrame | None = None, admin2: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Every name a planner may type, one row per name and place (see the module).

    Parameters
    ----------
    places : geopandas.GeoDataFrame
        The places layer (``name``, ``place_kind``, ``country_iso3``, ``population`` and, where
        the source has them, ``alternate_names`` joined by ``|``).
    events : pandas.DataFrame, optional
        Events with ``locality``, ``geo_precision``, ``latitude``, ``longitude``.
    admin1, admin2 : geopandas.GeoDataFrame, optional
        The admin layers (``name``, ``country_iso3``).

    Returns
    -------
    geopandas.GeoDataFrame
        :data:`GAZETTEER_COLUMNS`: the name shown, its ``key`` (:func:`normalize_name` of the name
        typed), ``loose`` (:func:`~sahelrisk.routes.places.loose_key`, for other spellings),
        ``kind`` (city, town, locality, area), the country, the ADM2 and ADM1 it lies in,
        its population or its count of located events, and ``source``.
    """
    towns = _towns(places)
    frames = [f for f in (towns, _localities(events, towns), _areas([admin1, admin2])) if len(f)]
    table = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=GAZETTEER_COLUMNS)
    table = table[table["key"].astype(str).str.len() > 0]
    out = gpd.GeoDataFrame(table.reset_index(drop=True), geometry="geometry", crs="EPSG:4326")
    out["adm2_name"], out["adm1_name"] = _within(out, admin2), _within(out, admin1)
    out["population"] = pd.to_numeric(out["population"], errors="coerce")
    out["events"] = pd.to_numeric(out["events"], errors="coerce").fillna(0).astype(int)
    out["loose"] = out["key"].map(loose_key)
    return out[GAZETTEER_COLUMNS]


def as_gazetteer(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``places`` if it is a gazetteer already, else the gazetteer of its towns alone."""
    return places if "key" in places.columns else build_gazetteer(places)
