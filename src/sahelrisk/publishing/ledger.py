"""Every published week frozen: a copy of its folder with a manifest, in an append-only ledger
whose entries are chained by hash.

``<out>/<week>/`` is what planners read: the newest revision of the week. Each time a week is
published its folder is also frozen as ``<out>/ledger/<week>/r<N>/`` with ``manifest.json`` (the
SHA-256 of every file, the model, the spec's hash and the data vintage), and one line is added to
``<out>/ledger/ledger.jsonl``: the week, the revision, the manifest's SHA-256, the hash of the line
before and its own hash. A week published again (a new model, revised data) adds revision N+1;
revision 1 stays, and is the one the track record scores as "what was published on time".

:func:`check_ledger` recomputes every hash: a frozen file edited, cut or deleted, a frozen
folder the ledger does not list, or a ledger line edited, removed or moved is named.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from sahelrisk.data.fetch import sha256_of
from sahelrisk.errors import DataError
from sahelrisk.files import write_folder_atomic, write_text_atomic

__all__ = ["freeze", "read_ledger", "revisions", "on_time", "check_ledger", "Revision", "LEDGER_DIR", "LEDGER_FILE",
           "MANIFEST"]

LEDGER_DIR = "ledger"
LEDGER_FILE = "ledger.jsonl"
MANIFEST = "manifest.json"
_GENESIS = "0" * 64


@dataclass(frozen=True)
class Revision:
    """One frozen revision of a published week.

    Attributes
    ----------
    week : str
        The Monday forecast from (``YYYY-MM-DD``).
    revision : int
        1 for the first publication of the week, then 2, 3...
    path : pathlib.Path
        Its frozen folder.
    manifest : dict
        What ``manifest.json`` holds.
    """

    week: str
    revision: int
    path: Path
    manifest: dict

    def read(self, name: str) -> Path:
        """The path of one of its files."""
        return self.path / name


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _link(previous: str, week: str, revision: int, manifest_sha256: str) -> str:
    return _sha256_text(f"{previous}|{week}|{revision}|{manifest_sha256}")


def _ledger_path(out_dir: Path) -> Path:
    return Path(out_dir) / LEDGER_DIR / LEDGER_FILE


def read_ledger(out_dir: str | Path) -> list[dict]:
    """The ledger's entries in order (empty when nothing was published yet).

    Raises
    ------
    DataError
        A line is not a ledger entry (named by its number).
    """
    path = _ledger_path(Path(out_dir))
    if not path.is_file():
        return []
    entries = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        try:
            entry = json.loads(line)
            if not isinstance(entry, dict) or not {"week", "revision", "manifest_sha256", "previous", "hash"} <= set(entry):
                raise ValueError("missing fields")
        except ValueError as e:
            raise DataError(f"{path} line {number} is not a ledger entry ({e}); restore the ledger from a backup") from None
        entries.append(entry)
    return entries


def freeze(folder: str | Path, *, vintage: dict | None = None, published_at: str | None = None) -> Revision:
    """Freeze a published week's folder as its next revision and add it to the ledger.

    Parameters
    ----------
    folder : path-like
        ``<out>/<week>/`` as just written (with its ``run.json``).
    vintage : dict, optional
        The data it was made from (:func:`sahelrisk.data.vintage.data_vintage`).
    published_at : str, optional
        When it was published (the caller's clock; the library has none).

    Returns
    -------
    Revision
    """
    folder = Path(folder)
    out_dir, week = folder.parent, folder.name
    run = json.loads((folder / "run.json").read_text("utf-8"))
    entries = read_ledger(out_dir)
    number = 1 + sum(1 for e in entries if e["week"] == week)
    files = {p.name: sha256_of(p) for p in sorted(folder.iterdir()) if p.is_file()}
    spec_text = json.dumps({"feature_spec": run.get("feature_spec"), "identity": run.get("model_identity")},
                           sort_keys=True, default=str)
    manifest = {"week": week, "revision": number, "published_at": published_at, "files": files,
                "model": {"name": run.get("model"), "version": run.get("model_version"),
                          "run_id": run.get("mlflow_run_id")},
                "spec_sha256": _sha256_text(spec_text), "horizon_weeks": run.get("horizon_weeks"),
                "as_of": run.get("as_of"), "data": vintage or {}}
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n"
    target = out_dir / LEDGER_DIR / week / f"r{number}"

    def fill(tmp: Path) -> None:
        for name in files:
            shutil.copy2(folder / name, tmp / name)
        (tmp / MANIFEST).write_text(text, encoding="utf-8")

    write_folder_atomic(target, fill)
    previous = entries[-1]["hash"] if entries else _GENESIS
    manifest_sha256 = _sha256_text(text)
    entry = {"seq": len(entries) + 1, "week": week, "revision": number, "manifest_sha256": manifest_sha256,
             "previous": previous, "hash": _link(previous, week, number, manifest_sha256)}
    lines = [json.dumps(e, sort_keys=True) for e in entries] + [json.dumps(entry, sort_keys=True)]
    write_text_atomic(_ledger_path(out_dir), "\n".join(lines) + "\n")
    return Revision(week, number, target, manifest)


def revisions(out_dir: str | Path) -> list[Revision]:
    """Every frozen revision, in the ledger's order."""
    root = Path(out_dir) / LEDGER_DIR
    found = []
    for entry in read_ledger(out_dir):
        path = root / entry["week"] / f"r{entry['revision']}"
        manifest = json.loads((path / MANIFEST).read_text("utf-8")) if (path / MANIFEST).is_file() else {}
        found.append(Revision(entry["week"], int(entry["revision"]), path, manifest))
    return found


def on_time(out_dir: str | Path) -> dict[str, Revision]:
    """Each week's first revision (what was published on time), by week."""
    first: dict[str, Revision] = {}
    for revision in revisions(out_dir):
        if revision.revision == 1:
            first[revision.week] = revision
    return dict(sorted(first.items()))


def check_ledger(out_dir: str | Path) -> list[str]:
    """Every way the frozen weeks differ from what the ledger says, one line each (empty: intact).

    Checks the chain of hashes line by line, each revision's manifest against its hash, each file
    against the manifest, and that every frozen folder is in the ledger.

    Parameters
    ----------
    out_dir : path-like
        The outputs folder.

    Returns
    -------
    list of str
        Problems, each naming the revision and the file or ledger line.
    """
    out_dir = Path(out_dir)
    root = out_dir / LEDGER_DIR
    try:
        entries = read_ledger(out_dir)
    except DataError as e:
        return [str(e)]
    problems = []
    previous, listed = _GENESIS, set()
    seen: dict[str, int] = {}
    for number, entry in enumerate(entries, start=1):
        week, revision = entry["week"], int(entry["revision"])
        where = f"ledger line {number} (week {week} revision {revision})"
        if entry.get("seq") != number:
            problems.append(f"{where}: out of order (it says it is entry {entry.get('seq')})")
        if entry["previous"] != previous:
            problems.append(f"{where}: the chain is broken (it does not follow the line before; a line was "
                            "removed, moved or edited)")
        if entry["hash"] != _link(entry["previous"], week, revision, entry["manifest_sha256"]):
            problems.append(f"{where}: its own hash does not match its fields (the line was edited)")
        if revision != seen.get(week, 0) + 1:
            problems.append(f"{where}: expected revision {seen.get(week, 0) + 1} of that week")
        seen[week] = revision
        previous = entry["hash"]
        folder = root / week / f"r{revision}"
        listed.add(folder)
        problems += _check_revision(folder, entry["manifest_sha256"], f"week {week} revision {revision}")
    if root.is_dir():
        for folder in sorted(root.glob("*/r*")):
            if folder.is_dir() and folder not in listed:
                problems.append(f"{folder}: frozen but not in the ledger (ledger lines were removed or the ledger "
                                "was cut)")
    return problems


def _check_revision(folder: Path, manifest_sha256: str, where: str) -> list[str]:
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        return [f"{where}: {folder} is missing (deleted)"]
    text = manifest_path.read_text("utf-8")
    if _sha256_text(text) != manifest_sha256:
        return [f"{where}: {MANIFEST} changed since it was frozen"]
    manifest = json.loads(text)
    problems = []
    for name, digest in manifest["files"].items():
        path = folder / name
        if not path.is_file():
            problems.append(f"{where}: {name} is missing (deleted)")
        elif sha256_of(path) != digest:
            problems.append(f"{where}: {name} changed since it was frozen (edited or cut)")
    extra = sorted(p.name for p in folder.iterdir() if p.name not in manifest["files"] and p.name != MANIFEST)
    if extra:
        problems.append(f"{where}: files added since it was frozen: {', '.join(extra)}")
    return problems
