"""The data update as a run step: UCDP's newest releases from its download site, and on request a
version through the UCDP API and ACLED's events through its API, merged into one outcome."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sahelrisk.data.update import DEFAULT_DEADLINE_S, UpdateOutcome, update_from_ucdp_api, update_ucdp

__all__ = ["update_step", "UpdateRecord"]


@dataclass(frozen=True)
class UpdateRecord:
    """What the update brought in: UCDP's merged outcome, and ACLED's counts when asked.

    Attributes
    ----------
    ucdp : UpdateOutcome
        New and changed releases, warnings, the events added, revised and withdrawn.
    acled : dict or None
        ``updated``, ``deleted`` and ``rows`` held (None: ACLED not asked for).
    """

    ucdp: UpdateOutcome
    acled: dict | None


def update_step(data_dir: Path, *, today: date, retrieved_at: str, base_url: str, countries: Sequence[str],
                ucdp_api: Sequence[str] = (), acled: bool = False, deadline_s: float = DEFAULT_DEADLINE_S,
                on_progress: Callable[[str, int, int | None], None] | None = None,
                log: Callable[[str], None] = lambda line: None) -> UpdateRecord:
    """Bring in the newest releases for ``countries`` into ``data_dir``.

    Parameters
    ----------
    data_dir : pathlib.Path
        The data directory (releases go under ``events/``).
    today, retrieved_at : date, str
        The caller's date (releases due later are not asked for) and timestamp (recorded).
    base_url : str
        UCDP's download root, or a site laid out like it.
    countries : sequence of str
        ISO3 codes kept from the global files.
    ucdp_api : sequence of str
        GED or Candidate versions to pull through the UCDP API too (token in the environment).
    acled : bool
        Also update ACLED's events through its API (account in the environment).
    deadline_s : float
        Seconds UCDP's download site may take, all files together.
    on_progress : callable, optional
        Download progress ``(path, done, total)``.
    log : callable
        Receives a line as each source starts.

    Returns
    -------
    UpdateRecord
    """
    log(f"looking for new UCDP releases at {base_url}")
    outcome = update_ucdp(data_dir, until=today, retrieved_at=retrieved_at, base_url=base_url,
                          countries=list(countries), deadline_s=deadline_s, on_progress=on_progress)
    if ucdp_api:
        from sahelrisk.data.apis import UcdpApi

        log(f"pulling UCDP {', '.join(ucdp_api)} through the API")
        pulled = update_from_ucdp_api(data_dir, UcdpApi.from_env(), list(ucdp_api), countries=list(countries),
                                      retrieved_at=retrieved_at)
        outcome.new += pulled.new
        outcome.changed += pulled.changed
        outcome.warnings += pulled.warnings
        if not pulled.nothing_new:
            outcome.revisions, outcome.report_path = pulled.revisions, pulled.report_path
    held = None
    if acled:
        from sahelrisk.data.apis import AcledApi
        from sahelrisk.data.update import update_acled

        log("updating ACLED's events through its API")
        held = update_acled(data_dir, AcledApi.from_env(), countries=list(countries))
    return UpdateRecord(outcome, held)
