"""The panel built by partition: tiles in space, blocks in time, written as a Parquet dataset.

A region too large for one process (eight countries at 0.1 degree: 30,000 cells x 680 weeks) is
built as many small panels, one per (tile, block), each a task that a Dask worker can run:

- a **tile** is the units whose centre falls in a square of ``tile_deg`` degrees, built together
  with a **halo**: their queen neighbours, which the ``conflict_*_queen_*`` columns sum over. The
  other spatial columns (rings, intensity, distances) read the events and layers directly, which
  every task holds whole, so the halo is one unit wide whatever the radii;
- a **block** is ``block_weeks`` consecutive weeks; its task reads the events of the
  ``max_window`` weeks before it, as :func:`~sahelrisk.features.panel.compute_panel` always does.

Each task keeps only the events that can reach its tile (:func:`events_in_reach`): those within
the farthest distance a builder looks from a unit, and every event of the tile's countries (the
country totals count them wherever they are). The rest cannot change a value, so a region's size
does not make every task read every event of the region.

Each partition keeps only its tile's rows and its block's weeks, so the partitions laid end to end
are the in-process panel, row for row and value for value (a test checks it on the real data).

The dataset is a folder named by the spec and a key of the spec, the data fingerprint, the weeks and
the partitioning; it is written under a temporary name and renamed when every partition is in, with
``_sahelrisk.json`` (the manifest) inside. A folder with the same key is the same panel and is
reused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sahelrisk.calendar import week_range
from sahelrisk.cluster import TASK_RETRIES, peak_memory_mib
from sahelrisk.errors import DataError, SpecError
from sahelrisk.features.panel import KEY_COLUMNS, PanelInputs, build_units, compute_panel
from sahelrisk.features.spec import PanelSpec
from sahelrisk.units import Units

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["Partition", "PanelDataset", "plan_partitions", "build_partition", "build_panel_dataset",
           "open_panel_dataset", "partition_summary", "events_in_reach", "reach_km", "MANIFEST", "DEFAULT_TILE_DEG", "DEFAULT_BLOCK_WEEKS"]

MANIFEST = "_sahelrisk.json"
DEFAULT_TILE_DEG = 4.0
DEFAULT_BLOCK_WEEKS = 520
PartitionCallback = Callable[[dict, int, int], None]


@dataclass(frozen=True)
class Partition:
    """One task of a partitioned build.

    Attributes
    ----------
    tile, block : int
        The partition's place in space and time.
    core : numpy.ndarray
        Positions (in the full units) of the tile's units: the rows it keeps.
    halo : numpy.ndarray
        Positions of the units it builds: the core and its queen neighbours.
    start, end : pandas.Timestamp
        The block's first and last week.
    """

    tile: int
    block: int
    core: np.ndarray
    halo: np.ndarray
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def file_name(self) -> str:
        """The partition's Parquet file in the dataset's folder."""
        return f"part-t{self.tile:04d}-b{self.block:03d}.parquet"


def plan_partitions(units: Units, weeks: pd.DatetimeIndex, *, tile_deg: float = DEFAULT_TILE_DEG,
                    block_weeks: int = DEFAULT_BLOCK_WEEKS) -> list[Partition]:
    """Tiles of ``tile_deg`` degrees (by unit centre) times blocks of ``block_weeks`` weeks.

    Parameters
    ----------
    units : Units
        Every unit of the panel.
    weeks : pandas.DatetimeIndex
        The panel's weeks.
    tile_deg : float
        The side of a tile, in degrees (at 0.1 degree, 4 degrees is 1,600 cells at most).
    block_weeks : int
        Weeks per block.

    Returns
    -------
    list of Partition
        Tiles west to east then south to north, each with every block.
    """
    if not 0.1 <= tile_deg <= 90:
        raise SpecError(f"tile_deg={tile_deg!r} must be between 0.1 and 90 degrees")
    if not isinstance(block_weeks, int) or block_weeks < 1:
        raise SpecError(f"block_weeks={block_weeks!r} must be a whole number of weeks, at least 1")
    if len(weeks) == 0:
        raise SpecError("no weeks to build: the panel's start is after its end")
    table = units.table
    col = np.floor(table["centroid_lon"].to_numpy() / tile_deg).astype(np.int64)
    row = np.floor(table["centroid_lat"].to_numpy() / tile_deg).astype(np.int64)
    queen = units.neighbours()
    partitions = []
    tiles = sorted(set(zip(row.tolist(), col.tolist())))
    for t, (r, c) in enumerate(tiles):
        core = np.flatnonzero((row == r) & (col == c))
        halo = np.union1d(core, queen[core].indices)
        for b, first in enumerate(range(0, len(weeks), block_weeks)):
            block = weeks[first:first + block_weeks]
            partitions.append(Partition(t, b, core, halo, block[0], block[-1]))
    return partitions


REACH_MARGIN = 1.25
"""Safety factor on the reach: the distance CRS is not exact everywhere, a degree is not a fixed
number of kilometres."""


def reach_km(spec: PanelSpec) -> float:
    """The farthest an event can be from a unit and still change one of its values.

    Rings (``conflict`` ``radii_km``), the intensity kernels (3 bandwidths) and the distance to
    the nearest recent event (capped at ``nearest_cap_km``) look beyond the unit; the other
    builders read only the unit's own events or no event. A builder that looks farther must be
    added here.
    """
    from sahelrisk.features.conflict import DEFAULTS as CONFLICT
    from sahelrisk.features.intensity import DEFAULTS as INTENSITY
    from sahelrisk.features.intensity import KERNEL_REACH
    reach = 0.0
    if "conflict" in spec.builders:
        reach = max(reach, *dict(CONFLICT, **spec.builders["conflict"])["radii_km"])
    if "intensity" in spec.builders:
        options = dict(INTENSITY, **spec.builders["intensity"])
        reach = max(reach, KERNEL_REACH * max(options["bandwidths_km"]), float(options["nearest_cap_km"]))
    return float(reach)


def events_in_reach(inputs: PanelInputs, units: Units, reach: float) -> PanelInputs:
    """``inputs`` with only the events within ``reach`` km (times :data:`REACH_MARGIN`) of the
    units' bounding box, and every event of the units' countries.

    Parameters
    ----------
    inputs : PanelInputs
        Every event and layer.
    units : Units
        The units a task builds (a tile and its halo).
    reach : float
        Kilometres, from :func:`reach_km`.

    Returns
    -------
    PanelInputs
        The same layers and fingerprint, fewer events.
    """
    west, south, east, north = units.table.total_bounds
    margin = reach * REACH_MARGIN
    dlat = margin / 110.5
    widest = min(max(abs(south - dlat), abs(north + dlat)), 89.0)
    dlon = min(margin / (111.3 * np.cos(np.radians(widest))), 360.0)
    ev = inputs.events
    near = ev["longitude"].between(west - dlon, east + dlon) & ev["latitude"].between(south - dlat, north + dlat)
    own = ev["country_iso3"].isin(sorted(set(units.table["country_iso3"].dropna())))
    return dataclasses.replace(inputs, events=ev[(near | own).to_numpy()])


def build_partition(spec: PanelSpec, inputs: PanelInputs, units: Units, part: Partition) -> pd.DataFrame:
    """The panel rows of one partition: its tile's units over its block's weeks.

    Parameters
    ----------
    spec : PanelSpec
        The feature set.
    inputs : PanelInputs
        Every event and layer (not cut to the tile: rings reach across it).
    units : Units
        Every unit of the panel.
    part : Partition
        Which tile and block.

    Returns
    -------
    pandas.DataFrame
        Sorted by ``unit_id`` then ``week``, with the panel's metadata in ``.attrs``.
    """
    built = units.subset(part.halo)
    panel = compute_panel(spec, events_in_reach(inputs, built, reach_km(spec)), start=part.start, end=part.end,
                          units=built)
    keep = panel["unit_id"].isin(units.ids[part.core]).to_numpy()
    rows = panel[keep].reset_index(drop=True)
    rows.attrs = panel.attrs
    return rows


def _write_partition(spec: PanelSpec, inputs: PanelInputs, units: Units, part: Partition, folder: str) -> dict:
    """A worker's task: build one partition and write it whole (temporary name, then rename)."""
    started = time.perf_counter()
    rows = build_partition(spec, inputs, units, part)
    path = Path(folder) / part.file_name
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(pa.Table.from_pandas(rows, preserve_index=False), tmp)
    tmp.replace(path)
    return {"tile": part.tile, "block": part.block, "file": part.file_name, "rows": len(rows),
            "units": len(part.core), "halo_units": len(part.halo) - len(part.core),
            "start": str(part.start.date()), "end": str(part.end.date()),
            "seconds": round(time.perf_counter() - started, 3),
            "peak_rss_mib": peak_memory_mib(),   # of the process that built it
            "columns": rows.attrs["sahelrisk"]["columns"]}


@dataclass(frozen=True)
class PanelDataset:
    """A partitioned panel on disk.

    Attributes
    ----------
    path : pathlib.Path
        The dataset's folder.
    manifest : dict
        ``key``, ``spec``, ``data_fingerprint``, ``start``, ``end``, ``n_units``, ``partitions``
        (one record each: file, rows, seconds, peak memory), ``columns``.
    reused : bool
        Whether the folder was already there (same key: the same panel).
    """

    path: Path
    manifest: dict
    reused: bool = False

    @property
    def files(self) -> list[Path]:
        """The partitions' files, tile by tile, block by block."""
        return [self.path / p["file"] for p in self.manifest["partitions"]]

    @property
    def rows(self) -> int:
        """Rows (unit-weeks) in the dataset."""
        return int(sum(p["rows"] for p in self.manifest["partitions"]))

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The whole panel in this process, sorted by ``unit_id`` then ``week`` (as
        :func:`~sahelrisk.features.panel.compute_panel` returns it), with its metadata in ``.attrs``."""
        wanted = None if columns is None else list(dict.fromkeys([*KEY_COLUMNS, *columns]))
        frame = pd.concat([pq.read_table(f, columns=wanted).to_pandas() for f in self.files], ignore_index=True)
        frame = frame.sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
        frame.attrs["sahelrisk"] = self.panel_meta()
        return frame

    def to_dask(self, columns: list[str] | None = None) -> Any:
        """The panel as a Dask DataFrame, one partition per file (nothing is read yet)."""
        import dask.dataframe as dd
        return dd.read_parquet([str(f) for f in self.files], columns=columns)

    def panel_meta(self) -> dict:
        """The panel's description, as :func:`compute_panel` puts it in ``.attrs``."""
        m = self.manifest
        return {"spec": m["spec"], "spec_name": m["spec"]["name"], "data_fingerprint": m["data_fingerprint"],
                "as_of": m["as_of"], "units": m["units"], "resolution": m["resolution"], "n_units": m["n_units"],
                "start": m["start"], "end": m["end"], "columns": m["columns"], "notes": m["notes"],
                "event_assignment": {}, "build_seconds": m["seconds"], "partitions": len(m["partitions"])}


def _key(spec: PanelSpec, inputs: PanelInputs, weeks: pd.DatetimeIndex, tile_deg: float, block_weeks: int) -> str:
    text = json.dumps({"spec": json.loads(spec.to_json()), "data": inputs.fingerprint, "start": str(weeks[0].date()),
                       "end": str(weeks[-1].date()), "tile_deg": tile_deg, "block_weeks": block_weeks}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def open_panel_dataset(path: str | Path) -> PanelDataset:
    """A dataset written by :func:`build_panel_dataset`.

    Raises
    ------
    DataError
        No manifest: not a dataset, or one whose build did not finish.
    """
    path = Path(path)
    manifest = path / MANIFEST
    if not manifest.is_file():
        raise DataError(f"{path} is not a finished panel dataset (no {MANIFEST}); build it with "
                        "'sahelrisk features build --cluster local:N'")
    return PanelDataset(path, json.loads(manifest.read_text("utf-8")), reused=True)


def _run(tasks: list[Partition], spec: PanelSpec, inputs: PanelInputs, units: Units, folder: str,
         client: Client | None, on_partition: PartitionCallback | None) -> Iterator[dict]:
    """Each partition's record as it ends: in this process, or as Dask tasks (retried on a lost
    worker), the inputs and units sent once to every worker."""
    if client is None:
        records: Iterator[dict] = (_write_partition(spec, inputs, units, part, folder) for part in tasks)
    else:
        from distributed import as_completed
        shared_inputs = client.scatter(inputs, broadcast=True, hash=False)
        shared_units = client.scatter(units, broadcast=True, hash=False)
        futures = [client.submit(_write_partition, spec, shared_inputs, shared_units, part, folder,
                                 retries=TASK_RETRIES, pure=False) for part in tasks]
        records = (future.result() for future in as_completed(futures))
    for k, record in enumerate(records):
        if on_partition:
            on_partition(record, k, len(tasks))
        yield record


def build_panel_dataset(spec: PanelSpec, inputs: PanelInputs, root: str | Path, *, start: object = None,
                        end: object = None,
                        units: Units | None = None, client: Client | Callable[[], Client | None] | None = None,
                        tile_deg: float = DEFAULT_TILE_DEG, block_weeks: int = DEFAULT_BLOCK_WEEKS,
                        on_partition: PartitionCallback | None = None) -> PanelDataset:
    """Build the panel partition by partition into ``<root>/<spec name>-<key>/`` (or reuse it).

    Parameters
    ----------
    spec : PanelSpec
        The feature set.
    inputs : PanelInputs
        The loaded events and layers.
    root : path-like
        The folder that holds panel datasets.
    start, end : date-like, optional
        The first and last week (default the spec's; an open end is the data's last week).
    units : Units, optional
        Units already built for the spec.
    client : distributed.Client or callable, optional
        Run the partitions as Dask tasks on its cluster (default: one after another here). A
        callable (a :class:`sahelrisk.cluster.LazyClient`) is called only if there is something to
        build, so a reused dataset starts no cluster.
    tile_deg, block_weeks
        The partitioning (see :func:`plan_partitions`).
    on_partition : callable, optional
        Progress ``(record, k, n)`` as each partition ends.

    Returns
    -------
    PanelDataset
    """
    from sahelrisk.data.extent import data_extent
    if end is None and spec.end is None:
        end = data_extent(inputs.events, spec.countries, reporting_lag_weeks=spec.reporting_lag_weeks).last_week
    weeks = week_range(start or spec.start, end or spec.end)
    units = units if units is not None else build_units(spec, inputs)
    key = _key(spec, inputs, weeks, tile_deg, block_weeks)
    final = Path(root) / f"{spec.name}-{key}"
    if (final / MANIFEST).is_file():
        return open_panel_dataset(final)
    runner: Client | None = client() if callable(client) and not hasattr(client, "submit") else client  # type: ignore[assignment]
    started = time.perf_counter()
    tasks = plan_partitions(units, weeks, tile_deg=tile_deg, block_weeks=block_weeks)
    building = final.with_name(final.name + ".building")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    records = list(_run(tasks, spec, inputs, units.without_cache(), str(building), runner, on_partition))
    records.sort(key=lambda r: (r["tile"], r["block"]))
    columns = records[0].pop("columns")
    for r in records[1:]:
        r.pop("columns")
    manifest: dict[str, Any] = {
        "key": key, "spec": json.loads(spec.to_json()), "data_fingerprint": inputs.fingerprint,
        "as_of": str(inputs.as_of), "units": units.kind, "resolution": units.resolution, "n_units": len(units),
        "start": str(weeks[0].date()), "end": str(weeks[-1].date()), "tile_deg": tile_deg,
        "block_weeks": block_weeks, "notes": list(units.notes), "columns": columns, "partitions": records,
        "seconds": round(time.perf_counter() - started, 2), "where": "cluster" if runner is not None else "in-process",
    }
    (building / MANIFEST).write_text(json.dumps(manifest, indent=1, default=str), "utf-8")
    if final.exists():   # a half-written folder of another run (no manifest): replaced
        shutil.rmtree(final)
    building.replace(final)
    return PanelDataset(final, manifest)


def partition_summary(dataset: PanelDataset) -> dict:
    """Throughput and memory of a build: cell-weeks per second of task time, the largest task's peak."""
    parts = dataset.manifest["partitions"]
    task_seconds = sum(p["seconds"] for p in parts)
    return {"partitions": len(parts), "rows": dataset.rows, "task_seconds": round(task_seconds, 2),
            "cell_weeks_per_task_second": round(dataset.rows / task_seconds) if task_seconds else None,
            "peak_rss_mib": max(p["peak_rss_mib"] for p in parts), "wall_seconds": dataset.manifest["seconds"],
            "halo_share": round(sum(p["halo_units"] for p in parts) / max(sum(p["units"] for p in parts), 1), 3)}
