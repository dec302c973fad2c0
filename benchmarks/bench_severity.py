"""How deadly, backtested: the predictive distribution of deaths per cell over the next 4 weeks
on the rolling origins of the registered spec (2020-2023), against simple benchmarks.

Model: the hurdle of ``sahelrisk.modeling.severity`` (the blend's calibrated probability of any
death x 1 + a negative binomial count fitted per fold on that fold's training rows). Benchmarks,
in the spirit of the ViEWS prediction challenge's, on the same cells and weeks: ``zero``;
``last`` (the cell's deaths of the past 4 weeks with Poisson noise); ``conflictology`` (the
cell's own 4-week death counts of the past year, 13 of them, resampled). Scores per cell-week
over 100 draws: CRPS (scoringrules), the ignorance score on the challenge's bins, the 90%
interval score and its coverage; the Brier score and reliability of P(>= 10) and P(>= 25).

Prints tables and writes benchmarks/severity.json. Run: .venv/bin/python benchmarks/bench_severity.py
(about 6 minutes: one backtest of the blend).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.evaluation.intervals import resample_sums, summary

ROOT = Path(__file__).resolve().parents[1]
H = 4
DRAWS = 100


def _past_windows(frame: pd.DataFrame) -> np.ndarray:
    """Per row, the cell's 13 non-overlapping 4-week death counts of the past year (rows x 13)."""
    wide = frame.pivot_table(index="week", columns="unit_id", values="conflict_fatalities_4w", aggfunc="first")
    lags = [wide.shift(4 * k) for k in range(13)]
    stacked = np.stack([lag.stack(future_stack=True).reindex(
        pd.MultiIndex.from_frame(frame[["week", "unit_id"]])).to_numpy() for lag in lags], axis=1)
    return np.nan_to_num(stacked)


def fold_count_model(frame: pd.DataFrame, start: pd.Timestamp, deaths: str, horizon: int, train_start):
    """The count model of a fold whose test weeks start at ``start``: fitted on the training weeks
    whose ``horizon``-week deaths ``deaths`` were known by then. Returns it and its training rows."""
    from sahelrisk.modeling.severity import SeverityModel
    train = frame[(frame["week"] + pd.Timedelta(weeks=horizon) <= start) & frame[deaths].notna()
                  & (frame["week"] >= pd.Timestamp(train_start))]
    return SeverityModel().fit(train, train[deaths]), train


def main() -> None:
    import scoringrules

    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.evaluation.metrics import reliability_table
    from sahelrisk.evaluation.views_protocol import ignorance, interval_score
    from sahelrisk.modeling.frame import prepare_frame
    from sahelrisk.modeling.severity import THRESHOLDS, SeverityModel
    from sahelrisk.modeling.spec import load_training_spec

    spec = load_training_spec(ROOT / "training/default.toml")
    tf = prepare_frame(spec, resolve_data_dir(None, cwd=ROOT))
    preds = run_backtests(spec, tf, [H]).predictions[H]
    frame = tf.frame
    target = f"target_fatalities_{H}w"
    rows = preds[["unit_id", "week", "fold", "p_model"]].merge(
        frame[["unit_id", "week", target, *SeverityModel().features, "conflict_fatalities_4w"]], on=["unit_id", "week"])
    rows = rows.dropna(subset=[target]).reset_index(drop=True)
    past = _past_windows(frame)
    index = pd.MultiIndex.from_frame(frame[["week", "unit_id"]])
    past = pd.DataFrame(past, index=index).reindex(pd.MultiIndex.from_frame(rows[["week", "unit_id"]])).to_numpy()
    rng = np.random.default_rng(0)
    samples = {"model": np.zeros((len(rows), DRAWS)), "zero": np.zeros((len(rows), DRAWS)),
               "last": rng.poisson(np.repeat(rows["conflict_fatalities_4w"].to_numpy()[:, None], DRAWS, axis=1)),
               "conflictology": np.take_along_axis(past, rng.integers(0, 13, (len(rows), DRAWS)), axis=1)}
    exceed = {name: {} for name in samples}
    fits = []
    for fold, part in rows.groupby("fold", sort=False):
        start = part["week"].min()
        model, train = fold_count_model(frame, start, target, H, spec.backtest.train_start)
        forecast = model.forecast(part, part["p_model"])
        samples["model"][part.index] = forecast.sample(DRAWS, seed=int(start.value % 2**31))
        for k in THRESHOLDS:
            exceed["model"].setdefault(k, np.zeros(len(rows)))[part.index] = forecast.prob_at_least(k)
        fits.append({"fold": str(fold), "dispersion": round(model.dispersion_, 3), "positives": int((train[target] >= 1).sum())})
    y = rows[target].to_numpy(dtype=float)
    crps_rows = {name: scoringrules.crps_ensemble(y, draws.astype(float)) for name, draws in samples.items()}
    table, reliability = [], {}
    for name, draws in samples.items():
        for k in THRESHOLDS:
            if k not in exceed[name]:
                exceed[name][k] = (draws >= k).mean(axis=1)
        score, covered = interval_score(draws, y)
        entry = {"model": name, "crps": float(np.mean(crps_rows[name])),
                 "ignorance": float(np.mean(ignorance(draws, y))), "interval_score_90": float(np.mean(score)),
                 "coverage_90": float(np.mean(covered)), "expected_deaths_mean": float(draws.mean()),
                 "observed_deaths_mean": float(y.mean())}
        for k in THRESHOLDS:
            p, hit = exceed[name][k], (y >= k).astype(float)
            entry[f"brier_{k}"] = float(np.mean((p - hit) ** 2))
            climatology = np.mean((hit.mean() - hit) ** 2)
            entry[f"brier_skill_{k}"] = float(1 - entry[f"brier_{k}"] / climatology)
            reliability[f"{name}_{k}"] = reliability_table(hit, p).round(4).to_dict("records")
        table.append(entry)
    out = pd.DataFrame(table).set_index("model")
    # the noise: CRPS differences with whole weeks resampled (a week's cells move together)
    codes, _ = pd.factorize(rows["week"].to_numpy())
    gaps = {}
    for other in ("conflictology", "zero"):
        # the mean difference per cell-week: a ratio of two sums that add up week by week
        diff = pd.Series(crps_rows["model"] - crps_rows[other]).groupby(codes).agg(["sum", "size"]).to_numpy()
        sums = resample_sums(diff, seed=1)
        found = summary(diff[:, 0].sum() / diff[:, 1].sum(), sums[:, 0] / sums[:, 1])
        gaps[other] = {"gap": found["estimate"], "low_95": found["interval"][0], "high_95": found["interval"][1]}
        print(f"CRPS model - {other}: {gaps[other]['gap']:+.4f} (95% over resampled weeks "
              f"{gaps[other]['low_95']:+.4f} to {gaps[other]['high_95']:+.4f})")
    print(f"{len(rows):,} cell-weeks, {int((y >= 10).sum())} with 10+ deaths, {int((y >= 25).sum())} with 25+")
    print(out.round(4).to_string())
    record = {"benchmark": "deaths per cell over the next 4 weeks, rolling origins 2020-2023, 100 draws",
              "rows": len(rows), "rows_10_plus": int((y >= 10).sum()), "rows_25_plus": int((y >= 25).sum()),
              "metrics": out.round(4).reset_index().to_dict("records"), "crps_gap": gaps, "reliability": reliability,
              "folds": fits}
    (ROOT / "benchmarks" / "severity.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
