"""The training spec: strict TOML with errors that say how to fix, and the model it makes."""

from dataclasses import replace

import pytest

from sahelrisk.errors import SpecError
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
        replace(small_spec, blend={"glm_include": ["rainfall_*"]}).make_model(columns)
    assert model.hawkes_columns == ("conflict_events_260w", *[c for c in columns if c.startswith("intensity_k")])
    assert model.hawkes_negative_share == 0.2
    with pytest.raises(SpecError, match=r"hawkes_include \['rainfall_\*'\] match no column"):
        replace(small_spec, blend={**small_spec.blend, "hawkes_include": ["rainfall_*"]}).make_model(columns)
    assert replace(small_spec, blend={**small_spec.blend, "hawkes_include": []}).make_model(columns).hawkes_columns == ()


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
