from datetime import date

import pandas as pd
import pytest

from sahelrisk.data.catalog import CatalogFile, Dataset
from sahelrisk.data.sources import load_dataset
from sahelrisk.errors import DataFileError
from tests.conftest import REAL_AS_OF


@pytest.fixture(scope="module")
def displacement(real_data, catalog):
    return load_dataset(catalog["displacement"], real_data, as_of=REAL_AS_OF, countries={"MLI", "BFA", "NER"})


def test_idmc_national_stock_per_year(displacement):
    idmc = displacement.table[displacement.table["layout"] == "idmc_country_year"].set_index(["country_iso3", "reference_date"])
    assert idmc.loc[("MLI", pd.Timestamp("2024-12-31")), "idps"] == 360591
    assert idmc.loc[("BFA", pd.Timestamp("2023-12-31")), "idps"] == pytest.approx(2.06e6, rel=0.01)
    assert idmc.loc[("NER", pd.Timestamp("2024-12-31")), "idps"] == pytest.approx(412e3, rel=0.01)


def test_dtm_july_2020_mali_regions_total_and_pcodes(displacement):
    dtm = displacement.table[(displacement.table["layout"] == "dtm") & (displacement.table["country_iso3"] == "MLI")]
    assert dtm["idps"].sum() == 287_496
    assert (dtm["reference_date"] == pd.Timestamp("2020-07-31")).all()
    # ASCII misspellings of the dashboard ("Koulikouro") still find their OCHA p-code
    assert dtm.set_index("admin_name").loc["Koulikouro", "admin_pcode"] == "ML02"
    # Burkina's single row uses an ISO2 country code
    bfa = displacement.table[(displacement.table["layout"] == "dtm") & (displacement.table["country_iso3"] == "BFA")]
    assert bfa["idps"].tolist() == [10293]


def test_blank_counts_are_quarantined_with_reason(displacement):
    q = displacement.quarantine
    assert set(q["id"]) == {"Menaka"}
    assert q["reason"].str.contains("IDP count is empty").all()


def test_snapshot_regions_get_pcodes_where_the_frame_has_them(displacement):
    snaps = displacement.table[displacement.table["layout"] == "snapshots"].set_index(["admin_name", "reference_date"])
    assert snaps.loc[("Mopti", pd.Timestamp("2022-07-31")), "admin_pcode"] == "ML05"
    assert pd.isna(snaps.loc[("Bandiagara", pd.Timestamp("2023-09-30")), "admin_pcode"])  # 2023-reform region


def test_dtm_api_layout_with_dates_and_future_rows(tmp_path, real_data):
    path = tmp_path / "dtm.csv"
    path.write_text("operation,admin0Pcode,admin1Name,admin1Pcode,admin2Name,admin2Pcode,numPresentIdpInd,reportingDate,roundNumber\n"
                    "Mali,MLI,Segou,ML04,Niono,ML0404,1200,2023-03-31,1\n"
                    "Mali,MLI,Segou,ML04,Niono,ML0404,1500,2023-06-30,2\n"
                    "Mali,MLI,Segou,ML04,Niono,ML0404,1700,2027-01-31,3\n")
    dataset = Dataset(name="dtm", title="t", kind="displacement", loader="displacement",
                      files=(CatalogFile(path="dtm.csv", options={"layout": "dtm"}),))
    got = load_dataset(dataset, tmp_path, as_of=date(2026, 11, 24))
    assert got.table["admin_level"].tolist() == [2, 2]
    assert got.table["idps"].tolist() == [1200, 1500]
    assert "after the data's as-of" in got.quarantine["reason"].iloc[0]


def test_dtm_file_without_count_column_is_a_file_error(tmp_path):
    (tmp_path / "dtm.csv").write_text("admin0Pcode,admin1Pcode\nMLI,ML04\n")
    dataset = Dataset(name="dtm", title="t", kind="displacement", loader="displacement",
                      files=(CatalogFile(path="dtm.csv", options={"layout": "dtm"}),))
    with pytest.raises(DataFileError, match="lacks the DTM columns"):
        load_dataset(dataset, tmp_path, as_of=date(2026, 11, 24))
