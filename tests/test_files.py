"""Outputs appear whole or not at all, and a folder that cannot be written is one clear error."""

import errno
import subprocess
import sys

import pytest

from sahelrisk.errors import OutputError
from sahelrisk.files import writable, write_folder_atomic, write_text_atomic


def test_a_folder_is_swapped_in_whole_and_a_failed_fill_leaves_the_old_one(tmp_path):
    def fails_half_way(tmp):
        (tmp / "a.txt").write_text("two")
        raise RuntimeError("stopped half-way")

    write_folder_atomic(tmp_path / "week", lambda tmp: (tmp / "a.txt").write_text("one"))
    with pytest.raises(RuntimeError):
        write_folder_atomic(tmp_path / "week", fails_half_way)
    assert (tmp_path / "week" / "a.txt").read_text() == "one"
    assert [p.name for p in tmp_path.iterdir()] == ["week"]          # no hidden leftover


def test_a_file_where_the_output_folder_should_be_is_an_output_error_naming_it(tmp_path):
    (tmp_path / "out").write_text("a file")
    with pytest.raises(OutputError, match=r"output .*out/2023-12-25: a file stands where a folder is needed"):
        write_folder_atomic(tmp_path / "out" / "2023-12-25", lambda tmp: None)
    with pytest.raises(OutputError, match="a file stands where a folder is needed"):
        write_text_atomic(tmp_path / "out" / "run.json", "{}")


@pytest.mark.parametrize("code, message", [(errno.EROFS, "cannot be written"), (errno.EACCES, "cannot be written"),
                                           (errno.ENOSPC, "the disk is full")])
def test_os_errors_of_writing_become_one_line_with_the_fix(tmp_path, code, message):
    with pytest.raises(OutputError, match=message) as caught:
        with writable(tmp_path / "x"):
            raise OSError(code, "simulated")
    assert isinstance(caught.value, OSError) and caught.value.exit_code == 12 and "\n" not in str(caught.value)


def test_other_errors_pass_through(tmp_path):
    with pytest.raises(FileNotFoundError):
        with writable(tmp_path / "x"):
            raise FileNotFoundError(errno.ENOENT, "not an output problem")


def test_the_cli_exits_12_without_a_traceback_when_out_is_a_file(real_data, tmp_path):
    (tmp_path / "out").write_text("a file")
    done = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "data", "check", "--data-dir", str(real_data),
                           "--as-of", "2023-12-31", "--out", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 12, done.stderr
    assert done.stderr.startswith("error: output ") and "Traceback" not in done.stderr


def test_a_folder_left_only_as_its_old_copy_is_put_back_never_deleted(tmp_path):
    from sahelrisk.files import restore_old, write_folder_atomic

    final = tmp_path / "2023-12-25"
    old = tmp_path / ".2023-12-25-old"                      # a run stopped between the two renames
    old.mkdir()
    (old / "run.json").write_text("published")

    def fail(tmp):
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_folder_atomic(final, fail)                    # the next run fails too
    assert (final / "run.json").read_text() == "published" and not old.exists()
    assert restore_old(final) is False                       # nothing left to put back
    write_folder_atomic(final, lambda tmp: (tmp / "run.json").write_text("new"))
    assert (final / "run.json").read_text() == "new" and not old.exists()
