"""How many threads a fit may use: the cores this process may actually run on.

``os.cpu_count()`` counts the machine's cores, not the ones a container or ``taskset`` grants, and
a pool of threads larger than its cores makes every fit's threads wait on each other at each
synchronisation point (a run beside other jobs went ten times slower, not two). The count is,
first found: the ``--threads`` option (which sets ``SAHELRISK_THREADS`` for the process), the
``SAHELRISK_THREADS`` variable, else the CPUs in the process's affinity mask, capped by the
cgroup's CPU quota.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from pathlib import Path

from sahelrisk.errors import SpecError

__all__ = ["available_cores", "thread_count", "THREADS_VARIABLE"]

THREADS_VARIABLE = "SAHELRISK_THREADS"
_CGROUP = Path("/sys/fs/cgroup")


def _cgroup_quota(root: Path = _CGROUP) -> float | None:
    """CPUs the cgroup's quota allows (v2 ``cpu.max``, v1 ``cpu.cfs_quota_us``), None without a quota."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return quota_us / period_us if quota_us > 0 and period_us > 0 else None
    except (OSError, ValueError):
        return None


def available_cores(cgroup_root: Path = _CGROUP) -> int:
    """The CPUs this process may run on: its affinity mask, capped by its cgroup's CPU quota (at least 1)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    quota = _cgroup_quota(cgroup_root)
    if quota is not None:
        cores = min(cores, max(1, math.floor(quota)))
    return max(1, cores)


def thread_count(environ: Mapping[str, str] | None = None) -> int:
    """Threads a fit uses: ``SAHELRISK_THREADS`` if set (``--threads`` sets it), else :func:`available_cores`.

    Raises
    ------
    SpecError
        ``SAHELRISK_THREADS`` is not a whole number of at least 1.
    """
    value = (os.environ if environ is None else environ).get(THREADS_VARIABLE, "").strip()
    if not value:
        return available_cores()
    if not value.isdigit() or int(value) < 1:
        raise SpecError(f"{THREADS_VARIABLE}={value!r} is not a thread count; set a whole number of at least 1 "
                        f"(e.g. {THREADS_VARIABLE}=2) or unset it to use the cores available")
    return int(value)
