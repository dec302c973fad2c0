"""Training and backtest specs (``training/*.toml``) read through a strict schema into a frozen object.

The spec is a model's identity: its registered name, target, horizon and units (from the feature
spec it names) travel with every model trained from it. It holds no "now": the data cut-off
(``as_of``) and the last day the data covers (``data_end``) are arguments of training and scoring.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Annotated, Any, Literal, Mapping, Optional, Union

import pandas as pd
from pydantic import Field, create_model, model_validator

from sahelrisk.errors import SpecError
from sahelrisk.features.spec import PanelSpec, load_spec, spec_from_text
from sahelrisk.features.targets import last_observed_origin, target_column
from sahelrisk.modeling.baselines import BASELINES
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.folds import RollingOrigin
from sahelrisk.specs import StrictModel, parse_spec, parse_toml_text

__all__ = ["TrainingSpec", "load_training_spec", "training_spec_from_text"]

WHAT = "training spec"
if TYPE_CHECKING:
    Baseline = str
else:   # the names live once, in BASELINES
    Baseline = Literal[tuple(BASELINES)]
Horizon = Annotated[int, Field(ge=1, le=52)]


class TargetSection(StrictModel):
    kind: Literal["any_fatal", "civilian"]
    source: Literal["ucdp", "acled"] = "ucdp"
    horizon_weeks: Horizon
    report_horizons: Optional[list[Horizon]] = None


class BacktestSection(StrictModel):
    first_origin: date
    last_origin: Union[Literal["last_observed"], date] = "last_observed"
    train_start: date
    step_weeks: Annotated[int, Field(ge=1)] = 1
    refit_every_weeks: Annotated[int, Field(ge=1)] = 13
    gap_weeks: Annotated[int, Field(ge=0)] = 0
    window: Literal["expanding", "fixed"] = "expanding"
    train_weeks: Optional[Annotated[int, Field(ge=1)]] = None


class ModelFeaturesSection(StrictModel):
    include: list[str] = []


class BlendSection(StrictModel):
    glm_include: Annotated[list[str], Field(min_length=1)]
    glm_C: Annotated[float, Field(gt=0)] = 1.0
    glm_negative_share: Annotated[float, Field(gt=0, le=1)] = 1.0
    baseline: Baseline = "decay_neighbours"
    hawkes_include: list[str] = []   # excitation columns of a self-exciting member; empty: none
    hawkes_negative_share: Annotated[float, Field(gt=0, le=1)] = 1.0


class BaselinesSection(StrictModel):
    names: list[Baseline] = list(BASELINES)


class AreasSection(StrictModel):
    calibration: Literal["none", "logistic", "isotonic"] = "none"
    # loadings of the copula that ties the deaths draws of cells in one ADM1 / ADM2 area
    deaths_correlation_adm1: Annotated[float, Field(ge=0, lt=1)] = 0.0
    deaths_correlation_adm2: Annotated[float, Field(ge=0, lt=1)] = 0.0

    @model_validator(mode="after")
    def _loadings_leave_room(self) -> "AreasSection":
        if self.deaths_correlation_adm1 + self.deaths_correlation_adm2 >= 1:
            raise ValueError("deaths_correlation_adm1 + deaths_correlation_adm2 must stay below 1 "
                             "(the rest is each cell's own variation); lower one of them")
        return self


class ScheduleSection(StrictModel):
    retrain_every_weeks: Annotated[int, Field(ge=1, le=520)] = 13
    retrain_on_new_ged: bool = True


class PromotionSection(StrictModel):
    metric: Literal["ap", "roc_auc", "brier_skill", "top10_recall"] = "ap"  # higher is better
    min_improvement: Annotated[float, Field(ge=0)] = 0.0
    folds: Annotated[int, Field(ge=1)] = 4


@cache
def _model_section() -> type[StrictModel]:
    """The boosted-trees member's parameters, with the types of their defaults."""
    fields: dict[str, Any] = {name: (Optional[type(value)], None) for name, value in RiskModel().get_params().items()}
    return create_model("model", __base__=StrictModel, **fields)


@cache
def _file_schema() -> type[StrictModel]:
    """The training spec file: its sections, each strict (an unknown key is an error)."""
    registered: Any = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    return create_model(
        "TrainingSpecFile", __base__=StrictModel,
        name=(Optional[str], None), features=(str, ...),
        registered_model=(registered, ...),
        target=(TargetSection, ...), backtest=(BacktestSection, ...), model=(_model_section(), None),
        model_features=(ModelFeaturesSection, None), blend=(Optional[BlendSection], None),
        baselines=(BaselinesSection, None), promotion=(PromotionSection, None), areas=(AreasSection, None),
        schedule=(ScheduleSection, None))


@dataclass(frozen=True)
class TrainingSpec:
    """What to train and how to judge it: a model's identity and recipe.

    Attributes
    ----------
    name : str
        The spec's name (the MLflow experiment).
    features : PanelSpec
        The feature set, which also fixes the units.
    registered_model : str
        The registry name models of this spec are registered under.
    target_kind : {"any_fatal", "civilian"}
        What is forecast.
    target_source : {"ucdp", "acled"}
        The source family whose events define the target (never a mix of families).
    horizon_weeks : int
        Weeks ahead the model forecasts (weeks t+1 .. t+h after the forecast week t).
    report_horizons : tuple of int
        Horizons ``sahelrisk backtest --all-horizons`` reports.
    backtest : BacktestSection
        The rolling-origin options (``[backtest]``), defaults filled in.
    model : mapping
        The boosted-trees member's parameters (``[model]``).
    baselines : tuple of str
        Baselines backtested beside the model.
    area_deaths_correlation : tuple of float
        The copula loadings (ADM1, ADM2) that tie the deaths draws of one area's cells
        (:class:`~sahelrisk.modeling.severity.SeverityForecast`); (0, 0) draws cells independently.
    """

    name: str
    features: PanelSpec
    registered_model: str
    target_kind: str
    horizon_weeks: int
    report_horizons: tuple[int, ...]
    backtest: BacktestSection
    model: Mapping
    baselines: tuple[str, ...]
    # No defaults here: they live once, in the schema's sections above.
    model_features: tuple[str, ...]
    blend: BlendSection | None
    promotion_metric: str
    min_improvement: float
    promotion_folds: int
    target_source: str
    area_calibration: str
    area_deaths_correlation: tuple[float, float]
    retrain_every_weeks: int
    retrain_on_new_ged: bool
    origin: str = "<spec>"
    text: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            RiskModel(**dict(self.model))._validate()
        except SpecError as e:
            raise SpecError(f"{WHAT} {self.origin}: [model]: {e}") from None
        object.__setattr__(self, "model", MappingProxyType(dict(self.model)))
        try:  # the backtest section is checked now, not at fold 7 (a far data end stands in)
            self.splitter(data_end=date(2100, 1, 3))
        except SpecError as e:
            raise SpecError(f"{WHAT} {self.origin}: [backtest]: {e}") from None

    @property
    def units(self) -> str:
        """The unit level the model is trained on: ``grid``, ``adm1`` or ``adm2``."""
        return self.features.units

    def identity(self) -> dict:
        """What a model of this spec is: logged with it and checked wherever it is scored."""
        return {"registered_model": self.registered_model, "target": self.target, "target_kind": self.target_kind,
                "target_source": self.target_source,
                "horizon_weeks": self.horizon_weeks, "units": self.units, "resolution": self.features.resolution,
                "countries": list(self.features.countries), "feature_spec": self.features.name}

    def select_features(self, columns: list[str]) -> list[str]:
        """The panel columns LightGBM reads: those matching ``[model_features] include`` (all if empty)."""
        return self._match(columns, self.model_features, "[model_features] include")

    def _match(self, columns: list[str], patterns: tuple[str, ...], where: str) -> list[str]:
        if not patterns:
            return list(columns)
        chosen = [c for c in columns if any(fnmatch.fnmatchcase(c, pattern) for pattern in patterns)]
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(c, p) for c in columns)]
        if unmatched:
            raise SpecError(f"training spec {self.origin}: {where} {unmatched} match no column of "
                              f"the {self.features.name!r} feature spec; check the names (e.g. conflict_events_hl26w)")
        return chosen

    def model_columns(self, columns: list[str], horizon: int | None = None) -> list[str]:
        """The panel columns the estimator of :meth:`make_model` reads."""
        if not self.blend:
            return self.select_features(columns)
        return self.make_model(columns, horizon).columns()

    def make_model(self, columns: list[str], horizon: int | None = None) -> RiskModel | BlendedModel:
        """The estimator this spec trains, for a panel with ``columns``: LightGBM alone, or the
        blend of ``[blend]`` (LightGBM, the logistic intensity model and a calibrated baseline)."""
        blend = self.blend
        if blend is None:
            return RiskModel(**dict(self.model))
        glm = self._match(columns, tuple(blend.glm_include), "[blend] glm_include")
        # no patterns, no member (an empty pattern list would match every column)
        hawkes = self._match(columns, tuple(blend.hawkes_include), "[blend] hawkes_include") \
            if blend.hawkes_include else []
        return BlendedModel(model_params=dict(self.model), model_columns=tuple(self.select_features(columns)),
                            glm_columns=tuple(glm), glm_C=blend.glm_C, glm_negative_share=blend.glm_negative_share,
                            baseline=blend.baseline, horizon=horizon or self.horizon_weeks,
                            hawkes_columns=tuple(hawkes), hawkes_negative_share=blend.hawkes_negative_share)

    @property
    def target(self) -> str:
        """The target column, e.g. ``target_any_fatal_4w``."""
        return target_column(self.target_kind, self.horizon_weeks)

    def splitter(self, horizon_weeks: int | None = None, *, data_end: date) -> RollingOrigin:
        """The rolling origins of ``[backtest]`` for data that ends on ``data_end``.

        Parameters
        ----------
        horizon_weeks : int, optional
            Default the spec's.
        data_end : date
            The last day the data covers: ``last_origin = "last_observed"`` is the last week whose
            target window lies within it.
        """
        h = horizon_weeks or self.horizon_weeks
        b = self.backtest
        last = last_observed_origin(data_end, h) if b.last_origin == "last_observed" else pd.Timestamp(b.last_origin)
        return RollingOrigin(first_origin=pd.Timestamp(b.first_origin), last_origin=last, horizon=h,
                             train_start=pd.Timestamp(b.train_start), step_weeks=b.step_weeks,
                             refit_every_weeks=b.refit_every_weeks, gap_weeks=b.gap_weeks, window=b.window,
                             train_weeks=b.train_weeks)

    def with_backtest(self, **changes: object) -> "TrainingSpec":
        """The same spec with ``[backtest]`` options changed, checked as the file's are.

        Parameters
        ----------
        **changes
            Options of :class:`BacktestSection`, e.g. ``first_origin="2017-01-02"``.

        Returns
        -------
        TrainingSpec
            A new spec (this one is frozen).
        """
        section = parse_spec(BacktestSection, {**self.backtest.model_dump(), **changes}, self.origin, f"{WHAT} [backtest]")
        return dataclasses.replace(self, backtest=section)


def load_training_spec(path: str | Path) -> TrainingSpec:
    """Read a training spec TOML file (and the feature spec it names, relative to it).

    Parameters
    ----------
    path : str or Path
        E.g. ``training/default.toml``.

    Returns
    -------
    TrainingSpec

    Raises
    ------
    SpecError
        The file is missing, is not TOML, or has an unknown or invalid section, key or value.

    Examples
    --------
    >>> spec = load_training_spec("training/default.toml")          # doctest: +SKIP
    >>> spec.registered_model, spec.horizon_weeks, spec.units        # doctest: +SKIP
    ('sahelrisk-grid-any-fatal-4w', 4, 'grid')
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{WHAT} {path} not found; the shipped one is training/default.toml")
    text = path.read_text("utf-8")
    raw = parse_toml_text(text, path, WHAT)
    features = load_spec((path.parent / str(raw.get("features", ""))).resolve()) if "features" in raw else None
    return training_spec_from_text(text, path, features=features)


def training_spec_from_text(text: str, path: str | Path = "<text>", *,
                            features: PanelSpec | str | None) -> TrainingSpec:
    """A training spec from its TOML text (e.g. the copy logged with a model).

    Parameters
    ----------
    text : str
        The TOML.
    path : str or Path
        Named in messages.
    features : PanelSpec or str
        The feature spec, or its TOML text (None: the spec names none, an error).
    """
    raw = parse_toml_text(text, path, WHAT)
    if "data" in raw and isinstance(raw["data"], dict) and {"as_of", "data_end"} & set(raw["data"]):
        raise SpecError(f"{WHAT} {path}: [data] as_of and data_end are no longer spec keys: remove the [data] "
                        "section; pass --as-of / --data-end (default: what the data supports)")
    spec = parse_spec(_file_schema(), raw, path, WHAT)
    if features is None:
        raise SpecError(f"{WHAT} {path}: no 'features' key; name the feature spec, e.g. features = \"../features/default.toml\"")
    if isinstance(features, str):
        features = spec_from_text(features, f"<feature spec of {path}>")
    given = lambda section: section.model_dump(exclude_unset=True) if section is not None else {}  # noqa: E731
    target = spec.target
    promotion = spec.promotion or PromotionSection()
    areas = spec.areas or AreasSection()
    return TrainingSpec(
        name=spec.name or Path(path).stem, features=features, registered_model=spec.registered_model,
        target_kind=target.kind, horizon_weeks=target.horizon_weeks,
        report_horizons=tuple(target.report_horizons or [target.horizon_weeks]),
        backtest=spec.backtest, model=given(spec.model),
        baselines=tuple((spec.baselines or BaselinesSection()).names),
        model_features=tuple((spec.model_features or ModelFeaturesSection()).include), blend=spec.blend,
        promotion_metric=promotion.metric, min_improvement=promotion.min_improvement,
        promotion_folds=promotion.folds, target_source=target.source,
        area_calibration=areas.calibration,
        area_deaths_correlation=(areas.deaths_correlation_adm1, areas.deaths_correlation_adm2),
        retrain_every_weeks=(spec.schedule or ScheduleSection()).retrain_every_weeks,
        retrain_on_new_ged=(spec.schedule or ScheduleSection()).retrain_on_new_ged, origin=str(path), text=text)
