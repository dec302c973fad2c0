import pytest

from sahelrisk.data.datadir import ENV_VAR, resolve_data_dir
from sahelrisk.errors import DataError


def test_resolution_order(tmp_path):
    work = tmp_path / "project"
    (work / "data").mkdir(parents=True)
    (tmp_path / "shared" / "data").mkdir(parents=True)
    flag, env = tmp_path / "flag", tmp_path / "env"
    flag.mkdir(), env.mkdir()
    assert resolve_data_dir(flag, cwd=work, environ={ENV_VAR: str(env)}) == flag
    assert resolve_data_dir(None, cwd=work, environ={ENV_VAR: str(env)}) == env
    assert resolve_data_dir(None, cwd=work, environ={}) == work / "data"
    (work / "data").rmdir()
    assert resolve_data_dir(None, cwd=work, environ={}) == tmp_path / "shared" / "data"


def test_missing_directories_say_how_to_fix(tmp_path):
    with pytest.raises(DataError, match="from --data.*does not exist.*sahelrisk data fetch"):
        resolve_data_dir(tmp_path / "nope", cwd=tmp_path, environ={})
    with pytest.raises(DataError, match=f"no data directory found.*{ENV_VAR}"):
        resolve_data_dir(None, cwd=tmp_path, environ={})


def test_a_writer_resolves_like_a_reader_and_creates_data_only_when_none_exists(tmp_path):
    work = tmp_path / "project"
    work.mkdir()
    assert resolve_data_dir(None, cwd=work, environ={}, create=True) == work / "data"
    (tmp_path / "shared" / "data").mkdir(parents=True)
    assert resolve_data_dir(None, cwd=work, environ={}, create=True) == tmp_path / "shared" / "data"
    assert resolve_data_dir(tmp_path / "new", cwd=work, environ={}, create=True) == tmp_path / "new"


def test_a_data_folder_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(DataError, match="is a file"):
        resolve_data_dir(tmp_path / "file", cwd=tmp_path, environ={})
