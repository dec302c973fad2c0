"""Do the areas' deaths intervals hold? (issue 24, "area intervals")

An area's deaths forecast is the sum of its cells' draws. Drawn independently, the cells' deaths
cannot rise together the way a campaign makes them, so the sum's interval may be too narrow.
This backtests the registered model's deaths forecast at area level (ADM1 and ADM2, each cell in
the area holding its representative point, as in the weekly outputs) and compares:

- ``independent``: cells drawn independently (what the weekly outputs did before);
- ``copula``: cells drawn through a Gaussian copula with one shared factor per ADM1 area and one
  per ADM2 area (loadings ``rho_adm1``, ``rho_adm2``); each cell keeps its own hurdle distribution.

The loadings are chosen on the validation origins (2017-2019) by the mean 90% interval score of
both levels' areas, a proper score of the interval; the test origins (2020 on) then report the
coverage of the 90% interval, the interval score and the CRPS, with the fraction of area-weeks
where any death fell. Coverage is also given on area-weeks with at least one death, where a too
narrow interval shows first, and as the central 90% of the randomised PIT
(:func:`central_pit_share`), the coverage a count forecast can be held to.

Prints tables and writes benchmarks/area_deaths.json. Run from the repository root (about
8 minutes): .venv/bin/python benchmarks/bench_area_deaths.py
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("area_deaths.json")
VALIDATION = ("2017-01-02", "2019-12-02")
DRAWS = 400
GRID = [(a, b) for a in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5) for b in (0.0, 0.1, 0.2, 0.3, 0.4) if a + b <= 0.8]
LEVELS = ("adm1", "adm2")


def cell_forecasts(spec, tf, first, last):
    """Backtest the registered model; per fold, the count model fitted on that fold's training weeks.
    Returns the cell-weeks with their probability, ADM1/ADM2 p-codes and the pieces of their
    :class:`SeverityForecast` (``mean_z``, ``dispersion``)."""
    from bench_severity import fold_count_model

    from sahelrisk.evaluation.backtest import run_backtest
    from sahelrisk.features.targets import target_column
    from sahelrisk.modeling.fit import recipe
    from sahelrisk.modeling.severity import SeverityModel
    spec = spec.with_backtest(first_origin=pd.Timestamp(first).date(), last_origin=last)
    started = time.perf_counter()
    preds, _ = run_backtest(spec.splitter(data_end=tf.data_end), tf.frame, spec.target,
                            {"model": recipe(spec, tf.feature_columns)})
    deaths = target_column("fatalities", spec.horizon_weeks)
    rows = preds[["unit_id", "week", "fold", "p_model"]].merge(
        tf.frame[["unit_id", "week", deaths, *SeverityModel().features]], on=["unit_id", "week"])
    rows = rows.dropna(subset=[deaths]).reset_index(drop=True)
    units = tf.units.table.set_index("unit_id")
    for level in LEVELS:
        rows[level] = rows["unit_id"].map(units[f"{level}_pcode"])
    mean_z, dispersion = np.empty(len(rows)), np.empty(len(rows))
    for _, part in rows.groupby("fold", sort=False):
        model, _ = fold_count_model(tf.frame, part["week"].min(), deaths, spec.horizon_weeks,
                                    spec.backtest.train_start)
        forecast = model.forecast(part, part["p_model"])
        mean_z[part.index], dispersion[part.index] = forecast.mean_z, forecast.dispersion
    rows["mean_z"], rows["dispersion"] = mean_z, dispersion
    print(f"backtest {first}..{last}: {len(rows):,} cell-weeks, {time.perf_counter() - started:.0f} s", flush=True)
    return rows.rename(columns={deaths: "deaths"})


def area_draws(rows, rho, seed=0):
    """Per level, the areas' observed deaths and summed draws (area-weeks x DRAWS)."""
    from sahelrisk.modeling.severity import SeverityForecast
    out = {level: [] for level in LEVELS}
    for week, part in rows.groupby("week", sort=True):
        codes = [pd.factorize(part[level])[0] for level in LEVELS]
        pieces = []
        for d, idx in part.groupby("dispersion").indices.items():   # one dispersion per fold
            forecast = SeverityForecast(part["p_model"].to_numpy()[idx], part["mean_z"].to_numpy()[idx], float(d),
                                        correlation=rho)
            pieces.append((idx, forecast.sample(DRAWS, seed=seed + int(week.value // 10**9) % 2**31,
                                                groups=[c[idx] for c in codes])))
        cells = np.empty((len(part), DRAWS))
        for idx, draws in pieces:
            cells[idx] = draws
        for level, c in zip(LEVELS, codes):
            sums = np.zeros((c.max() + 1, DRAWS))
            np.add.at(sums, c, cells)
            observed = np.bincount(c, weights=part["deaths"].to_numpy(), minlength=c.max() + 1)
            out[level].append((observed, sums))
    return {level: (np.concatenate([o for o, _ in v]), np.vstack([s for _, s in v])) for level, v in out.items()}


def central_pit_share(observed, draws, seed=0):
    """The share of randomised PIT values inside (0.05, 0.95): 0.9 for a calibrated forecast.

    For counts the interval [q05, q95] covers more than 90% by construction whenever zero carries
    5% or more (most area-weeks). The randomised PIT, F(y - 1) + U (F(y) - F(y - 1)), is uniform
    for a calibrated count forecast, so its central 90% is the coverage a count interval can be
    held to."""
    below = (draws < observed[:, None]).mean(axis=1)
    at_most = (draws <= observed[:, None]).mean(axis=1)
    pit = below + np.random.default_rng(seed).random(len(observed)) * (at_most - below)
    return float(np.mean((pit > 0.05) & (pit < 0.95)))


def scores(observed, draws):
    import scoringrules

    from sahelrisk.evaluation.views_protocol import interval_score
    score, covered = interval_score(draws, observed, alpha=0.1)
    dead = observed >= 1
    return {"area_weeks": int(len(observed)), "with_deaths": round(float(dead.mean()), 3),
            "pit_central_90": round(central_pit_share(observed, draws), 3),
            "coverage_90": round(float(np.mean(covered)), 3),
            "coverage_90_with_deaths": round(float(np.mean(np.asarray(covered)[dead])), 3),
            "interval_score_90": round(float(np.mean(score)), 3),
            "crps": round(float(np.mean(scoringrules.crps_ensemble(observed, draws.astype(float)))), 3)}


def main() -> None:
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.modeling.frame import prepare_frame
    from sahelrisk.modeling.spec import load_training_spec

    spec = load_training_spec(ROOT / "training/default.toml")
    tf = prepare_frame(spec, resolve_data_dir(None, cwd=ROOT))
    validation = cell_forecasts(spec, tf, *VALIDATION)
    search = {}
    for rho in GRID:
        drawn = area_draws(validation, rho)
        search[rho] = {level: scores(*drawn[level]) for level in LEVELS}
        print(f"validation rho_adm1 {rho[0]:.1f} rho_adm2 {rho[1]:.1f}: " + "; ".join(
            f"{level} PIT90 {s['pit_central_90']:.3f} coverage {s['coverage_90']:.3f} "
            f"(with deaths {s['coverage_90_with_deaths']:.3f}) "
            f"IS {s['interval_score_90']:.2f} CRPS {s['crps']:.3f}" for level, s in search[rho].items()), flush=True)
    chosen = min(GRID, key=lambda r: np.mean([search[r][level]["interval_score_90"] for level in LEVELS]))
    # shown beside the choice: the loadings the CRPS would have picked
    by_crps = min(GRID, key=lambda r: np.mean([search[r][level]["crps"] for level in LEVELS]))
    print(f"chosen on validation: rho_adm1 {chosen[0]}, rho_adm2 {chosen[1]} (by CRPS: {by_crps})")
    test = cell_forecasts(spec, tf, spec.backtest.first_origin, "last_observed")
    report = {}
    for name, rho in {"independent": (0.0, 0.0), "chosen": chosen, "copula_by_crps": by_crps}.items():
        drawn = area_draws(test, rho)
        report[name] = {level: scores(*drawn[level]) for level in LEVELS}
        for level, s in report[name].items():
            print(f"test {name:<12}{level}: PIT90 {s['pit_central_90']:.3f}, coverage {s['coverage_90']:.3f} (with deaths "
                  f"{s['coverage_90_with_deaths']:.3f}), IS {s['interval_score_90']:.2f}, CRPS {s['crps']:.3f}")
    record = {"benchmark": "area-level 90% deaths intervals, horizon 4 weeks (issue 24)", "draws": DRAWS,
              "validation_origins": "..".join(VALIDATION),
              "test_origins": f"{test['week'].min().date()}..{test['week'].max().date()}",
              "validation_search": [{"rho_adm1": r[0], "rho_adm2": r[1], **search[r]} for r in GRID],
              "chosen": {"rho_adm1": chosen[0], "rho_adm2": chosen[1]},
              "by_crps": {"rho_adm1": by_crps[0], "rho_adm2": by_crps[1]}, "test": report}
    OUT.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
