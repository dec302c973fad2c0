"""The weekly job on the real data: a replay of the second half of 2023, and its timings.

Replay: every Monday M from 2023-07-03 to 2024-01-01 the job runs as it would have then, in a
fresh site (no champion at first), offline, with the data known on M - 8 days (the Sunday of the
week before: events reach the job a week after they happen, the stated reporting lag). It scores
the latest full week of that data, retrains on the training spec's schedule (every 13 weeks of
new data, and at the start), promotes or keeps with the reason logged. For each week the scores
published are compared with the backtest path (the same panel builder on the same inputs, the
same fitted model): the largest difference is reported (goal: under 1e-9).

Timings (the shipped default spec): the runs of the replay that retrained and those that did not
(score and publish), and a run with nothing new (the last Monday again: does nothing).

Prints tables and writes benchmarks/weekly.json. Run: .venv/bin/python benchmarks/bench_weekly.py
(about 30 minutes: three trainings of the blend).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
FIRST, LAST = date(2023, 7, 3), date(2024, 1, 1)
LAG_DAYS = 8


def _backtest_path_gap(site: Path, week: str, spec_path: Path, data_dir: Path, as_of: date) -> float:
    """Largest |published - recomputed| probability of the week, the recomputation by the backtest path."""
    from sahelrisk import api
    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.features.panel import compute_panel, load_inputs

    loaded = api.load_model("champion", spec_path, mlruns=site / "mlruns")
    inputs = load_inputs(load_catalog(), data_dir, spec=loaded.spec, as_of=as_of)
    panel = compute_panel(loaded.spec, inputs, start=week, end=week)
    p = pd.Series(loaded.model.predict_proba(panel[loaded.model.feature_names_])[:, 1], index=panel["unit_id"])
    published = pd.read_parquet(site / "out" / week / "risk_grid.parquet").set_index("unit_id")["probability"]
    return float(np.max(np.abs(published.to_numpy() - p.reindex(published.index).to_numpy())))


def main() -> None:
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.jobs.weekly import run_weekly

    spec_path = ROOT / "training" / "default.toml"
    data_dir = resolve_data_dir(None, cwd=ROOT)
    site = Path(tempfile.mkdtemp(prefix="sahelrisk-replay-"))
    rows = []
    monday = FIRST
    while monday <= LAST:
        as_of = monday - timedelta(days=LAG_DAYS)
        started = time.perf_counter()
        result = run_weekly(spec_path, data_dir=data_dir, out_dir=site / "out", mlruns=site / "mlruns",
                            models_dir=site / "models", offline=True, today=monday, as_of=as_of,
                            started_at=f"{monday}T06:00:00+00:00", log=lambda line: None)
        seconds = time.perf_counter() - started
        record = result.record
        gap = _backtest_path_gap(site, record["week"], spec_path, data_dir, as_of)
        promotion = record.get("promotion") or {}
        rows.append({"monday": str(monday), "as_of": str(as_of), "week": record["week"], "status": result.status,
                     "seconds": round(seconds, 1), "retrained": record["retrain"]["due"],
                     "why": "; ".join(record["retrain"]["reasons"]), "champion": record["champion"],
                     "promoted": promotion.get("promoted"), "reason": promotion.get("reason", ""),
                     "max_gap_vs_backtest_path": gap})
        r = rows[-1]
        print(f"{r['monday']}  week {r['week']}  {r['status']:<28} {r['seconds']:7.1f} s  champion v{r['champion']}"
              f"  {'retrained: ' + r['why'] if r['retrained'] else ''}  gap {gap:.1e}", flush=True)
        monday += timedelta(weeks=1)
    weeks = sorted({r["week"] for r in rows})
    outputs = sorted(p.name for p in (site / "out").iterdir() if p.is_dir() and p.name[:2] == "20")
    # a run with nothing new: the last Monday again (the same data, specs and champion)
    started = time.perf_counter()
    again = run_weekly(spec_path, data_dir=data_dir, out_dir=site / "out", mlruns=site / "mlruns",
                       models_dir=site / "models", offline=True, today=LAST, as_of=LAST - timedelta(days=LAG_DAYS),
                       started_at="replay", log=lambda line: None)
    no_op = time.perf_counter() - started
    trained = [r["seconds"] for r in rows if r["retrained"]]
    record = {"benchmark": "weekly job replay, second half of 2023, reporting lag 8 days", "weeks": rows,
              "weeks_published": weeks, "output_folders": outputs,
              "max_gap_vs_backtest_path": max(r["max_gap_vs_backtest_path"] for r in rows),
              "timings_s": {"with_retraining_mean": round(float(np.mean(trained)), 1) if trained else None,
                            "without_retraining_mean": round(float(np.mean(
                                [r["seconds"] for r in rows if not r["retrained"]])), 1),
                            "nothing_new": round(no_op, 1), "nothing_new_status": again.status}}
    print(f"\n{len(rows)} Mondays, {len(weeks)} weeks published, {len(trained)} retrainings; largest score gap "
          f"against the backtest path {record['max_gap_vs_backtest_path']:.1e}")
    print("\n| run | seconds |\n|---|---|")
    for name, value in record["timings_s"].items():
        print(f"| {name} | {value} |")
    (ROOT / "benchmarks" / "weekly.json").write_text(json.dumps(record, indent=2, default=str) + "\n")
    shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    main()
