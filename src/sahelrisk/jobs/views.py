"""The ViEWS challenge protocol as a run: for each window year, every forecaster's draws and the
actuals in the challenge's Parquet layout, and their scores (``sahelrisk backtest --protocol
views-challenge``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from sahelrisk.data.catalog import Catalog
from sahelrisk.errors import SpecError
from sahelrisk.evaluation.views_protocol import (
    FORECASTERS,
    ViewsWindow,
    monthly_deaths,
    score_draws,
    window_forecasts,
)
from sahelrisk.features.panel import build_units, load_inputs
from sahelrisk.files import write_folder_atomic
from sahelrisk.modeling.spec import TrainingSpec

__all__ = ["parse_years", "run_views_challenge", "ViewsRecord", "FIRST_MONTH_YEAR", "FIRST_WINDOW_YEAR"]

FIRST_MONTH_YEAR = 1989     # the monthly deaths start with UCDP GED
FIRST_WINDOW_YEAR = 1991    # the first window whose 12 months of history before October exist


def parse_years(text: str) -> tuple[int, int]:
    """``"2018-2023"`` or ``"2020"`` as (first, last) window years, or a :class:`SpecError`."""
    try:
        first, last = (int(y) for y in text.split("-")) if "-" in text else (int(text), int(text))
    except ValueError:
        raise SpecError(f"--years {text!r}: write a year or a span, e.g. 2018-2023") from None
    if last < first:
        raise SpecError(f"--years {text!r}: the span ends before it starts; write e.g. 2018-2023")
    if first < FIRST_WINDOW_YEAR:
        raise SpecError(f"--years {text!r}: the first window the data allows is {FIRST_WINDOW_YEAR} (a year of "
                        f"history before October of the year before); start there or later")
    return first, last


@dataclass(frozen=True)
class ViewsRecord:
    """The protocol's scores: one row per window and forecaster (CRPS, ignorance, MIS, coverage)."""

    table: pd.DataFrame
    folders: tuple[Path, ...]


def run_views_challenge(spec: TrainingSpec, data_dir: Path, catalog: Catalog, out_dir: Path, *, years: str,
                        n_draws: int, log: Callable[[str], None] = lambda line: None) -> ViewsRecord:
    """Draws, actuals and scores of every forecaster for each window year.

    Parameters
    ----------
    spec : TrainingSpec
        A spec on 0.5-degree grid cells (the challenge scores PRIO-GRID cells).
    data_dir : pathlib.Path
        The data directory.
    catalog : Catalog
        The data catalog.
    out_dir : pathlib.Path
        ``views_challenge/<year>/`` folders and ``metrics.csv`` go under it.
    years : str
        The window years, e.g. ``"2018-2023"``.
    n_draws : int
        Draws per cell-month.
    log : callable
        Receives a line per step.

    Returns
    -------
    ViewsRecord

    Raises
    ------
    SpecError
        The spec is not on 0.5-degree cells, or the years are outside what the data covers.
    """
    first, last = parse_years(years)
    if spec.features.units != "grid" or spec.features.resolution != 0.5:
        raise SpecError("the ViEWS challenge is scored on PRIO-GRID cells: use a spec with 0.5-degree grid units")
    log("loading the events and cells")
    inputs = load_inputs(catalog, data_dir, spec=spec.features, as_of=date(last, 12, 31))
    located = inputs.events[inputs.events["has_location"] & inputs.events["country_iso3"].isin(spec.features.countries)]
    latest = located["date_start"].max()
    if pd.isna(latest) or latest < pd.Timestamp(last, 12, 1):
        ends = "nowhere" if pd.isna(latest) else f"on {latest.date()}"
        raise SpecError(f"--years {years}: the located events end {ends}, so the outcomes of {last} are not "
                        "known; end the span at the last year the data covers")
    units = build_units(spec.features, inputs)
    deaths = monthly_deaths(inputs.events, units, FIRST_MONTH_YEAR, last)
    rows, folders = [], []
    for year in range(first, last + 1):
        log(f"window {year}: fitting on the data to October {year - 1}, drawing {n_draws} per cell-month")
        window = window_forecasts(deaths, units, year, n_draws=n_draws)
        scores = {name: score_draws(window.draws[name], window.actuals) for name in FORECASTERS}

        def fill(tmp: Path, window: ViewsWindow = window, scores: dict = scores) -> None:
            window.actuals_frame().to_parquet(tmp / "actuals.parquet", index=False)
            for name in FORECASTERS:
                window.frame(name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "metrics.json").write_text(json.dumps(scores, indent=2) + "\n")

        folders.append(write_folder_atomic(Path(out_dir) / "views_challenge" / str(year), fill))
        rows += [{"window": year, "forecaster": name, **values} for name, values in scores.items()]
        log(f"window {year}: written {folders[-1]}")
    table = pd.DataFrame(rows)
    table.to_csv(Path(out_dir) / "views_challenge" / "metrics.csv", index=False)
    return ViewsRecord(table, tuple(folders))
