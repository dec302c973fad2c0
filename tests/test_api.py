"""The public API: every exported name stays what it is after every submodule is imported, and a
model refuses a horizon or unit level it was not trained for."""

import importlib
import inspect
import pkgutil

import pytest

import sahelrisk
from sahelrisk import api
from sahelrisk.errors import SpecError


def test_exported_names_survive_importing_every_submodule():
    before = {name: getattr(sahelrisk, name) for name in sahelrisk.__all__}
    for info in pkgutil.walk_packages(sahelrisk.__path__, "sahelrisk."):
        importlib.import_module(info.name)
    for name, obj in before.items():
        now = getattr(sahelrisk, name)
        assert now is obj, f"sahelrisk.{name} became {now!r}"
        assert not inspect.ismodule(now), f"sahelrisk.{name} is a module"
    assert callable(sahelrisk.backtest) and callable(sahelrisk.build_panel)


def test_no_public_name_is_both_a_function_and_a_module():
    modules = {info.name.rsplit(".", 1)[-1] for info in pkgutil.iter_modules(sahelrisk.__path__)}
    assert not modules & set(sahelrisk.__all__)


def test_public_functions_have_numpydoc_sections():
    for name in ("score", "load_model", "backtest", "build_panel"):
        doc = inspect.getdoc(getattr(sahelrisk, name))
        assert "Parameters\n----------" in doc and "Returns\n-------" in doc, name


def _loaded(**identity):
    return api.LoadedModel(model=None, name="m", version="1", run_id="r", spec=None, metrics={},
                           identity={"horizon_weeks": 4, "units": "grid", "target": "target_any_fatal_4w", **identity})


def test_a_model_refuses_another_horizon():
    with pytest.raises(SpecError, match="forecasts 4 weeks ahead, not 12"):
        _loaded().check_scores(horizon_weeks=12)
    _loaded().check_scores(horizon_weeks=4)


def test_a_model_refuses_units_it_was_not_trained_on():
    _loaded().check_scores(units="adm2")        # grid cells aggregate to areas
    with pytest.raises(SpecError, match="trained on adm2 units and cannot score grid units"):
        _loaded(units="adm2").check_scores(units="grid")
