"""A release is checked before it is taken: a shrunken one is held back with the reason."""

import pandas as pd
import pytest

from sahelrisk.data.update import check_release
from sahelrisk.errors import DataFileError


def _rows(n):
    return pd.DataFrame({"id": [str(100 + i) for i in range(n)], "latitude": "14.5", "longitude": "-4.2"})


def test_a_normal_release_passes():
    check_release("ged251.csv", _rows(1000), previous_rows=950)


def test_far_fewer_rows_than_the_previous_release_of_its_kind_is_held_back():
    with pytest.raises(DataFileError, match="400 rows in scope against 1000 in the previous release"):
        check_release("ged251.csv", _rows(400), previous_rows=1000)


def test_a_few_odd_rows_do_not_hold_back_a_release_but_one_formula_id_does():
    rows = _rows(1000)
    rows.loc[0, ["latitude", "longitude"]] = "0"         # one stray row: under the 1% share
    rows.loc[1, "id"] = rows.loc[2, "id"]
    check_release("x.csv", rows)
    rows.loc[3, "id"] = "@SUM(A1)"
    with pytest.raises(DataFileError, match="1 event ids are not numbers"):
        check_release("x.csv", rows)


def _previous(countries):
    rows = []
    for country, n in countries.items():
        rows += [{"id": f"{country[:2]}{i}", "country": country, "date_start": f"2026-0{1 + i % 6}-15"} for i in range(n)]
    frame = pd.DataFrame(rows)
    frame["id"] = [str(1000 + i) for i in range(len(frame))]
    return frame


def test_a_release_withdrawing_over_a_tenth_of_a_countrys_events_is_held_back_whatever_its_total():
    previous = _previous({"Mali": 362, "Burkina Faso": 500, "Niger": 200})
    mali = previous[previous["country"] == "Mali"]
    dropped = set(mali["id"].iloc[:270])                  # 270 of Mali's 362: 55% of the whole still held
    new = pd.DataFrame({"id": [i for i in previous["id"] if i not in dropped], "latitude": "14.5", "longitude": "-4.2"})
    assert len(new) > 0.5 * len(previous)                 # the old "under half" check would take it
    with pytest.raises(DataFileError, match=r"would withdraw 270 of Mali's 362 events of the previous release of its "
                                            r"kind \(\d+ of \d+ in 2026-0\d\), more than 10%"):
        check_release("cumulative.csv", new, len(previous), previous=previous)


def test_the_few_withdrawals_ucdp_makes_pass():
    previous = _previous({"Mali": 362, "Niger": 5})
    keep = previous["id"].iloc[20:]                        # 20 of Mali's 362 (5.5%), and Niger's all kept
    new = pd.DataFrame({"id": [*keep, "99999"], "latitude": "14.5", "longitude": "-4.2"})
    check_release("cumulative.csv", new, len(previous), previous=previous)
    tiny = previous[previous["country"] == "Niger"]["id"].iloc[:3]   # 3 of Niger's 5: under the minimum count
    check_release("cumulative.csv", new[~new["id"].isin(tiny)], len(previous), previous=previous)
