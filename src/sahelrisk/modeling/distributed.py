"""The training frame on a cluster: the panel dataset read by partition, the models fitted on a
stated sample of it, their forecasts scored by partition.

A region too large for one process (eight countries at 0.1 degree: 19 million cell-weeks) never
comes back to the driver whole. Each partition of the panel dataset is read by a Dask task on the
worker that holds it, which adds the targets of its units and keeps a **stratified case-control
sample** (:mod:`sahelrisk.modeling.sampling`): every positive, every row with a death (the deaths
model's rows) and, of the negatives, the largest share any member asks for in each stratum (the
quiet stratum and the rest). Each kept row carries its stratum's share and a uniform ``draw``, so
every member thins it further to its own share, with the weight or offset that undoes the
sampling:

- the boosted trees train with :class:`lightgbm.dask.DaskLGBMClassifier` on the workers' rows,
  each with the log-odds offset of its stratum; their calibration is fitted on the sample of the
  held-out weeks, each row weighing ``1 / share``;
- the logistic member and the history rules are fitted in the driver on the stated sample of
  ``[blend] glm_negative_share`` of the negatives (every positive kept), weighted back;
- the deaths model on every row with a death, exactly as in one process.

The partitioned executor (:class:`sahelrisk.modeling.executors.DaskPartitions`) backtests with
these: it fits each fold this way (its folds one after another, each fit spread over every
worker) and then scores every fold's test weeks in one pass over the partitions, each partition on
its worker. What comes back to the driver is the stated sample and the forecasts.

On a cluster the trees depend on which worker holds which rows: LightGBM's data-parallel learner
bags each worker's rows with the seed and the worker's rank, and Dask ranks the workers in no fixed
order. Two fits of the same data differ by about what a new seed does (docs/how-to/cluster.md gives the
measure); a fit in one process is the same from run to run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from sahelrisk.cluster import TASK_RETRIES
from sahelrisk.errors import DataError, SpecError
from sahelrisk.features.panel import KEY_COLUMNS
from sahelrisk.features.partitions import PanelDataset, Partition, plan_partitions
from sahelrisk.features.targets import build_targets, last_observed_origin, target_column
from sahelrisk.modeling.baselines import BaselineModel, required_columns
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.hawkes import SelfExcitingModel
from sahelrisk.modeling.logistic import IntensityGLM
from sahelrisk.modeling.sampling import log_odds
from sahelrisk.units import Units

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["ClusterFrame", "StatedSample", "STATED_SHARE", "ONSET_COLUMN"]

STATED_SHARE = 0.1
"""Share of negatives the history rules are fitted on when no logistic member states one."""
WEIGHTED_MEMBERS = (IntensityGLM, SelfExcitingModel)
"""Members fitted in the driver on the stated sample at their own ``negative_share``, weighted back."""
ONSET_COLUMN = "conflict_weeks_since_fatal"
"""Carried with the forecasts, for the backtest's onset rows."""
NETWORK_TIMEOUT_MINUTES = 10
_SHARE, _DRAW = "_share", "_draw"


@dataclass(frozen=True)
class StatedSample:
    """What the partitions keep of the rows with an observed target.

    Attributes
    ----------
    target, deaths : str
        The target column and the deaths column (rows with a death are all kept).
    columns : tuple of str
        The feature columns the members read.
    quiet_column : str
        The column that is 0 on quiet rows ("" for one stratum).
    near_share, quiet_share : float
        Share of negatives kept in each stratum: the largest any member asks for.
    rule_share : float
        Share of negatives the history rules are fitted on: the logistic member's, else
        :data:`STATED_SHARE`.
    seed : int
        Each partition draws with ``(seed, tile, block)``.
    """

    target: str
    deaths: str
    columns: tuple[str, ...]
    quiet_column: str
    near_share: float
    quiet_share: float
    rule_share: float
    seed: int


def _strata(frame: pd.DataFrame, quiet_column: str) -> np.ndarray:
    """True on the quiet rows (a missing value is not known to be quiet, as in the in-process fit)."""
    if not quiet_column:
        return np.zeros(len(frame), dtype=bool)
    return (frame[quiet_column] == 0).to_numpy()


def _partition_rows(path: str, units: Units, events: pd.DataFrame, part: Partition, columns: list[str],
                    target_kind: str, horizons: tuple[int, ...], data_end: date,
                    weeks: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """A task: one partition's panel rows (``columns``, optionally only ``weeks``) with the targets
    of its units and their country."""
    read = list(dict.fromkeys([*KEY_COLUMNS, *(c for c in columns if c not in ("country_iso3",))]))
    rows = pq.read_table(path, columns=read).to_pandas()
    if weeks is not None:
        rows = rows[rows["week"].isin(weeks)]
    core = units.subset(part.core)
    west, south, east, north = core.table.total_bounds
    near = events["longitude"].between(west - 0.01, east + 0.01) & events["latitude"].between(south - 0.01, north + 0.01)
    targets = build_targets(events[near.to_numpy()], core, part.start, part.end, horizons=horizons,
                            kinds=tuple(dict.fromkeys((target_kind, "fatalities"))), data_end=data_end)
    out = rows.merge(targets, on=KEY_COLUMNS, how="left")
    out.insert(2, "country_iso3", out["unit_id"].map(core.table.set_index("unit_id")["country_iso3"]).to_numpy())
    return out


def _sample_partition(path: str, units: Units, events: pd.DataFrame, part: Partition, how: StatedSample,
                      target_kind: str, horizons: tuple[int, ...], data_end: date) -> pd.DataFrame:
    """A task: the stated sample of one partition, each row with its stratum's share and its draw."""
    frame = _partition_rows(path, units, events, part, [*how.columns, how.quiet_column] if how.quiet_column
                            else list(how.columns), target_kind, horizons, data_end)
    frame = frame[frame[how.target].notna()]
    share = np.where(_strata(frame, how.quiet_column), how.quiet_share, how.near_share)
    draw = np.random.default_rng([how.seed, part.tile, part.block]).random(len(frame))
    keep = (frame[how.target] > 0).to_numpy() | (frame[how.deaths] >= 1).to_numpy() | (draw < share)
    kept = frame[keep].copy()
    kept[_SHARE] = share[keep]
    kept[_DRAW] = draw[keep] / share[keep]   # uniform on [0, 1) again among the kept negatives
    return kept.reset_index(drop=True)


def _thin(sample: pd.DataFrame, target: str, start: pd.Timestamp, end: pd.Timestamp, near_share: float,
          quiet_share: float, quiet_column: str, columns: list[str]) -> pd.DataFrame:
    """The rows of weeks ``start``..``end`` a member fitted at these shares keeps, with ``weight``
    (``1 / share`` for a negative, 1 for a positive) and ``offset`` (``log(1 / share)`` of the row's
    stratum: the case-control shift of its log-odds)."""
    rows = sample[(sample["week"] >= start) & (sample["week"] <= end)]
    share = np.where(_strata(rows, quiet_column), quiet_share, near_share)
    positive = (rows[target] > 0).to_numpy()
    # a row was kept at rows[_SHARE] >= share; its draw falls below share / _SHARE with chance share / _SHARE
    keep = positive | (rows[_DRAW].to_numpy() < share / rows[_SHARE].to_numpy())
    out = rows.loc[keep, list(dict.fromkeys([*KEY_COLUMNS, target, *columns]))].reset_index(drop=True)
    out["weight"] = np.where(positive[keep], 1.0, 1.0 / share[keep])
    out["offset"] = -np.log(share[keep])
    return out


def _raw_scores(sample: pd.DataFrame, model: RiskModel, target: str, start: pd.Timestamp,
                end: pd.Timestamp) -> pd.DataFrame:
    """A task: the trees' raw scores on a partition's sampled rows of weeks ``start``..``end``,
    with the target and each row's weight (1 / its chance of being in the sample)."""
    rows = sample[(sample["week"] > start) & (sample["week"] <= end)]
    if rows.empty:
        return pd.DataFrame({"raw": [], "y": [], "weight": []})
    weight = np.where((rows[target] > 0).to_numpy(), 1.0, 1.0 / rows[_SHARE].to_numpy())
    return pd.DataFrame({"raw": model.decision_function(rows), "y": rows[target].to_numpy(), "weight": weight})


def _predict_partition(path: str, units: Units, events: pd.DataFrame, part: Partition, fits: list[tuple],
                       columns: list[str], target: str, target_kind: str, horizons: tuple[int, ...],
                       data_end: date) -> pd.DataFrame:
    """A task: every fold's forecasts for its test weeks on one partition's rows.

    ``fits`` holds, per fold, its name, test weeks and ``{name: (fitted estimator, columns)}``.
    """
    weeks = pd.DatetimeIndex(sorted({w for _, test_weeks, _ in fits for w in test_weeks}))
    frame = _partition_rows(path, units, events, part, columns, target_kind, horizons, data_end, weeks=weeks)
    outs = []
    for name, test_weeks, models in fits:
        rows = frame[frame["week"].isin(test_weeks) & frame[target].notna()]
        if rows.empty:
            continue
        keep = [c for c in ("unit_id", "week", target, ONSET_COLUMN) if c in rows]
        out = rows[keep].assign(fold=name)
        for model_name, (model, model_columns) in models.items():
            out[f"p_{model_name}"] = model.predict_proba(rows[model_columns])[:, 1]
        outs.append(out)
    return pd.concat(outs, ignore_index=True) if outs else pd.DataFrame()


@dataclass
class ClusterFrame:
    """A training frame whose rows stay in the panel dataset, read and fitted on a Dask cluster.

    It takes the place of the in-process frame in :class:`~sahelrisk.modeling.frame.TrainingFrame`
    when a cluster is in use (:func:`sahelrisk.modeling.frame.frame_from_inputs`): the backtest
    (:meth:`backtest`), the final fit (:meth:`fit`) and the deaths model's rows
    (:meth:`rows_with_deaths`) run on it.

    Attributes
    ----------
    dataset : PanelDataset
        The panel, partition by partition.
    units : Units
        Every unit of the panel.
    events : pandas.DataFrame
        The events the targets are read from (the spec's target source).
    target_kind : str
        The spec's target kind.
    horizons : tuple of int
        The horizons whose targets the frame has.
    data_end : date
        The last day the data covers (targets after it are NaN).
    client : callable
        Returns the cluster's client (a :class:`sahelrisk.cluster.LazyClient`: started when first asked).
    log : callable
        Receives progress (the stated sample drawn, a training run again after a lost worker).
    """

    dataset: PanelDataset
    units: Units
    events: pd.DataFrame
    target_kind: str
    horizons: tuple[int, ...]
    data_end: date
    client: Callable[[], Any]
    log: Callable[[str], None] = field(default=lambda _: None, repr=False)
    _samples: dict = field(default_factory=dict, repr=False)
    _shared: dict = field(default_factory=dict, repr=False)

    # -- what it holds -------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """The columns of the in-process frame: keys, country, features, targets."""
        targets = [target_column(k, h) for h in self.horizons
                   for k in dict.fromkeys((self.target_kind, "fatalities"))]
        features = [c for c in self.dataset.manifest["columns"] if c not in KEY_COLUMNS]
        return [*KEY_COLUMNS, "country_iso3", *features, *targets]

    def __contains__(self, column: object) -> bool:
        return column in self.columns

    def last_observed_week(self, target: str) -> pd.Timestamp:
        """The last week whose ``target`` is observed: its window ends by the data's last full week.

        Parameters
        ----------
        target : str
            A target column of the frame (``target_<kind>_<h>w``).

        Returns
        -------
        pandas.Timestamp
            A Monday; later weeks have no observed ``target``.
        """
        if target not in self:
            raise DataError(f"{target} is not a target of this frame; it has "
                            f"{', '.join(c for c in self.columns if c.startswith('target_'))}")
        return last_observed_origin(self.data_end, int(target.rsplit("_", 1)[1].rstrip("w")))

    def __len__(self) -> int:
        return self.dataset.rows

    def _partitions(self) -> list[tuple[str, Partition]]:
        m = self.dataset.manifest
        plan = plan_partitions(self.units, pd.date_range(m["start"], m["end"], freq="7D"), tile_deg=m["tile_deg"],
                               block_weeks=m["block_weeks"])
        by_name = {p.file_name: p for p in plan}
        return [(str(path), by_name[path.name]) for path in self.dataset.files]

    def _scattered(self, client: Client) -> tuple[Future, Future]:
        """The units and events, sent once to every worker."""
        if self._shared.get("client") is not client:
            self._shared.update(client=client,
                                units=client.scatter(self.units.without_cache(), broadcast=True, hash=False),
                                events=client.scatter(self.events, broadcast=True, hash=False))
        return self._shared["units"], self._shared["events"]

    def to_pandas(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The whole frame in this process (as :func:`~sahelrisk.modeling.frame.frame_from_inputs`
        builds it without a cluster): for tests and small regions only."""
        wanted = [c for c in (columns or self.columns) if c not in self.targets_and_keys()]
        parts = [_partition_rows(path, self.units, self.events, part, wanted, self.target_kind, self.horizons,
                                 self.data_end) for path, part in self._partitions()]
        frame = pd.concat(parts, ignore_index=True).sort_values(KEY_COLUMNS, kind="stable").reset_index(drop=True)
        return frame[[c for c in (columns or self.columns) if c in frame]]

    def targets_and_keys(self) -> set[str]:
        """Columns every partition read adds by itself."""
        return {*KEY_COLUMNS, "country_iso3", *(c for c in self.columns if c.startswith("target_"))}

    def head(self, columns: list[str], n: int = 5) -> pd.DataFrame:
        """The first rows of the first partition (an input example for the registry)."""
        return pq.read_table(self.dataset.files[0], columns=columns).to_pandas().head(n)

    # -- the stated sample ---------------------------------------------------------------------
    def sample(self, how: StatedSample) -> list[Future]:
        """The stated sample on the workers, one future per partition: drawn once, and reused for any
        later ``how`` it covers (the final fit after the backtest reads no partition again)."""
        drawn = next((d for d in self._samples if _covers(d, how)), None)
        if drawn is not None:
            return self._samples[drawn]
        client = self.client()
        units, events = self._scattered(client)
        self._samples.clear()   # one target at a time: free the workers' memory
        self._samples[how] = [client.submit(_sample_partition, path, units, events, part, how, self.target_kind,
                                            self.horizons, self.data_end, retries=TASK_RETRIES, pure=False)
                              for path, part in self._partitions()]
        rows = sum(client.gather([client.submit(len, f) for f in self._samples[how]]))
        self.log(f"stated sample of {how.target}: {rows:,} of {len(self):,} rows kept on the workers")
        return self._samples[how]

    def _gather(self, futures: Iterable[Future]) -> pd.DataFrame:
        frames = [f for f in self.client().gather(list(futures)) if len(f)]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def thinned(self, how: StatedSample, start: pd.Timestamp, end: pd.Timestamp, near_share: float,
                quiet_share: float, columns: list[str]) -> list[Future]:
        """Per partition, the rows of weeks ``start``..``end`` a member at these shares keeps."""
        client = self.client()
        return [client.submit(_thin, s, how.target, start, end, near_share, quiet_share, how.quiet_column, columns,
                              retries=TASK_RETRIES) for s in self.sample(how)]

    def rows_with_deaths(self, deaths: str, columns: list[str], start: pd.Timestamp) -> pd.DataFrame:
        """Every row from week ``start`` with at least one death in ``deaths`` (all are in the
        sample), with ``columns``: what the deaths model is fitted on, exactly as in one process."""
        how = self._deaths_sample(deaths, columns)
        client = self.client()
        futures = [client.submit(lambda s: s.loc[(s["week"] >= start) & (s[deaths] >= 1), [*columns, deaths]],
                                 f, retries=TASK_RETRIES) for f in self.sample(how)]
        return self._gather(futures).reset_index(drop=True)

    def _deaths_sample(self, deaths: str, columns: list[str]) -> StatedSample:
        # the sample already drawn keeps every row with a death; otherwise draw a thin one
        for how in self._samples:
            if how.deaths == deaths and set(columns) <= set(how.columns):
                return how
        return StatedSample(deaths, deaths, tuple(columns), "", 0.001, 0.001, 0.001, 0)

    # -- fitting -------------------------------------------------------------------------------
    def plan(self, estimators: Iterable[tuple[object, list[str]]], target: str, seed: int = 42) -> StatedSample:
        """The sample every estimator can be fitted from: for each stratum, the largest share of
        negatives any member asks for."""
        columns: list[str] = []
        estimators = list(estimators)
        members = [m for estimator, _ in estimators for m in _members(estimator)]
        glm_shares = [m.negative_share for m in members if isinstance(m, WEIGHTED_MEMBERS)]
        rule = min(glm_shares) if glm_shares else STATED_SHARE
        quiet_column, near, quiet = "", rule, rule
        for estimator, cols in estimators:
            columns += cols
            for member in _members(estimator):
                if isinstance(member, RiskModel):
                    member._validate()
                    quiet_column = quiet_column or member.quiet_column
                    near = max(near, member.negative_share)
                    quiet = max(quiet, member.quiet_negative_share if member.quiet_column else member.negative_share)
                    seed = member.seed
                elif isinstance(member, WEIGHTED_MEMBERS):
                    near, quiet = max(near, member.negative_share), max(quiet, member.negative_share)
        deaths = target_column("fatalities", int(target.rsplit("_", 1)[1].rstrip("w")))
        return StatedSample(target, deaths, tuple(dict.fromkeys(columns)), quiet_column, near, quiet, rule, seed)

    def fit(self, estimator: Any, columns: list[str], how: StatedSample, start: pd.Timestamp,
            end: pd.Timestamp) -> Any:
        """``estimator`` fitted on the weeks ``start``..``end`` of the stated sample ``how``.

        Parameters
        ----------
        estimator : BlendedModel, RiskModel, IntensityGLM, SelfExcitingModel or BaselineModel
            Unfitted.
        columns : list of str
            The columns it reads.
        how : StatedSample
            The sample (from :meth:`plan`).
        start, end : pandas.Timestamp
            The first and last training week.

        Returns
        -------
        The fitted estimator.
        """
        if isinstance(estimator, BlendedModel):
            lgbm, glm, rule, *hawkes = estimator.members()
            return estimator.with_members(
                self._fit_trees(lgbm, list(estimator.model_columns), how, start, end),
                self._fit_weighted(glm, list(estimator.glm_columns), how, start, end, glm.negative_share),
                self._fit_weighted(rule, required_columns(rule.horizon), how, start, end, how.rule_share),
                *[self._fit_weighted(h, list(estimator.hawkes_columns), how, start, end, h.negative_share)
                  for h in hawkes])
        if isinstance(estimator, RiskModel):
            return self._fit_trees(estimator, columns, how, start, end)
        if isinstance(estimator, WEIGHTED_MEMBERS):
            return self._fit_weighted(estimator, columns, how, start, end, estimator.negative_share)
        if isinstance(estimator, BaselineModel):
            return self._fit_weighted(estimator, columns, how, start, end, how.rule_share)
        raise SpecError(f"{type(estimator).__name__} cannot be fitted on a cluster; use a blend, RiskModel, "
                        "IntensityGLM, SelfExcitingModel or a baseline, or run without --cluster")

    def _fit_weighted(self, estimator: Any, columns: list[str], how: StatedSample, start: pd.Timestamp,
                      end: pd.Timestamp, share: float) -> Any:
        """Fitted in the driver on the stated sample at ``share`` of the negatives, weighted back."""
        rows = self._gather(self.thinned(how, start, end, share, share, columns))
        return estimator.fit(rows[columns], rows[how.target].to_numpy(), sample_weight=rows["weight"].to_numpy())

    def _fit_trees(self, model: RiskModel, columns: list[str], how: StatedSample, start: pd.Timestamp,
                   end: pd.Timestamp) -> RiskModel:
        """The boosted member fitted by its own :meth:`RiskModel.fit_elsewhere`, its trees trained on
        the workers and its calibration slice scored there."""
        def train(m: RiskModel, until: pd.Timestamp, quiet: float) -> tuple[Any, float, float]:
            return self._train(m, how, start, until, quiet)

        def raw_scores(m: RiskModel, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
            return self._gather(self.client().submit(_raw_scores, s, m, how.target, first, last, retries=TASK_RETRIES)
                                for s in self.sample(how))
        return model.fit_elsewhere(columns, end, train, raw_scores)

    def _train(self, model: RiskModel, how: StatedSample, start: pd.Timestamp, end: pd.Timestamp,
               quiet_share: float) -> tuple[Any, float, float]:
        """Trees on the workers' rows (``lightgbm.dask``), the intercept and the base rate."""
        import dask.dataframe as dd
        from lightgbm.dask import DaskLGBMClassifier
        client = self.client()
        futures = self.thinned(how, start, end, model.negative_share, quiet_share, model.feature_names_)
        sizes = client.gather([client.submit(_weighted_counts, f, how.target) for f in futures])
        n = sum(s[0] for s in sizes)
        if n == 0 or not 0 < sum(s[2] for s in sizes) < n:
            raise DataError(f"the training weeks {start.date()}..{end.date()} hold only one class of {how.target}; "
                            "start training earlier (train_start)")
        positives, weight = sum(s[1] for s in sizes), sum(s[3] for s in sizes)
        intercept = log_odds(positives / weight)
        kept = [f for f, s in zip(futures, sizes) if s[0]]   # a worker given no rows would stall LightGBM
        meta = client.submit(lambda f: f.iloc[:0], kept[0]).result()
        frame = dd.from_delayed(kept, meta=meta, verify_meta=False)
        params = {k: v for k, v in model._lgb_params().items() if k not in ("num_threads", "objective")}
        # a worker lost mid-training leaves the others waiting on its socket: fail in minutes, not LightGBM's 2 hours
        params["time_out"] = NETWORK_TIMEOUT_MINUTES
        for attempt in range(TASK_RETRIES + 1):
            trees = DaskLGBMClassifier(client=client, n_estimators=model.n_estimators, **params)
            try:
                trees.fit(frame[model.feature_names_], frame[how.target], init_score=frame["offset"] + intercept)
                break
            except _lost_worker_errors() as e:
                # LightGBM's network training cannot lose a member: train again on the workers left
                # (Dask recomputes the lost partitions of the sample from their tasks)
                if attempt == TASK_RETRIES:
                    raise
                self.log(f"a worker was lost while the trees trained ({type(e).__name__}); training again "
                       f"({attempt + 1}/{TASK_RETRIES})")
        return trees.booster_, intercept, positives / weight

    # -- scoring -----------------------------------------------------------------------------
    def predict(self, fits: list[tuple], target: str, columns: list[str]) -> pd.DataFrame:
        """Each fold's forecasts for its test weeks, scored partition by partition on the workers."""
        client = self.client()
        units, events = self._scattered(client)
        shared = client.scatter(fits, broadcast=True, hash=False)
        wanted = [*columns, *([ONSET_COLUMN] if ONSET_COLUMN in self else [])]
        futures = [client.submit(_predict_partition, path, units, events, part, shared, wanted, target,
                                 self.target_kind, self.horizons, self.data_end, retries=TASK_RETRIES, pure=False)
                   for path, part in self._partitions()]
        return self._gather(futures)


def _lost_worker_errors() -> tuple[type[BaseException], ...]:
    from distributed import KilledWorker
    from distributed.comm import CommClosedError
    from lightgbm.basic import LightGBMError
    return KilledWorker, CommClosedError, LightGBMError, OSError, TimeoutError


def _covers(drawn: StatedSample, how: StatedSample) -> bool:
    """Whether the sample ``drawn`` serves ``how``: the same target, strata and seed (so the same
    draws), every column ``how`` reads, and at least its shares (members thin from the row's own)."""
    return ((drawn.target, drawn.deaths, drawn.quiet_column, drawn.seed) == (how.target, how.deaths,
                                                                              how.quiet_column, how.seed)
            and drawn.near_share >= how.near_share and drawn.quiet_share >= how.quiet_share
            and set(how.columns) <= set(drawn.columns))


def _weighted_counts(rows: pd.DataFrame, target: str) -> tuple[int, float, int, float]:
    """Rows, weighted positives, positives and weighted rows of a partition's thinned rows."""
    y = rows[target].to_numpy()
    return len(rows), float(np.sum(rows["weight"] * y)), int(np.sum(y > 0)), float(rows["weight"].sum())


def _members(estimator: object) -> list[object]:
    return list(estimator.members()) if isinstance(estimator, BlendedModel) else [estimator]
