"""Shared fixtures: the real data beside the checkout, and the as-of used with it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
# Later than every file's last date, so no real row is rejected as "in the future".
REAL_AS_OF = date(2026, 11, 24)


@pytest.fixture(scope="session")
def real_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA}")
    return SHARED_DATA


@pytest.fixture(scope="session")
def catalog():
    from sahelrisk.data.catalog import load_catalog
    return load_catalog()


@pytest.fixture(scope="session")
def real_events(real_data, catalog):
    from sahelrisk.data.sources import load_events
    return load_events(catalog, real_data, as_of=REAL_AS_OF)


@pytest.fixture(scope="session")
def default_spec():
    from sahelrisk.features.spec import load_spec
    return load_spec(REPO / "features" / "default.toml")


@pytest.fixture(scope="session")
def real_inputs(real_data, catalog, default_spec):
    """Everything the default panel needs, as known at the end of 2023 (the GED period)."""
    from sahelrisk.features.panel import load_inputs
    return load_inputs(catalog, real_data, as_of=date(2023, 12, 31), spec=default_spec)


@pytest.fixture(scope="session")
def real_grid(default_spec, real_inputs):
    from sahelrisk.features.panel import build_units
    return build_units(default_spec, real_inputs)


SMALL = """
name = "small"
features = "{features}"
registered_model = "test-grid-any-fatal-4w"
[target]
kind = "any_fatal"
horizon_weeks = 4
report_horizons = [1, 4]
[backtest]
first_origin = "2023-01-02"
last_origin = "last_observed"
train_start = "2017-01-02"
refit_every_weeks = 26
[model]
n_estimators = 60
learning_rate = 0.1
num_leaves = 7
neg_bagging_fraction = 0.5
negative_share = 0.5
quiet_column = "conflict_events_r100km_52w"
quiet_negative_share = 0.05
calibration_weeks = 52
[blend]
glm_include = ["conflict_events_hl*", "conflict_weeks_since_*", "intensity_*"]
glm_negative_share = 0.2
hawkes_include = ["conflict_events_260w", "intensity_k*"]
hawkes_negative_share = 0.2   # as on a cluster: a sample, weighted back
[baselines]
names = ["zero", "persistence", "decay_neighbours"]
[areas]
calibration = "logistic"   # exercises the calibrated path; the shipped spec keeps "none"
"""


@pytest.fixture(scope="session")
def small_spec(tmp_path_factory):
    from sahelrisk.modeling.spec import load_training_spec
    path = tmp_path_factory.mktemp("spec") / "small.toml"
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml"))
    return load_training_spec(path)


@pytest.fixture(scope="session")
def small_frame(small_spec, real_data, real_inputs):
    from sahelrisk.modeling.frame import prepare_frame
    return prepare_frame(small_spec, real_data, inputs=real_inputs)




@pytest.fixture(scope="session")
def registered(small_spec, small_frame, real_data, tmp_path_factory):
    """A champion trained on the real data in a throw-away MLflow store (SQLite)."""
    import os

    from sahelrisk.jobs.train import train_and_track
    root = tmp_path_factory.mktemp("registry")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    outcome = train_and_track(small_spec, real_data, register=True, out_dir=root / "out", models_dir=root / "models",
                              mlruns=root / "mlruns", tf=small_frame)
    assert outcome.promoted
    return root / "mlruns", outcome
