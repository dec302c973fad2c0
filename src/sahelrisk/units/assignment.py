"""Which events count for which units: location and date precision rules.

Rules (stated here, tested, and each exclusion counted):

- An event belongs to the week of its ``date_start`` (whatever its date precision).
- Grid cells and ADM2 areas use events located to within an ADM2 area or better: UCDP
  ``where_prec`` 1-3 (exact place, within 25 km, ADM2), ACLED ``geo_precision`` 1-2.
- ADM1 areas also use events known only to their ADM1: UCDP ``where_prec`` 4, ACLED
  ``geo_precision`` 3.
- Coarser events (UCDP ``where_prec`` 5-7: a region, the country, the sea) and events without
  coordinates (the 2025 7-column Candidate extract) are excluded from unit features but counted
  in the country totals.
- An event whose point falls in no unit of the run (another country, a gap between borders) is
  excluded from unit features.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sahelrisk.calendar import week_of
from sahelrisk.units.base import Units

__all__ = ["assign_events", "max_precision", "PRECISION_LIMITS"]

# unit kind -> source -> coarsest geo precision accepted
PRECISION_LIMITS = {
    "grid": {"ucdp_ged": 3, "ucdp_candidate": 3, "acled": 2},
    "adm2": {"ucdp_ged": 3, "ucdp_candidate": 3, "acled": 2},
    "adm1": {"ucdp_ged": 4, "ucdp_candidate": 4, "acled": 3},
}


def max_precision(kind: str, source: pd.Series) -> np.ndarray:
    """The coarsest location precision each event's source may have to be placed in a unit of ``kind``."""
    return source.map(PRECISION_LIMITS[kind]).fillna(0).to_numpy()


def assign_events(events: pd.DataFrame, units: Units) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add ``week``, ``unit_pos`` (-1 when excluded) and ``rule`` to each event.

    Returns (events, counts of events per rule).
    """
    out = pd.DataFrame({
        "event_id": events["event_id"].to_numpy(), "source": events["source"].to_numpy(),
        "country_iso3": events["country_iso3"].to_numpy(),
        "week": week_of(events["date_start"]).to_numpy(),
        "violence_type": events["violence_type"].to_numpy(),
        "fatalities": events["fatalities_best"].to_numpy(dtype=np.float64),
        "latitude": events["latitude"].to_numpy(dtype=np.float64),
        "longitude": events["longitude"].to_numpy(dtype=np.float64),
    })
    located = events["has_location"].to_numpy(dtype=bool) & np.isfinite(out["latitude"]) & np.isfinite(out["longitude"])
    precision = pd.to_numeric(events["geo_precision"], errors="coerce").fillna(99).to_numpy()
    precise = precision <= max_precision(units.kind, events["source"])
    usable = located & precise
    unit_pos = np.full(len(out), -1, dtype=np.int64)
    unit_pos[usable] = units.locate(out["longitude"].to_numpy()[usable], out["latitude"].to_numpy()[usable])
    rule = np.select([~located, ~precise, unit_pos < 0],
                     ["no coordinates", "location too coarse for the unit", "outside every unit"], "assigned")
    out["unit_pos"], out["rule"], out["precise"] = unit_pos, rule, usable
    counts = out.groupby("rule").size().rename("events").reset_index()
    return out, counts
