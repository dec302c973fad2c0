"""The track record's arithmetic on hand-made weeks."""

import numpy as np
import pandas as pd

from sahelrisk.evaluation.track_record import called, rolling_summary, tier_reliability, week_record
from sahelrisk.scoring.week import TIER_CUTS, TIERS


def _rows(n_weeks=6, seed=3):
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2023-01-02", periods=n_weeks, freq="7D")
    frames = []
    for w in weeks:
        p = rng.uniform(0, 0.6, 40)
        frames.append(pd.DataFrame({"week": w, "unit_id": range(40), "country_iso3": ["MLI"] * 20 + ["BFA"] * 20,
                                    "probability": p, "outcome": (rng.uniform(size=40) < p).astype(float),
                                    "rule_decay": p + rng.normal(0, 0.3, 40), "flag_hdx_signal": [1] * 10 + [0] * 30,
                                    "flag_surge": 0}))
    rows = pd.concat(frames, ignore_index=True)
    from sahelrisk.scoring.week import risk_tier
    rows["risk_tier"] = risk_tier(rows["probability"])
    return rows


def test_a_history_rule_is_given_as_many_calls_as_the_model_each_week():
    rows = _rows()
    mine, theirs = called(rows), called(rows, "rule_decay")
    for week in rows["week"].unique():
        at = (rows["week"] == week).to_numpy()
        assert mine[at].sum() == theirs[at].sum() > 0
    assert called(rows, "flag_hdx_signal").sum() == 10 * 6 and not called(rows, "flag_surge").any()


def test_a_week_counts_the_units_with_an_event_that_each_caller_called():
    rows = _rows(1)
    record = week_record(rows)
    y = rows["outcome"].to_numpy() > 0
    assert record["positives"] == y.sum()
    assert record["calls"]["model"]["caught"] == (rows["risk_tier"].isin(["high", "very high"]).to_numpy() & y).sum()
    assert record["calls"]["flag_hdx_signal"] == {"called": 10, "caught": int(y[:10].sum())}
    assert 0 <= record["ap"] <= 1 and set(record["rule_ap"]) == {"rule_decay"}


def test_the_tiers_say_how_often_each_saw_an_event():
    rows = _rows()
    tiers = {t["tier"]: t for t in tier_reliability(rows, TIERS, TIER_CUTS)}
    assert sum(t["units"] for t in tiers.values()) == len(rows)
    high = rows[rows["risk_tier"] == "high"]
    assert tiers["high"]["share"] == round(high["outcome"].mean(), 4) and tiers["high"]["low"] == 0.10


def test_rolling_windows_cover_the_last_weeks_per_country_with_an_interval_around_the_difference():
    rows = _rows(6)
    summary = rolling_summary(rows, windows=(4, 52), resamples=200)
    first = summary[0]
    assert (first["window_weeks"], first["weeks"], first["scope"]) == (4, 4, "all")
    assert first["first_week"] == "2023-01-16" and first["last_week"] == "2023-02-06"
    assert [s["scope"] for s in summary[:3]] == ["all", "BFA", "MLI"]
    gap = first["versus"]["rule_decay"]
    assert gap["low"] <= gap["difference"] <= gap["high"]
    assert summary[3]["weeks"] == 6    # 52 asked, 6 verified


def test_one_verified_week_gives_the_difference_and_claims_no_interval():
    gap = rolling_summary(_rows(1), windows=(4,))[0]["versus"]["rule_decay"]
    assert gap["difference"] is not None and gap["low"] is None and gap["high"] is None
