"""Recorded GPS tracks scored against a published week: time and peak memory per kind of track.

Each case runs in its own process (its peak resident memory is its own): a track is generated
at 1 Hz and 50 km/h along the road from Ségou through Niono to Diabaly and back (about 160 km
each way; 200,000 fixes drive it back and forth for 2,780 km), then scored
stretch by stretch with ``routes.plan.plan_route`` against the cells of a published week, the way
``sahelrisk route --track`` and the web app's upload do (cleaning included).

Cases (goals from issue 36: under 30 s and under 1 GB each):

- ``day_1hz_stops``: a 1 Hz log of 200,000 fixes with eight 30-minute halts, 5 m of GPS noise
  (several days' driving, as a convoy's logger keeps it);
- ``stationary``: a vehicle that never moved, 3,600 fixes within 5 m (refused in one line);
- ``jitter_200k``: 200,000 fixes, 5 m of noise, no halt;
- ``zigzag_200k``: 200,000 fixes swinging 30 m side to side every fix;
- ``smooth_200k``: 200,000 fixes exactly on the line;
- ``jitter_5k``: 5,000 fixes with 5 m of noise.

Prints a table and writes benchmarks/tracks.json. Run (from the repository root, after ``make run``
has published a week):

    SAHELRISK_DATA=../shared/data .venv/bin/python benchmarks/bench_tracks.py [outputs/2023-12-25]
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WAY = np.array([[-6.27, 13.45], [-5.99, 14.25], [-6.08, 14.54], [-6.38, 14.43]])   # Ségou, Niono, Diabaly
M_PER_DEG = 111_000.0
CASES = ("day_1hz_stops", "stationary", "jitter_200k", "zigzag_200k", "smooth_200k", "jitter_5k")


def track(case: str, seed: int = 7) -> np.ndarray:
    """The case's fixes (lon, lat), deterministic from ``seed``: 1 Hz at 50 km/h along the road
    and back, as many passes as the fixes take."""
    rng = np.random.default_rng(seed)
    n = 5_000 if case == "jitter_5k" else 3_600 if case == "stationary" else 200_000
    if case == "stationary":
        return WAY[0] + rng.normal(0, 5 / M_PER_DEG, (n, 2))
    there = np.vstack([WAY, WAY[-2::-1]])                         # out and back, in degrees
    legs = np.linalg.norm(np.diff(there, axis=0), axis=1)
    step = 50 / 3.6 / M_PER_DEG                                   # 50 km/h, one fix a second
    halts = 8 * 1_800 if case == "day_1hz_stops" else 0
    travelled = np.arange(n - halts) * step
    if halts:   # eight 30-minute halts spread over the log
        travelled = np.sort(np.concatenate([travelled, np.repeat(np.linspace(0.1, 0.9, 8) * travelled[-1], 1_800)]))
    along = travelled % legs.sum()
    leg = np.minimum(np.searchsorted(np.cumsum(legs), along, side="right"), len(legs) - 1)
    into = (along - np.r_[0, np.cumsum(legs)][leg]) / legs[leg]
    points = there[leg] + (there[leg + 1] - there[leg]) * into[:, None]
    if case == "zigzag_200k":
        normal = np.array([-1.0, 1.0]) / np.sqrt(2)
        points = points + np.outer(np.where(np.arange(n) % 2, 1, -1) * 15 / M_PER_DEG, normal)
    if case != "smooth_200k":
        points = points + rng.normal(0, 5 / M_PER_DEG, points.shape)
    return points


def run_case(case: str, week_dir: Path) -> dict:
    """One case in this process: the scoring's wall time and this process's peak memory."""
    import geopandas as gpd
    import pandas as pd
    from shapely.geometry import LineString

    from sahelrisk.calendar import week_end
    from sahelrisk.cluster import peak_memory_mib
    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.data.sources import load_events
    from sahelrisk.errors import SahelriskError
    from sahelrisk.routes.plan import plan_route

    cells = gpd.read_parquet(week_dir / "risk_grid.parquet")
    week = pd.Timestamp(cells["week"].iloc[0])
    events = load_events(load_catalog(), resolve_data_dir(None), as_of=week_end(week).date()).table
    line = LineString(track(case))
    before = peak_memory_mib()
    started = time.perf_counter()
    try:
        segments = plan_route(line, week, cells, events, None, None, sorted(set(cells["country_iso3"])))
        summary = segments.attrs["routes"][0]
        answer = {"km": summary["km"], "stops": len(summary["stops"]), "segments": int(len(segments)),
                  "probability": round(summary["probability"], 4)}
    except SahelriskError as e:
        answer = {"refused": str(e)}
    return {"case": case, "points": len(line.coords), "seconds": round(time.perf_counter() - started, 2),
            "peak_mib": peak_memory_mib(), "peak_before_mib": before, **answer}


def main(week_dir: Path) -> list[dict]:
    rows = []
    for case in CASES:   # each in a fresh process: its peak memory is its own
        done = subprocess.run([sys.executable, __file__, "--case", case, str(week_dir)], capture_output=True,
                              text=True, timeout=1800)
        if done.returncode:
            raise SystemExit(f"{case} failed:\n{done.stderr[-2000:]}")
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'case':<15} {'points':>8} {'seconds':>8} {'peak MiB':>9}  result")
    for r in rows:
        result = r.get("refused") or f"{r['km']} km, {r['segments']} stretches, {r['stops']} stops, p {r['probability']}"
        print(f"{r['case']:<15} {r['points']:>8,} {r['seconds']:>8} {r['peak_mib']:>9}  {result}")
    out = {"benchmark": "recorded tracks scored against a published week (plan_route, cleaning included), each in "
                        "its own process", "week": str(week_dir.name), "goal": {"seconds": 30, "peak_mib": 1024},
           "note": "peak_mib is the process's whole peak, loading the events and cells included "
                   "(peak_before_mib: before the track was scored)", "cases": rows}
    (ROOT / "benchmarks" / "tracks.json").write_text(json.dumps(out, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    args = sys.argv[1:]
    if args and args[0] == "--case":
        print(json.dumps(run_case(args[1], Path(args[2]))))
    else:
        main(Path(args[0] if args else "outputs/2023-12-25").resolve())
