import pytest

from sahelrisk.data.catalog import load_catalog
from sahelrisk.data.fetch import sha256_of
from sahelrisk.data.sources import LOADERS
from sahelrisk.errors import SpecError


def test_every_dataset_names_a_known_loader_and_has_licence_and_source(catalog):
    for dataset in catalog:
        assert dataset.loader in LOADERS or dataset.loader == "none", dataset.name
        assert dataset.licence and dataset.official.startswith("https://"), dataset.name


def test_every_catalog_file_exists_in_the_real_data_with_its_checksum(real_data, catalog):
    for dataset in catalog:
        if dataset.written_by_update:
            continue
        for entry in dataset.files:
            path = real_data / entry.path
            assert path.is_file(), entry.path
            assert entry.sha256 is not None and sha256_of(path) == entry.sha256, entry.path


def test_catalog_checksums_agree_with_the_data_folder_sha256sums(real_data, catalog):
    sums = dict(line.split()[::-1] for line in (real_data / "events/SHA256SUMS").read_text().splitlines() if line.strip())
    for dataset in catalog.of_kind("events"):
        for entry in dataset.files if not dataset.written_by_update else ():
            assert sums[entry.path.removeprefix("events/")] == entry.sha256


def test_bad_catalogs_fail_with_the_entry_named(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[datasets.x]\ntitle = "t"\nkind = "events"\nloader = "ucdp_events"\n')
    with pytest.raises(SpecError, match=r"\[datasets.x\]: 'files' is missing"):
        load_catalog(path)
    path.write_text('[datasets.x]\ntitle="t"\nkind="k"\nloader="l"\nfiles=[{path="../etc/passwd"}]\n')
    with pytest.raises(SpecError, match="must be relative to the data directory"):
        load_catalog(path)
    path.write_text("not = [valid")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_catalog(path)
    with pytest.raises(SpecError, match="not found"):
        load_catalog(tmp_path / "none.toml")


def test_unknown_dataset_lists_the_known_ones(catalog):
    with pytest.raises(SpecError, match="no dataset 'nope'.*ucdp_ged"):
        catalog["nope"]
