"""The track record on the real data: published weeks scored as they were published on time."""

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sahelrisk import api
from sahelrisk.calendar import week_end
from sahelrisk.evaluation.metrics import score_forecast
from sahelrisk.features.panel import build_units
from sahelrisk.features.targets import build_targets
from sahelrisk.jobs.run import publish_step
from sahelrisk.jobs.verify import verify_published
from sahelrisk.publishing.ledger import on_time

pytestmark = pytest.mark.slow
WEEKS = ("2023-10-02", "2023-10-09", "2023-12-25")
ROAD = [(-6.27, 13.45), (-6.10, 13.80), (-5.99, 14.25)]   # Ségou towards Niono


def _km_to_fatal_events(lat, lon, events, first, last):
    """Great-circle km from each point to each located fatal event dated ``first``..``last``
    (an independent measure: no projection, no spatial join)."""
    ev = events[events["has_location"] & (events["fatalities_best"] >= 1) & events["date_start"].between(first, last)]
    lat1, lon1 = np.radians(np.asarray(lat, dtype=float))[:, None], np.radians(np.asarray(lon, dtype=float))[:, None]
    lat2, lon2 = np.radians(ev["latitude"].to_numpy())[None, :], np.radians(ev["longitude"].to_numpy())[None, :]
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


@pytest.fixture(scope="module")
def published(registered, real_data, catalog, tmp_path_factory):
    mlruns, _ = registered
    loaded = api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=mlruns)
    out = tmp_path_factory.mktemp("published")
    scored = {}
    for week in WEEKS:   # each week with only the data known at its end
        scored[week] = api.score_with_layers(week, model=loaded, data_dir=real_data, catalog=catalog,
                                             as_of=week_end(pd.Timestamp(week)).date(), levels=("adm2", "adm1"),
                                             layers=())
        publish_step(scored[week], out, langs=("en",), catalog=catalog, data_dir=real_data,
                     published_at=f"{week}T06:00:00+00:00")
    # a planner checked a convoy's track against the first week: its corridor is verified too
    from shapely.geometry import LineString

    from sahelrisk.publishing.outputs import write_route_outputs
    first = scored[WEEKS[0]]
    segments = api.route_of(first, LineString(ROAD))
    write_route_outputs(segments, first.result.cells, first.inputs, out, "segou-niono", langs=("en",))
    # the first week published again later with other forecasts (say a new model): a second revision
    late = scored[WEEKS[0]]
    cells = late.result.cells.assign(probability=0.5)
    publish_step(replace(late, result=replace(late.result, cells=cells)), out, langs=("en",))
    return out, loaded, scored


def test_weeks_with_their_outcomes_in_are_verified_and_the_others_wait(published, real_data, catalog):
    out, _, _ = published
    result = verify_published(out, real_data, catalog)
    assert result.verified == ["2023-10-02", "2023-10-09"] and result.pending == ["2023-12-25"]
    assert str(result.data_end) == "2023-12-31"
    record = json.loads((out / "track_record" / "track_record.json").read_text())
    assert {(w["week"], w["level"]) for w in record["weeks"]} >= {("2023-10-02", "cells"), ("2023-10-02", "adm1"),
                                                                   ("2023-10-02", "adm2"), ("2023-10-02", "sites")}
    sites = next(w for w in record["weeks"] if w["week"] == "2023-10-02" and w["level"] == "sites")
    assert sites["rows"] == len(pd.read_csv(out / "2023-10-02" / "risk_sites.csv")) and 0 < sites["positives"] < sites["rows"]
    assert (out / "track_record" / "weeks.csv").is_file()
    manifest = on_time(out)["2023-10-02"].manifest
    assert manifest["data"]["as_of"] == "2023-10-08" and manifest["data"]["events"]   # the vintage it was made from


def test_a_week_is_scored_as_first_published_against_the_outcomes_alone(published, real_data, catalog, real_inputs):
    out, loaded, scored = published
    verify_published(out, real_data, catalog)
    record = json.loads((out / "track_record" / "track_record.json").read_text())
    week = next(w for w in record["weeks"] if w["week"] == "2023-10-02" and w["level"] == "cells")
    # the outcomes built independently: a fatal event in the cell in the 4 weeks after
    units = build_units(loaded.spec, real_inputs)
    targets = build_targets(real_inputs.events[real_inputs.events["source"].str.startswith("ucdp")], units,
                            "2023-10-02", "2023-10-02", horizons=(4,), kinds=("any_fatal",), data_end="2023-12-31")
    cells = scored["2023-10-02"].result.cells.merge(targets, on="unit_id")
    y = cells["target_any_fatal_4w"].to_numpy()
    expected = score_forecast(y, cells["probability"], cells["week_x"])
    assert week["positives"] == int(y.sum()) > 0
    assert week["brier"] == pytest.approx(expected["brier"], abs=1e-4)        # revision 1, not the 0.5 of revision 2
    assert week["ap"] == pytest.approx(expected["ap"], abs=1e-4)
    called = cells["risk_tier"].isin(["high", "very high"]).to_numpy()
    assert week["calls"]["model"] == {"called": int(called.sum()), "caught": int((called & (y > 0)).sum())}
    assert set(week["calls"]) >= {"rule_decay_neighbours", "flag_hdx_signal", "flag_surge"}
    assert np.isclose(sum(t["units"] for t in week["tiers"]), len(cells))


def test_a_changed_frozen_week_is_not_scored(published, real_data, catalog):
    out, _, _ = published
    grid = out / "ledger" / "2023-10-09" / "r1" / "risk_grid.parquet"
    original = grid.read_bytes()
    try:
        grid.write_bytes(original[:-10])
        result = verify_published(out, real_data, catalog)
        assert result.verified == [] and result.problems == [
            "week 2023-10-09 revision 1: risk_grid.parquet changed since it was frozen (edited or cut)"]
    finally:
        grid.write_bytes(original)


def test_a_site_saw_an_attack_when_a_fatal_event_fell_within_25_km_in_the_weeks_forecast(published, real_data, catalog,
                                                                                         real_inputs):
    from datetime import date

    from sahelrisk.data.sources import load_dataset
    out, _, _ = published
    verify_published(out, real_data, catalog)
    record = json.loads((out / "track_record" / "track_record.json").read_text())
    sites = next(w for w in record["weeks"] if w["week"] == "2023-10-09" and w["level"] == "sites")
    # independently: great-circle distances from each published site to each fatal event of 2023-10-16..11-12
    published_sites = pd.read_csv(on_time(out)["2023-10-09"].read("risk_sites.csv"))
    mining = load_dataset("mining_sites", real_data, as_of=date(2023, 12, 31)).table
    places = mining.merge(published_sites[["site_id"]], on="site_id")
    near = (_km_to_fatal_events(places["latitude"], places["longitude"], real_inputs.events, "2023-10-16",
                                "2023-11-12") <= 25.0).any(axis=1)
    assert abs(sites["positives"] - int(near.sum())) <= 1            # a site at the very edge may differ
    assert sites["rows"] == len(places)


def test_a_corridor_a_planner_checked_is_verified_against_the_events_within_its_width(published, real_data, catalog,
                                                                                      real_inputs):
    out, _, _ = published
    verify_published(out, real_data, catalog)
    record = json.loads((out / "track_record" / "track_record.json").read_text())
    corridor = next(w for w in record["weeks"] if w["week"] == "2023-10-02" and w["level"] == "corridors")
    assert corridor["rows"] == 1
    # independently: a fatal event of 2023-10-09..11-05 within 10 km of a point every ~100 m along the track
    along = np.concatenate([np.linspace(a, b, 400) for a, b in zip(ROAD[:-1], ROAD[1:])])
    within = (_km_to_fatal_events(along[:, 1], along[:, 0], real_inputs.events, "2023-10-09", "2023-11-05")
              <= 9.9).any()
    assert corridor["positives"] == int(within)
