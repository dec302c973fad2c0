"""The thread count: the option or variable, else the cores the process may run on."""

import os

import pytest

from sahelrisk.cores import THREADS_VARIABLE, _cgroup_quota, available_cores, thread_count
from sahelrisk.errors import SpecError


def test_the_variable_sets_the_thread_count():
    assert thread_count({THREADS_VARIABLE: "3"}) == 3
    assert thread_count({THREADS_VARIABLE: " 1 "}) == 1


def test_without_the_variable_the_available_cores_are_used():
    assert thread_count({}) == available_cores() == thread_count({THREADS_VARIABLE: ""})


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_thread_count_names_the_variable_and_the_fix(value):
    with pytest.raises(SpecError, match=rf"{THREADS_VARIABLE}='{value}' is not a thread count; set a whole number"):
        thread_count({THREADS_VARIABLE: value})


def test_the_cgroup_quota_caps_the_affinity(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert _cgroup_quota(tmp_path) == 1.5
    assert available_cores(tmp_path) == 1    # one and a half CPUs of quota: one thread, not the affinity's two+
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert _cgroup_quota(tmp_path) is None
    assert available_cores(tmp_path) == len(os.sched_getaffinity(0))


def test_a_version_one_cgroup_quota_is_read(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("400000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert _cgroup_quota(tmp_path) == 4.0
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert _cgroup_quota(tmp_path) is None


def test_no_cgroup_files_means_no_quota(tmp_path):
    assert _cgroup_quota(tmp_path) is None
