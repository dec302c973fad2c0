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
