"""One weekly job at a time: a lock the OS releases when its holder dies."""

import subprocess
import sys
import time

import pytest

from sahelrisk.errors import JobBusyError
from sahelrisk.jobs.lock import job_lock

HOLD = "from sahelrisk.jobs.lock import job_lock; import sys, time\nwith job_lock(sys.argv[1]):\n print('held', flush=True); time.sleep(60)"


def _holder(path):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_job_exits_at_once_naming_the_holder(tmp_path):
    holder = _holder(tmp_path / ".weekly.lock")
    try:
        started = time.perf_counter()
        with pytest.raises(JobBusyError, match=rf"another weekly job runs on this output folder \(pid {holder.pid};"):
            with job_lock(tmp_path / ".weekly.lock"):
                pass
        assert time.perf_counter() - started < 2
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_of_a_killed_job_is_free_at_once(tmp_path):
    holder = _holder(tmp_path / ".weekly.lock")
    holder.kill()          # SIGKILL: no cleanup code runs, the kernel drops the lock
    holder.wait()
    with job_lock(tmp_path / ".weekly.lock") as path:
        assert path.read_text() == f"pid {__import__('os').getpid()}"
