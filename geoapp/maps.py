"""The map builder: folium maps that load nothing from the internet and stay light at city scale.

The app draws one folium map whose own script never changes while the user pans (the base
map: tiles and view), and hands everything else to ``st_folium(feature_group_to_add=...)``
as feature groups built here for the current view, filters and toggles:

- context: districts, towns, zones 104/195/198, parks (simplified to half a pixel at the
  zoom, coordinates rounded to what the zoom can show);
- plots coloured by a metric's classes (:class:`geoapp.app_data.Legend`) when zoomed in, or
  grid aggregates when zoomed out (:mod:`geoapp.app_data` decides); low-efficiency outlines,
  reclamation stage, projects by stage, hot spots and a density surface.

Every vector layer is a :class:`FastGeoJson`: the features carry only an id, a class index and
a tooltip, and the colours are looked up in the browser, so a plot costs ~150 bytes instead
of the ~450 bytes of a ``folium.GeoJson`` with a style function and a tooltip. The map uses
the canvas renderer (``prefer_canvas``). Legends are drawn by the app, not by branca (whose
colormaps pull d3 from a CDN).
"""

from __future__ import annotations

import base64
import io
import os
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from branca.element import MacroElement
from jinja2 import Template

from geoapp import app_data as ad
from geoapp.geojson import geometries
from geoapp.offline import use_local_assets

# -- base maps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Basemap:
    """A tile source for the map background.

    Attributes
    ----------
    kind
        ``"none"``, ``"osm"``, ``"tianditu"``, ``"amap"`` or ``"xyz"``.
    url
        Tile URL template for ``"xyz"`` (an intranet tile server), else ignored.
    key
        Tianditu key (from the environment or Streamlit secrets; never logged).
    """

    kind: str = "none"
    url: str = ""
    key: str = ""

    @property
    def shift(self) -> str | None:
        """``"gcj02"`` when the tiles are GCJ-02 (AMap): overlays must be shifted to match."""
        return "gcj02" if self.kind == "amap" else None

    def __repr__(self) -> str:  # never show the key
        return f"Basemap(kind={self.kind!r}, url={self.url!r}, key={'***' if self.key else ''!r})"


BASEMAPS: dict[str, tuple[str, str]] = {
    "none": ("无底图(区/街镇边界)", "None (district/town outlines)"),
    "osm": ("OpenStreetMap", "OpenStreetMap"),
    "tianditu": ("天地图", "Tianditu"),
    "amap": ("高德地图(GCJ-02)", "AMap (GCJ-02)"),
    "xyz": ("自定义XYZ瓦片", "Custom XYZ tiles"),
}

TIANDITU_ENV = "TIANDITU_KEY"
"""Environment variable holding the Tianditu key."""


def tianditu_key(secrets: dict | None = None) -> str:
    """Read the Tianditu key from ``TIANDITU_KEY`` or a secrets mapping (empty if unset)."""
    key = os.environ.get(TIANDITU_ENV, "")
    if not key and secrets is not None:
        try:
            key = str(secrets.get(TIANDITU_ENV, "") or secrets.get("tianditu_key", ""))
        except Exception:  # Streamlit raises when there is no secrets file
            key = ""
    return key.strip()


def tile_layers(basemap: Basemap) -> list[folium.TileLayer]:
    """Tile layers for a base map (none for ``"none"``, or when a needed key/URL is missing)."""
    if basemap.kind == "osm":
        return [folium.TileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                                 attr="© OpenStreetMap contributors", name="OpenStreetMap",
                                 max_zoom=19)]
    if basemap.kind == "tianditu" and basemap.key:
        tmpl = ("https://t{s}.tianditu.gov.cn/%s_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                "&LAYER=%s&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}"
                "&TILECOL={x}&tk=" + basemap.key)
        return [folium.TileLayer(tmpl % (lay, lay), attr="© 天地图 Tianditu", name=name,
                                 subdomains="01234567", max_zoom=18, overlay=overlay)
                for lay, name, overlay in (("vec", "天地图", False), ("cva", "注记", True))]
    if basemap.kind == "amap":
        return [folium.TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}", attr="© 高德地图 AMap (GCJ-02)", name="AMap", subdomains="1234",
            max_zoom=18)]
    if basemap.kind == "xyz" and basemap.url:
        return [folium.TileLayer(basemap.url, attr="tiles: " + basemap.url.split("/")[2]
                                 if "//" in basemap.url else "tiles", name="XYZ", max_zoom=20)]
    return []


class _AttributionPrefix(MacroElement):
    """Plain "Leaflet" attribution prefix (no flag icon)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix('Leaflet');
        {% endmacro %}
    """)


def base_map(viewport: ad.Viewport, basemap: Basemap = Basemap(), *,
             base_url_path: str = "") -> folium.Map:
    """Build the map whose script stays the same while the user pans and zooms.

    Parameters
    ----------
    viewport
        Initial view (its centre and zoom).
    basemap
        Tiles, if any.
    base_url_path
        Streamlit's ``server.baseUrlPath``, for the local asset URLs.

    Returns
    -------
    folium.Map
        Canvas renderer, local Leaflet only, no tiles unless ``basemap`` has some.
    """
    center = [(viewport.south + viewport.north) / 2, (viewport.west + viewport.east) / 2]
    if basemap.shift:
        lon, lat = ad_shift_point(center[1], center[0])
        center = [lat, lon]
    m = folium.Map(location=center, zoom_start=int(viewport.zoom), tiles=None,
                   prefer_canvas=True, control_scale=True, max_zoom=19, min_zoom=8)
    use_local_assets(m, base_url_path=base_url_path)
    for layer in tile_layers(basemap):
        layer.add_to(m)
    _AttributionPrefix().add_to(m)
    return m


def ad_shift_point(lon: float, lat: float) -> tuple[float, float]:
    """Shift a WGS84 point to GCJ-02 (for AMap display only)."""
    from layers.crs import wgs84_to_gcj02

    x, y = wgs84_to_gcj02(lon, lat)
    return float(x), float(y)


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
        Circle-marker radius in pixels for point features.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = (function() {
            var palette = {{ this.palette }};
            var base = {{ this.style }};
            var nodata = {{ this.no_data }};
            function paint(f) {
                var s = Object.assign({}, base);
                var c = f.properties ? f.properties.c : undefined;
                if (c !== undefined && c !== null) {
                    var col = (c >= 0 && c < palette.length) ? palette[c] : nodata;
                    if ({{ this.by_stroke }}) { s.color = col; } else { s.fillColor = col; }
                }
                return s;
            }
            return L.geoJson({{ this.data }}, {
                interactive: {{ this.interactive }},
                style: paint,
                pointToLayer: function(f, ll) {
                    return L.circleMarker(ll, Object.assign(paint(f), {radius: {{ this.radius }}}));
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
                 no_data: str = ad.NO_DATA_COLOR, name: str = "fast_geo_json"):
        super().__init__()
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
    tol = ad.simplify_tolerance(zoom) / 2.5
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


def _group(name: str, *children: MacroElement) -> folium.FeatureGroup:
    fg = folium.FeatureGroup(name=name, control=False)
    for child in children:
        child.add_to(fg)
    return fg


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
    zone_types = ("104", "195", "198")
    for row in frame.drop(columns=frame.geometry.name).itertuples(index=False):
        r = row._asdict()
        p = {"k": kind[:-1], "id": _clean(r.get(key))}
        name = _clean(r.get("name"))
        if kind == "zones":
            zt = _clean(r.get("zone_type"))
            p["c"] = zone_types.index(zt) if zt in zone_types else -1
            p["t"] = f"{zt} 区块" if lang == "zh" else f"zone {zt}"
        elif name:
            p["t"] = name
        props.append(p)
    styles = {
        "districts": {"color": "#333333", "weight": 2.5, "fill": False, "dashArray": None},
        "towns": {"color": "#777777", "weight": 1, "fill": False, "dashArray": "4 3"},
        "zones": {"color": "#555555", "weight": 1, "fillOpacity": 0.12},
        "parks": {"color": "#3949ab", "weight": 2, "fillColor": "#7986cb", "fillOpacity": 0.12},
    }
    if kind == "zones":
        palette = ("#4daf4a", "#ff7f00", "#984ea3")
    text = feature_collection(frame.geometry.array, props, precision=precision_for(zoom),
                              shift=shift, simplify=ad.simplify_tolerance(zoom))
    return FastGeoJson(text, palette=palette, style=styles[kind],
                       interactive=kind in ("parks", "zones"), name=kind)


def _tooltip(plot_id: str, value, metric: ad.Metric, lang: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        shown = "—"
    elif isinstance(value, str):
        shown = value
    elif metric.fraction:
        shown = f"{float(value) * 100:+.1f}%"
    else:
        shown = f"{float(value):,.2f}"
    return f"{plot_id} · {metric.zh if lang == 'zh' else metric.en} {shown}"


def plot_layer(data: ad.AppData, positions: np.ndarray, legend: ad.Legend, *, metric: str,
               zoom: int, shift: str | None = None, lang: str = "zh") -> FastGeoJson:
    """Fill the selected plots in view by their class of ``metric``."""
    p = data.plots.iloc[positions]
    m = ad.METRICS[metric] if legend.metric != "grade" else ad.METRICS["grade"]
    values = p[m.column] if m.column in p else pd.Series(np.nan, index=p.index)
    classes = legend.classify(values) if legend.labels else np.full(len(p), -1)
    props = [{"k": "plot", "id": pid, "c": int(c), "t": _tooltip(pid, v, m, lang)}
             for pid, c, v in zip(p["plot_id"].astype(str), classes, values.tolist(), strict=True)]
    text = feature_collection(p.geometry.array, props, precision=precision_for(max(zoom, 14)),
                              shift=shift)
    return FastGeoJson(text, palette=legend.colors,
                       style={"color": "#555555", "weight": 0.6, "fillOpacity": 0.8},
                       name="plots")


def grid_layer(cells: gpd.GeoDataFrame, legend: ad.Legend, *, metric: str,
               shift: str | None = None, lang: str = "zh") -> FastGeoJson:
    """Grid aggregates (zoomed out), filled by the cell value's class."""
    classes = legend.classify(cells["value"]) if legend.labels else np.full(len(cells), -1)
    m = ad.METRICS["grade"] if legend.metric == "grade" else ad.METRICS[metric]
    unit = "块" if lang == "zh" else "plots"
    props = []
    for cell, n, c, v in zip(cells["cell"], cells["n_plots"], classes, cells["value"].tolist(),
                             strict=True):
        tip = _tooltip(f"{int(n)} {unit}", v, m, lang)
        props.append({"k": "cell", "id": cell, "c": int(c), "t": tip})
    text = feature_collection(cells.geometry.array, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=legend.colors,
                       style={"color": "#ffffff", "weight": 0.5, "fillOpacity": 0.75},
                       name="plot_grid")


def low_efficiency_layer(data: ad.AppData, positions: np.ndarray, *, zoom: int,
                         shift: str | None = None, lang: str = "zh") -> FastGeoJson | None:
    """Red outlines of the low-efficiency plots among ``positions``."""
    p = data.plots.iloc[positions]
    p = p[p["low_efficiency"].to_numpy(dtype=bool)]
    if p.empty:
        return None
    label = "低效" if lang == "zh" else "low efficiency"
    props = [{"k": "plot", "id": pid, "t": f"{pid} · {label}: {r if isinstance(r, str) else ''}"}
             for pid, r in zip(p["plot_id"].astype(str), p["reasons"].tolist(), strict=True)]
    text = feature_collection(p.geometry.array, props, precision=precision_for(max(zoom, 14)),
                              shift=shift)
    return FastGeoJson(text, style={"color": "#d50000", "weight": 2.5, "fill": False},
                       name="low_efficiency")


def _ledger_plots(data: ad.AppData, positions: np.ndarray, lang: str):
    """The ledger plots among ``positions`` and their feature properties (stage colour, tip)."""
    p = data.plots.iloc[positions]
    p = p[p["ledger_stage"].notna().to_numpy(dtype=bool)]
    stages = list(ad.LEDGER_COLORS)
    props = [{"k": "plot", "id": pid, "c": stages.index(s) if s in stages else -1,
              "t": f"{pid} · {ad.tr(s, lang)}"}
             for pid, s in zip(p["plot_id"].astype(str), p["ledger_stage"].tolist(), strict=True)]
    return p, props


def ledger_layer(data: ad.AppData, positions: np.ndarray, *, zoom: int,
                 shift: str | None = None, lang: str = "zh") -> FastGeoJson | None:
    """Outline the plots on the reclamation ledger by their current stage."""
    p, props = _ledger_plots(data, positions, lang)
    if p.empty:
        return None
    text = feature_collection(p.geometry.array, props, precision=precision_for(max(zoom, 14)),
                              shift=shift)
    return FastGeoJson(text, palette=tuple(ad.LEDGER_COLORS.values()), color_by="stroke",
                       style={"weight": 3, "fill": False, "dashArray": "5 3"}, name="ledger")


def ledger_points_layer(data: ad.AppData, positions: np.ndarray, *, shift: str | None = None,
                        lang: str = "zh") -> FastGeoJson | None:
    """Zoomed out: ledger plots as small dots coloured by stage."""
    p, props = _ledger_plots(data, positions, lang)
    if p.empty:
        return None
    pts = shapely.points(p["lon"].to_numpy(), p["lat"].to_numpy())
    text = feature_collection(pts, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=tuple(ad.LEDGER_COLORS.values()), radius=3,
                       style={"weight": 1, "color": "#333333", "fillOpacity": 0.9},
                       name="ledger_points")


def projects_layer(data: ad.AppData, *, shift: str | None = None,
                   lang: str = "zh") -> FastGeoJson | None:
    """Projects as circles coloured by stage."""
    pts = ad.project_points(data)
    if pts.empty:
        return None
    stages = list(ad.PROJECT_COLORS)
    props = []
    for row in pts.drop(columns=pts.geometry.name).itertuples(index=False):
        r = row._asdict()
        stage = _clean(r.get("stage"))
        inv = r.get("investment_wan")
        inv_txt = f"{float(inv):,.0f} 万元" if inv is not None and pd.notna(inv) else ""
        props.append({"k": "project", "id": _clean(r.get("project_id")),
                      "c": stages.index(stage) if stage in stages else -1,
                      "t": f"{_clean(r.get('name')) or ''} · {ad.tr(stage or '', lang)} {inv_txt}"})
    text = feature_collection(pts.geometry.array, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=tuple(ad.PROJECT_COLORS.values()), radius=6,
                       style={"color": "#222222", "weight": 1, "fillOpacity": 0.9},
                       name="projects")


HOTSPOT_COLORS = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac")
HOTSPOT_CLASSES = ("hot_99", "hot_95", "hot_90", "cold_90", "cold_95", "cold_99")
"""Getis-Ord Gi* classes of the clusters stage (confidence %), hot to cold."""


def hotspot_layer(table: pd.DataFrame | None, viewport: ad.Viewport, *, shift: str | None = None,
                  lang: str = "zh") -> FastGeoJson | None:
    """Significant hot and cold spots (Gi* of tax per mu) in view, as coloured dots."""
    if not isinstance(table, gpd.GeoDataFrame) or table.empty:
        return None
    col = next((c for c in ("gi_class", "hotspot", "class") if c in table), None)
    if col is None:
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
    words = {"hot": ("热点", "hot spot"), "cold": ("冷点", "cold spot")}
    props = []
    for cls, pid in zip(keep[col].astype(str), keep.get("plot_id", keep[col]).astype(str),
                        strict=True):
        kind, conf = cls.split("_")
        props.append({"k": "hotspot", "id": pid, "c": HOTSPOT_CLASSES.index(cls),
                      "t": f"{pid} · {words[kind][0 if lang == 'zh' else 1]} {conf}%"})
    text = feature_collection(pts, props, precision=5, shift=shift)
    return FastGeoJson(text, palette=HOTSPOT_COLORS, radius=4, interactive=True,
                       style={"weight": 0.5, "color": "#333333", "fillOpacity": 0.9},
                       name="hotspots")


def density_image(tif: bytes, *, cmap: str = "YlOrRd",
                  max_pixels: int = 1_000_000) -> tuple[bytes, list[list[float]]]:
    """Render a density GeoTIFF as a PNG for a Leaflet image overlay.

    The raster is reprojected to Web Mercator (EPSG:3857, Leaflet's display CRS) so its rows
    line up with the map, coloured with a matplotlib colormap from its 2nd to 99.5th
    percentile (zero and nodata transparent), and its bounds are given in lon/lat.

    Parameters
    ----------
    tif
        GeoTIFF bytes (any CRS rasterio knows).
    cmap
        matplotlib colormap name.
    max_pixels
        Upper bound on the PNG's pixel count (the raster is resampled down to fit).

    Returns
    -------
    tuple
        ``(png bytes, [[south, west], [north, east]])``.
    """
    import matplotlib
    import rasterio
    from matplotlib import colormaps
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject, transform_bounds

    matplotlib.use("Agg", force=False)
    with MemoryFile(tif) as mem, mem.open() as src:
        dst_crs = "EPSG:3857"
        # destination grid built by hand (rasterio's calculate_default_transform multiplies
        # Affines with `*`, which affine 3.1 deprecates): the source's extent and pixel count
        west, south, east, north = transform_bounds(src.crs, dst_crs, *src.bounds)
        n_pixels = min(max(src.width * src.height, 1), max_pixels)
        aspect = max(east - west, 1e-9) / max(north - south, 1e-9)
        width = max(1, round(float(np.sqrt(n_pixels * aspect))))
        height = max(1, round(n_pixels / width))
        transform = Affine((east - west) / width, 0.0, west, 0.0, -(north - south) / height,
                           north)
        out = np.full((height, width), np.nan, dtype="float32")
        src_nodata = src.nodata
        reproject(rasterio.band(src, 1), out, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=transform, dst_crs=dst_crs, resampling=Resampling.bilinear,
                  src_nodata=src_nodata, dst_nodata=np.nan)
        lon_w, lat_s, lon_e, lat_n = transform_bounds(dst_crs, "EPSG:4326", west, south, east,
                                                      north)
    valid = np.isfinite(out) & (out > 0)
    rgba = np.zeros((*out.shape, 4), dtype="float32")
    if valid.any():
        lo, hi = np.percentile(out[valid], [2, 99.5])
        norm = np.clip((out - lo) / max(hi - lo, 1e-12), 0, 1)
        rgba = colormaps[cmap](np.where(valid, norm, 0)).astype("float32")
        rgba[..., 3] = np.where(valid, 0.35 + 0.5 * norm, 0.0)
    buf = io.BytesIO()
    import matplotlib.image as mpimg

    mpimg.imsave(buf, rgba, format="png")
    return buf.getvalue(), [[float(lat_s), float(lon_w)], [float(lat_n), float(lon_e)]]


@dataclass(frozen=True)
class DensityImage:
    """A density surface ready for the map: a PNG data URL and its display bounds.

    Attributes
    ----------
    url
        ``data:image/png;base64,...`` (embedded: the page makes no request for it).
    bounds
        ``((south, west), (north, east))`` in display coordinates (GCJ-02 for AMap).
    """

    url: str
    bounds: tuple[tuple[float, float], tuple[float, float]]


def density_overlay(tif: bytes, *, shift: str | None = None) -> DensityImage:
    """Reproject and encode a density GeoTIFF for display (slow: the app caches the result).

    Parameters
    ----------
    tif
        GeoTIFF bytes (:func:`density_image`).
    shift
        ``"gcj02"`` to shift the bounds for AMap tiles.
    """
    png, ((s, w), (n, e)) = density_image(tif)
    if shift:
        w, s = ad_shift_point(w, s)
        e, n = ad_shift_point(e, n)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return DensityImage(url=url, bounds=((s, w), (n, e)))


def density_layer(image: DensityImage) -> folium.raster_layers.ImageOverlay:
    """Draw a prepared density surface as an image overlay (cheap)."""
    return folium.raster_layers.ImageOverlay(image.url, bounds=[list(b) for b in image.bounds],
                                             opacity=0.8, interactive=False, name="density")


# -- putting it together ---------------------------------------------------------------------


@dataclass
class MapView:
    """What :func:`overlays` drew: the feature groups and facts the app shows beside the map."""

    groups: list[folium.FeatureGroup]
    lod: str
    n_selected: int
    n_in_view: int
    n_bytes: int


def overlays(data: ad.AppData, mask: np.ndarray, viewport: ad.Viewport, *, layers: tuple[str, ...],
             legend: ad.Legend, metric: str, basemap: Basemap = Basemap(), lang: str = "zh",
             density: DensityImage | None = None, highlight: str | None = None) -> MapView:
    """Every layer switched on, for the current view, as feature groups.

    Parameters
    ----------
    data
        App data.
    mask
        Selected plots (:func:`geoapp.app_data.filter_mask`).
    viewport
        Current view; sets level of detail, simplification and precision.
    layers
        Keys of :data:`geoapp.app_data.LAYER_KEYS` to draw.
    legend
        Classes of the metric (computed on the unfiltered plots).
    metric
        Metric key.
    basemap
        Base map (AMap shifts every overlay to GCJ-02 for display).
    lang
        Tooltip language.
    density
        A density surface to draw when ``"density"`` is on (:func:`density_overlay`).
    highlight
        A plot id to outline (the search hit or the clicked plot).

    Returns
    -------
    MapView
    """
    shift = basemap.shift
    zoom = viewport.zoom
    groups: list[folium.FeatureGroup] = []
    for kind in ("districts", "towns", "zones", "parks"):
        if kind in layers:
            el = context_layer(data.layer(kind), kind, zoom=zoom, shift=shift, lang=lang)
            if el is not None:
                groups.append(_group(kind, el))
    if "density" in layers and density is not None:
        groups.append(_group("density", density_layer(density)))
    if "hotspots" in layers:
        el = hotspot_layer(data.table("clusters", "hotspots"), viewport, shift=shift, lang=lang)
        if el is not None:
            groups.append(_group("hotspots", el))
    in_view = ad.plots_in_view(data, mask, viewport)
    lod = ad.level_of_detail(viewport, len(in_view))
    if "plots" in layers and len(in_view):
        if lod == "plots":
            groups.append(_group("plots", plot_layer(data, in_view, legend, metric=metric,
                                                     zoom=zoom, shift=shift, lang=lang)))
        else:
            cells = ad.grid_aggregate(data, in_view, zoom, legend.metric if legend.metric ==
                                      "grade" else metric)
            groups.append(_group("plot_grid", grid_layer(cells, legend, metric=metric,
                                                         shift=shift, lang=lang)))
    if "ledger" in layers and len(in_view):
        el = (ledger_layer(data, in_view, zoom=zoom, shift=shift, lang=lang) if lod == "plots"
              else ledger_points_layer(data, in_view, shift=shift, lang=lang))
        if el is not None:
            groups.append(_group("ledger", el))
    if "low_efficiency" in layers and lod == "plots" and len(in_view):
        el = low_efficiency_layer(data, in_view, zoom=zoom, shift=shift, lang=lang)
        if el is not None:
            groups.append(_group("low_efficiency", el))
    if "projects" in layers:
        el = projects_layer(data, shift=shift, lang=lang)
        if el is not None:
            groups.append(_group("projects", el))
    if highlight:
        hit = np.flatnonzero(data.plots["plot_id"].astype(str).to_numpy() == str(highlight))
        if len(hit):
            p = data.plots.iloc[hit]
            text = feature_collection(p.geometry.array, [{"k": "plot", "id": str(highlight)}],
                                      precision=6, shift=shift)
            groups.append(_group("highlight", FastGeoJson(
                text, style={"color": "#00e5ff", "weight": 4, "fill": False},
                interactive=False, name="highlight")))
    n_bytes = sum(el.n_bytes for g in groups for el in g._children.values()
                  if isinstance(el, FastGeoJson))
    return MapView(groups=groups, lod=lod, n_selected=int(mask.sum()), n_in_view=len(in_view),
                   n_bytes=n_bytes)


def build_map(data: ad.AppData, *, metric: str = "tax_per_mu", scheme: str = "quantiles",
              layers: tuple[str, ...] = ad.DEFAULT_LAYERS, viewport: ad.Viewport | None = None,
              basemap: Basemap = Basemap(), lang: str = "zh", mask: np.ndarray | None = None,
              density: bytes | None = None) -> folium.Map:
    """Build a complete standalone map (base map plus overlays), e.g. for an HTML file.

    Parameters are those of :func:`overlays`, except ``density``: GeoTIFF bytes. The legend
    is computed on every plot.
    """
    viewport = viewport or ad.data_viewport(data)
    mask = np.ones(len(data.plots), dtype=bool) if mask is None else mask
    legend = ad.make_legend(data.plots, metric, scheme)
    m = base_map(viewport, basemap)
    image = density_overlay(density, shift=basemap.shift) if density else None
    view = overlays(data, mask, viewport, layers=layers, legend=legend, metric=metric,
                    basemap=basemap, lang=lang, density=image)
    for g in view.groups:
        g.add_to(m)
    return m
