"""Feature builders, one module per theme, registered by name for the feature spec."""

# Importing each theme's module registers its builder.
from sahelrisk.features import conflict, displacement, intensity, mining, roads, static  # noqa: F401
from sahelrisk.features.base import BUILDERS, LAYERS_NEEDED, Feature, PanelContext

__all__ = ["BUILDERS", "LAYERS_NEEDED", "Feature", "PanelContext"]
