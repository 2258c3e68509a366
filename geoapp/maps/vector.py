"""Vector layers drawn as :class:`FastGeoJson`: context, plots, grids, ledger, projects, hot spots.

The features carry only an id, a class index and a tooltip, and the colours are looked up
in the browser, so a plot costs ~150 bytes instead of the ~450 bytes of a
``folium.GeoJson`` with a style function and a tooltip.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from analysis.keys import isin
from geoapp import words
from geoapp.app.loading import AppData
from geoapp.app.stage_results import project_points
from geoapp.app.symbology import (
    HOTSPOT_CLASSES,
    HOTSPOT_COLORS,
    HOTSPOT_VARIABLE,
    LAYER_STYLES,
    LEDGER_COLORS,
    METRICS,
    NO_DATA_COLOR,
    PROJECT_COLORS,
    ZONE_COLORS,
    Legend,
    Metric,
    metric_info,
)
from geoapp.app.viewing import Viewport, simplify_tolerance
from geoapp.geojson import geometries

# -- fast vector layers --------------------------------------------------------------------


class FastGeoJson(MacroElement):
    """A GeoJSON layer whose colours are looked up in the browser from a class index.

    Parameters
    ----------
    data
        FeatureCollection JSON text; each feature's properties may carry ``c`` (class index
        into ``palette``; -1 or missing: ``no_data``), ``t`` (tooltip text), ``id`` and ``k``
        (kind: ``"plot"``, ``"park"``, ``"cell"``...), which a click returns to the app.
    palette
        Colours by class.
    style
        Leaflet path options for every feature (``color``, ``weight``, ``fillOpacity``...).
    color_by
        ``"fill"`` (class colours the fill) or ``"stroke"`` (the outline).
    interactive
        Whether features take clicks and show tooltips.
    radius
        Circle-marker radius (half the diamond's side) in pixels for point features.
    classes
        The class indices the features carry (what the legend lists), when classed.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var palette = {{ this.palette }};
            var base = {{ this.style }};
            var nodata = {{ this.no_data }};
            var hatch = null;
            if (base.hatch) {  // diagonal lines in the outline's colour (canvas renderer)
                var tile = document.createElement("canvas");
                tile.width = tile.height = 8;
                var g = tile.getContext("2d");
                g.strokeStyle = base.color; g.lineWidth = 1.5; g.beginPath();
                g.moveTo(-2, 2); g.lineTo(2, -2); g.moveTo(0, 8); g.lineTo(8, 0);
                g.moveTo(6, 10); g.lineTo(10, 6); g.stroke();
                hatch = g.createPattern(tile, "repeat");
            }
            function paint(f) {
                var s = Object.assign({}, base);
                var c = f.properties ? f.properties.c : undefined;
                if (c !== undefined && c !== null) {
                    var col = (c >= 0 && c < palette.length) ? palette[c] : nodata;
                    if ({{ this.by_stroke }}) { s.color = col; } else { s.fillColor = col; }
                }
                if (hatch) { s.fill = true; s.fillColor = hatch; }
                return s;
            }
            return L.geoJson({{ this.data }}, {
                interactive: {{ this.interactive }},
                style: paint,
                pointToLayer: function(f, ll) {
                    var s = paint(f), r = {{ this.radius }};
                    if (base.shape === "diamond") {
                        var html = '<div style="width:' + (2 * r) + 'px;height:' + (2 * r)
                            + 'px;background:' + s.fillColor + ';border:' + s.weight
                            + 'px solid ' + s.color + ';transform:rotate(45deg);'
                            + 'box-sizing:border-box"></div>';
                        return L.marker(ll, {interactive: {{ this.interactive }},
                            icon: L.divIcon({className: "geoapp-diamond", html: html,
                                             iconSize: [2 * r, 2 * r]})});
                    }
                    return L.circleMarker(ll, Object.assign(s, {radius: r}));
                },
                onEachFeature: function(f, layer) {
                    if ({{ this.interactive }} && f.properties && f.properties.t) {
                        layer.bindTooltip(String(f.properties.t), {sticky: true});
                    }
                }
            });
        })();
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, data: str, *, palette=(), style: dict | None = None,
                 color_by: str = "fill", interactive: bool = True, radius: float = 5,
                 no_data: str = NO_DATA_COLOR, name: str = "fast_geo_json",
                 classes=()):
        super().__init__()
        self.classes: tuple[int, ...] = tuple(sorted({int(c) for c in classes}))
        self._name = name.replace(" ", "_")
        self.data = data
        self.n_bytes = len(data)
        self.palette = orjson.dumps(list(palette)).decode()
        self.style = orjson.dumps(style or {}).decode()
        self.by_stroke = "true" if color_by == "stroke" else "false"
        self.interactive = "true" if interactive else "false"
        self.radius = float(radius)
        self.no_data = orjson.dumps(no_data).decode()


def precision_for(zoom: int) -> int:
    """Decimals of lon/lat worth sending at a zoom: about a fifth of a pixel, 4-6."""
    tol = simplify_tolerance(zoom) / 2.5
    return int(min(6, max(4, np.ceil(-np.log10(tol)))))


def feature_collection(geoms, props: list[dict], *, precision: int = 6,
                       shift: str | None = None, simplify: float = 0.0) -> str:
    """FeatureCollection JSON text from shapely geometries (WGS84) and property dicts.

    Parameters
    ----------
    geoms
        Array-like of shapely geometries.
    props
        One properties dict per geometry.
    precision
        Decimals kept.
    shift
        ``"gcj02"`` to shift for AMap tiles (display only).
    simplify
        Douglas-Peucker tolerance in degrees (0: none); topology is preserved.
    """
    geoms = np.asarray(geoms, dtype=object)
    if simplify > 0 and len(geoms):
        geoms = shapely.simplify(geoms, simplify, preserve_topology=True)
    objs, _ = geometries(geoms, precision=precision, shift=shift == "gcj02")
    feats = [{"type": "Feature", "properties": p, "geometry": g}
             for p, g in zip(props, objs, strict=True) if g is not None]
    return orjson.dumps({"type": "FeatureCollection", "features": feats},
                        option=orjson.OPT_SERIALIZE_NUMPY).decode()


def feature_group(name: str, *children: MacroElement) -> folium.FeatureGroup:
    """Wrap layers in a feature group named ``name``, without a layer-control entry."""
    fg = folium.FeatureGroup(name=name, control=False)
    for child in children:
        child.add_to(fg)
    return fg


def _classes(props: list[dict]) -> set[int]:
    """The class indices the features carry (-1: no data)."""
    return {int(p["c"]) for p in props if p.get("c") is not None}


def _clean(value) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


# -- the layers ------------------------------------------------------------------------------


def context_layer(frame: pd.DataFrame, kind: str, *, zoom: int, shift: str | None = None,
                  lang: str = "zh") -> FastGeoJson | None:
    """Districts, towns, zones or parks: outlines (parks and zones lightly filled).

    Parameters
    ----------
    frame
        The layer (GeoDataFrame, WGS84).
    kind
        ``"districts"``, ``"towns"``, ``"zones"`` or ``"parks"``.
    zoom
        Sets simplification and precision.
    shift
        ``"gcj02"`` for AMap tiles.
    lang
        Tooltip language.
    """
    if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        return None
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    if frame.empty:
        return None
    key = {"districts": "code", "towns": "code", "zones": "zone_id", "parks": "park_id"}[kind]
    props = []
    palette: tuple[str, ...] = ()
    zone_types = tuple(ZONE_COLORS)
    for row in frame.drop(columns=frame.geometry.name).itertuples(index=False):
        r = row._asdict()
        p = {"k": kind[:-1], "id": _clean(r.get(key))}
        name = _clean(r.get("name"))
        if kind == "zones":
            zt = _clean(r.get("zone_type"))
            p["c"] = zone_types.index(zt) if zt in zone_types else -1
            p["t"] = words.value("zone_type", zt, lang)
        elif name:
            p["t"] = name
        props.append(p)
    if kind == "zones":
        palette = tuple(ZONE_COLORS.values())
    text = feature_collection(frame.geometry.array, props, precision=precision_for(zoom),
                              shift=shift, simplify=simplify_tolerance(zoom))
    return FastGeoJson(text, palette=palette, style=LAYER_STYLES[kind],
                       interactive=kind in ("parks", "zones"), name=kind,
                       classes=_classes(props) if kind == "zones" else ())


def _tooltip(plot_id: str, value, metric: Metric, lang: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        shown = "—"
    elif isinstance(value, str):
        shown = value
    elif metric.fraction:
        shown = f"{float(value) * 100:+.1f}%"
    else:
        shown = f"{float(value):,.2f}"
    return f"{plot_id} · {metric.name(lang)} {shown}"


def plot_layer(data: AppData, positions: np.ndarray, legend: Legend, *, metric: str,
               zoom: int, shift: str | None = None, lang: str = "zh") -> FastGeoJson:
    """Fill the selected plots in view by their class of ``metric``."""
    p = data.plots.iloc[positions]
    m = metric_info(metric) if legend.metric != "grade" else METRICS["grade"]
    values = p[m.column] if m.column in p else pd.Series(np.nan, index=p.index)
    classes = legend.classify(values) if legend.labels else np.full(len(p), -1)
    props = [{"k": "plot", "id": pid, "c": int(c), "t": _tooltip(pid, v, m, lang)}
             for pid, c, v in zip(p["plot_id"].astype(str), classes, values.tolist(), strict=True)]
    text = feature_collection(p.geometry.array, props, precision=precision_for(max(zoom, 14)),
                              shift=shift)
    return FastGeoJson(text, palette=legend.colors, style=LAYER_STYLES["plots"], name="plots",
                       classes=_classes(props))


def grid_layer(cells: gpd.GeoDataFrame, legend: Legend, *, metric: str,
               shift: str | None = None, lang: str = "zh") -> FastGeoJson:
    """Grid aggregates (zoomed out), filled by the cell value's class."""
    classes = legend.classify(cells["value"]) if legend.labels else np.full(len(cells), -1)
    m = METRICS["grade"] if legend.metric == "grade" else metric_info(metric)
    unit = words.unit("n_plots", lang)
    props = []
    for cell, n, c, v in zip(cells["cell"], cells["n_plots"], classes, cells["value"].tolist(),
                             strict=True):
        tip = _tooltip(f"{int(n)} {unit}", v, m, lang)
        props.append({"k": "cell", "id": cell, "c": int(c), "t": tip})
    text = feature_collection(cells.geometry.array, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=legend.colors, style=LAYER_STYLES["plot_grid"],
                       name="plot_grid", classes=_classes(props))


def low_efficiency_layer(data: AppData, positions: np.ndarray, *, zoom: int,
                         shift: str | None = None, lang: str = "zh") -> FastGeoJson | None:
    """The low-efficiency plots among ``positions``: hatched, with a dashed outline."""
    p = data.plots.iloc[positions]
    p = p[p["low_efficiency"].to_numpy(dtype=bool)]
    if p.empty:
        return None
    label = words.text("map.low", lang)
    props = [{"k": "plot", "id": pid, "t": f"{pid} · {label}: {r if isinstance(r, str) else ''}"}
             for pid, r in zip(p["plot_id"].astype(str), p["reasons"].tolist(), strict=True)]
    text = feature_collection(p.geometry.array, props, precision=precision_for(max(zoom, 14)),
                              shift=shift)
    return FastGeoJson(text, style=LAYER_STYLES["low_efficiency"], name="low_efficiency")


def low_efficiency_grid_layer(cells: gpd.GeoDataFrame, low: gpd.GeoDataFrame, *,
                              shift: str | None = None, lang: str = "zh"
                              ) -> FastGeoJson | None:
    """Zoomed out: in each grid cell, a hatched square as large as its low-efficiency share.

    Parameters
    ----------
    cells
        Grid aggregates of the plots in view (:func:`geoapp.app.viewing.grid_aggregate`):
        ``cell``, ``area_mu`` (亩), geometry.
    low
        The same grid's aggregates of the low-efficiency plots among them.
    shift, lang
        Display shift and tooltip language.

    Returns
    -------
    FastGeoJson or None
        One square per cell holding low-efficiency land, centred in the cell, its area the
        cell's area times the low-efficiency share of the cell's land (亩 / 亩); None when no
        cell holds any.
    """
    if low.empty:
        return None
    total = pd.Series(cells["area_mu"].to_numpy(dtype="float64"), index=cells["cell"])
    land = total.reindex(low["cell"]).to_numpy(dtype="float64")
    low_mu = low["area_mu"].to_numpy(dtype="float64")
    share = np.clip(np.where(land > 0, low_mu / np.where(land > 0, land, 1.0), 1.0), 0.0, 1.0)
    # each cell shrunk about its centre by √share: its area times the share
    cells_low = np.asarray(low.geometry.array, dtype=object)
    coords, at = shapely.get_coordinates(cells_low, return_index=True)
    centre = shapely.get_coordinates(shapely.centroid(cells_low))[at]
    squares = shapely.set_coordinates(
        shapely.transform(cells_low, lambda xy: xy),  # a copy: the cells stay as they are
        centre + (coords - centre) * np.sqrt(share)[at, None])
    label, unit = words.text("map.low", lang), words.unit("n_plots", lang)
    mu = words.unit("area_mu", lang)
    props = [{"k": "cell", "id": cell,
              "t": f"{label}: {int(n)} {unit} · {m:,.1f} {mu} ({f * 100:.0f}%)"}
             for cell, n, m, f in zip(low["cell"], low["n_plots"], low_mu, share, strict=True)]
    text = feature_collection(squares, props, precision=5, shift=shift)
    style = dict(LAYER_STYLES["low_efficiency"], weight=1.5)
    return FastGeoJson(text, style=style, name="low_efficiency_grid")


def _ledger_plots(data: AppData, positions: np.ndarray, lang: str):
    """The ledger plots among ``positions`` and their feature properties (stage colour, tip)."""
    p = data.plots.iloc[positions]
    p = p[p["ledger_stage"].notna().to_numpy(dtype=bool)]
    stages = list(LEDGER_COLORS)
    props = [{"k": "plot", "id": pid, "c": stages.index(s) if s in stages else -1,
              "t": f"{pid} · {words.value('ledger_stage', s, lang)}"}
             for pid, s in zip(p["plot_id"].astype(str), p["ledger_stage"].tolist(), strict=True)]
    return p, props


def ledger_layer(data: AppData, positions: np.ndarray, *, zoom: int,
                 shift: str | None = None, lang: str = "zh") -> FastGeoJson | None:
    """Outline the plots on the reclamation ledger by their current stage."""
    p, props = _ledger_plots(data, positions, lang)
    if p.empty:
        return None
    text = feature_collection(p.geometry.array, props, precision=precision_for(max(zoom, 14)),
                              shift=shift)
    return FastGeoJson(text, palette=tuple(LEDGER_COLORS.values()), color_by="stroke",
                       style=LAYER_STYLES["ledger"], name="ledger", classes=_classes(props))


def ledger_points_layer(data: AppData, positions: np.ndarray, *, shift: str | None = None,
                        lang: str = "zh") -> FastGeoJson | None:
    """Zoomed out: ledger plots as small dots coloured by stage."""
    p, props = _ledger_plots(data, positions, lang)
    if p.empty:
        return None
    pts = shapely.points(p["lon"].to_numpy(), p["lat"].to_numpy())
    text = feature_collection(pts, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=tuple(LEDGER_COLORS.values()), radius=3,
                       style=LAYER_STYLES["ledger_points"], name="ledger_points",
                       classes=_classes(props))


def _kept(frame: pd.DataFrame, keep: set[str] | None) -> pd.DataFrame:
    """Rows whose plot the filters keep (all rows when ``keep`` is None)."""
    if keep is None:
        return frame
    if "plot_id" not in frame:
        return frame.iloc[0:0]
    return frame[isin(frame["plot_id"].astype("string"), keep)]


def projects_layer(data: AppData, *, shift: str | None = None, lang: str = "zh",
                   keep: set[str] | None = None) -> FastGeoJson | None:
    """Projects as diamonds coloured by stage.

    ``keep``: plot ids the filters keep; a project is drawn when its plot is kept (None: all).
    """
    pts = _kept(project_points(data), keep)
    if pts.empty:
        return None
    stages = list(PROJECT_COLORS)
    props = []
    for row in pts.drop(columns=pts.geometry.name).itertuples(index=False):
        r = row._asdict()
        stage = _clean(r.get("stage"))
        inv = r.get("investment_wan")
        money = words.unit("investment_wan", lang)
        inv_txt = f"{float(inv):,.0f} {money}" if inv is not None and pd.notna(inv) else ""
        stage_name = words.value("project_stage", stage, lang)
        props.append({"k": "project", "id": _clean(r.get("project_id")),
                      "c": stages.index(stage) if stage in stages else -1,
                      "t": f"{_clean(r.get('name')) or ''} · {stage_name} {inv_txt}"})
    text = feature_collection(pts.geometry.array, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=tuple(PROJECT_COLORS.values()), radius=7,
                       style=LAYER_STYLES["projects"], name="projects", classes=_classes(props))


def hotspot_layer(table: pd.DataFrame | None, viewport: Viewport, *, shift: str | None = None,
                  lang: str = "zh", keep: set[str] | None = None) -> FastGeoJson | None:
    """Significant hot and cold spots (Gi* of tax per mu) in view, as coloured circles.

    ``keep``: plot ids the filters keep (None: all).
    """
    if not isinstance(table, gpd.GeoDataFrame) or table.empty:
        return None
    table = _kept(table, keep)
    if table.empty:
        return None
    col = "gi_class"
    if col not in table:
        return None
    labels = table[col].astype(str)
    keep = table[labels.isin(HOTSPOT_CLASSES).to_numpy()]
    if keep.empty:
        return None
    pts = shapely.point_on_surface(keep.to_crs("EPSG:4326").geometry.array)
    x, y = shapely.get_x(pts), shapely.get_y(pts)
    inside = ((x >= viewport.west) & (x <= viewport.east) & (y >= viewport.south)
              & (y <= viewport.north))
    keep, pts = keep[inside], pts[inside]
    if keep.empty:
        return None
    props = []
    for cls, pid in zip(keep[col].astype(str), keep.get("plot_id", keep[col]).astype(str),
                        strict=True):
        props.append({"k": "hotspot", "id": pid, "c": HOTSPOT_CLASSES.index(cls),
                      "t": f"{pid} · {hotspot_label(cls, lang)}"})
    text = feature_collection(pts, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=HOTSPOT_COLORS, radius=4, interactive=True,
                       style=LAYER_STYLES["hotspots"], name="hotspots", classes=_classes(props))


def hotspot_label(cls: str, lang: str = "zh") -> str:
    """A Gi* class naming its variable: ``"hot_99"`` → ``"热点（亩均税收）99%"``."""
    kind, conf = cls.split("_")
    return (f"{words.value('hotspot', kind, lang)}{words.text('paren_open', lang)}"
            f"{words.name(HOTSPOT_VARIABLE, lang)}{words.text('paren_close', lang)}{conf}%")
