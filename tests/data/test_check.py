"""The data check: every dataset loaded and reported; a country given as one code is that country."""

import dataclasses
from datetime import date

import pytest

from sahelrisk.data.catalog import Catalog
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


def test_a_declared_country_in_scope_with_no_row_is_an_error(real_data, catalog, tmp_path):
    ok = check_data(catalog, real_data, as_of=date(2023, 12, 31), countries=["BEN", "MLI"],
                    datasets=["admin1", "admin2"], out_dir=tmp_path)
    assert [r.status for r in ok] == ["ok", "ok"]        # admin2 does not declare Benin
    admin2 = catalog["admin2"]
    claims = dataclasses.replace(admin2, options={**admin2.options, "countries": ["MLI", "BFA", "NER", "BEN"]})
    report = check_data(Catalog({"admin2": claims}), real_data, as_of=date(2023, 12, 31), countries=["BEN", "MLI"],
                        datasets=["admin2"], out_dir=tmp_path)[0]
    assert report.status == "error" and report.message.startswith("declares BEN but no valid row of it loaded")
    out_of_scope = check_data(Catalog({"admin2": claims}), real_data, as_of=date(2023, 12, 31), countries=["MLI"],
                              datasets=["admin2"], out_dir=tmp_path)[0]
    assert out_of_scope.status == "ok"
