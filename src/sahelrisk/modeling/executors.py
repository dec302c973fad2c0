"""Where a training step's folds and fits run: the fold executor.

A step that backtests or trains opens one executor (:func:`open_executor`) and hands it to the
frame it builds, the backtest and the final fit; nothing deep in the library asks where it runs.

- :class:`InProcess`: every fold one after another in this process (small frames).
- :class:`Joblib`: folds side by side in worker processes of this machine, one thread each, each
  reading one shared copy of the frame from disk.
- :class:`DaskFolds`: each fold a Dask task, the frame sent once to every worker.
- :class:`DaskPartitions`: the frame stays in the panel dataset on the cluster
  (:class:`~sahelrisk.modeling.distributed.ClusterFrame`); each fit reads a stated sample of it and
  the test weeks are scored partition by partition. A frame in memory given to it runs by fold.

Every executor runs the same fold checks before the first fit and gives the same rows; the
in-memory ones give the same predictions, bit for bit.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import pandas as pd

from sahelrisk.cluster import TASK_RETRIES, ClusterSpec, LazyClient
from sahelrisk.cores import THREADS_VARIABLE, thread_count
from sahelrisk.errors import DataError, SpecError
from sahelrisk.modeling.distributed import ClusterFrame
from sahelrisk.modeling.folds import Fold

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["Executor", "InProcess", "Joblib", "DaskFolds", "DaskPartitions", "open_executor", "local_executor",
           "Recipe", "FoldCallback", "PARALLEL_MIN_ROWS"]

Recipe = tuple[Callable[[], object], list[str]]
"""A factory of unfitted estimators and the columns they read."""
FoldCallback = Callable[[Fold, int, int], None]
"""Progress: called with the fold, how many folds ended before it and the number of folds, as its fits end."""
PARALLEL_MIN_ROWS = 100_000
"""Frames this large have their folds fitted side by side by default (smaller ones in this process)."""
Frame: TypeAlias = pd.DataFrame | ClusterFrame
FoldResult: TypeAlias = tuple[int, pd.DataFrame, dict]


def _quiet(_: str) -> None:
    return None


class Executor:
    """Where folds and fits run; this base runs every fold in this process, one after another.

    Parameters
    ----------
    log : callable
        Receives progress lines.
    """

    name = "process"
    partitioned = False
    """Whether a training frame built for this executor stays in a panel dataset on the cluster."""

    def __init__(self, log: Callable[[str], None] = _quiet) -> None:
        self.log = log

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    # -- the frame in memory -------------------------------------------------------------------
    def _memory(self, frame: Frame) -> pd.DataFrame:
        if not isinstance(frame, pd.DataFrame):
            raise SpecError("this training frame is kept on a cluster: run it with the executor that built it "
                            "(TrainingFrame.executor), or build the frame without --cluster")
        return frame

    def check(self, frame: Frame, folds: list[Fold], target: str) -> None:
        """Every fold checked before the first is fitted: a bad spec fails in seconds, never as a
        fold silently empty.

        Raises
        ------
        DataError
            A fold's training weeks hold one class, or none of its test weeks has an observed target.
        """
        rows = self._memory(frame)
        observed = rows[target].notna()
        for fold in folds:
            in_train, in_test = fold_rows(rows, fold, target)
            if rows.loc[in_train, target].nunique() < 2:
                raise DataError(f"{fold.name}: the training weeks hold only one class of {target}; start "
                                "training earlier (train_start)")
            if not in_test.any():
                raise unobserved(fold, target, rows.loc[observed, "week"].max() if observed.any() else None)

    def map_folds(self, frame: pd.DataFrame, folds: list[Fold], target: str,
                  models: dict[str, Recipe]) -> Iterator[FoldResult]:
        """Each fold's predictions and timings, in the order they end."""
        for k, fold in enumerate(folds):
            yield fit_fold(k, frame, fold, target, models)

    def backtest(self, frame: Frame, folds: list[Fold], target: str, models: dict[str, Recipe],
                 on_fold: FoldCallback | None = None) -> tuple[pd.DataFrame, list[dict]]:
        """Every model fitted on each fold's training rows and scored on its test rows.

        Returns
        -------
        (pandas.DataFrame, list of dict)
            One row per unit and test week (``fold``, the target, ``p_<model>``), in fold order;
            per-fold timings.
        """
        results: dict[int, tuple[pd.DataFrame, dict]] = {}
        for k, out, entry in self.map_folds(self._memory(frame), folds, target, models):
            if on_fold:
                on_fold(folds[k], len(results), len(folds))
            results[k] = out, entry
        ordered = [results[k] for k in range(len(folds))]
        return pd.concat([out for out, _ in ordered], ignore_index=True), [entry for _, entry in ordered]

    def fit(self, estimator: Any, frame: Frame, columns: list[str], target: str, start: pd.Timestamp | None = None,
            end: pd.Timestamp | None = None) -> Any:
        """``estimator`` fitted on the rows of weeks ``start``..``end`` (default all) whose target is observed."""
        rows = self._memory(frame)
        keep = rows[target].notna()
        if start is not None:
            keep &= rows["week"] >= start
        if end is not None:
            keep &= rows["week"] <= end
        train = rows[keep]
        return estimator.fit(train[columns], train[target].to_numpy(), weeks=train["week"])

    def rows_with_deaths(self, frame: Frame, deaths: str, columns: list[str], start: pd.Timestamp) -> pd.DataFrame:
        """Every row from week ``start`` with at least one death in ``deaths``, with ``columns``:
        what the deaths model is fitted on."""
        rows = self._memory(frame)
        return rows.loc[(rows["week"] >= start) & (rows[deaths] >= 1), [*columns, deaths]]

    def head(self, frame: Frame, columns: list[str]) -> pd.DataFrame:
        """A few rows of ``columns`` (the registry's input example)."""
        return self._memory(frame)[columns].head(50)


class InProcess(Executor):
    """Every fold in this process, one after another (frames under :data:`PARALLEL_MIN_ROWS` rows).

    Parameters
    ----------
    log : callable
        Receives progress lines.
    """


class Joblib(Executor):
    """Folds fitted side by side by ``workers`` processes of this machine, one thread each.

    A fit's threads wait on each other at every tree, so separate folds use the cores better, and
    a run beside other jobs slows by the share of cores it loses rather than stalls. Each worker
    reads one copy of the frame written to disk once, instead of the frame sent with every fold.

    Parameters
    ----------
    workers : int
        Folds fitted at once (at most the number of folds).
    log : callable
        Receives progress lines.
    """

    name = "joblib"

    def __init__(self, workers: int, log: Callable[[str], None] = _quiet) -> None:
        super().__init__(log)
        if workers < 1:
            raise SpecError(f"workers must be at least 1, not {workers}")
        self.workers = workers

    def __repr__(self) -> str:
        return f"Joblib(workers={self.workers})"

    def map_folds(self, frame: pd.DataFrame, folds: list[Fold], target: str,
                  models: dict[str, Recipe]) -> Iterator[FoldResult]:
        """Each fold's predictions and timings, in the order they end."""
        from joblib import Parallel, delayed
        workers = max(1, min(self.workers, len(folds)))
        if workers == 1:
            yield from super().map_folds(frame, folds, target, models)
            return
        with tempfile.TemporaryDirectory(prefix="sahelrisk-folds-") as shared:
            path = str(Path(shared) / "frame.arrow")
            narrow(frame, target, models).to_feather(path)
            yield from Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")(
                delayed(fit_fold)(k, path, fold, target, models, threads=1) for k, fold in enumerate(folds))


def local_executor(rows: int, workers: int | None = None, log: Callable[[str], None] = _quiet) -> Executor:
    """The executor for a frame of ``rows`` rows on this machine: :class:`Joblib` with ``workers``
    (default :func:`sahelrisk.cores.thread_count`) from :data:`PARALLEL_MIN_ROWS` rows,
    :class:`InProcess` below, where starting processes costs more than it saves."""
    if workers is None:
        workers = thread_count() if rows >= PARALLEL_MIN_ROWS else 1
    return Joblib(workers, log) if workers > 1 else InProcess(log)


class DaskFolds(Executor):
    """Each fold a Dask task on one worker thread, the frame sent once to every worker; a fold whose
    worker dies is run again elsewhere. The predictions are those of one process.

    Parameters
    ----------
    client : callable
        Returns the Dask client (a :class:`~sahelrisk.cluster.LazyClient`, or ``lambda: client``).
    log : callable
        Receives progress lines.
    """

    name = "dask-folds"

    def __init__(self, client: Callable[[], Client], log: Callable[[str], None] = _quiet) -> None:
        super().__init__(log)
        self.client = client

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.client!r})"

    def map_folds(self, frame: pd.DataFrame, folds: list[Fold], target: str,
                  models: dict[str, Recipe]) -> Iterator[FoldResult]:
        """Each fold's predictions and timings, in the order they end."""
        if len(folds) < 2:   # one fold: sending the frame costs more than it saves
            yield from super().map_folds(frame, folds, target, models)
            return
        from distributed import as_completed
        client = self.client()
        shared = client.scatter(narrow(frame, target, models), broadcast=True, hash=False)
        futures = [client.submit(fit_fold, k, shared, fold, target, models, threads=1, retries=TASK_RETRIES,
                                 pure=False) for k, fold in enumerate(folds)]
        for future in as_completed(futures):
            yield future.result()
            future.release()


class DaskPartitions(DaskFolds):
    """The training frame left in the panel dataset on the cluster: built there partition by
    partition, each fit on a stated sample of it, the test weeks scored partition by partition
    (:mod:`sahelrisk.modeling.distributed`). A frame in memory given to it runs by fold.

    Parameters
    ----------
    client : callable
        Returns the Dask client.
    log : callable
        Receives progress lines (the partitions built, the stated sample).
    """

    name = "dask-partitions"
    partitioned = True

    def check(self, frame: Frame, folds: list[Fold], target: str) -> None:
        """As in memory: a fold none of whose test weeks has an observed target raises (the class
        check runs as each fold's trees train, on the workers' rows)."""
        if isinstance(frame, pd.DataFrame):
            return super().check(frame, folds, target)
        last = frame.last_observed_week(target)
        for fold in folds:
            if not any(pd.Timestamp(week) <= last for week in fold.test_weeks):
                raise unobserved(fold, target, last)
        return None

    def backtest(self, frame: Frame, folds: list[Fold], target: str, models: dict[str, Recipe],
                 on_fold: FoldCallback | None = None) -> tuple[pd.DataFrame, list[dict]]:
        """Every model fitted on each fold's weeks of the stated sample (fold after fold, each fit on
        every worker), then every fold's test weeks scored in one pass over the partitions; the
        rows carry ``conflict_weeks_since_fatal`` for the onset rows."""
        if isinstance(frame, pd.DataFrame):
            return super().backtest(frame, folds, target, models, on_fold)
        how = frame.plan(((factory(), columns) for factory, columns in models.values()), target)
        fits, log = [], []
        for k, fold in enumerate(folds):
            entry: dict = {"fold": fold.name, "where": "cluster"}
            fitted = {}
            for name, (factory, columns) in models.items():
                started = time.perf_counter()
                fitted[name] = (frame.fit(factory(), columns, how, fold.train_start, fold.train_end), columns)
                entry[f"fit_s_{name}"] = round(time.perf_counter() - started, 3)
            fits.append((fold.name, pd.DatetimeIndex(fold.test_weeks), fitted))
            log.append(entry)
            if on_fold:
                on_fold(fold, k, len(folds))
        preds = frame.predict(fits, target, sorted({c for _, cols in models.values() for c in cols}))
        order = {name: k for k, (name, _, _) in enumerate(fits)}
        preds = preds.sort_values(["fold", "unit_id", "week"], key=lambda s: s.map(order) if s.name == "fold" else s,
                                  kind="stable").reset_index(drop=True)
        counts = preds.groupby("fold").size()
        for entry in log:
            entry["test_rows"] = int(counts.get(entry["fold"], 0))
        return preds, log

    def fit(self, estimator: Any, frame: Frame, columns: list[str], target: str, start: pd.Timestamp | None = None,
            end: pd.Timestamp | None = None) -> Any:
        """``estimator`` fitted on the stated sample of weeks ``start``..``end`` (both needed on the cluster)."""
        if isinstance(frame, pd.DataFrame):
            return super().fit(estimator, frame, columns, target, start, end)
        if start is None or end is None:
            raise SpecError("a fit on the cluster names its first and last training week")
        how = frame.plan([(estimator, columns)], target)
        return frame.fit(estimator, columns, how, start, end)

    def rows_with_deaths(self, frame: Frame, deaths: str, columns: list[str], start: pd.Timestamp) -> pd.DataFrame:
        """Every row with a death, gathered from the partitions: the rows of one process."""
        if isinstance(frame, pd.DataFrame):
            return super().rows_with_deaths(frame, deaths, columns, start)
        return frame.rows_with_deaths(deaths, columns, start)

    def head(self, frame: Frame, columns: list[str]) -> pd.DataFrame:
        """The first rows of the first partition."""
        if isinstance(frame, pd.DataFrame):
            return super().head(frame, columns)
        return frame.head(columns)


@contextmanager
def open_executor(cluster: ClusterSpec | None, *, by: Literal["partition", "fold"] = "partition",
                  log: Callable[[str], None] = _quiet) -> Iterator[Executor | None]:
    """The executor of a step, closed (a local cluster stopped, a remote one left) when it ends.

    Parameters
    ----------
    cluster : ClusterSpec or None
        The cluster, started only when a step first needs it; None: this machine, where each
        frame picks in process or :class:`Joblib` by its size (:func:`local_executor`).
    by : {"partition", "fold"}
        On a cluster: keep the training frame there (:class:`DaskPartitions`) or send a frame
        in memory to every worker and run each fold as a task (:class:`DaskFolds`).
    log : callable
        Receives what is started and the progress of work on the cluster.

    Yields
    ------
    DaskFolds, DaskPartitions or None

    Examples
    --------
    >>> with open_executor(parse_cluster("local:2")) as executor:        # doctest: +SKIP
    ...     tf = prepare_frame(spec, data_dir, executor=executor)
    ...     result = run_backtests(spec, tf)
    """
    if by not in ("partition", "fold"):
        raise SpecError(f"by={by!r}: use 'partition' or 'fold'")
    if cluster is None:
        yield None
        return
    client = LazyClient(cluster, log)
    try:
        yield DaskPartitions(client, log) if by == "partition" else DaskFolds(client, log)
    finally:
        client.close()


# -- one fold --------------------------------------------------------------------------------------
def unobserved(fold: Fold, target: str, last: pd.Timestamp | None) -> DataError:
    """A fold none of whose test weeks has an observed target: the spec's origins pass the data."""
    return DataError(f"{fold.name}: no test week has an observed {target} (the data ends "
                     f"{last.date() if last is not None and pd.notna(last) else 'before it'}); "
                     "set [backtest] first_origin / last_origin within the data")


def fold_rows(frame: pd.DataFrame, fold: Fold, target: str) -> tuple[pd.Series, pd.Series]:
    """A fold's training and test rows: in its weeks, with an observed target."""
    week, observed = frame["week"], frame[target].notna()
    return ((week >= fold.train_start) & (week <= fold.train_end) & observed,
            week.isin(fold.test_weeks) & observed)


def narrow(frame: pd.DataFrame, target: str, models: dict[str, Recipe]) -> pd.DataFrame:
    """The frame's columns a fold reads (keys, target, every model's columns), renumbered."""
    read = dict.fromkeys(["unit_id", "week", target, *(c for _, columns in models.values() for c in columns)])
    return frame[list(read)].reset_index(drop=True)


_SHARED: dict[str, pd.DataFrame] = {}
"""A worker's copy of the frame it was last sent, by path (read once, used for every fold it fits)."""


def _shared_frame(path: str) -> pd.DataFrame:
    if path not in _SHARED:
        _SHARED.clear()
        _SHARED[path] = pd.read_feather(path)
    return _SHARED[path]


def fit_fold(k: int, frame: pd.DataFrame | str, fold: Fold, target: str, models: dict[str, Recipe],
             threads: int | None = None) -> FoldResult:
    """One fold: every model fitted on its training rows and scored on its test rows.

    Parameters
    ----------
    k : int
        The fold's position (returned, so folds ending out of order are put back in order).
    frame : pandas.DataFrame or str
        The frame, or in a worker process the path of its shared copy.
    fold : Fold
        The fold.
    target : str
        The target column.
    models : dict
        Name -> recipe.
    threads : int, optional
        Threads of this worker's fits (its own process).

    Returns
    -------
    (int, pandas.DataFrame, dict)
        ``k``, the test rows with ``fold`` and one ``p_<model>`` per model, and the fold's timings.
    """
    if threads is not None:
        os.environ[THREADS_VARIABLE] = str(threads)
    if isinstance(frame, str):
        frame = _shared_frame(frame)
    in_train, in_test = fold_rows(frame, fold, target)
    train, test = frame[in_train], frame[in_test]
    out = test[["unit_id", "week", target]].copy()
    out["fold"] = fold.name
    entry = {"fold": fold.name, "train_rows": len(train), "test_rows": len(test)}
    for name, (factory, columns) in models.items():
        model = factory()
        started = time.perf_counter()
        model.fit(train[columns], train[target].to_numpy(), weeks=train["week"])  # type: ignore[attr-defined]
        entry[f"fit_s_{name}"] = round(time.perf_counter() - started, 3)
        out[f"p_{name}"] = model.predict_proba(test[columns])[:, 1]  # type: ignore[attr-defined]
    return k, out, entry

