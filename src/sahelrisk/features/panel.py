"""The weekly feature panel: one row per (unit_id, week), every column from data known that week.

``compute_panel(spec, inputs)`` runs the spec's builders on arrays over (units, weeks) and lays the
result out long, sorted by ``unit_id`` then ``week``. ``save_panel`` writes Parquet with the spec,
the data fingerprint and the column dtypes in its metadata.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sahelrisk.calendar import DateLike, week_end, week_range
from sahelrisk.data.catalog import Catalog
from sahelrisk.data.extent import data_extent
from sahelrisk.data.sources import load_dataset, load_events
from sahelrisk.data.sources.families import select_sources
from sahelrisk.errors import DataError, SpecError
from sahelrisk.features import BUILDERS, LAYERS_NEEDED, Feature, PanelContext
from sahelrisk.features.spec import PanelSpec
from sahelrisk.units import Units, assign_events, build_admin_units, build_grid

__all__ = ["PanelInputs", "load_inputs", "layers_needed", "inputs_fingerprint", "build_units", "compute_panel", "save_panel", "read_panel", "KEY_COLUMNS"]

KEY_COLUMNS = ["unit_id", "week"]
_ALWAYS = ("admin0", "admin1", "admin2")


@dataclass
class PanelInputs:
    """Validated tables a panel is built from, and a fingerprint of the files behind them."""

    events: pd.DataFrame
    layers: dict = field(default_factory=dict)
    as_of: date | None = None
    fingerprint: str = ""

    def truncated(self, week: DateLike) -> "PanelInputs":
        """The inputs as known at the end of ``week``: later events and figures removed (for leakage tests)."""
        end = week_end(week)
        layers = dict(self.layers)
        if "displacement" in layers:
            d = layers["displacement"]
            layers["displacement"] = d[d["reference_date"] <= end]
        return PanelInputs(events=self.events[self.events["date_start"] <= end], layers=layers, as_of=end.date(),
                           fingerprint=self.fingerprint + f"|truncated:{end.date()}")


def _fingerprint(catalog: Catalog, names: Iterable[str], data_dir: Path, as_of: DateLike | None) -> str:
    from sahelrisk.data.fetch import sha256_of
    digest = hashlib.sha256(f"as_of={as_of}".encode())
    for name in sorted(names):
        for entry in catalog[name].files:
            path = data_dir / entry.path
            if catalog[name].written_by_update and not path.is_file():
                continue  # nothing brought in by 'sahelrisk data update' yet
            digest.update(f"{name}:{entry.path}:{sha256_of(path)}".encode())
    return digest.hexdigest()[:16]


def layers_needed(spec: PanelSpec | None) -> set[str]:
    """The layers a feature spec's builders read (every builder's when ``spec`` is None)."""
    needs = set(_ALWAYS)
    for theme in (spec.builders if spec else BUILDERS):
        needs.update(LAYERS_NEEDED[theme])
    return needs


def inputs_fingerprint(catalog: Catalog, data_dir: str | Path, *, as_of: date, spec: PanelSpec | None = None) -> str:
    """The fingerprint :func:`load_inputs` would give, from the files' hashes alone (nothing loaded).

    Parameters
    ----------
    catalog : Catalog
        The data catalog.
    data_dir : path-like
        The data directory.
    as_of : date
        The data cut-off.
    spec : PanelSpec, optional
        The feature spec (default every builder's layers).

    Returns
    -------
    str
        16 hexadecimal digits; the same files and cut-off give the same fingerprint.
    """
    event_sets = [d.name for d in catalog.of_kind("events")]
    return _fingerprint(catalog, [*layers_needed(spec), *event_sets], Path(data_dir), as_of)


def load_inputs(catalog: Catalog, data_dir: str | Path, *, as_of: date, spec: PanelSpec | None = None) -> PanelInputs:
    """Load the events and the layers the spec's builders need, for every country in the registry
    (events across a border count for rings around border units)."""
    data_dir = Path(data_dir)
    events = load_events(catalog, data_dir, as_of=as_of)
    layers = {name: load_dataset(catalog[name], data_dir, as_of=as_of).table for name in sorted(layers_needed(spec))}
    return PanelInputs(events=events.table, layers=layers, as_of=as_of,
                       fingerprint=inputs_fingerprint(catalog, data_dir, as_of=as_of, spec=spec))


def build_units(spec: PanelSpec, inputs: PanelInputs) -> Units:
    """The spec's units (grid cells or admin areas) of its countries, from the loaded layers."""
    countries = set(spec.countries)

    def of(name: str) -> gpd.GeoDataFrame:
        frame = inputs.layers[name]
        return frame[frame["country_iso3"].isin(sorted(countries))]

    if spec.units == "grid":
        if spec.resolution is None:   # the spec schema requires it for grid units
            raise ValueError(f"feature spec {spec.name}: grid units without a resolution")
        return build_grid(of("admin0"), spec.resolution, adm1=of("admin1"), adm2=of("admin2"))
    return build_admin_units(int(spec.units[-1]), of("admin1"), of("admin2"), countries=sorted(countries))


def _context(spec: PanelSpec, inputs: PanelInputs, units: Units, weeks: pd.DatetimeIndex) -> tuple[PanelContext, pd.DataFrame]:
    history = pd.date_range(weeks[0] - pd.Timedelta(weeks=spec.max_window + spec.reporting_lag_weeks), weeks[-1], freq="7D")
    assigned, counts = assign_events(select_sources(inputs.events, spec.sources), units)
    assigned["week_pos"] = history.get_indexer(pd.DatetimeIndex(assigned["week"]))
    # Events before the history window cannot reach any panel week; events after it are ignored.
    ctx = PanelContext(units=units, weeks=weeks, history=history, events=assigned, layers=inputs.layers,
                       reporting_lag_weeks=spec.reporting_lag_weeks, max_window=spec.max_window)
    return ctx, counts


def _layout(f: Feature, n_units: int, n_weeks: int, n_history: int) -> np.ndarray:
    """One long column in (unit, week) order; a dynamic array keeps only the panel's weeks."""
    expected = {"dynamic": (n_units, n_history), "static": (n_units,), "calendar": (n_history,)}[f.kind]
    if f.values.shape != expected and not (f.kind == "dynamic" and f.values.shape == (n_units, n_weeks)):
        raise SpecError(f"builder output {f.name} ({f.kind}) has shape {f.values.shape}, expected {expected}")
    if f.kind == "dynamic":
        values = np.ascontiguousarray(f.values[:, f.values.shape[1] - n_weeks:]).ravel()
    elif f.kind == "static":
        values = np.repeat(f.values, n_weeks)
    else:
        values = np.tile(f.values[n_history - n_weeks:], n_units)
    return values.astype(f.dtype, copy=False)


def compute_panel(spec: PanelSpec, inputs: PanelInputs, start: DateLike | None = None, end: DateLike | None = None, units: Units | None = None,
                  themes: list[str] | None = None) -> pd.DataFrame:
    """The panel of ``spec`` over ``inputs``, one row per (unit_id, week); metadata in ``.attrs``.

    Parameters
    ----------
    spec : PanelSpec
        The feature set.
    inputs : PanelInputs
        The loaded events and layers (as of the data cut-off).
    start, end : date-like, optional
        The first and last week; default the spec's start and end, and for an open end the last
        week the located events support (:func:`sahelrisk.data.extent.data_extent`).
    units : Units, optional
        Units already built for the spec (saves rebuilding them).
    themes : list of str, optional
        Only these builders.

    Returns
    -------
    pandas.DataFrame
    """
    started = time.perf_counter()
    if end is None and spec.end is None:
        end = data_extent(inputs.events, spec.countries, reporting_lag_weeks=spec.reporting_lag_weeks).last_week
    weeks = week_range(start or spec.start, end or spec.end)
    units = units if units is not None else build_units(spec, inputs)
    ctx, counts = _context(spec, inputs, units, weeks)
    columns, declared = {}, {}
    for theme in themes or list(spec.builders):
        for f in BUILDERS[theme](ctx, dict(spec.builders[theme])):
            if f.name in declared:
                raise SpecError(f"two builders produce the column {f.name}")
            declared[f.name] = {"dtype": f.dtype, "allow_nan": f.allow_nan, "kind": f.kind, "theme": theme,
                                "description": f.description}
            columns[f.name] = _layout(f, len(units), len(weeks), ctx.n_history)
    frame = pd.DataFrame({"unit_id": np.repeat(units.ids, len(weeks)),
                          "week": np.tile(weeks.to_numpy(), len(units)), **columns}, copy=False)
    frame.attrs["sahelrisk"] = {
        "spec": json.loads(spec.to_json()), "spec_name": spec.name, "data_fingerprint": inputs.fingerprint,
        "as_of": str(inputs.as_of), "units": units.kind, "resolution": units.resolution, "n_units": len(units),
        "start": str(weeks[0].date()), "end": str(weeks[-1].date()), "columns": declared,
        "event_assignment": dict(zip(counts["rule"], counts["events"].astype(int))),
        "build_seconds": round(time.perf_counter() - started, 2), "notes": list(units.notes),
    }
    return frame


def save_panel(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write Parquet atomically, with the panel metadata in the file's key-value metadata."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[b"sahelrisk"] = json.dumps(frame.attrs.get("sahelrisk", {}), default=str).encode()
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(path)
    return path


def read_panel(path: str | Path) -> pd.DataFrame:
    """A panel saved by :func:`save_panel`, with its metadata in ``attrs``."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"panel {path} not found; build it with 'sahelrisk features build'")
    table = pq.read_table(path)
    frame = table.to_pandas()
    raw = (table.schema.metadata or {}).get(b"sahelrisk")
    frame.attrs["sahelrisk"] = json.loads(raw) if raw else {}
    return frame
