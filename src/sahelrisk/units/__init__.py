"""Spatial units: PRIO-GRID-compatible cells and admin areas."""

from sahelrisk.units.admin import build_admin_units
from sahelrisk.units.assignment import PRECISION_LIMITS, assign_events
from sahelrisk.units.base import AREA_CRS, DISTANCE_CRS, UNIT_COLUMNS, Units
from sahelrisk.units.grid import (
           SUPPORTED_RESOLUTIONS,
           build_grid,
           cell_ids,
           queen_neighbours,
)

__all__ = ["assign_events", "PRECISION_LIMITS", "Units", "UNIT_COLUMNS", "AREA_CRS", "DISTANCE_CRS", "build_grid", "build_admin_units", "cell_ids",
           "queen_neighbours", "SUPPORTED_RESOLUTIONS"]
