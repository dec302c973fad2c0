"""Strict specs: a typo'd key or section, or a value out of range, in any spec file type gives one
line naming the file, section and key with the closest valid key, exit code 3, no traceback."""

import subprocess
import sys

import pytest

from sahelrisk.errors import SpecError
from sahelrisk.specs import StrictModel, closest, parse_spec
from tests.conftest import REPO

FEATURES = (REPO / "features" / "default.toml").read_text()
TRAINING = (REPO / "training" / "default.toml").read_text()
CATALOG = (REPO / "src" / "sahelrisk" / "data" / "catalog.toml").read_text()


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sahelrisk.cli", *args], capture_output=True, text=True, cwd=cwd)


def _features_file(tmp_path, text):
    path = tmp_path / "features.toml"
    path.write_text(text)
    return path


def _training_file(tmp_path, text, features=FEATURES):
    _features_file(tmp_path, features)
    path = tmp_path / "training.toml"
    path.write_text(text.replace('features = "../features/default.toml"', 'features = "features.toml"'))
    return path


CASES = [
    # (file type, how to break it, expected message)
    ("features", lambda t: t.replace("reporting_lag_weeks", "reporting_lag_week"),
     r"\[period\]: unknown key 'reporting_lag_week'; did you mean 'reporting_lag_weeks'\?"),
    ("features", lambda t: t.replace("[builders.roads]", "[builders.raods]"),
     r"\[builders\]: unknown section 'raods'; did you mean 'roads'\?"),
    ("features", lambda t: t.replace("reporting_lag_weeks = 0", "reporting_lag_weeks = 60"),
     r"\[period\]: reporting_lag_weeks = 60 is invalid: input should be less than or equal to 52"),
    ("training", lambda t: t.replace("num_leaves = 7", "num_leafs = 7"),
     r"\[model\]: unknown key 'num_leafs'; did you mean 'num_leaves'\?"),
    ("training", lambda t: t.replace("[model]\n", "[modle]\n"),
     r"top level: unknown section 'modle'; did you mean 'model'\?"),
    ("training", lambda t: t.replace("horizon_weeks = 4 ", "horizon_weeks = 0 "),
     r"\[target\]: horizon_weeks = 0 is invalid: input should be greater than or equal to 1"),
    ("catalog", lambda t: t.replace('licence = "CC BY 4.0 (UCDP)"', 'license = "CC BY 4.0 (UCDP)"', 1),
     r"\[datasets.ucdp_ged\]: unknown key 'license'; did you mean 'licence'\?"),
    ("catalog", lambda t: t.replace("[datasets.pcodes]", "[datasets.p-codes]"),
     r"\[datasets\]: name = 'p-codes' is invalid"),
    ("catalog", lambda t: t.replace("level = 1", "level = 7"),
     r"\[datasets.admin1\]: level = 7 is invalid: input should be less than or equal to 2"),
]


@pytest.mark.parametrize("kind, broken, message", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_spec_errors_are_one_line_with_the_fix_and_exit_code_3(tmp_path, kind, broken, message):
    import re
    if kind == "features":
        path = _features_file(tmp_path, broken(FEATURES))
        args = ["features", "build", "--spec", str(path)]
    elif kind == "training":
        path = _training_file(tmp_path, broken(TRAINING))
        args = ["backtest", "--spec", str(path), "--baselines-only"]
    else:
        path = tmp_path / "catalog.toml"
        path.write_text(broken(CATALOG))
        args = ["data", "list", "--catalog", str(path)]
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == 3, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr
    assert str(path) in lines[0] and re.search(message, lines[0]), lines[0]


def test_the_old_dates_in_a_training_spec_say_they_moved_to_arguments(tmp_path):
    path = _training_file(tmp_path, '[data]\nas_of = "2023-12-31"\n' + TRAINING)
    result = _cli("backtest", "--spec", str(path), cwd=tmp_path)
    assert result.returncode == 3 and "pass --as-of / --data-end" in result.stderr


def test_no_committed_spec_holds_a_date_of_now():
    for folder in ("training", "features"):
        for path in (REPO / folder).glob("*.toml"):
            text = path.read_text()
            assert "as_of" not in text.replace("# ", "") or "as_of =" not in text, path
            assert "data_end =" not in text and "\nend =" not in text, path


def test_closest_suggests_a_near_key_or_lists_the_keys():
    assert closest("horizon_week", ["horizon_weeks", "kind"]) == "; did you mean 'horizon_weeks'?"
    assert closest("zzz", ["kind", "horizon_weeks"]) == "; valid keys: horizon_weeks, kind"


def test_nested_sections_are_checked_too():
    class Inner(StrictModel):
        radius_km: float = 10

    class Outer(StrictModel):
        inner: Inner

    with pytest.raises(SpecError, match=r"x.toml: \[inner\]: unknown key 'radius'; did you mean 'radius_km'\?"):
        parse_spec(Outer, {"inner": {"radius": 5}}, "x.toml", "spec")
