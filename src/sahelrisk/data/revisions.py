"""Revisions between releases, made explicit.

- The row of the latest release of an id wins (releases ordered by publication).
- An id that a later cumulative Candidate release, or the final GED, covering its month and its
  country no longer holds is withdrawn: UCDP dropped or merged it.
- Each update reports, per country, the ids added, revised (and which fields) and withdrawn.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

__all__ = ["ReleaseRows", "resolve_releases", "diff_events", "RevisionReport", "COMPARED_FIELDS"]

# The fields a revision is reported on: those features, targets and maps read.
COMPARED_FIELDS = ("date_start", "date_end", "date_precision", "latitude", "longitude", "geo_precision",
                   "country_iso3", "violence_type", "actor1", "actor2", "fatalities_best", "fatalities_low",
                   "fatalities_high", "code_status")


@dataclass(frozen=True)
class ReleaseRows:
    """The canonical rows of one release and what it is.

    ``withdraws`` is true for releases that re-state whole months (cumulative Candidate, final
    GED): an id they leave out in a month and country they cover is withdrawn.
    """

    name: str
    published: date
    table: pd.DataFrame
    withdraws: bool = False
    first: date | None = None
    last: date | None = None


def _covered(dates: pd.Series, first: date, last: date) -> pd.Series:
    months = dates.dt.to_period("M").dt.to_timestamp()
    return (months >= pd.Timestamp(first)) & (months <= pd.Timestamp(last))


def resolve_releases(releases: list[ReleaseRows], key: str = "event_id") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Combine releases in publication order.

    Parameters
    ----------
    releases : list of ReleaseRows
        Canonical event tables (``event_id``, ``date_start``, ``country_iso3``...).
    key : str
        The column that identifies an event across releases.

    Returns
    -------
    events : pandas.DataFrame
        One row per id: the latest release's.
    withdrawn : pandas.DataFrame
        ``event_id``, ``country_iso3``, ``date_start``, ``release`` (where it was last held) and
        ``withdrawn_by``.

    Examples
    --------
    >>> a = pd.DataFrame({"event_id": ["1", "2"], "country_iso3": "MLI",
    ...                   "date_start": pd.to_datetime(["2026-01-05", "2026-01-20"]), "release": "m1"})
    >>> b = a.iloc[[0]].assign(release="q1")
    >>> events, gone = resolve_releases([ReleaseRows("m1", date(2026, 2, 20), a),
    ...     ReleaseRows("q1", date(2026, 4, 21), b, True, date(2026, 1, 1), date(2026, 3, 1))])
    >>> list(events["event_id"]), list(gone["event_id"])
    (['1'], ['2'])
    """
    ordered = sorted(releases, key=lambda r: (r.published, r.name))
    current = None
    withdrawn = []
    for rel in ordered:
        rows = rel.table
        if current is None:
            current = rows.copy()
            continue
        if rel.withdraws and rel.first is not None and rel.last is not None and len(rows):
            gone = (_covered(current["date_start"], rel.first, rel.last)
                    & current["country_iso3"].isin(rows["country_iso3"].unique())
                    & ~current[key].isin(rows[key]))
            if gone.any():
                withdrawn.append(current.loc[gone, ["event_id", "country_iso3", "date_start", "release"]]
                                 .assign(withdrawn_by=rel.name))
                current = current.loc[~gone]
        current = pd.concat([current.loc[~current[key].isin(rows[key])], rows], ignore_index=True)
    if current is None:
        current = pd.DataFrame(columns=["event_id", "country_iso3", "date_start", "release"])
    gone = (pd.concat(withdrawn, ignore_index=True) if withdrawn else
            pd.DataFrame(columns=["event_id", "country_iso3", "date_start", "release", "withdrawn_by"]))
    return current.sort_values(["date_start", "event_id"], kind="stable").reset_index(drop=True), gone


@dataclass
class RevisionReport:
    """What an update changed, per country: ids added, revised (with the fields) and withdrawn."""

    added: dict[str, int] = field(default_factory=dict)
    revised: dict[str, int] = field(default_factory=dict)
    withdrawn: dict[str, int] = field(default_factory=dict)
    fields: dict[str, int] = field(default_factory=dict)
    withdrawn_ids: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing added, revised or withdrawn."""
        return not (self.added or self.revised or self.withdrawn)

    def lines(self) -> list[str]:
        """One line per country, for the console and the log."""
        out = []
        for country in sorted({*self.added, *self.revised, *self.withdrawn}):
            out.append(f"{country}: {self.added.get(country, 0)} added, {self.revised.get(country, 0)} revised, "
                       f"{self.withdrawn.get(country, 0)} withdrawn")
        if self.fields:
            out.append("revised fields: " + ", ".join(f"{k} {v}" for k, v in sorted(self.fields.items())))
        return out

    def to_dict(self) -> dict:
        """The counts per country, as written in the update report."""
        return {"added": self.added, "revised": self.revised, "withdrawn": self.withdrawn,
                "revised_fields": self.fields, "withdrawn_ids": self.withdrawn_ids}


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    both_missing = a.isna() & b.isna()
    return both_missing | (a == b).fillna(False)


def diff_events(before: pd.DataFrame, after: pd.DataFrame) -> RevisionReport:
    """Ids added, revised and withdrawn between two resolved event tables, per country.

    Parameters
    ----------
    before, after : pandas.DataFrame
        Resolved canonical events (one row per ``event_id``).

    Returns
    -------
    RevisionReport
    """
    report = RevisionReport()
    old = before.set_index("event_id")
    new = after.set_index("event_id")
    added = new.index.difference(old.index)
    gone = old.index.difference(new.index)
    both = new.index.intersection(old.index)
    report.added = {str(k): int(v) for k, v in new.loc[added, "country_iso3"].value_counts().items()}
    report.withdrawn = {str(k): int(v) for k, v in old.loc[gone, "country_iso3"].value_counts().items()}
    report.withdrawn_ids = sorted(str(i) for i in gone)
    changed = pd.Series(False, index=both)
    fields: Counter[str] = Counter()
    for column in COMPARED_FIELDS:
        if column in new and column in old:
            differs = ~_same(old.loc[both, column], new.loc[both, column])
            fields[column] = int(differs.sum())
            changed |= differs
    report.fields = {k: v for k, v in fields.items() if v}
    report.revised = {str(k): int(v) for k, v in new.loc[changed[changed].index, "country_iso3"].value_counts().items()}
    return report
