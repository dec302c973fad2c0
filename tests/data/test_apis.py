"""The credentialed sources against local servers: tokens, paging, an expiring token, incremental
reads and deletions; and no credential in any file a run writes."""

import os
import subprocess
import sys
from datetime import date

import pandas as pd
import pytest

from sahelrisk.data.apis import AcledApi, UcdpApi
from sahelrisk.data.manifest import Manifest
from sahelrisk.data.sources import load_events
from sahelrisk.data.update import update_acled, update_from_ucdp_api
from sahelrisk.errors import FetchError, SpecError
from tests.data.fake_apis import (
    ACLED_PASSWORD,
    ACLED_USER,
    UCDP_TOKEN,
    FakeAcledApi,
    FakeUcdpApi,
)
from tests.data.ucdp_site import CANDIDATES

SECRETS = [UCDP_TOKEN, ACLED_PASSWORD, "access-1", "refresh-1", "access-2", "refresh-2"]


@pytest.fixture
def july(real_data):
    frame = pd.read_csv(real_data / "events" / CANDIDATES["GEDEvent_v26_0_7.csv"], dtype=str, keep_default_na=False)
    return frame.to_dict("records")


def _acled_rows(n=12):
    rows = []
    for i in range(n):
        rows.append({
            "event_id_cnty": f"MLI{1000 + i}", "event_date": f"2026-07-{i + 1:02d}", "year": "2026",
            "time_precision": "1", "disorder_type": "Political violence",
            "event_type": "Violence against civilians" if i % 2 else "Battles", "sub_event_type": "Attack",
            "actor1": "JNIM", "assoc_actor_1": "", "inter1": "Rebel group", "actor2": "Civilians (Mali)",
            "assoc_actor_2": "", "inter2": "Civilians", "interaction": "Rebel group-Civilians",
            "civilian_targeting": "Civilian targeting" if i % 2 else "", "iso": "466", "region": "Western Africa",
            "country": "Mali", "admin1": "Segou", "admin2": "Niono", "admin3": "", "location": "Niono",
            "latitude": "14.25", "longitude": f"{-5.99 + i * 0.01:.2f}", "geo_precision": "1", "source": "Local",
            "source_scale": "National", "notes": "", "fatalities": str(i), "tags": "",
            "timestamp": str(1_780_000_000 + i)})
    return rows


def _no_secret_in(folder, *texts):
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for secret in SECRETS:
                assert secret.encode() not in data, f"{secret!r} written to {path}"
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def test_ucdp_api_without_the_token_is_refused_with_a_clear_error(july):
    with FakeUcdpApi({"26.0.7": july}) as server:
        with pytest.raises(FetchError, match=r"refused the token \(HTTP 401\); check \$SAHELRISK_UCDP_TOKEN") as e:
            UcdpApi(server.url + "api/", "wrong-token").events("26.0.7", [432])
        assert "wrong-token" not in str(e.value)
    with pytest.raises(SpecError, match="SAHELRISK_UCDP_TOKEN"):
        UcdpApi.from_env({})


def test_ucdp_api_pages_and_filters_by_gleditsch_ward_code(july):
    with FakeUcdpApi({"26.0.7": july}) as server:
        rows = UcdpApi(server.url + "api/", UCDP_TOKEN).events("26.0.7", [432], pagesize=40)
        pages = [q for p, q, _ in server.requests if p.endswith("26.0.7")]
    assert len(rows) == 130 and set(rows["country"]) == {"Mali"}                 # 130 Mali events in July
    assert [int(q["page"]) for q in pages] == [0, 1, 2, 3] and pages[0]["Country"] == "432"


def test_a_version_pulled_through_the_ucdp_api_is_a_held_release(july, tmp_path, catalog):
    with FakeUcdpApi({"26.0.7": july}) as server:
        api = UcdpApi(server.url + "api/", UCDP_TOKEN)
        outcome = update_from_ucdp_api(tmp_path, api, ["26.0.7"], retrieved_at="2026-11-28T03:00:00+00:00")
        again = update_from_ucdp_api(tmp_path, api, ["26.0.7"], retrieved_at="2026-11-28T04:00:00+00:00")
    assert outcome.new == ["candidate_26_0_7"] and again.nothing_new
    [entry] = Manifest.read(tmp_path).entries
    assert entry.url == server.url + "api/gedevents/26.0.7" and entry.rows == 191
    events = load_events(catalog, tmp_path, as_of=date(2026, 11, 28), datasets=["ucdp_updates"]).table
    assert len(events) == 191 and events["release"].eq("candidate_26_0_7").all()
    _no_secret_in(tmp_path)


def test_acled_logs_in_refreshes_an_expired_token_and_updates_incrementally(tmp_path):
    rows = _acled_rows()
    with FakeAcledApi(rows[:8], deleted=[], expire_every=2) as server:
        api = AcledApi(server.url, ACLED_USER, ACLED_PASSWORD)
        first = update_acled(tmp_path, api, countries=["MLI"])
        assert first == {"updated": 8, "deleted": 0, "rows": 8, "since": None}
        # ACLED revises one event, adds four, deletes two
        revised = dict(rows[3], fatalities="30", timestamp=str(1_780_000_100))
        server.rows = rows[:3] + [revised] + rows[4:]
        server.deleted = [{"event_id_cnty": "MLI1000", "deleted_timestamp": "1780000200"},
                          {"event_id_cnty": "MLI1001", "deleted_timestamp": "1780000201"}]
        second = update_acled(tmp_path, api, countries=["MLI"])
        assert "refresh_token" in server.grants and server.grants[0] == "password"
    assert second["since"] == 1_780_000_007 and second["updated"] == 5 and second["deleted"] == 2
    held = pd.read_csv(tmp_path / "events/acled/acled_api.csv", dtype=str).set_index("event_id_cnty")
    assert len(held) == 10 and "MLI1000" not in held.index and held.loc["MLI1003", "fatalities"] == "30"
    _no_secret_in(tmp_path)


def test_acled_wrong_password_is_a_clear_error():
    with FakeAcledApi(_acled_rows(), deleted=[]) as server:
        with pytest.raises(FetchError, match="ACLED refused the login") as e:
            AcledApi(server.url, ACLED_USER, "wrong").events(["Mali"])
        assert "wrong" not in str(e.value).replace("wrong-", "")


def test_cli_update_with_both_apis_writes_no_credential_anywhere(july, tmp_path):
    with FakeUcdpApi({"26.0.7": july}) as ucdp, FakeAcledApi(_acled_rows(), deleted=[]) as acled:
        env = {**os.environ, "SAHELRISK_UCDP_TOKEN": UCDP_TOKEN, "SAHELRISK_UCDP_API_URL": ucdp.url + "api/",
               "SAHELRISK_ACLED_USERNAME": ACLED_USER, "SAHELRISK_ACLED_PASSWORD": ACLED_PASSWORD,
               "SAHELRISK_ACLED_URL": acled.url, "SAHELRISK_UCDP_URL": ucdp.url, "SAHELRISK_LOG": "DEBUG"}
        result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "data", "update", "--data-dir",
                                 str(tmp_path / "d"), "--countries", "MLI,BFA,NER", "--ucdp-api", "26.0.7", "--acled"],
                                capture_output=True, text=True, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "new release candidate_26_0_7" in result.stdout and "ACLED: 12 events new or updated" in result.stdout
    _no_secret_in(tmp_path, result.stdout, result.stderr)
