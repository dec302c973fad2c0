"""The fault catalogue: a hostile UCDP download site, one fault at a time, against a data folder that
already holds three releases. For each fault: what the update says, its exit code, how long it
took, and whether the data held is untouched (the manifest and the raw files byte for byte).

The site is the test suite's (``tests/data/ucdp_site.py``) on 127.0.0.1, serving the real files
of ``../shared/data``; the faulty file is the July 2026 Candidate release. ``weekly`` meets the same
update and publishes the week from the data held, flagged stale (exit 10:
``tests/jobs/test_weekly.py``).

Prints a table and writes benchmarks/faults.json. Run from the repository root:

    SAHELRISK_DATA=../shared/data .venv/bin/python benchmarks/bench_faults.py
"""

from __future__ import annotations

import hashlib
import json
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
        url = site.url
    if fault == "unreachable":   # the site is gone: a port nothing listens on
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{s.getsockname()[1]}/"
        return _update(fault, data, url, held)
    with UcdpSite(work / "site") as site:   # the same files, served again with the fault
        site.faults.update({"candidateged/GEDEvent_v26_0_7.csv": fault} if fault != "cut_row" else {})
        return _update(fault, data, site.url, held)


def _update(fault: str, data: Path, url: str, held: str) -> dict:
    from sahelrisk.data.update import update_ucdp
    started = time.monotonic()
    outcome = update_ucdp(data, until=UNTIL, retrieved_at="2026-11-28T04:00:00+00:00", base_url=url,
                          countries=["BFA", "MLI", "NER"], timeout=TIMEOUT_S)
    seconds = round(time.monotonic() - started, 1)
    return {"fault": fault, "what": FAULTS[fault], "seconds": seconds,
            "exit": 8 if outcome.unreached else 0, "weekly_exit": 10,
            "new": outcome.new, "warning": outcome.warnings[0] if outcome.warnings else "",
            "held_data_untouched": _state(data) == held}


def main() -> list[dict]:
    from sahelrisk.data.datadir import resolve_data_dir
    shared = resolve_data_dir(None)
    rows = []
    for fault in FAULTS:
        with tempfile.TemporaryDirectory() as work:
            rows.append(_one(fault, shared, Path(work)))
        r = rows[-1]
        print(f"{fault:<16} {r['seconds']:>6} s  exit {r['exit']}  untouched {r['held_data_untouched']}  "
              f"{r['warning'][:110]}", flush=True)
    out = {"benchmark": "the UCDP update against a hostile download site, one fault at a time, three releases held",
           "timeout_s": TIMEOUT_S, "note": "exit is sahelrisk data update's; weekly publishes flagged stale (10)",
           "faults": rows}
    (ROOT / "benchmarks" / "faults.json").write_text(json.dumps(out, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
