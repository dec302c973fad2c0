"""The training spec: strict TOML with errors that say how to fix, and the model it makes."""

from dataclasses import replace

import pytest

from sahelrisk.errors import SpecError
from sahelrisk.modeling.baselines import required_columns
from sahelrisk.modeling.spec import load_training_spec
from tests.conftest import REPO, SMALL


def test_training_spec_errors(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace('kind = "any_fatal"', 'kind = "riots"'))
    with pytest.raises(SpecError, match=r"\[target\]: kind = 'riots' is invalid"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace('first_origin = "2023-01-02"',
                                                                                        'first_origin = "2023-01-03"'))
    with pytest.raises(SpecError, match="first_origin 2023-01-03 is a Tuesday"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("[target]\n", "[targt]\n"))
    with pytest.raises(SpecError, match="unknown section 'targt'; did you mean 'target'"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("[blend]\n", "[blend]\nweights = [1]\n"))
    with pytest.raises(SpecError, match=r"\[blend\]: unknown key 'weights'"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("glm_include = ", "glm_C = 2.0\n# "))
    with pytest.raises(SpecError, match=r"\[blend\]: 'glm_include' is missing"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("[blend]\n", "[blend]\nglm_C = -1\n"))
    with pytest.raises(SpecError, match=r"\[blend\]: glm_C = -1 is invalid: input should be greater than 0"):
        load_training_spec(path)


def test_the_blend_reads_its_members_columns(small_spec, small_frame):
    columns = small_frame.feature_columns
    assert {"intensity_k50km_hl8w", "conflict_events_queen_52w", "static_latitude"} <= set(columns)
    model = small_spec.make_model(columns)
    assert model.columns() == columns and model.model_columns == tuple(small_spec.select_features(columns))
    assert all(c.startswith(("conflict_events_hl", "conflict_weeks_since", "intensity_")) for c in model.glm_columns)
    with pytest.raises(SpecError, match=r"glm_include \['rainfall_\*'\] match no column"):
        replace(small_spec, blend=small_spec.blend.model_copy(update={"glm_include": ["rainfall_*"]})).make_model(columns)
    assert model.hawkes_columns == ("conflict_events_260w", *[c for c in columns if c.startswith("intensity_k")])
    assert model.hawkes_negative_share == 0.2
    with pytest.raises(SpecError, match=r"hawkes_include \['rainfall_\*'\] match no column"):
        replace(small_spec, blend=small_spec.blend.model_copy(update={"hawkes_include": ["rainfall_*"]})).make_model(columns)
    assert replace(small_spec, blend=small_spec.blend.model_copy(update={"hawkes_include": []})).make_model(columns).hawkes_columns == ()


def test_area_deaths_loadings_default_to_independent_cells_and_must_leave_room(tmp_path):
    path = tmp_path / "spec.toml"
    text = SMALL.format(features=REPO / "features" / "default.toml")
    path.write_text(text)
    assert load_training_spec(path).area_deaths_correlation == (0.0, 0.0)
    path.write_text(text.replace("[areas]\n", "[areas]\ndeaths_correlation_adm1 = 0.2\ndeaths_correlation_adm2 = 0.3\n"))
    assert load_training_spec(path).area_deaths_correlation == (0.2, 0.3)
    path.write_text(text.replace("[areas]\n", "[areas]\ndeaths_correlation_adm1 = 0.6\ndeaths_correlation_adm2 = 0.5\n"))
    with pytest.raises(SpecError, match=r"deaths_correlation_adm1 \+ deaths_correlation_adm2 must stay below 1"):
        load_training_spec(path)


def test_each_default_lives_in_the_specs_typed_section(tmp_path):
    from sahelrisk.modeling.spec import BacktestSection, BlendSection

    path = tmp_path / "spec.toml"
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml"))
    spec = load_training_spec(path)
    defaults = BacktestSection.model_fields
    assert spec.backtest.gap_weeks == defaults["gap_weeks"].default and spec.backtest.window == "expanding"
    folds = spec.splitter(data_end=spec.backtest.first_origin.replace(year=2024))
    assert folds.step_weeks == spec.backtest.step_weeks and folds.gap_weeks == spec.backtest.gap_weeks
    model = spec.make_model(["conflict_events_hl26w", "conflict_events_260w", "intensity_k50km_hl8w",
                             "conflict_weeks_since_fatal", *required_columns(4)])
    assert model.glm_C == spec.blend.glm_C and model.baseline == spec.blend.baseline
    assert isinstance(spec.blend, BlendSection)


def test_a_changed_backtest_is_checked_as_the_file_is(small_spec):
    later = small_spec.with_backtest(first_origin="2023-03-06")
    assert str(later.backtest.first_origin) == "2023-03-06" and later.backtest.train_start == small_spec.backtest.train_start
    with pytest.raises(SpecError, match=r"\[backtest\].*refit_every_weeks"):
        small_spec.with_backtest(refit_every_weeks=0)
    with pytest.raises(SpecError, match=r"unknown key 'refit_weeks'"):
        small_spec.with_backtest(refit_weeks=4)
