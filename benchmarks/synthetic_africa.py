"""A synthetic all-Africa region for the scale benchmark (issue 22): events drawn from a
spatio-temporal self-exciting (Hawkes) process fitted to the central Sahel's located events.

The process: events arrive at rate ``mu * h(x)`` per day and km (the background, ``h`` a density
over the area) and each event triggers others at rate ``alpha * beta * exp(-beta * dt)`` in time and
a Gaussian of ``sigma`` km in space (``alpha`` events on average: the branching ratio). It is
fitted by maximum likelihood to Mali, Burkina Faso and Niger's located UCDP events, with the
background's shape ``h`` taken from a histogram of their events on 2-degree squares. The synthetic
region is a rough outline of Africa (about 30 million km2, 250,000 cells at 0.1 degree) whose
2-degree squares each take the background density of a Sahel square drawn at random, so hotspots
and quiet areas alternate as they do in the Sahel. Fatalities, violence types and location
precision are drawn from the Sahel's events. The layers (roads, mines, places, displacement) are
synthetic and small: the benchmark measures the pipeline's cost, not its skill.

The region is one synthetic country carrying the code ``MLI`` (the grid is cut per known country);
nothing of it is real beyond the fitted parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import optimize
from shapely.geometry import LineString, Point, Polygon, box

AFRICA = Polygon([
    (-5.9, 35.8), (-1.0, 35.3), (3.0, 36.8), (10.2, 37.2), (11.1, 35.2), (10.2, 33.8), (11.5, 33.0), (15.3, 32.3),
    (19.9, 30.9), (20.1, 32.3), (23.0, 32.6), (25.2, 31.6), (29.9, 31.2), (32.3, 31.3), (32.6, 29.9), (33.6, 27.2),
    (35.6, 23.9), (37.3, 18.9), (38.6, 17.9), (39.7, 15.5), (43.1, 12.7), (44.0, 10.4), (51.2, 11.8), (51.0, 10.4),
    (49.0, 6.0), (47.8, 4.2), (44.0, 1.0), (41.5, -1.7), (39.7, -4.0), (39.3, -6.8), (40.4, -10.3), (40.6, -15.0),
    (36.9, -17.9), (35.3, -22.0), (35.5, -24.0), (32.9, -25.9), (32.4, -28.6), (30.9, -29.9), (27.9, -33.0),
    (25.6, -34.0), (20.0, -34.8), (18.4, -34.2), (17.9, -31.5), (16.5, -28.6), (15.2, -26.7), (14.5, -22.9),
    (11.8, -17.3), (13.2, -12.3), (13.4, -8.8), (12.3, -6.1), (9.3, -0.7), (9.4, 3.9), (8.4, 4.5), (6.0, 4.3),
    (3.4, 6.4), (1.2, 6.1), (-3.0, 5.0), (-7.5, 4.4), (-11.5, 6.9), (-13.2, 8.5), (-15.0, 10.9), (-16.7, 12.4),
    (-17.5, 14.7), (-16.0, 18.0), (-17.0, 21.0), (-13.1, 27.7), (-9.8, 29.9), (-6.8, 34.0),
])
SQUARE_DEG = 2.0
KM_PER_DEG_LAT = 110.57


@dataclass(frozen=True)
class Hawkes:
    """A fitted process: ``mu`` background events a day over the fitted area, ``alpha`` events
    triggered per event, ``beta`` per day (mean delay ``1 / beta``), ``sigma`` km."""

    mu: float
    alpha: float
    beta: float
    sigma: float
    area_km2: float
    events: int
    days: float
    log_likelihood: float

    def as_dict(self) -> dict:
        return {k: round(float(v), 6) for k, v in self.__dict__.items()}


def _km(lon: np.ndarray, lat: np.ndarray, lat0: float) -> tuple[np.ndarray, np.ndarray]:
    """Equirectangular kilometres around ``lat0`` (fine over a few hundred km, the kernel's reach)."""
    return lon * KM_PER_DEG_LAT * np.cos(np.radians(lat0)), lat * KM_PER_DEG_LAT


def _square_area_km2(south: np.ndarray) -> np.ndarray:
    """Area of 2-degree squares whose southern edge is at ``south``."""
    north = south + SQUARE_DEG
    return (6371.0 ** 2) * np.radians(SQUARE_DEG) * np.abs(np.sin(np.radians(north)) - np.sin(np.radians(south)))


def background_squares(events: pd.DataFrame) -> pd.DataFrame:
    """The Sahel's events per 2-degree square, with each square's area and share of the events."""
    sq = pd.DataFrame({"col": np.floor(events["longitude"] / SQUARE_DEG), "row": np.floor(events["latitude"] / SQUARE_DEG)})
    counts = sq.value_counts().rename("events").reset_index()
    counts["area_km2"] = _square_area_km2(counts["row"].to_numpy() * SQUARE_DEG)
    counts["share"] = counts["events"] / counts["events"].sum()
    return counts


def fit_hawkes(events: pd.DataFrame, area_km2: float, *, max_days: float = 365.0, max_km: float = 300.0) -> Hawkes:
    """Maximum-likelihood fit of the process to ``events`` (``date_start``, ``longitude``,
    ``latitude``) over an area of ``area_km2``.

    Pairs farther apart than ``max_days`` or ``max_km`` are taken not to trigger each other (the
    fitted kernel is far inside both).
    """
    events = events.sort_values("date_start", kind="stable")
    t = ((events["date_start"] - events["date_start"].min()).dt.days.to_numpy()).astype(float)
    lat0 = float(events["latitude"].mean())
    x, y = _km(events["longitude"].to_numpy(), events["latitude"].to_numpy(), lat0)
    squares = background_squares(events)
    density = (squares.set_index(["col", "row"])["share"] / squares.set_index(["col", "row"])["area_km2"])
    h = density.reindex(pd.MultiIndex.from_arrays([np.floor(events["longitude"] / SQUARE_DEG),
                                                   np.floor(events["latitude"] / SQUARE_DEG)])).to_numpy()
    horizon = float(t.max() + 1)
    i_idx, j_idx = [], []
    for i in range(len(t)):   # earlier events within the cut-offs (times are sorted)
        first = np.searchsorted(t, t[i] - max_days, side="left")
        js = np.arange(first, i)
        near = (x[js] - x[i]) ** 2 + (y[js] - y[i]) ** 2 <= max_km ** 2
        i_idx.append(np.full(near.sum(), i))
        j_idx.append(js[near])
    ii, jj = np.concatenate(i_idx), np.concatenate(j_idx)
    dt, d2 = t[ii] - t[jj], (x[ii] - x[jj]) ** 2 + (y[ii] - y[jj]) ** 2

    def negative_log_likelihood(theta: np.ndarray) -> float:
        mu, alpha, beta, sigma = np.exp(theta)
        trig = alpha * beta * np.exp(-beta * dt) * np.exp(-d2 / (2 * sigma ** 2)) / (2 * np.pi * sigma ** 2)
        rate = mu * h + np.bincount(ii, weights=trig, minlength=len(t))
        compensator = mu * horizon + alpha * np.sum(1 - np.exp(-beta * (horizon - t)))
        return float(compensator - np.sum(np.log(rate)))

    # Events share coordinates (a village, a district's centre): without a floor the spatial kernel
    # collapses on them. Bounds: sigma 5-300 km, a delay of 1 to 365 days, a branching ratio below 1.
    bounds = np.log([(1e-4, 1e3), (1e-3, 0.99), (1 / 365, 1.0), (5.0, max_km)])
    start = np.log([len(t) / horizon / 2, 0.5, 1 / 30, 30.0])
    fit = optimize.minimize(negative_log_likelihood, start, method="L-BFGS-B", bounds=bounds)
    mu, alpha, beta, sigma = np.exp(fit.x)
    return Hawkes(mu, alpha, beta, sigma, area_km2, len(t), horizon, -fit.fun)


def simulate(process: Hawkes, squares: pd.DataFrame, region: Polygon, start: date, end: date, seed: int
             ) -> pd.DataFrame:
    """Events over ``region`` from ``start`` to ``end``: the process with each of the region's
    2-degree squares given the background density of a Sahel square drawn at random."""
    rng = np.random.default_rng(seed)
    days = (pd.Timestamp(end) - pd.Timestamp(start)).days
    west, south, east, north = region.bounds
    cols = np.arange(np.floor(west / SQUARE_DEG), np.ceil(east / SQUARE_DEG))
    rows = np.arange(np.floor(south / SQUARE_DEG), np.ceil(north / SQUARE_DEG))
    grid = pd.DataFrame([(c, r) for c in cols for r in rows], columns=["col", "row"])
    cells = gpd.GeoSeries([box(c * SQUARE_DEG, r * SQUARE_DEG, (c + 1) * SQUARE_DEG, (r + 1) * SQUARE_DEG)
                           for c, r in zip(grid["col"], grid["row"])], crs="EPSG:4326")
    land = cells.intersection(region)
    grid["land_share"] = (land.to_crs("ESRI:54009").area / cells.to_crs("ESRI:54009").area).to_numpy()
    grid = grid[grid["land_share"] > 0].reset_index(drop=True)
    grid["area_km2"] = _square_area_km2(grid["row"].to_numpy() * SQUARE_DEG) * grid["land_share"]
    # per km2 a day: the Sahel's background rate spread by its squares' shares, one square drawn per square here
    sahel_density = (process.mu * squares["share"] / squares["area_km2"]).to_numpy()
    grid["rate"] = rng.choice(sahel_density, len(grid)) * grid["area_km2"]
    n = rng.poisson(grid["rate"].to_numpy() * days)
    which = np.repeat(np.arange(len(grid)), n)
    lon = (grid["col"].to_numpy()[which] + rng.random(len(which))) * SQUARE_DEG
    lat = (grid["row"].to_numpy()[which] + rng.random(len(which))) * SQUARE_DEG
    t = rng.random(len(which)) * days
    generation = [(t, lon, lat)]
    while len(generation[-1][0]):   # offspring of the last generation, until none is born in the window
        pt, plon, plat = generation[-1]
        k = rng.poisson(process.alpha, len(pt))
        parent = np.repeat(np.arange(len(pt)), k)
        ct = pt[parent] + rng.exponential(1 / process.beta, len(parent))
        dx, dy = rng.normal(0, process.sigma, (2, len(parent)))
        clat = plat[parent] + dy / KM_PER_DEG_LAT
        clon = plon[parent] + dx / (KM_PER_DEG_LAT * np.cos(np.radians(clat)))
        keep = ct < days
        generation.append((ct[keep], clon[keep], clat[keep]))
    t = np.concatenate([g[0] for g in generation])
    lon = np.concatenate([g[1] for g in generation])
    lat = np.concatenate([g[2] for g in generation])
    inside = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").within(region).to_numpy()
    dates = pd.Timestamp(start) + pd.to_timedelta(np.floor(t[inside]), unit="D")
    return pd.DataFrame({"date_start": dates, "longitude": lon[inside], "latitude": lat[inside]})


def synthetic_inputs(process_events: pd.DataFrame, sahel_events: pd.DataFrame, region: Polygon, seed: int):
    """:class:`~sahelrisk.features.panel.PanelInputs` of the synthetic region: its events with
    fatalities, types and precision drawn from the Sahel's, and small synthetic layers."""
    from sahelrisk.features.panel import PanelInputs
    rng = np.random.default_rng(seed)
    n = len(process_events)
    pick = rng.integers(0, len(sahel_events), n)
    lon, lat = process_events["longitude"].to_numpy(), process_events["latitude"].to_numpy()
    events = gpd.GeoDataFrame({
        "event_id": [f"s{i}" for i in range(n)], "source": "ucdp_ged", "release": "synthetic",
        "date_start": process_events["date_start"].to_numpy(), "date_end": process_events["date_start"].to_numpy(),
        "date_precision": 1, "latitude": lat, "longitude": lon,
        "geo_precision": sahel_events["geo_precision"].to_numpy()[pick], "has_location": True, "country_iso3": "MLI",
        "violence_type": sahel_events["violence_type"].to_numpy()[pick],
        "fatalities_best": sahel_events["fatalities_best"].to_numpy()[pick].astype(float),
    }, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    west, south, east, north = region.bounds

    def points(k: int) -> list[Point]:
        out: list[Point] = []
        while len(out) < k:
            p = Point(rng.uniform(west, east), rng.uniform(south, north))
            if region.contains(p):
                out.append(p)
        return out

    admin0 = gpd.GeoDataFrame({"country_iso3": ["MLI"], "pcode": ["MLI"], "name": ["Synthetic Africa"]},
                              geometry=[region], crs="EPSG:4326")
    admin1 = gpd.GeoDataFrame({"country_iso3": ["MLI"], "pcode": ["ML99"], "name": ["Synthetic"], "adm1_pcode": [None]},
                              geometry=[region], crs="EPSG:4326")
    admin2 = gpd.GeoDataFrame({"country_iso3": ["MLI"], "pcode": ["ML9901"], "name": ["Synthetic"],
                               "adm1_pcode": ["ML99"], "area_km2": [1.0]}, geometry=[region], crs="EPSG:4326")
    mines = points(400)
    mining = gpd.GeoDataFrame({"site_id": [f"m{i}" for i in range(len(mines))], "site_kind": "facility",
                               "is_gold": rng.random(len(mines)) < 0.5, "country_iso3": "MLI"},
                              geometry=mines, crs="EPSG:4326")
    towns = points(600)
    roads = gpd.GeoDataFrame({"road_id": [f"r{i}" for i in range(300)], "importance": rng.uniform(1, 100, 300)},
                             geometry=[LineString([towns[i], towns[(i * 7 + 1) % len(towns)]]) for i in range(300)],
                             crs="EPSG:4326")
    places = gpd.GeoDataFrame({"place_id": [f"p{i}" for i in range(len(towns))], "place_kind": "town", "capital": None,
                               "population": rng.uniform(1e4, 1e6, len(towns)), "country_iso3": "MLI"},
                              geometry=towns, crs="EPSG:4326")
    displacement = pd.DataFrame({"country_iso3": "MLI", "admin_level": [0, 0], "admin_pcode": ["MLI", "MLI"],
                                 "reference_date": pd.to_datetime(["2015-12-31", "2020-12-31"]),
                                 "idps": [1e5, 3e5], "layout": ["idmc_country_year", "idmc_country_year"]})
    layers = {"admin0": admin0, "admin1": admin1, "admin2": admin2, "mining_sites": mining, "roads": roads,
              "places": places, "displacement": displacement}
    return PanelInputs(events=events, layers=layers, as_of=date(2024, 1, 1), fingerprint=f"synthetic-africa-{seed}")


def region_area_km2(region: Polygon) -> float:
    return float(gpd.GeoSeries([region], crs="EPSG:4326").to_crs("ESRI:54009").area.iloc[0] / 1e6)
