"""Check that a refactor left the real-data results unchanged, bit for bit.

Runs, through the public API and the CLI only (so the same script runs on any revision):
1. the rolling-origin backtest of the shipped training spec (``sahelrisk.backtest``), keeping
   every fold's predictions;
2. ``sahelrisk train --register`` into a throw-away MLflow store, then ``sahelrisk score --week
   2023-12-25`` with the champion it promoted, keeping the published cell and area scores.

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_seam.py snapshot DIR     # write DIR/backtest.parquet, DIR/score/...
    .venv/bin/python benchmarks/bench_seam.py compare DIR_A DIR_B [--json benchmarks/seam.json]

``compare`` prints a table (rows, columns, cells that differ, largest difference) and writes JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
WEEK = "2023-12-25"
SCORED = ("risk_grid.parquet", "risk_adm2.csv", "risk_adm1.csv", "risk_sites.csv")


def snapshot(folder: Path) -> None:
    import sahelrisk

    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    result = sahelrisk.backtest(str(ROOT / "training" / "default.toml"))
    for h, preds in result.predictions.items():
        preds.reset_index(drop=True).to_parquet(folder / f"backtest_h{h}.parquet")
    timings = {"backtest_s": round(time.perf_counter() - started, 1)}
    cli = str(Path(sys.executable).with_name("sahelrisk"))
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{tmp}/mlflow.db"
        for args in (["train", "--register", "--out", f"{tmp}/train", "--models-dir", f"{tmp}/models"],
                     ["score", "--week", WEEK, "--out", f"{tmp}/out", "--lang", "en"]):
            started = time.perf_counter()
            done = subprocess.run([cli, *args, "--tracking-uri", store], cwd=ROOT, capture_output=True, text=True)
            if done.returncode:
                raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
            timings[f"{args[0]}_s"] = round(time.perf_counter() - started, 1)
        (folder / "score").mkdir(exist_ok=True)
        for name in SCORED:
            source = Path(tmp) / "out" / WEEK / name
            if source.exists():
                (folder / "score" / name).write_bytes(source.read_bytes())
    (folder / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(json.dumps(timings))


def _differences(a: pd.DataFrame, b: pd.DataFrame) -> dict:
    row = {"rows": [len(a), len(b)], "same_columns": list(a.columns) == list(b.columns)}
    if len(a) != len(b) or not row["same_columns"]:
        return {**row, "identical": False}
    differing, largest = 0, 0.0
    for column in a.columns:
        x, y = a[column], b[column]
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y):
            xv, yv = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
            same = (xv == yv) | (np.isnan(xv) & np.isnan(yv))
            if (~same).any():
                largest = max(largest, float(np.nanmax(np.abs(xv - yv))))
        else:   # text, dates and geometries (WKB bytes): equal values, or both missing
            same = np.fromiter((a == b or (pd.isna(a) and pd.isna(b)) for a, b in zip(x.tolist(), y.tolist())),
                               dtype=bool, count=len(x))
        differing += int((~same).sum())
    return {**row, "cells_differing": differing, "largest_difference": largest, "identical": differing == 0}


def compare(first: Path, second: Path, json_path: Path | None) -> bool:
    rows = {}
    for path in sorted([*first.rglob("*.parquet"), *first.rglob("*.csv")]):
        name = path.relative_to(first).as_posix()
        other = second / name
        if not other.exists():
            rows[name] = {"identical": False, "missing": str(other)}
            continue
        read = pd.read_parquet if path.suffix == ".parquet" else pd.read_csv
        rows[name] = _differences(read(path), read(other))
    print(f"{'file':<28}{'rows':>18}{'cells differing':>17}{'largest':>10}  identical")
    for name, r in rows.items():
        print(f"{name:<28}{str(r.get('rows')):>18}{r.get('cells_differing', '-'):>17}"
              f"{r.get('largest_difference', 0):>10.2g}  {r['identical']}")
    if json_path:
        timings = {side: json.loads((d / "timings.json").read_text()) for side, d in (("before", first), ("after", second))
                   if (d / "timings.json").exists()}
        json_path.write_text(json.dumps({"benchmark": "real-data backtest and 2023-12-25 scores, before and after",
                                         "week": WEEK, "files": rows, "timings": timings,
                                         "note": "timings are wall seconds with other jobs on the same 2 cores: they "
                                                 "show the runs finished, not a speed"}, indent=2) + "\n")
    return all(r["identical"] for r in rows.values())


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "snapshot":
        snapshot(Path(sys.argv[2]))
    elif len(sys.argv) >= 4 and sys.argv[1] == "compare":
        out = Path(sys.argv[sys.argv.index("--json") + 1]) if "--json" in sys.argv else None
        raise SystemExit(0 if compare(Path(sys.argv[2]), Path(sys.argv[3]), out) else 1)
    else:
        raise SystemExit(__doc__)
