"""The ViEWS 2023/24 challenge protocol on the real cells, with the challenge's exact benchmarks
(issue 24): every forecaster's CRPS, ignorance and 90% interval score per window, and the CRPS of
sahelrisk and of the ensemble against the best benchmark of each window, with 95% intervals from
resampled months.

Windows 2014-2017 are validation windows (for choosing), 2018-2023 the reported ones; both are
written, apart.

Usage: .venv/bin/python benchmarks/bench_views.py [--validation 2014-2017] [--test 2018-2023] [--draws 1000]
Prints a table and writes benchmarks/views_challenge.json.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import date
from pathlib import Path

import numpy as np

from sahelrisk.evaluation.intervals import percentile_interval, resample_sums

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("views_challenge.json")
BENCHMARKS = ("zero", "last", "boot_240", "conflictology", "conflictology_neighbours")
RESAMPLES = 2000
MODELS = ("sahelrisk", "ensemble")
MIX_WITH = "conflictology_neighbours"
MIX_WEIGHTS = (0.25, 0.5, 0.75)
"""The ensemble's candidates (issue 24): sahelrisk's draws mixed with a benchmark's at these weights of
sahelrisk, scored exactly (weighted draws); the weight is chosen on the validation windows only."""


def _years(text: str) -> list[int]:
    first, last = (int(y) for y in text.split("-"))
    return list(range(first, last + 1))


def _monthly_crps(draws: np.ndarray, actuals: np.ndarray) -> np.ndarray:
    """Mean CRPS over cells for each of the window's 12 months."""
    import scoringrules
    n_cells, n_months, n_draws = draws.shape
    crps = scoringrules.crps_ensemble(actuals.reshape(-1).astype(float), draws.reshape(-1, n_draws).astype(float))
    return np.asarray(crps).reshape(n_cells, n_months).mean(axis=0)


def _mixture_crps(model: np.ndarray, other: np.ndarray, weight: float, actuals: np.ndarray) -> np.ndarray:
    """Mean CRPS per month of the mixture ``weight`` x model + (1 - weight) x other, each draw
    weighted so the two ensembles keep their shares whatever their sizes."""
    import scoringrules
    n_cells, n_months, n_model = model.shape
    n_other = other.shape[2]
    both = np.concatenate([model, other], axis=2).reshape(-1, n_model + n_other).astype(float)
    weights = np.concatenate([np.full(n_model, weight / n_model), np.full(n_other, (1 - weight) / n_other)])
    crps = scoringrules.crps_ensemble(actuals.reshape(-1).astype(float), both,
                                      ens_w=np.broadcast_to(weights, both.shape), estimator="qd")
    return np.asarray(crps).reshape(n_cells, n_months).mean(axis=0)


def _summary(diff_by_month: np.ndarray, rng: np.random.Generator) -> dict:
    return {"difference": round(float(diff_by_month.mean()), 5), "interval_95": _interval(diff_by_month, rng)}


def _interval(diff_by_month: np.ndarray, rng: np.random.Generator) -> list[float]:
    """95% interval of the mean difference, resampling whole months (the months are the blocks)."""
    sums = resample_sums(diff_by_month, resamples=RESAMPLES, seed=int(rng.integers(2**31)))[:, 0]
    return [round(float(v), 5) for v in percentile_interval(sums / len(diff_by_month))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validation", default="2014-2017")
    parser.add_argument("--test", default="2018-2023")
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.evaluation.views_protocol import (
        ENSEMBLE,
        FORECASTERS,
        monthly_deaths,
        score_draws,
        window_forecasts,
    )
    from sahelrisk.features.panel import build_units, load_inputs
    from sahelrisk.jobs.views import FIRST_MONTH_YEAR
    from sahelrisk.modeling.spec import load_training_spec

    spec = load_training_spec(ROOT / "training" / "default.toml")
    years = {"validation": _years(args.validation), "test": _years(args.test)}
    last = max(years["test"])
    inputs = load_inputs(load_catalog(), resolve_data_dir(None, cwd=ROOT), spec=spec.features, as_of=date(last, 12, 31))
    units = build_units(spec.features, inputs)
    deaths = monthly_deaths(inputs.events, units, FIRST_MONTH_YEAR, last)
    rng = np.random.default_rng(0)
    record: dict = {"benchmark": f"ViEWS 2023/24 challenge protocol on the {len(units):,} cells of "
                                 f"{', '.join(spec.features.countries)}; state-based deaths per cell-month, 3-14 "
                                 f"months ahead; the challenge's benchmarks as its benchmark.py draws them",
                    "command": "python benchmarks/bench_views.py", "draws": args.draws, "resamples": RESAMPLES}
    for role, window_years in years.items():
        rows, monthly, best = [], {}, {}
        for year in window_years:
            started = time.perf_counter()
            window = window_forecasts(deaths, units, year, n_draws=args.draws)
            crps = {name: _monthly_crps(window.draws[name], window.actuals) for name in FORECASTERS}
            for w in MIX_WEIGHTS:   # the exact mixture (weighted draws), for choosing its weight
                crps[f"mix_{w}"] = _mixture_crps(window.draws["sahelrisk"], window.draws[MIX_WITH], w, window.actuals)
            for name in FORECASTERS:
                rows.append({"window": year, "forecaster": name,
                             **{k: round(v, 4) for k, v in score_draws(window.draws[name], window.actuals).items()}})
            best[year] = min(BENCHMARKS, key=lambda name: crps[name].mean())
            monthly[year] = crps
            print(f"{role} {year}: best benchmark {best[year]} {crps[best[year]].mean():.4f}, sahelrisk "
                  f"{crps['sahelrisk'].mean():.4f}, ensemble {crps['ensemble'].mean():.4f} "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
        record[role] = {"windows": window_years, "per_window": rows,
                        "mean_crps": {name: round(float(np.mean([r["crps"] for r in rows if r["forecaster"] == name])), 4)
                                      for name in FORECASTERS}}
        for model in MODELS:
            versus = []
            for year in window_years:
                diff = monthly[year][model] - monthly[year][best[year]]
                versus.append({"window": year, "best_benchmark": best[year],
                               "crps_best": round(float(monthly[year][best[year]].mean()), 4),
                               f"crps_{model}": round(float(monthly[year][model].mean()), 4),
                               "difference": round(float(diff.mean()), 5), "interval_95": _interval(diff, rng)})
            # over the windows: the months laid end to end, against each benchmark and each window's best
            overall = {name: _summary(np.concatenate([monthly[y][model] - monthly[y][name] for y in window_years]), rng)
                       for name in BENCHMARKS}
            overall["best_of_each_window"] = _summary(
                np.concatenate([monthly[y][model] - monthly[y][best[y]] for y in window_years]), rng)
            record[role][model] = {"vs_best_benchmark": versus, "minus_benchmark_over_windows": overall,
                                   "windows_below_best": sum(v["difference"] < 0 for v in versus),
                                   "windows_below_best_beyond_noise": sum(v["interval_95"][1] < 0 for v in versus)}
        record[role][f"sahelrisk_mixed_with_{MIX_WITH}"] = {
            str(w): {"mean_crps": round(float(np.concatenate([monthly[y][f"mix_{w}"] for y in window_years]).mean()), 4),
                     "per_window": {str(y): round(float(monthly[y][f"mix_{w}"].mean()), 4) for y in window_years}}
            for w in MIX_WEIGHTS}
    mixtures = record["validation"][f"sahelrisk_mixed_with_{MIX_WITH}"]
    record["mixture_weight_chosen_on_validation"] = min(MIX_WEIGHTS, key=lambda w: mixtures[str(w)]["mean_crps"])
    print(f"\nweight of sahelrisk in the mixture, chosen on the validation windows: "
          f"{record['mixture_weight_chosen_on_validation']} (the ensemble forecaster uses {ENSEMBLE[1]})")
    print("\n| role | window | best benchmark | its CRPS | sahelrisk - best (95% interval) | ensemble - best (95% interval) |")
    print("|---|---|---|---|---|---|")
    for role in years:
        for a, b in zip(record[role]["sahelrisk"]["vs_best_benchmark"], record[role]["ensemble"]["vs_best_benchmark"]):
            print(f"| {role} | {a['window']} | {a['best_benchmark']} | {a['crps_best']} | "
                  f"{a['difference']:+.4f} ({a['interval_95'][0]:+.4f} .. {a['interval_95'][1]:+.4f}) | "
                  f"{b['difference']:+.4f} ({b['interval_95'][0]:+.4f} .. {b['interval_95'][1]:+.4f}) |")
    OUT.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
