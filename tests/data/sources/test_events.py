"""Combining event releases into one table."""

from datetime import date

import pandas as pd

from sahelrisk.data.revisions import ReleaseRows
from sahelrisk.data.schemas import to_geoframe
from sahelrisk.data.sources.events import combine_releases, load_events
from tests.conftest import REAL_AS_OF


def _release(ids, release, released, source="ucdp_candidate", best=1.0):
    frame = pd.DataFrame({"event_id": ids, "source": source, "release": release,
                          "date_start": pd.Timestamp("2026-01-10"), "fatalities_best": best,
                          "latitude": 14.0, "longitude": -4.0})
    return ReleaseRows(release, released, to_geoframe(frame))


def test_latest_release_wins_and_each_choice_is_reported():
    older = _release(["1", "2"], "candidate_26_0_1", date(2026, 2, 15), best=1.0)
    newer = _release(["2", "3"], "candidate_26_0_2", date(2026, 3, 15), best=9.0)
    table, superseded, _ = combine_releases([newer, older])
    assert sorted(table["event_id"]) == ["1", "2", "3"]
    assert table.set_index("event_id").loc["2", "fatalities_best"] == 9.0
    assert superseded.to_dict("records") == [
        {"event_id": "2", "dropped_release": "candidate_26_0_1", "kept_release": "candidate_26_0_2"}]


def test_acled_ids_never_collide_with_ucdp_ids():
    ucdp = _release(["7"], "ged_24_1", date(2024, 6, 1), source="ucdp_ged")
    acled = _release(["7"], "acled_2026", date(2026, 1, 1), source="acled")
    table, superseded, _ = combine_releases([ucdp, acled])
    assert len(table) == 2 and superseded.empty


def test_real_releases_combine_with_overlaps_resolved(real_events):
    table = real_events.table
    assert not table.duplicated(["source", "event_id"]).any()
    ucdp_ids = table.loc[table["source"] != "acled", "event_id"]
    assert ucdp_ids.is_unique
    assert any("appear in several releases" in n for n in real_events.notes)
    # an id in both 26.0.1 and 26.0.2 keeps the 26.0.2 row
    both = set(table.loc[table["release"] == "candidate_26_0_2", "event_id"])
    assert len(both) == 246 and table["date_start"].is_monotonic_increasing
    superseded = 4  # Sahel events in two releases (26.0.1 and 26.0.2, or 2025 and 26.0.1)
    assert real_events.rows_read == (real_events.rows_loaded + len(real_events.quarantine)
                                     + real_events.out_of_scope + superseded)


def test_countries_argument_limits_the_scope(real_data, catalog):
    got = load_events(catalog, real_data, as_of=REAL_AS_OF, countries={"MLI"})
    assert set(got.table["country_iso3"]) == {"MLI"}
    assert (got.table["release"] == "ged_24_1").sum() == 2120


def test_one_country_given_as_a_string_keeps_that_countrys_rows(real_data, catalog):
    from datetime import date

    from sahelrisk.data.sources import load_dataset, load_events
    mali = load_events(catalog, real_data, as_of=date(2023, 12, 31), countries="MLI").table
    assert len(mali) > 1000 and set(mali["country_iso3"]) == {"MLI"}      # not the letters M, L, I
    pair = load_dataset("ucdp_ged", real_data, as_of="2023-12-31", countries="MLI,BFA").table
    assert set(pair["country_iso3"]) == {"MLI", "BFA"}
