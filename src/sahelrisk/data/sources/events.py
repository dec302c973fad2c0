"""All event datasets of the catalog as one table, one row per event.

Releases overlap (GED and Candidate, consecutive monthly Candidate files): the same event id in
several releases keeps the row of the latest release (catalog ``released``), and each such
choice is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.data.catalog import Catalog, Dataset
from sahelrisk.data.quarantine import QUARANTINE_COLUMNS, LoadResult
from sahelrisk.data.revisions import ReleaseRows, resolve_releases
from sahelrisk.data.schemas import empty_events
from sahelrisk.data.sources.acled import read_acled_events
from sahelrisk.data.sources.families import family_of
from sahelrisk.data.sources.held import manifest_releases
from sahelrisk.data.sources.ucdp import read_ucdp_events
from sahelrisk.errors import DataFileError, SpecError

__all__ = ["load_event_dataset", "load_held_releases", "load_events", "combine_releases"]

log = logging.getLogger(__name__)


def load_event_dataset(dataset: Dataset, data_dir: str | Path, *, as_of: date,
                       countries: set[str] | None = None) -> LoadResult:
    """Load every file of one event dataset (one release)."""
    parts = []
    release = str(dataset.options.get("release", dataset.name))
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        if dataset.loader == "ucdp_events":
            part = read_ucdp_events(
                path, dataset=dataset.name, source=str(dataset.options.get("source", "ucdp_ged")),
                release=release, as_of=as_of, countries=countries)
        elif dataset.loader == "acled_events":
            part = read_acled_events(
                path, dataset=dataset.name, release=release, as_of=as_of, countries=countries)
        else:
            raise SpecError(f"dataset {dataset.name!r}: {dataset.loader!r} is not an event loader")
        parts.append(part)
    table = pd.concat([p.events for p in parts], ignore_index=True)
    # Two files of one release holding the same id (e.g. a re-export) is one event, not two.
    dup = table["event_id"].duplicated(keep="first")
    notes = []
    unlocated = int((~table["has_location"]).sum())
    if unlocated:
        notes.append(f"{unlocated} events have no coordinates (country level only; not usable for grid or admin features)")
    repaired = sum(p.repaired for p in parts)
    if repaired:
        notes.append(f"{repaired} rows of {dataset.name} had fatalities_low > best or best > high; "
                     "the bound was moved to best and the row kept")
    if dup.any():
        notes.append(f"{int(dup.sum())} event ids repeated across files of {dataset.name}; first kept")
        table = table.loc[~dup].reset_index(drop=True)
    return LoadResult(dataset=dataset.name, table=gpd.GeoDataFrame(table, geometry="geometry", crs="EPSG:4326"),
                      quarantine=_stack_quarantines(p.quarantine for p in parts),
                      rows_read=sum(p.rows_read for p in parts), out_of_scope=sum(p.out_of_scope for p in parts),
                      notes=notes)


def _stack_quarantines(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=QUARANTINE_COLUMNS)


def combine_releases(releases: list[ReleaseRows]) -> tuple[gpd.GeoDataFrame, pd.DataFrame, pd.DataFrame]:
    """Combine releases in publication order (:func:`~sahelrisk.data.revisions.resolve_releases`):
    an id present in several keeps the latest release's row; ids a later re-stating release
    dropped are withdrawn. UCDP keeps an event's id from Candidate to GED; ACLED ids are another
    namespace, so ids are compared within a source family.

    Returns
    -------
    events : geopandas.GeoDataFrame
    superseded : pandas.DataFrame
        ``event_id``, ``dropped_release``, ``kept_release``: every row a later release replaced.
    withdrawn : pandas.DataFrame
        See :func:`~sahelrisk.data.revisions.resolve_releases`.
    """
    keyed = [replace(r, table=r.table.assign(_key=family_of(r.table["source"]).astype(str) + ":"
                                                 + r.table["event_id"].astype(str))) for r in releases]
    table, withdrawn = resolve_releases(keyed, key="_key")
    if not len(table):
        return empty_events(), pd.DataFrame(columns=["event_id", "dropped_release", "kept_release"]), withdrawn
    kept = table.set_index("_key")["release"]
    stacked = pd.concat([r.table[["_key", "event_id", "release"]] for r in keyed], ignore_index=True)
    held_by = pd.Series(kept.reindex(stacked["_key"]).to_numpy(), index=stacked.index)
    dropped = stacked[held_by.notna() & (stacked["release"] != held_by)]
    superseded = pd.DataFrame({"event_id": dropped["event_id"].to_numpy(),
                               "dropped_release": dropped["release"].to_numpy(),
                               "kept_release": held_by[dropped.index].to_numpy()})
    table = gpd.GeoDataFrame(table.drop(columns="_key"), geometry="geometry", crs="EPSG:4326")
    return table, superseded, withdrawn


def load_held_releases(dataset: Dataset, data_dir: str | Path, *, as_of: date,
                       countries: set[str] | None = None) -> LoadResult:
    """The releases ``sahelrisk data update`` brought in (the dataset names their manifest), resolved:
    the latest release of an id wins and ids a later cumulative release dropped are withdrawn."""
    manifest = Path(data_dir) / dataset.files[0].path
    if not manifest.is_file():
        raise DataFileError(manifest, "missing file(s): no release brought in yet",
                            "Run 'sahelrisk data update' to bring in UCDP's newest releases")
    held = manifest_releases(data_dir, as_of=as_of, countries=countries)
    events, withdrawn = resolve_releases([rows for rows, _ in held])
    notes = [f"{len(held)} releases held ({', '.join(r.name for r, _ in held)})"]
    if len(withdrawn):
        notes.append(f"{len(withdrawn)} events withdrawn by a later release")
    return LoadResult(dataset=dataset.name, table=gpd.GeoDataFrame(events, geometry="geometry", crs="EPSG:4326"),
                      quarantine=_stack_quarantines(p.quarantine for _, p in held),
                      rows_read=sum(p.rows_read for _, p in held), out_of_scope=sum(p.out_of_scope for _, p in held),
                      notes=notes)


def _releases_of(dataset: Dataset, data_dir: str | Path, as_of: date, countries: set[str] | None) -> list[tuple[ReleaseRows, LoadResult]]:
    if dataset.written_by_update and not all((Path(data_dir) / f.path).is_file() for f in dataset.files):
        return []  # nothing brought in by 'sahelrisk data update' yet
    if dataset.loader == "ucdp_manifest":
        out = []
        for rows, part in manifest_releases(data_dir, as_of=as_of, countries=countries):
            result = LoadResult(dataset=f"{dataset.name}:{rows.name}", table=rows.table, quarantine=part.quarantine,
                                rows_read=part.rows_read, out_of_scope=part.out_of_scope)
            out.append((rows, result))
        return out
    result = load_event_dataset(dataset, data_dir, as_of=as_of, countries=countries)
    published = dataset.released or date.min
    return [(ReleaseRows(str(dataset.options.get("release", dataset.name)), published, result.table), result)]


def load_events(catalog: Catalog, data_dir: str | Path, *, as_of: date, countries: set[str] | str | None = None,
                datasets: list[str] | None = None) -> LoadResult:
    """Load and combine every event dataset of the catalog (or those named).

    Releases are combined in publication order: the latest release of an id wins, and an id
    that a later cumulative Candidate release or final GED (covering its month and country) no
    longer holds is withdrawn.

    Parameters
    ----------
    catalog : Catalog
    data_dir : str or Path
    as_of : date
        The data cut-off: rows dated later are quarantined.
    countries : str or set of str, optional
        ISO3 codes to keep (``"MLI"``, ``"MLI,BFA"`` or a set).
    datasets : list of str, optional
        Only these event datasets.

    Returns
    -------
    LoadResult
        One row per event.
    """
    from sahelrisk.data.sources import checked_arguments
    data_dir, as_of, countries = checked_arguments(data_dir, as_of, countries)
    chosen = [catalog[n] for n in datasets] if datasets else catalog.of_kind("events")
    pairs = [pair for d in chosen for pair in _releases_of(d, data_dir, as_of, countries)]
    table, superseded, withdrawn = combine_releases([rows for rows, _ in pairs])
    results = [result for _, result in pairs]
    for row in superseded.itertuples(index=False):
        log.info("event %s: kept release %s, dropped %s", row.event_id, row.kept_release, row.dropped_release)
    notes = [n for r in results for n in r.notes]
    if len(superseded):
        notes.append(f"{len(superseded)} events appear in several releases; the latest release's row was kept")
    if len(withdrawn):
        notes.append(f"{len(withdrawn)} events were withdrawn by a later release that covers their month")
        for row in withdrawn.itertuples(index=False):
            log.info("event %s withdrawn: held by %s, not by %s", row.event_id, row.release, row.withdrawn_by)
    quarantine = _stack_quarantines(r.quarantine for r in results)
    return LoadResult(dataset="events", table=table, quarantine=quarantine, rows_read=sum(r.rows_read for r in results),
                      out_of_scope=sum(r.out_of_scope for r in results), notes=notes)
