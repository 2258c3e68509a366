"""Drawing and measuring on the map with Leaflet.draw, loaded from ``static/vendor``.

folium's :class:`folium.plugins.Draw` names Leaflet.draw on a public CDN; :func:`add_draw`
adds it with the script and stylesheet of the npm package installed by
``python -m geoapp.offline --install`` instead (the lists are replaced on the instance, the
class defaults stay untouched). The toolbar offers a rectangle and a polygon (an area to
summarise; the tooltip shows its area while drawing) and a line (a distance, in metres).
``st_folium`` returns what was drawn as ``all_drawings`` (GeoJSON features, WGS84);
:mod:`geoapp.app.areas` turns them into numbers.
"""

from __future__ import annotations

import folium
from folium.plugins import Draw

from geoapp.offline import draw_assets

DRAW_OPTIONS: dict = {
    "polyline": {"metric": True, "feet": False, "showLength": True,
                 "shapeOptions": {"color": "#ff6d00", "weight": 3}},
    "polygon": {"metric": True, "feet": False, "showArea": True, "allowIntersection": False,
                "shapeOptions": {"color": "#ff6d00", "weight": 3, "fillOpacity": 0.08}},
    "rectangle": {"metric": True, "feet": False, "showArea": True,
                  "shapeOptions": {"color": "#ff6d00", "weight": 3, "fillOpacity": 0.08}},
    "circle": False,
    "marker": False,
    "circlemarker": False,
}
"""Leaflet.draw's ``draw`` options: areas and lines only, metric measurements."""


def add_draw(m: folium.Map, *, base_url_path: str = "") -> Draw:
    """
    Add the drawing and measuring toolbar to ``m``, loading Leaflet.draw locally.

    Parameters
    ----------
    m
        The app's base map (:func:`geoapp.maps.base_map`).
    base_url_path
        Streamlit's ``server.baseUrlPath``, for the local asset URLs.

    Returns
    -------
    folium.plugins.Draw
        The control (already added to ``m``).
    """
    draw = Draw(export=False, position="topleft", show_geometry_on_click=False,
                draw_options=DRAW_OPTIONS, edit_options={"edit": False, "remove": True})
    draw.default_js, draw.default_css = draw_assets(base_url_path=base_url_path)
    draw.add_to(m)
    return draw
