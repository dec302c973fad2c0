"""Internally displaced people (IDPs): one row per admin area and reference date.

Layouts (catalog ``layout``):

- ``idmc_country_year``: IDMC GIDD, national IDP stock at the end of each year;
- ``snapshots``: hand-compiled report figures (``admin_level``, ``admin_name``, ``reference_date``,
  ``idps_individuals``);
- ``dtm``: IOM DTM, one row per admin area (and date), either with DTM API names
  (``admin1Pcode``, ``numPresentIdpInd``, ``reportingDate``) or with HXL tags only
  (``#adm1+code``, ``#affected+idps+ind``, ``#date``). A DTM file without a date column takes the
  catalog's ``reference_date``.

Admin names are matched to OCHA p-codes through the gazetteer where the source has none.
"""

from __future__ import annotations

import difflib
from datetime import date
from pathlib import Path

import pandas as pd

from sahelrisk.countries import in_scope, normalize_name, to_iso3
from sahelrisk.data.catalog import Dataset
from sahelrisk.data.quarantine import LoadResult, RowChecker, parse_dates, to_number
from sahelrisk.data.readers import RECORD, read_csv_table, require_columns
from sahelrisk.data.sources._common import stack
from sahelrisk.errors import DataError, DataFileError, SpecError

__all__ = ["load_displacement", "DISPLACEMENT_COLUMNS"]

DISPLACEMENT_COLUMNS = ["country_iso3", "admin_level", "admin_pcode", "admin_name", "reference_date",
                        "idps", "new_displacements", "layout"]
_DTM_NAMES = {  # canonical -> (DTM API column, HXL tag)
    "country_iso3": ("admin0Pcode", "#country+code"),
    "adm1_pcode": ("admin1Pcode", "#adm1+code"), "adm1_name": ("admin1Name", "#adm1+name"),
    "adm2_pcode": ("admin2Pcode", "#adm2+code"), "adm2_name": ("admin2Name", "#adm2+name"),
    "idps": ("numPresentIdpInd", "#affected+idps+ind"), "reference_date": ("reportingDate", "#date"),
}
_DATE_FORMATS = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y"]


def _idmc(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    require_columns(raw, path, ["iso3", "year", "total_displacement"], "IDMC GIDD country-year")
    year = pd.to_numeric(raw["year"], errors="coerce")
    return pd.DataFrame({
        RECORD: raw[RECORD], "country_iso3": raw["iso3"], "admin_level": 0, "admin_pcode": raw["iso3"],
        "admin_name": raw.get("country_name", raw["iso3"]),
        # A year's stock is measured at its end.
        "reference_date": pd.to_datetime(year.astype("Int64").astype("string") + "-12-31", errors="coerce"),
        "_raw_idps": raw["total_displacement"], "_raw_new": raw.get("new_displacement", "")})


def _snapshots(raw: pd.DataFrame, path: Path) -> pd.DataFrame:
    require_columns(raw, path, ["iso3", "admin_level", "admin_name", "reference_date", "idps_individuals"],
                    "IDP snapshots")
    return pd.DataFrame({
        RECORD: raw[RECORD], "country_iso3": raw["iso3"], "admin_level": pd.to_numeric(raw["admin_level"], errors="coerce"),
        "admin_pcode": raw.get("admin_pcode", pd.NA), "admin_name": raw["admin_name"],
        "reference_date": parse_dates(raw["reference_date"], _DATE_FORMATS),
        "_raw_idps": raw["idps_individuals"], "_raw_new": ""})


def _dtm(raw: pd.DataFrame, path: Path, reference_date: str | None) -> pd.DataFrame:
    col = {canon: next((c for c in names if c in raw), None) for canon, names in _DTM_NAMES.items()}
    if col["idps"] is None or col["country_iso3"] is None or (col["adm1_pcode"] or col["adm1_name"]) is None:
        raise DataFileError(path, "lacks the DTM columns for country, admin area and IDP count",
                            "Expected admin0Pcode, admin1Pcode/admin1Name, numPresentIdpInd (DTM API) or the HXL "
                            "tags #country+code, #adm1+code/#adm1+name, #affected+idps+ind")
    level = 2 if col["adm2_pcode"] or col["adm2_name"] else 1
    if col["reference_date"] is not None:
        dates = parse_dates(raw[col["reference_date"]], _DATE_FORMATS)
    elif reference_date is not None:
        dates = pd.Series(pd.Timestamp(reference_date), index=raw.index)
    else:
        raise DataError(f"{path}: the DTM file has no date column; set reference_date for it in the catalog")

    def pick(key: str) -> object:
        return raw[col[key]] if col[key] else pd.NA

    return pd.DataFrame({
        RECORD: raw[RECORD], "country_iso3": pick("country_iso3"), "admin_level": level,
        "admin_pcode": pick(f"adm{level}_pcode"), "admin_name": pick(f"adm{level}_name"),
        "reference_date": dates, "_raw_idps": raw[col["idps"]], "_raw_new": ""})


def _match_pcodes(table: pd.DataFrame, gazetteer: pd.DataFrame | None) -> pd.Series:
    """OCHA p-code of each row: kept if the source's code is in the gazetteer, else by (fuzzy) name."""
    pcodes = table["admin_pcode"].astype("string")
    if gazetteer is None:
        return pcodes
    known = set(gazetteer["pcode"])
    result = pcodes.where(pcodes.isin(known)).mask(table["admin_level"] == 0, table["country_iso3"])
    for idx in result.index[result.isna() & table["admin_name"].notna()]:
        row = table.loc[idx]
        pool = gazetteer[(gazetteer["iso3"] == row["country_iso3"]) &
                         (gazetteer["admin_level"] == str(int(row["admin_level"])))]
        names = {normalize_name(n): p for n, p in zip(pool["name"], pool["pcode"])}
        match = difflib.get_close_matches(normalize_name(row["admin_name"]), list(names), n=1, cutoff=0.85)
        if match:
            result.loc[idx] = names[match[0]]
    return result


def load_displacement(dataset: Dataset, data_dir: str | Path, *, as_of: date,
                      countries: set[str] | None = None, **_: object) -> LoadResult:
    """People displaced per admin area and date (IDMC or DTM layouts), placed by p-code or by name."""
    gazetteer = None
    if "gazetteer" in dataset.options:
        gazetteer = read_csv_table(Path(data_dir) / dataset.options["gazetteer"])
    frames, quarantines, read, out = [], [], 0, 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_csv_table(path, drop_hxl_row=True)
        read += len(raw)
        layout = entry.options.get("layout", "dtm")
        if layout == "idmc_country_year":
            table = _idmc(raw, path)
        elif layout == "snapshots":
            table = _snapshots(raw, path)
        elif layout == "dtm":
            table = _dtm(raw, path, entry.options.get("reference_date"))
        else:
            raise SpecError(f"catalog file {entry.path}: unknown displacement layout {layout!r}; "
                              "use idmc_country_year, snapshots or dtm")
        table["country_iso3"] = to_iso3(table["country_iso3"])
        scope = in_scope(table["country_iso3"], countries)
        out += int((~scope).sum())
        table = table[scope].reset_index(drop=True)
        table["idps"], bad_idps = to_number(table["_raw_idps"])
        table["new_displacements"], _ = to_number(pd.Series(table["_raw_new"], index=table.index).astype("string"))
        table["admin_pcode"] = _match_pcodes(table, gazetteer)
        table["layout"] = layout
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="admin_name")
        checker.flag(bad_idps, "idps", "IDP count is not a number")
        checker.flag(table["idps"].isna() & table["new_displacements"].isna() & ~bad_idps, "idps",
                     "IDP count is empty (not reported in the source)")
        checker.flag(table["idps"] < 0, "idps", "IDP count is negative")
        checker.flag(table["reference_date"].isna(), "reference_date", "reference date is missing or not a date")
        checker.flag(table["reference_date"] > pd.Timestamp(as_of), "reference_date",
                     f"reference date is after the data's as-of {as_of}")
        valid, quarantine = checker.split()
        frames.append(valid[DISPLACEMENT_COLUMNS])
        quarantines.append(quarantine)
    table = pd.concat(frames, ignore_index=True).astype({"admin_level": "Int8", "admin_pcode": "string"})
    return LoadResult(dataset.name, table, stack(quarantines), rows_read=read, out_of_scope=out)
