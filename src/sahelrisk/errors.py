"""Project exceptions: one class per cause, each with the exit code the CLI returns for it.

Every error a user can cause says what was wrong, where (file, section, row or field) and how to
fix it, so the CLI prints it as one line without a traceback. Catch :class:`SahelriskError` for
all of them, or one subclass for one cause.

=====  ===============================  =====================================================
code   class                            cause
=====  ===============================  =====================================================
3      :class:`SpecError`               a spec, catalog entry or argument is invalid
4      :class:`DataError`               a data file is missing, unreadable or has too little
5      :class:`DataGapError`            the data does not cover the requested weeks
6      :class:`ModelNotFoundError`      no registered model at that name, alias or version
7      :class:`TrackingUnavailableError` the MLflow tracking store cannot be reached
8      :class:`FetchError`              a download failed or did not match its checksum
9      :class:`JobBusyError`            another weekly job holds the lock
12     :class:`OutputError`             an output folder cannot be written
13     :class:`NotFoundError`           a published week or file asked for is not there (the web app: 404)
14     :class:`LedgerError`             a frozen published week changed, or the ledger's chain is broken
=====  ===============================  =====================================================

Exit code 2 is the command line's own usage error (an unknown option); 70 an internal error.
"""

from __future__ import annotations

__all__ = ["SahelriskError", "SpecError", "DataError", "DataFileError", "DataGapError", "ModelNotFoundError",
           "TrackingUnavailableError", "FetchError", "JobBusyError", "NotFoundError", "OutputError", "LedgerError", "EXIT_USAGE", "EXIT_INTERNAL"]

EXIT_USAGE = 2
EXIT_INTERNAL = 70


class SahelriskError(Exception):
    """Base class of every error sahelrisk raises on purpose."""

    exit_code = 1


class SpecError(SahelriskError):
    """A spec, catalog entry or argument is invalid (a typo, a value out of range, a wrong type)."""

    exit_code = 3


class DataError(SahelriskError):
    """A dataset is missing, unreadable, or holds too little to compute what was asked."""

    exit_code = 4


class DataFileError(DataError):
    """A data file is missing or cannot be read at all (as opposed to single bad rows).

    Parameters
    ----------
    path : str or path-like
        The file.
    problem : str
        What is wrong with it.
    fix : str
        How to fix it.
    """

    def __init__(self, path: object, problem: str, fix: str) -> None:
        self.path = str(path)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.path}: {problem}. {fix}")


class DataGapError(DataError):
    """The data does not cover the weeks asked for: before it starts, after it ends, or a hole."""

    exit_code = 5


class ModelNotFoundError(SahelriskError):
    """No registered model (or logged artifact) at that name, alias or version."""

    exit_code = 6


class TrackingUnavailableError(SahelriskError):
    """The MLflow tracking store or registry cannot be reached or used."""

    exit_code = 7


class FetchError(SahelriskError):
    """A download failed or its content did not match the catalog."""

    exit_code = 8


class NotFoundError(SahelriskError):
    """A published week, file or place asked for is not there (the web app answers 404)."""

    exit_code = 13


class OutputError(SahelriskError, OSError):
    """An output folder cannot be written: read-only, not a folder, or the disk is full.

    Also an :class:`OSError`, so code that handles failed writes as such still does.
    """

    exit_code = 12


class LedgerError(SahelriskError):
    """A frozen published week changed since it was frozen, or the ledger's chain of hashes is broken."""

    exit_code = 14


class JobBusyError(SahelriskError):
    """Another weekly job runs on the same output folder (it holds the lock)."""

    exit_code = 9
