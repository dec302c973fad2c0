"""French and English: every text of the code and templates has its French, dates and numbers the French way."""

import re
from datetime import date

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from sahelrisk.errors import SpecError
from sahelrisk.i18n import Formatter, gettext
from tests.conftest import REPO

KEYWORDS = {"_": None, "N_": None, "gettext": (2,), "ngettext": (2, 3)}


def _extracted() -> set[str]:
    templates = ("src/sahelrisk/publishing/templates/**.j2", "src/sahelrisk/serving/templates/**.j2")
    method_map = [("src/sahelrisk/**.py", "python"), *[(t, "jinja2") for t in templates]]
    options = {t: {"extensions": "jinja2.ext.i18n"} for t in templates}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(REPO), method_map, options, keywords=KEYWORDS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_text_of_the_code_and_templates_has_a_french_translation():
    with open(REPO / "src/sahelrisk/locale/fr/LC_MESSAGES/sahelrisk.po", "rb") as handle:
        catalog = read_po(handle)
    extracted = _extracted()
    assert len(extracted) > 80                                     # the extraction found the texts
    missing = sorted(m for m in extracted if not (catalog.get(m) and catalog.get(m).string))
    assert missing == [], "run the pybabel commands of docs/explanation/outputs.md and translate these"
    for message in catalog:
        if message.id:    # the placeholders survive translation
            assert sorted(re.findall(r"%\((\w+)\)s", message.id)) == sorted(re.findall(r"%\((\w+)\)s", message.string))


def test_french_dates_numbers_and_percentages():
    fr, en = Formatter("fr"), Formatter("en")
    assert fr.date(date(2023, 12, 28)) == "28 décembre 2023" and en.date(date(2023, 12, 28)) == "December 28, 2023"
    assert fr.percent(0.9) == "90\u00a0%" and en.percent(0.9) == "90%"
    assert fr.percent(0.004) == "0,4\u00a0%" and fr.number(12345.6) == "12\u202f346"
    assert fr.points(-0.131) == "−13,1 pts" and en.points(0.131) == "+13.1 pts"
    assert fr.country("ML") == "Mali" and fr.country("NE") == "Niger" and en.country("BF") == "Burkina Faso"
    assert gettext("fr", "very high") == "très élevé" and gettext("en", "very high") == "very high"


def test_an_unknown_language_is_a_clear_error():
    with pytest.raises(SpecError, match="unknown language 'de'; use one of fr, en"):
        Formatter("de")
