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
    from sahelrisk.catalog import load_catalog
    return load_catalog()


@pytest.fixture(scope="session")
def real_events(real_data, catalog):
    from sahelrisk.sources import load_events
    return load_events(catalog, real_data, as_of=REAL_AS_OF)


@pytest.fixture(scope="session")
def default_spec():
    from sahelrisk.features.spec import load_spec
    return load_spec(REPO / "features" / "default.toml")


@pytest.fixture(scope="session")
def real_inputs(real_data, catalog, default_spec):
    """Everything the default panel needs, as known at the end of 2023 (the GED period)."""
    from sahelrisk.panel import load_inputs
    return load_inputs(catalog, real_data, as_of=date(2023, 12, 31), spec=default_spec)


@pytest.fixture(scope="session")
def real_grid(default_spec, real_inputs):
    from sahelrisk.panel import build_units
    return build_units(default_spec, real_inputs)
