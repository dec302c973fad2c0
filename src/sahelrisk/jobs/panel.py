"""Building the weekly feature panel as a run step (``sahelrisk features build``): in this process
into one Parquet file, or on a cluster partition by partition into a Parquet dataset."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from sahelrisk.cluster import ClusterSpec, LazyClient, panels_dir
from sahelrisk.data.catalog import Catalog
from sahelrisk.data.window import find_window
from sahelrisk.features.panel import PanelInputs, compute_panel, load_inputs, save_panel
from sahelrisk.features.partitions import build_panel_dataset
from sahelrisk.features.spec import PanelSpec

__all__ = ["build_panel_step"]


def build_panel_step(spec: PanelSpec, data_dir: Path, catalog: Catalog, *, as_of: date | None = None,
                     start: date | None = None, end: date | None = None, out: Path | None = None,
                     log: Callable[[str], None] = print, cluster: ClusterSpec | None = None) -> Path:
    """Load the sources as known at the cut-off, build the panel and save it.

    Parameters
    ----------
    spec : PanelSpec
        The feature spec.
    data_dir : pathlib.Path
        The data directory.
    catalog : Catalog
        The data catalog.
    as_of : date, optional
        The data cut-off (default what the located events support).
    start, end : date, optional
        The first and last week (default the spec's).
    out : pathlib.Path, optional
        The Parquet file (default ``outputs/panel_<spec>.parquet``); on a cluster, the folder of
        panel datasets.
    log : callable
        Receives the window, progress and the summary.
    cluster : ClusterSpec, optional
        Build partition by partition on this cluster (started when first needed, stopped or left
        at the end); default this process.

    Returns
    -------
    pathlib.Path
        What was written.
    """
    started = time.perf_counter()
    window = find_window(catalog, data_dir, spec.countries, reporting_lag_weeks=spec.reporting_lag_weeks, as_of=as_of)
    inputs = load_inputs(catalog, data_dir, as_of=window.as_of, spec=spec)
    log(window.describe())
    if cluster is not None:
        client = LazyClient(cluster, log)
        try:
            return _partitioned(spec, inputs, out, start, end, started, log, client)
        finally:
            client.close()
    frame = compute_panel(spec, inputs, start=start, end=end)
    target = save_panel(frame, out or Path("outputs") / f"panel_{spec.name}.parquet")
    meta = frame.attrs["sahelrisk"]
    log(f"{len(frame):,} rows ({meta['n_units']:,} {meta['units']} units x {len(frame) // max(meta['n_units'], 1):,} "
        f"weeks, {meta['start']} .. {meta['end']}), {len(meta['columns'])} features, "
        f"{time.perf_counter() - started:.1f} s -> {target}")
    log("events: " + ", ".join(f"{k} {v:,}" for k, v in meta["event_assignment"].items()))
    return Path(target)


def _partitioned(spec: PanelSpec, inputs: PanelInputs, out: Path | None, start: date | None, end: date | None,
                 started: float, log: Callable[[str], None], client: LazyClient) -> Path:
    """The panel built on the cluster's workers, partition by partition, into a Parquet dataset."""
    def progress(record: dict, k: int, n: int) -> None:
        log(f"partition {k + 1}/{n} (tile {record['tile']}, weeks {record['start']}..{record['end']}): "
            f"{record['rows']:,} rows in {record['seconds']:.1f} s")

    dataset = build_panel_dataset(spec, inputs, out or panels_dir(), start=start, end=end, client=client,
                                  on_partition=progress)
    m = dataset.manifest
    log(f"{dataset.rows:,} rows ({m['n_units']:,} {m['units']} units, {m['start']} .. {m['end']}), "
        f"{len(m['columns'])} features in {len(m['partitions'])} partitions, "
        f"{'reused' if dataset.reused else f'{time.perf_counter() - started:.1f} s'} -> {dataset.path}")
    return Path(dataset.path)
