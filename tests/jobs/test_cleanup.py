"""What a run stopped mid-write leaves behind: removed, except a published folder's only copy."""

from sahelrisk.jobs.weekly import cleanup_leftovers


def test_leftovers_are_removed_and_a_weeks_only_copy_is_put_back(tmp_path):
    out = tmp_path / "out"
    (out / ".2023-12-25-old").mkdir(parents=True)                # the week's only copy
    (out / ".2023-12-25-old" / "run.json").write_text("published")
    (out / ".2023-12-25-k3j2").mkdir()                           # the half-written new one
    (out / "2023-12-18").mkdir()
    (out / ".2023-12-18-old").mkdir()                            # a stale copy beside a live week
    done = cleanup_leftovers(out)
    assert (out / "2023-12-25" / "run.json").read_text() == "published"
    assert sorted(p.name for p in out.iterdir()) == ["2023-12-18", "2023-12-25"]
    assert sum(d.startswith("restored ") for d in done) == 1 and len(done) == 3
