"""The map builder: folium maps that load nothing from the internet and stay light at city scale.

The app draws one folium map whose own script never changes while the user pans (the base
map: tiles and view, :mod:`~geoapp.maps.basemaps`), and hands everything else to
``st_folium(feature_group_to_add=...)`` as feature groups built for the current view, filters
and toggles (:func:`overlays`, in :mod:`~geoapp.maps.compose`):

- context: districts, towns, zones 104/195/198, parks (simplified to half a pixel at the
  zoom, coordinates rounded to what the zoom can show);
- plots coloured by a metric's classes (:class:`geoapp.app.symbology.Legend`) when zoomed in,
  or grid aggregates when zoomed out (:mod:`geoapp.app.viewing` decides); low-efficiency
  outlines, reclamation stage, projects by stage, hot spots (:mod:`~geoapp.maps.vector`) and a
  density surface (:mod:`~geoapp.maps.raster`).

Beside the map, the app draws the legend of what was drawn, one group per layer
(:mod:`~geoapp.maps.legend`).

Every vector layer is a :class:`FastGeoJson`: the features carry only an id, a class index and
a tooltip, and the colours are looked up in the browser. The map uses the canvas renderer
(``prefer_canvas``). Legends are drawn by the app, not by branca (whose colormaps pull d3 from
a CDN).
"""

from geoapp.maps.basemaps import (
    BASEMAPS,
    NO_TILES,
    TIANDITU_ENV,
    Basemap,
    TileErrorNote,
    ad_shift_point,
    base_map,
    start_view,
    tianditu_key,
    tile_layers,
)
from geoapp.maps.compose import DEFAULT_LAYERS, LAYER_KEYS, MapView, build_map, overlays
from geoapp.maps.legend import LegendGroup, Swatch, change_group, legend_groups, legend_html
from geoapp.maps.raster import DensityImage, density_image, density_layer, density_overlay
from geoapp.maps.vector import (
    HOTSPOT_CLASSES,
    HOTSPOT_COLORS,
    FastGeoJson,
    feature_collection,
    plot_layer,
    precision_for,
)

__all__ = [
    "BASEMAPS",
    "DEFAULT_LAYERS",
    "HOTSPOT_CLASSES",
    "HOTSPOT_COLORS",
    "LAYER_KEYS",
    "NO_TILES",
    "TIANDITU_ENV",
    "Basemap",
    "DensityImage",
    "FastGeoJson",
    "LegendGroup",
    "MapView",
    "Swatch",
    "TileErrorNote",
    "ad_shift_point",
    "base_map",
    "build_map",
    "change_group",
    "density_image",
    "density_layer",
    "density_overlay",
    "feature_collection",
    "legend_groups",
    "legend_html",
    "overlays",
    "plot_layer",
    "precision_for",
    "start_view",
    "tianditu_key",
    "tile_layers",
]
