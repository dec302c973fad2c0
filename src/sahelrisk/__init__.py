"""sahelrisk: weekly risk of deadly armed-conflict attacks in the central Sahel."""

from .catalog import load_catalog
from .datadir import resolve_data_dir
from .errors import ConfigError, DataFileError, FetchError, SahelriskError
from .inventory import check_data
from .sources import load_dataset, load_events

__all__ = ["load_catalog", "resolve_data_dir", "load_dataset", "load_events", "check_data",
           "SahelriskError", "ConfigError", "DataFileError", "FetchError"]
__version__ = "0.1.0"
