"""The training frame of a training spec: the feature panel from the first training week to the
data's last full week, joined with every target the spec reports, and the window it was built from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.calendar import last_full_week
from sahelrisk.cluster import panels_dir
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.sources.families import select_sources
from sahelrisk.data.window import DataWindow, find_window, resolve_window
from sahelrisk.features.panel import (
    PanelInputs,
    build_units,
    compute_panel,
    load_inputs,
)
from sahelrisk.features.partitions import build_panel_dataset
from sahelrisk.features.targets import build_targets
from sahelrisk.modeling.distributed import ClusterFrame
from sahelrisk.modeling.executors import Executor, InProcess, local_executor
from sahelrisk.modeling.spec import TrainingSpec
from sahelrisk.units import Units

__all__ = ["TrainingFrame", "prepare_frame", "frame_from_inputs"]


@dataclass
class TrainingFrame:
    """The panel of a training spec with every target, and the data window it was built from.

    Attributes
    ----------
    frame : pandas.DataFrame or ClusterFrame
        ``unit_id``, ``week``, ``country_iso3``, the features and the targets; on a cluster, a
        :class:`~sahelrisk.modeling.distributed.ClusterFrame` that keeps them in the panel dataset.
    feature_columns : list of str
        The columns the spec's model reads.
    units : Units
        The spatial units of the panel.
    inputs : PanelInputs
        The loaded data the panel was built from.
    panel_meta : dict
        The panel's description (``data_fingerprint``, columns, units).
    as_of : datetime.date
        The data cut-off: rows dated later were not used.
    data_end : datetime.date
        The last day the data covers: targets after it are NaN.
    extent_reason : str
        Why that ``data_end`` (when it was derived from the data).
    executor : Executor
        Where its folds and fits run (:mod:`sahelrisk.modeling.executors`): the one it was built
        for, handed on to the backtest and the final fit.
    """

    frame: pd.DataFrame | ClusterFrame
    feature_columns: list[str]
    units: Units
    inputs: PanelInputs
    panel_meta: dict
    as_of: date
    data_end: date
    extent_reason: str = ""
    executor: Executor = field(default_factory=InProcess, repr=False)

    def example(self) -> pd.DataFrame:
        """A few rows of the model's columns (the registry's input example)."""
        return self.executor.head(self.frame, self.feature_columns)


def prepare_frame(spec: TrainingSpec, data_dir: Path, *, as_of: date | None = None, data_end: date | None = None,
                  catalog: Catalog | None = None, inputs: PanelInputs | None = None,
                  executor: Executor | None = None) -> TrainingFrame:
    """The panel from the first training week to the data's last full week, with every target.

    Parameters
    ----------
    spec : TrainingSpec
        The training spec (features, target, horizons, first training week).
    data_dir : path-like
        The data directory.
    as_of : date, optional
        The data cut-off; default ``data_end``.
    data_end : date, optional
        The last day the data covers; default what the located events support
        (:func:`sahelrisk.data.window.resolve_window`).
    catalog : Catalog, optional
        The data catalog (default the packaged one).
    inputs : PanelInputs, optional
        Already loaded inputs (their own cut-off then applies).
    executor : Executor, optional
        Where the frame's folds and fits run (:func:`sahelrisk.modeling.executors.open_executor`);
        :class:`~sahelrisk.modeling.executors.DaskPartitions` keeps the frame on its cluster.
        Default this machine, by the frame's size.

    Returns
    -------
    TrainingFrame
    """
    catalog = catalog or load_catalog()
    if inputs is None:
        window = find_window(catalog, data_dir, spec.features.countries,
                             reporting_lag_weeks=spec.features.reporting_lag_weeks, as_of=as_of, data_end=data_end)
        inputs = load_inputs(catalog, data_dir, as_of=window.as_of, spec=spec.features)
    else:
        window = resolve_window(inputs.events, spec.features.countries,
                                reporting_lag_weeks=spec.features.reporting_lag_weeks, as_of=as_of, data_end=data_end)
    return frame_from_inputs(spec, inputs, window, executor)


def frame_from_inputs(spec: TrainingSpec, inputs: PanelInputs, window: DataWindow,
                      executor: Executor | None = None) -> TrainingFrame:
    """The training frame of ``spec`` from loaded inputs and a resolved window, for ``executor``
    (default this machine's, by the frame's size)."""
    start = pd.Timestamp(spec.backtest.train_start)
    end = last_full_week(window.data_end)
    panel_spec = spec.features.with_period(start, end)
    units = build_units(panel_spec, inputs)
    horizons = sorted({spec.horizon_weeks, *spec.report_horizons})
    # The target reads one source family whatever else the catalog holds.
    events = select_sources(inputs.events, (spec.target_source,))
    if executor is not None and executor.partitioned:
        # Built partition by partition on the cluster's workers (started if need be) and left there:
        # the models are fitted on a stated sample and score by partition (sahelrisk.modeling.distributed).
        client = executor.client  # type: ignore[attr-defined]
        dataset = build_panel_dataset(panel_spec, inputs, panels_dir(), units=units, client=client,
                                      on_partition=_partition_progress(panel_spec.name, executor.log))
        frame = ClusterFrame(dataset, units, events, spec.target_kind, tuple(horizons), window.data_end,
                             client=client, log=executor.log)
        features = spec.model_columns([c for c in dataset.manifest["columns"] if c not in ("unit_id", "week")])
        return TrainingFrame(frame, features, units, inputs, dataset.panel_meta(), window.as_of, window.data_end,
                             window.reason, executor)
    panel = compute_panel(panel_spec, inputs, units=units)
    targets = build_targets(events, units, start, end, horizons=horizons,
                            kinds=(spec.target_kind, "fatalities"), data_end=window.data_end)
    features = spec.model_columns([c for c in panel.columns if c not in ("unit_id", "week")])
    frame = panel.join(targets.drop(columns=["unit_id", "week"]))  # same row order by construction
    frame.insert(2, "country_iso3", np.repeat(units.table["country_iso3"].to_numpy(), len(panel) // len(units)))
    return TrainingFrame(frame, features, units, inputs, panel.attrs["sahelrisk"], window.as_of, window.data_end,
                         window.reason, executor or local_executor(len(frame)))


def _partition_progress(name: str, log: Callable[[str], None]) -> Callable[[dict, int, int], None]:
    """A line in the run's log at every tenth of the partitions built."""
    def progress(record: dict, k: int, n: int) -> None:
        if (k + 1) % max(1, n // 10) == 0 or k + 1 == n:
            log(f"panel {name}: {k + 1}/{n} partitions built")
    return progress
