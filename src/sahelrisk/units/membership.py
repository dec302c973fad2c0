"""Which grid cells make up each admin area: the link between cell risk and area risk."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = ["area_membership"]


def area_membership(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, key: str) -> pd.DataFrame:
    """(area pcode, cell position) pairs: each cell in the area holding its land's representative
    point; an area too small to hold any (an urban commune) takes the cell under its own
    representative point, so every area gets a probability.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Grid cells in position order, with ``key`` (e.g. ``adm2_pcode``) and their geometry.
    areas : geopandas.GeoDataFrame
        The areas, indexed by p-code.
    key : str
        ``adm1_pcode`` or ``adm2_pcode``.

    Returns
    -------
    pandas.DataFrame
        Columns ``pcode`` and ``pos``.
    """
    pairs = pd.DataFrame({"pcode": cells[key].to_numpy(), "pos": np.arange(len(cells))})
    # unique first: isin on Arrow strings walks its argument in Python (23,567 cells at 0.1 degree)
    missing = areas[~areas.index.isin(pairs["pcode"].unique())]
    if len(missing):
        points = gpd.GeoDataFrame({"pcode": missing.index}, geometry=missing.geometry.representative_point().to_numpy(),
                                  crs="EPSG:4326")
        boxes = gpd.GeoDataFrame({"pos": np.arange(len(cells))}, geometry=cells.geometry.to_numpy(), crs="EPSG:4326")
        hits = gpd.sjoin(points, boxes, predicate="within").drop_duplicates("pcode")
        pairs = pd.concat([pairs, hits[["pcode", "pos"]]], ignore_index=True)
    return pairs
