"""GPX and GeoJSON routes and site lists from the field: read, or a one-line error naming the file."""

import json

import pytest

from sahelrisk.errors import DataFileError
from sahelrisk.routes.sites import read_sites
from sahelrisk.routes.tracks import read_track

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="field" xmlns="http://www.topografix.com/GPX/1/1">
<trk><name>Niono - Sokolo</name><trkseg>
<trkpt lat="14.25" lon="-5.99"></trkpt><trkpt lat="14.5" lon="-6.05"></trkpt><trkpt lat="14.73" lon="-6.12"></trkpt>
</trkseg></trk></gpx>"""


def test_a_gpx_track_is_read_as_a_lon_lat_line(tmp_path):
    path = tmp_path / "convoy.gpx"
    path.write_text(GPX)
    line = read_track(path)
    assert list(line.coords) == [(-5.99, 14.25), (-6.05, 14.5), (-6.12, 14.73)]


def test_geojson_lines_features_and_joined_pieces_are_read(tmp_path):
    line = {"type": "LineString", "coordinates": [[-5.99, 14.25], [-6.05, 14.5]]}
    feature = {"type": "Feature", "properties": {"name": "x"}, "geometry": line}
    pieces = {"type": "FeatureCollection", "features": [
        feature, {"type": "Feature", "properties": {}, "geometry": {"type": "LineString",
                                                                    "coordinates": [[-6.05, 14.5], [-6.12, 14.73]]}}]}
    for name, data, points in (("a.geojson", line, 2), ("b.geojson", feature, 2), ("c.json", pieces, 3)):
        (tmp_path / name).write_text(json.dumps(data))
        assert len(read_track(tmp_path / name).coords) == points


@pytest.mark.parametrize("name, text, message", [
    ("cut.gpx", GPX[:180], r"cut\.gpx: is not a readable GPX file"),
    ("one.gpx", GPX.replace('<trkpt lat="14.5" lon="-6.05"></trkpt><trkpt lat="14.73" lon="-6.12"></trkpt>', ""),
     r"one\.gpx: holds 1 track or route point\(s\); a route needs at least 2"),
    ("bad.geojson", "{not json", r"bad\.geojson: is not valid GeoJSON"),
    ("points.geojson", json.dumps({"type": "Point", "coordinates": [-6, 14]}), r"points\.geojson: holds no LineString"),
    ("apart.geojson", json.dumps({"type": "MultiLineString", "coordinates": [[[-6, 14], [-5.9, 14]], [[-5, 14], [-4.9, 14]]]}),
     r"apart\.geojson: holds a feature of 2 lines that do not join end to end"),
    ("swapped.geojson", json.dumps({"type": "LineString", "coordinates": [[14, -600], [14.5, -6]]}),
     r"swapped\.geojson: has coordinates outside"),
    ("route.kml", "<kml/>", r"route\.kml: has an unknown extension '\.kml'\. Use a \.gpx or \.geojson file"),
])
def test_broken_track_files_are_one_line_errors_naming_the_file(tmp_path, name, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(DataFileError, match=message) as caught:
        read_track(path)
    assert "\n" not in str(caught.value)


def test_a_missing_track_file_is_named():
    with pytest.raises(DataFileError, match="nowhere.gpx: does not exist"):
        read_track("nowhere.gpx")


def test_a_site_list_from_a_csv_or_geojson(tmp_path):
    csv = tmp_path / "orpaillage.csv"
    csv.write_text("name,latitude,longitude,site_kind\nKalana,10.78,-8.2,artisanal\nIntahaka,16.5,-0.9,artisanal\n")
    sites = read_sites(csv)
    assert list(sites["name"]) == ["Kalana", "Intahaka"] and sites.geometry.iloc[0].x == -8.2
    assert list(sites["site_id"]) == ["user-1", "user-2"] and (sites["source"] == "orpaillage.csv").all()
    geojson = tmp_path / "sites.geojson"
    geojson.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "Kalana"}, "geometry": {"type": "Point", "coordinates": [-8.2, 10.78]}}]}))
    assert read_sites(geojson)["name"].tolist() == ["Kalana"]


@pytest.mark.parametrize("text, message", [
    ("name,lat,lon\nKalana,10.78,-8.2\n", "has no column latitude, longitude"),
    ("name,latitude,longitude\nKalana,10.78,-8.2\nBad,north,-8.2\n", "row 3: latitude 'north' is not a number"),
    ("name,latitude,longitude\nKalana,-8.2,190\n", "row 2: longitude 190.0 is outside -180..180"),
    ("name,latitude,longitude\n", "holds no site"),
])
def test_a_broken_site_list_names_the_row_and_the_fix(tmp_path, text, message):
    path = tmp_path / "sites.csv"
    path.write_text(text)
    with pytest.raises(DataFileError, match=message):
        read_sites(path)


def _gpx(tracks) -> str:
    body = "".join(f"<trk>{f'<name>{name}</name>' if name else ''}<trkseg>"
                   + "".join(f'<trkpt lat="{lat}" lon="{lon}"></trkpt>' for lon, lat in points) + "</trkseg></trk>"
                   for name, points in tracks)
    return f'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">{body}</gpx>'


def test_a_file_of_several_tracks_gives_each_journey_named_and_never_merged(tmp_path):
    from sahelrisk.routes.tracks import read_tracks

    path = tmp_path / "day.gpx"
    path.write_text(_gpx([("fastest", [(-6.26, 13.44), (-5.99, 14.27)]), ("", [(-6.0, 13.0), (-5.5, 13.0)]),
                          ("fastest", [(-5.0, 14.0), (-4.5, 14.2)])]))
    tracks = read_tracks(path)
    assert [t.name for t in tracks] == ["fastest", "track 2", "fastest (2)"]
    assert [len(t.line.coords) for t in tracks] == [2, 2, 2]
    with pytest.raises(DataFileError, match=r"day\.gpx: holds 3 tracks \(fastest, track 2, fastest \(2\)\)"):
        read_track(path)


def test_geojson_features_that_do_not_join_are_separate_journeys(tmp_path):
    from sahelrisk.routes.tracks import read_tracks

    features = [{"type": "Feature", "properties": {"name": name}, "geometry": {"type": "LineString", "coordinates": c}}
                for name, c in (("north", [[-6, 14], [-5.9, 14]]), ("south", [[-5, 13], [-4.9, 13]]))]
    path = tmp_path / "two.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    assert [t.name for t in read_tracks(path)] == ["north", "south"]


def test_a_file_of_more_tracks_than_scored_at_once_is_one_line(tmp_path):
    path = tmp_path / "many.gpx"
    path.write_text(_gpx([(f"t{i}", [(-6 + i / 10, 13), (-5.9 + i / 10, 13)]) for i in range(7)]))
    with pytest.raises(DataFileError, match=r"many\.gpx: holds 7 tracks; at most 5 are scored at once"):
        read_track(path)
