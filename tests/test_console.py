"""Printing records for a person: text from the data or a user's file is never read as Rich markup."""

import pandas as pd

from sahelrisk import console
from sahelrisk.publishing.summaries import Summary, top_sites

HOSTILE = "[/bold][link=file:///etc/passwd]Ménaka[/link] $\\cmd$ =HYPERLINK(\"x\")"


def test_a_hostile_name_prints_as_text_on_the_console(capsys):
    sites = pd.DataFrame({"rank": [1], "name": [HOSTILE], "site_kind": ["mine"], "commodity": [None],
                          "country_iso3": ["MLI"], "probability": [0.3], "risk_tier": ["high"], "events_4w": [2],
                          "events_52w": [9]})
    console.print_summary(top_sites(sites, radius_km=25, lang="en"))
    console.print_summary(Summary(HOSTILE, (HOSTILE,), ((HOSTILE,),)))
    out = capsys.readouterr().out
    assert "[/bold]" in out and "[link=file:///etc/passwd]" in out


def test_a_log_file_gets_a_timed_line_per_step_and_per_fold(capsys):
    with console.status("loading [/red] sources") as status:
        status.update("loading [bold]admin2")
    with console.fold_progress() as on_fold:
        on_fold(type("Fold", (), {"name": "fold000_2020-01-06"})(), 0, 16)
    out = capsys.readouterr().out
    assert "loading [/red] sources (0 s)" in out and "loading [bold]admin2" in out
    assert "backtest fold 1/16 (fold000_2020-01-06)" in out
