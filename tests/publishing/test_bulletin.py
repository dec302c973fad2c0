"""The bulletin: every text from data escaped, French and English, what changed, a printable PDF."""

import json
import re
import shutil
import subprocess

import pandas as pd
import pytest

from sahelrisk.publishing.bulletin import render_bulletin, what_changed, write_pdf
from tests.publishing.test_maps import HOSTILE


def _areas(names=HOSTILE):
    n = len(names)
    return pd.DataFrame({"rank": range(1, n + 1), "adm2_name": names, "adm1_name": names, "country_iso3": "MLI",
                         "probability": 0.5, "risk_tier": "very high", "change_vs_last_week": 0.1,
                         "top_drivers": names})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_hostile_names_and_drivers_are_escaped_in_the_bulletin(lang):
    sites = pd.DataFrame({"rank": range(1, len(HOSTILE) + 1), "name": HOSTILE, "site_kind": HOSTILE,
                          "commodity": HOSTILE, "country_iso3": "MLI", "probability": 0.3, "risk_tier": "high",
                          "events_4w": 1, "events_52w": 3})
    page = render_bulletin(week="2023-12-25", horizon_weeks=4, model_version=HOSTILE[2], latest_event=HOSTILE[0],
                           adm2=_areas(), metrics={}, coverage=tuple(HOSTILE), sites=sites, lang=lang)
    assert "<img src=x" not in page and "</script><script>" not in page and "onerror=\"document" not in page
    # shown as text: in both tables (name, region, drivers), the coverage list, the latest-event line
    # and the mining sites (name, kind, commodity)
    assert page.count("&lt;img src=x onerror=") == 11


def test_the_bulletin_speaks_french_with_french_dates_and_numbers():
    adm2 = _areas(["Niono", "Macina"]).assign(probability=[0.9, 0.035], risk_tier=["very high", "elevated"],
                                                change_vs_last_week=[0.131, -0.02])
    fr = render_bulletin(week="2023-12-28", horizon_weeks=4, model_version="m v1", latest_event="2023-12-31",
                         adm2=adm2, metrics={}, lang="fr")
    en = render_bulletin(week="2023-12-28", horizon_weeks=4, model_version="m v1", latest_event="2023-12-31",
                         adm2=adm2, metrics={}, lang="en")
    assert '<html lang="fr">' in fr and "Semaine du 25 décembre 2023" in fr and "31 décembre 2023" in fr
    assert "90\xa0%" in fr and "très élevé" in fr and "+13,1 pts" in fr and "4\xa0%" in fr
    assert "Week of December 25, 2023" in en and "90%" in en and "very high" in en and "+13.1 pts" in en
    # nothing English left in the French page's headings
    headings = re.findall(r"<h[123]>(.*?)</h[123]>", fr)
    assert headings and not {"Data coverage", "What changed", "Limits", "Map"} & set(headings)


def test_drivers_and_what_moved_an_area_are_phrased_in_each_language():
    drivers = [{"feature": "conflict_events_r50km_4w", "value": 4.0, "typical": 1.0, "past_year_rate": 1.0}]
    changes = [{"feature": "conflict_events_r50km_4w", "before": 1.0, "value": 4.0, "effect": "up"}]
    adm2 = _areas(["Niono"]).assign(driver_records=json.dumps(drivers), change_records=json.dumps(changes))
    kwargs = dict(week="2023-12-25", horizon_weeks=4, model_version="m", latest_event="2023-12-31", adm2=adm2, metrics={})
    en, fr = render_bulletin(**kwargs, lang="en"), render_bulletin(**kwargs, lang="fr")
    assert "4 deadly events within 50 km in the last 4 weeks, against 1 per 4 weeks over the past year" in en
    assert "4 deadly events within 50 km in the last 4 weeks (last week: 1)" in en      # the risers' table
    assert "4 événements meurtriers à moins de 50 km ces 4 dernières semaines, contre 1 par 4 semaines" in fr


def test_what_changed_names_tier_moves_onsets_and_the_deadliest_recent_events():
    adm2 = pd.DataFrame({"adm2_name": ["Niono", "Macina", "Djenné"], "adm1_name": "Ségou",
                         "probability": [0.35, 0.05, 0.12], "probability_last_week": [0.25, 0.05, float("nan")]})
    cells = pd.DataFrame({"unit_id": [1, 2, 3], "adm2_name": ["Niono", "Macina", "Djenné"], "adm1_name": "Ségou",
                          "risk_tier": ["very high", "high", "low"], "probability": [0.35, 0.12, 0.01],
                          "rank": [1, 2, 3], "events_52w": [4.0, 0.0, 0.0]})
    recent = pd.DataFrame({"date_start": pd.to_datetime(["2023-12-20", "2023-12-22"]), "fatalities_best": [3.0, 25.0],
                           "admin1": ["Ségou region", "Mopti region"], "admin2": ["Niono cercle", None],
                           "violence_type": ["one_sided", "state_based"]})
    changed = what_changed(adm2, cells, recent, lang="en")
    # Djenné has no last week: not a move
    assert changed["up"] == [{"area": "Niono", "region": "Ségou", "before_tier": "high", "tier": "very high",
                              "before": "25%", "now": "35%"}]
    assert changed["onsets"] == [{"cell": 2, "area": "Macina", "region": "Ségou", "p": "12%"}]
    assert [e["killed"] for e in changed["events"]] == ["25", "3"]
    assert changed["events"][1]["place"] == "Niono cercle, Ségou region"
    assert what_changed(adm2, cells, recent, lang="fr")["events"][0]["kind"] == "impliquant un État"


@pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler-utils is not installed (.ci/run installs it)")
def test_the_pdf_bulletin_is_a4_carries_the_text_and_fetches_nothing(tmp_path):
    adm2 = _areas()
    adm2["adm2_name"] = [*HOSTILE[:-1], "<img src='http://127.0.0.1:9/x.png'>"]
    page = render_bulletin(week="2023-12-25", horizon_weeks=4, model_version="m", latest_event="2023-12-31",
                           adm2=adm2, metrics={}, lang="fr")
    path = tmp_path / "bulletin.fr.pdf"
    write_pdf(page, path)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "A4" in info
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Risque d’attaque mortelle" in text and "Limites" in text
    assert "<img src='http://127.0.0.1:9/x.png'>" in text     # a name is printed as text, never fetched


def test_a_feed_that_stopped_and_drifted_inputs_are_alerts_in_the_bulletin():
    health = {"feeds": [{"country": "NER", "received": 0, "expected": 7.5, "status": "stopped"},
                        {"country": "MLI", "received": 19, "expected": 24.5, "status": "ok"}],
              "drift": [{"feature": "conflict_events_hl4w", "psi": 0.41, "alert": True},
                        {"feature": "static_latitude", "psi": 0.0, "alert": False}]}
    page = render_bulletin(week="2023-12-25", horizon_weeks=4, model_version="m", latest_event="2023-12-31",
                           adm2=_areas(["Niono"]), metrics={}, health=health, lang="fr")
    assert '<li class="stale">Niger : 0 reçus, 7,5 attendus (interrompu)</li>' in page
    assert "<li>Mali : 19 reçus, 24 attendus (normal)</li>" in page
    assert "conflict_events_hl4w" in page and "static_latitude" not in page


@pytest.mark.parametrize("lang, heading, cell", [("en", "Where a mass-casualty event is most likely", "5–42"),
                                                 ("fr", "Là où un événement de masse est le plus probable", "5–42")])
def test_the_areas_most_at_risk_of_a_mass_casualty_event_are_listed_with_intervals(lang, heading, cell):
    adm2 = _areas(["Niono", "Soum"]).assign(p_10plus_deaths=[0.1, 0.6], p_25plus_deaths=[0.05, 0.4],
                                            deaths_expected=[2.0, 29.6], deaths_q05=0, deaths_q25=[0, 5],
                                            deaths_q75=[1, 42], deaths_q95=[9, 94])
    page = render_bulletin(week="2023-12-25", horizon_weeks=4, model_version="m", latest_event="2023-12-31",
                           adm2=adm2, metrics={}, lang=lang)
    section = page[page.index(heading):]
    assert section.index("Soum") < section.index("Niono")            # ranked by P(10+ deaths)
    assert f"<td>{cell}</td>" in section and "<td>0–94</td>" in section


def test_how_last_months_forecasts_did_is_told_in_both_languages():
    track = {"weeks": [{"week": "2023-11-27", "level": "cells", "positives": 41,
                        "calls": {"model": {"called": 120, "caught": 33},
                                  "rule_decay_neighbours": {"called": 120, "caught": 31}}}],
             "summary": [{"scope": "all", "window_weeks": 4, "weeks": 4, "positives": 1500,
                          "calls": {"model": {"called": 480, "caught": 117},
                                    "rule_decay_neighbours": {"called": 480, "caught": 110}}}]}
    kwargs = dict(week="2023-12-25", horizon_weeks=4, model_version="m", latest_event="2023-12-31", adm2=_areas(),
                  metrics={}, track=track)
    en, fr = render_bulletin(**kwargs, lang="en"), render_bulletin(**kwargs, lang="fr")
    assert "How our forecasts of a month ago did" in en
    assert ("For the week of November 27, 2023, a fatal attack happened in 41 cells; 33 of them had been called high "
            "or very high (120 cells called).") in en
    assert "The rule of recent violence, given as many cells, had 31." in en
    assert "Over the last 4 verified weeks: 117 of 1,500 cells" in en and "recent violence had 110." in en
    assert "Nos prévisions d'il y a un mois, vérifiées" in fr and "Pour la semaine du 27 novembre 2023" in fr
    assert "117 des 1\u202f500 cellules" in fr or "117 des 1\xa0500 cellules" in fr   # French digit grouping
    none = render_bulletin(**{**kwargs, "track": None}, lang="fr")
    assert "Aucune semaine publiée n'a encore ses résultats dans les données." in none
