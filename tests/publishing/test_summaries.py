"""The short tables of a run, in each language, with text from the data kept as text."""

import json

import pandas as pd

from sahelrisk.publishing.summaries import top_units, unscored_notes

HOSTILE = "[/bold][link=file:///etc/passwd]Ménaka[/link] $\\cmd$ =HYPERLINK(\"x\")"


def _areas():
    return pd.DataFrame({"rank": [2, 1], "unit_id": ["ML0801", "ML0802"], "adm2_name": [HOSTILE, None],
                         "adm1_name": ["Ménaka", "Ménaka"], "probability": [0.12, 0.4], "risk_tier": ["elevated", "very high"],
                         "change_vs_last_week": [0.01, -0.02],
                         "driver_records": [json.dumps([]), json.dumps([])]})


def test_top_units_are_ranked_and_in_the_readers_language():
    english = top_units(_areas(), units="adm2", week=pd.Timestamp("2023-12-25"), horizon_weeks=4, lang="en")
    french = top_units(_areas(), units="adm2", week=pd.Timestamp("2023-12-25"), horizon_weeks=4, lang="fr")
    assert [row[0] for row in english.rows] == ["1", "2"] and english.rows[0][2] == "-"
    assert english.rows[1][2] == HOSTILE                                 # the name as it is, for each renderer to escape
    assert "December 25, 2023" in english.title and "25 décembre 2023" in french.title
    assert french.columns[4] == "probabilité" and english.columns[4] == "probability"


def test_kilometres_outside_the_scored_countries_are_said_in_each_language():
    segments = pd.DataFrame()
    segments.attrs["routes"] = [{"route": "fastest", "km_outside": 539.2}, {"route": "alternative 1", "km_outside": 0}]
    assert unscored_notes(segments, lang="en") == ["539 km of fastest lie outside the scored countries and are "
                                                   "not scored"]
    assert unscored_notes(segments, lang="fr")[0].startswith("539 km de ")
