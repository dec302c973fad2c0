"""Where the seconds of a training run and a weekly run go, step by step (issue 21: profile first).

Times, on the real data and the shipped training spec, each step of one run through the run's
seam (:mod:`sahelrisk.jobs.run`): loading the sources, building the panel and targets, the
backtest (every fold's fit of the blend and of each baseline), the area and zone evaluation, the
final fit, the deaths model, MLflow logging and registration, loading the champion, scoring one
week and publishing it. Prints a table and writes ``benchmarks/profile.json``.

Run from the repository root: ``.venv/bin/python benchmarks/bench_profile.py``
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.data.window import find_window
    from sahelrisk.evaluation.backtest import MODEL_NAME, evaluate
    from sahelrisk.evaluation.report import write_backtest_report
    from sahelrisk.features.panel import load_inputs
    from sahelrisk.jobs.run import publish_step, score_step
    from sahelrisk.jobs.train import training_log
    from sahelrisk.modeling.fit import fit_final_model, fit_severity
    from sahelrisk.modeling.frame import frame_from_inputs
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.registry import tracking
    from sahelrisk.registry.models import load_model

    spec = load_training_spec(ROOT / "training" / "default.toml")
    catalog, data_dir = load_catalog(), resolve_data_dir(None)
    steps: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        steps[name] = round(time.perf_counter() - started, 2)
        print(f"{name:<34}{steps[name]:>9.1f} s", flush=True)
        started = time.perf_counter()

    window = find_window(catalog, data_dir, spec.features.countries,
                         reporting_lag_weeks=spec.features.reporting_lag_weeks)
    inputs = load_inputs(catalog, data_dir, spec=spec.features, as_of=window.as_of)
    lap("load the sources")
    tf = frame_from_inputs(spec, inputs, window)
    lap("panel and targets")
    evaluation = evaluate(spec, tf)
    lap("backtest, areas and zones")
    folds = evaluation.backtest.folds[spec.horizon_weeks]
    fits = {name.removeprefix("fit_s_"): round(sum(f[name] for f in folds), 2)
            for name in folds[0] if name.startswith("fit_s_")}
    model = fit_final_model(spec, tf)
    lap("final fit of the blend")
    severity = fit_severity(spec, tf)
    lap("deaths model")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
        tracking.configure(None, Path(tmp) / "mlruns")
        paths = write_backtest_report(evaluation.backtest, spec, Path(tmp) / "out")
        entry = training_log(spec, tf, evaluation, model, severity, paths, register=True)
        _, ref = tracking.log_run(entry, root=Path(tmp) / "mlruns")
        tracking.set_alias(spec.registered_model, ref.version)
        lap("report, MLflow logging, registry")
        loaded = load_model("champion", ROOT / "training" / "default.toml", mlruns=Path(tmp) / "mlruns")
        lap("load the champion")
        scored = score_step(loaded, window.week, inputs, catalog=catalog)
        lap("score one week (cells, ADM1, ADM2)")
        publish_step(scored, Path(tmp) / "out")
        lap("publish (maps, bulletins, PDF, en+fr)")
    total = round(sum(steps.values()), 1)
    backtest_fits = round(sum(fits.values()), 1)
    result = {
        "benchmark": "where the seconds of one training and scoring run go (shipped spec, real data)",
        "machine": f"{os.cpu_count()} cores", "week": str(window.week.date()), "folds": len(folds),
        "steps_s": steps, "total_s": total,
        "backtest_fit_s_by_model": fits,
        "backtest_fit_share_of_backtest": round(backtest_fits / steps["backtest, areas and zones"], 3),
        "mean_blend_fit_s": round(fits[MODEL_NAME] / len(folds), 1),
    }
    (ROOT / "benchmarks" / "profile.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'total':<34}{total:>9.1f} s")
    print("backtest fits by model (s, all folds): " + ", ".join(f"{k} {v}" for k, v in fits.items()))


if __name__ == "__main__":
    main()
