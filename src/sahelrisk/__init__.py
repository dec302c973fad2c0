"""sahelrisk: weekly risk of deadly armed-conflict attacks in the central Sahel.

The analyst API: :func:`score`, :func:`load_model`, :func:`backtest`, :func:`build_panel`; the
data layer: :func:`load_catalog`, :func:`load_dataset`, :func:`load_events`, :func:`check_data`.
"""

from .api import backtest, build_panel, load_model, score
from .catalog import load_catalog
from .datadir import resolve_data_dir
from .ensemble import BlendedModel
from .errors import ConfigError, DataFileError, FetchError, SahelriskError
from .glm import IntensityGLM
from .inventory import check_data
from .model import RiskModel
from .sources import load_dataset, load_events

__all__ = ["score", "load_model", "backtest", "build_panel", "RiskModel", "BlendedModel", "IntensityGLM",
           "load_catalog", "resolve_data_dir", "load_dataset", "load_events", "check_data", "SahelriskError", "ConfigError", "DataFileError", "FetchError"]
__version__ = "0.1.0"
