"""The ViEWS 2023/24 challenge protocol on the real cells, with the challenge's exact benchmarks
(issue 24): every forecaster's CRPS, ignorance and 90% interval score per window, and sahelrisk's
CRPS against the best benchmark of each window with a 95% interval from resampled months.

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

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("views_challenge.json")
BENCHMARKS = ("zero", "last", "boot_240", "conflictology", "conflictology_neighbours")
RESAMPLES = 2000
MIX_WITH = "conflictology_neighbours"
MIX_WEIGHTS = (0.25, 0.5, 0.75)
"""A candidate (issue 24): sahelrisk's draws mixed with a benchmark's, the weight of sahelrisk chosen
on the validation windows only, as the ViEWS ensembles weigh their members."""


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


def _interval(diff_by_month: np.ndarray, rng: np.random.Generator) -> list[float]:
    """95% interval of the mean difference, resampling whole months."""
    picks = rng.integers(0, len(diff_by_month), (RESAMPLES, len(diff_by_month)))
    means = diff_by_month[picks].mean(axis=1)
    return [round(float(v), 5) for v in np.quantile(means, [0.025, 0.975])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--validation", default="2014-2017")
    parser.add_argument("--test", default="2018-2023")
    parser.add_argument("--draws", type=int, default=1000)
    args = parser.parse_args()

    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.evaluation.views_protocol import FORECASTERS, monthly_deaths, score_draws, window_forecasts
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
        rows, versus, monthly = [], [], {}
        for year in window_years:
            started = time.perf_counter()
            window = window_forecasts(deaths, units, year, n_draws=args.draws)
            crps = {name: _monthly_crps(window.draws[name], window.actuals) for name in FORECASTERS}
            for w in MIX_WEIGHTS:
                crps[f"mix_{w}"] = _mixture_crps(window.draws["sahelrisk"], window.draws[MIX_WITH], w, window.actuals)
            for name in FORECASTERS:
                rows.append({"window": year, "forecaster": name,
                             **{k: round(v, 4) for k, v in score_draws(window.draws[name], window.actuals).items()}})
            best = min(BENCHMARKS, key=lambda name: crps[name].mean())
            diff = crps["sahelrisk"] - crps[best]
            versus.append({"window": year, "best_benchmark": best, "crps_best": round(float(crps[best].mean()), 4),
                           "crps_sahelrisk": round(float(crps["sahelrisk"].mean()), 4),
                           "difference": round(float(diff.mean()), 5), "interval_95": _interval(diff, rng)})
            monthly[year] = crps
            print(f"{role} {year}: best benchmark {best} {crps[best].mean():.4f}, sahelrisk "
                  f"{crps['sahelrisk'].mean():.4f} ({time.perf_counter() - started:.0f} s)", flush=True)
        # over the windows: each benchmark's months laid end to end, against sahelrisk's
        overall = {}
        for name in BENCHMARKS:
            diff = np.concatenate([monthly[y]["sahelrisk"] - monthly[y][name] for y in window_years])
            overall[name] = {"difference": round(float(diff.mean()), 5), "interval_95": _interval(diff, rng)}
        means = {name: round(float(np.mean([r["crps"] for r in rows if r["forecaster"] == name])), 4)
                 for name in FORECASTERS}
        mixtures = {}
        for w in MIX_WEIGHTS:
            by_month = np.concatenate([monthly[y][f"mix_{w}"] for y in window_years])
            best_by_window = [monthly[y][v["best_benchmark"]] for y, v in zip(window_years, versus)]
            diff = by_month - np.concatenate(best_by_window)
            mixtures[str(w)] = {"mean_crps": round(float(by_month.mean()), 4),
                                "minus_best_benchmark": round(float(diff.mean()), 5), "interval_95": _interval(diff, rng),
                                "per_window": {str(y): round(float(monthly[y][f"mix_{w}"].mean()), 4)
                                               for y in window_years}}
        record[role] = {"windows": window_years, "per_window": rows, "sahelrisk_vs_best": versus,
                        "mean_crps": means, "sahelrisk_minus_benchmark_over_windows": overall,
                        "windows_below_best": sum(v["difference"] < 0 for v in versus),
                        "windows_below_best_beyond_noise": sum(v["interval_95"][1] < 0 for v in versus),
                        f"sahelrisk_mixed_with_{MIX_WITH}": mixtures}
    chosen = min(MIX_WEIGHTS, key=lambda w: record["validation"][f"sahelrisk_mixed_with_{MIX_WITH}"][str(w)]["mean_crps"])
    record["mixture_weight_chosen_on_validation"] = chosen
    test_mix = record["test"][f"sahelrisk_mixed_with_{MIX_WITH}"][str(chosen)]
    print(f"\nmixture: weight {chosen} of sahelrisk chosen on the validation windows; on the test windows its CRPS "
          f"is {test_mix['mean_crps']} ({test_mix['minus_best_benchmark']:+.5f} against each window's best "
          f"benchmark, 95% interval {test_mix['interval_95']})")
    print("\n| role | window | best benchmark | its CRPS | sahelrisk | difference (95% interval, months resampled) |")
    print("|---|---|---|---|---|---|")
    for role in years:
        for v in record[role]["sahelrisk_vs_best"]:
            print(f"| {role} | {v['window']} | {v['best_benchmark']} | {v['crps_best']} | {v['crps_sahelrisk']} | "
                  f"{v['difference']:+.4f} ({v['interval_95'][0]:+.4f} .. {v['interval_95'][1]:+.4f}) |")
    OUT.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
