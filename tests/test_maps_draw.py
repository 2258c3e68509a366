"""The draw and measure toolbar loads Leaflet.draw from static/vendor, never from a CDN."""

from __future__ import annotations

import folium
from folium.plugins import Draw

from geoapp.app.viewing import Viewport
from geoapp.maps import base_map
from geoapp.maps.draw import add_draw
from geoapp.offline import REQUIRED_FILES, external_urls


def test_the_draw_plugin_loads_only_local_files():
    m = base_map(Viewport(121.3, 31.2, 121.5, 31.4, 11))
    draw = add_draw(m, base_url_path="geo")
    html = m.get_root().render()
    assert external_urls(html) == []
    assert "/geo/app/static/vendor/node_modules/leaflet-draw/dist/leaflet.draw.js" in html
    assert "/geo/app/static/vendor/node_modules/leaflet-draw/dist/leaflet.draw.css" in html
    assert "cdnjs" not in html
    assert isinstance(draw, Draw)
    assert Draw.default_js[0][1].startswith("https://")  # folium's class default untouched
    assert "node_modules/leaflet-draw/dist/images/spritesheet.svg" in REQUIRED_FILES
    assert draw.draw_options["rectangle"]["metric"] is True
    assert draw.draw_options["marker"] is False
    assert isinstance(m, folium.Map)
