"""The bulletin escapes every text from data."""

import pandas as pd

from sahelrisk.publishing.bulletin import render_bulletin
from tests.publishing.test_maps import HOSTILE


def test_hostile_names_and_drivers_are_escaped_in_the_bulletin():
    n = len(HOSTILE)
    adm2 = pd.DataFrame({"rank": range(1, n + 1), "adm2_name": HOSTILE, "adm1_name": HOSTILE, "country_iso3": "MLI",
                         "probability": 0.5, "risk_tier": "very high", "change_vs_last_week": 0.1,
                         "top_drivers": HOSTILE})
    page = render_bulletin(week="2023-12-25", horizon_weeks=4, model_version=HOSTILE[2], latest_event=HOSTILE[0],
                           adm2=adm2, metrics={}, coverage=tuple(HOSTILE))
    assert "<img src=x" not in page and "</script><script>" not in page and "onerror=\"document" not in page
    # shown as text: in both tables (name, region, drivers), the coverage list and the latest-event line
    assert page.count("&lt;img src=x onerror=") == 8


def test_what_changed_names_tier_moves_onsets_and_the_deadliest_recent_events():
    from sahelrisk.publishing.bulletin import what_changed

    adm2 = pd.DataFrame({"adm2_name": ["Niono", "Macina", "Djenné"], "adm1_name": "Ségou",
                         "probability": [0.35, 0.05, 0.12], "probability_last_week": [0.25, 0.05, float("nan")]})
    cells = pd.DataFrame({"unit_id": [1, 2, 3], "adm2_name": ["Niono", "Macina", "Djenné"], "adm1_name": "Ségou",
                          "risk_tier": ["very high", "high", "low"], "probability": [0.35, 0.12, 0.01],
                          "rank": [1, 2, 3], "events_52w": [4.0, 0.0, 0.0]})
    recent = pd.DataFrame({"date_start": pd.to_datetime(["2023-12-20", "2023-12-22"]), "fatalities_best": [3.0, 25.0],
                           "admin1": ["Ségou region", "Mopti region"], "admin2": ["Niono cercle", None],
                           "violence_type": ["one_sided", "state_based"]})
    changed = what_changed(adm2, cells, recent)
    assert changed["up"] == ["Niono (Ségou): high → very high, 25% → 35%"]   # Djenné has no last week: not a move
    assert changed["onsets"] == ["cell 2 in Macina (Ségou): 12%, no fatal event there in the past year"]
    assert changed["events"][0] == "2023-12-22: 25 killed in Mopti region (state based)"
    assert changed["events"][1].startswith("2023-12-20: 3 killed in Niono cercle, Ségou region")
