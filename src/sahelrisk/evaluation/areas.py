"""Area risk that means what it says.

An area's chance of at least one fatal event is first combined from its cells as if they were
independent, ``1 - prod(1 - p)``. Neighbouring cells are not independent (one attack, one
campaign), so that score runs high for large areas. Here it is checked against what happened in
the area in the rolling-origin backtest, and may be calibrated: a logistic map of the score's
logit (order-preserving, so areas rank as before) or an isotonic one. The training spec's
``[areas] calibration`` chooses; ``benchmarks/bench_areas.py`` compares them on the 2017-2019
validation origins, where neither beat the independence score, so the default is ``none``. Within the backtest each fold's map is
fitted only on earlier folds' out-of-sample rows whose outcome was known by its first forecast
week; the registered model's map is fitted on every backtest row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from sahelrisk.calendar import DateLike
from sahelrisk.evaluation.metrics import metrics_by, reliability_table
from sahelrisk.features.targets import build_targets, target_column
from sahelrisk.units import Units, build_admin_units
from sahelrisk.units.membership import area_membership

__all__ = ["AREA_LEVELS", "METHODS", "DEFAULT_METHOD", "fit_map", "apply_map", "area_scores", "area_rows", "calibrate_in_backtest", "evaluate_areas", "area_report", "AreaCalibration",
           "fit_area_calibration",
           "MIN_POSITIVES"]

AREA_LEVELS = ("adm1", "adm2")
MIN_POSITIVES = 30  # fewer known outcomes than this leave a fold's areas on the independence formula
METHODS = ("none", "logistic", "isotonic")
DEFAULT_METHOD = "none"  # chosen on the 2017-2019 validation origins: benchmarks/areas.json


def _areas(layers: dict, level: str, countries: Iterable[str]) -> gpd.GeoDataFrame:
    areas = layers[f"admin{level[-1]}"]
    return areas[areas["country_iso3"].isin(sorted(countries))].set_index("pcode")


def area_scores(preds: pd.DataFrame, model: str, units: Units, layers: dict, level: str) -> pd.DataFrame:
    """Per (area, week): the independence score ``1 - prod(1 - p)`` of the area's cells.

    Parameters
    ----------
    preds : pandas.DataFrame
        Cell predictions (``unit_id``, ``week``, ``fold``, ``p_<model>``).
    model : str
        Whose predictions (``model`` or a baseline's name).
    units : Units
        The grid the predictions are for.
    layers : dict
        The loaded admin layers (``admin1``, ``admin2``).
    level : {"adm1", "adm2"}

    Returns
    -------
    pandas.DataFrame
        ``unit_id`` (the area's p-code), ``week``, ``fold``, ``p_independent``.
    """
    countries = sorted(units.table["country_iso3"].unique())
    areas = _areas(layers, level, countries)
    pairs = area_membership(units.table, areas, f"{level}_pcode")
    pos = pd.Series(np.arange(len(units)), index=units.ids)
    cells = preds[["unit_id", "week", "fold", f"p_{model}"]].copy()
    cells["pos"] = pos.reindex(cells["unit_id"].to_numpy()).to_numpy()
    joined = cells.merge(pairs, on="pos")
    joined["log_none"] = np.log1p(-np.clip(joined[f"p_{model}"].to_numpy(dtype=float), 0, 1 - 1e-12))
    grouped = joined.groupby(["pcode", "week"], sort=True).agg(log_none=("log_none", "sum"), fold=("fold", "first"))
    out = grouped.reset_index().rename(columns={"pcode": "unit_id"})
    out["p_independent"] = 1 - np.exp(out["log_none"])
    return out.drop(columns="log_none")


def area_rows(preds: pd.DataFrame, model: str, units: Units, layers: dict, events: pd.DataFrame, level: str, *,
              target_kind: str, horizon_weeks: int, data_end: DateLike) -> pd.DataFrame:
    """Backtest rows per (area, week): the independence score (:func:`area_scores`) and what
    happened in the area (its target, by the same event rules as cells); unobserved rows dropped."""
    scores = area_scores(preds, model, units, layers, level)
    countries = sorted(units.table["country_iso3"].unique())
    adm1 = layers["admin1"][layers["admin1"]["country_iso3"].isin(countries)]
    adm2 = layers["admin2"][layers["admin2"]["country_iso3"].isin(countries)]
    area_units = build_admin_units(int(level[-1]), adm1, adm2)
    weeks = scores["week"].sort_values().unique()
    target = target_column(target_kind, horizon_weeks)
    truth = build_targets(events, area_units, weeks[0], weeks[-1], horizons=[horizon_weeks], kinds=(target_kind,),
                          data_end=data_end)[["unit_id", "week", target]]
    out = scores.merge(truth, on=["unit_id", "week"], how="left")
    return out.dropna(subset=[target]).reset_index(drop=True)


def _logit(p: np.ndarray | pd.Series) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def fit_map(p: np.ndarray | pd.Series, y: np.ndarray | pd.Series, method: str = DEFAULT_METHOD) -> dict:
    """A calibration map from independence scores ``p`` to outcomes ``y``, as plain numbers.

    Parameters
    ----------
    p, y : array-like
    method : {"none", "logistic", "isotonic"}
        ``none``: the independence score as it is (an empty map); ``logistic``:
        ``sigmoid(a * logit(p) + b)``, order-preserving; ``isotonic``: a monotone step map.

    Returns
    -------
    dict
    """
    p, y = np.asarray(p, dtype=float), np.asarray(y, dtype=float)
    if method == "none":
        return {}
    if method == "logistic":
        fit = LogisticRegression(C=1e6, max_iter=1000).fit(_logit(p)[:, None], y)
        return {"method": "logistic", "a": float(fit.coef_[0, 0]), "b": float(fit.intercept_[0])}
    fit = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
    return {"method": "isotonic", "x": fit.X_thresholds_.round(6).tolist(), "y": fit.y_thresholds_.round(6).tolist()}


def apply_map(knots: dict, p: np.ndarray | pd.Series) -> np.ndarray:
    """Apply a map of :func:`fit_map` (NaN stays NaN; an empty map changes nothing)."""
    p = np.asarray(p, dtype=float)
    if not knots:
        return p
    if knots.get("method") == "logistic":
        return 1 / (1 + np.exp(-(knots["a"] * _logit(p) + knots["b"])))
    return np.interp(p, knots["x"], knots["y"])


def calibrate_in_backtest(rows: pd.DataFrame, target: str, horizon_weeks: int,
                          method: str = DEFAULT_METHOD, score: str = "p_independent") -> pd.DataFrame:
    """Add ``p_calibrated``: each fold's rows' ``score`` mapped by a fit on earlier rows whose
    outcome was known by the fold's first forecast week (the score itself where too few)."""
    rows = rows.sort_values(["week", "unit_id"]).reset_index(drop=True)
    rows["p_calibrated"] = np.nan
    for _, part in rows.groupby("fold", sort=False):
        start = part["week"].min()
        known = rows[rows["week"] + pd.Timedelta(weeks=horizon_weeks) <= start]
        if known[target].sum() >= MIN_POSITIVES:
            knots = fit_map(known[score], known[target], method)
            rows.loc[part.index, "p_calibrated"] = apply_map(knots, part[score])
    return rows


@dataclass(frozen=True)
class AreaCalibration:
    """The map from an area's independence score to its probability, per level (:func:`fit_map`),
    stored as plain numbers with the model and applied without scikit-learn's pickles."""

    maps: dict

    def apply(self, level: str, p_independent: np.ndarray | pd.Series) -> np.ndarray:
        """Calibrated area probabilities; the independence score where the level has no map."""
        p = np.asarray(p_independent, dtype=float)
        knots = self.maps.get(level)
        return apply_map(knots, p) if knots else p

    def to_dict(self) -> dict:
        """The maps as plain numbers, per level (what is logged with the model)."""
        return self.maps


def fit_area_calibration(rows_by_level: dict[str, pd.DataFrame], target: str,
                         method: str = DEFAULT_METHOD) -> AreaCalibration:
    """The registered model's maps, fitted on every out-of-sample backtest row of each level."""
    maps = {level: fit_map(rows["p_independent"], rows[target], method)
            for level, rows in rows_by_level.items() if rows[target].sum() >= MIN_POSITIVES}
    return AreaCalibration({level: knots for level, knots in maps.items() if knots})


def area_report(rows: pd.DataFrame, target: str,
                models: Sequence[str] = ("independent", "calibrated")) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Metrics and reliability of the scores ``p_<model>`` (by default the independence score and
    the calibrated probability), on the rows where all exist (the folds after the first with
    enough known outcomes)."""
    names = list(models)
    both = rows.dropna(subset=[f"p_{m}" for m in names])
    table = metrics_by(both, target, names).set_index("model")
    reliability = pd.concat([reliability_table(both[target], both[f"p_{m}"]).assign(model=m)
                             for m in names], ignore_index=True)
    return table, reliability


def evaluate_areas(preds: pd.DataFrame, units: Units, layers: dict, events: pd.DataFrame, *, target_kind: str,
                   horizon_weeks: int, data_end: DateLike, model: str = "model",
                   method: str = DEFAULT_METHOD) -> dict[str, pd.DataFrame]:
    """Backtest rows of every area level, with the independence score and the in-backtest
    calibration (:func:`area_rows` then :func:`calibrate_in_backtest`)."""
    target = target_column(target_kind, horizon_weeks)
    out = {}
    for level in AREA_LEVELS:
        if f"admin{level[-1]}" not in layers or units.kind != "grid":
            continue
        rows = area_rows(preds, model, units, layers, events, level, target_kind=target_kind,
                         horizon_weeks=horizon_weeks, data_end=data_end)
        out[level] = calibrate_in_backtest(rows, target, horizon_weeks, method)
    return out
