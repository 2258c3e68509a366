"""Putting a map together: every layer switched on, for the current view, and whole maps."""

from __future__ import annotations

from dataclasses import dataclass, field

import folium
import numpy as np

from geoapp.app.loading import AppData
from geoapp.app.selection import filtered_ids
from geoapp.app.symbology import Legend, make_legend
from geoapp.app.viewing import (
    Viewport,
    data_viewport,
    grid_aggregate,
    level_of_detail,
    plots_in_view,
)
from geoapp.maps.basemaps import NO_TILES, Basemap, base_map
from geoapp.maps.raster import DensityImage, density_layer, density_overlay
from geoapp.maps.vector import (
    FastGeoJson,
    context_layer,
    feature_collection,
    feature_group,
    grid_layer,
    hotspot_layer,
    ledger_layer,
    ledger_points_layer,
    low_efficiency_grid_layer,
    low_efficiency_layer,
    plot_layer,
    projects_layer,
)

LAYER_KEYS: tuple[str, ...] = (
    "districts", "towns", "zones", "parks", "plots", "low_efficiency", "ledger", "projects",
    "density", "hotspots",
)
"""Map layers the user can switch on and off, in drawing order (names:
:data:`geoapp.words.LAYER_TEXT`)."""

DEFAULT_LAYERS: tuple[str, ...] = ("districts", "towns", "parks", "plots", "low_efficiency")
"""Map layers switched on when the app opens."""


@dataclass
class MapView:
    """What :func:`overlays` drew: the feature groups and facts the app shows beside the map.

    Attributes
    ----------
    groups
        One feature group per layer drawn.
    lod
        ``"plots"`` (single plots) or ``"grid"`` (grid aggregates).
    n_selected, n_in_view
        Plots selected, and selected plots in view.
    n_bytes
        Size of the vector layers' GeoJSON text.
    drawn
        ``{layer: class indices drawn}`` for every layer that drew something (the legend
        shows these and nothing else): keys of :data:`LAYER_KEYS`, with ``"plot_grid"`` for
        plots and ``"low_efficiency_grid"`` for low-efficiency plots drawn as grid cells;
        an empty tuple for layers without classes.
    density
        The density surface drawn, if any (its legend needs its values and unit).
    """

    groups: list[folium.FeatureGroup]
    lod: str
    n_selected: int
    n_in_view: int
    n_bytes: int
    drawn: dict[str, tuple[int, ...]] = field(default_factory=dict)
    density: DensityImage | None = None


def overlays(data: AppData, mask: np.ndarray, viewport: Viewport, *, layers: tuple[str, ...],
             legend: Legend, metric: str, basemap: Basemap = NO_TILES, lang: str = "zh",
             density: DensityImage | None = None, highlight: str | None = None) -> MapView:
    """Every layer switched on, for the current view, as feature groups.

    Parameters
    ----------
    data
        App data.
    mask
        Selected plots (:func:`geoapp.app.filtering.filter_mask`); projects and hot spots
        are drawn only on selected plots too.
    viewport
        Current view; sets level of detail, simplification and precision.
    layers
        Keys of :data:`LAYER_KEYS` to draw.
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
    keep = filtered_ids(data, mask)
    groups: list[folium.FeatureGroup] = []
    drawn: dict[str, tuple[int, ...]] = {}

    def add(key: str, el) -> None:
        if el is not None:
            groups.append(feature_group(key, el))
            drawn[key] = getattr(el, "classes", ())

    for kind in ("districts", "towns", "zones", "parks"):
        if kind in layers:
            add(kind, context_layer(data.layer(kind), kind, zoom=zoom, shift=shift, lang=lang))
    if "density" in layers and density is not None:
        add("density", density_layer(density))
    if "hotspots" in layers:
        add("hotspots", hotspot_layer(data.table("clusters", "hotspots"), viewport, shift=shift,
                                      lang=lang, keep=keep))
    in_view = plots_in_view(data, mask, viewport)
    lod = level_of_detail(viewport, len(in_view))
    cells = None
    if lod == "grid" and len(in_view) and ({"plots", "low_efficiency"} & set(layers)):
        cells = grid_aggregate(data, in_view, zoom, legend.metric if legend.metric ==
                               "grade" else metric)
    if "plots" in layers and len(in_view):
        if lod == "plots":
            add("plots", plot_layer(data, in_view, legend, metric=metric, zoom=zoom,
                                    shift=shift, lang=lang))
        else:
            add("plot_grid", grid_layer(cells, legend, metric=metric, shift=shift, lang=lang))
    if "ledger" in layers and len(in_view):
        add("ledger", ledger_layer(data, in_view, zoom=zoom, shift=shift, lang=lang)
            if lod == "plots" else ledger_points_layer(data, in_view, shift=shift, lang=lang))
    if "low_efficiency" in layers and len(in_view):
        if lod == "plots":
            add("low_efficiency", low_efficiency_layer(data, in_view, zoom=zoom, shift=shift,
                                                       lang=lang))
        else:
            low = in_view[data.plots["low_efficiency"].to_numpy(dtype=bool)[in_view]]
            add("low_efficiency_grid", low_efficiency_grid_layer(
                cells, grid_aggregate(data, low, zoom, "score"), shift=shift, lang=lang))
    if "projects" in layers:
        add("projects", projects_layer(data, shift=shift, lang=lang, keep=keep))
    if highlight:
        hit = np.flatnonzero(data.plots["plot_id"].astype(str).to_numpy() == str(highlight))
        if len(hit):
            p = data.plots.iloc[hit]
            text = feature_collection(p.geometry.array, [{"k": "plot", "id": str(highlight)}],
                                      precision=6, shift=shift)
            groups.append(feature_group("highlight", FastGeoJson(
                text, style={"color": "#00e5ff", "weight": 4, "fill": False},
                interactive=False, name="highlight")))
    n_bytes = sum(el.n_bytes for g in groups for el in g._children.values()
                  if isinstance(el, FastGeoJson))
    return MapView(groups=groups, lod=lod, n_selected=int(mask.sum()), n_in_view=len(in_view),
                   n_bytes=n_bytes, drawn=drawn,
                   density=density if "density" in drawn else None)


def build_map(data: AppData, *, metric: str = "tax_per_mu", scheme: str = "quantiles",
              layers: tuple[str, ...] = DEFAULT_LAYERS, viewport: Viewport | None = None,
              basemap: Basemap = NO_TILES, lang: str = "zh", mask: np.ndarray | None = None,
              density: bytes | None = None) -> folium.Map:
    """Build a complete standalone map (base map plus overlays), e.g. for an HTML file.

    Parameters are those of :func:`overlays`, except ``density``: GeoTIFF bytes. The legend
    is computed on every plot.
    """
    viewport = viewport or data_viewport(data)
    mask = np.ones(len(data.plots), dtype=bool) if mask is None else mask
    legend = make_legend(data.plots, metric, scheme)
    m = base_map(viewport, basemap)
    image = density_overlay(density, shift=basemap.shift) if density else None
    view = overlays(data, mask, viewport, layers=layers, legend=legend, metric=metric,
                    basemap=basemap, lang=lang, density=image)
    for g in view.groups:
        g.add_to(m)
    return m
