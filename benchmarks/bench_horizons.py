"""The backtest at every report horizon of the default spec (1, 4 and 12 weeks), each model
trained for its own horizon: `sahelrisk backtest --all-horizons`.

Writes benchmarks/horizons.json and prints one row per horizon. Run from the repository root:
.venv/bin/python benchmarks/bench_horizons.py   (~15 min)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from sahelrisk.evaluation.backtest import MODEL_NAME
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        done = subprocess.run([str(Path(sys.executable).with_name("sahelrisk")), "backtest", "--spec",
                               "training/default.toml", "--all-horizons", "--out", out], cwd=ROOT,
                              capture_output=True, text=True)
        if done.returncode:
            print(done.stdout[-3000:], done.stderr[-3000:])
            raise SystemExit(done.returncode)
        backtest = json.loads((Path(out) / "backtest.json").read_text())
    result = {"benchmark": "rolling-origin backtest per horizon (sahelrisk backtest --all-horizons)",
              "seconds": round(time.perf_counter() - started, 1),
              "origins": "2020-01-06 .. last observed week per horizon", "overall": backtest["overall"]}
    (ROOT / "benchmarks" / "horizons.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = {(r["horizon"], r["model"]): r for r in backtest["overall"]}
    print(f"{'horizon':>7} {'rate':>6} {'baseline AP':>12} {'model AP':>9} {'ROC AUC':>8} {'Brier sk':>9} {'top10':>6}")
    for h in sorted({h for h, _ in rows}):
        m, b = rows[(h, MODEL_NAME)], rows[(h, "decay_neighbours")]
        print(f"{h:>7} {m['positives'] / m['rows']:>6.1%} {b['ap']:>12.3f} {m['ap']:>9.3f} {m['roc_auc']:>8.3f} "
              f"{m['brier_skill']:>9.3f} {m['top10_recall']:>6.3f}")


if __name__ == "__main__":
    main()
