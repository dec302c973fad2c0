"""The 2023 track record on the real data: 52 published weeks, frozen, then verified.

A champion is trained as the weekly job would have had it at the start of 2023 (the shipped spec,
data as of 2022-12-31, registered in a throw-away MLflow store), so every 2023 forecast is out of
sample. Then for each of the 52 Mondays of 2023 the week's run is replayed with the data known at
that week's end (``as_of`` the Sunday): the one composition every run goes through
(``jobs.run.run_week``, the champion as is, no retrain, maps and bulletin in English), which
publishes the week and freezes it in the ledger. ``sahelrisk.verify`` then scores every week whose
4 weeks ahead are in the data (to 2023-12-31: the 48 weeks to 2023-11-27) as it was published, and
``verify --check`` is run on the result.

Prints the record (last 4, 13 and 52 verified weeks against each rule) and writes
benchmarks/track_record.json. Run: SAHELRISK_DATA=../shared/data .venv/bin/python
benchmarks/bench_track_record.py [WORK_DIR] (about 10 minutes on 2 cores); with ``--verify-only``
the weeks already published in WORK_DIR are verified again.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TRAIN_AS_OF = date(2022, 12, 31)
MONDAYS = pd.date_range("2023-01-02", "2023-12-25", freq="7D")


def _train(work: Path, data: Path, catalog) -> str:
    from sahelrisk.jobs.train import train_and_track
    from sahelrisk.modeling.spec import load_training_spec
    spec = load_training_spec(ROOT / "training" / "default.toml")
    outcome = train_and_track(spec, data, as_of=TRAIN_AS_OF, data_end=TRAIN_AS_OF, register=True,
                              out_dir=work / "training", models_dir=work / "models", mlruns=work / "mlruns",
                              catalog=catalog)
    assert outcome.promoted, outcome.decision
    return outcome.version or ""


def _replay(work: Path, data: Path, catalog) -> list[float]:
    from sahelrisk.calendar import week_end
    from sahelrisk.data.window import DataWindow
    from sahelrisk.jobs.run import RunPolicy, run_week
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.registry.models import load_model
    spec = load_training_spec(ROOT / "training" / "default.toml")
    champion = load_model("champion", name=spec.registered_model, mlruns=work / "mlruns")
    seconds = []
    for k, monday in enumerate(MONDAYS):
        as_of = week_end(monday).date()
        started = time.perf_counter()
        run_week(spec, DataWindow(as_of, as_of, "given"), monday, data_dir=data, catalog=catalog,
                 out_dir=work / "outputs", policy=RunPolicy(check=False, allow_stale=True, train=False),
                 champion=lambda: champion, langs=("en",), mlruns=work / "mlruns",
                 published_at=f"{(monday + pd.Timedelta(days=7)).date()}T06:00:00+00:00")
        seconds.append(time.perf_counter() - started)
        print(f"published {monday.date()} ({k + 1}/{len(MONDAYS)}) in {seconds[-1]:.1f} s", flush=True)
    return seconds


def _table(summary: list[dict]) -> list[dict]:
    from sahelrisk.evaluation.track_record import RULE_NAMES
    rows = []
    for entry in summary:
        calls = entry["calls"]
        for caller, counts in calls.items():
            versus = entry["versus"].get(caller, {})
            rows.append({"window": entry["window_weeks"], "weeks": entry["weeks"], "scope": entry["scope"],
                         "caller": "sahelrisk" if caller == "model" else RULE_NAMES.get(caller, caller),
                         "units_with_event": entry["positives"], "called": counts["called"],
                         "caught": counts["caught"], "model_minus_rule": versus.get("difference"),
                         "interval": [versus.get("low"), versus.get("high")] if versus else None})
    return rows


def main(work: Path, verify_only: bool = False) -> dict:
    import sahelrisk
    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    data, catalog = resolve_data_dir(None), load_catalog()
    if verify_only:   # the weeks already published in WORK: verify them again (the timings kept)
        before = json.loads((ROOT / "benchmarks" / "track_record.json").read_text())
        version, train_s = before["champion"]["version"], before["timings_s"]["train"]
        seconds = [before["timings_s"]["publish_mean"]] * len(MONDAYS)
    else:
        started = time.perf_counter()
        version = _train(work, data, catalog)
        train_s = time.perf_counter() - started
        seconds = _replay(work, data, catalog)
    started = time.perf_counter()
    result = sahelrisk.verify(work / "outputs", data_dir=data, catalog=catalog, log=print)
    verify_s = time.perf_counter() - started
    check = sahelrisk.verify(work / "outputs", check_only=True)
    record = json.loads((work / "outputs" / "track_record" / "track_record.json").read_text())
    table = _table(result.summary)
    print(f"\n{'window':>6} {'scope':>5}  {'caller':<62} {'events':>6} {'called':>6} {'caught':>6}  model - rule [95%]")
    for row in table:
        if row["scope"] != "all":
            continue
        gap = "" if row["model_minus_rule"] is None else \
            f"{row['model_minus_rule']:+.3f} [{row['interval'][0]:+.3f}, {row['interval'][1]:+.3f}]"
        print(f"{row['weeks']:>6} {row['scope']:>5}  {row['caller']:<62} {row['units_with_event']:>6} "
              f"{row['called']:>6} {row['caught']:>6}  {gap}")
    out = {"benchmark": "the 2023 track record: 52 weeks published with the data known at each week's end, "
                        "frozen, then verified against the outcomes to 2023-12-31",
           "champion": {"spec": "training/default.toml", "trained_as_of": str(TRAIN_AS_OF), "version": version},
           "published_weeks": len(MONDAYS), "verified_weeks": len(result.verified), "pending": result.pending,
           "ledger_check_problems": check.problems, "table": table, "summary": result.summary,
           "tiers": record["tiers"], "weeks": record["weeks"],
           "timings_s": {"train": round(train_s, 1), "publish_mean": round(sum(seconds) / len(seconds), 1),
                         "publish_max": round(max(seconds), 1), "verify": round(verify_s, 1)},
           "note": "called = the high and very high tiers; a history rule gets as many calls as the model each "
                   "week; intervals resample whole weeks (1000 resamples, 95%)"}
    (ROOT / "benchmarks" / "track_record.json").write_text(json.dumps(out, indent=2, default=str) + "\n")
    return out


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--verify-only"]
    folder = Path(args[0]) if args else Path(tempfile.mkdtemp(prefix="sahelrisk-track-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"working in {folder}", flush=True)
    main(folder, verify_only="--verify-only" in sys.argv)
