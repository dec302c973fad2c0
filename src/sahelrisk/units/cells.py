"""Cell arithmetic of the PRIO-GRID-compatible grid: ids from coordinates and neighbours from
rows and columns, with no geometry (so :class:`~sahelrisk.units.base.Units` can use them without
importing the grid builder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import sparse

from sahelrisk.errors import SpecError

__all__ = ["SUPPORTED_RESOLUTIONS", "cell_ids", "cell_row_col", "queen_neighbours"]

SUPPORTED_RESOLUTIONS = (0.5, 0.25, 0.1)


def _check_resolution(resolution: float) -> int:
    if resolution not in SUPPORTED_RESOLUTIONS:
        raise SpecError(f"grid resolution {resolution} is not supported; use one of {SUPPORTED_RESOLUTIONS}")
    return int(round(360 / resolution))


def cell_row_col(lon: ArrayLike, lat: ArrayLike, resolution: float) -> tuple[np.ndarray, np.ndarray]:
    """The grid row and column of each point (rows from the south pole, columns from the antimeridian)."""
    _check_resolution(resolution)
    # Rounding first keeps 0.1-degree borders exact in floating point (e.g. 12.3 / 0.1).
    row = np.floor(np.round((np.asarray(lat, dtype=float) + 90) / resolution, 9)).astype(np.int64)
    col = np.floor(np.round((np.asarray(lon, dtype=float) + 180) / resolution, 9)).astype(np.int64)
    return row, col


def cell_ids(lon: ArrayLike, lat: ArrayLike, resolution: float) -> np.ndarray:
    """The id of the cell holding each point (PRIO-GRID numbering at 0.5 degree)."""
    ncols = _check_resolution(resolution)
    row, col = cell_row_col(lon, lat, resolution)
    return row * ncols + col + 1


def queen_neighbours(table: pd.DataFrame, resolution: float) -> sparse.csr_matrix:
    """Cells sharing an edge or a corner, from row/col arithmetic (no geometry needed)."""
    ncols = _check_resolution(resolution)
    ids = table["unit_id"].to_numpy()
    rows, cols = table["row"].to_numpy(), table["col"].to_numpy()
    order = np.argsort(ids)
    src, dst = [], []
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if dr == dc == 0:
                continue
            want = (rows + dr) * ncols + (cols + dc) % ncols + 1
            pos = np.clip(np.searchsorted(ids, want, sorter=order), 0, len(ids) - 1)
            found = ids[order[pos]] == want
            src.append(np.flatnonzero(found))
            dst.append(order[pos[found]])
    sources, targets = np.concatenate(src), np.concatenate(dst)
    n = len(ids)
    return sparse.csr_matrix((np.ones(len(sources), dtype=np.float32), (sources, targets)), shape=(n, n))
