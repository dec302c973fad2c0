"""Time loading and validating every catalog dataset from the real data.

Prints a table and writes benchmarks/load.json. Run: make bench (or .venv/bin/python benchmarks/bench_load.py).
"""

from __future__ import annotations

import json
import platform
import resource
import statistics
import sys
import time
from datetime import date
from pathlib import Path

from sahelrisk.data.catalog import load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.data.sources import load_dataset, load_events

REPEATS = 5
AS_OF = date(2026, 11, 24)


def timed(fn, repeats=REPEATS):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def main() -> None:
    data_dir = resolve_data_dir(sys.argv[1] if len(sys.argv) > 1 else None)
    catalog = load_catalog()
    rows = []
    for dataset in catalog:
        if dataset.loader == "none":
            continue
        median, best, result = timed(lambda: load_dataset(dataset, data_dir, as_of=AS_OF))
        rows.append({"dataset": dataset.name, "rows_read": result.rows_read, "rows_loaded": result.rows_loaded,
                     "median_s": round(median, 4), "min_s": round(best, 4),
                     "rows_per_s": round(result.rows_read / median) if median else None})
    total_median, total_min, _ = timed(lambda: [load_dataset(d, data_dir, as_of=AS_OF) for d in catalog
                                                if d.loader != "none"], repeats=3)
    events_median, _, events = timed(lambda: load_events(catalog, data_dir, as_of=AS_OF), repeats=3)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    print(f"{'dataset':<24}{'rows read':>11}{'loaded':>9}{'median s':>10}{'rows/s':>11}")
    for r in rows:
        print(f"{r['dataset']:<24}{r['rows_read']:>11,}{r['rows_loaded']:>9,}{r['median_s']:>10.3f}{r['rows_per_s'] or 0:>11,}")
    print(f"{'all datasets':<24}{sum(r['rows_read'] for r in rows):>11,}{'':>9}{total_median:>10.3f}")
    print(f"{'combined events':<24}{events.rows_read:>11,}{events.rows_loaded:>9,}{events_median:>10.3f}")
    print(f"peak resident memory: {peak_mib:.0f} MiB")

    out = Path(__file__).with_name("load.json")
    out.write_text(json.dumps({
        "benchmark": "load and validate every catalog dataset",
        "machine": {"python": platform.python_version(), "processor": platform.machine(),
                    "cpus": __import__("os").cpu_count()},
        "repeats": REPEATS, "as_of": str(AS_OF),
        "datasets": rows,
        "all_datasets_median_s": round(total_median, 3), "all_datasets_min_s": round(total_min, 3),
        "combined_events_median_s": round(events_median, 3),
        "peak_rss_mib": round(peak_mib),
    }, indent=2) + "\n")
    print(f"written {out}")


if __name__ == "__main__":
    main()
