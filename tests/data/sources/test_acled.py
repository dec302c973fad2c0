"""ACLED exports, on small files written here in both published layouts (no ACLED data is committed)."""

from datetime import date

import pandas as pd
import pytest

from sahelrisk.data.sources.acled import read_acled_events
from sahelrisk.errors import DataFileError

HDX_HEADER = ("data_id,iso,event_id_cnty,event_id_no_cnty,event_date,year,time_precision,event_type,sub_event_type,"
              "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,region,country,admin1,admin2,"
              "admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,timestamp,iso3")
HDX_TAGS = ",".join("#" + c.replace("_", "+") for c in HDX_HEADER.split(","))


def hdx_row(event_id, date_, event_type, inter1, inter2, lat, lon, fatalities, actor2="Civilians (Mali)"):
    return (f"1,466,{event_id},1,{date_},2022,1,{event_type},Armed clash,JNIM,,{inter1},{actor2},,{inter2},12,"
            f"Western Africa,Mali,Segou,Niono,Niono,Niono,{lat},{lon},1,src,National,\"note, with comma\","
            f"{fatalities},1650000000,MLI")


@pytest.fixture
def hdx_file(tmp_path):
    rows = [
        hdx_row("MLI1", "2022-02-07", "Battles", "1", "2", 14.25, -5.99, 12),               # state forces involved
        hdx_row("MLI2", "08 February 2022", "Battles", "2", "3", 14.30, -5.90, 3),          # rebels vs militia
        hdx_row("MLI3", "12-September-22", "Violence against civilians", "2", "7", 14.1, -5.8, 56),
        hdx_row("MLI4", "2022-03-01", "Protests", "6", "", 12.6, -8.0, 0),                  # not armed violence
        hdx_row("MLI5", "2022-03-02", "Explosions/Remote violence", "3", "1", 14.0, -5.5, 2),
    ]
    path = tmp_path / "conflict_data_mli.csv"
    path.write_text("\n".join([HDX_HEADER, HDX_TAGS, *rows]) + "\n")
    return path


def test_hdx_export_with_tag_row_loads_armed_events_only(hdx_file):
    got = read_acled_events(hdx_file, dataset="acled", release="acled_test", as_of=date(2023, 1, 1))
    assert got.rows_read == 5 and got.out_of_scope == 1
    events = got.events.set_index("event_id")
    assert events.loc["MLI1", "violence_type"] == "state_based"
    assert events.loc["MLI2", "violence_type"] == "non_state"
    assert events.loc["MLI3", "violence_type"] == "one_sided"
    assert events.loc["MLI5", "violence_type"] == "state_based"
    assert events.loc["MLI2", "date_start"] == pd.Timestamp("2022-02-08")
    assert events.loc["MLI3", "date_start"] == pd.Timestamp("2022-09-12")
    assert (events["fatalities_low"] == events["fatalities_best"]).all()
    assert set(events["source"]) == {"acled"} and set(events["country_iso3"]) == {"MLI"}
    # the HXL tag row is not data: the first event is record 1
    assert got.quarantine.empty


def test_current_export_with_text_labels_and_civilian_targeting(tmp_path):
    header = ("event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
              "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,country,"
              "admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,notes,fatalities,"
              "tags,timestamp")
    rows = [
        "BFA10,2023-05-01,2023,1,Political violence,Battles,Armed clash,Military Forces of Burkina Faso (2022-),,"
        "State forces,JNIM,,Rebel group,State forces-Rebel group,,854,Western Africa,Burkina Faso,Sahel,Soum,"
        "Djibo,Djibo,14.1,-1.63,1,src,Local,n,7,,1",
        "BFA11,2023-05-02,2023,1,Political violence,Explosions/Remote violence,Remote explosive,JNIM,,Rebel group,"
        "Civilians (Burkina Faso),,Civilians,Rebel group-Civilians,Civilian targeting,854,Western Africa,"
        "Burkina Faso,Sahel,Soum,Djibo,Djibo,14.1,-1.63,2,src,Local,n,4,,1",
        "BFA12,2023-05-03,2023,1,Political violence,Battles,Armed clash,JNIM,,Rebel group,IS Sahel,,Rebel group,"
        "Rebel group-Rebel group,,854,Western Africa,Burkina Faso,Sahel,Oudalan,Gorom,Gorom,-1.0,14.4,1,src,"
        "Local,n,5,,1",
    ]
    path = tmp_path / "acled.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    got = read_acled_events(path, dataset="acled", release="r", as_of=date(2024, 1, 1))
    events = got.events.set_index("event_id")
    assert events.loc["BFA10", "violence_type"] == "state_based"
    assert events.loc["BFA11", "violence_type"] == "one_sided"
    # BFA12 has latitude and longitude swapped
    assert got.quarantine["id"].tolist() == ["BFA12"]
    assert "look swapped" in got.quarantine["reason"].iloc[0]


def test_acled_file_without_event_type_is_a_file_error(tmp_path):
    path = tmp_path / "acled.csv"
    path.write_text("event_id_cnty,event_date\nX1,2020-01-01\n")
    with pytest.raises(DataFileError, match="missing required column.*event_type.*ACLED export"):
        read_acled_events(path, dataset="acled", release="r", as_of=date(2024, 1, 1))
