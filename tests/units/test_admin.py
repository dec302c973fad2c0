import numpy as np

from sahelrisk.units import build_admin_units


def test_adm2_units_locate_points_and_know_their_region(real_inputs):
    layers = real_inputs.layers
    adm1 = layers["admin1"][layers["admin1"]["country_iso3"].isin(["MLI", "BFA", "NER"])]
    adm2 = layers["admin2"]
    units = build_admin_units(2, adm1, adm2)
    assert len(units) == 162
    pos = units.locate(np.array([-5.99, -1.53]), np.array([14.25, 12.37]))
    names = units.table["adm2_name"].iloc[pos].tolist()
    assert names == ["Niono", "Kadiogo"]
    assert units.table.set_index("unit_id").loc["ML0404", "adm1_name"] == "Segou"
    queen = units.neighbours()
    assert (queen != queen.T).nnz == 0 and queen.diagonal().sum() == 0
