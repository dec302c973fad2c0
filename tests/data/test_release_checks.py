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
