"""The maps' background, made from the data folder and served by the app: no tile server, no
internet.

Five vector layers, each GeoJSON in lon/lat with coordinates rounded to about 10 m:

- ``countries``, ``adm1``, ``adm2``: the admin layers' outlines (lines, simplified);
- ``roads``: the road network the routes run on (simplified);
- ``towns``: towns and cities with their population and a ``size`` class (1 the largest), which
  the page uses to show more names as the reader zooms in (:data:`TOWN_SIZES`).

The layers are built from the data the app has loaded (:meth:`Planner.inputs`), so they follow
the data: a newer cut-off or a ``sahelrisk data update`` gives a new basemap, and its ``version``
(a hash of the layers) changes the URLs the pages ask for. Nothing is written to disk. There is
no river or lake layer: neither the data folder nor a package we use carries one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from sahelrisk.features.panel import PanelInputs
from sahelrisk.publishing.maps import one_per_town

__all__ = ["Basemap", "build_basemap", "LAYERS", "TOWN_SIZES"]

LAYERS = ("countries", "adm1", "adm2", "roads", "towns")
TOWN_SIZES = ((1, 100_000), (2, 40_000), (3, 10_000), (4, 0))
"""(size class, smallest population): the page names class 1 at every zoom, class 4 close in."""
SIMPLIFY_DEG = {"countries": 0.005, "adm1": 0.005, "adm2": 0.005, "roads": 0.002}
DIGITS = 4


@dataclass(frozen=True)
class Basemap:
    """The basemap's layers as GeoJSON text, and a version that changes when they do."""

    layers: dict[str, str]
    version: str


def _lines(frame: gpd.GeoDataFrame | None, tolerance: float, keep: list[str]) -> gpd.GeoDataFrame:
    if frame is None or frame.empty:
        return gpd.GeoDataFrame({c: [] for c in keep}, geometry=[], crs="EPSG:4326")
    frame = frame.to_crs("EPSG:4326")
    geometry = frame.geometry.boundary if frame.geom_type.isin(["Polygon", "MultiPolygon"]).any() else frame.geometry
    geometry = shapely.set_precision(geometry.simplify(tolerance).to_numpy(), 10 ** -DIGITS)
    return gpd.GeoDataFrame(frame[keep].reset_index(drop=True), geometry=geometry, crs="EPSG:4326")


def _towns(places: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    if places is None or places.empty:
        return gpd.GeoDataFrame({"name": [], "population": [], "size": []}, geometry=[], crs="EPSG:4326")
    towns = one_per_town(places)
    towns = towns.assign(population=pd.to_numeric(towns["population"], errors="coerce").fillna(0))
    size = pd.Series(4, index=towns.index)
    for klass, smallest in reversed(TOWN_SIZES):
        size[towns["population"] >= smallest] = klass
    out = gpd.GeoDataFrame({"name": towns["name"].astype(str), "population": towns["population"].astype(int),
                            "size": size.astype(int)}, geometry=towns.geometry.to_numpy(), crs="EPSG:4326")
    return out.sort_values(["size", "population"], ascending=[True, False]).reset_index(drop=True)


def _text(frame: gpd.GeoDataFrame) -> str:
    # round the written numbers: the basemap is the page's largest download
    data = json.loads(frame.to_json(drop_id=True))
    for feature in data["features"]:
        feature["geometry"] = _rounded(feature["geometry"])
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def _rounded(geometry: dict | None) -> dict | None:
    def walk(value: object) -> object:
        if isinstance(value, float):
            return round(value, DIGITS)
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value
    return None if geometry is None else {**geometry, "coordinates": walk(geometry["coordinates"])}


def build_basemap(inputs: PanelInputs) -> Basemap:
    """The basemap of the data in ``inputs`` (its admin layers, roads and places).

    Parameters
    ----------
    inputs : PanelInputs
        The data the app routes on, with the ``admin0``, ``admin1``, ``admin2``, ``roads`` and
        ``places`` layers (a missing one gives an empty layer).

    Returns
    -------
    Basemap
    """
    get = inputs.layers.get
    frames = {"countries": _lines(get("admin0"), SIMPLIFY_DEG["countries"], ["country_iso3"]),
              "adm1": _lines(get("admin1"), SIMPLIFY_DEG["adm1"], ["name"]),
              "adm2": _lines(get("admin2"), SIMPLIFY_DEG["adm2"], ["name"]),
              "roads": _lines(get("roads"), SIMPLIFY_DEG["roads"], ["road_id"]),
              "towns": _towns(get("places"))}
    layers = {name: _text(frame) for name, frame in frames.items()}
    digest = hashlib.sha256("".join(layers[n] for n in LAYERS).encode()).hexdigest()[:16]
    return Basemap(layers, digest)
