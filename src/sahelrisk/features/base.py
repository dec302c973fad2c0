"""What every feature builder receives and returns.

A builder is a generator ``build(ctx, options)`` yielding :class:`Feature` objects, registered
under a theme name; yielding one column at a time lets the panel lay each out and free its
history array before the next is computed (the 0.1-degree panel would not fit memory otherwise).
It computes on arrays over the *history* weeks (the panel's weeks plus enough weeks before them
for the longest window) and the panel keeps the panel's weeks. A feature's value for week ``t``
may use events of weeks ``<= t - reporting_lag_weeks`` only; the contract test checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from sahelrisk.errors import DataError, SpecError
from sahelrisk.features.windows import lag_weeks, weekly_matrix
from sahelrisk.units import Units

__all__ = ["Feature", "PanelContext", "register", "BUILDERS", "LAYERS_NEEDED", "OPTIONS", "check_options"]


@dataclass(frozen=True)
class Feature:
    """One column: ``values`` is (units, history weeks) or (units, panel weeks) for ``dynamic``,
    (units,) for ``static``, (history weeks,) for ``calendar``."""

    name: str
    values: np.ndarray
    kind: str = "dynamic"
    dtype: str = "float32"
    allow_nan: bool = False
    description: str = ""


@dataclass
class PanelContext:
    """What every feature builder reads: the units, the panel's weeks and their history, the assigned events and the layers."""

    units: Units
    weeks: pd.DatetimeIndex          # the panel's weeks
    history: pd.DatetimeIndex        # weeks the arrays span: history[-len(weeks):] == weeks
    events: pd.DataFrame             # assigned events: unit_pos, week_pos (-1: not usable), fatalities, ...
    layers: dict[str, Any] = field(default_factory=dict)
    reporting_lag_weeks: int = 0
    max_window: int = 260
    _xy: np.ndarray | None = field(default=None, repr=False)

    @property
    def n_units(self) -> int:
        """How many units."""
        return len(self.units)

    @property
    def n_history(self) -> int:
        """Weeks of history, the panel's and those its longest window reaches back."""
        return len(self.history)

    @property
    def n_out(self) -> int:
        """Weeks the panel keeps: a dynamic feature may give just these (units, n_out) columns."""
        return len(self.weeks)

    def event_matrices(self, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(events, fatalities) per (unit, history week) of the events under ``mask``, reporting lag applied."""
        ev = self.events
        week_pos = ev["week_pos"].to_numpy()
        if mask is not None:
            week_pos = np.where(mask, week_pos, -1)
        units = ev["unit_pos"].to_numpy()
        count = weekly_matrix(units, week_pos, None, self.n_units, self.n_history)
        fatal = weekly_matrix(units, week_pos, ev["fatalities"].to_numpy(), self.n_units, self.n_history)
        return lag_weeks(count, self.reporting_lag_weeks), lag_weeks(fatal, self.reporting_lag_weeks)

    def events_xy(self) -> np.ndarray:
        """The events' coordinates in the distance CRS (metres, NaN where unknown), projected once
        for every builder of the panel."""
        if self._xy is None:
            from sahelrisk.features.conflict import event_xy
            self._xy = event_xy(self.events)
        return self._xy

    def once_per_units(self, theme: str, options: dict, layer_names: tuple[str, ...],
                       compute: Callable[[], Iterator[Feature]]) -> list[Feature]:
        """Static features computed once per set of units, options and layer objects: geography does
        not change between weeks, and scoring week after week would otherwise redo it."""
        layers = tuple(self.layer(name) for name in layer_names)
        key = (theme, repr(sorted(options.items())), tuple(id(layer) for layer in layers))
        if key not in self.units._cache:
            # the layers are kept with the result so their ids cannot be reused by other objects
            self.units._cache[key] = (layers, list(compute()))
        return self.units._cache[key][1]

    def layer(self, name: str) -> Any:
        """A loaded dataset (a table or a layer), or a one-line error naming it."""
        try:
            return self.layers[name]
        except KeyError:
            raise DataError(f"the feature builder needs the {name!r} dataset, which was not loaded") from None


BUILDERS: dict[str, Callable[[PanelContext, dict], Iterator[Feature]]] = {}
LAYERS_NEEDED: dict[str, tuple[str, ...]] = {}
OPTIONS: dict[str, dict] = {}


Builder = Callable[["PanelContext", dict], Iterator["Feature"]]
"""A feature builder: the context and its options in, features out."""


def register(theme: str, needs: tuple[str, ...] = (), defaults: dict | None = None) -> Callable[[Builder], Builder]:
    """Register a builder under ``theme``; ``defaults`` are its options, checked when a spec loads."""
    def wrap(fn: Builder) -> Builder:
        BUILDERS[theme] = fn
        LAYERS_NEEDED[theme] = needs
        OPTIONS[theme] = defaults or {}
        return fn
    return wrap


def check_options(theme: str, options: dict, defaults: dict) -> dict:
    """Defaults overlaid with the spec's options; an unknown option names the known ones."""
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise SpecError(f"feature spec [builders.{theme}]: unknown option(s) {unknown}; known: {sorted(defaults)}")
    merged = {**defaults, **options}
    for key, value in merged.items():
        if isinstance(defaults[key], list) and not (isinstance(value, list) and all(
                isinstance(v, (int, float)) and v > 0 for v in value)):
            raise SpecError(f"feature spec [builders.{theme}].{key} must be a list of positive numbers, got {value!r}")
    return merged
