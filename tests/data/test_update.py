"""``sahelrisk data update`` against a local server laid out like UCDP's download site."""

import hashlib
import os
import shutil
import subprocess
import sys
import time
from datetime import date

import pandas as pd
import pytest

from sahelrisk.data.manifest import MANIFEST_PATH, Manifest
from sahelrisk.data.sources import load_events
from sahelrisk.data.update import update_ucdp
from sahelrisk.errors import DataFileError
from tests.data.ucdp_site import CANDIDATES, UcdpSite

UNTIL = date(2026, 11, 28)
SAHEL = ["BFA", "MLI", "NER"]
ALL_FILES = list(CANDIDATES)


@pytest.fixture
def site(tmp_path, real_data):
    with UcdpSite(tmp_path / "site") as served:
        served.shared = real_data
        yield served


def _publish(site, names=ALL_FILES, ged=True):
    if ged:
        site.publish_ged(site.shared)
    for name in names:
        site.publish(site.shared, name)


def _update(site, data_dir, **kw):
    return update_ucdp(data_dir, until=UNTIL, retrieved_at="2026-11-28T03:00:00+00:00", base_url=site.url,
                       countries=SAHEL, timeout=10, **kw)


def _held_three_releases(site, tmp_path):
    """A data directory after a first update of three releases; its manifest and raw files then."""
    _publish(site, ALL_FILES[:3])
    data = tmp_path / "data"
    _update(site, data)
    return data, (data / MANIFEST_PATH).read_bytes(), sorted(p.name for p in (data / "events/ucdp/raw").iterdir())


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_first_update_brings_in_every_release_and_a_second_finds_nothing_new(site, tmp_path, catalog):
    _publish(site)
    data = tmp_path / "data"
    first = _update(site, data)
    assert first.new == ["ged_24_1", "candidate_26_0_1", "candidate_26_0_2", "candidate_26_01_26_06",
                         "candidate_26_0_7"]
    assert first.warnings == []
    manifest = Manifest.read(data)
    for entry in manifest.entries:
        served = site.root / entry.url.removeprefix(site.url)
        assert _sha(data / entry.path) == entry.sha256 == _sha(served)   # the raw download is kept unchanged
        assert entry.bytes == served.stat().st_size and entry.scope_rows <= entry.rows
    global_file = next(e for e in manifest.entries if e.release == "candidate_26_0_1")
    assert global_file.rows == 1727 and 141 <= global_file.scope_rows < 400  # three countries and their borders

    second = _update(site, data)
    assert second.nothing_new and sorted(second.unchanged) == sorted(first.new) and second.warnings == []

    events = load_events(catalog, data, as_of=UNTIL, datasets=["ucdp_updates"]).table
    ids = set(events["event_id"])
    assert "612629" not in ids and "621445" not in ids       # dropped by the cumulative release
    assert events.set_index("event_id").loc["615766", "fatalities_best"] == 57   # its revision wins
    assert events.set_index("event_id").loc["634053", "release"] == "candidate_26_0_7"
    assert events["date_start"].max() >= pd.Timestamp("2026-07-31")


def test_a_release_published_between_two_updates_is_found(site, tmp_path):
    _publish(site, ALL_FILES[:2])
    data = tmp_path / "data"
    assert _update(site, data).new == ["ged_24_1", "candidate_26_0_1", "candidate_26_0_2"]
    site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    later = _update(site, data)
    assert later.new == ["candidate_26_0_7"] and later.revisions.added["MLI"] == 130


def _independent_revisions(shared):
    """Added, revised and withdrawn per country between the two monthly files and the cumulative
    one, computed from the raw CSVs with pandas alone."""
    def read(name):
        frame = pd.read_csv(shared / "events" / CANDIDATES[name], dtype=str, keep_default_na=False)
        return frame[frame["country"].isin(["Mali", "Burkina Faso", "Niger"])]

    monthly = pd.concat([read("GEDEvent_v26_0_1.csv"), read("GEDEvent_v26_0_2.csv")]).drop_duplicates("id", keep="last")
    # 633589 (Mali) has a longitude outside Mali (a wrong sign, SOURCES.md): the loader quarantines it.
    cumulative = read("GEDEvent_v26_01_26_06.csv").query("id != '633589'")
    iso = {"Mali": "MLI", "Burkina Faso": "BFA", "Niger": "NER"}
    old, new = monthly.set_index("id"), cumulative.set_index("id")
    in_months = pd.to_datetime(old["date_start"].str[:10]) >= pd.Timestamp("2026-01-01")
    withdrawn = old.index[in_months & ~old.index.isin(new.index)]
    added = new.index.difference(old.index)
    both = new.index.intersection(old.index)
    numeric = ["latitude", "longitude", "best", "low", "high", "where_prec", "date_prec", "type_of_violence"]
    texts = ["side_a", "side_b", "code_status", "country"]
    differs = pd.Series(False, index=both)
    for column in numeric:
        differs |= ~(pd.to_numeric(old.loc[both, column]).round(4) == pd.to_numeric(new.loc[both, column]).round(4))
    for column in ("date_start", "date_end"):
        differs |= old.loc[both, column].str[:10] != new.loc[both, column].str[:10]
    for column in texts:
        differs |= old.loc[both, column].str.strip() != new.loc[both, column].str.strip()

    def per_country(frame, index):
        return {iso[k]: int(v) for k, v in frame.loc[index, "country"].value_counts().items()}
    return per_country(new, added), per_country(new, both[differs.to_numpy()]), per_country(old, withdrawn)


def test_revisions_from_monthly_to_cumulative_match_an_independent_count(site, tmp_path):
    _publish(site, ["GEDEvent_v26_0_1.csv", "GEDEvent_v26_0_2.csv"], ged=False)
    data = tmp_path / "data"
    _update(site, data)
    site.publish(site.shared, "GEDEvent_v26_01_26_06.csv")
    outcome = _update(site, data)
    added, revised, withdrawn = _independent_revisions(site.shared)
    assert outcome.new == ["candidate_26_01_26_06"]
    report = outcome.revisions
    assert report.withdrawn == withdrawn == {"BFA": 1, "NER": 1}
    assert set(report.withdrawn_ids) == {"612629", "621445"}
    assert {k: v for k, v in report.added.items() if k in SAHEL} == added
    assert {k: v for k, v in report.revised.items() if k in SAHEL} == revised
    assert report.fields["fatalities_best"] >= 2   # 615766 (6 -> 57), 611778 (21 -> 20), ...
    assert (data / "events/ucdp/last_update.json").is_file()


@pytest.mark.parametrize("fault", ["500", "reset", "truncate", "html", "error_csv", "huge"])
def test_a_failing_download_is_a_warning_naming_the_url_and_the_next_update_recovers(site, tmp_path, fault):
    data, manifest_before, raw_before = _held_three_releases(site, tmp_path)
    site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    site.faults["candidateged/GEDEvent_v26_0_7.csv"] = fault
    failed = _update(site, data)
    url = site.url + "candidateged/GEDEvent_v26_0_7.csv"
    assert failed.new == [] and len(failed.warnings) == 1
    assert failed.warnings[0].startswith("warning: ") and url in failed.warnings[0]
    assert "\n" not in failed.warnings[0]
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before   # the data held is untouched
    assert sorted(p.name for p in (data / "events/ucdp/raw").iterdir()) == raw_before   # no stray file
    site.faults.clear()
    recovered = _update(site, data)
    assert recovered.new == ["candidate_26_0_7"] and recovered.warnings == []


def test_a_file_changed_on_the_server_is_kept_beside_the_old_one_and_reported(site, tmp_path, catalog):
    _publish(site, ["GEDEvent_v26_0_7.csv"], ged=False)
    data = tmp_path / "data"
    _update(site, data)
    served = site.root / "candidateged" / "GEDEvent_v26_0_7.csv"
    text = served.read_text("utf-8")
    served.write_text(text.replace(",Clear,", ",Check deaths,", 1), "utf-8")
    os.utime(served, (served.stat().st_atime, served.stat().st_mtime + 3600))
    changed = _update(site, data)
    assert changed.changed == ["candidate_26_0_7"] and changed.new == []
    manifest = Manifest.read(data)
    old, new = [e for e in manifest.entries if e.release == "candidate_26_0_7"]
    assert old.replaced_by == new.path and old.path != new.path
    assert (data / old.path).read_text("utf-8") == text                 # the old bytes are kept
    assert changed.revisions.fields == {"code_status": 1}


def test_a_release_without_a_header_row_is_read(site, tmp_path, catalog):
    served = site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    lines = served.read_text("utf-8").split("\n", 1)
    served.write_text(lines[1], "utf-8")
    data = tmp_path / "data"
    assert _update(site, data).new == ["candidate_26_0_7"]
    events = load_events(catalog, data, as_of=UNTIL, datasets=["ucdp_updates"]).table
    assert len(events) == 191 and events["date_start"].min() >= pd.Timestamp("2026-06-29")


def test_a_held_file_edited_by_hand_is_refused_on_load(site, tmp_path, catalog):
    _publish(site, ["GEDEvent_v26_0_7.csv"], ged=False)
    data = tmp_path / "data"
    _update(site, data)
    scope = data / Manifest.read(data).entries[0].scope_path
    scope.write_bytes(scope.read_bytes() + b"\0")
    with pytest.raises(DataFileError, match="differs from the manifest"):
        load_events(catalog, data, as_of=UNTIL, datasets=["ucdp_updates"])


def test_cli_update_reports_new_releases_then_nothing_new(site, tmp_path):
    _publish(site, ["GEDEvent_v26_0_1.csv", "GEDEvent_v26_0_2.csv", "GEDEvent_v26_01_26_06.csv"], ged=False)
    env = {**os.environ, "SAHELRISK_UCDP_URL": site.url}
    args = [sys.executable, "-m", "sahelrisk.cli", "data", "update", "--data-dir", str(tmp_path / "d"),
            "--countries", "MLI,BFA,NER"]
    first = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "new release candidate_26_01_26_06" in first.stdout and "BFA: " in first.stdout
    second = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert second.returncode == 0 and "nothing new: 3 releases held are up to date" in second.stdout


def test_a_held_release_gone_from_the_server_is_a_warning_and_the_copy_is_kept(site, tmp_path, catalog):
    served = site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    data = tmp_path / "data"
    _update(site, data)
    manifest_before = (data / MANIFEST_PATH).read_bytes()
    served.unlink()                                                  # now a 404
    outcome = _update(site, data)
    assert outcome.new == [] and len(outcome.warnings) == 1
    assert site.url + "candidateged/GEDEvent_v26_0_7.csv: no longer on the server" in outcome.warnings[0]
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert len(load_events(catalog, data, as_of=UNTIL, datasets=["ucdp_updates"]).table) == 191


def test_a_server_dripping_bytes_is_stopped_at_the_deadline_and_the_data_held_is_unchanged(site, tmp_path):
    data, manifest_before, raw_before = _held_three_releases(site, tmp_path)
    site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    site.faults["candidateged/GEDEvent_v26_0_7.csv"] = "drip"
    started = time.monotonic()
    dripped = _update(site, data, deadline_s=3)
    assert time.monotonic() - started < 10          # a byte a second could otherwise hold it for a day
    url = site.url + "candidateged/GEDEvent_v26_0_7.csv"
    assert url in dripped.warnings[0] and "passed its deadline" in dripped.warnings[0]
    # what was not asked in time is one more warning, naming the releases
    assert len(dripped.warnings) <= 2 and all("\n" not in w for w in dripped.warnings)
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert sorted(p.name for p in (data / "events/ucdp/raw").iterdir()) == raw_before


def _rewrite(path, change):
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, index_col=False)
    change(frame).to_csv(path, index=False)


@pytest.mark.parametrize("damage, reason", [
    (lambda f: pd.concat([f] * 10, ignore_index=True), "repeat an event id"),
    (lambda f: f.assign(latitude="0", longitude="0"), "sit at 0,0 or off the globe"),
    (lambda f: f.assign(id=f["id"].where(f.index > 0, '=HYPERLINK("http://x","y")')), "event ids are not numbers"),
])
def test_a_suspicious_release_is_held_back_with_the_reason_and_nothing_is_taken(site, tmp_path, damage, reason):
    data, manifest_before, _ = _held_three_releases(site, tmp_path)
    _rewrite(site.publish(site.shared, "GEDEvent_v26_0_7.csv"), damage)
    held_back = _update(site, data)
    url = site.url + "candidateged/GEDEvent_v26_0_7.csv"
    assert held_back.new == [] and len(held_back.warnings) == 1
    assert url in held_back.warnings[0] and reason in held_back.warnings[0] and "Held back" in held_back.warnings[0]
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert not (data / "events/ucdp/raw/GEDEvent_v26_0_7.csv").exists()


def test_a_release_cut_mid_row_is_held_back_and_nothing_is_taken(site, tmp_path):
    data, manifest_before, _ = _held_three_releases(site, tmp_path)
    path = site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    path.write_bytes(path.read_bytes()[:-40])             # the last row stops mid-way, its length announced as sent
    held_back = _update(site, data)
    assert held_back.new == [] and len(held_back.warnings) == 1
    assert "ends mid-row (no final line end): a cut download, held back" in held_back.warnings[0]
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert not (data / "events/ucdp/raw/GEDEvent_v26_0_7.csv").exists()


def test_a_cumulative_release_withdrawing_most_of_a_countrys_events_is_held_back_with_the_numbers(site, tmp_path):
    site.publish_ged(site.shared)
    site.publish(site.shared, "GEDEvent_v26_01_26_06.csv")
    data = tmp_path / "data"
    _update(site, data)
    manifest_before = (data / MANIFEST_PATH).read_bytes()
    # The next quarter's cumulative file, served whole but without 270 of Mali's 362 events of
    # January to June: two thirds of all rows are still there, so a check on the total would pass.
    nine = site.root / "candidateged" / "GEDEvent_v26_01_26_09.csv"
    shutil.copyfile(site.root / "candidateged" / "GEDEvent_v26_01_26_06.csv", nine)
    _rewrite(nine, lambda f: f.drop(f.index[f["country"] == "Mali"][:270]))
    held_back = _update(site, data)
    assert held_back.new == [] and len(held_back.warnings) == 1
    warning = held_back.warnings[0]
    assert "GEDEvent_v26_01_26_09.csv" in warning and "would withdraw 270 of Mali's 362 events" in warning
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert not (data / "events/ucdp/raw/GEDEvent_v26_01_26_09.csv").exists()


def test_cli_update_without_a_folder_writes_where_the_other_commands_read(site, tmp_path):
    _publish(site, ["GEDEvent_v26_0_1.csv"], ged=False)
    work, shared = tmp_path / "project", tmp_path / "shared" / "data"
    work.mkdir(), shared.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "SAHELRISK_DATA"} | {"SAHELRISK_UCDP_URL": site.url}
    args = [sys.executable, "-m", "sahelrisk.cli", "data", "update", "--countries", "MLI,BFA,NER"]
    result = subprocess.run(args, capture_output=True, text=True, cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    assert not (work / "data").exists()                     # no partial ./data shadowing the real folder
    assert (shared / MANIFEST_PATH).is_file() and str(shared) in result.stdout


@pytest.mark.parametrize("fault, said", [("not_http", "the server's answer is not HTTP"),
                                         ("header_flood", "not valid HTTP (HTTPException"),
                                         ("long_chunk_line", "not valid HTTP (")])
def test_a_server_that_does_not_speak_http_is_a_warning_and_the_data_held_is_unchanged(site, tmp_path, fault, said):
    data, manifest_before, raw_before = _held_three_releases(site, tmp_path)
    site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    site.faults["candidateged/GEDEvent_v26_0_7.csv"] = fault
    outcome = _update(site, data)                         # a warning, never an internal error
    url = site.url + "candidateged/GEDEvent_v26_0_7.csv"
    assert outcome.new == [] and len(outcome.warnings) == 1
    assert url in outcome.warnings[0] and said in outcome.warnings[0] and "\n" not in outcome.warnings[0]
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert sorted(p.name for p in (data / "events/ucdp/raw").iterdir()) == raw_before


def test_an_address_that_is_no_url_is_a_fetch_error_naming_it(tmp_path):
    from sahelrisk.data.fetch import fetch_file
    from sahelrisk.errors import FetchError

    with pytest.raises(FetchError, match=r"http://\[::1/GEDEvent_v26_0_1.csv: not a URL this client can open"):
        fetch_file("http://[::1/GEDEvent_v26_0_1.csv", tmp_path / "x.csv", timeout=2)


def test_a_site_that_cannot_be_reached_is_one_line_and_a_non_zero_exit_not_nothing_new(tmp_path):
    import socket

    with socket.socket() as probe:              # a port of this machine where nothing listens
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    env = {**os.environ, "SAHELRISK_UCDP_URL": f"http://127.0.0.1:{closed}/"}
    args = [sys.executable, "-m", "sahelrisk.cli", "data", "update", "--data-dir", str(tmp_path / "d"),
            "--countries", "MLI", "--timeout", "5"]
    result = subprocess.run(args, capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode != 0 and "nothing new" not in result.stdout and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: could not reach UCDP's site") and "the data held is unchanged" in lines[0]


def test_a_server_dripping_its_headers_is_cut_at_the_timeout_and_the_data_held_is_unchanged(site, tmp_path):
    import time
    data, manifest_before, raw_before = _held_three_releases(site, tmp_path)
    site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    site.faults["candidateged/GEDEvent_v26_0_7.csv"] = "drip_headers"   # 5 bytes a second, never a whole header
    started = time.monotonic()
    outcome = update_ucdp(data, until=UNTIL, retrieved_at="2026-11-28T03:00:00+00:00", base_url=site.url,
                          countries=SAHEL, timeout=3)
    assert time.monotonic() - started < 25                 # not the 40 s the drip would take, nor forever
    assert outcome.new == [] and len(outcome.warnings) == 1
    assert "did not send its answer's headers within 3 s" in outcome.warnings[0]
    assert (data / MANIFEST_PATH).read_bytes() == manifest_before
    assert sorted(p.name for p in (data / "events/ucdp/raw").iterdir()) == raw_before


def test_a_transfer_slower_than_the_stated_rate_is_stopped_as_stalled(site, tmp_path):
    from sahelrisk.data.fetch import fetch_file
    from sahelrisk.errors import FetchError
    site.publish(site.shared, "GEDEvent_v26_0_7.csv")
    site.faults["candidateged/GEDEvent_v26_0_7.csv"] = "drip"            # 5 bytes a second
    with pytest.raises(FetchError, match=r"the transfer stalled \(\d+ bytes/s over [23] s, under 100\) after \d+ bytes"):
        fetch_file(site.url + "candidateged/GEDEvent_v26_0_7.csv", tmp_path / "x.csv", timeout=5,
                   speed_limit=100, speed_time=2)
    assert not (tmp_path / "x.csv.part").exists()
