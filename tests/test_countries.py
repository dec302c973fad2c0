import pytest

from sahelrisk.countries import country_codes, get_country, in_scope, iso3_from_gw, to_iso3
from sahelrisk.errors import SpecError


def test_codes_and_names_resolve_to_iso3():
    got = to_iso3(["MLI", "BF", "Niger", "Ivory Coast", "Côte d'Ivoire", "Atlantis", "", None])
    assert got.iloc[:5].tolist() == ["MLI", "BFA", "NER", "CIV", "CIV"]
    assert got.iloc[5:].isna().all()
    assert [iso3_from_gw(g) for g in (432, "439", 436, 999)] == ["MLI", "BFA", "NER", None]


def test_scope_defaults_to_the_registry():
    assert in_scope(["MLI", "AFG", None]).tolist() == [True, False, False]
    assert in_scope(["MLI", "BFA"], {"BFA"}).tolist() == [False, True]


def test_unknown_country_says_where_to_add_it():
    with pytest.raises(SpecError, match="unknown country code 'XYZ'.*countries.toml"):
        get_country("XYZ")


def test_bounding_boxes_contain_their_capitals():
    capitals = {"MLI": (-8.0, 12.65), "BFA": (-1.53, 12.37), "NER": (2.11, 13.51)}
    for iso3, (lon, lat) in capitals.items():
        x0, y0, x1, y1 = get_country(iso3).bbox
        assert x0 < lon < x1 and y0 < lat < y1


@pytest.mark.parametrize("value, codes", [(None, None), ("MLI", {"MLI"}), ("mli, bfa", {"MLI", "BFA"}),
                                          (["NER", "MLI"], {"MLI", "NER"}), (("BEN",), {"BEN"})])
def test_country_codes_take_one_code_a_list_or_none(value, codes):
    assert country_codes(value) == codes


@pytest.mark.parametrize("value, message", [("MLX", "unknown country code 'MLX'"), ([], "countries is empty"),
                                            (7, "countries must be ISO3 codes")])
def test_country_codes_refuse_what_is_not_codes(value, message):
    with pytest.raises(SpecError, match=message):
        country_codes(value)
