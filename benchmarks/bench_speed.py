"""How fast the model loop runs on this machine, in seconds and in reference units (issue 21).

Measures, from one run on one machine:

- the reference unit: one plain 400-tree LightGBM fit, 2 threads, on a fixed synthetic
  641k x 93 float32 matrix with about 3% positives;
- the 16-fold backtest of the shipped spec, a weekly run that retrains (with a champion to beat),
  one that only scores, ``make run`` (the main job, in temporary folders) and, with ``--tests``,
  ``make test`` (the whole suite);
- the backtest beside a CPU-bound neighbour (a busy loop on one core) against alone, and the
  reference fit the same way;
- with ``--before REV``: the same backtest and final fit by the code of commit REV (a git
  worktree), the backtest table before and after with the interval of each metric's difference
  from resampled whole weeks, and the change of the scores of the last week (2023-12-25), beside
  the change a different seed makes.

Prints tables and writes ``benchmarks/speed.json``. Run from the repository root:
``.venv/bin/python benchmarks/bench_speed.py --before 989c971 --tests`` (about 40 minutes).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.evaluation.intervals import percentile_interval, week_blocks, week_picks

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "training" / "default.toml"
RESAMPLES = 100
METRICS = ("ap", "roc_auc", "brier_skill", "ece", "top10_recall")
GOALS = {"backtest": 60, "weekly_retrain": 180, "make_run": 150, "make_test": 360}
BUSY_LOOP = "while True: pass"


def reference_matrix() -> tuple[np.ndarray, np.ndarray]:
    """The fixed synthetic matrix: 641k rows, 93 float32 columns shaped like the panel's (62 counts,
    mostly zero, and 31 smooth covariates), about 3% positives."""
    rng = np.random.default_rng(0)
    rows = 641_000
    counts = rng.poisson(np.geomspace(0.02, 3.0, 62), size=(rows, 62)).astype(np.float32)
    smooth = rng.random((rows, 31), dtype=np.float32)
    logit = -5.4 + 0.8 * np.log1p(counts[:, -1]) + 0.6 * np.log1p(counts[:, -5]) + 1.2 * smooth[:, 0] - smooth[:, 1]
    y = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.float32)
    return np.hstack([counts, smooth]), y


def reference_unit() -> float:
    """Seconds of one plain 400-tree LightGBM fit (its defaults), 2 threads, on :func:`reference_matrix`."""
    import lightgbm as lgb
    X, y = reference_matrix()
    data = lgb.Dataset(X, label=y, params={"verbosity": -1})
    started = time.perf_counter()
    lgb.train({"objective": "binary", "num_threads": 2, "seed": 0, "verbosity": -1}, data, num_boost_round=400)
    return time.perf_counter() - started


def _speed_run(src: Path, spec: Path, out: Path, *extra: str) -> dict:
    """bench's speed_run.py with the sahelrisk of ``src`` in a fresh process: its times."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "speed_run.py"), str(spec), str(_data_dir()), str(out),
                    *extra], check=True, env=env, stdout=subprocess.DEVNULL)
    return json.loads((out / "times.json").read_text())


def _data_dir() -> Path:
    from sahelrisk.data.datadir import resolve_data_dir
    return resolve_data_dir(None, cwd=ROOT)


def beside_a_neighbour(run) -> float:
    """Seconds of ``run()`` while a busy loop holds one core."""
    neighbour = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    try:
        time.sleep(1.0)
        started = time.perf_counter()
        run()
        return time.perf_counter() - started
    finally:
        neighbour.kill()
        neighbour.wait()


def weekly_runs(site: Path) -> dict[str, float]:
    """A first weekly run (trains the champion), a forced retrain against it, and a run that only scores."""
    from sahelrisk.jobs.weekly import run_weekly
    kw = dict(data_dir=_data_dir(), out_dir=site / "out", mlruns=site / "mlruns", models_dir=site / "models",
              offline=True, today=date(2024, 1, 2), log=lambda line: None)
    times = {}
    for name, extra in (("weekly_first_run", {}), ("weekly_retrain", {"force_retrain": True}), ("weekly_score_only", {})):
        if name == "weekly_score_only":
            (site / "out" / "weekly" / "last_run.json").unlink()   # the same data again, as if new: score, publish
        started = time.perf_counter()
        result = run_weekly(SPEC, started_at=name, **kw, **extra)  # type: ignore[arg-type]
        times[name] = round(time.perf_counter() - started, 1)
        print(f"{name:<22}{times[name]:>8.1f} s   {result.status}", flush=True)
    return times


def _fresh_shell() -> dict[str, str]:
    """This process's environment without MLflow's variables: ``make`` as a user runs it, with the
    default store under its own folder."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


def make_run(site: Path) -> float:
    """The main job end to end (what ``make run`` calls), in a folder of its own (its mlruns/, models/)."""
    folder = site / "make-run"
    folder.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run([str(ROOT / ".venv" / "bin" / "sahelrisk"), "run", "--out", "outputs", "--data", str(_data_dir()),
                    "--spec", str(SPEC)], check=True, cwd=folder, stdout=subprocess.DEVNULL, env=_fresh_shell())
    return time.perf_counter() - started


def make_test() -> float:
    started = time.perf_counter()
    subprocess.run(["make", "test", "PYTEST_ARGS=-q -p no:cacheprovider"], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, env=_fresh_shell())
    return time.perf_counter() - started


def _metrics(frame: pd.DataFrame, target: str) -> dict[str, float]:
    from sahelrisk.evaluation.metrics import score_forecast
    return {m: v for m, v in score_forecast(frame[target], frame["p"], frame["week"]).items() if m in METRICS}


def compare_backtests(before: pd.DataFrame, after: pd.DataFrame, target: str, seed: int = 0) -> pd.DataFrame:
    """Each metric before and after, the difference and its 95% interval from resampled whole weeks."""
    rows = before[["unit_id", "week", target, "p_model"]].merge(
        after[["unit_id", "week", "p_model"]], on=["unit_id", "week"], suffixes=("_before", "_after"))
    weeks = week_blocks(rows["week"])   # row positions of each test week
    draws = []
    for picked in week_picks(len(weeks), resamples=RESAMPLES, seed=seed):
        # a week drawn twice is two weeks: distinct labels, so the top-10% recall ranks each copy on its own
        sample = rows.iloc[np.concatenate([weeks[i] for i in picked])].assign(
            week=np.repeat(np.arange(len(picked)), [len(weeks[i]) for i in picked]))
        a = _metrics(sample.rename(columns={"p_model_before": "p"}), target)
        b = _metrics(sample.rename(columns={"p_model_after": "p"}), target)
        draws.append({m: b[m] - a[m] for m in METRICS})
    spread = pd.DataFrame(draws)
    a = _metrics(rows.rename(columns={"p_model_before": "p"}), target)
    b = _metrics(rows.rename(columns={"p_model_after": "p"}), target)
    return pd.DataFrame({"before": a, "after": b, "difference": {m: b[m] - a[m] for m in METRICS},
                         "low_95": pd.Series(percentile_interval(spread.to_numpy())[0], spread.columns),
                         "high_95": pd.Series(percentile_interval(spread.to_numpy())[1], spread.columns)}).loc[list(METRICS)]


def _markdown(table: pd.DataFrame) -> str:
    lines = ["| metric | " + " | ".join(table.columns) + " |", "|---" * (len(table.columns) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(f"{v:.4f}" for v in row) + " |" for name, row in table.iterrows()]
    return "\n".join(lines)


def score_change(a: Path, b: Path) -> dict[str, float]:
    """How far the last week's scores of two final models lie apart."""
    x = pd.read_parquet(a / "scores.parquet").set_index("unit_id")["probability"]
    y = pd.read_parquet(b / "scores.parquet").set_index("unit_id")["probability"].reindex(x.index)
    top_x, top_y = set(x.nlargest(50).index), set(y.nlargest(50).index)
    return {"week": str(pd.read_parquet(a / "scores.parquet")["week"].max().date()),
            "max_abs": round(float((x - y).abs().max()), 4), "mean_abs": round(float((x - y).abs().mean()), 5),
            "rank_correlation": round(float(x.rank().corr(y.rank())), 4),
            "top50_shared": len(top_x & top_y)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a commit whose backtest, final fit and scores to compare with")
    parser.add_argument("--tests", action="store_true", help="also time make test (the whole suite)")
    args = parser.parse_args()
    from sahelrisk.modeling.spec import load_training_spec
    target = load_training_spec(SPEC).target

    record: dict = {"benchmark": "speed of the model loop on one machine (issue 21)",
                    "machine": f"{os.cpu_count()} cores, affinity {len(os.sched_getaffinity(0))}", "goals_s": GOALS}
    unit = reference_unit()
    record["reference_unit_s"] = round(unit, 2)
    print(f"reference unit (plain 400-tree LightGBM, 2 threads, 641k x 93): {unit:.1f} s", flush=True)
    work = Path(tempfile.mkdtemp(prefix="sahelrisk-speed-"))
    try:
        after = _speed_run(ROOT / "src", SPEC, work / "after")
        record["after"] = after
        print(f"backtest {after['backtest_s']} s, final fit {after['final_fit_s']} s", flush=True)
        seconds: dict[str, float] = {"backtest": after["backtest_s"]}
        seconds.update(weekly_runs(work / "site"))
        seconds["make_run"] = round(make_run(work / "site"), 1)
        print(f"make run {seconds['make_run']} s", flush=True)
        if args.tests:
            seconds["make_test"] = round(make_test(), 1)
            print(f"make test {seconds['make_test']} s", flush=True)
        record["seconds"] = seconds
        record["reference_units"] = {k: round(v / unit, 1) for k, v in seconds.items()}

        alone_ref = unit
        beside_ref = beside_a_neighbour(reference_unit)
        crowded = work / "crowded"
        beside_bt = beside_a_neighbour(lambda: _speed_run(ROOT / "src", SPEC, crowded, "--backtest-only"))
        bt_inner = json.loads((crowded / "times.json").read_text())["backtest_s"]
        record["neighbour"] = {
            "what": "a busy Python loop on one of the cores",
            "expected_slowdown": "about 1.5x: three busy processes share two cores, the run gets 2/3 of them",
            "reference_fit_alone_s": round(alone_ref, 1), "reference_fit_beside_s": round(beside_ref, 1),
            "reference_fit_slowdown": round(beside_ref / alone_ref, 2),
            "backtest_alone_s": after["backtest_s"], "backtest_beside_s": bt_inner,
            "backtest_slowdown": round(bt_inner / after["backtest_s"], 2),
            "backtest_process_beside_s": round(beside_bt, 1)}
        print(f"beside a busy core: reference fit {alone_ref:.1f} -> {beside_ref:.1f} s, backtest "
              f"{after['backtest_s']} -> {bt_inner} s", flush=True)

        seeded = _speed_run(ROOT / "src", SPEC, work / "seed43", "--seed", "43")
        seed_noise = compare_backtests(pd.read_parquet(work / "after" / "backtest.parquet"),
                                       pd.read_parquet(work / "seed43" / "backtest.parquet"), target)
        record["seed_43_vs_42"] = {"table": seed_noise.round(4).to_dict(orient="index"),
                                   "scores": score_change(work / "after", work / "seed43"), "times": seeded}
        if args.before:
            tree = work / "before-tree"
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), args.before], cwd=ROOT, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                before = _speed_run(tree / "src", tree / "training" / "default.toml", work / "before")
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
            table = compare_backtests(pd.read_parquet(work / "before" / "backtest.parquet"),
                                      pd.read_parquet(work / "after" / "backtest.parquet"), target)
            record["before"] = {"commit": args.before, **before}
            record["backtest_table"] = table.round(4).to_dict(orient="index")
            record["scores_before_vs_after"] = score_change(work / "before", work / "after")
            print(f"\nbacktest before ({args.before}) and after, difference with its 95% interval over "
                  f"{RESAMPLES} resamples of whole weeks\n")
            print(_markdown(table))
            print(f"\nscores of the last week, before vs after: {record['scores_before_vs_after']}")
        print(f"\nseed 43 vs 42 (the noise of the method itself): {record['seed_43_vs_42']['scores']}")
        print(_markdown(seed_noise))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("\n| run | seconds | reference units | goal |\n|---|---|---|---|")
    for name, value in record["seconds"].items():
        goal = GOALS.get(name)
        print(f"| {name} | {value} | {record['reference_units'][name]} | {'<= ' + str(goal) + ' s' if goal else ''} |")
    (ROOT / "benchmarks" / "speed.json").write_text(json.dumps(record, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
