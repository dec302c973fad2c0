"""Where the heavy work runs: in this process (the default), or on a Dask cluster.

``--cluster`` (on every command that builds, trains, backtests or scores) or the
``SAHELRISK_CLUSTER`` variable names the cluster:

- absent: in-process, nothing to start;
- ``local:N``: a ``distributed.LocalCluster`` of N worker processes on 127.0.0.1, one thread
  each, started for the run and stopped after it;
- ``tcp://host:8786``: an existing Dask scheduler (``dask scheduler`` / ``dask worker``,
  dask-jobqueue on SLURM, dask-kubernetes), joined and left as it was.

The step that needs the cluster opens it (:func:`sahelrisk.modeling.executors.open_executor`,
or a :class:`LazyClient` for the panel alone) and stops it when it ends; nothing here is global.
Work sent to the cluster is made of tasks that are retried when a worker is lost; what comes back
to the driver is small (partition records, fold predictions), so its memory stays bounded.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sahelrisk.errors import SpecError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["ClusterSpec", "parse_cluster", "cluster_from", "connect", "LazyClient", "panels_dir", "peak_memory_mib", "CLUSTER_VARIABLE", "PANELS_VARIABLE", "TASK_RETRIES"]

CLUSTER_VARIABLE = "SAHELRISK_CLUSTER"
PANELS_VARIABLE = "SAHELRISK_PANELS"
TASK_RETRIES = 3
"""Times a task is run again after its worker died (on top of Dask's own rescheduling)."""
_LOCAL = re.compile(r"^local:(\d{1,3})$")
_REMOTE = re.compile(r"^(tcp|tls)://[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


@dataclass(frozen=True)
class ClusterSpec:
    """A cluster to run on: ``workers`` local processes, or the ``address`` of a running scheduler."""

    workers: int | None = None
    address: str | None = None

    def describe(self) -> str:
        """One line for logs: what is started or joined."""
        if self.address:
            return f"the Dask scheduler at {self.address}"
        return f"a local Dask cluster of {self.workers} worker process{'es' if self.workers != 1 else ''}"


def parse_cluster(value: str | None, where: str = "--cluster") -> ClusterSpec | None:
    """The cluster named by ``value``, None for in-process.

    Parameters
    ----------
    value : str or None
        ``local:N``, ``tcp://host:port`` (or ``tls://``), or None / "" for in-process.
    where : str
        The option or variable named in messages.

    Returns
    -------
    ClusterSpec or None

    Raises
    ------
    SpecError
        Any other value, or ``local:0``.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    local = _LOCAL.match(text)
    if local:
        workers = int(local.group(1))
        if not 1 <= workers <= 256:
            raise SpecError(f"{where}={text!r}: a local cluster needs 1 to 256 workers, e.g. local:2")
        return ClusterSpec(workers=workers)
    if _REMOTE.match(text):
        if text.startswith("tls://"):
            raise SpecError(f"{where}={text!r}: TLS schedulers need certificates sahelrisk does not configure; "
                            "reach the scheduler through an SSH tunnel and use tcp://localhost:8786")
        return ClusterSpec(address=text)
    raise SpecError(f"{where}={text!r} is not a cluster; use local:N (N worker processes on this machine) or "
                    "tcp://host:8786 (a running Dask scheduler), or leave it unset to run in this process")


def cluster_from(option: str | None, environ: dict[str, str] | None = None) -> ClusterSpec | None:
    """The cluster of ``--cluster``, else of ``SAHELRISK_CLUSTER``, else None (in-process)."""
    if option:
        return parse_cluster(option, "--cluster")
    env = os.environ if environ is None else environ
    return parse_cluster(env.get(CLUSTER_VARIABLE), CLUSTER_VARIABLE)


@contextmanager
def connect(spec: ClusterSpec | None, *, log: Callable[[str], None] = lambda _: None,
            memory_limit: str | None = None, timeout_s: float = 30.0) -> Iterator[Client | None]:
    """A Dask client for ``spec`` (None: yields None, nothing is started).

    Parameters
    ----------
    spec : ClusterSpec or None
        The cluster.
    log : callable
        Receives what is started or joined and the dashboard's address.
    memory_limit : str, optional
        Per worker of a local cluster (Dask's form, e.g. ``"6GiB"``; default an equal share of the
        machine's memory).
    timeout_s : float
        How long to wait for a remote scheduler.

    Yields
    ------
    distributed.Client or None

    Raises
    ------
    SpecError
        The scheduler cannot be reached in time.
    """
    if spec is None:
        yield None
        return
    import logging

    from distributed import Client, LocalCluster

    # Dask's own INFO lines (every worker, every connection) would drown the run's progress.
    quiet = max(logging.WARNING, logging.getLogger().level)
    logging.getLogger("distributed").setLevel(quiet)
    # lightgbm.dask prints how it wires the workers ("Finding random open ports ..."); route it to logging.
    import lightgbm
    lightgbm.register_logger(logging.getLogger("lightgbm"))
    logging.getLogger("lightgbm").setLevel(max(logging.ERROR, logging.getLogger().level))
    cluster: Any = None
    if spec.workers is not None:
        # One thread per worker: LightGBM and BLAS threads inside tasks are capped by the workers'
        # environment, so N workers on N cores do not contend.
        cluster = LocalCluster(n_workers=spec.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address="127.0.0.1:0", memory_limit=memory_limit or "auto",
                               silence_logs=quiet,
                               env={"SAHELRISK_THREADS": "1", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"})
        client = Client(cluster)
    else:
        _probe(spec.address or "", timeout_s)
        import dask
        try:
            # the handshake too has a deadline: a port that accepts and never answers must not hang the run
            with dask.config.set({"distributed.comm.timeouts.connect": f"{timeout_s}s"}):
                client = Client(spec.address, timeout=timeout_s)
        except (OSError, TimeoutError, MemoryError, ValueError, TypeError) as e:
            # something other than a scheduler (the dashboard's port, a web server) answers in ways
            # Dask reads as a huge frame or a bad message: one line, not a crash
            raise SpecError(f"--cluster {spec.address}: no Dask scheduler answered within {timeout_s:.0f} s "
                            f"({type(e).__name__}); start one (dask scheduler, port 8786 by default) or check the "
                            "address") from None
    log(f"running on {spec.describe()}; dashboard {client.dashboard_link}")
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _probe(address: str, timeout_s: float) -> None:
    """A Dask scheduler speaks first (its handshake) as soon as a connection opens: a port that
    accepts and stays silent is refused within ``timeout_s`` instead of holding the run.

    Raises
    ------
    SpecError
        Nothing listens there, or nothing is said within the deadline.
    """
    import socket
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s) as probe:
            probe.settimeout(timeout_s)
            if not probe.recv(1):
                raise OSError("the connection was closed at once")
    except (OSError, ValueError) as e:
        raise SpecError(f"--cluster {address}: no Dask scheduler answered within {timeout_s:.0f} s "
                        f"({type(e).__name__}: {e}); start one (dask scheduler, port 8786 by default) or check "
                        "the address") from None


class LazyClient:
    """The Dask client of a cluster, started (or joined) the first time it is called: a command that
    never needs the cluster starts nothing. :meth:`close` stops a local cluster and leaves a remote one.

    Parameters
    ----------
    spec : ClusterSpec
        The cluster.
    log : callable
        Receives what is started and the dashboard's address.
    """

    def __init__(self, spec: ClusterSpec, log: Callable[[str], None] = lambda _: None) -> None:
        self.spec, self.log = spec, log
        self._context: Any = None
        self._client: Client | None = None

    @property
    def started(self) -> bool:
        """Whether a client was asked for (and so started or joined)."""
        return self._client is not None

    def __call__(self) -> Client:
        """The client, started on the first call."""
        if self._client is None:
            context = connect(self.spec, log=self.log)
            self._client = context.__enter__()
            self._context = context
        assert self._client is not None
        return self._client

    def close(self) -> None:
        """Stop (a local cluster) or leave (a remote one); nothing if it was never started."""
        if self._context is not None:
            self._context.__exit__(None, None, None)
        self._context = self._client = None


def peak_memory_mib() -> float:
    """The peak resident memory of this process, in MiB: VmHWM, its own address space's high-water
    mark. Not ``ru_maxrss``, which is kept across exec, so a worker started by exec from the
    driver would report the driver's peak at the time it was started."""
    import resource
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def panels_dir() -> Path:
    """Where partitioned panels are written: ``$SAHELRISK_PANELS``, else a folder in the temporary
    directory. On a remote cluster it must be a path the driver and every worker see (a shared
    file system)."""
    import tempfile
    return Path(os.environ.get(PANELS_VARIABLE) or Path(tempfile.gettempdir()) / "sahelrisk-panels")
