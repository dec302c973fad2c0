"""The champion kept on local disk for weeks the tracking server is down: read back whole, with its
identity; another model's copy, a damaged copy or none at all is a one-line error."""

import pytest

from sahelrisk.errors import ModelNotFoundError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.features.spec import load_spec
from sahelrisk.registry.cache import cached_version, load_cached_champion, save_champion
from sahelrisk.registry.models import LoadedModel


@pytest.fixture
def loaded():
    spec = load_spec("features/default.toml")
    return LoadedModel({"a fitted model": [1, 2, 3]}, "sahelrisk-grid", "7", "run-abc", spec, {"ap": 0.31},
                       {"registered_model": "sahelrisk-grid", "horizon_weeks": 4, "units": "grid"},
                       AreaCalibration({"adm2": [[0.0, 0.0], [1.0, 1.0]]}), None)


def test_a_kept_champion_reads_back_with_its_identity_spec_and_maps(loaded, tmp_path):
    save_champion(loaded, tmp_path / "champion")
    back = load_cached_champion(tmp_path / "champion", "sahelrisk-grid")
    assert back.model == loaded.model and (back.name, back.version, back.run_id) == ("sahelrisk-grid", "7", "run-abc")
    assert back.identity == loaded.identity and back.horizon_weeks == 4 and back.metrics == {"ap": 0.31}
    assert back.spec.text == loaded.spec.text and back.spec.to_json() == loaded.spec.to_json()
    assert back.area_calibration.maps == loaded.area_calibration.maps
    assert back.severity is None
    assert cached_version(tmp_path / "champion") == ("sahelrisk-grid", "7", "run-abc")


def test_another_models_copy_is_refused(loaded, tmp_path):
    save_champion(loaded, tmp_path / "champion")
    with pytest.raises(ModelNotFoundError, match="is 'sahelrisk-grid', not 'other-model'"):
        load_cached_champion(tmp_path / "champion", "other-model")


def test_no_copy_or_a_damaged_one_is_a_one_line_error(loaded, tmp_path):
    with pytest.raises(ModelNotFoundError, match="no cached champion in"):
        load_cached_champion(tmp_path / "champion", "sahelrisk-grid")
    assert cached_version(tmp_path / "champion") is None
    save_champion(loaded, tmp_path / "champion")
    (tmp_path / "champion" / "model.pkl").write_bytes(b"\x80\x05not a pickle")
    with pytest.raises(ModelNotFoundError, match=r"cannot be read \(UnpicklingError\)") as e:
        load_cached_champion(tmp_path / "champion", "sahelrisk-grid")
    assert "\n" not in str(e.value)


def test_a_cut_copy_is_not_taken_for_the_current_one_so_the_job_keeps_a_fresh_copy(loaded, tmp_path):
    folder = tmp_path / "champion"
    save_champion(loaded, folder)
    assert cached_version(folder) == ("sahelrisk-grid", "7", "run-abc")
    whole = (folder / "model.pkl").read_bytes()
    (folder / "model.pkl").write_bytes(whole[: len(whole) // 2])       # cut while the registry was up
    assert cached_version(folder) is None                             # so the weekly job saves it again
    save_champion(loaded, folder)
    assert cached_version(folder) == ("sahelrisk-grid", "7", "run-abc")
    assert load_cached_champion(folder, "sahelrisk-grid").model == loaded.model
