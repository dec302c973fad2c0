"""Published weeks frozen in a hash-chained ledger: any change to what was frozen is named."""

import json

import pytest

from sahelrisk.errors import DataError
from sahelrisk.publishing.ledger import check_ledger, freeze, on_time, read_ledger, revisions


def _publish(out, week, probability):
    folder = out / week
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "risk_adm2.csv").write_text(f"adm2_pcode,probability\nML0101,{probability}\n")
    (folder / "run.json").write_text(json.dumps({"week": week, "model": "m", "model_version": "3",
                                                 "mlflow_run_id": "abc", "feature_spec": {"name": "default"},
                                                 "model_identity": {"horizon_weeks": 4}, "horizon_weeks": 4,
                                                 "as_of": week}))
    return freeze(folder, vintage={"as_of": week, "datasets": {"ged": {"files": {"g.csv": "00ff"}}}},
                  published_at=f"{week}T06:00:00+00:00")


@pytest.fixture
def ledger(tmp_path):
    out = tmp_path / "outputs"
    _publish(out, "2023-01-02", 0.1)
    _publish(out, "2023-01-09", 0.2)
    _publish(out, "2023-01-02", 0.7)   # published again: a second revision of the first week
    return out


def test_publishing_a_week_again_adds_a_revision_and_keeps_the_first(ledger):
    assert [(e["week"], e["revision"]) for e in read_ledger(ledger)] == [("2023-01-02", 1), ("2023-01-09", 1),
                                                                       ("2023-01-02", 2)]
    first = on_time(ledger)["2023-01-02"]
    assert first.revision == 1 and "0.1" in first.read("risk_adm2.csv").read_text()
    assert "0.7" in (ledger / "2023-01-02" / "risk_adm2.csv").read_text()   # planners read the newest
    manifest = first.manifest
    assert manifest["model"] == {"name": "m", "version": "3", "run_id": "abc"} and len(manifest["spec_sha256"]) == 64
    assert set(manifest["files"]) == {"risk_adm2.csv", "run.json"} and manifest["data"]["datasets"]["ged"]
    assert manifest["published_at"] == "2023-01-02T06:00:00+00:00"
    assert check_ledger(ledger) == []
    assert [r.revision for r in revisions(ledger)] == [1, 1, 2]


def test_a_frozen_file_edited_cut_or_deleted_is_named_with_its_revision(ledger):
    frozen = ledger / "ledger" / "2023-01-02" / "r1"
    (frozen / "risk_adm2.csv").write_text("adm2_pcode,probability\nML0101,0.9\n")
    assert check_ledger(ledger) == ["week 2023-01-02 revision 1: risk_adm2.csv changed since it was frozen (edited or cut)"]
    (frozen / "risk_adm2.csv").write_text("")
    assert "risk_adm2.csv changed" in check_ledger(ledger)[0]
    (frozen / "risk_adm2.csv").unlink()
    assert check_ledger(ledger) == ["week 2023-01-02 revision 1: risk_adm2.csv is missing (deleted)"]


def test_a_deleted_revision_or_an_added_file_is_named(ledger):
    import shutil
    (ledger / "ledger" / "2023-01-09" / "r1" / "notes.txt").write_text("later")
    assert check_ledger(ledger) == ["week 2023-01-09 revision 1: files added since it was frozen: notes.txt"]
    shutil.rmtree(ledger / "ledger" / "2023-01-09" / "r1")
    assert check_ledger(ledger)[0].startswith("week 2023-01-09 revision 1: ") and "deleted" in check_ledger(ledger)[0]


def test_ledger_lines_reordered_removed_or_edited_break_the_chain(ledger):
    path = ledger / "ledger" / "ledger.jsonl"
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[1], lines[0], lines[2]]) + "\n")
    problems = check_ledger(ledger)
    assert any("ledger line 1 (week 2023-01-09 revision 1): out of order" in p for p in problems)
    assert any("the chain is broken" in p for p in problems)
    path.write_text("\n".join(lines[:2]) + "\n")             # the last line cut off
    assert check_ledger(ledger) == [f"{ledger / 'ledger' / '2023-01-02' / 'r2'}: frozen but not in the ledger "
                                    "(ledger lines were removed or the ledger was cut)"]
    edited = json.loads(lines[0])
    edited["manifest_sha256"] = "0" * 64
    path.write_text("\n".join([json.dumps(edited), *lines[1:]]) + "\n")
    assert any("its own hash does not match its fields" in p for p in check_ledger(ledger))
    path.write_text("not json\n")
    assert check_ledger(ledger)[0].endswith("line 1 is not a ledger entry (Expecting value: line 1 column 1 (char 0)); "
                                            "restore the ledger from a backup")
    with pytest.raises(DataError, match="line 1 is not a ledger entry"):
        read_ledger(ledger)


def test_an_edited_manifest_is_named(ledger):
    manifest = ledger / "ledger" / "2023-01-09" / "r1" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"version": "3"', '"version": "4"'))
    assert check_ledger(ledger) == ["week 2023-01-09 revision 1: manifest.json changed since it was frozen"]
