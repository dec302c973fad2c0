"""Drift and feed health: numbers a test can check by hand; and when the schedule asks to retrain."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sahelrisk.jobs.health import drift_report, feed_health, population_stability
from sahelrisk.jobs.weekly import retrain_reasons


def test_population_stability_is_zero_for_the_same_distribution_and_large_for_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=5000)
    assert population_stability(reference, reference) == pytest.approx(0, abs=1e-9)
    assert population_stability(reference, rng.normal(size=5000)) < 0.02
    assert population_stability(reference, rng.normal(loc=1.5, size=5000)) > 0.25
    # two equal halves: closed form sum((c - r) log(c / r)) over the two bins
    two = population_stability(np.r_[np.zeros(50), np.ones(50)], np.r_[np.zeros(80), np.ones(20)], bins=2)
    assert two == pytest.approx((0.8 - 0.5) * np.log(0.8 / 0.5) + (0.2 - 0.5) * np.log(0.2 / 0.5))


def test_drift_report_compares_the_latest_weeks_with_the_ones_before():
    weeks = pd.date_range("2023-01-02", periods=20, freq="7D")
    panel = pd.DataFrame({"week": np.repeat(weeks, 50), "steady": np.tile(np.arange(50.0), 20)})
    panel["shifted"] = panel["steady"] + np.where(panel["week"] >= weeks[-4], 40.0, 0.0)
    report = {r["feature"]: r for r in drift_report(panel, ["steady", "shifted"])}
    assert report["steady"]["psi"] == pytest.approx(0, abs=1e-9) and not report["steady"]["alert"]
    assert report["shifted"]["alert"]


def test_a_feed_that_stops_is_an_alert_not_a_calm_week():
    dates = pd.to_datetime(["2023-03-01"] * 26 + ["2023-12-20"] * 3)
    events = pd.DataFrame({"has_location": True, "country_iso3": ["MLI"] * 26 + ["BFA"] * 3, "date_start": dates})
    feeds = {f["country"]: f for f in feed_health(events, ["MLI", "BFA"], "2023-12-25")}
    assert feeds["MLI"] == {"country": "MLI", "received": 0, "expected": 2.0, "status": "stopped"}
    assert feeds["BFA"]["status"] == "ok" and feeds["BFA"]["received"] == 3


def test_the_schedule_retrains_every_n_weeks_and_on_a_new_final_ged(small_spec):
    week13 = {"data_end": "2023-09-30"}
    assert retrain_reasons(small_spec, None, date(2023, 12, 31), [], None) == ["no champion yet"]
    assert retrain_reasons(small_spec, {"data_end": "2023-12-24"}, date(2023, 12, 31), [], []) == []
    assert retrain_reasons(small_spec, week13, date(2023, 12, 31), [], [])[0].startswith("13 weeks of data")
    assert retrain_reasons(small_spec, {"data_end": "2023-12-24"}, date(2023, 12, 31), ["ged251"], []) == \
        ["new final GED release ged251"]


def test_a_kept_champion_does_not_make_every_later_week_due(small_spec):
    old_champion = {"data_end": "2023-09-30"}        # the last training's challenger was not promoted
    assert retrain_reasons(small_spec, old_champion, date(2024, 1, 7), [], [], last_trained_end="2024-01-06") == []
    assert retrain_reasons(small_spec, old_champion, date(2024, 1, 7), [], [])          # without it: due
