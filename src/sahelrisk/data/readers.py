"""Reading tabular files at the edge: one clear error per unreadable file.

Every reader returns string columns (no type guessing) plus ``_record``, the 1-based number of
the data record in the file (after the header, not counting an HXL tag row), so validation can
name the row it rejects. Line numbers are not used because quoted fields may hold line breaks.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.errors import DataFileError

__all__ = ["read_csv_table", "read_xlsx_table", "read_table", "read_vector", "require_columns", "RECORD"]

RECORD = "_record"
_FETCH_HINT = "Run 'sahelrisk data fetch' or check --data / SAHELRISK_DATA"


def _check_file(path: Path) -> bytes:
    if not path.exists():
        raise DataFileError(path, "file not found", _FETCH_HINT)
    if path.is_dir():
        raise DataFileError(path, "is a directory, expected a file", "Point the catalog entry at a file")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataFileError(path, "file is empty", "Download it again ('sahelrisk data fetch') or remove it from the catalog")
    return raw


def _decode(path: Path, raw: bytes) -> str:
    try:
        # utf-8-sig strips a byte-order mark, which Excel adds on "CSV UTF-8" exports.
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataFileError(
            path, f"is not UTF-8 text (byte 0x{raw[e.start]:02x} at offset {e.start})",
            "Re-save the file as UTF-8 (for example in LibreOffice: Save As, Character set UTF-8)") from e


def read_csv_table(path: str | Path, *, drop_hxl_row: bool = True) -> pd.DataFrame:
    """Read a comma-separated file into string columns.

    Handles a byte-order mark, quoted line breaks, an HXL hashtag row under the header, and
    rows with one empty field more than the header (a trailing comma, as in the UCDP country
    extracts). Anything else that is not a plain CSV raises :class:`DataFileError`.
    """
    path = Path(path)
    return _parse_csv_text(path, _decode(path, _check_file(path)), drop_hxl_row)


def _parse_csv_text(path: Path, text: str, drop_hxl_row: bool) -> pd.DataFrame:
    header = next(csv.reader(io.StringIO(text)))
    if any(";" in name for name in header):
        raise DataFileError(
            path, "header holds ';' - the file is semicolon-separated or was re-saved by Excel",
            "Export it again as comma-separated CSV (a UCDP extract broken this way has a repaired "
            "copy, e.g. Niger_repaired.csv)")
    try:
        frame = pd.read_csv(io.StringIO(text), header=None, skiprows=1, dtype=str,
                            keep_default_na=False, na_filter=False, skip_blank_lines=True)
    except (pd.errors.ParserError, csv.Error) as e:
        raise DataFileError(path, f"is not a well-formed CSV ({' '.join(str(e).split())})",
                            "Check the reported line for an unquoted comma or a stray quote") from e
    except pd.errors.EmptyDataError:
        frame = pd.DataFrame(columns=range(len(header)), dtype=str)
    _check_not_cut(path, text, len(header), len(frame))
    extra = frame.shape[1] - len(header)
    if extra == 1 and (frame.iloc[:, -1] == "").all():
        frame = frame.iloc[:, :-1]
    elif extra != 0:
        raise DataFileError(path, f"rows have {frame.shape[1]} fields but the header names {len(header)}",
                            "Fix the header so it names every column")
    frame.columns = header
    if len(set(header)) != len(header):
        dupes = sorted({h for h in header if header.count(h) > 1})
        raise DataFileError(path, f"header repeats column(s) {dupes}", "Rename the repeated columns")
    frame.insert(0, RECORD, range(1, len(frame) + 1))
    if drop_hxl_row and len(frame) and _is_hxl_row(frame.iloc[0, 1:]):
        frame = frame.iloc[1:].reset_index(drop=True)
        frame[RECORD] -= 1
    return frame


def _is_hxl_row(values: pd.Series) -> bool:
    filled = [v for v in values if v != ""]
    return bool(filled) and all(v.startswith("#") for v in filled)


def read_xlsx_table(path: str | Path, sheet: int | str = 0) -> pd.DataFrame:
    """Read one sheet of an .xlsx workbook into string columns, like :func:`read_csv_table`."""
    path = Path(path)
    _check_file(path)
    try:
        frame = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False, na_filter=False)
    except Exception as e:  # openpyxl raises many unrelated types for a broken workbook
        raise DataFileError(path, f"cannot be read as an Excel workbook ({e})",
                            "Open and re-save it in Excel/LibreOffice, or export the sheet to CSV") from e
    frame.columns = [str(c) for c in frame.columns]
    frame.insert(0, RECORD, range(1, len(frame) + 1))
    return frame


def _check_not_cut(path: Path, text: str, fields: int, rows: int) -> None:
    """A file whose last record is short and has no line end was cut (a download or copy that
    stopped): an error naming the row, not a file read as if whole."""
    if not text or text.endswith(("\n", "\r")):
        return
    tail = deque(csv.reader(io.StringIO(text)), maxlen=1)    # the last record, quoted line breaks and all
    last = tail[0] if tail else None
    if last is not None and rows and 0 < len(last) < fields:
        raise DataFileError(path, f"is cut short: its last row (row {rows}) has {len(last)} of {fields} fields and "
                                  "no line end", "Download or copy the file again ('sahelrisk data fetch')")


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, a zipped CSV, an XLSX or a Parquet file (string columns) by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        _check_file(path)
        frame = pd.read_parquet(path)
        if RECORD not in frame:
            frame.insert(0, RECORD, range(1, len(frame) + 1))
        return frame
    if suffix in {".xlsx", ".xlsm"}:
        return read_xlsx_table(path)
    if suffix == ".zip":
        import zipfile
        raw = _check_file(path)
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith(".csv")]
            if len(members) != 1:
                raise DataFileError(path, f"holds {len(members)} CSV files, expected exactly one",
                                    "Extract the CSV you want and point the catalog at it")
            member = path / members[0]  # names the member in errors
            return _parse_csv_text(member, _decode(member, archive.read(members[0])), True)
    return read_csv_table(path)


def require_columns(frame: pd.DataFrame, path: str | Path, required: Iterable[str], layout: str) -> None:
    """Raise a :class:`DataFileError` naming every required column the file lacks."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataFileError(path, f"missing required column(s) {', '.join(missing)} for the {layout} layout",
                            f"The {layout} layout needs: {', '.join(required)}. Check that the file is the "
                            "right export and that its header row is intact")


_LONLAT_FORMATS = {".geojson", ".json", ".topojson"}


def _looks_lon_lat(frame: pd.DataFrame) -> bool:
    if frame.empty:
        return True
    x0, y0, x1, y1 = frame.total_bounds
    return -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90


def read_vector(path: str | Path, *, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a vector file (GeoJSON, TopoJSON, GeoPackage, Shapefile, GeoParquet) in EPSG:4326.

    A layer without a declared CRS is refused rather than assumed to be lon/lat: a risk score
    computed in the wrong CRS is silently wrong.
    """
    import geopandas as gpd

    path = Path(path)
    _check_file(path)
    try:
        if path.suffix.lower() == ".parquet":
            frame = gpd.read_parquet(path)
        else:
            frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception as e:  # pyogrio/GDAL raise their own error types per driver
        raise DataFileError(path, f"cannot be read as a vector layer ({e})",
                            "Check that the file is complete GeoJSON/GeoPackage/Shapefile; download it again if unsure") from e
    if frame.crs is None and path.suffix.lower() in _LONLAT_FORMATS and _looks_lon_lat(frame):
        # (Topo)GeoJSON coordinates are WGS84 lon/lat by specification; GDAL just does not say so for TopoJSON.
        frame = frame.set_crs("EPSG:4326")
    if frame.crs is None:
        raise DataFileError(path, "declares no coordinate reference system",
                            "Declare the CRS in the file (e.g. add a .prj to a shapefile) or re-export it as GeoJSON (EPSG:4326)")
    if frame.crs.to_epsg() != 4326:
        frame = frame.to_crs("EPSG:4326")
    frame.insert(0, RECORD, range(1, len(frame) + 1))
    return frame
