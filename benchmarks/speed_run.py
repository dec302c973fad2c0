"""One backtest and one final fit of a training spec, for bench_speed.py (run in its own process).

It reads only the API every sahelrisk since the seam kept (``prepare_frame``, ``run_backtests``,
``fit_final_model``), so the same file measures the code of another commit: bench_speed.py runs it
with that commit's ``src`` on ``PYTHONPATH``.

Usage: python speed_run.py SPEC DATA_DIR OUT_DIR [--seed N] [--backtest-only]
Writes OUT_DIR/backtest.parquet (the predictions), OUT_DIR/scores.parquet (the final model's
probabilities for every cell of the last week with features) and OUT_DIR/times.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec", type=Path)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--backtest-only", action="store_true")
    args = parser.parse_args()

    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.modeling.fit import fit_final_model
    from sahelrisk.modeling.frame import prepare_frame
    from sahelrisk.modeling.spec import load_training_spec

    spec = load_training_spec(args.spec)
    if args.seed is not None:
        spec = dataclasses.replace(spec, model={**spec.model, "seed": args.seed})
    args.out.mkdir(parents=True, exist_ok=True)
    times: dict[str, float] = {}
    started = time.perf_counter()
    tf = prepare_frame(spec, args.data_dir)
    times["panel_s"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    result = run_backtests(spec, tf)
    times["backtest_s"] = round(time.perf_counter() - started, 1)
    result.predictions[spec.horizon_weeks].to_parquet(args.out / "backtest.parquet")
    if not args.backtest_only:
        started = time.perf_counter()
        model = fit_final_model(spec, tf)
        times["final_fit_s"] = round(time.perf_counter() - started, 1)
        last = tf.frame[tf.frame["week"] == tf.frame["week"].max()]
        scores = last[["unit_id", "week"]].assign(probability=model.predict_proba(last[model.feature_names_])[:, 1])
        scores.to_parquet(args.out / "scores.parquet")
    (args.out / "times.json").write_text(json.dumps(times) + "\n")
    print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
