"""Rows per country, against the previous load: a country whose rows fall far below what the last
load held is a warning, since a file cut at a line boundary or a feed that lost a country loads
without error and reads as calm.

Data only grows as the cut-off moves forward, so loads are compared only when the new cut-off is
not earlier than the previous one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

import pandas as pd

__all__ = ["RowDrop", "rows_by_country", "row_drops", "DROP_SHARE", "MIN_PREVIOUS_ROWS"]

DROP_SHARE = 0.5           # "far below": under half of the previous load
MIN_PREVIOUS_ROWS = 20     # fewer rows than this are too few to call a fall


@dataclass(frozen=True)
class RowDrop:
    """One country's rows of one dataset, far below the previous load.

    Attributes
    ----------
    dataset, country : str
        The dataset (or ``events`` for the merged events) and the ISO3 code.
    previous, now : int
        Rows at the previous load and now.
    previous_as_of : str
        The cut-off of the previous load.
    """

    dataset: str
    country: str
    previous: int
    now: int
    previous_as_of: str

    @property
    def text(self) -> str:
        """One line: what fell, by how much, and what to check."""
        return (f"warning: {self.country} has {self.now:,} rows in {self.dataset}, down from {self.previous:,} at the "
                f"previous load (cut-off {self.previous_as_of}); check that its files are whole "
                "('sahelrisk data update' brings in fresh ones)")


def rows_by_country(table: pd.DataFrame) -> dict[str, int]:
    """Rows per ISO3 code in ``country_iso3`` (empty when the table has no such column)."""
    if "country_iso3" not in table:
        return {}
    counts = table["country_iso3"].dropna().astype(str).value_counts()
    return {str(k): int(v) for k, v in sorted(counts.items())}


def row_drops(previous: Mapping[str, Mapping[str, int]], now: Mapping[str, Mapping[str, int]], *,
              previous_as_of: date | str | None, as_of: date | str,
              countries: Iterable[str] | None = None) -> list[RowDrop]:
    """The countries whose rows fell under :data:`DROP_SHARE` of the previous load.

    Parameters
    ----------
    previous, now : mapping
        ``{dataset: {country: rows}}`` at the previous load and now.
    previous_as_of, as_of : date or str
        The two cut-offs; nothing is compared when the previous one is unknown or later.
    countries : iterable of str, optional
        Only these countries (the scope of the load now; None: all).

    Returns
    -------
    list of RowDrop
        Sorted by dataset and country; a country missing now counts as 0 rows.
    """
    if previous_as_of is None or pd.Timestamp(previous_as_of) > pd.Timestamp(as_of):
        return []
    scope = None if countries is None else set(countries)
    drops = []
    for dataset in sorted(set(previous) & set(now)):
        for country, before in sorted(previous[dataset].items()):
            if scope is not None and country not in scope:
                continue
            rows = int(now[dataset].get(country, 0))
            if before >= MIN_PREVIOUS_ROWS and rows < DROP_SHARE * before:
                drops.append(RowDrop(dataset, country, int(before), rows, str(previous_as_of)))
    return drops
