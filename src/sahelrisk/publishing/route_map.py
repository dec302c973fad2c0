"""The map of a planned route: one self-contained HTML page like ``map.<lang>.html``, the route
coloured by the risk of each stretch, alternatives in grey, the cells, the fatal events near it
and the towns."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from sahelrisk.i18n import Formatter, check_language, gettext
from sahelrisk.publishing.bulletin import tier_name
from sahelrisk.publishing.maps import (
    TIER_COLOURS,
    add_place_labels,
    escape_text,
    inline_leaflet,
    largest_towns,
    legend_html,
    safe_frame,
)

__all__ = ["route_map", "route_label", "route_figure"]


def route_label(label: str, lang: str) -> str:
    """A route's name in ``lang``: the router's "fastest" and "alternative N" are translated, a
    track keeps its file name."""
    if label == "fastest":
        return gettext(lang, "fastest")
    number = label.removeprefix("alternative ")
    if number != label and number.isdigit():
        return gettext(lang, "alternative %(n)s", n=number)
    return label


def _segment_tooltip(row: pd.Series, lang: str, fmt: Formatter) -> str:
    return gettext(lang, "%(route)s, stretch %(n)s: %(p)s (%(tier)s), %(km)s km, %(events)s fatal events within "
                         "the corridor in the last 4 weeks, %(events52)s in 52 weeks",
                   route=escape_text(route_label(row["route"], lang)), n=escape_text(row["segment"]),
                   p=escape_text(fmt.percent(row["probability"])), tier=escape_text(tier_name(row["risk_tier"], lang)),
                   km=escape_text(fmt.number(row["km"])), events=escape_text(row["events_4w"]),
                   events52=escape_text(row["events_52w"]))


DISPLAY_TOLERANCE_DEG = 0.0003   # about 30 m: finer than the map shows, far coarser than a GPS log


def _for_display(line: LineString) -> BaseGeometry:
    """A line with the points the map cannot show dropped (a GPS track logs one a second); the
    scores, the GeoJSON and the CSV keep every point."""
    return line.simplify(DISPLAY_TOLERANCE_DEG, preserve_topology=False) if len(line.coords) > 2 else line


def route_map(segments: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, events: pd.DataFrame, *,
              places: gpd.GeoDataFrame | None = None, countries: gpd.GeoDataFrame | None = None,
              title: str = "", lang: str = "en") -> str:
    """The page of :func:`sahelrisk.routes.risk.assess_routes`' segments (the first route in
    colour, the others in grey), with the cells around and the events near the routes."""
    import folium

    check_language(lang)
    fmt = Formatter(lang)
    x0, y0, x1, y1 = segments.total_bounds
    pad = 0.3
    fmap = folium.Map(location=[(y0 + y1) / 2, (x0 + x1) / 2], zoom_start=7, tiles=None, control_scale=True)
    near = cells.cx[x0 - 1:x1 + 1, y0 - 1:y1 + 1][["unit_id", "probability", "risk_tier", "geometry"]].copy()
    near["p"] = [fmt.percent(v) for v in near.pop("probability")]
    group = folium.FeatureGroup(name=escape_text(gettext(lang, "Risk (cells)")), show=True)
    folium.GeoJson(safe_frame(near).to_json(), name="cells",
                   style_function=lambda f: {"fillColor": TIER_COLOURS.get(f["properties"]["risk_tier"], "#ccc"),
                                             "color": "#999", "weight": 0.3, "fillOpacity": 0.45},
                   tooltip=folium.GeoJsonTooltip(fields=["unit_id", "p"], aliases=[
                       escape_text(gettext(lang, "cell")), escape_text(gettext(lang, "probability"))])).add_to(group)
    group.add_to(fmap)
    labels = list(dict.fromkeys(segments["route"]))
    for k, label in enumerate(labels):
        part = segments[segments["route"] == label]
        layer = folium.FeatureGroup(name=escape_text(route_label(label, lang)), show=True)
        for _, row in part.iterrows():
            colour = TIER_COLOURS.get(row["risk_tier"], "#888") if k == 0 else "#8a8a8a"
            dashed = "connector" in str(row["kinds"])
            for line in getattr(row.geometry, "geoms", [row.geometry]):
                points = [(y, x) for x, y in _for_display(line).coords]
                folium.PolyLine(points, color="#222" if k == 0 else "#666", weight=9 if k == 0 else 6,
                                opacity=0.8).add_to(layer)
                folium.PolyLine(points, color=colour, weight=6 if k == 0 else 4, opacity=1,
                                dash_array="8 6" if dashed else None,
                                tooltip=_segment_tooltip(row, lang, fmt)).add_to(layer)
        layer.add_to(fmap)
    if events is not None and len(events):
        recent = events.cx[x0 - pad:x1 + pad, y0 - pad:y1 + pad] if isinstance(events, gpd.GeoDataFrame) else \
            events[events["longitude"].between(x0 - pad, x1 + pad) & events["latitude"].between(y0 - pad, y1 + pad)]
        group = folium.FeatureGroup(name=escape_text(gettext(lang, "Events, last 4 weeks")), show=True)
        for _, e in recent.iterrows():
            folium.CircleMarker([e["latitude"], e["longitude"]], radius=3 + min(float(e["fatalities_best"]), 40) ** 0.5,
                                color="#000", weight=1, fill=True, fill_color="#111", fill_opacity=0.7,
                                tooltip=gettext(lang, "%(date)s: %(n)s killed", date=escape_text(fmt.date(e["date_start"], "medium")),
                                                n=escape_text(fmt.number(e["fatalities_best"])))).add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[y0 - 0.1, x0 - 0.1], [y1 + 0.1, x1 + 0.1]])
    fmap.get_root().html.add_child(folium.Element(legend_html(title, lang)))  # type: ignore[attr-defined]  # a Figure
    add_place_labels(fmap, places, countries, set(cells["country_iso3"].dropna()), lang)
    return inline_leaflet(fmap.get_root().render().replace("<html>", f'<html lang="{lang}">', 1))


def route_figure(segments: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *, countries: gpd.GeoDataFrame | None = None,
                 roads: gpd.GeoDataFrame | None = None, places: gpd.GeoDataFrame | None = None,
                 events: pd.DataFrame | None = None, lang: str = "en") -> bytes:
    """A printable PNG of a planned route: the cells by tier, borders, roads and towns around it,
    the first route coloured stretch by stretch, the others dashed, the deadly events near it.

    Parameters
    ----------
    segments : geopandas.GeoDataFrame
        :func:`sahelrisk.routes.risk.assess_routes`' stretches (column ``route``).
    cells : geopandas.GeoDataFrame
        The week's scored cells.
    countries, roads, places : geopandas.GeoDataFrame, optional
        The basemap's layers (admin-0 polygons, road lines, towns with ``population``).
    events : pandas.DataFrame, optional
        The deadly events along the route (``latitude``, ``longitude``, ``fatalities_best``).
    lang : {"fr", "en"}

    Returns
    -------
    bytes
        The PNG.
    """
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from sahelrisk.escaping import plot_text
    from sahelrisk.routes.risk import route_line

    check_language(lang)
    x0, y0, x1, y1 = segments.total_bounds
    pad = max(0.25, 0.12 * max(x1 - x0, y1 - y0))
    x0, y0, x1, y1 = x0 - pad, y0 - pad, x1 + pad, y1 + pad
    # the page's 4:3 frame filled: the narrower side widened about the route's middle
    width, height = max(x1 - x0, 4 / 3 * (y1 - y0)), max(y1 - y0, 3 / 4 * (x1 - x0))
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1, y0, y1 = cx - width / 2, cx + width / 2, cy - height / 2, cy + height / 2
    fig, ax = plt.subplots(figsize=(8, 6), dpi=120)
    near = cells.cx[x0:x1, y0:y1]
    near.plot(ax=ax, color=near["risk_tier"].map(TIER_COLOURS).fillna("#eeeeee"), edgecolor="#cccccc", linewidth=0.2,
              alpha=0.8)
    if roads is not None and len(roads):
        roads.cx[x0:x1, y0:y1].plot(ax=ax, color="#8c5a2b", linewidth=0.6, alpha=0.7)
    if countries is not None and len(countries):
        countries.boundary.plot(ax=ax, color="black", linewidth=1.0)
    labels = list(dict.fromkeys(segments["route"]))
    for label in labels[1:]:
        line = route_line(segments, label)
        ax.plot(*line.xy, color="#555555", linewidth=1.5, linestyle="--")
    first = segments[segments["route"] == labels[0]]
    first.plot(ax=ax, color="#222222", linewidth=5)
    first.plot(ax=ax, color=first["risk_tier"].map(TIER_COLOURS).fillna("#bbbbbb"), linewidth=3)
    if events is not None and len(events):
        ax.scatter(events["longitude"], events["latitude"], s=8 + 4 * events["fatalities_best"].clip(upper=30),
                   color="black", alpha=0.5, zorder=5)
    named: list[tuple[float, float]] = []
    for town in largest_towns(places, (x0, y0, x1, y1), n=40):
        x, y = town["x"], town["y"]
        if len(named) >= 15 or any(abs(x - a) < width / 25 and abs(y - b) < height / 30 for a, b in named):
            continue   # a smaller town's label would sit on a larger one's
        named.append((x, y))
        ax.plot(x, y, "o", color="white", markeredgecolor="black", markersize=3, zorder=6)
        ax.annotate(plot_text(town["name"]), (x, y), xytext=(3, 2), textcoords="offset points", fontsize=7, zorder=7,
                    bbox={"boxstyle": "round,pad=0.1", "fc": "white", "alpha": 0.7, "lw": 0})
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    handles: list[Artist] = [Patch(facecolor=TIER_COLOURS[t], edgecolor="#999", label=tier_name(t, lang))
                             for t in TIER_COLOURS]
    handles += [Line2D([], [], color="#555555", linestyle="--", label=gettext(lang, "other routes")),
                Line2D([], [], marker="o", color="black", alpha=0.5, linestyle="",
                       label=gettext(lang, "deadly events, past year"))]
    ax.legend(handles=handles, loc="lower left", fontsize=7)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()
