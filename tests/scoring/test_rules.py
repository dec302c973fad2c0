"""What the simple rules said, on hand-made cases."""

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from sahelrisk.scoring.rules import history_rules, practice_rules, signal_levels, surge_flags

WEEK = pd.Timestamp("2023-06-05")          # its Sunday is 2023-06-11


def _events(rows):
    frame = pd.DataFrame(rows, columns=["date_start", "fatalities_best", "country_iso3", "longitude", "latitude"])
    frame["date_start"] = pd.to_datetime(frame["date_start"])
    frame["has_location"] = True
    return frame


def test_a_country_at_a_one_year_high_of_at_least_100_deaths_is_signalled():
    quiet_year = [("2022-08-01", 60, "MLI", 0, 0)]                       # the year's highest 30 days: 60
    assert signal_levels(_events([*quiet_year, ("2023-06-10", 120, "MLI", 0, 0)]), "country_iso3", WEEK)["MLI"] == 3
    earlier_peak = [("2021-03-01", 500, "MLI", 0, 0)]                     # higher three years back, not within one
    assert signal_levels(_events([*earlier_peak, *quiet_year, ("2023-06-10", 120, "MLI", 0, 0)]),
                         "country_iso3", WEEK)["MLI"] == 1
    assert signal_levels(_events([("2023-06-10", 99, "MLI", 0, 0)]), "country_iso3", WEEK)["MLI"] == 0   # under 100
    higher = [("2022-11-01", 300, "MLI", 0, 0)]
    assert signal_levels(_events([*higher, ("2023-06-10", 120, "MLI", 0, 0)]), "country_iso3", WEEK)["MLI"] == 0
    # an event after the week's end is not known to the rule
    assert signal_levels(_events([("2023-06-12", 400, "MLI", 0, 0)]), "country_iso3", WEEK).get("MLI", 0) == 0


def test_a_surge_is_a_week_at_least_twice_the_mean_of_the_four_before_that_mean_at_least_one():
    before = [(d, 1, "MLI", 0, 0) for d in ("2023-05-10", "2023-05-17", "2023-05-24", "2023-05-31")]   # 1 a week
    twice = [("2023-06-06", 1, "MLI", 0, 0), ("2023-06-07", 1, "MLI", 0, 0)]
    assert surge_flags(_events([*before, *twice]), "country_iso3", WEEK)["MLI"] == 1
    assert surge_flags(_events([*before, twice[0]]), "country_iso3", WEEK)["MLI"] == 0
    sparse = [("2023-05-10", 1, "MLI", 0, 0)]                                # mean 0.25: no surge from nothing
    assert surge_flags(_events([*sparse, *twice]), "country_iso3", WEEK)["MLI"] == 0


def test_units_take_the_stronger_flag_of_their_country_and_their_adm1_area():
    adm1 = gpd.GeoDataFrame({"pcode": ["ML01", "ML02"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
                            crs="EPSG:4326")
    before = [(d, 1, "MLI", 1.5, 0.5) for d in ("2023-05-10", "2023-05-17", "2023-05-24", "2023-05-31")]
    events = _events([("2023-06-10", 150, "MLI", 0.5, 0.5), *before, ("2023-06-06", 1, "MLI", 1.5, 0.5),
                      ("2023-06-07", 1, "MLI", 1.5, 0.5)])
    units = pd.DataFrame({"unit_id": [1, 2, 3], "country_iso3": ["MLI", "MLI", "NER"],
                          "adm1_pcode": ["ML01", "ML02", "NE01"]})
    flags = practice_rules(events, units, adm1, WEEK).set_index("unit_id")
    assert flags.loc[1, "flag_hdx_signal"] == 3 and flags.loc[2, "flag_hdx_signal"] == 3   # the country's 156 deaths
    assert flags.loc[3, "flag_hdx_signal"] == 0
    assert list(flags["flag_surge"]) == [0, 1, 0]


def test_history_rules_are_the_baselines_raw_scores_for_the_columns_the_panel_has():
    panel = pd.DataFrame({"unit_id": [1, 2], "conflict_events_hl26w": [0.0, 2.0], "conflict_events_queen_52w": [52, 0],
                          "conflict_events_52w": [0, 10], "conflict_events_4w": [0, 1]})
    rules = history_rules(panel, horizon=4)
    assert list(rules.columns) == ["unit_id", "rule_rate52", "rule_decay", "rule_decay_neighbours", "flag_persistence"]
    assert list(rules["flag_persistence"]) == [0, 1]
    np.testing.assert_allclose(rules["rule_decay_neighbours"], [0.5, 2.0])
    assert "rule_decay" not in history_rules(panel.drop(columns="conflict_events_hl26w"), 4)
