"""Maps of a scoring run: an interactive HTML map (one self-contained file, Leaflet inlined, no
network needed) and a static PNG for printed bulletins."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from jinja2 import Template

from sahelrisk.countries import known_countries, normalize_name
from sahelrisk.escaping import plot_text
from sahelrisk.i18n import Formatter, check_language, gettext
from sahelrisk.publishing.bulletin import template_environment, tier_name, violence_name
from sahelrisk.scoring.drivers import phrase_all
from sahelrisk.scoring.week import TIER_CUTS, TIERS

__all__ = ["interactive_map", "static_map", "hits_map", "largest_towns", "one_per_town", "TIER_COLOURS", "escape_text", "inline_leaflet",
           "add_place_labels", "legend_html"]

TIER_COLOURS = {"low": "#fef0d9", "elevated": "#fdcc8a", "high": "#fc8d59", "very high": "#d7301f"}


def escape_text(value: object) -> str:
    """Text from data made safe for every place the map puts it: HTML (tooltips and popups are
    HTML), attributes, the JSON inside a script block (no ``</script>``) and the JavaScript template
    literals folium wraps tooltips in (no backquote, ``${`` or trailing backslash)."""
    return (html.escape("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))
            .replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;"))


def safe_frame(frame: gpd.GeoDataFrame, keep: Sequence[str] = ("popup",)) -> gpd.GeoDataFrame:
    """Every text column escaped with :func:`escape_text` (``keep``: columns already built from escaped parts)."""
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and column not in keep and \
                (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = out[column].map(escape_text)
    return out


def _leaflet_assets() -> tuple[str, str]:
    base = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (base / "leaflet.js").read_text("utf-8"), (base / "leaflet.css").read_text("utf-8")


def inline_leaflet(page: str) -> str:
    """Replace every CDN script and stylesheet folium links with nothing but inlined Leaflet:
    the map must open from a USB stick in a field office."""
    js, css = _leaflet_assets()
    page = re.sub(r'<script src="https?://[^"]+"></script>\s*', "", page)
    page = re.sub(r'<link rel="stylesheet" href="https?://[^"]+"\s*/?>\s*', "", page)
    return page.replace("</head>", f"<style>{css}</style>\n<script>{js}</script>\n</head>", 1)


def legend_html(title: str, lang: str) -> str:
    """The tiers' legend of the interactive map, in ``lang``."""
    fmt = Formatter(lang)
    cuts = [0.0, *TIER_CUTS, 1.0]
    tiers = [{"colour": TIER_COLOURS[t], "name": tier_name(t, lang),
              "range": f"{fmt.percent(cuts[i])}–{fmt.percent(cuts[i + 1])}"} for i, t in enumerate(TIERS)]
    return _template(lang, "map_legend.html.j2").render(title=title, tiers=tiers)


def _template(lang: str, name: str) -> Template:
    return template_environment(lang).get_template(name)


def _popup(row: pd.Series, lang: str, fmt: Formatter) -> str:
    """The cell's popup as HTML: every value from data goes through :func:`escape_text`."""
    deaths = ""
    if "p_10plus_deaths" in row and pd.notna(row.get("p_10plus_deaths")):
        deaths = "<br>" + gettext(lang, "expected deaths %(n)s (90%% interval %(low)s–%(high)s), 10+ deaths %(p)s",
                                  n=escape_text(fmt.number(row["deaths_expected"])), low=escape_text(fmt.number(row["deaths_q05"])),
                                  high=escape_text(fmt.number(row["deaths_q95"])), p=escape_text(fmt.percent(row["p_10plus_deaths"])))
    return gettext(lang, "<b>%(unit)s</b> %(area)s, %(region)s<br>probability %(p)s (%(tier)s), rank %(rank)s<br>"
                         "change vs last week %(change)s<br>drivers: %(drivers)s",
                   unit=escape_text(row["unit_id"]), area=escape_text(row.get("adm2_name")), region=escape_text(row.get("adm1_name")),
                   p=escape_text(fmt.percent(row["probability"])), tier=escape_text(tier_name(row["risk_tier"], lang)),
                   rank=escape_text(row["rank"]), change=escape_text(fmt.points(row["change_vs_last_week"])),
                   drivers=escape_text("; ".join(_driver_lines(row, lang)) or "-")) + deaths


def _driver_lines(row: pd.Series, lang: str) -> list[str]:
    records = row.get("driver_records")
    if isinstance(records, str):
        return phrase_all(records, lang)
    text = row.get("top_drivers")
    return [text] if isinstance(text, str) and text else []


def _places(places: gpd.GeoDataFrame | None, countries: set[str]) -> list[dict]:
    """Towns to label, largest first, each with the zoom from which it shows: bigger towns earlier,
    and a town only once no larger labelled town lies within a few label widths (Bamako's suburbs
    would otherwise cover its name)."""
    if places is None or not len(places):
        return []
    towns = places[(places["place_kind"] == "town") & places["country_iso3"].isin(sorted(countries))]
    towns = towns.sort_values("population", ascending=False, kind="stable").drop_duplicates("name")
    population = towns["population"].fillna(0).to_numpy()
    base = np.select([population >= 200_000, population >= 50_000, population >= 15_000], [5, 7, 8], 9)
    xy = np.column_stack([towns.geometry.x, towns.geometry.y])
    shown = np.zeros(len(towns), dtype=int)
    for i in range(len(towns)):
        zoom = int(base[i])
        while zoom < 12:
            near = np.hypot(*(xy[:i] - xy[i]).T) < 2.4 / 2 ** (zoom - 5)    # about 120 px at any zoom
            if not (near & (shown[:i] <= zoom)).any():
                break
            zoom += 1
        shown[i] = zoom
    return [{"name": str(name), "lat": round(float(y), 4), "lon": round(float(x), 4), "min_zoom": int(z), "rank": i}
            for i, (name, (x, y), z) in enumerate(zip(towns["name"], xy, shown))]


def _country_labels(countries: gpd.GeoDataFrame | None, lang: str) -> list[dict]:
    if countries is None or not len(countries):
        return []
    fmt = Formatter(lang)
    out = []
    for _, c in countries.iterrows():
        point = c.geometry.representative_point()
        iso2 = known_countries().get(c["country_iso3"])
        out.append({"name": fmt.country(iso2.iso2) if iso2 else str(c.get("name", "")),
                    "lat": round(point.y, 3), "lon": round(point.x, 3)})
    return out


def add_place_labels(fmap: folium.Map, places: gpd.GeoDataFrame | None, countries: gpd.GeoDataFrame | None, shown: set,
                     lang: str) -> None:
    """Town labels by size as the map zooms, country names, the place search box and the
    ``#place`` / ``#lat,lon,zoom`` address of the view (towns of the ``shown`` countries)."""
    import folium

    extras = _template(lang, "map_extras.html.j2").render(
        map_name=fmap.get_name(), places=_places(places, shown), countries=_country_labels(countries, lang),
        words={"not_found": gettext(lang, "no such place in the places layer")})
    fmap.get_root().html.add_child(folium.Element(extras))  # type: ignore[attr-defined]  # a Figure, typed as its base


def interactive_map(cells: gpd.GeoDataFrame, adm2: gpd.GeoDataFrame | None = None, events: pd.DataFrame | None = None,
                    mining: gpd.GeoDataFrame | None = None, roads: gpd.GeoDataFrame | None = None,
                    title: str = "Risk of a fatal attack", *, places: gpd.GeoDataFrame | None = None,
                    countries: gpd.GeoDataFrame | None = None, adm1: gpd.GeoDataFrame | None = None,
                    lang: str = "en") -> str:
    """The map as one self-contained HTML page in ``lang``.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        Scored units (``probability``, ``risk_tier``, ``rank``, names, drivers).
    adm2, events, mining, roads : optional
        Area outlines, recent events, mining sites and main roads, each a layer one can switch off.
    places : geopandas.GeoDataFrame, optional
        The places layer: towns are labelled by size as the map zooms and can be searched.
    countries : geopandas.GeoDataFrame, optional
        Country polygons (``country_iso3``), named in ``lang``.
    adm1 : geopandas.GeoDataFrame, optional
        Scored ADM1 areas: those of countries with no ADM2 area in ``adm2`` are outlined in a
        layer of their own (the coastal countries of a West Africa run).
    lang : {"fr", "en"}

    Returns
    -------
    str
        The page; it opens with no network (Leaflet is inlined) and ``#lat,lon,zoom`` or
        ``#place`` in its address opens it there.
    """
    import folium

    check_language(lang)
    fmt = Formatter(lang)
    bounds = cells.total_bounds
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=5,
                      tiles=None, control_scale=True, prefer_canvas=False)
    grid = cells[["unit_id", "adm1_name", "adm2_name", "probability", "risk_tier", "rank", "change_vs_last_week",
                  "geometry"]].copy()
    grid["popup"] = [_popup(r, lang, fmt) for _, r in cells.iterrows()]
    grid["p"] = [fmt.percent(v) for v in grid["probability"]]
    grid["tier"] = [tier_name(t, lang) for t in grid["risk_tier"]]
    grid = grid.drop(columns=["probability", "change_vs_last_week"])
    layer = folium.FeatureGroup(name=escape_text(gettext(lang, "Risk (cells)")), show=True)
    folium.GeoJson(
        safe_frame(grid).to_json(),
        style_function=lambda f: {"fillColor": TIER_COLOURS[html.unescape(f["properties"]["risk_tier"])], "color": "#777",
                                  "weight": 0.3, "fillOpacity": 0.75},
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=380),
        tooltip=folium.GeoJsonTooltip(fields=["unit_id", "adm2_name", "p", "tier"],
                                      aliases=[escape_text(w) for w in (gettext(lang, "cell"), gettext(lang, "area"),
                                                                    gettext(lang, "probability"), gettext(lang, "tier"))]),
        name="risk-cells").add_to(layer)
    layer.add_to(fmap)
    held = set(adm2["country_iso3"]) if adm2 is not None and "country_iso3" in adm2 else set()
    for level, areas_of_level, label in (("adm2", adm2, gettext(lang, "Areas (ADM2)")),
                                         ("adm1", adm1, gettext(lang, "Areas (ADM1)"))):
        if areas_of_level is None:
            continue
        if level == "adm1":   # only where no ADM2 area is drawn
            areas_of_level = areas_of_level[~areas_of_level["country_iso3"].isin(sorted(held))]
            if areas_of_level.empty:
                continue
        outlines = folium.FeatureGroup(name=escape_text(label), show=True)
        areas = areas_of_level[["unit_id", f"{level}_name", "probability", "geometry"]].copy()
        areas["p"] = [fmt.percent(v) for v in areas.pop("probability")]
        folium.GeoJson(safe_frame(areas).to_json(),
                       style_function=lambda f: {"fill": False, "color": "#333", "weight": 0.8},
                       tooltip=folium.GeoJsonTooltip(fields=[f"{level}_name", "p"], aliases=[
                           escape_text(gettext(lang, "area")), escape_text(gettext(lang, "probability"))]),
                       name=level).add_to(outlines)
        outlines.add_to(fmap)
    if events is not None and len(events):
        group = folium.FeatureGroup(name=escape_text(gettext(lang, "Events, last 4 weeks")), show=True)
        for _, e in events.iterrows():
            folium.CircleMarker([e["latitude"], e["longitude"]], radius=3 + min(float(e["fatalities_best"]), 40) ** 0.5,
                                color="#000", weight=1, fill=True, fill_color="#111", fill_opacity=0.7,
                                tooltip=gettext(lang, "%(date)s: %(n)s killed (%(kind)s)", date=escape_text(fmt.date(e["date_start"], "medium")),
                                                n=escape_text(fmt.number(e["fatalities_best"])),
                                                kind=escape_text(violence_name(e["violence_type"], lang)))).add_to(group)
        group.add_to(fmap)
    if mining is not None and len(mining):
        group = folium.FeatureGroup(name=escape_text(gettext(lang, "Mining sites")), show=False)
        for _, m in mining.iterrows():
            folium.CircleMarker([m.geometry.y, m.geometry.x], radius=3, color="#b8860b", fill=True,
                                tooltip=f"{escape_text(m['name'])} ({escape_text(m['site_kind'])}, {escape_text(m['commodity'] or '?')})"
                                ).add_to(group)
        group.add_to(fmap)
    if roads is not None and len(roads):
        group = folium.FeatureGroup(name=escape_text(gettext(lang, "Main roads")), show=False)
        folium.GeoJson(safe_frame(roads[["road_id", "geometry"]]).to_json(), style_function=lambda f: {"color": "#4a4a4a", "weight": 1.5},
                       name="roads").add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    root = fmap.get_root()
    root.html.add_child(folium.Element(legend_html(title, lang)))  # type: ignore[attr-defined]  # a Figure
    add_place_labels(fmap, places, countries, set(cells["country_iso3"].dropna()) if "country_iso3" in cells else set(),
                     lang)
    page = root.render()
    return inline_leaflet(page.replace("<html>", f'<html lang="{lang}">', 1))


def static_map(cells: gpd.GeoDataFrame, adm2: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, path: str | Path, *, title: str,
               subtitle: str, label_top: int = 10, lang: str = "en") -> None:
    """A printable PNG: cells by tier, country borders, the ``label_top`` highest-risk ADM2 labelled."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fmt = Formatter(lang)
    fig, ax = plt.subplots(figsize=(11, 8), dpi=110)
    cells.plot(ax=ax, color=cells["risk_tier"].map(TIER_COLOURS), edgecolor="#bbbbbb", linewidth=0.2)
    adm2.boundary.plot(ax=ax, color="#666666", linewidth=0.3)
    countries.boundary.plot(ax=ax, color="black", linewidth=1.0)
    for _, row in adm2.nsmallest(label_top, "rank").iterrows():
        point = row.geometry.representative_point()
        ax.annotate(plot_text(f"{row['rank']}. {row['adm2_name']} {fmt.percent(row['probability'])}"), (point.x, point.y),
                    fontsize=7.5, ha="center", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0.3})
    x0, y0, x1, y1 = cells.total_bounds
    ax.set_xlim(x0 - 0.3, x1 + 0.3)
    ax.set_ylim(y0 - 0.3, y1 + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    cuts = [0.0, *TIER_CUTS, 1.0]
    ax.legend(handles=[Patch(facecolor=TIER_COLOURS[t], edgecolor="#999",
                             label=f"{tier_name(t, lang)} ({fmt.percent(cuts[i])}–{fmt.percent(cuts[i + 1])})")
                       for i, t in enumerate(TIERS)], loc="lower left", title=gettext(lang, "risk tier"), fontsize=8)
    ax.set_title(plot_text(f"{title}\n{subtitle}"), fontsize=12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


HIT_COLOURS = {"hit": "#1a9641", "miss": "#d7191c", "false alarm": "#fdae61", "quiet": "#eeeeee"}
"""A verified week's cells: called with an attack, an attack not called, called with none, neither."""


def one_per_town(places: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The towns and cities of the places layer, one row a town: GeoNames' entry (its own centre
    and spelling, "Ségou") where Krantz's list of cities repeats it ("Segou")."""
    towns = places[places["place_kind"].isin(["town", "city"])]
    towns = towns.assign(_key=towns["name"].map(normalize_name)).sort_values(
        ["place_kind", "population"], ascending=False)   # "town" before "city"
    return towns.drop_duplicates(["_key", "country_iso3"]).drop(columns="_key")


def largest_towns(places: gpd.GeoDataFrame | None, bounds: tuple[float, float, float, float],
                   n: int = 20) -> list[dict]:
    """The ``n`` largest towns within ``bounds``, one label each (:func:`one_per_town`)."""
    if places is None or places.empty:
        return []
    x0, y0, x1, y1 = bounds
    towns = one_per_town(places.cx[x0:x1, y0:y1])
    return [{"name": str(t["name"]), "x": t.geometry.x, "y": t.geometry.y}
            for _, t in towns.nlargest(n, "population").iterrows()]


def hits_map(cells: gpd.GeoDataFrame, path: str | Path, *, week: str, lang: str = "en",
             countries: gpd.GeoDataFrame | None = None, adm1: gpd.GeoDataFrame | None = None,
             places: gpd.GeoDataFrame | None = None) -> None:
    """A printable PNG of a verified week: the cells called high or very high that saw a fatal
    attack (hits), the attacks in cells not called (misses) and the called cells that saw none.

    Parameters
    ----------
    cells : geopandas.GeoDataFrame
        The week's cells as published, with ``status`` (a key of :data:`HIT_COLOURS`).
    path : path-like
        The PNG written.
    week : str
        The week forecast from (``YYYY-MM-DD``).
    lang : {"fr", "en"}
    countries, adm1, places : geopandas.GeoDataFrame, optional
        The background: country borders, ADM1 outlines and the largest towns, named.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fmt = Formatter(lang)
    labels = {"hit": gettext(lang, "called, and a fatal attack"), "miss": gettext(lang, "a fatal attack, not called"),
              "false alarm": gettext(lang, "called, no fatal attack"), "quiet": gettext(lang, "neither")}
    fig, ax = plt.subplots(figsize=(11, 8), dpi=100)
    cells.plot(ax=ax, color=cells["status"].map(HIT_COLOURS), edgecolor="#cccccc", linewidth=0.2)
    x0, y0, x1, y1 = cells.total_bounds
    if adm1 is not None and len(adm1):
        adm1.cx[x0:x1, y0:y1].boundary.plot(ax=ax, color="#777777", linewidth=0.4)
    if countries is not None and len(countries):
        countries.cx[x0:x1, y0:y1].boundary.plot(ax=ax, color="black", linewidth=1.0)
    for town in largest_towns(places, (x0, y0, x1, y1)):
        ax.plot(town["x"], town["y"], "o", color="white", markeredgecolor="black", markersize=3)
        ax.annotate(plot_text(town["name"]), (town["x"], town["y"]), xytext=(3, 2), textcoords="offset points",
                    fontsize=7, bbox={"boxstyle": "round,pad=0.1", "fc": "white", "alpha": 0.7, "lw": 0})
    ax.set_xlim(x0 - 0.2, x1 + 0.2)
    ax.set_ylim(y0 - 0.2, y1 + 0.2)
    ax.set_aspect("equal")
    ax.set_axis_off()
    counts = cells["status"].value_counts()
    ax.legend(handles=[Patch(facecolor=colour, edgecolor="#999", label=f"{labels[name]} ({int(counts.get(name, 0))})")
                       for name, colour in HIT_COLOURS.items()], loc="lower left", fontsize=9)
    ax.set_title(plot_text(gettext(lang, "Week of %(week)s: the cells called high or very high, and the fatal attacks "
                                         "of the weeks forecast", week=fmt.date(week))), fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
