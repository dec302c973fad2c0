"""Tables without geometry: UCDP country-month aggregates and cercle population."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sahelrisk.countries import in_scope
from sahelrisk.data.catalog import Dataset
from sahelrisk.data.quarantine import LoadResult, RowChecker, parse_dates, to_number
from sahelrisk.data.readers import read_csv_table, require_columns
from sahelrisk.data.sources._common import stack

__all__ = ["load_country_month", "load_hno_population"]

_COUNT_COLUMNS = {"ucdp_event_count": "events", "ucdp_fatalities_best": "fatalities_best",
                  "ucdp_fatalities_high": "fatalities_high", "ucdp_civilian_deaths": "civilian_deaths",
                  "ucdp_state_based_events": "state_based_events", "ucdp_non_state_events": "non_state_events",
                  "ucdp_one_sided_events": "one_sided_events"}


def load_country_month(dataset: Dataset, data_dir: str | Path, countries: set[str] | None = None, **_: object) -> LoadResult:
    """Country x month counts (``month`` is the month's first day)."""
    frames, quarantines, read, out = [], [], 0, 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_csv_table(path)
        require_columns(raw, path, ["country_iso3", "year_month", *_COUNT_COLUMNS], "UCDP country-month panel")
        read += len(raw)
        keep = in_scope(raw["country_iso3"], countries)
        out += int((~keep).sum())
        raw = raw[keep].reset_index(drop=True)
        table = pd.DataFrame({"_record": raw["_record"], "country_iso3": raw["country_iso3"],
                              "month": parse_dates(raw["year_month"], ["%Y-%m"])})
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="country_iso3")
        for src, canon in _COUNT_COLUMNS.items():
            table[canon], bad = to_number(raw[src])
            checker.flag(bad | (table[canon] < 0), canon, f"{canon} is not a non-negative number")
        checker.flag(table["month"].isna(), "year_month", "year_month is not YYYY-MM")
        valid, quarantine = checker.split()
        frames.append(valid.drop(columns="_record"))
        quarantines.append(quarantine)
    return LoadResult(dataset.name, pd.concat(frames, ignore_index=True), stack(quarantines), rows_read=read,
                      out_of_scope=out)


def load_hno_population(dataset: Dataset, data_dir: str | Path, **_: object) -> LoadResult:
    """ADM2 population and people in need (HXL-tagged OCHA HNO table)."""
    frames, quarantines, read = [], [], 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_csv_table(path)
        found = next((c for c in raw.columns if c.startswith("#population+y")), None)
        require_columns(raw, path, ["#adm2+code", "#adm2+name", "#inneed", found or "#population+y<year>"],
                        "OCHA HNO population (HXL)")
        year_tag = str(found)   # require_columns refused a file without it
        read += len(raw)
        table = pd.DataFrame({"_record": raw["_record"], "adm2_pcode": raw["#adm2+code"], "name": raw["#adm2+name"],
                              "year": int(year_tag.removeprefix("#population+y"))})
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="adm2_pcode")
        for src, canon in ((year_tag, "population"), ("#inneed", "people_in_need")):
            table[canon], bad = to_number(raw[src])
            checker.flag(bad | (table[canon] < 0), canon, f"{canon} is not a non-negative number")
        checker.flag(table["adm2_pcode"].duplicated(), "adm2_pcode", "duplicate p-code")
        valid, quarantine = checker.split()
        frames.append(valid.drop(columns="_record"))
        quarantines.append(quarantine)
    return LoadResult(dataset.name, pd.concat(frames, ignore_index=True), stack(quarantines), rows_read=read)
