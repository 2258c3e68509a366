"""What is selected and where the map goes: the plots of a selection, its view and summary.

A selection comes from the filters (a mask), a search hit or a clicked ranking row
(``("plot", id)``, ``("park", id)``, ``("town", code)``). :func:`selection_view` gives the
centre and zoom that fit its plots; :func:`selection_facts` its summary, read from
:func:`geoapp.app.areas.data_summary` (the one owner of an area's figures).
"""

from __future__ import annotations

import numpy as np

from geoapp.app import areas
from geoapp.app.loading import AppData
from geoapp.app.viewing import fit_zoom

MAX_FLY_ZOOM = 17
"""Closest zoom a selection flies to (one plot fills a good part of the map)."""


def selected_mask(data: AppData, selected: tuple[str, str] | None) -> np.ndarray:
    """Boolean mask (by plot row) of a plot, park or town selection; all False without one."""
    p = data.plots
    if not selected:
        return np.zeros(len(p), dtype=bool)
    kind, fid = selected
    if kind == "plot":
        return p["plot_id"].astype(str).to_numpy() == str(fid)
    if kind in ("park", "town", "district"):
        return areas.scope_mask(p, kind, fid)
    return np.zeros(len(p), dtype=bool)


def selection_bounds(data: AppData, mask: np.ndarray) -> tuple[float, float, float, float] | None:
    """``(west, south, east, north)`` of the masked plots (WGS84), None when none is masked."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    w, s, e, n = (float(v) for v in data.plots[mask].total_bounds)
    return w, s, e, n


def selection_view(data: AppData, mask: np.ndarray, *, width_px: int = 900,
                   height_px: int = 620) -> tuple[list[float], int] | None:
    """``([lat, lon], zoom)`` fitting the masked plots (at most :data:`MAX_FLY_ZOOM`).

    None when nothing is masked. The zoom is :func:`geoapp.app.viewing.fit_zoom` of the
    plots' bounds, so every selected plot is in view.
    """
    bounds = selection_bounds(data, mask)
    if bounds is None:
        return None
    w, s, e, n = bounds
    zoom = min(MAX_FLY_ZOOM, fit_zoom(bounds, width_px=width_px, height_px=height_px))
    return [(s + n) / 2, (w + e) / 2], int(zoom)


def selection_facts(data: AppData, mask: np.ndarray, lang: str = "zh") -> list[tuple[str, str]]:
    """The selection's summary rows as ``[(label with unit, value as shown)]``.

    Plots, 亩, 亩均税收/产值, low-efficiency and reclaimed 亩, projects: the area summary's own.
    """
    return areas.summary_facts(areas.data_summary(data, np.asarray(mask, dtype=bool)), lang)


def filtered_ids(data: AppData, mask: np.ndarray) -> set[str] | None:
    """Plot ids the filters keep; None when every plot is kept (nothing to restrict)."""
    mask = np.asarray(mask, dtype=bool)
    if mask.all():
        return None
    return set(data.plots["plot_id"].astype(str).to_numpy()[mask])
