"""How the pipeline scales on a cluster (issue 22): West Africa at 0.1 degree on the real data, and a
synthetic all-Africa region at 0.1 degree over 2020-2022 whose events are drawn from a self-exciting
process fitted to the Sahel's (``synthetic_africa.py``), each on a local Dask cluster of 1 and of 2
worker processes.

For each run, three steps as ``sahelrisk train --cluster`` runs them:
- the panel, built by partition: wall time, the tasks' summed time, throughput (cell-weeks per
  second per worker), the dataset's size on disk;
- training the model of ``training/west_africa.toml`` on every observed week (the stated sample
  drawn by partition, the trees by ``lightgbm.dask``, the other members in the driver): wall time
  and the rows it was fitted on;
- scoring the last 52 weeks partition by partition: wall time and cell-weeks per second;
with the peak resident memory of a worker and of the driver (this process, which also runs the
scheduler) after each step. Then a projection from the per-cell-week costs measured on the
synthetic region to all of Africa at 0.1 degree (about 250,000 cells) over 2011-2026 on a
32-worker cluster.

Usage: .venv/bin/python benchmarks/bench_scale.py [--workers 1 2] [--regions west_africa synthetic_africa]
Prints a table and writes benchmarks/scale.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("scale.json")
AFRICA_CELLS_01 = 250_000     # land cells of Africa at 0.1 degree, about (30.4 million km2 / ~120 km2)
AFRICA_WEEKS = 835            # 2011-01-03 .. 2026-12-28
CLUSTER_WORKERS = 32


def _rss_mib() -> float:
    from sahelrisk.cluster import peak_memory_mib
    return peak_memory_mib()


def _workers_peak_mib(client) -> float:
    from sahelrisk.cluster import peak_memory_mib
    return max(client.run(peak_memory_mib).values())


def _measure(tspec, inputs, end: str, n: int, executor) -> dict:
    """Panel, training and scoring of ``tspec`` by ``executor`` (on its cluster)."""
    import pandas as pd

    from sahelrisk.data.window import resolve_window
    from sahelrisk.features.partitions import partition_summary
    from sahelrisk.modeling.fit import fit_final_model
    from sahelrisk.modeling.frame import frame_from_inputs

    window = resolve_window(inputs.events, tspec.features.countries, reporting_lag_weeks=0,
                            data_end=date.fromisoformat(end) + pd.Timedelta(days=6))
    t0 = time.perf_counter()
    tf = frame_from_inputs(tspec, inputs, window, executor)
    wall = time.perf_counter() - t0
    client = executor.client()
    dataset = tf.frame.dataset
    summary = partition_summary(dataset)
    run = {**summary, "workers": n, "wall_s": round(wall, 1), "cell_weeks_per_s": round(dataset.rows / wall),
           "cell_weeks_per_s_per_worker": round(dataset.rows / wall / n),
           "disk_mib": round(sum(f.stat().st_size for f in dataset.files) / 2**20, 1),
           "features": len(dataset.manifest["columns"]), "panel_worker_peak_rss_mib": _workers_peak_mib(client),
           "panel_driver_peak_rss_mib": _rss_mib()}
    t0 = time.perf_counter()
    model = fit_final_model(tspec, tf)
    run["train_s"] = round(time.perf_counter() - t0, 1)
    how = next(iter(tf.frame._samples))
    run["train_rows"] = int(sum(len(part) for part in client.gather(tf.frame.sample(how))))
    run["train_worker_peak_rss_mib"], run["train_driver_peak_rss_mib"] = _workers_peak_mib(client), _rss_mib()
    weeks = pd.date_range(end=pd.Timestamp(end), periods=52, freq="7D")
    columns = tspec.model_columns(tf.feature_columns)
    t0 = time.perf_counter()
    preds = tf.frame.predict([("score", weeks, {"model": (model, columns)})], tspec.target, columns)
    run["score_s"] = round(time.perf_counter() - t0, 1)
    run["score_cell_weeks"] = len(preds)
    run["score_cell_weeks_per_s"] = round(len(preds) / run["score_s"])
    run["worker_peak_rss_mib"], run["driver_peak_rss_mib"] = _workers_peak_mib(client), _rss_mib()
    return run


def _synthetic_africa(work: Path, inputs, seed: int = 7) -> tuple:
    """The synthetic all-Africa region: its training spec (West Africa's recipe, 2020-2022) and inputs,
    its events drawn from the Hawkes process fitted to the Sahel's (``synthetic_africa.py``)."""
    import synthetic_africa as sa

    from sahelrisk.modeling.spec import load_training_spec
    events = inputs.events
    sahel = events[events["country_iso3"].isin(["MLI", "BFA", "NER"]) & events["has_location"]
                   & (events["date_start"] >= "2012-01-01")]
    admin0 = inputs.layers["admin0"]
    area = float(admin0[admin0["country_iso3"].isin(["MLI", "BFA", "NER"])].to_crs("ESRI:54009").area.sum() / 1e6)
    process = sa.fit_hawkes(sahel, area)
    drawn = sa.simulate(process, sa.background_squares(sahel), sa.AFRICA, date(2015, 1, 5), date(2022, 12, 31), seed)
    features = (ROOT / "features" / "west_africa.toml").read_text("utf-8")
    features = features.replace('name = "west_africa"', 'name = "synthetic_africa"')
    features = features.replace('countries = ["MLI", "BFA", "NER", "BEN", "TGO", "CIV", "SEN", "GNB"]', 'countries = ["MLI"]')
    training = (ROOT / "training" / "west_africa.toml").read_text("utf-8")
    training = training.replace('features = "../features/west_africa.toml"', 'features = "synthetic_africa_features.toml"')
    training = training.replace('train_start = "2012-01-02"', 'train_start = "2020-01-06"')
    training = training.replace('first_origin = "2020-01-06"', 'first_origin = "2022-01-03"')
    (work / "synthetic_africa_features.toml").write_text(features, "utf-8")
    (work / "synthetic_africa.toml").write_text(training, "utf-8")
    about = {"hawkes": process.as_dict(), "region_km2": round(sa.region_area_km2(sa.AFRICA)),
             "events_2015_2022": len(drawn), "sahel_events_fitted": len(sahel)}
    return load_training_spec(work / "synthetic_africa.toml"), sa.synthetic_inputs(drawn, sahel, sa.AFRICA, seed), about


def _run_region(name: str, tspec, inputs, end: str, workers: list[int], extra: dict) -> dict:
    from sahelrisk.cluster import PANELS_VARIABLE, ClusterSpec
    from sahelrisk.features.panel import build_units
    from sahelrisk.features.partitions import DEFAULT_BLOCK_WEEKS, DEFAULT_TILE_DEG
    from sahelrisk.modeling.executors import open_executor

    spec = tspec.features
    started = time.perf_counter()
    units = build_units(spec, inputs)
    print(f"{name}: {len(units):,} {units.kind} units ({spec.resolution} degree) built in "
          f"{time.perf_counter() - started:.1f} s; {len(inputs.events):,} events; driver {_rss_mib()} MiB", flush=True)
    record: dict = {"spec": spec.name, "resolution": spec.resolution, "countries": list(spec.countries),
                    "units": len(units), "events": len(inputs.events), "training_spec": tspec.name,
                    "start": str(tspec.backtest.train_start), "end": end, "tile_deg": DEFAULT_TILE_DEG,
                    "block_weeks": DEFAULT_BLOCK_WEEKS, **extra, "runs": {}}
    for n in workers:
        work = Path(tempfile.mkdtemp(prefix="sahelrisk-scale-"))
        os.environ[PANELS_VARIABLE] = str(work)
        try:
            with open_executor(ClusterSpec(workers=n)) as executor:
                run = _measure(tspec, inputs, end, n, executor)
            record["runs"][str(n)] = run
            print(f"{name}, {n} worker(s): panel {run['rows']:,} cell-weeks in {run['wall_s']:.1f} s "
                  f"({run['cell_weeks_per_s_per_worker']:,} per s per worker); training {run['train_s']} s on "
                  f"{run['train_rows']:,} sampled rows; scoring {run['score_cell_weeks']:,} cell-weeks in "
                  f"{run['score_s']} s; worker peak {run['worker_peak_rss_mib']} MiB, driver "
                  f"{run['driver_peak_rss_mib']} MiB, {run['disk_mib']} MiB on disk", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return record


def _projection(region: dict) -> dict:
    """All of Africa 2011-2026 on 32 workers, from the per-cell-week costs measured on ``region``
    (its largest run): panel task time, training time (its sample grows with the cell-weeks, its
    trees' work splits over the workers) and scoring time."""
    best = max(region["runs"].values(), key=lambda r: r["workers"])
    africa = AFRICA_CELLS_01 * AFRICA_WEEKS
    scale = africa / best["rows"]
    panel_cost = best["task_seconds"] / best["rows"]
    return {
        "what": f"all of Africa at 0.1 degree (~{AFRICA_CELLS_01:,} cells) over 2011-2026 ({AFRICA_WEEKS} weeks) on "
                f"{CLUSTER_WORKERS} workers, from the costs per cell-week measured on {region['spec']} with "
                f"{best['workers']} workers",
        "cell_weeks": africa, "task_seconds_per_million_cell_weeks": round(panel_cost * 1e6, 1),
        "panel_minutes": round(africa * panel_cost / CLUSTER_WORKERS / 60, 1),
        # ideal scaling: the work per cell-week as measured, split evenly over the workers
        "training_minutes_ideal": round(best["train_s"] * scale * best["workers"] / CLUSTER_WORKERS / 60, 1),
        "scoring_seconds_per_week_ideal": round(AFRICA_CELLS_01 / best["score_cell_weeks_per_s"] * best["workers"]
                                                / CLUSTER_WORKERS, 2),
        "training_sample_rows": round(best["train_rows"] * scale),
        "caveat": "every worker is sent every event and layer once, and the driver gathers the logistic member's "
                  "and the rules' stated sample: both grow with the region; LightGBM's data-parallel trees "
                  "exchange histograms whose cost grows with the workers, so 32 workers are not 16 times 2",
        "worker_memory_mib": best["worker_peak_rss_mib"],
        "disk_gib": round(best["disk_mib"] / best["rows"] * africa / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--training", default=str(ROOT / "training" / "west_africa.toml"),
                        help="the training spec whose panel is built and whose model is trained and scored")
    parser.add_argument("--end", default="2023-12-25")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--regions", nargs="+", default=["west_africa", "synthetic_africa"],
                        choices=["west_africa", "synthetic_africa"])
    args = parser.parse_args()

    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.features.panel import load_inputs
    from sahelrisk.modeling.spec import load_training_spec

    tspec = load_training_spec(args.training)
    inputs = load_inputs(load_catalog(), resolve_data_dir(None, cwd=ROOT), as_of=date(2023, 12, 31), spec=tspec.features)
    record: dict = {"benchmark": "panel, training and scoring on a local Dask cluster (issue 22)", "regions": {}}
    if OUT.is_file():   # the regions not measured this time are kept from the last run
        record["regions"] = json.loads(OUT.read_text()).get("regions", {})
    if "west_africa" in args.regions:
        record["regions"]["west_africa"] = _run_region("west_africa", tspec, inputs, args.end, args.workers, {})
    if "synthetic_africa" in args.regions:
        with tempfile.TemporaryDirectory() as work:
            sspec, sinputs, about = _synthetic_africa(Path(work), inputs)
            print(f"synthetic Africa: Hawkes process {about['hawkes']}, {about['events_2015_2022']:,} events", flush=True)
            record["regions"]["synthetic_africa"] = _run_region("synthetic_africa", sspec, sinputs, "2022-12-26",
                                                                args.workers, about)
    basis = record["regions"].get("synthetic_africa") or record["regions"]["west_africa"]
    record["projection"] = _projection(basis)
    print("\n| region | workers | cell-weeks | panel s | cell-weeks/s/worker | training s | sampled rows | "
          "scoring s (52 weeks) | worker peak MiB | driver peak MiB | disk MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, region in record["regions"].items():
        for r in region["runs"].values():
            print(f"| {name} | {r['workers']} | {r['rows']:,} | {r['wall_s']} | {r['cell_weeks_per_s_per_worker']:,} | "
                  f"{r['train_s']} | {r['train_rows']:,} | {r['score_s']} | {r['worker_peak_rss_mib']} | "
                  f"{r['driver_peak_rss_mib']} | {r['disk_mib']} |")
    print(f"\nprojection: {record['projection']}")
    OUT.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
