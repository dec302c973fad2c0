import numpy as np
import pytest

from sahelrisk.data.readers import read_csv_table
from sahelrisk.errors import SpecError
from sahelrisk.units import cell_ids

EXTRACTS = "events/ucdp_ged_v24_1_uemoa_country_extracts"


@pytest.mark.parametrize("file", ["Mali.csv", "Burkina.csv", "Niger_repaired.csv"])
def test_cell_ids_at_half_degree_are_prio_grid_gids(real_data, file):
    raw = read_csv_table(real_data / EXTRACTS / file)
    lon, lat = raw["longitude"].astype(float), raw["latitude"].astype(float)
    assert (cell_ids(lon, lat, 0.5) == raw["priogrid_gid"].astype(int)).all()


def test_finer_resolutions_have_their_own_ids():
    # Bamako; 0.1 degree cells: 3,600 columns
    assert cell_ids([-8.0], [12.65], 0.5)[0] == 205 * 720 + 344 + 1
    assert cell_ids([-8.0], [12.65], 0.1)[0] == 1026 * 3600 + 1720 + 1
    assert cell_ids([-8.0], [12.65], 0.25)[0] == 410 * 1440 + 688 + 1
    with pytest.raises(SpecError, match="resolution 0.3 is not supported"):
        cell_ids([0], [0], 0.3)


def test_grid_covers_the_three_countries(real_grid):
    table = real_grid.table
    assert 1000 < len(table) < 1060
    assert table.groupby("country_iso3").size().to_dict() == {"BFA": 104, "MLI": 472, "NER": 455}
    # Clipped land area of the three countries, about 2.78 million km2 (Natural Earth outlines)
    assert table["area_km2"].sum() == pytest.approx(2.71e6, rel=0.03)
    assert (table["area_km2"] <= 3100).all() and table["adm2_pcode"].notna().all()


def test_queen_neighbours_are_symmetric_and_at_most_eight(real_grid):
    queen = real_grid.neighbours()
    assert (queen != queen.T).nnz == 0
    degree = np.asarray(queen.sum(axis=1)).ravel()
    assert degree.max() == 8 and degree.min() >= 1
    table = real_grid.table
    i = int(np.flatnonzero(table["unit_id"] == 150829)[0])
    neighbour_ids = sorted(table["unit_id"].to_numpy()[queen[i].indices])
    assert neighbour_ids == sorted(150829 + d for d in (-721, -720, -719, -1, 1, 719, 720, 721))


def test_locate_points(real_grid):
    pos = real_grid.locate(np.array([-5.99, 50.0, np.nan]), np.array([14.25, 50.0, 1.0]))
    assert real_grid.table["adm2_name"].iloc[pos[0]] == "Niono"
    assert pos[1] == -1 and pos[2] == -1
