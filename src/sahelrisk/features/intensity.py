"""Space-time intensity of past attacks, the self-exciting (Hawkes-style) view: every located
event raises the risk around it, by a Gaussian kernel in space and a half-life in time; and the
distance from the unit to the nearest recent event, which tells a quiet cell at the edge of an
expanding front from one far from any fighting.

The kernels are a fixed grid of bandwidths and half-lives; the model weighs them on its training
weeks (fitting the excitation kernel, as a Hawkes process would, but jointly with the other
features).

Columns: ``intensity_k<bandwidth>km_hl<half-life>w`` and ``intensity_nearest_fatal_km_<window>w``.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from sahelrisk.errors import SpecError
from sahelrisk.features.base import Feature, PanelContext, check_options, register
from sahelrisk.features.windows import (
    decayed_sum,
    lag_weeks,
    pairs_within,
    weekly_matrix,
)

__all__ = ["build_intensity", "DEFAULTS"]

DEFAULTS = {
    "bandwidths_km": [25, 50, 100],
    "half_lives": [2, 8, 26],
    "nearest_windows": [4, 12, 52],
    "nearest_cap_km": 1000.0,
}
KERNEL_REACH = 3.0  # bandwidths: beyond it the Gaussian weight is < 1.2% and is dropped


@register("intensity", defaults=DEFAULTS)
def build_intensity(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    """Space-time intensity of past fatal events per unit and week (Gaussian kernels in space, half-lives in time), and the distance to the nearest recent one."""
    opt = check_options("intensity", options, DEFAULTS)
    cap = opt["nearest_cap_km"]
    if not isinstance(cap, (int, float)) or cap <= 0:
        raise SpecError(f"feature spec [builders.intensity].nearest_cap_km must be a positive number, got {cap!r}")
    ev = ctx.events
    # Precisely located events with a death: the kind of event the target counts.
    keep = ev["precise"].to_numpy(dtype=bool) & (ev["fatalities"].to_numpy() >= 1) & (ev["week_pos"].to_numpy() >= 0)
    xy, week_pos = ctx.events_xy()[keep], ev["week_pos"].to_numpy()[keep]
    centres = ctx.units.centroids_xy()
    # Decay in time per place, then spread over units: GED repeats village and town coordinates,
    # so places are fewer than events, and a week's score needs no (units x history) array.
    places, place_of = np.unique(xy.reshape(-1, 2), axis=0, return_inverse=True)
    history = lag_weeks(weekly_matrix(place_of.ravel(), week_pos, None, len(places), ctx.n_history),
                        ctx.reporting_lag_weeks)
    decayed = {hl: decayed_sum(history, hl, ctx.max_window, ctx.n_out, dtype=np.float64) for hl in opt["half_lives"]}
    # one neighbour search at the widest reach serves every bandwidth
    units_all, places_all, dist_all = pairs_within(centres, places, KERNEL_REACH * max(opt["bandwidths_km"]) * 1000.0)
    for bw in opt["bandwidths_km"]:
        near = dist_all <= KERNEL_REACH * bw * 1000.0
        kernel = sparse.csr_matrix((np.exp(-0.5 * (dist_all[near] / (bw * 1000.0)) ** 2),
                                    (units_all[near], places_all[near])), shape=(ctx.n_units, len(places)))
        for hl in opt["half_lives"]:
            yield Feature(f"intensity_k{bw}km_hl{hl}w", np.asarray(kernel @ decayed[hl], dtype=np.float32),
                          description=f"fatal events weighted by a {bw} km Gaussian kernel and a {hl}-week half-life")
    for w in opt["nearest_windows"]:
        yield Feature(f"intensity_nearest_fatal_km_{w}w", _nearest_recent(ctx, centres, xy, week_pos, w, cap),
                      description=f"km from the unit centre to the nearest fatal event of the last {w} weeks "
                                  f"(capped at {cap:g})")


def _nearest_recent(ctx: PanelContext, centres: np.ndarray, xy: np.ndarray, week_pos: np.ndarray, window: int,
                    cap_km: float) -> np.ndarray:
    """(units, panel weeks): distance to the nearest event dated in the ``window`` weeks up to t - lag."""
    out = np.full((ctx.n_units, ctx.n_out), cap_km, dtype=np.float32)
    shifted = week_pos + ctx.reporting_lag_weeks   # the week an event becomes known
    order = np.argsort(shifted, kind="stable")
    shifted, xy = shifted[order], xy[order]
    first = ctx.n_history - ctx.n_out
    for j in range(ctx.n_out):
        t = first + j
        lo, hi = np.searchsorted(shifted, [t - window + 1, t + 1])
        if hi > lo:
            dist, _ = cKDTree(xy[lo:hi]).query(centres, k=1)
            out[:, j] = np.minimum(dist / 1000.0, cap_km)
    return out
