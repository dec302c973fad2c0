"""What helped the model: each variant backtested on the same folds (origins 2020-2023, refit
every 26 weeks for speed), and the two main candidates on earlier origins (2017-2019) never used
to choose anything.

Usage: .venv/bin/python benchmarks/bench_ablation.py [VARIANT ...]   (default: all; ~40 min)
Prints a table and writes benchmarks/ablation.json.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("ablation.json")

COMPACT = ["conflict_events_hl*", "conflict_fatalities_hl26w", "conflict_events_queen_*", "conflict_events_r50km_*",
           "conflict_events_r100km_52w", "conflict_country_events_*", "conflict_weeks_since_*",
           "conflict_events_onesided_52w", "conflict_events_state_52w", "conflict_events_260w"]
GEOGRAPHY = ["mining_gold_distance_km", "mining_gold_sites_r50km", "roads_distance_km", "roads_nearest_importance",
             "static_*", "displacement_country_idps", "displacement_adm1_idps"]
SMALL = {"neg_bagging_fraction": 0.1, "refit_full": True, "num_leaves": 7, "min_child_samples": 1000}
BASE = {"n_estimators": 400, "learning_rate": 0.03, "num_leaves": 15, "min_child_samples": 200, "calibration_weeks": 52}
# name -> (train_start, model parameters, feature patterns, first origin, last origin)
VARIANTS = {
    "all_features_2000": ("2000-01-03", {**BASE, "neg_bagging_fraction": 0.1}, ["*"], "2020-01-06", "2023-11-27"),
    "all_features_2012": ("2012-01-02", {**BASE, "neg_bagging_fraction": 0.1}, ["*"], "2020-01-06", "2023-11-27"),
    "monotone": ("2012-01-02", {**BASE, "neg_bagging_fraction": 0.1, "monotone_history": True}, ["*"], "2020-01-06", "2023-11-27"),
    "history_only": ("2012-01-02", {**BASE, "neg_bagging_fraction": 0.1}, ["conflict_*"], "2020-01-06", "2023-11-27"),
    "refit_full": ("2012-01-02", {**BASE, "neg_bagging_fraction": 0.1, "refit_full": True}, ["*"], "2020-01-06", "2023-11-27"),
    "compact": ("2012-01-02", {**BASE, **SMALL}, COMPACT + GEOGRAPHY, "2020-01-06", "2023-11-27"),
    "compact_history_only": ("2012-01-02", {**BASE, **SMALL}, COMPACT, "2020-01-06", "2023-11-27"),
    "compact_monotone": ("2012-01-02", {**BASE, **SMALL, "monotone_history": True}, COMPACT + GEOGRAPHY, "2020-01-06", "2023-11-27"),
    "validation_all_features": ("2005-01-03", {**BASE, "neg_bagging_fraction": 0.1, "refit_full": True}, ["*"], "2017-01-02", "2019-12-02"),
    "validation_compact": ("2005-01-03", {**BASE, **SMALL}, COMPACT + GEOGRAPHY, "2017-01-02", "2019-12-02"),
}


def main() -> None:
    from sahelrisk.backtest import RollingOrigin, run_backtest
    from sahelrisk.baselines import BaselineModel, required_columns
    from sahelrisk.datadir import resolve_data_dir
    from sahelrisk.metrics import metrics_by
    from sahelrisk.model import RiskModel
    from sahelrisk.training import prepare_frame
    from sahelrisk.trainspec import load_training_spec

    chosen = sys.argv[1:] or list(VARIANTS)
    spec = load_training_spec(ROOT / "training/default.toml")
    spec = replace(spec, backtest={**spec.backtest, "train_start": "2000-01-03", "first_origin": "2020-01-06"},
                   model_features=())
    tf = prepare_frame(spec, resolve_data_dir(None, cwd=ROOT))
    results = json.loads(OUT.read_text()).get("variants", {}) if OUT.exists() else {}
    for name in chosen:
        start, params, patterns, first, last = VARIANTS[name]
        columns = replace(spec, model_features=tuple(patterns)).select_features(tf.feature_columns)
        splitter = RollingOrigin(first_origin=first, last_origin=last, horizon=4, train_start=start, refit_every_weeks=26)
        started = time.perf_counter()
        preds, _ = run_backtest(splitter, tf.frame, spec.target, {
            "model": ((lambda: RiskModel(**params)), columns),
            "decay_neighbours": ((lambda: BaselineModel("decay_neighbours", 4)), required_columns(4))})
        table = metrics_by(preds, spec.target, ["model", "decay_neighbours"]).set_index("model")
        results[name] = {"train_start": start, "origins": f"{first}..{last}", "params": params, "features": len(columns),
                         **{k: round(float(table.loc["model", k]), 4) for k in ("ap", "roc_auc", "brier_skill", "top10_recall")},
                         "baseline_ap": round(float(table.loc["decay_neighbours", "ap"]), 4),
                         "seconds": round(time.perf_counter() - started)}
        r = results[name]
        print(f"{name:<26}{r['features']:>4} AP {r['ap']:.4f} (baseline {r['baseline_ap']:.4f}) AUC {r['roc_auc']:.4f} "
              f"top10 {r['top10_recall']:.4f}", flush=True)
        OUT.write_text(json.dumps({"benchmark": "model ablation on the real data, horizon 4 weeks", "variants": results},
                                  indent=2) + "\n")


if __name__ == "__main__":
    main()
