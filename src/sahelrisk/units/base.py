"""The spatial units of a run: a table of units plus how to find the unit of a point."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import ArrayLike
from scipy import sparse

from sahelrisk.errors import SpecError
from sahelrisk.units.cells import cell_ids, queen_neighbours

__all__ = ["Units", "UNIT_COLUMNS", "DISTANCE_CRS", "AREA_CRS"]

# Africa Albers Equal Area for areas, Africa Equidistant Conic for distances.
AREA_CRS = "ESRI:102022"
DISTANCE_CRS = "ESRI:102023"
UNIT_COLUMNS = ["unit_id", "country_iso3", "adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name",
                "centroid_lon", "centroid_lat", "area_km2", "geometry"]


@dataclass(frozen=True)
class Units:
    """Spatial units: ``kind`` is ``grid``, ``adm1`` or ``adm2``; ``table`` has :data:`UNIT_COLUMNS`.

    Units are addressed by position (0..n-1) in array computations and by ``unit_id`` in tables.
    ``notes`` holds one line per country and admin level the units could not place in an area.
    """

    kind: str
    table: gpd.GeoDataFrame
    resolution: float | None = None
    notes: tuple[str, ...] = ()
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        missing = [c for c in UNIT_COLUMNS if c not in self.table]
        if missing:
            raise SpecError(f"units table lacks {missing}")
        if not self.table["unit_id"].is_unique:
            raise SpecError("unit ids are not unique")
        if self.kind == "grid" and self.resolution is None:
            raise SpecError("grid units need their resolution")
        if self.table.crs is None or self.table.crs.to_epsg() != 4326:
            raise SpecError("units must be in EPSG:4326")

    def __len__(self) -> int:
        return len(self.table)

    @property
    def _grid_resolution(self) -> float:
        """The cell size of grid units (checked on creation)."""
        if self.resolution is None:
            raise SpecError("grid units need their resolution")
        return self.resolution

    @property
    def ids(self) -> np.ndarray:
        """The units' ids, in their order."""
        return self.table["unit_id"].to_numpy()

    def locate(self, lon: ArrayLike, lat: ArrayLike) -> np.ndarray:
        """Position of the unit holding each point; -1 where none does."""
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
        out = np.full(len(lon), -1, dtype=np.int64)
        ok = np.isfinite(lon) & np.isfinite(lat)
        if self.kind == "grid":
            ids = cell_ids(lon[ok], lat[ok], self._grid_resolution)
            order = np.argsort(self.ids)
            pos = np.searchsorted(self.ids, ids, sorter=order)
            pos = np.clip(pos, 0, len(order) - 1)
            found = self.ids[order[pos]] == ids
            out[np.flatnonzero(ok)[found]] = order[pos[found]]
            return out
        points = shapely.points(lon[ok], lat[ok])
        point_idx, unit_idx = self.tree.query(points, predicate="intersects")
        # A point on a shared border touches two polygons: keep the lowest position, deterministically.
        order = np.lexsort((unit_idx, point_idx))
        hit, first = np.unique(point_idx[order], return_index=True)
        found = np.full(len(points), -1, dtype=np.int64)
        found[hit] = unit_idx[order][first]
        out[np.flatnonzero(ok)] = found
        return out

    def subset(self, positions: ArrayLike) -> "Units":
        """The units at ``positions``, in unit order, with a cache of their own (a tile of a
        partitioned build)."""
        table = self.table.iloc[np.sort(np.asarray(positions, dtype=np.int64))].reset_index(drop=True)
        return Units(kind=self.kind, table=table, resolution=self.resolution, notes=self.notes)

    def without_cache(self) -> "Units":
        """The same units with nothing computed yet (what is sent to a worker process)."""
        return Units(kind=self.kind, table=self.table, resolution=self.resolution, notes=self.notes)

    @property
    def tree(self) -> shapely.STRtree:
        """A spatial index of the units' shapes (built once)."""
        if "tree" not in self._cache:
            self._cache["tree"] = shapely.STRtree(self.table.geometry.values)
        return self._cache["tree"]

    def centroids_xy(self) -> np.ndarray:
        """Unit centroids in the distance CRS, metres, shape (n, 2)."""
        if "xy" not in self._cache:
            pts = gpd.GeoSeries(gpd.points_from_xy(self.table["centroid_lon"], self.table["centroid_lat"]),
                                crs="EPSG:4326").to_crs(DISTANCE_CRS)
            self._cache["xy"] = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
        return self._cache["xy"]

    def neighbours(self) -> sparse.csr_matrix:
        """Queen contiguity (units sharing an edge or a corner), without self, as a 0/1 sparse matrix."""
        if "queen" not in self._cache:
            if self.kind == "grid":
                self._cache["queen"] = queen_neighbours(self.table, self._grid_resolution)
            else:
                geoms = self.table.geometry.values
                left, right = self.tree.query(geoms, predicate="intersects")
                keep = left != right
                n = len(self)
                self._cache["queen"] = sparse.csr_matrix(
                    (np.ones(keep.sum(), dtype=np.float32), (left[keep], right[keep])), shape=(n, n))
        return self._cache["queen"]
