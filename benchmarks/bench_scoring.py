"""Time scoring one week from a loaded model, at 0.5 and 0.1 degree (features for the week included).

For each resolution the estimator of training/default.toml (the blend) is fitted in-process on
2022-2023 (the timing concerns scoring, not training), then the week of 2023-12-25 is scored: features for that week and the one before,
prediction, per-cell drivers and the ADM2 aggregation. Prints a table, writes benchmarks/scoring.json.
Goal: one week at 0.1 degree (about 23,500 cells) in under 2 s.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEEK = "2023-12-25"


def main() -> None:

    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.features.panel import build_units, compute_panel, load_inputs
    from sahelrisk.features.targets import build_targets
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.scoring.week import score_week

    training = load_training_spec(ROOT / "training/default.toml")
    base = training.features
    inputs = load_inputs(load_catalog(), resolve_data_dir(None, cwd=ROOT), as_of=date(2023, 12, 31), spec=base)
    rows = {}
    for resolution in (0.5, 0.1):
        spec = replace(base, resolution=resolution)
        t0 = time.perf_counter()
        units = build_units(spec, inputs)
        units_s = time.perf_counter() - t0
        train = compute_panel(spec, inputs, start="2022-01-03", end="2023-11-27", units=units)
        target = build_targets(inputs.events, units, "2022-01-03", "2023-11-27", horizons=(4,), kinds=("any_fatal",),
                               data_end="2023-12-31")["target_any_fatal_4w"].to_numpy()
        features = [c for c in train.columns if c not in ("unit_id", "week")]
        model = training.make_model(features)
        model.fit(train[training.model_columns(features)], target, weeks=train["week"])
        del train
        runs = []
        for _ in range(3):
            result = score_week(model, spec, inputs, WEEK, horizon_weeks=4, model_version="bench", units=units)
            runs.append(result.seconds)
        total = statistics.median(r["total_s"] for r in runs)
        rows[str(resolution)] = {"cells": len(units), "build_units_once_s": round(units_s, 2),
                                 "features_s": statistics.median(r["features_s"] for r in runs),
                                 "predict_and_drivers_s": statistics.median(r["predict_s"] for r in runs),
                                 "score_week_total_s": total, "goal_s": 2.0 if resolution == 0.1 else None}
    print(f"{'grid':<8}{'cells':>8}{'features s':>12}{'predict s':>11}{'total s':>9}{'goal':>8}")
    for res, r in rows.items():
        print(f"{res:<8}{r['cells']:>8,}{r['features_s']:>12.2f}{r['predict_and_drivers_s']:>11.2f}"
              f"{r['score_week_total_s']:>9.2f}{'< 2 s' if r['goal_s'] else '':>8}")
    out = Path(__file__).with_name("scoring.json")
    out.write_text(json.dumps({"benchmark": "score one week from a loaded model", "week": WEEK, **rows}, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
