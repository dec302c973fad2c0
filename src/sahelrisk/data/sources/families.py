"""Event sources by family (UCDP, ACLED), and combining families without counting an event twice.

A spec names the families it reads: the target is UCDP's by default and the history features
read UCDP alone unless a feature spec adds ACLED, so adding an ACLED export to the catalog never
changes the target or the UCDP history columns by accident. Where both families feed the same
column, an ACLED event on the same day as a UCDP event within ``match_km`` is the same event
reported twice, and counts once (UCDP's row is kept).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

__all__ = ["SOURCE_FAMILIES", "family_of", "select_sources", "MATCH_KM"]

SOURCE_FAMILIES = ("ucdp", "acled")
MATCH_KM = 10.0
_KM_PER_DEGREE = 111.32


def family_of(source: pd.Series) -> pd.Series:
    """``ucdp`` for UCDP GED and Candidate rows, ``acled`` for ACLED rows."""
    return source.astype("string").where(source == "acled", "ucdp")


def select_sources(events: pd.DataFrame, families: Iterable[str], match_km: float = MATCH_KM) -> pd.DataFrame:
    """The events of the given source families; with several, duplicates across them dropped.

    Parameters
    ----------
    events : pandas.DataFrame
        The canonical event table.
    families : iterable of {"ucdp", "acled"}
    match_km : float
        An ACLED event on the same day as a UCDP event within this distance is the same event.

    Returns
    -------
    pandas.DataFrame
    """
    families = set(families)
    family = family_of(events["source"])
    chosen = events[family.isin(families).to_numpy()]
    if families != {"ucdp", "acled"} or chosen.empty:
        return chosen
    fam = family_of(chosen["source"]).to_numpy()
    ucdp, acled = chosen[fam == "ucdp"], chosen[fam == "acled"]
    duplicate = np.zeros(len(acled), dtype=bool)
    located = acled["has_location"].to_numpy()
    for day, rows in acled[located].groupby(acled.loc[located, "date_start"].dt.normalize()):
        same_day = ucdp[(ucdp["date_start"].dt.normalize() == day) & ucdp["has_location"]]
        if same_day.empty:
            continue
        tree = cKDTree(_km(same_day))
        distance, _ = tree.query(_km(rows), k=1)
        duplicate[acled.index.get_indexer(rows.index[distance <= match_km])] = True
    return pd.concat([ucdp, acled[~duplicate]]).sort_index()


def _km(frame: pd.DataFrame) -> np.ndarray:
    lat = frame["latitude"].to_numpy(dtype=float)
    lon = frame["longitude"].to_numpy(dtype=float)
    return np.column_stack([lat * _KM_PER_DEGREE, lon * _KM_PER_DEGREE * np.cos(np.radians(lat))])
