"""The panel built by partition equals the panel built whole, and its dataset appears whole or not at all."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from sahelrisk.calendar import week_range
from sahelrisk.errors import DataError, SpecError
from sahelrisk.features import partitions
from sahelrisk.features.panel import build_units, compute_panel
from sahelrisk.features.partitions import (
    MANIFEST,
    build_panel_dataset,
    open_panel_dataset,
    partition_summary,
    plan_partitions,
)
from tests.features.world import synthetic_inputs, synthetic_spec


@pytest.fixture(scope="module")
def world():
    spec, inputs = synthetic_spec(), synthetic_inputs()
    return spec, inputs, build_units(spec, inputs)


def test_tiles_hold_every_unit_once_with_their_queen_neighbours_as_halo(world):
    spec, _, units = world
    weeks = week_range(spec.start, spec.end)
    parts = plan_partitions(units, weeks, tile_deg=1.0, block_weeks=52)
    tiles = {p.tile: p for p in parts if p.block == 0}
    assert len(tiles) == 4   # the 2 x 2 degree country in 1-degree tiles
    cores = np.concatenate([p.core for p in tiles.values()])
    assert sorted(cores) == list(range(len(units)))
    queen = units.neighbours()
    for p in tiles.values():
        assert set(p.halo) == set(p.core) | set(queen[p.core].indices)
        assert len(p.halo) > len(p.core)   # each tile touches the others
    blocks = [p for p in parts if p.tile == 0]
    covered = pd.DatetimeIndex(np.concatenate([week_range(p.start, p.end) for p in blocks]))
    assert covered.equals(weeks)


def test_partitions_laid_end_to_end_are_the_whole_panel(world, tmp_path):
    spec, inputs, units = world
    whole = compute_panel(spec, inputs, units=units)
    seen = []
    dataset = build_panel_dataset(spec, inputs, tmp_path, units=units, tile_deg=1.0, block_weeks=40,
                                  on_partition=lambda record, k, n: seen.append((k, n)))
    assert len(seen) == len(dataset.manifest["partitions"]) == 4 * 5 and seen[-1] == (19, 20)
    got = dataset.read()
    pd.testing.assert_frame_equal(got[list(whole.columns)], whole)
    assert got.attrs["sahelrisk"]["columns"] == whole.attrs["sahelrisk"]["columns"]
    assert dataset.rows == len(whole)
    summary = partition_summary(dataset)
    assert summary["rows"] == len(whole) and summary["cell_weeks_per_task_second"] > 0
    lazy = dataset.to_dask(columns=["unit_id", "conflict_events_4w"])
    assert lazy.npartitions == 20
    assert lazy["conflict_events_4w"].sum().compute() == whole["conflict_events_4w"].sum()


def test_the_same_spec_and_data_reuse_the_dataset_and_another_period_does_not(world, tmp_path):
    spec, inputs, units = world
    first = build_panel_dataset(spec, inputs, tmp_path, units=units, tile_deg=2.0, block_weeks=100)
    # a cluster is asked for only when there is something to build
    again = build_panel_dataset(spec, inputs, tmp_path, units=units, tile_deg=2.0, block_weeks=100,
                                client=lambda: pytest.fail("a reused dataset started a cluster"))
    assert again.reused and not first.reused and again.path == first.path
    shorter = build_panel_dataset(spec, inputs, tmp_path, end="2022-12-26", units=units, tile_deg=2.0,
                                  block_weeks=100)
    assert shorter.path != first.path and shorter.manifest["end"] == "2022-12-26"
    assert first.path.name.startswith("synthetic-")


def test_a_failed_build_leaves_no_dataset_behind(world, tmp_path, monkeypatch):
    spec, inputs, units = world
    calls = []

    def failing(*args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(*args)

    real = partitions._write_partition
    monkeypatch.setattr(partitions, "_write_partition", failing)
    with pytest.raises(OSError, match="disk full"):
        build_panel_dataset(spec, inputs, tmp_path, units=units, tile_deg=1.0, block_weeks=100)
    assert not [p for p in tmp_path.iterdir() if (p / MANIFEST).exists()]
    with pytest.raises(DataError, match="is not a finished panel dataset"):
        open_panel_dataset(next(tmp_path.iterdir()))
    monkeypatch.setattr(partitions, "_write_partition", real)
    done = build_panel_dataset(spec, inputs, tmp_path, units=units, tile_deg=1.0, block_weeks=100)
    assert not done.reused and (done.path / MANIFEST).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [done.path.name]


@pytest.mark.parametrize(("tile_deg", "block_weeks", "message"), [
    (0.0, 52, "tile_deg=0.0 must be between"), (2.0, 0, "block_weeks=0 must be a whole number"),
    (2.0, 1.5, "block_weeks=1.5 must be a whole number")])
def test_a_bad_partitioning_is_refused(world, tile_deg, block_weeks, message):
    spec, _, units = world
    with pytest.raises(SpecError, match=message):
        plan_partitions(units, week_range(spec.start, spec.end), tile_deg=tile_deg, block_weeks=block_weeks)


def test_a_task_keeps_the_events_in_reach_and_those_of_its_countries(world):
    spec, inputs, units = world
    assert partitions.reach_km(spec) == 1000.0          # the nearest-event distance's cap
    far = inputs.events.iloc[:3].assign(longitude=[20.0, 20.0, -5.0], latitude=[14.5, 14.5, 40.0],
                                        country_iso3=["NER", "MLI", "DZA"], event_id=["far1", "far2", "far3"])
    padded = dataclasses.replace(inputs, events=pd.concat([inputs.events, far], ignore_index=True))
    kept = partitions.events_in_reach(padded, units, 1000.0).events
    assert set(kept["event_id"]) == set(inputs.events["event_id"]) | {"far2"}   # far2 is in Mali's totals
    assert partitions.reach_km(dataclasses.replace(spec, builders={"conflict": {"radii_km": [30]}})) == 30.0
