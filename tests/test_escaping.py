"""One escaping rule per renderer, checked on generated hostile text: no formula in a spreadsheet,
no mathtext in a plot, no path outside its folder."""

import io
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from hypothesis import given, settings

from sahelrisk.escaping import FORMULA_START, csv_cell, csv_safe, file_slug, plot_text
from tests.hostile import HOSTILE

matplotlib.use("Agg")


@given(HOSTILE)
def test_no_text_cell_starts_a_formula(text):
    cell = csv_cell(text)
    assert not (isinstance(cell, str) and cell.startswith(FORMULA_START)) or _plain_number(cell)
    assert cell == text or cell == "'" + text     # nothing lost: the prefix only


def _plain_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return text == "-"
    return True


def test_numbers_and_placeholders_stay_as_they_are():
    assert [csv_cell(v) for v in ("-0.5", "+3", "1e-3", "-", 4, -2.5, None)] == ["-0.5", "+3", "1e-3", "-", 4, -2.5, None]
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("-2+3") == "'-2+3" and csv_cell("@A1") == "'@A1"


@pytest.mark.parametrize("cell", [" =1+1", "\n=HYPERLINK(\"x\")", "\r\n@SUM(A1)", "  +cmd", "\u00a0=1", "\t-2+3"])
def test_a_formula_behind_spaces_or_line_breaks_is_neutralised_too(cell):
    assert csv_cell(cell) == "'" + cell


def test_a_number_behind_spaces_stays_a_number():
    assert csv_cell(" -0.5") == " -0.5" and csv_cell("\n+3") == "\n+3"


def test_a_frame_written_to_csv_reads_back_without_a_formula():
    frame = pd.DataFrame({"adm2_name": ["=HYPERLINK(\"x\")", "Ménaka", "+cmd|' /C calc'!A0"], "probability": [-0.1, 0.2, 0.3]})
    text = csv_safe(frame).to_csv(index=False)
    back = pd.read_csv(io.StringIO(text))
    assert back["adm2_name"].tolist() == ["'=HYPERLINK(\"x\")", "Ménaka", "'+cmd|' /C calc'!A0"]
    assert back["probability"].tolist() == [-0.1, 0.2, 0.3] and frame["adm2_name"].iloc[0].startswith("=")


@given(HOSTILE)
def test_a_slug_is_a_safe_name_inside_its_folder(text):
    name = file_slug(text)
    assert name and name not in (".", "..") and "/" not in name and "\\" not in name
    assert (Path("/out/routes") / name).resolve().parent == Path("/out/routes")


@pytest.mark.parametrize("stem", ["..", "...", ".", "", "../week"])
def test_a_track_named_dots_gets_a_folder_of_its_own(stem):
    assert file_slug(stem, "route") not in ("", ".", "..") and "/" not in file_slug(stem, "route")


@pytest.mark.filterwarnings("ignore:Glyph")   # a generated character the font lacks draws as a box
@settings(max_examples=60, deadline=None)
@given(HOSTILE)
def test_any_name_draws_as_text_in_a_plot(text):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    try:
        ax.set_title(plot_text(text))
        ax.annotate(plot_text(text), (0.5, 0.5))
        fig.canvas.draw()      # mathtext would raise on "$\cmd$"
    finally:
        plt.close(fig)


def test_names_with_no_latin_letters_get_distinct_readable_folders():
    from sahelrisk.escaping import distinct_slug

    names = ["طريق تمبكتو", "طريق غاو", "ⵜⴰⵎⴰⵣⵉⵖⵜ", "..", "...", "Ségou-Niono-Sokolo", "Segou Niono"]
    slugs = [distinct_slug(n, "route") for n in names]
    assert len(set(slugs)) == len(slugs)                       # no two tracks share a folder
    assert slugs[-2:] == ["segou-niono-sokolo", "segou_niono"]   # a readable name stays readable
    assert all(s.startswith("route-") and len(s) == len("route-") + 8 for s in slugs[:5])
    assert distinct_slug("طريق تمبكتو", "route") == slugs[0]     # the same name, the same folder
