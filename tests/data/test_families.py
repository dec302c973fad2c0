"""Adding a source never changes the target or the history columns by accident, and an event two
sources report counts once where both feed the same column."""

from dataclasses import replace

import pandas as pd

from sahelrisk.data.sources.families import family_of, select_sources
from sahelrisk.features.panel import compute_panel
from tests.features.world import synthetic_inputs, synthetic_spec


def _with_acled(inputs, shift_km: float):
    """ACLED copies of every UCDP event, moved ``shift_km`` north, plus one event UCDP lacks."""
    ucdp = inputs.events
    acled = ucdp.copy()
    acled["source"], acled["release"] = "acled", "acled_export"
    acled["event_id"] = "ACL" + acled["event_id"].astype(str)
    acled["latitude"] = acled["latitude"] + shift_km / 111.32
    extra = acled.iloc[[0]].assign(event_id="ACL-extra", date_start=pd.Timestamp("2021-03-03"),
                                   date_end=pd.Timestamp("2021-03-03"), fatalities_best=5.0)
    events = pd.concat([ucdp, acled, extra], ignore_index=True)
    return replace(inputs, events=events)


def test_families_name_ucdp_and_acled():
    assert list(family_of(pd.Series(["ucdp_ged", "ucdp_candidate", "acled"]))) == ["ucdp", "ucdp", "acled"]


def test_an_acled_export_in_the_catalog_leaves_the_default_panel_unchanged():
    inputs = synthetic_inputs()
    spec = synthetic_spec()
    assert spec.sources == ("ucdp",)
    plain = compute_panel(spec, inputs)
    mixed = compute_panel(spec, _with_acled(inputs, shift_km=3))
    pd.testing.assert_frame_equal(plain, mixed)


def test_both_families_count_a_doubly_reported_event_once():
    inputs = _with_acled(synthetic_inputs(), shift_km=3)
    both = select_sources(inputs.events, ["ucdp", "acled"])
    ucdp = select_sources(inputs.events, ["ucdp"])
    assert len(both) == len(ucdp) + 1 and "ACL-extra" in set(both["event_id"])
    far = _with_acled(synthetic_inputs(), shift_km=30)   # 30 km apart: two events, both count
    assert len(select_sources(far.events, ["ucdp", "acled"])) == 2 * len(ucdp) + 1
