"""UCDP's published releases: their file names on the download site, what each covers, and
which names to probe for what is new.

UCDP publishes (under ``https://ucdp.uu.se/downloads/``):

- the final GED once a year, in June, covering 1989 up to the previous December:
  ``ged/ged{VV}1-csv.zip`` (``ged251-csv.zip`` holds ``GEDEvent_v25_1.csv``);
- a Candidate file every month, about three weeks after the month ends:
  ``candidateged/GEDEvent_v{YY}_0_{M}.csv`` (month not zero-padded);
- a cumulative Candidate file every quarter: ``candidateged/GEDEvent_v{YY}_01_{YY}_{MM}.csv``.

Later files revise earlier events (same ``id``, new values). Releases are ordered by when they
were published, so the latest release of an id wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

__all__ = ["Release", "ged_release", "monthly_release", "cumulative_release", "release_from_path",
           "release_from_version",
           "candidate_plan", "GED_FLOOR"]

GED_FLOOR = 24  # the first GED version sahelrisk probes for when none is held (GED 24.1: 1989-2023)


@dataclass(frozen=True)
class Release:
    """One UCDP release file.

    Attributes
    ----------
    kind : {"ged", "monthly", "cumulative"}
    name : str
        ``ged_25_1``, ``candidate_26_0_1``, ``candidate_26_01_26_06``.
    path : str
        Relative to the download root, e.g. ``candidateged/GEDEvent_v26_0_1.csv``.
    first, last : date
        The first days of the first and last months it covers.
    published : date
        About when UCDP publishes it: orders releases, the later one's row of an id wins.
    """

    kind: str
    name: str
    path: str
    first: date
    last: date
    published: date

    @property
    def filename(self) -> str:
        """The release's file name on UCDP's site."""
        return self.path.rsplit("/", 1)[-1]

    def covers(self, day: date) -> bool:
        """Whether an event dated ``day`` falls in the months this release covers."""
        month = date(day.year, day.month, 1)
        return self.first <= month <= self.last


def _month_after(year: int, month: int, days: int) -> date:
    """``days`` into the month after ``year-month``: about when a release of that month appears."""
    y, m = (year + 1, 1) if month == 12 else (year, month + 1)
    return date(y, m, days)


def ged_release(version: int) -> Release:
    """The final GED ``{version}.1`` (covers 1989 to December of 20{version - 1})."""
    return Release("ged", f"ged_{version}_1", f"ged/ged{version}1-csv.zip", date(1989, 1, 1),
                   date(2000 + version - 1, 12, 1), date(2000 + version, 6, 1))


def monthly_release(yy: int, month: int) -> Release:
    """The monthly Candidate release ``{yy}.0.{month}`` (events of that month, late ones of earlier)."""
    return Release("monthly", f"candidate_{yy}_0_{month}", f"candidateged/GEDEvent_v{yy}_0_{month}.csv",
                   date(2000 + yy, month, 1), date(2000 + yy, month, 1), _month_after(2000 + yy, month, 20))


def cumulative_release(yy: int, last_month: int) -> Release:
    """The cumulative Candidate release ``{yy}.01.{yy}.{MM}`` (January to ``last_month``)."""
    # Published a day after the monthly file of its last month, which it supersedes.
    return Release("cumulative", f"candidate_{yy}_01_{yy}_{last_month:02d}",
                   f"candidateged/GEDEvent_v{yy}_01_{yy}_{last_month:02d}.csv", date(2000 + yy, 1, 1),
                   date(2000 + yy, last_month, 1), _month_after(2000 + yy, last_month, 21))


_PATTERNS = (
    (re.compile(r"ged(\d\d)1-csv\.zip$"), lambda m: ged_release(int(m[1]))),
    (re.compile(r"GEDEvent_v(\d\d)_1\.csv$"), lambda m: ged_release(int(m[1]))),
    (re.compile(r"GEDEvent_v(\d\d)_01_\1_(\d\d)\.csv$"), lambda m: cumulative_release(int(m[1]), int(m[2]))),
    (re.compile(r"GEDEvent_v(\d\d)_0_(\d{1,2})\.csv$"), lambda m: monthly_release(int(m[1]), int(m[2]))),
)


def release_from_version(version: str) -> Release | None:
    """The release of an API version string: ``25.1`` (GED), ``26.0.7`` (monthly), ``26.01.26.06``."""
    return release_from_path(f"GEDEvent_v{version.replace('.', '_')}.csv")


def release_from_path(path: str) -> Release | None:
    """The release a published file name stands for, or None.

    Examples
    --------
    >>> release_from_path("candidateged/GEDEvent_v26_01_26_06.csv").name
    'candidate_26_01_26_06'
    """
    for pattern, make in _PATTERNS:
        found = pattern.search(path)
        if found:
            return make(found)
    return None


def candidate_plan(year: int, until: date) -> list[Release]:
    """Every Candidate release of ``year`` that can be out by ``until``: the quarterly cumulative
    files and the monthly files, in publication order."""
    yy = year - 2000
    releases = [monthly_release(yy, m) for m in range(1, 13)]
    releases += [cumulative_release(yy, mm) for mm in (3, 6, 9, 12)]
    # A month of slack: UCDP may publish earlier than the usual three weeks.
    soon = date.fromordinal(until.toordinal() + 35)
    return sorted((r for r in releases if r.published <= soon), key=lambda r: (r.published, r.name))
