"""sahelrisk: weekly risk of deadly armed-conflict attacks in the central Sahel.

The analyst API: :func:`score`, :func:`route_risk`, :func:`site_risk`, :func:`load_model`, :func:`backtest`, :func:`build_panel`, :func:`verify`; the
data layer: :func:`load_catalog`, :func:`load_dataset`, :func:`load_events`, :func:`check_data`;
the estimators; and one exception class per cause (:mod:`sahelrisk.errors`).
"""

from sahelrisk.api import (
    LoadedModel,
    backtest,
    build_panel,
    load_model,
    route_risk,
    score,
    site_risk,
    verify,
)
from sahelrisk.data.catalog import load_catalog
from sahelrisk.data.check import check_data
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.data.sources import load_dataset, load_events
from sahelrisk.errors import (
    DataError,
    DataFileError,
    DataGapError,
    FetchError,
    ModelNotFoundError,
    SahelriskError,
    SpecError,
    TrackingUnavailableError,
)
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.hawkes import SelfExcitingModel
from sahelrisk.modeling.logistic import IntensityGLM
from sahelrisk.registry.promotion import decide_promotion

__all__ = ["score", "route_risk", "site_risk", "load_model", "backtest", "build_panel", "verify", "LoadedModel", "RiskModel", "BlendedModel",
           "IntensityGLM", "SelfExcitingModel", "decide_promotion", "load_catalog", "resolve_data_dir", "load_dataset", "load_events",
           "check_data", "SahelriskError", "SpecError", "DataError", "DataFileError", "DataGapError",
           "ModelNotFoundError", "TrackingUnavailableError", "FetchError"]
__version__ = "0.1.0"
