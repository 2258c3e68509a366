"""What the current map view draws: viewport, zoom, level of detail, grid cells, clicks.

:func:`plots_in_view`, :func:`level_of_detail` and :func:`grid_aggregate` (a thin wrapper of
:func:`analysis.grid.aggregate_to_grid`) decide what is drawn at a zoom; :func:`feature_at`
says what lies under a click.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.efficiency import per_mu_name
from analysis.grid import GridSettings, aggregate_to_grid, square_cells
from geoapp.app.loading import AppData
from geoapp.app.symbology import CHANGE_METRICS, METRICS, Metric
from layers.crs import STORE_CRS


@dataclass(frozen=True)
class Viewport:
    """The part of the map in view: lon/lat bounds and the Leaflet zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    @classmethod
    def from_component(cls, value: dict | None, default: Viewport) -> Viewport:
        """Read st_folium's ``bounds`` and ``zoom`` (falls back to ``default``)."""
        try:
            b = value["bounds"]
            sw, ne = b["_southWest"], b["_northEast"]
            vp = cls(float(sw["lng"]), float(sw["lat"]), float(ne["lng"]), float(ne["lat"]),
                     int(value["zoom"]))
        except (TypeError, KeyError, ValueError):
            return default
        if not all(math.isfinite(v) for v in (vp.west, vp.south, vp.east, vp.north)):
            return default
        return vp


PLOT_ZOOM = 14
"""Zoom from which single plots are drawn (about 10 m per pixel in Shanghai)."""

MAX_PLOT_FEATURES = 4000
"""Most plots drawn at once; a fuller view is shown as grid aggregates."""


def fit_zoom(bounds: tuple[float, float, float, float], *, width_px: int = 900,
             height_px: int = 620) -> int:
    """Find the largest Leaflet zoom at which ``(west, south, east, north)`` fits."""
    west, south, east, north = bounds
    lon_span = max(east - west, 1e-6)
    y = [math.log(math.tan(math.pi / 4 + math.radians(v) / 2)) for v in (south, north)]
    merc_span = max(y[1] - y[0], 1e-9)
    zx = math.log2(width_px * 360.0 / (256.0 * lon_span))
    zy = math.log2(height_px * 2 * math.pi / (256.0 * merc_span))
    return int(max(1, min(18, math.floor(min(zx, zy)))))


def data_viewport(data: AppData, *, width_px: int = 900, height_px: int = 620) -> Viewport:
    """Return the view that shows every plot (or every district when there are none)."""
    frame = data.plots if len(data.plots) else data.layer("districts")
    if not isinstance(frame, gpd.GeoDataFrame) or frame.empty:
        return Viewport(121.0, 30.7, 121.9, 31.5, 10)
    w, s, e, n = (float(v) for v in frame.total_bounds)
    return Viewport(w, s, e, n, fit_zoom((w, s, e, n), width_px=width_px, height_px=height_px))


def plots_in_view(data: AppData, mask: np.ndarray, viewport: Viewport) -> np.ndarray:
    """Positions of the selected plots whose envelope meets the viewport (sorted)."""
    hits = data.tree.query(shapely.box(viewport.west, viewport.south, viewport.east,
                                       viewport.north))
    hits = np.sort(hits)
    return hits[mask[hits]]


def level_of_detail(viewport: Viewport, n_in_view: int) -> str:
    """Choose ``"plots"`` when zoomed in with few enough plots in view, else ``"grid"``."""
    if viewport.zoom >= PLOT_ZOOM and n_in_view <= MAX_PLOT_FEATURES:
        return "plots"
    return "grid"


GRID_CELL_PX = 24
"""Side of a grid cell on screen, in pixels."""

MAX_GRID_CELL_M = 10_000.0
"""Largest grid cell, in metres."""

_M_PER_PX_Z0 = 2 * math.pi * 6_378_137.0 / 256
"""Web Mercator metres per pixel at zoom 0 on the equator."""


def grid_cell_m(zoom: int, lat: float = 31.2) -> float:
    """Side of a grid cell in metres: :data:`GRID_CELL_PX` pixels at ``zoom`` and ``lat``.

    At most :data:`MAX_GRID_CELL_M`; ``lat`` defaults to Shanghai's (the ground size of a
    Web Mercator pixel shrinks with the cosine of the latitude).
    """
    size = GRID_CELL_PX * _M_PER_PX_Z0 * math.cos(math.radians(lat)) / 2 ** int(zoom)
    return float(min(MAX_GRID_CELL_M, size))


def simplify_tolerance(zoom: int) -> float:
    """Simplification tolerance in degrees: half a screen pixel at ``zoom``."""
    return 0.5 * 360.0 / (256.0 * 2 ** int(zoom))


def grid_aggregate(data: AppData, positions: np.ndarray, zoom: int,
                   metric: str) -> gpd.GeoDataFrame:
    """Aggregate plots into square cells for a zoomed-out view.

    A thin wrapper of :func:`analysis.grid.aggregate_to_grid` (square cells of
    :func:`grid_cell_m` at ``zoom``, anchored in :data:`layers.crs.WORK_CRS`): per-mu metrics
    are that function's figures, Σ amount / Σ land of the cell — the one rule of the
    product. Score and growth, which are not amounts, are land-weighted means over the plots
    that have them; grade is the grade holding most land. Both use the same cells
    (:func:`analysis.grid.square_cells`).

    Parameters
    ----------
    data
        App data.
    positions
        Row positions of the plots to aggregate (selected and in view).
    zoom
        Leaflet zoom (sets the cell size).
    metric
        Key of :data:`METRICS`.

    Returns
    -------
    GeoDataFrame
        One row per non-empty cell: ``cell`` id, ``n_plots``, ``area_mu`` (all the cell's
        plots), ``value`` (the metric), geometry (the cell, WGS84).
    """
    positions = np.asarray(positions, dtype="int64")
    if len(positions) == 0:
        return gpd.GeoDataFrame({"cell": [], "n_plots": [], "area_mu": [], "value": []},
                                geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
    p = data.plots.iloc[positions]
    settings = GridSettings(cell_m=grid_cell_m(zoom), shape="square")
    xy = data.centroids_xy[positions]
    area = pd.Series(pd.to_numeric(p["area_mu"], errors="coerce").fillna(0.0).to_numpy(
        dtype="float64"), index=p.index)
    m = METRICS.get(metric) or CHANGE_METRICS.get(metric) or METRICS["tax_per_mu"]
    per_mu = metric != "grade" and m.numerator is not None and m.numerator in p
    amounts = (m.numerator,) if per_mu else ()
    cells = aggregate_to_grid(p, amounts=amounts, land_mu=area, xy=xy, settings=settings)
    if per_mu:
        value = cells[per_mu_name(m.numerator)]
    else:
        i, j = square_cells(xy[:, 0], xy[:, 1], cell_m=settings.cell_m)
        ids = pd.Series([f"sq_{a}_{b}" for a, b in zip(i, j, strict=True)])
        value = _cell_values(p, m, metric, ids, area.to_numpy()).reindex(cells["cell_id"])
    value = np.asarray(value, dtype=object if metric == "grade" else "float64")
    out = pd.DataFrame({"cell": cells["cell_id"].to_numpy(),
                        "n_plots": cells["n_plots"].to_numpy(),
                        "area_mu": cells["land_mu"].to_numpy(), "value": value})
    return gpd.GeoDataFrame(out, geometry=cells.geometry.array, crs=STORE_CRS)


def _cell_values(p: pd.DataFrame, m: Metric, metric: str, cell: pd.Series,
                 area: np.ndarray) -> pd.Series:
    """Grade holding most land, or land-weighted mean of ``m``, by cell id."""
    if metric == "grade":
        frame = pd.DataFrame({"cell": cell, "g": p["grade"].astype("string").to_numpy(),
                              "area": area}).dropna(subset=["g"])
        by = frame.groupby(["cell", "g"])["area"].sum().reset_index()
        by = by.sort_values(["cell", "area", "g"], ascending=[True, False, True])
        return by.drop_duplicates("cell").set_index("cell")["g"]
    v = (pd.to_numeric(p[m.column], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
         if m.column in p else np.full(len(p), np.nan))
    ok = ~np.isnan(v) & (area > 0)
    frame = pd.DataFrame({"cell": cell, "wv": np.where(ok, v * area, np.nan),
                          "w": np.where(ok, area, np.nan)})
    g = frame.groupby("cell")
    w = g["w"].sum(min_count=1)
    return g["wv"].sum(min_count=1) / w.where(w > 0)


def feature_at(data: AppData, lon: float, lat: float, mask: np.ndarray | None = None) -> str | None:
    """``plot_id`` of the (selected) plot containing a clicked point, or None."""
    pt = shapely.Point(lon, lat)
    hits = data.tree.query(pt, predicate="intersects")
    if mask is not None:
        hits = hits[mask[hits]]
    if len(hits) == 0:
        return None
    return str(data.plots["plot_id"].iloc[int(np.sort(hits)[0])])


