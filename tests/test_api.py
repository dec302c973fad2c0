"""The public API: every exported name stays what it is after every submodule is imported, and a
model refuses a horizon or unit level it was not trained for."""

import importlib
import inspect
import math
import pkgutil

import pandas as pd
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


@pytest.mark.parametrize("call, message", [
    (lambda: sahelrisk.score(20231225, model=_loaded()), r"week 20231225 is not a date"),
    (lambda: sahelrisk.score(None, model=_loaded()), r"week None is not a date"),
    (lambda: sahelrisk.score("05/06/2023", model=_loaded()), r"week '05/06/2023' can be read two ways"),
    (lambda: sahelrisk.score("2023-12-25", model=_loaded(), as_of="25/12/2023"), r"as_of '25/12/2023' .* 2023-12-25"),
    (lambda: sahelrisk.score("2023-12-25", model=_loaded(), units="cells"), r"unknown unit level 'cells'"),
    (lambda: sahelrisk.score("2023-12-25", model=_loaded(), as_of=20231231), r"as_of 20231231 is not a date"),
    (lambda: sahelrisk.backtest(horizons=4), r"horizons must be a list of weeks ahead"),
    (lambda: sahelrisk.backtest(horizons=[4, 0]), r"each of horizons must be more than zero"),
    (lambda: sahelrisk.route_risk(["Ségou", "Sokolo"], "2023-12-25", buffer_km=-1), r"buffer_km must be more than zero"),
    (lambda: sahelrisk.site_risk("2023-12-25", radius_km=-1), r"radius_km must be more than zero"),
    (lambda: sahelrisk.site_risk("2023-12-25", sites=123), r"sites must be a CSV or GeoJSON file"),
    (lambda: sahelrisk.site_risk("2023-12-25", include_mining=False), r"no sites to score"),
    (lambda: sahelrisk.score("2023-12-25", model=3.5), r"model must be a registry alias"),
    (lambda: api.plan_routes(["Ségou"], None, ["MLI"], alternatives=-1), r"alternatives must be zero or more"),
    (lambda: api.plan_routes(123, None, ["MLI"]), r"route must be place names in order"),
    # the misuses that raised raw exceptions before
    (lambda: sahelrisk.score("2023-12-25", model="champion", horizon_weeks="four"), r"horizon_weeks must be a whole number, not 'four'"),
    (lambda: sahelrisk.score("2023-12-25", model="champion", data_dir=5), r"data_dir must be a path"),
    (lambda: sahelrisk.score(pd.Timestamp("2023-12-25", tz="UTC"), model="champion"), r"has a time zone"),
    (lambda: sahelrisk.backtest(spec=5), r"spec must be a path"),
    (lambda: sahelrisk.build_panel(spec=5, as_of="2023-12-31"), r"spec must be a path"),
    (lambda: sahelrisk.site_risk("2023-12-25", radius_km=math.inf), r"radius_km must be a finite number, not inf"),
    (lambda: sahelrisk.route_risk(["Ségou", "Sokolo"], "2023-12-25", buffer_km=math.nan), r"buffer_km must be a finite number"),
    (lambda: sahelrisk.load_events(sahelrisk.load_catalog(), 5, as_of="2023-12-31"), r"data_dir must be a folder path"),
    (lambda: sahelrisk.load_events(sahelrisk.load_catalog(), ".", as_of=pd.Timestamp("2023-12-31", tz="UTC")), r"as_of .* has a time zone"),
    (lambda: sahelrisk.load_dataset("ucdp_ged", ".", as_of="2023-12-31", countries=["XXX"]), r"XXX"),
    (lambda: sahelrisk.verify(out_dir=5), r"out_dir must be a folder path"),
])
def test_the_facade_refuses_bad_arguments_with_the_projects_error_naming_them(call, message):
    # Checked before any data or model is read: these fail in milliseconds, whatever the machine holds.
    with pytest.raises(SpecError, match=message):
        call()


def test_the_facades_options_are_keyword_only():
    for name in ("score", "route_risk", "site_risk", "backtest", "build_panel"):
        parameters = list(inspect.signature(getattr(sahelrisk, name)).parameters.values())
        positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
        assert len(positional) <= 2, f"{name} takes {positional} by position"
