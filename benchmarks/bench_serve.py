"""The web app under load: 50 concurrent clients asking for routes and week tiles for 60 s.

The server is `sahelrisk serve` in its own process (uvicorn, ``--workers`` processes) on
127.0.0.1, over the weeks `make run` published; the clients are one asyncio process (aiohttp) on the same machine.
Half the requests are a route between two towns of the scored countries 60-350 km apart (drawn
from 40 pairs, so a route is asked again as a planners' team would; the first ask of a pair is a
"cold" route, computed, the later ones come from the server's memory), half a week tile (the
week's page, or its map layer: the cells as GeoJSON with the columns the map shows).

Two runs: the clients with no pause between requests (the server saturated), then with a pause of
1 s on average (people clicking); each run asks its own 40 pairs.

Usage: .venv/bin/python benchmarks/bench_serve.py [--workdir DIR] [--clients 50] [--seconds 60] [--workers 2]
DIR holds outputs/ and mlruns/ (default: the checkout, after `make run`). Prints a table and
writes benchmarks/serve.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("serve.json")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def town_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` pairs of towns of the scored countries, 60-350 km apart (the largest towns first)."""
    from datetime import date

    from sahelrisk.data.catalog import load_catalog
    from sahelrisk.data.datadir import resolve_data_dir
    from sahelrisk.data.sources import load_dataset

    catalog = load_catalog()
    places = load_dataset(catalog["places"], resolve_data_dir(None, cwd=ROOT), as_of=date(2023, 12, 31)).table
    places = places[places["country_iso3"].isin(["MLI", "BFA", "NER"])].sort_values("population", ascending=False)
    places = places.drop_duplicates("name").head(60)
    rng = random.Random(seed)
    pairs = []
    rows = list(places.itertuples())
    while len(pairs) < n:
        a, b = rng.sample(rows, 2)
        km = 111 * np.hypot(a.latitude - b.latitude, (a.longitude - b.longitude) * np.cos(np.radians(a.latitude)))
        if 60 < km < 350 and (a.name, b.name) not in pairs:
            pairs.append((f"{a.name}, {a.country_iso3}", f"{b.name}, {b.country_iso3}"))
    return pairs


async def client(http, pairs, week, deadline, results, seen, rng, think):
    # what a planner's browser fetches for a week: the page and its map layer
    tiles = [f"/weeks/{week}?lang=fr", f"/api/v1/weeks/{week}/cells?format=geojson&fields=adm2_name,adm1_name,"
             "probability,risk_tier"]
    while time.monotonic() < deadline:
        if rng.random() < 0.5:
            pair = rng.choice(pairs)
            kind = "route (first ask)" if pair not in seen else "route (asked before)"
            seen.add(pair)
            url, params = "/api/v1/route", {"from": pair[0], "to": pair[1], "week": week}
        else:
            kind, url, params = "week tile", rng.choice(tiles), None
        started = time.perf_counter()
        try:
            async with http.get(url, params=params) as answer:
                body = await answer.read()
            ok = answer.status == 200
            error = None if ok else f"{answer.status} {body[:120]!r}"
        except Exception as e:  # noqa: BLE001 - a failed request is a result here
            ok, error = False, f"{type(e).__name__}: {e}"
        results.append({"kind": kind, "seconds": time.perf_counter() - started, "ok": ok, "error": error})
        if think:
            await asyncio.sleep(rng.uniform(0, 2 * think))


async def load(base: str, pairs, week: str, clients: int, seconds: float, think: float) -> list[dict]:
    # aiohttp, not httpx: the client shares the machine's two cores with the server, and httpx
    # costs several times more CPU per request
    import aiohttp

    results: list[dict] = []
    seen: set = set()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base, connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        deadline = time.monotonic() + seconds
        await asyncio.gather(*[client(http, pairs, week, deadline, results, seen, random.Random(k), think)
                               for k in range(clients)])
    return results


def summarise(results: list[dict], seconds: float) -> dict:
    """p50, p95 and the errors of each kind of request."""
    table = {}
    kinds = {"route (first ask)": ("route (first ask)",), "route (asked before)": ("route (asked before)",),
             "route (all)": ("route (first ask)", "route (asked before)"), "week tile": ("week tile",)}
    for name, members in kinds.items():
        rows = [r for r in results if r["kind"] in members]
        if not rows:
            continue
        taken = np.array([r["seconds"] for r in rows])
        table[name] = {"requests": len(rows), "errors": sum(not r["ok"] for r in rows),
                       "p50_s": round(float(np.percentile(taken, 50)), 3),
                       "p95_s": round(float(np.percentile(taken, 95)), 3), "max_s": round(float(taken.max()), 3)}
    return {"requests_per_s": round(len(results) / seconds, 1), "table": table,
            "error_samples": sorted({r["error"] for r in results if r["error"]})[:5]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=ROOT)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    import httpx

    from sahelrisk.data.datadir import resolve_data_dir

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-m", "sahelrisk.cli", "serve", "--out-dir", "outputs", "--port", str(port),
                               "--workers", str(args.workers), "--data-dir", str(resolve_data_dir(None, cwd=ROOT))],
                              cwd=args.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    runs = {}
    try:
        started = time.monotonic()
        while True:
            try:
                weeks = httpx.get(f"{base}/api/v1/weeks", timeout=5).json()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() - started > 180:
                    raise SystemExit(f"the server did not start: {server.stderr.read().decode()[-2000:]}") from None
                time.sleep(0.5)
        warm = time.monotonic() - started    # the server answers once its data and model are in memory
        week = weeks[0]["week"]
        print(f"server up and warm in {warm:.1f} s", flush=True)
        for seed, think in ((1, 0.0), (2, 1.0)):
            scenario = "no pause (saturating)" if not think else f"a pause of {think:g} s on average"
            print(f"{args.clients} clients, {scenario}, for {args.seconds:.0f} s ...", flush=True)
            results = asyncio.run(load(base, town_pairs(40, seed), week, args.clients, args.seconds, think))
            runs[scenario] = summarise(results, args.seconds)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    record = {"benchmark": "sahelrisk serve under load", "machine": f"{os.cpu_count()} cores, server and clients on it",
              "clients": args.clients, "seconds": args.seconds, "server_workers": args.workers, "week": week,
              "route_pairs_per_run": 40, "startup_to_warm_s": round(warm, 1), "runs": runs,
              "goal": "p95 under 1 s for a route, no errors"}
    for scenario, run in runs.items():
        print(f"\n{scenario}: {run['requests_per_s']} requests/s, errors: {run['error_samples'] or 'none'}")
        print("| request | requests | errors | p50 s | p95 s | max s |\n|---|---|---|---|---|---|")
        for kind, row in run["table"].items():
            print(f"| {kind} | {row['requests']} | {row['errors']} | {row['p50_s']} | {row['p95_s']} | {row['max_s']} |")
    OUT.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
