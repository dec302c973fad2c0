"""One week's run, assembled in one place: the steps that the CLI, the API and the weekly job share."""

from dataclasses import replace
from datetime import date

import pandas as pd
import pytest

from sahelrisk import api
from sahelrisk.data.extent import CountryCoverage
from sahelrisk.errors import DataGapError
from sahelrisk.jobs.run import RunPolicy, check_step, run_once, week_window


def test_a_given_week_is_its_monday_with_the_data_known_at_its_end():
    window, monday = week_window("2023-12-27")
    assert monday == pd.Timestamp("2023-12-25") and window.as_of == date(2023, 12, 31)
    window, _ = week_window("2023-12-27", as_of=date(2023, 12, 20))
    assert window.as_of == window.data_end == date(2023, 12, 20) and window.reason == "given"


def test_the_data_check_reports_each_dataset_and_raises_for_a_stale_country(real_data, catalog, tmp_path):
    record = check_step(catalog, real_data, as_of=date(2023, 12, 31), countries=["MLI", "BFA", "NER"],
                        out_dir=tmp_path, command="test")
    assert record.path == tmp_path / "data_check.json" and record.path.is_file()
    assert {r.name for r in record.reports} >= {"ucdp_ged", "admin2", "roads"}
    assert [c.country for c in record.coverage] == ["BFA", "MLI", "NER"]
    record.raise_for_problems()
    dark = CountryCoverage("NER", date(2023, 5, 28), 3, 400.0, True, "NER: its located events stop in the week of "
                           "2023-05-22, 31 weeks before the week of 2023-12-25; its risk would read as calm")
    stale = replace(record, coverage=(*record.coverage, dark))
    with pytest.raises(DataGapError, match="the data of NER is stale: its located events stop"):
        stale.raise_for_problems()


@pytest.mark.slow
def test_run_once_publishes_the_latest_week_with_the_scores_the_api_gives(registered, small_spec, real_data, catalog,
                                                                          tmp_path):
    mlruns, _ = registered
    lines = []
    record = run_once(small_spec.origin, data_dir=real_data, catalog=catalog, out_dir=tmp_path, policy=RunPolicy(train=False),
                      langs=("en",), mlruns=mlruns, log=lines.append)
    assert record.training is None and record.window.data_end == date(2023, 12, 31)
    assert record.scored.week == pd.Timestamp("2023-12-25") and record.folder == tmp_path / "2023-12-25"
    assert (record.folder / "risk_adm2.csv").is_file() and record.check is not None
    assert any(line.startswith("scoring the week of 2023-12-25") for line in lines)
    cells, _ = api.score_all("2023-12-25", model=record.scored.model, data_dir=real_data, catalog=catalog,
                             levels=("adm2",), as_of=record.window.as_of)
    published = pd.read_parquet(record.folder / "risk_grid.parquet")
    assert (published["probability"].to_numpy() == cells.cells["probability"].to_numpy()).all()
