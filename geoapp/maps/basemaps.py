"""Base maps: tile sources (OSM, Tianditu, AMap), the Tianditu key and the base folium map."""

from __future__ import annotations

import os
from dataclasses import dataclass

import folium
from branca.element import MacroElement
from jinja2 import Template

from geoapp.app.viewing import Viewport
from geoapp.offline import use_local_assets
from geoapp.words import VALUES, text


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


NO_TILES = Basemap()
"""The default base map: no tiles (nothing is fetched from the internet)."""


BASEMAPS: dict[str, tuple[str, str]] = VALUES["basemap"]
"""Base maps by kind: ``(Chinese name, English name)``."""

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
        return [folium.TileLayer(tmpl % (lay, lay), attr=text("map.tianditu_credit"), name=name,
                                 subdomains="01234567", max_zoom=18, overlay=overlay)
                for lay, name, overlay in (("vec", BASEMAPS["tianditu"][0], False),
                                            ("cva", text("map.tianditu_labels"), True))]
    if basemap.kind == "amap":
        return [folium.TileLayer(
            "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
            "&x={x}&y={y}&z={z}", attr=text("map.amap_credit"), name="AMap", subdomains="1234",
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


class TileErrorNote(MacroElement):
    """A small note on the map, shown once, when a tile layer's tiles cannot be reached.

    Listens to Leaflet's ``tileerror`` event of every tile layer of the map; the first error
    adds a control (bottom left) saying so. Plain Leaflet, no plugin, nothing fetched.
    """

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            function note() {
                if (map._geoappTileNote) { return; }
                var control = L.control({position: 'bottomleft'});
                control.onAdd = function () {
                    var div = L.DomUtil.create('div', 'geoapp-tile-note leaflet-bar');
                    div.textContent = {{ this.message|tojson }};
                    div.style.cssText = 'background:#fff8e1;color:#5d4037;padding:4px 8px;'
                        + 'font-size:12px;border:1px solid #ffb300;max-width:320px';
                    return div;
                };
                map._geoappTileNote = control.addTo(map);
            }
            map.eachLayer(function (layer) {
                if (layer instanceof L.TileLayer) { layer.on('tileerror', note); }
            });
        })();
        {% endmacro %}
    """)

    def __init__(self, message: str):
        super().__init__()
        self._name = "TileErrorNote"
        self.message = message


def start_view(previous: Basemap | None, basemap: Basemap, current: Viewport,
               start: Viewport | None, home: Viewport) -> Viewport:
    """The view a base map opens on.

    Switching base map (``previous`` differs) keeps the view the user had (``current``);
    otherwise the map keeps the view it was built with (``start``, else ``home``), so its
    script stays the same while the user pans.
    """
    if previous is not None and previous != basemap:
        return current
    return start or home


def base_map(viewport: Viewport, basemap: Basemap = NO_TILES, *,
             base_url_path: str = "", lang: str = "zh") -> folium.Map:
    """Build the map whose script stays the same while the user pans and zooms.

    Parameters
    ----------
    viewport
        Initial view (its centre and zoom).
    basemap
        Tiles, if any.
    base_url_path
        Streamlit's ``server.baseUrlPath``, for the local asset URLs.
    lang
        Language of the note shown when the tiles cannot be reached (:class:`TileErrorNote`).

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
    tiles = tile_layers(basemap)
    for layer in tiles:
        layer.add_to(m)
    if tiles:
        TileErrorNote(text("map.tiles_unreachable", lang)).add_to(m)
    _AttributionPrefix().add_to(m)
    return m


def ad_shift_point(lon: float, lat: float) -> tuple[float, float]:
    """Shift a WGS84 point to GCJ-02 (for AMap display only)."""
    from layers.crs import wgs84_to_gcj02

    x, y = wgs84_to_gcj02(lon, lat)
    return float(x), float(y)
