"""Maps of a scoring run: an interactive HTML map (one self-contained file, Leaflet inlined, no
network needed) and a static PNG for printed bulletins."""

from __future__ import annotations

import html
import re
from importlib import resources

import geopandas as gpd
import pandas as pd

from sahelrisk.scoring.week import TIER_CUTS, TIERS

__all__ = ["interactive_map", "static_map", "TIER_COLOURS"]

TIER_COLOURS = {"low": "#fef0d9", "elevated": "#fdcc8a", "high": "#fc8d59", "very high": "#d7301f"}


def _text(value) -> str:
    """Text from data made safe for every place the map puts it: HTML (tooltips and popups are
    HTML), attributes, the JSON inside a script block (no ``</script>``) and the JavaScript template
    literals folium wraps tooltips in (no backquote, ``${`` or trailing backslash)."""
    return (html.escape("" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value))
            .replace("`", "&#96;").replace("$", "&#36;").replace("\\", "&#92;"))


def _safe(frame: gpd.GeoDataFrame, keep=("popup",)) -> gpd.GeoDataFrame:
    """Every text column escaped with :func:`_text` (``keep``: columns already built from escaped parts)."""
    out = frame.copy()
    for column in out.columns:
        if column != out.geometry.name and column not in keep and \
                (out[column].dtype == object or pd.api.types.is_string_dtype(out[column])):
            out[column] = out[column].map(_text)
    return out


def _leaflet_assets() -> tuple[str, str]:
    base = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    return (base / "leaflet.js").read_text("utf-8"), (base / "leaflet.css").read_text("utf-8")


def _inline(page: str) -> str:
    """Replace every CDN script and stylesheet folium links with nothing but inlined Leaflet:
    the map must open from a USB stick in a field office."""
    js, css = _leaflet_assets()
    page = re.sub(r'<script src="https?://[^"]+"></script>\s*', "", page)
    page = re.sub(r'<link rel="stylesheet" href="https?://[^"]+"\s*/?>\s*', "", page)
    return page.replace("</head>", f"<style>{css}</style>\n<script>{js}</script>\n</head>", 1)


def _legend(title: str) -> str:
    cuts = [0.0, *TIER_CUTS, 1.0]
    rows = "".join(
        f"<div><span style='display:inline-block;width:14px;height:14px;background:{TIER_COLOURS[t]};"
        f"border:1px solid #999;margin-right:6px'></span>{t} ({cuts[i]:.0%}&ndash;{cuts[i + 1]:.0%})</div>"
        for i, t in enumerate(TIERS))
    return (f"<div id='legend' style='position:fixed;bottom:24px;left:24px;z-index:9999;background:white;"
            f"padding:8px 10px;border:1px solid #999;font:13px sans-serif'><b>{_text(title)}</b>{rows}</div>")


def _popup(row) -> str:
    change = row["change_vs_last_week"]
    return (f"<b>{_text(row['unit_id'])}</b> {_text(row.get('adm2_name'))}, "
            f"{_text(row.get('adm1_name'))}<br>probability {row['probability']:.1%} "
            f"({_text(row['risk_tier'])}), rank {row['rank']}<br>change vs last week "
            f"{'' if pd.isna(change) else f'{change:+.1%}'}<br>drivers: {_text(row['top_drivers'] or '-')}")


def interactive_map(cells: gpd.GeoDataFrame, adm2: gpd.GeoDataFrame | None = None, events: pd.DataFrame | None = None,
                    mining: gpd.GeoDataFrame | None = None, roads: gpd.GeoDataFrame | None = None,
                    title: str = "Risk of a fatal attack") -> str:
    """The map as an HTML string: tiers, ADM2 outlines with names, recent events, mines, roads, legend."""
    import folium

    bounds = cells.total_bounds
    fmap = folium.Map(location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2], zoom_start=5,
                      tiles=None, control_scale=True, prefer_canvas=False)
    grid = cells[["unit_id", "adm1_name", "adm2_name", "probability", "risk_tier", "rank", "change_vs_last_week",
                  "top_drivers", "geometry"]].copy()
    grid["popup"] = [_popup(r) for _, r in grid.iterrows()]
    grid["probability"] = grid["probability"].round(4)
    grid["change_vs_last_week"] = grid["change_vs_last_week"].round(4)
    layer = folium.FeatureGroup(name="Risk (cells)", show=True)
    folium.GeoJson(
        _safe(grid.drop(columns=["top_drivers"])).to_json(),
        style_function=lambda f: {"fillColor": TIER_COLOURS[html.unescape(f["properties"]["risk_tier"])], "color": "#777",
                                  "weight": 0.3, "fillOpacity": 0.75},
        popup=folium.GeoJsonPopup(fields=["popup"], labels=False, max_width=360),
        tooltip=folium.GeoJsonTooltip(fields=["unit_id", "probability", "risk_tier"]),
        name="risk-cells").add_to(layer)
    layer.add_to(fmap)
    if adm2 is not None:
        outlines = folium.FeatureGroup(name="ADM2 areas", show=True)
        folium.GeoJson(_safe(adm2[["unit_id", "adm2_name", "probability", "geometry"]].round({"probability": 4})).to_json(),
                       style_function=lambda f: {"fill": False, "color": "#333", "weight": 0.8},
                       tooltip=folium.GeoJsonTooltip(fields=["adm2_name", "probability"], aliases=["ADM2", "P(any)"]),
                       name="adm2").add_to(outlines)
        outlines.add_to(fmap)
    if events is not None and len(events):
        group = folium.FeatureGroup(name="Events, last 4 weeks", show=True)
        for _, e in events.iterrows():
            folium.CircleMarker([e["latitude"], e["longitude"]], radius=3 + min(float(e["fatalities_best"]), 40) ** 0.5,
                                color="#000", weight=1, fill=True, fill_color="#111", fill_opacity=0.7,
                                tooltip=f"{pd.Timestamp(e['date_start']).date()}: {int(e['fatalities_best'])} killed "
                                        f"({_text(e['violence_type'])})").add_to(group)
        group.add_to(fmap)
    if mining is not None and len(mining):
        group = folium.FeatureGroup(name="Mining sites", show=False)
        for _, m in mining.iterrows():
            folium.CircleMarker([m.geometry.y, m.geometry.x], radius=3, color="#b8860b", fill=True,
                                tooltip=f"{_text(m['name'])} ({_text(m['site_kind'])}, {_text(m['commodity'] or '?')})"
                                ).add_to(group)
        group.add_to(fmap)
    if roads is not None and len(roads):
        group = folium.FeatureGroup(name="Main roads", show=False)
        folium.GeoJson(_safe(roads[["road_id", "geometry"]]).to_json(), style_function=lambda f: {"color": "#4a4a4a", "weight": 1.5},
                       name="roads").add_to(group)
        group.add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    fmap.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    fmap.get_root().html.add_child(folium.Element(_legend(title)))
    return _inline(fmap.get_root().render())


def static_map(cells: gpd.GeoDataFrame, adm2: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, path, *, title: str,
               subtitle: str, label_top: int = 10) -> None:
    """A printable PNG: cells by tier, country borders, the ``label_top`` highest-risk ADM2 labelled."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(11, 8), dpi=110)
    cells.plot(ax=ax, color=cells["risk_tier"].map(TIER_COLOURS), edgecolor="#bbbbbb", linewidth=0.2)
    adm2.boundary.plot(ax=ax, color="#666666", linewidth=0.3)
    countries.boundary.plot(ax=ax, color="black", linewidth=1.0)
    for _, row in adm2.nsmallest(label_top, "rank").iterrows():
        point = row.geometry.representative_point()
        ax.annotate(f"{row['rank']}. {row['adm2_name']} {row['probability']:.0%}", (point.x, point.y), fontsize=7.5,
                    ha="center", bbox={"boxstyle": "round,pad=0.2", "fc": "white", "alpha": 0.8, "lw": 0.3})
    x0, y0, x1, y1 = cells.total_bounds
    ax.set_xlim(x0 - 0.3, x1 + 0.3)
    ax.set_ylim(y0 - 0.3, y1 + 0.3)
    ax.set_aspect("equal")
    ax.set_axis_off()
    cuts = [0.0, *TIER_CUTS, 1.0]
    ax.legend(handles=[Patch(facecolor=TIER_COLOURS[t], edgecolor="#999", label=f"{t} ({cuts[i]:.0%}-{cuts[i + 1]:.0%})")
                       for i, t in enumerate(TIERS)], loc="lower left", title="risk tier", fontsize=8)
    ax.set_title(f"{title}\n{subtitle}", fontsize=12)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
