"""Feature builders, one module per theme, registered by name for the feature spec."""

from . import conflict, displacement, intensity, mining, roads, static  # noqa: F401  (registration)
from .base import BUILDERS, LAYERS_NEEDED, Feature, PanelContext

__all__ = ["BUILDERS", "LAYERS_NEEDED", "Feature", "PanelContext"]
