"""Rows per country against the previous load: a fall to under half is a warning; a later cut-off
or a country out of scope is not compared."""

from datetime import date

import pandas as pd

from sahelrisk.data.row_counts import row_drops, rows_by_country


def test_rows_are_counted_per_country_code():
    table = pd.DataFrame({"country_iso3": ["MLI", "MLI", "NER", None]})
    assert rows_by_country(table) == {"MLI": 2, "NER": 1}
    assert rows_by_country(pd.DataFrame({"x": [1]})) == {}


def test_a_fall_under_half_is_a_drop_and_a_small_dip_is_not():
    before = {"ucdp_ged": {"MLI": 2000, "NER": 600, "BFA": 1500}}
    now = {"ucdp_ged": {"MLI": 999, "NER": 590}}                      # Mali halved, Burkina gone
    drops = row_drops(before, now, previous_as_of="2023-12-31", as_of=date(2024, 1, 7))
    assert [(d.country, d.previous, d.now) for d in drops] == [("BFA", 1500, 0), ("MLI", 2000, 999)]
    assert drops[1].text.startswith("warning: MLI has 999 rows in ucdp_ged, down from 2,000 at the previous load "
                                    "(cut-off 2023-12-31)")


def test_an_earlier_cut_off_or_an_unknown_one_compares_nothing():
    before, now = {"e": {"MLI": 2000}}, {"e": {"MLI": 10}}
    assert row_drops(before, now, previous_as_of="2024-01-07", as_of=date(2023, 12, 31)) == []
    assert row_drops(before, now, previous_as_of=None, as_of=date(2023, 12, 31)) == []


def test_only_countries_in_scope_and_enough_rows_are_compared():
    before, now = {"e": {"MLI": 2000, "TGO": 19}}, {"e": {}}
    assert [d.country for d in row_drops(before, now, previous_as_of="2023-12-31", as_of="2023-12-31")] == ["MLI"]
    assert row_drops(before, now, previous_as_of="2023-12-31", as_of="2023-12-31", countries=["BFA"]) == []
