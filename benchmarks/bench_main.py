"""Time the main command end to end (`sahelrisk run`: data check, backtest, train and register,
score the latest week, write outputs) and record the backtest it produced.

Writes benchmarks/main.json with the wall time, the backtest table against the baselines, the
fold count and timings. Run from the repository root: .venv/bin/python benchmarks/bench_main.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from sahelrisk.evaluation.backtest import MODEL_NAME
    out = ROOT / "outputs"
    started = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).with_name("sahelrisk")), "run", "--out", str(out)], cwd=ROOT,
                          capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        print(done.stdout[-3000:], done.stderr[-3000:])
        raise SystemExit(done.returncode)
    backtest = json.loads((out / "backtest.json").read_text())
    runs = sorted(out.glob("*/run.json"))
    run = json.loads(runs[-1].read_text())
    folds = backtest["folds"][str(backtest["trained_horizon"])]
    table = [{k: r[k] for k in ("model", "ap", "roc_auc", "brier", "brier_skill", "ece", "top10_recall")}
             for r in backtest["overall"]]
    # onsets and countries beside the headline (their intervals: bench_skill.py)
    beside = {key: [{k: r[k] for k in ("model", "country_iso3", "ap", "roc_auc", "brier_skill", "rows", "positives")}
                    for r in backtest[key]] for key in ("by_country", "onsets")}
    result = {"benchmark": "main command (sahelrisk run) end to end", "wall_s": round(wall),
              "backtest_s": backtest["seconds"], "folds": len(folds),
              "mean_model_fit_s": round(sum(f[f"fit_s_{MODEL_NAME}"] for f in folds) / len(folds), 1),
              "scored_week": run["week"], "as_of": run["as_of"], "scoring_timings_s": run["timings_s"],
              "promotion": next((line.split(": ", 1)[1] for line in done.stdout.splitlines()
                                 if line.startswith("MLflow run ")), None),
              "backtest": table, **beside}
    (ROOT / "benchmarks" / "main.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"main command: {wall:.0f} s (backtest {backtest['seconds']:.0f} s over {len(folds)} folds)")
    print(f"{'model':<18}{'AP':>8}{'ROC AUC':>9}{'Brier sk':>10}{'top10':>8}")
    for r in table:
        print(f"{r['model']:<18}{r['ap']:>8.4f}{r['roc_auc']:>9.4f}{r['brier_skill']:>10.4f}{r['top10_recall']:>8.4f}")


if __name__ == "__main__":
    main()
