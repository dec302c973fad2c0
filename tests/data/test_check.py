"""The data check: every dataset loaded and reported; a country given as one code is that country."""

from datetime import date

import pytest

from sahelrisk.data.check import check_data
from sahelrisk.errors import SpecError


def test_one_country_as_a_string_is_that_country_not_its_letters(real_data, catalog, tmp_path):
    one = check_data(catalog, real_data, as_of=date(2023, 12, 31), countries="MLI", datasets="ucdp_ged",
                     out_dir=tmp_path)
    listed = check_data(catalog, real_data, as_of=date(2023, 12, 31), countries=["MLI"], datasets=["ucdp_ged"],
                        out_dir=tmp_path)
    assert one[0].rows_loaded == listed[0].rows_loaded > 2000 and one[0].countries == ["MLI"]


def test_an_unknown_country_is_the_users_error(real_data, catalog):
    with pytest.raises(SpecError, match="unknown country code 'MALI'"):
        check_data(catalog, real_data, as_of=date(2023, 12, 31), countries="MALI")
