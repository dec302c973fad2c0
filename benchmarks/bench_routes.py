"""Route and site risk in the rolling-origin backtest, and the time to score them.

For every road link of the network touching Mali, Burkina Faso or Niger (its corridor: 10 km
either side) and every USGS mining site there (a 25 km disc), and every origin week: the zone's
probability of a fatal event in the next 4 weeks from the model's cell probabilities (the share
score of ``sahelrisk.evaluation.zones``, and the same mapped by a calibration fitted on earlier
folds only), against what happened in the zone, beside the zone's own decayed history of fatal
events (26-week half-life, calibrated the same way) and the independence score (every touched
cell in full). The calibration is chosen on the validation origins (2017-2019, training from
2005) and reported on the test origins (2020-2023).

Then, with the registered champion, the time to score one route and every mining site for one
week (goal: under 1 s each at 0.5 degree), the week's cells already scored.

Prints tables and writes benchmarks/routes.json. Run: .venv/bin/python benchmarks/bench_routes.py
(about 10 minutes: two backtests of the blend).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.evaluation.intervals import resample_weeks, summary

ROOT = Path(__file__).resolve().parents[1]
TARGET = "target_any_fatal_4w"
PERIODS = {"validation": ("2005-01-03", "2017-01-02", "2019-12-02"), "test": None}
WEEK = "2023-12-25"


def _backtest(period, spec, data_dir):
    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.modeling.frame import prepare_frame

    if period is not None:
        spec = spec.with_backtest(train_start=period[0], first_origin=period[1], last_origin=period[2])
    tf = prepare_frame(spec, data_dir)
    return tf, run_backtests(spec, tf, [4]).predictions[4]


def _zone_tables(tf, preds):
    from sahelrisk.data.sources.families import select_sources
    from sahelrisk.evaluation.areas import METHODS, calibrate_in_backtest
    from sahelrisk.evaluation.zones import evaluate_zones

    events = select_sources(tf.inputs.events, ("ucdp",))
    by_kind = evaluate_zones(preds, tf.units, tf.inputs.layers, events, target=TARGET, horizon_weeks=4,
                             data_end=tf.data_end, method="none")
    for rows in by_kind.values():
        index = pd.MultiIndex.from_frame(rows[["unit_id", "week"]])
        for method in METHODS:
            rows[f"p_share_{method}"] = calibrate_in_backtest(rows, TARGET, 4, method, score="p_share").set_index(
                ["unit_id", "week"])["p_calibrated"].reindex(index).to_numpy()
    return by_kind


def _ap_gap(rows: pd.DataFrame, a: str, b: str, seed: int = 0) -> dict:
    """AP of ``a`` minus AP of ``b``, with its 95% interval from resampling whole weeks (zone-weeks
    of one week move together: one campaign, one season)."""
    from sklearn.metrics import average_precision_score

    y, pa, pb = rows[TARGET].to_numpy(), rows[f"p_{a}"].to_numpy(), rows[f"p_{b}"].to_numpy()

    def gap(take: np.ndarray) -> float:
        if not y[take].any():
            return np.nan
        return average_precision_score(y[take], pa[take]) - average_precision_score(y[take], pb[take])
    found = summary(gap(np.arange(len(rows))), resample_weeks(rows["week"], gap, seed=seed))
    return {"gap": found["estimate"], "low_95": found["interval"][0], "high_95": found["interval"][1]}


def _timings(data_dir) -> dict:
    from datetime import date

    from sahelrisk import api
    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.features.panel import load_inputs
    from sahelrisk.routes.network import RoadNetwork
    from sahelrisk.routes.places import resolve_place
    from sahelrisk.routes.risk import route_segments, route_summary, site_risk
    from sahelrisk.routes.sites import mining_sites

    loaded = api.load_model("champion")
    inputs = load_inputs(load_catalog(), data_dir, spec=loaded.spec, as_of=date(2023, 12, 31))
    result, _ = api.score_all(WEEK, model=loaded, data_dir=data_dir, levels=(), inputs=inputs)
    cells, events, places = result.cells, inputs.events, inputs.layers["places"]
    out = {}
    started = time.perf_counter()
    network = RoadNetwork(inputs.layers["roads"])
    out["network_build_s"] = time.perf_counter() - started
    for name, stops, alternatives in (("Ségou-Niono-Sokolo", ["Ségou", "Niono", "Sokolo"], 0),
                                      ("Bamako-Mopti, 2 alternatives", ["Bamako", "Mopti"], 2)):
        started = time.perf_counter()
        routes = network.route([resolve_place(s, places, loaded.spec.countries) for s in stops], alternatives)
        for route in routes:
            route_summary(route, route_segments(route, cells, events, WEEK), cells,
                          calibration=loaded.area_calibration)
        out[f"route {name}_s"] = time.perf_counter() - started
    started = time.perf_counter()
    sites = site_risk(mining_sites(inputs.layers["mining_sites"], loaded.spec.countries), cells, events, WEEK,
                      calibration=loaded.area_calibration)
    out[f"all {len(sites)} mining sites_s"] = time.perf_counter() - started
    return {k: round(v, 3) for k, v in out.items()}


def main() -> None:
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.evaluation.areas import METHODS
    from sahelrisk.evaluation.metrics import metrics_by, reliability_table
    from sahelrisk.modeling.spec import load_training_spec

    spec = load_training_spec(ROOT / "training/default.toml")
    data_dir = resolve_data_dir(None, cwd=ROOT)
    record = {"benchmark": "route corridors (10 km) and mining sites (25 km): zone risk in the rolling-origin "
                           "backtest, horizon 4 weeks", "periods": {}}
    for period, bounds in PERIODS.items():
        tf, preds = _backtest(bounds, spec, data_dir)
        out = {}
        for kind, rows in _zone_tables(tf, preds).items():
            names = [f"share_{m}" for m in METHODS] + ["independent", "decay_calibrated"]
            both = rows.dropna(subset=[f"p_{n}" for n in names])
            table = metrics_by(both, TARGET, names).set_index("model")
            reliability = {n: reliability_table(both[TARGET], both[f"p_{n}"]).round(4).to_dict("records")
                           for n in ("share_none", "share_logistic", "independent", "decay_calibrated")}
            gap = _ap_gap(both, "share_none", "decay_calibrated")
            out[kind] = {"zones": int(rows["unit_id"].nunique()), "rows": len(both), "ap_gap_vs_baseline": gap,
                         "event_rate": round(float(both[TARGET].mean()), 4),
                         "metrics": table.round(4).reset_index().to_dict("records"), "reliability": reliability}
            print(f"\n{period} origins, {kind}: {rows['unit_id'].nunique()} zones, {len(both):,} zone-weeks, "
                  f"event rate {both[TARGET].mean():.3f}")
            print(table[["ap", "roc_auc", "brier_skill", "ece", "top10_recall"]].round(4).to_string())
            print(f"AP model - baseline: {gap['gap']:+.4f} (95% interval over resampled weeks {gap['low_95']:+.4f} "
                  f"to {gap['high_95']:+.4f})")
        record["periods"][period] = out
    ece = {m: float(np.mean([next(r["ece"] for r in record["periods"]["validation"][k]["metrics"]
                                  if r["model"] == f"share_{m}") for k in record["periods"]["validation"]]))
           for m in METHODS}
    chosen = min(ece, key=ece.get)
    record["chosen_on_validation"] = {"method": chosen, "mean_ece": {k: round(v, 4) for k, v in ece.items()}}
    print(f"\nchosen on validation: {chosen} (mean ECE {ece})")
    out = ROOT / "benchmarks" / "routes.json"
    out.write_text(json.dumps(record, indent=2, default=str) + "\n")   # kept if the timings fail
    record["timings_s"] = _timings(data_dir)
    print("\n| step | seconds |\n|---|---|")
    for name, seconds in record["timings_s"].items():
        print(f"| {name.removesuffix('_s')} | {seconds:.3f} |")
    out.write_text(json.dumps(record, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
