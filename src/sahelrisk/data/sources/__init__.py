"""One loader per source; each returns a validated canonical table in a :class:`LoadResult`.

``load_dataset`` dispatches on the catalog entry's ``loader``. Every loader takes the dataset,
the data directory, ``as_of`` (rows dated after it are rejected) and the countries in scope
(``None``: every country in the registry).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from sahelrisk.data.catalog import Catalog, Dataset
from sahelrisk.data.quarantine import LoadResult
from sahelrisk.data.sources.admin import load_admin_areas, load_pcodes
from sahelrisk.data.sources.aggregates import load_country_month, load_hno_population
from sahelrisk.data.sources.displacement import load_displacement
from sahelrisk.data.sources.events import (
    load_event_dataset,
    load_events,
    load_held_releases,
)
from sahelrisk.data.sources.mining import load_mining_sites
from sahelrisk.data.sources.places import load_places
from sahelrisk.data.sources.roads import load_road_corridors, load_road_network
from sahelrisk.errors import SpecError

__all__ = ["LOADERS", "load_dataset", "load_events", "checked_arguments"]

LOADERS: dict[str, Callable[..., LoadResult]] = {
    "ucdp_events": load_event_dataset,
    "acled_events": load_event_dataset,
    "ucdp_manifest": load_held_releases,
    "ucdp_country_month": load_country_month,
    "pcodes": load_pcodes,
    "admin_areas": load_admin_areas,
    "usgs_mining": load_mining_sites,
    "road_network": load_road_network,
    "road_corridors": load_road_corridors,
    "places": load_places,
    "displacement": load_displacement,
    "hno_population": load_hno_population,
}


def checked_arguments(data_dir: object, as_of: object, countries: object) -> tuple[Path, date, set[str] | None]:
    """The loaders' arguments as a caller may pass them, checked at the edge: a folder path, an ISO
    date (a ``date``, ``Timestamp`` or ``YYYY-MM-DD``; no time zone) and ISO3 codes (``"MLI"``,
    ``"MLI,BFA"`` or a list; a string is never read letter by letter).

    Raises
    ------
    SpecError
        Naming the argument and how to write it.
    """
    from sahelrisk.calendar import parse_date
    from sahelrisk.countries import country_codes
    if not isinstance(data_dir, (str, Path)):
        raise SpecError(f"data_dir must be a folder path, not {data_dir!r}")
    return Path(data_dir), parse_date(as_of, "as_of").date(), country_codes(countries)


def load_dataset(dataset: Dataset | str, data_dir: str | Path, *, as_of: date,
                 countries: set[str] | str | None = None, catalog: Catalog | None = None) -> LoadResult:
    """Load one catalog dataset (an entry or its name) from ``data_dir``.

    Parameters
    ----------
    dataset : Dataset or str
        A catalog entry, or its name (then ``catalog`` or the packaged catalog is used).
    data_dir : str or Path
        The data directory.
    as_of : date
        The data cut-off: rows dated later are quarantined.
    countries : str or set of str, optional
        ISO3 codes to keep (``"MLI"``, ``"MLI,BFA"`` or a set; default every known country).
    catalog : Catalog, optional

    Returns
    -------
    LoadResult
        The validated table, its quarantine (rejected rows with the reason) and counts.

    Raises
    ------
    DataFileError
        A file is missing or unreadable.
    SpecError
        An argument is not what it should be (named).
    """
    if isinstance(dataset, str):
        if catalog is None:
            from sahelrisk.data.catalog import load_catalog
            catalog = load_catalog()
        dataset = catalog[dataset]
    try:
        loader = LOADERS[dataset.loader]
    except KeyError:
        raise SpecError(f"dataset {dataset.name!r} names loader {dataset.loader!r}, which does not exist; "
                          f"known loaders: {', '.join(LOADERS)}") from None
    folder, cut_off, codes = checked_arguments(data_dir, as_of, countries)
    return loader(dataset, folder, as_of=cut_off, countries=codes)
