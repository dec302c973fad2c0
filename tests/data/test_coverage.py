"""A country whose data goes dark is flagged, never mapped as calm: on copies of the real data with
Mali's recent rows removed, Mali's file left with a header only, or every Mali date unreadable."""

import csv
import os
import shutil
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from sahelrisk import api
from sahelrisk.data.catalog import load_catalog
from sahelrisk.data.check import check_data
from sahelrisk.errors import DataGapError

MALI = "events/ucdp_ged_v24_1_uemoa_country_extracts/Mali.csv"


def _rows_before_2021(path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    frame[frame["date_start"].str[6:10] < "2021"].to_csv(path, index=False)


def _header_only(path):
    path.write_text(path.read_text("utf-8").split("\n", 1)[0] + "\n", "utf-8")


def _excel_serial_dates(path):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    frame["date_start"] = frame["date_end"] = "45291"       # what Excel shows for 2023-12-31
    frame.to_csv(path, index=False)


DAMAGE = {"recent rows removed": _rows_before_2021, "header only": _header_only,
          "dates as Excel serials": _excel_serial_dates}


@pytest.fixture(scope="module")
def damaged(real_data, tmp_path_factory):
    copies = {}
    for name, damage in DAMAGE.items():
        copy = tmp_path_factory.mktemp("data") / "data"
        shutil.copytree(real_data, copy)
        for path in copy.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        damage(copy / MALI)
        copies[name] = copy
    return copies


@pytest.mark.parametrize("case", list(DAMAGE))
def test_data_check_fails_naming_mali(damaged, tmp_path, case):
    result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "data", "check", "--data-dir", str(damaged[case]),
                             "--as-of", "2023-12-31", "--countries", "MLI,BFA,NER", "--out", str(tmp_path)],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 5, result.stdout[-2000:] + result.stderr   # DataGapError
    assert result.stderr.startswith("error: the data of MLI is stale") and "Traceback" not in result.stderr
    assert "stale MLI" in result.stdout and "covered BFA" in result.stdout and "covered NER" in result.stdout


@pytest.mark.slow   # the registered model is trained on the real data
@pytest.mark.parametrize("case", list(DAMAGE))
def test_scoring_refuses_rather_than_show_mali_as_calm(damaged, registered, catalog, case):
    mlruns, _ = registered
    loaded = api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=mlruns)
    with pytest.raises(DataGapError, match="MLI: .*(stop|no located event|incomplete)"):
        api.score("2023-12-25", units="adm2", model=loaded, data_dir=damaged[case], catalog=catalog)


def test_the_shipped_data_covers_every_country(real_data, catalog):
    from sahelrisk.data.check import coverage_report
    coverage = coverage_report(catalog, real_data, as_of=date(2023, 12, 31), countries=["MLI", "BFA", "NER"])
    assert [c.stale for c in coverage] == [False, False, False]


def test_a_required_dataset_with_a_header_and_no_rows_is_an_error(real_data, tmp_path):
    (tmp_path / "events").mkdir()
    (tmp_path / "events" / "mali.csv").write_text((real_data / MALI).read_text("utf-8").split("\n", 1)[0] + "\n")
    (tmp_path / "catalog.toml").write_text(
        '[datasets.ged]\ntitle = "t"\nkind = "events"\nloader = "ucdp_events"\nrequired = true\n'
        'licence = "CC BY 4.0"\nofficial = "https://ucdp.uu.se"\nfiles = [{ path = "events/mali.csv" }]\n')
    [report] = check_data(load_catalog(tmp_path / "catalog.toml"), tmp_path, as_of=date(2023, 12, 31))
    assert report.status == "error" and "no valid row loaded" in report.message


def thin_copy(source, dest, keep_every: int = 3) -> list:
    """Write every ``keep_every``-th record of ``source`` to ``dest`` (records, some over several
    lines, read as CSV); return all of ``source``'s records."""
    with open(source, newline="", encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    with open(dest, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *rows[::keep_every]])
    return rows


def _check(data, out):
    return subprocess.run([sys.executable, "-m", "sahelrisk.cli", "data", "check", "--data-dir", str(data),
                           "--as-of", "2023-12-31", "--countries", "MLI,BFA,NER", "--out", str(out)],
                          capture_output=True, text=True, cwd=out)


def test_a_country_far_below_its_previous_load_is_a_warning_naming_it(real_data, tmp_path):
    first = _check(real_data, tmp_path)
    assert first.returncode == 0 and "down from" not in first.stdout, first.stderr
    thinned = tmp_path / "data"
    shutil.copytree(real_data, thinned, copy_function=os.symlink)       # only Mali's file is a real copy
    (thinned / MALI).unlink()
    rows = thin_copy(real_data / MALI, thinned / MALI)                    # a feed that lost two rows in three
    second = _check(thinned, tmp_path)
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr
    assert f"warning: MLI has {len(rows[::3]):,} rows in ucdp_ged, down from {len(rows):,}" in \
        " ".join(second.stdout.split())
    assert "BFA has" not in second.stdout and "NER has" not in second.stdout
