"""Writing one scoring run's outputs into ``<out>/<as_of>/``, atomically: the folder appears
complete or not at all (a failed run leaves the previous outputs in place)."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from sahelrisk.publishing.bulletin import render_bulletin
from sahelrisk.publishing.maps import interactive_map, static_map

__all__ = ["write_outputs", "OUTPUT_FILES"]

OUTPUT_FILES = ("risk_grid.parquet", "risk_grid.geojson", "risk_adm2.csv", "map.html", "map.png", "bulletin.html",
                "run.json")


def write_outputs(result, loaded, inputs, out_dir, *, horizon_weeks: int, extra: dict | None = None) -> Path:
    started = time.perf_counter()
    cells, adm2 = result.cells, result.areas["adm2"]
    week = pd.Timestamp(cells["week"].iloc[0])
    coverage = result.coverage
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / str(week.date())
    tmp = Path(tempfile.mkdtemp(prefix=f".{week.date()}-", dir=out_dir))
    tmp.chmod(0o755)  # mkdtemp makes it private; outputs are for sharing
    try:
        cells.to_parquet(tmp / "risk_grid.parquet")
        cells.to_file(tmp / "risk_grid.geojson", driver="GeoJSON")
        adm2.drop(columns="geometry").to_csv(tmp / "risk_adm2.csv", index=False)
        events = inputs.events
        recent = events[events["has_location"] & (events["date_start"] > week - pd.Timedelta(weeks=4))
                        & (events["date_start"] <= week + pd.Timedelta(days=6))
                        & events["country_iso3"].isin(list(loaded.spec.countries))]
        title = f"Risk of a fatal attack in the next {horizon_weeks} weeks"
        subtitle = f"week of {week.date()}, model {loaded.name} v{loaded.version}"
        (tmp / "map.html").write_text(interactive_map(cells, adm2, recent, inputs.layers.get("mining_sites"),
                                                      inputs.layers.get("roads"), title=title), encoding="utf-8")
        countries = inputs.layers["admin0"]
        static_map(cells, adm2, countries[countries["country_iso3"].isin(list(loaded.spec.countries))],
                   tmp / "map.png", title=title, subtitle=subtitle)
        (tmp / "bulletin.html").write_text(render_bulletin(
            week=week, horizon_weeks=horizon_weeks, model_version=f"{loaded.name} v{loaded.version}",
            latest_event=cells["latest_event"].iloc[0], adm2=adm2, metrics=loaded.metrics, map_png=tmp / "map.png",
            coverage=tuple(c.reason for c in coverage), cells=cells, recent=recent),
            encoding="utf-8")
        run = {"week": str(week.date()), "as_of": str(inputs.as_of), "horizon_weeks": horizon_weeks,
               "model": loaded.name, "model_version": loaded.version, "model_identity": loaded.identity,
               "mlflow_run_id": loaded.run_id, "data_fingerprint": inputs.fingerprint, "latest_event": cells["latest_event"].iloc[0],
               "feature_spec": json.loads(loaded.spec.to_json()),
               "country_coverage": [asdict(c) for c in coverage], "units": len(cells), "adm2_areas": len(adm2),
               "timings_s": {**result.seconds, "outputs_s": round(time.perf_counter() - started, 2)}, **(extra or {})}
        (tmp / "run.json").write_text(json.dumps(run, indent=2, default=str) + "\n")
        old = out_dir / f".{week.date()}-old"
        if old.exists():
            # Left by a run stopped between its two renames: the folder it held is either still the
            # published one (then it is a stale copy) or already replaced; either way not needed.
            shutil.rmtree(old)
        if final.exists():
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old)
        else:
            tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
