"""Project exceptions.

Every error a user can cause says what was wrong, where (file, row, field) and how to fix it,
so the CLI can print it as one line without a traceback.
"""

from __future__ import annotations

__all__ = ["SahelriskError", "ConfigError", "DataFileError", "FetchError"]


class SahelriskError(Exception):
    """Base class of every error sahelrisk raises on purpose."""


class ConfigError(SahelriskError):
    """A spec, catalog entry or argument is invalid."""


class DataFileError(SahelriskError):
    """A data file is missing or cannot be read at all (as opposed to single bad rows)."""

    def __init__(self, path, problem: str, fix: str):
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. {fix}")


class FetchError(SahelriskError):
    """A download failed or its content did not match the catalog."""
