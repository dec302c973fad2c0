"""Rolling-origin folds: the splitter that says where the folds are (the runner that fits and
predicts is :func:`sahelrisk.evaluation.backtest.run_backtest`).

Fold rules, exactly:

- Origins (forecast weeks) run every ``step_weeks`` from ``first_origin`` to ``last_origin``.
- The model is refitted every ``refit_every_weeks`` origins; each refit starts a fold whose test
  weeks are that origin and the following origins up to the next refit.
- A fold trains on weeks ``w`` with ``train_start <= w`` and ``w + horizon + gap_weeks <= o``
  where ``o`` is the fold's first test origin: every training target window (w+1 .. w+h) has
  ended by the forecast week, so no training row has seen a test week's outcome.
  ``window = "fixed"`` keeps only the last ``train_weeks`` of those weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pandas as pd

from sahelrisk.calendar import as_monday
from sahelrisk.errors import SpecError

__all__ = ["RollingOrigin", "Fold"]


@dataclass(frozen=True)
class Fold:
    """One refit of a rolling-origin backtest: its training weeks and the weeks it forecasts from."""

    name: str
    train_start: pd.Timestamp
    train_end: pd.Timestamp      # last training week (inclusive)
    test_weeks: tuple[pd.Timestamp, ...]

    def __post_init__(self) -> None:
        if self.train_end < self.train_start:
            raise SpecError(f"fold {self.name}: no training weeks (train_end {self.train_end.date()} < "
                              f"train_start {self.train_start.date()})")


@dataclass(frozen=True)
class RollingOrigin:
    """Forecast origins every ``step_weeks`` from ``first_origin`` to ``last_origin``, refitted every
    ``refit_every_weeks`` on the weeks whose outcomes are known by then (less ``gap_weeks``)."""

    first_origin: pd.Timestamp
    last_origin: pd.Timestamp
    horizon: int
    train_start: pd.Timestamp
    step_weeks: int = 1
    refit_every_weeks: int = 13
    gap_weeks: int = 0
    window: str = "expanding"
    train_weeks: int | None = None

    def __post_init__(self) -> None:
        for name in ("first_origin", "last_origin", "train_start"):
            object.__setattr__(self, name, as_monday(getattr(self, name), name))
        if self.last_origin < self.first_origin:
            raise SpecError(f"backtest last_origin {self.last_origin.date()} is before first_origin "
                              f"{self.first_origin.date()}")
        for name in ("horizon", "step_weeks", "refit_every_weeks"):
            if int(getattr(self, name)) < 1:
                raise SpecError(f"backtest {name} must be at least 1, got {getattr(self, name)}")
        if self.gap_weeks < 0:
            raise SpecError(f"backtest gap_weeks must be >= 0, got {self.gap_weeks}")
        if self.window not in ("expanding", "fixed"):
            raise SpecError(f"backtest window {self.window!r} unknown; use 'expanding' or 'fixed'")
        if self.window == "fixed" and not self.train_weeks:
            raise SpecError("a fixed backtest window needs train_weeks")
        if self.first_origin - pd.Timedelta(weeks=self.horizon + self.gap_weeks) < self.train_start:
            raise SpecError(f"backtest first_origin {self.first_origin.date()} leaves no training week after "
                              f"train_start {self.train_start.date()} with horizon {self.horizon}")

    def origins(self) -> pd.DatetimeIndex:
        """Every forecast origin (a Monday)."""
        return pd.date_range(self.first_origin, self.last_origin, freq=f"{7 * self.step_weeks}D")

    def split(self) -> Iterator[Fold]:
        """The folds, oldest first."""
        origins = self.origins()
        for i in range(0, len(origins), self.refit_every_weeks):
            test = tuple(origins[i:i + self.refit_every_weeks])
            train_end = test[0] - pd.Timedelta(weeks=self.horizon + self.gap_weeks)
            start = self.train_start
            if self.window == "fixed":
                start = max(start, train_end - pd.Timedelta(weeks=int(self.train_weeks or 1) - 1))
            fold = Fold(name=f"fold{i // self.refit_every_weeks:03d}_{test[0].date()}", train_start=start,
                        train_end=train_end, test_weeks=test)
            # The invariant the whole backtest rests on, checked on every fold:
            if fold.train_end + pd.Timedelta(weeks=self.horizon) >= min(test) + pd.Timedelta(weeks=1):
                raise SpecError(f"{fold.name}: training targets would overlap the test weeks")
            yield fold
