"""The web app under load: 50 concurrent clients asking for routes and week tiles for 60 s.

The server is `sahelrisk serve` in its own process (uvicorn, ``--workers`` processes) on
127.0.0.1, over the weeks `make run` published; the clients are one asyncio process (aiohttp) on the same machine.
Half the requests are a route between two towns of the scored countries 60-350 km apart (drawn
from 40 pairs, so a route is asked again as a planners' team would; the first ask of a pair is a
"cold" route, computed, the later ones come from the server's memory), half a week tile (the
week's page, or its map layer: the cells as GeoJSON with the columns the map shows).

Three runs: the clients with no pause between requests (the server saturated); with a pause of
1 s on average (people clicking); and clicking again while 2,000 slow connections stay open beside
them (each sends part of its headers and stops: the server closes it at its header deadline and
it is opened again at once). Each run asks its own 40 pairs. Then 20 routes never asked before,
all at once on an idle server ("first asks").

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


class SlowConnections:
    """``n`` connections kept open, each having sent part of its headers: one closed by the
    server is opened again (a slowloris attack)."""

    def __init__(self, port: int, n: int) -> None:
        import threading
        self.port, self.n, self.stop = port, n, threading.Event()
        self.opened = self.closed_by_server = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port))
        s.sendall(b"GET /weeks/latest HTTP/1.1\r\nHost: x\r\n")
        s.setblocking(False)
        self.opened += 1
        return s

    def _run(self) -> None:
        sockets = [self._open() for _ in range(self.n)]
        while not self.stop.is_set():
            for i, s in enumerate(sockets):
                try:
                    if s.recv(256) is not None:      # the server answered (408) or closed: open another
                        raise ConnectionResetError
                except BlockingIOError:
                    continue
                except OSError:
                    pass
                s.close()
                self.closed_by_server += 1
                sockets[i] = self._open()
            self.stop.wait(0.5)
        for s in sockets:
            s.close()

    def __enter__(self) -> "SlowConnections":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


async def first_asks(base: str, pairs, week: str) -> list[dict]:
    """Every pair asked once, all at the same time."""
    import aiohttp

    results: list[dict] = []

    async def one(http, pair):
        started = time.perf_counter()
        async with http.get("/api/v1/route", params={"from": pair[0], "to": pair[1], "week": week}) as answer:
            await answer.read()
        results.append({"kind": "route (first ask)", "seconds": time.perf_counter() - started,
                        "ok": answer.status == 200, "error": None if answer.status == 200 else str(answer.status)})

    async with aiohttp.ClientSession(base, timeout=aiohttp.ClientTimeout(total=120)) as http:
        await asyncio.gather(*[one(http, pair) for pair in pairs])
    return results


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
    parser.add_argument("--slow", type=int, default=2000, help="slow connections held open in the third run")
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
        scenario = f"a pause of 1 s on average, {args.slow:,} slow connections open"
        print(f"{args.clients} clients, {scenario}, for {args.seconds:.0f} s ...", flush=True)
        with SlowConnections(port, args.slow) as slow:
            results = asyncio.run(load(base, town_pairs(40, 3), week, args.clients, args.seconds, 1.0))
        runs[scenario] = {**summarise(results, args.seconds), "slow_connections_opened": slow.opened,
                          "slow_connections_closed_by_server": slow.closed_by_server}
        print("20 routes never asked before, all at once ...", flush=True)
        asked = {pair for seed in (1, 2, 3) for pair in town_pairs(40, seed)}
        fresh = asyncio.run(first_asks(base, [p for p in town_pairs(200, 4) if p not in asked][:20], week))
        runs["20 new routes at once"] = summarise(fresh, 1.0)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    record = {"benchmark": "sahelrisk serve under load", "machine": f"{os.cpu_count()} cores, server and clients on it",
              "clients": args.clients, "seconds": args.seconds, "server_workers": args.workers, "week": week,
              "route_pairs_per_run": 40, "startup_to_warm_s": round(warm, 1), "runs": runs,
              "goal": "p95 under 1 s for a route, no errors; the same with 2,000 slow connections open; "
                      "20 new routes at once with p95 under 1 s"}
    for scenario, run in runs.items():
        print(f"\n{scenario}: {run['requests_per_s']} requests/s, errors: {run['error_samples'] or 'none'}")
        print("| request | requests | errors | p50 s | p95 s | max s |\n|---|---|---|---|---|---|")
        for kind, row in run["table"].items():
            print(f"| {kind} | {row['requests']} | {row['errors']} | {row['p50_s']} | {row['p95_s']} | {row['max_s']} |")
    OUT.write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
