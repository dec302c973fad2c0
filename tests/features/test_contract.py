"""Every feature builder through the same checks: keys, declared dtypes, NaN policy, no leakage."""

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sahelrisk.features import BUILDERS, Feature
from sahelrisk.features.base import register
from sahelrisk.features.panel import build_units, compute_panel
from sahelrisk.features.windows import weekly_matrix

from .world import synthetic_inputs, synthetic_spec

THEMES = sorted(BUILDERS)


def check_contract(panel: pd.DataFrame) -> None:
    meta = panel.attrs["sahelrisk"]
    assert not panel.duplicated(["unit_id", "week"]).any()
    assert (pd.DatetimeIndex(panel["week"]).day_of_week == 0).all()
    assert panel[["unit_id", "week"]].equals(panel[["unit_id", "week"]].sort_values(["unit_id", "week"]))
    for name, declared in meta["columns"].items():
        assert str(panel[name].dtype) == declared["dtype"], name
        if not declared["allow_nan"]:
            assert panel[name].notna().all(), f"{name} has NaN but does not declare allow_nan"
        assert np.isfinite(panel[name].dropna()).all(), name


def check_no_leakage(spec, inputs, cut: str) -> None:
    """Truncating every input at the end of week ``cut - lag`` changes nothing for weeks up to ``cut``."""
    cut = pd.Timestamp(cut)
    full = compute_panel(spec, inputs)
    known = cut - pd.Timedelta(weeks=spec.reporting_lag_weeks)
    truncated = compute_panel(spec, inputs.truncated(known))
    upto = full["week"] <= cut
    pd.testing.assert_frame_equal(full[upto].reset_index(drop=True), truncated[upto].reset_index(drop=True))
    assert not full[~upto].reset_index(drop=True).equals(truncated[~upto].reset_index(drop=True))


@pytest.fixture(scope="module")
def inputs():
    return synthetic_inputs()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("units", ["grid", "adm2"])
def test_builder_contract(theme, units, inputs):
    spec = synthetic_spec(units)
    panel = compute_panel(spec, inputs, themes=[theme])
    check_contract(panel)
    assert len(panel) == (16 if units == "grid" else 2) * len(pd.date_range("2020-01-06", "2023-06-26", freq="7D"))
    produced = [c for c in panel.columns if c not in ("unit_id", "week")]
    assert produced and all(c.startswith((theme, "calendar")) for c in produced)


@pytest.mark.parametrize("lag", [0, 3])
def test_no_builder_leaks_the_future(inputs, lag):
    check_no_leakage(synthetic_spec(lag=lag), inputs, "2021-06-14")


def test_reporting_lag_shifts_every_dynamic_column_by_the_lag(inputs):
    plain = compute_panel(synthetic_spec(lag=0), inputs).set_index(["unit_id", "week"])
    lagged = compute_panel(synthetic_spec(lag=3), inputs).set_index(["unit_id", "week"])
    dynamic = [n for n, c in plain.attrs["sahelrisk"]["columns"].items() if c["kind"] == "dynamic"]
    assert len(dynamic) > 30
    for name in dynamic:
        shifted = plain[name].groupby(level="unit_id").shift(3)
        both = shifted.notna() & lagged[name].notna()
        assert both.sum() > 0.5 * len(both), name
        np.testing.assert_allclose(lagged.loc[both, name], shifted[both], rtol=1e-5, atol=1e-4, err_msg=name)


def test_the_leakage_check_catches_a_leaky_builder(inputs):
    @register("leaky_test")
    def leaky(ctx, options):
        ev = ctx.events
        mat = weekly_matrix(ev["unit_pos"].to_numpy(), ev["week_pos"].to_numpy(), None, ctx.n_units, ctx.n_history)
        future = np.zeros_like(mat)
        for k in range(1, 27):  # events of the next 26 weeks: a leak
            future[:, :-k] += mat[:, k:]
        yield Feature("leaky_test_next_week", future)

    try:
        spec = replace(synthetic_spec(), builders={"leaky_test": {}})
        with pytest.raises(AssertionError):
            check_no_leakage(spec, inputs, "2021-06-14")
    finally:
        BUILDERS.pop("leaky_test")


@pytest.mark.slow
def test_real_panel_contract_and_no_leakage(default_spec, real_inputs):
    spec = default_spec.with_period("2022-01-03", "2022-12-26")
    check_contract(compute_panel(spec, real_inputs))
    check_no_leakage(spec, real_inputs, "2022-06-13")
    check_no_leakage(replace(spec, reporting_lag_weeks=2), real_inputs, "2022-06-13")


def test_geography_is_computed_once_per_units_and_recomputed_for_new_layers(inputs):
    spec = synthetic_spec()
    units = build_units(spec, inputs)
    first = compute_panel(spec, inputs, start="2021-01-04", end="2021-01-04", units=units, themes=["roads", "mining"])
    cached = len(units._cache)
    again = compute_panel(spec, inputs, start="2021-01-04", end="2021-01-04", units=units, themes=["roads", "mining"])
    assert len(units._cache) == cached
    pd.testing.assert_frame_equal(first, again)
    # A road moved to the country's northern edge: the cached distances must not be reused.
    roads = inputs.layers["roads"].copy()
    roads["geometry"] = roads.geometry.translate(yoff=0.8)
    moved = replace(inputs, layers={**inputs.layers, "roads": roads})
    other = compute_panel(spec, moved, start="2021-01-04", end="2021-01-04", units=units, themes=["roads"])
    assert len(units._cache) == cached + 1
    assert not np.array_equal(other["roads_distance_km"], first["roads_distance_km"])
