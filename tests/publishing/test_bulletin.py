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
