"""The documentation site's hooks: the glossary linked from every page, the reference generated from the code."""

import importlib.util
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def hooks():
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GLOSSARY = """| word | meaning |
|---|---|
| `week` | the Monday |
| champion / challenger | the model the alias points to |
| stretch | part of a route |
"""


def test_every_glossary_word_gets_an_anchor_and_a_pair_shares_one(hooks):
    terms = hooks.glossary_terms(GLOSSARY)
    assert terms == [("`week`", "term-week"), ("champion", "term-champion"), ("challenger", "term-champion"),
                     ("stretch", "term-stretch")]
    anchored = hooks.anchor_glossary(GLOSSARY)
    assert '<span id="term-champion"></span>champion / challenger' in anchored
    assert '<span id="term-week"></span>`week`' in anchored and "| word |" in anchored


def test_the_first_use_of_a_term_in_prose_links_to_the_glossary_and_code_is_left_alone(hooks):
    page = ("# The champion\n"
            "```bash\nsahelrisk score --week 2023-12-25   # the champion\n```\n"
            "::: sahelrisk.jobs.champion\n"
            "Read `week` first; the [champion](x.md) is kept in `outputs/champion`.\n"
            "The champion scores each stretch; a stretch and the challenger.\n")
    linked = hooks.link_terms(page, hooks.glossary_terms(GLOSSARY), "../glossary.md")
    lines = linked.splitlines()
    assert lines[0] == "# The champion" and lines[2].endswith("# the champion") and lines[4].startswith(":::")
    assert lines[5] == ("Read [`week`](../glossary.md#term-week) first; the [champion](x.md) is kept in "
                        "`outputs/champion`.")
    assert lines[6] == ("The [champion](../glossary.md#term-champion) scores each [stretch](../glossary.md#term-stretch); "
                        "a stretch and the [challenger](../glossary.md#term-champion).")


def test_the_command_line_reference_lists_every_command_and_its_options(hooks):
    text = hooks.cli_reference()
    for command in ("## `sahelrisk run`", "## `sahelrisk data update`", "## `sahelrisk weekly`", "## `sahelrisk serve`"):
        assert command in text
    assert "`--week`" in text and "`--as-of`" in text


def test_the_http_reference_comes_from_the_apps_schema(hooks):
    text = hooks.http_reference()
    assert "## `GET /api/v1/weeks/{week}/cells`" in text and "## `GET /api/v1/route`" in text
    assert "| `format` | query | no |" in text
