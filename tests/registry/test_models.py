"""A registered model carries its identity: it refuses a horizon, unit level or country it was not trained for."""

import pytest

from sahelrisk.errors import SpecError
from sahelrisk.registry.models import LoadedModel


def _loaded(**identity):
    return LoadedModel(model=None, name="m", version="1", run_id="r", spec=None, metrics={},
                       identity={"horizon_weeks": 4, "units": "grid", "target": "target_any_fatal_4w", **identity})


def test_a_model_refuses_another_horizon():
    with pytest.raises(SpecError, match="forecasts 4 weeks ahead, not 12"):
        _loaded().check_scores(horizon_weeks=12)
    _loaded().check_scores(horizon_weeks=4)


def test_a_model_refuses_units_it_was_not_trained_on():
    _loaded().check_scores(units="adm2")        # grid cells aggregate to areas
    with pytest.raises(SpecError, match="trained on adm2 units and cannot score grid units"):
        _loaded(units="adm2").check_scores(units="grid")


def test_a_model_refuses_a_country_it_was_not_trained_on():
    three = _loaded(countries=["MLI", "BFA", "NER"])
    three.check_scores(countries={"MLI", "NER"})
    with pytest.raises(SpecError, match="trained on MLI, BFA, NER and cannot score BEN, TGO; use a model trained on "
                                        "a feature spec that covers them"):
        three.check_scores(countries={"BEN", "MLI", "TGO"})
    assert _loaded(countries=["MLI", "BFA", "NER", "BEN"]).countries == ("MLI", "BFA", "NER", "BEN")
