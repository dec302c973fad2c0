from pathlib import Path

import pandas as pd
import pytest

from sahelrisk.data.readers import (
    RECORD,
    read_csv_table,
    read_table,
    read_vector,
    require_columns,
)
from sahelrisk.errors import DataFileError


def write(tmp_path: Path, name: str, content, mode="w") -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_reads_strings_and_numbers_records(tmp_path):
    frame = read_csv_table(write(tmp_path, "a.csv", "id,x\n1,2.50\n2,\n"))
    assert frame["x"].tolist() == ["2.50", ""]
    assert frame[RECORD].tolist() == [1, 2]


def test_byte_order_mark_is_stripped(tmp_path):
    frame = read_csv_table(write(tmp_path, "bom.csv", "\ufeffid,x\n1,2\n".encode("utf-8")))
    assert list(frame.columns) == [RECORD, "id", "x"]


def test_trailing_comma_extra_empty_field_is_dropped(tmp_path):
    frame = read_csv_table(write(tmp_path, "t.csv", "id,x\n1,2,\n3,4,\n"))
    assert frame[["id", "x"]].values.tolist() == [["1", "2"], ["3", "4"]]


def test_extra_field_with_values_is_an_error_not_a_shift(tmp_path):
    with pytest.raises(DataFileError, match="3 fields but the header names 2"):
        read_csv_table(write(tmp_path, "t.csv", "id,x\n1,2,oops\n"))


def test_quoted_line_breaks_stay_in_one_record(tmp_path):
    frame = read_csv_table(write(tmp_path, "q.csv", 'id,text\n1,"two\nlines"\n2,plain\n'))
    assert frame["text"].tolist() == ["two\nlines", "plain"]
    assert frame[RECORD].tolist() == [1, 2]


def test_hxl_tag_row_is_skipped(tmp_path):
    frame = read_csv_table(write(tmp_path, "h.csv", "id,name\n#id,#name\n1,a\n"))
    assert frame["id"].tolist() == ["1"] and frame[RECORD].tolist() == [1]


@pytest.mark.parametrize("content, message", [
    ("", "file is empty"),
    ("   \n\n", "file is empty"),
    ("id;x\n1;2\n", "semicolon-separated"),
])
def test_unreadable_files_name_the_problem(tmp_path, content, message):
    path = write(tmp_path, "bad.csv", content)
    with pytest.raises(DataFileError, match=message) as info:
        read_csv_table(path)
    assert str(path) in str(info.value)


def test_missing_file_says_how_to_fetch(tmp_path):
    with pytest.raises(DataFileError, match="not found.*sahelrisk data fetch"):
        read_csv_table(tmp_path / "nope.csv")


def test_non_utf8_file_names_the_byte_and_the_fix(tmp_path):
    path = write(tmp_path, "latin.csv", "id,name\n1,S\xe9gou\n".encode("latin-1"))
    with pytest.raises(DataFileError, match=r"not UTF-8 .*byte 0xe9.*Re-save the file as UTF-8"):
        read_csv_table(path)


def test_require_columns_lists_every_missing_column(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    with pytest.raises(DataFileError, match="missing required column\\(s\\) b, c for the demo layout"):
        require_columns(frame, tmp_path / "f.csv", ["a", "b", "c"], "demo")


def test_zipped_csv_is_read_without_extracting(tmp_path):
    import zipfile
    path = tmp_path / "events.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("GEDEvent.csv", "id,x\n1,2\n")
    assert read_table(path)["id"].tolist() == ["1"]
    assert [p.name for p in tmp_path.iterdir()] == ["events.zip"]


def test_broken_workbook_is_a_clear_error(tmp_path):
    with pytest.raises(DataFileError, match="cannot be read as an Excel workbook"):
        read_table(write(tmp_path, "broken.xlsx", b"PK\x03\x04 not really a workbook"))


def test_vector_without_crs_is_refused(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point
    path = tmp_path / "nocrs.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)]).to_file(path)
    with pytest.raises(DataFileError, match="declares no coordinate reference system"):
        read_vector(path)


def test_vector_in_another_crs_is_converted_to_lon_lat(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point
    path = tmp_path / "mercator.gpkg"
    gpd.GeoDataFrame({"a": [1]}, geometry=[Point(-1.53388, 12.36566)], crs="EPSG:4326").to_crs("EPSG:3857").to_file(path)
    frame = read_vector(path)
    assert frame.crs.to_epsg() == 4326
    assert frame.geometry.x.iloc[0] == pytest.approx(-1.53388, abs=1e-6)
    assert frame.geometry.y.iloc[0] == pytest.approx(12.36566, abs=1e-6)


def test_a_file_cut_mid_row_is_reported_as_cut_naming_the_row(tmp_path):
    with pytest.raises(DataFileError, match=r"is cut short: its last row \(row 2\) has 2 of 4 fields and no line end"):
        read_csv_table(write(tmp_path, "cut.csv", "id,country,date_start,best\n1,Mali,2023-01-02,3\n2,Ma"))


def test_a_whole_file_without_a_final_line_end_is_read(tmp_path):
    frame = read_csv_table(write(tmp_path, "whole.csv", "id,x\n1,2\n3,4"))
    assert frame[["id", "x"]].values.tolist() == [["1", "2"], ["3", "4"]]
