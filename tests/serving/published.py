"""A small published week laid out as the weekly job writes it (synthetic, for the fast tests)."""

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from sahelrisk.escaping import write_csv
from sahelrisk.scoring.week import risk_tier

HOSTILE = "<script>window.pwned=1</script>"


def synthetic_archive(root: Path) -> Path:
    """Two published weeks, the second's area names hostile to HTML."""
    publish_week(root / "out", "2023-12-18", shift=-0.02)
    publish_week(root / "out", "2023-12-25", names=("Ségou", HOSTILE, "Macina", "\" onmouseover=\"x"))
    return root / "out"


def a_clock(moment: str = "2024-01-02T08:00:00"):
    """A fixed clock for the app (UTC): by default the Tuesday after the newest test week's data."""
    from datetime import datetime, timezone
    fixed = datetime.fromisoformat(moment).replace(tzinfo=timezone.utc)
    return lambda: fixed


def client(out: Path, tmp_path: Path, **settings):
    """The app over ``out`` under Starlette's test client; its errors are answers, not raised."""
    from fastapi.testclient import TestClient

    from sahelrisk.serving.app import ServeSettings, create_app
    settings.setdefault("clock", a_clock())
    app = create_app(ServeSettings(out_dir=out, data_dir=tmp_path / "no-data", mlruns=tmp_path / "mlruns", **settings))
    return TestClient(app, raise_server_exceptions=False)


def publish_week(root: Path, week: str, *, names=("Ségou", "Niono", "Macina", "Bla"), shift: float = 0.0,
                 model_version: int = 3) -> Path:
    """Write ``<root>/<week>/`` with cells, areas, sites and run.json; ``names`` are the areas'."""
    folder = Path(root) / week
    folder.mkdir(parents=True)
    n = len(names)
    p = np.clip(np.linspace(0.4, 0.01, n) + shift, 0, 1)
    geometry = [box(-6 + i * 0.5, 13, -5.5 + i * 0.5, 13.5) for i in range(n)]
    common = {"country_iso3": "MLI", "adm1_name": "Ségou", "adm1_pcode": "ML04", "probability": p,
              "probability_last_week": np.clip(p - 0.05, 0, 1), "risk_tier": risk_tier(p),
              "rank": np.arange(1, n + 1), "week": pd.Timestamp(week), "horizon_weeks": 4}
    cells = gpd.GeoDataFrame({"unit_id": np.arange(100, 100 + n), "adm2_name": list(names), "events_52w": [3, 0, 1, 0][:n]
                              + [0] * max(0, n - 4), "top_drivers": "", **common}, geometry=geometry, crs="EPSG:4326")
    cells.to_parquet(folder / "risk_grid.parquet")
    cells.to_file(folder / "risk_grid.geojson", driver="GeoJSON")
    areas = gpd.GeoDataFrame({"unit_id": [f"ML04{i:02d}" for i in range(n)], "adm2_pcode": [f"ML04{i:02d}" for i in range(n)],
                              "adm2_name": list(names), "change_vs_last_week": 0.05 - np.arange(n) * 0.04,
                              "top_drivers": "", **common}, geometry=geometry, crs="EPSG:4326")
    write_csv(areas.drop(columns="geometry"), folder / "risk_adm2.csv")
    pd.concat([areas.assign(level="adm2"), areas.head(1).assign(level="adm1")]).to_parquet(folder / "risk_areas.parquet")
    (folder / "map.en.html").write_text("<html><script>var inline = 1;</script></html>", encoding="utf-8")
    run = {"week": week, "as_of": week, "horizon_weeks": 4, "model": "test-model", "model_version": model_version,
           "latest_event": week, "units": n, "country_coverage": []}
    (folder / "run.json").write_text(json.dumps(run), encoding="utf-8")
    return folder
