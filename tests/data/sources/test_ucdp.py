"""UCDP loaders on the real files and on deliberately broken copies of them."""

from datetime import date

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sahelrisk.data.readers import RECORD, read_csv_table
from sahelrisk.data.sources.ucdp import detect_layout, read_ucdp_events
from sahelrisk.errors import DataFileError
from tests.conftest import REAL_AS_OF
from tests.hostile import HOSTILE_NAME

EXTRACTS = "events/ucdp_ged_v24_1_uemoa_country_extracts"
ARGS = dict(dataset="ucdp_ged", source="ucdp_ged", release="ged_24_1", as_of=REAL_AS_OF)


@pytest.fixture(scope="module")
def mali_rows(real_data) -> pd.DataFrame:
    return read_csv_table(real_data / EXTRACTS / "Mali.csv").drop(columns=RECORD)


@pytest.mark.parametrize("file, iso3, rows, first, last", [
    ("Mali.csv", "MLI", 2120, "1990-06-28", "2023-12-31"),
    ("Burkina.csv", "BFA", 1504, "2016-01-15", "2023-12-30"),
    ("Niger_repaired.csv", "NER", 588, "1989-09-19", "2023-12-29"),
])
def test_country_extracts_match_sources_md(real_data, file, iso3, rows, first, last):
    got = read_ucdp_events(real_data / EXTRACTS / file, **ARGS)
    assert got.rows_read == rows
    assert got.out_of_scope == 0
    assert got.rows_read == len(got.events) + len(got.quarantine)
    assert set(got.events["country_iso3"]) == {iso3}
    dates = pd.concat([got.events["date_start"]])
    assert dates.min() == pd.Timestamp(first) and dates.max() == pd.Timestamp(last)


def test_mali_per_year_counts_and_fatalities_match_sources_md(real_data):
    events = read_ucdp_events(real_data / EXTRACTS / "Mali.csv", **ARGS).events
    per_year = events.groupby(events["date_start"].dt.year).size()
    expected = {2012: 43, 2013: 83, 2014: 30, 2015: 55, 2016: 52, 2017: 126, 2018: 236, 2019: 199,
                2020: 232, 2021: 215, 2022: 408, 2023: 319}
    assert per_year.loc[2012:].to_dict() == expected
    assert per_year.loc[:2011].sum() == 2120 - sum(expected.values())
    assert events["fatalities_best"].sum() == 15742


def test_burkina_and_niger_per_year_counts_match_sources_md(real_data):
    for file, expected in (
        ("Burkina.csv", {2016: 2, 2017: 27, 2018: 65, 2019: 222, 2020: 166, 2021: 191, 2022: 236, 2023: 595}),
        ("Niger_repaired.csv", {2015: 43, 2016: 18, 2017: 17, 2018: 25, 2019: 72, 2020: 68, 2021: 78, 2022: 70, 2023: 97}),
    ):
        got = read_ucdp_events(real_data / EXTRACTS / file, **ARGS)
        # Loaded plus quarantined: every row read is accounted for, year by year.
        years = pd.concat([got.events["date_start"].dt.year,
                           pd.Series([2023] * len(got.quarantine))])  # the one rejected BFA row is a 2023 event
        counts = years.value_counts()
        assert {y: counts.get(y, 0) for y in expected} == expected


def test_burkina_event_outside_burkina_is_quarantined_with_reason(real_data):
    got = read_ucdp_events(real_data / EXTRACTS / "Burkina.csv", **ARGS)
    assert len(got.quarantine) == 1
    row = got.quarantine.iloc[0]
    assert row["id"] == "501478" and row["record"] == 1266
    assert "outside the bounding box of BFA" in row["reason"]


def test_extract_quirks_are_handled(real_data):
    got = read_ucdp_events(real_data / EXTRACTS / "Mali.csv", **ARGS)
    first = got.events.set_index("event_id").loc["235799"]
    # MM/DD/YYYY dates, best_est naming, UCDP type 2 = non-state, the trailing comma not shifting columns
    assert first["date_start"] == pd.Timestamp("2016-05-26")
    assert first["fatalities_best"] == 2 and first["violence_type"] == "non_state"
    assert (first["latitude"], first["longitude"]) == (15.736902, 0.780081)
    assert first["admin2"] == "Ansongo cercle"
    assert got.repaired > 0  # UCDP's own best > high rows are kept with widened bounds
    assert (got.events["fatalities_low"] <= got.events["fatalities_best"]).all()
    assert (got.events["fatalities_best"] <= got.events["fatalities_high"]).all()


def test_broken_niger_file_gets_a_clear_error_pointing_to_the_repair(real_data):
    with pytest.raises(DataFileError, match="semicolon-separated or was re-saved by Excel.*Niger_repaired.csv"):
        read_ucdp_events(real_data / EXTRACTS / "Niger.csv", **ARGS)


def test_candidate_xlsx_and_its_csv_conversion_load_the_same_events(real_data):
    kwargs = dict(dataset="c", source="ucdp_candidate", release="candidate_26_0_2", as_of=REAL_AS_OF)
    xlsx = read_ucdp_events(real_data / "events/ucdp_candidate_v26_0_2/GEDevent_v26_0_2.xlsx", **kwargs)
    csv = read_ucdp_events(real_data / "events/ucdp_candidate_v26_0_2/GEDevent_v26_0_2.csv", **kwargs)
    assert xlsx.rows_read == csv.rows_read == 1298
    cols = ["event_id", "date_start", "country_iso3", "violence_type", "fatalities_best"]
    pd.testing.assert_frame_equal(xlsx.events[cols].reset_index(drop=True), csv.events[cols].reset_index(drop=True))
    assert xlsx.events["latitude"].round(4).equals(csv.events["latitude"].round(4))


def test_candidate_release_keeps_code_status_and_counts_sahel_rows(real_data):
    got = read_ucdp_events(real_data / "events/ucdp_candidate_v26_0_1/GEDEvent_v26_0_1.csv", dataset="c",
                           source="ucdp_candidate", release="candidate_26_0_1", as_of=REAL_AS_OF,
                           countries={"MLI", "BFA", "NER"})
    assert got.rows_read == 1727
    assert got.events.groupby("country_iso3").size().to_dict() == {"BFA": 71, "MLI": 56, "NER": 14}
    mali = got.events[got.events["country_iso3"] == "MLI"]["code_status"].value_counts()
    assert mali["Clear"] == 36 and mali["Check deaths"] == 14


def test_seven_column_extract_loads_without_location(real_data):
    got = read_ucdp_events(real_data / "events/ucdp_candidate_v25_01_25_12_7col/ged_2025.csv", dataset="c",
                           source="ucdp_candidate", release="candidate_25", as_of=REAL_AS_OF,
                           countries={"MLI", "BFA", "NER"})
    assert detect_layout(["id", "conflict_new_id", "conflict_name", "country", "best", "type_of_violence", "date"]) == "short"
    by_country = got.events.groupby("country_iso3")["fatalities_best"].agg(["size", "sum"])
    assert by_country.loc["MLI"].tolist() == [526, 2168]
    assert by_country.loc["BFA"].tolist() == [686, 4392]
    assert by_country.loc["NER"].tolist() == [172, 1338]
    assert not got.events["has_location"].any()
    assert got.events.geometry.isna().all()
    early = got.events[(got.events["country_iso3"] == "MLI") & (got.events["date_start"] < "2025-04-01")]
    assert (len(early), early["fatalities_best"].sum()) == (137, 560)


# --- deliberately broken copies of the real Mali extract ------------------------------------

def _write(frame: pd.DataFrame, path, **kwargs):
    frame.to_csv(path, index=False, **kwargs)
    return path


def _load(path, as_of=REAL_AS_OF):
    return read_ucdp_events(path, dataset="ucdp_ged", source="ucdp_ged", release="ged_24_1", as_of=as_of)


@pytest.mark.parametrize("change, field, reason", [
    (lambda r: r.update(latitude=r["longitude"], longitude=r["latitude"]), "latitude;longitude", "look swapped"),
    (lambda r: r.update(latitude="123.5"), "latitude;longitude", "out of range"),
    (lambda r: r.update(latitude="40.0", longitude="40.0"), "latitude;longitude", "outside the bounding box of MLI"),
    (lambda r: r.update(date_start="01/15/2030 00:00:00", date_end="01/15/2030 00:00:00"), "date_start",
     "after the data's as-of 2026-11-24"),
    (lambda r: r.update(date_start="31/31/2020"), "date_start", "not a date in a known format"),
    (lambda r: r.update(best_est="-3"), "fatalities_best", "fatalities_best is negative"),
    (lambda r: r.update(best_est="many"), "fatalities_best", "fatalities_best is not a number"),
    (lambda r: r.update(type_of_violence="9"), "violence_type", "unknown violence type '9'"),
])
def test_a_broken_row_is_quarantined_and_the_rest_load(tmp_path, mali_rows, change, field, reason):
    rows = mali_rows.copy()
    target = rows.iloc[10].to_dict()
    change(target)
    rows.iloc[10] = pd.Series(target)
    got = _load(_write(rows, tmp_path / "Mali.csv"))
    assert len(got.events) == len(rows) - 1
    assert len(got.quarantine) == 1
    bad = got.quarantine.iloc[0]
    assert bad["record"] == 11 and bad["id"] == rows.iloc[10]["id"]
    assert bad["field"] == field and reason in bad["reason"]
    assert rows.iloc[10]["id"] not in set(got.events["event_id"])


def test_duplicate_ids_keep_the_first_row_and_quarantine_the_repeat(tmp_path, mali_rows):
    rows = pd.concat([mali_rows, mali_rows.iloc[[5]]], ignore_index=True)
    got = _load(_write(rows, tmp_path / "Mali.csv"))
    assert len(got.events) == len(mali_rows)
    assert got.quarantine["reason"].str.contains("duplicate event id .* \\(first seen at record 6\\)").all()
    assert got.quarantine["record"].tolist() == [len(rows)]


def test_missing_column_is_a_file_error_naming_it(tmp_path, mali_rows):
    path = _write(mali_rows.drop(columns=["latitude"]), tmp_path / "Mali.csv")
    with pytest.raises(DataFileError, match=r"Mali.csv: missing required column\(s\) latitude"):
        _load(path)


def test_bom_file_loads_every_row(tmp_path, mali_rows):
    got = _load(_write(mali_rows, tmp_path / "Mali.csv", encoding="utf-8-sig"))
    assert len(got.events) == len(mali_rows)


def test_semicolon_file_is_a_file_error(tmp_path, mali_rows):
    with pytest.raises(DataFileError, match="semicolon"):
        _load(_write(mali_rows, tmp_path / "Mali.csv", sep=";"))


def test_empty_file_is_a_file_error(tmp_path):
    (tmp_path / "Mali.csv").write_text("")
    with pytest.raises(DataFileError, match="Mali.csv: file is empty"):
        _load(tmp_path / "Mali.csv")


def test_header_only_file_loads_nothing(tmp_path, mali_rows):
    got = _load(_write(mali_rows.iloc[:0], tmp_path / "Mali.csv"))
    assert got.rows_read == 0 and len(got.events) == 0 and len(got.quarantine) == 0


def test_as_of_rejects_rows_after_it(real_data):
    got = _load(real_data / EXTRACTS / "Mali.csv", as_of=date(2022, 12, 31))
    assert len(got.events) + len(got.quarantine) == 2120
    assert len(got.quarantine) == 319  # the 2023 events
    assert got.events["date_start"].max() <= pd.Timestamp("2022-12-31")


# --- generated bad rows among good ones: each bad row quarantined with its reason, no good row lost --

BREAK = {
    "swapped coordinates": (lambda r, _: r.update(latitude=r["longitude"], longitude=r["latitude"]), "look swapped"),
    "latitude out of range": (lambda r, _: r.update(latitude="123.5"), "out of range"),
    "outside the country": (lambda r, _: r.update(latitude="40.0", longitude="40.0"), "outside the bounding box"),
    "date after the as-of": (lambda r, _: r.update(date_start="01/15/2030 00:00:00", date_end="01/15/2030 00:00:00"),
                             "after the data's as-of"),
    "date not a date": (lambda r, text: r.update(date_start=text), "not a date"),
    "deaths negative": (lambda r, _: r.update(best_est="-3"), "negative"),
    "deaths not a number": (lambda r, text: r.update(best_est="x" + text), "not a number"),
}
KEEP = {   # changes that leave a row valid: padding, hostile text where text belongs, quotes and line ends
    "padded deaths": lambda r, _: r.update(best_est=f"  {r['best_est']} "),
    "hostile area name": lambda r, text: r.update(adm_2=text),
    "hostile actor": lambda r, text: r.update(side_b=text),
    "quoted text over lines": lambda r, text: r.update(source_article=f'a, "b"\n{text}'),
}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_generated_bad_rows_are_quarantined_and_no_valid_row_is_lost(tmp_path, mali_rows, data):
    picked = data.draw(st.lists(st.integers(0, len(mali_rows) - 1), min_size=3, max_size=30, unique=True))
    rows = mali_rows.iloc[picked].reset_index(drop=True)
    broken = {}
    for i in range(len(rows)):
        kind = data.draw(st.sampled_from([None, *BREAK, *KEEP]))
        if kind is None:
            continue
        row, text = rows.iloc[i].to_dict(), data.draw(HOSTILE_NAME)
        (BREAK[kind][0] if kind in BREAK else KEEP[kind])(row, text)
        rows.iloc[i] = pd.Series(row)
        if kind in BREAK:
            broken[row["id"]] = BREAK[kind][1]
    # CRLF line ends, as Excel writes them: a CR inside a field is then quoted like a line feed
    got = _load(_write(rows, tmp_path / "Mali.csv", lineterminator="\r\n"))
    assert got.rows_read == len(rows) == len(got.events) + len(got.quarantine)
    assert set(got.events["event_id"]) == set(rows["id"]) - set(broken)           # every valid row, and only them
    reasons = dict(zip(got.quarantine["id"], got.quarantine["reason"], strict=True))
    assert set(reasons) == set(broken)
    assert all(broken[i] in reasons[i] for i in broken), reasons
