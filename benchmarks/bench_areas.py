"""Area risk in the rolling-origin backtest: the independence formula against two calibrations
(logistic on the logit, isotonic), per ADM1 and ADM2, on the validation origins (2017-2019,
training from 2005: where the method is chosen) and on the test origins (2020-2023, the
registered spec: where it is reported); and the share of ADM2 areas per tier for 2023-12-25.

Prints tables and writes benchmarks/areas.json. Run: .venv/bin/python benchmarks/bench_areas.py
(about 10 minutes: two backtests of the blend).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TARGET = "target_any_fatal_4w"
PERIODS = {"validation": ("2005-01-03", "2017-01-02", "2019-12-02"), "test": None}
WEEK = pd.Timestamp("2023-12-25")


def _rows_for(period, spec, data_dir):
    from sahelrisk.data.sources.families import select_sources
    from sahelrisk.evaluation.areas import area_rows
    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.modeling.frame import prepare_frame

    if period is not None:
        spec = spec.with_backtest(train_start=period[0], first_origin=period[1], last_origin=period[2])
    tf = prepare_frame(spec, data_dir)
    preds = run_backtests(spec, tf, [4]).predictions[4]
    events = select_sources(tf.inputs.events, ("ucdp",))
    return {level: area_rows(preds, "model", tf.units, tf.inputs.layers, events, level, target_kind="any_fatal",
                             horizon_weeks=4, data_end=tf.data_end) for level in ("adm1", "adm2")}, tf, preds


def main() -> None:
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.evaluation.areas import (
        METHODS,
        calibrate_in_backtest,
        fit_area_calibration,
    )
    from sahelrisk.evaluation.metrics import metrics_by, reliability_table
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.scoring.week import risk_tier

    spec = load_training_spec(ROOT / "training/default.toml")
    data_dir = resolve_data_dir(None, cwd=ROOT)
    record = {"benchmark": "area risk: independence formula vs calibrated, rolling origin, horizon 4 weeks",
              "periods": {}}
    kept = {}
    for period, bounds in PERIODS.items():
        rows_by_level, tf, preds = _rows_for(bounds, spec, data_dir)
        kept[period] = (rows_by_level, tf, preds)
        out = {}
        for level, rows in rows_by_level.items():
            for method in METHODS:
                rows[f"p_{method}"] = calibrate_in_backtest(rows, TARGET, 4, method).set_index(
                    ["unit_id", "week"])["p_calibrated"].reindex(pd.MultiIndex.from_frame(rows[["unit_id", "week"]])
                                                                  ).to_numpy()
            both = rows.dropna(subset=[f"p_{m}" for m in METHODS])
            names = list(METHODS)   # "none" is the independence formula itself
            table = metrics_by(both, TARGET, names).set_index("model")
            reliability = {m: reliability_table(both[TARGET], both[f"p_{m}"]).round(4).to_dict("records") for m in names}
            out[level] = {"rows": len(both), "event_rate": round(float(both[TARGET].mean()), 4),
                          "metrics": table.round(4).reset_index().to_dict("records"), "reliability": reliability}
            print(f"\n{period} origins, {level}: {len(both):,} area-weeks, event rate {both[TARGET].mean():.3f}")
            print(table[["ap", "roc_auc", "brier_skill", "ece", "top10_recall"]].round(4).to_string())
        record["periods"][period] = out
    # Choose on validation by the mean ECE over levels ("none" included: calibrating must earn its place).
    ece = {m: np.mean([next(r["ece"] for r in record["periods"]["validation"][lvl]["metrics"] if r["model"] == m)
                       for lvl in ("adm1", "adm2")]) for m in METHODS}
    chosen = min(ece, key=ece.get)
    record["chosen_on_validation"] = {"method": chosen, "mean_ece": {k: round(v, 4) for k, v in ece.items()}}
    print(f"\nchosen on validation: {chosen} (mean ECE {ece})")

    # The week of 2023-12-25: ADM2 tiers with each map fitted on every test-period row (as the
    # registered model would), the chosen one first.
    rows_by_level, tf, preds = kept["test"]
    from sahelrisk.evaluation.areas import area_scores
    from sahelrisk.features.panel import compute_panel
    from sahelrisk.modeling.fit import fit_final_model
    model = fit_final_model(spec, tf)
    panel = compute_panel(spec.features, tf.inputs, start=WEEK, end=WEEK, units=tf.units)
    p = model.predict_proba(panel[model.feature_names_])[:, 1]
    week_preds = pd.DataFrame({"unit_id": panel["unit_id"], "week": WEEK, "fold": "latest", "p_model": p})
    week_rows = area_scores(week_preds, "model", tf.units, tf.inputs.layers, "adm2")
    tiers = {}
    for name in METHODS:
        values = fit_area_calibration(rows_by_level, TARGET, name).apply("adm2", week_rows["p_independent"])
        counts = pd.Series(risk_tier(values)).value_counts()
        tiers[name] = {t: int(counts.get(t, 0)) for t in ("low", "elevated", "high", "very high")}
        tiers[name]["max"] = round(float(np.max(values)), 3)
    record["adm2_tiers_2023_12_25"] = tiers
    print("\nADM2 areas per tier, week of 2023-12-25:", json.dumps(tiers))
    (ROOT / "benchmarks" / "areas.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
