"""The fault catalogue: a hostile UCDP download site, one fault at a time, against a data folder that
already holds three releases. For each fault: what the update says, its exit code, how long it
took, and whether the data held is untouched (the manifest and the raw files byte for byte).

The site is the test suite's (``tests/data/ucdp_site.py``) on 127.0.0.1, serving the real files
of ``../shared/data``; the faulty file is the July 2026 Candidate release. Then the weekly job
meets the same fault, with its default limits, on a copy of the real data and a registry holding
a champion (the test suite's small spec, trained once here): its exit code, the time from its
start to a published week, and whether the data it held is untouched.

Prints a table and writes benchmarks/faults.json. Run from the repository root:

    SAHELRISK_DATA=../shared/data .venv/bin/python benchmarks/bench_faults.py
"""

from __future__ import annotations

import hashlib
import json
import shutil
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
UNTIL = date(2026, 11, 28)
FAULTS = {
    "not_http": "the port answers with an SSH banner",
    "header_flood": "150 response headers",
    "long_chunk_line": "a chunk-size line over 64 KiB",
    "drip_headers": "the answer's headers a byte at a time",
    "drip": "the body a byte at a time",
    "reset": "the connection reset",
    "truncate": "half the body, then the connection closed",
    "500": "HTTP 500",
    "html": "a maintenance page with a 200",
    "error_csv": "a gateway's error as a two-line CSV with a 200",
    "huge": "a body announced at 2 GB",
    "cut_row": "a file whose last row stops mid-way (its length announced as sent)",
    "unreachable": "no server on the port at all",
}
TIMEOUT_S = 20.0


def _state(data: Path) -> str:
    """The data held: every release file and its in-scope copy byte for byte, and the manifest's
    entries (not its base URL: the site is served again on another port)."""
    from sahelrisk.data.manifest import Manifest
    digest = hashlib.sha256()
    for path in sorted(p for p in data.rglob("*") if p.is_file() and p.suffix != ".json"):
        digest.update(path.relative_to(data).as_posix().encode() + path.read_bytes())
    digest.update(json.dumps([vars(e) for e in Manifest.read(data).entries], sort_keys=True).encode())
    return digest.hexdigest()


def _one(fault: str, shared: Path, work: Path) -> dict:
    from tests.data.ucdp_site import UcdpSite

    from sahelrisk.data.update import update_ucdp

    names = ["GEDEvent_v26_0_1.csv", "GEDEvent_v26_0_2.csv"]
    with UcdpSite(work / "site") as site:
        site.publish_ged(shared)
        for name in names:
            site.publish(shared, name)
        data = work / "data"
        update_ucdp(data, until=UNTIL, retrieved_at="2026-11-28T03:00:00+00:00", base_url=site.url,
                    countries=["BFA", "MLI", "NER"], timeout=TIMEOUT_S)
        held = _state(data)
        path = site.publish(shared, "GEDEvent_v26_0_7.csv")
        if fault == "cut_row":
            path.write_bytes(path.read_bytes()[:-40])
        elif fault != "unreachable":
            site.faults["candidateged/GEDEvent_v26_0_7.csv"] = fault
    if fault == "unreachable":   # the site is gone
        return _update(fault, data, _closed_url(), held)
    with UcdpSite(work / "site") as site:   # the same files, served again with the fault
        site.faults.update({"candidateged/GEDEvent_v26_0_7.csv": fault} if fault != "cut_row" else {})
        return _update(fault, data, site.url, held)


def _update(fault: str, data: Path, url: str, held: str) -> dict:
    from sahelrisk.data.update import update_ucdp
    from sahelrisk.errors import FetchError
    started = time.monotonic()
    outcome = update_ucdp(data, until=UNTIL, retrieved_at="2026-11-28T04:00:00+00:00", base_url=url,
                          countries=["BFA", "MLI", "NER"], timeout=TIMEOUT_S)
    seconds = round(time.monotonic() - started, 1)
    return {"fault": fault, "what": FAULTS[fault], "seconds": seconds,
            "exit": FetchError.exit_code if outcome.unreached else 0,   # as `data update` exits
            "new": outcome.new, "warning": outcome.warnings[0] if outcome.warnings else "",
            "held_data_untouched": _state(data) == held}


def _registry(shared: Path, work: Path) -> tuple[Path, Path]:
    """A registry with a champion and a first published week, as a Monday finds them: the small
    training spec of the test suite, trained once on the real data."""
    from tests.conftest import SMALL

    from sahelrisk.jobs.train import train_and_track
    from sahelrisk.jobs.weekly import run_weekly
    from sahelrisk.modeling.spec import load_training_spec

    (work / "small.toml").write_text(SMALL.format(features=ROOT / "features" / "default.toml"))
    spec = load_training_spec(work / "small.toml")
    base = work / "base"
    train_and_track(spec, shared, register=True, out_dir=base / "out", models_dir=base / "models",
                    mlruns=base / "mlruns")
    run_weekly(spec.origin, data_dir=shared, out_dir=base / "out", mlruns=base / "mlruns",
               models_dir=base / "models", offline=True, today=date(2024, 1, 8),
               started_at="2024-01-08T06:00:00+00:00", log=lambda line: None)
    return work / "small.toml", base


def _published(out: Path) -> dict[str, int]:
    """Each published week's files and when they were written."""
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.glob("[12][0-9][0-9][0-9]-*/*")}


def _weekly(fault: str, shared: Path, spec: Path, base: Path, work: Path) -> dict:
    """The weekly job meeting the fault on January 2026's Candidate release, due by its Monday."""
    from tests.data.ucdp_site import UcdpSite

    from sahelrisk.jobs.weekly import run_weekly
    site, data = work / "site", work / "data"
    shutil.copytree(base, site)
    shutil.copytree(shared, data)
    held, before = _state(data), _published(site / "out")
    with UcdpSite(work / "ucdp") as served:
        path = served.publish(shared, "GEDEvent_v26_0_1.csv")
        if fault == "cut_row":
            path.write_bytes(path.read_bytes()[:-40])
        elif fault != "unreachable":
            served.faults["candidateged/GEDEvent_v26_0_1.csv"] = fault
        url = served.url if fault != "unreachable" else _closed_url()
        started = time.monotonic()
        run = run_weekly(spec, data_dir=data, out_dir=site / "out", mlruns=site / "mlruns",
                         models_dir=site / "models", ucdp_url=url, today=date(2026, 3, 2),
                         started_at="2026-03-02T03:00:00+00:00", log=lambda line: None)
        seconds = round(time.monotonic() - started, 1)
    after = _published(site / "out")
    return {"weekly_exit": run.exit_code, "weekly_status": run.status, "weekly_seconds": seconds,
            "week_published": bool(before) and all(after.get(k, v) != v for k, v in before.items()),
            "weekly_held_data_untouched": _state(data) == held}


def _closed_url() -> str:
    with socket.socket() as s:     # a port nothing listens on once closed
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}/"


def main() -> list[dict]:
    from sahelrisk.data.datadir import resolve_data_dir
    shared = resolve_data_dir(None)
    rows = []
    with tempfile.TemporaryDirectory() as work:
        print("training the champion the weekly job starts from ...", flush=True)
        spec, base = _registry(shared, Path(work))
        print(f"{'fault':<16} {'update':>8} exit untouched  {'weekly':>8} exit published untouched", flush=True)
        for fault in FAULTS:
            with tempfile.TemporaryDirectory() as one:
                row = _one(fault, shared, Path(one))
            with tempfile.TemporaryDirectory() as one:
                row |= _weekly(fault, shared, spec, base, Path(one))
            rows.append(row)
            print(f"{fault:<16} {row['seconds']:>6} s {row['exit']:>4} {row['held_data_untouched']!s:>9}  "
                  f"{row['weekly_seconds']:>6} s {row['weekly_exit']:>4} {row['week_published']!s:>9} "
                  f"{row['weekly_held_data_untouched']!s:>9}", flush=True)
    out = {"benchmark": "a hostile UCDP download site, one fault at a time: the update (three releases held, "
                        f"{TIMEOUT_S:.0f} s timeout) and the weekly job (its default limits)",
           "timeout_s": TIMEOUT_S,
           "note": "exit is sahelrisk data update's (8: could not reach the site); weekly_exit is the weekly "
                   "job's (10: published, flagged stale); weekly_seconds is the time from its start to the "
                   "published week",
           "faults": rows}
    (ROOT / "benchmarks" / "faults.json").write_text(json.dumps(out, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
