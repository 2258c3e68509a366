"""Stage ``clusters``: density surfaces, concentration, hot spots and the per-mu grid.

Returns a :class:`geoapp.results.ClustersResult`: kernel density of the year's enterprises
(in memory, per industry), Gi* and LISA of tax and output per mu by plot, the per-mu grid,
park concentration (shares, LQ, HHI) and lead-industry firms outside their parks.

Per-plot figures (``area_mu``, ``tax_per_mu``, ``output_per_mu``, ``tax_wan``,
``output_wan``, ``park_id``) are the evaluation's (:class:`geoapp.results.EvaluationResult`
``plots``): one owner per number. Plot centroids and enterprise points are computed once and
shared by the hot spots, the grid, the density surfaces and the concentration tables.

Settings: ``[density]``, ``[hotspots]``, ``[grid]``, ``[concentration]``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.concentration import (
    assign_districts,
    assign_parks,
    lead_industry_outside_parks,
    park_concentration_summary,
    park_industry_concentration,
)
from analysis.density import density_by_industry, enterprise_points
from analysis.grid import aggregate_to_grid
from analysis.hotspots import HotspotSettings, hot_spots
from analysis.overlay import centroids_m
from geoapp.results import ClustersResult, EvaluationResult
from geoapp.settings import DEFAULT_SETTINGS, Settings
from geoapp.stages import jsonable, layer

LAYERS = ("plots", "enterprises", "parks", "districts")
"""Layers this stage reads."""
SETTINGS = ("density", "hotspots", "grid", "concentration")
"""Settings sections this stage reads."""
NEEDS = ("evaluation",)
"""Stages whose results this stage takes."""
IMPORTS = ("esda", "libpysal.graph")
"""Heavy modules the hot spots import when they run (loaded by :func:`prepare`)."""

FIGURE_COLUMNS = ("plot_id", "area_mu", "tax_per_mu", "output_per_mu", "park_id")
"""The evaluation's per-plot figures this stage reads."""


def _year_rows(enterprises: pd.DataFrame, year: int) -> pd.DataFrame | None:
    if "year" not in enterprises:
        return None
    rows = enterprises[pd.to_numeric(enterprises["year"], errors="coerce") == year]
    return rows if len(rows) else None


def plot_figures(evaluated: pd.DataFrame, geometry: gpd.GeoSeries | None = None
                 ) -> gpd.GeoDataFrame:
    """
    The evaluation's per-plot figures, with the amounts the grid sums.

    Parameters
    ----------
    evaluated
        The evaluation's plots (:attr:`geoapp.results.EvaluationResult.plots`), or their
        :data:`FIGURE_COLUMNS` alone (:func:`handover`).
    geometry
        The plots' geometry when ``evaluated`` has none: the plots layer's, whose rows the
        evaluation keeps in order (checked by ``plot_id``).

    Returns
    -------
    GeoDataFrame
        :data:`FIGURE_COLUMNS` and geometry, plus ``tax_wan`` / ``output_wan`` = per-mu ×
        area (万元; NaN where the per-mu figure is), so a grid cell's Σ tax / Σ land
        reproduces the evaluation's per-mu figures.
    """
    cols = [c for c in FIGURE_COLUMNS if c in evaluated]
    if geometry is None:
        geometry = evaluated.geometry
    out = gpd.GeoDataFrame(evaluated[cols].copy(), geometry=geometry.to_numpy(),
                           crs=geometry.crs)
    out["area_mu"] = pd.to_numeric(out["area_mu"], errors="coerce").astype("float64")
    for amount in ("tax", "output"):
        per_mu = pd.to_numeric(out[f"{amount}_per_mu"], errors="coerce").astype("float64")
        out[f"{amount}_per_mu"] = per_mu
        out[f"{amount}_wan"] = per_mu * out["area_mu"]
    return out


def _hotspot_table(
    plots: gpd.GeoDataFrame, settings: HotspotSettings, xy: np.ndarray,
    p_values: Callable[..., np.ndarray] | None = None,
) -> gpd.GeoDataFrame:
    tax = hot_spots(plots, plots["tax_per_mu"], settings=settings, xy=xy, p_values=p_values)
    output = hot_spots(plots, plots["output_per_mu"], settings=settings, xy=xy,
                       p_values=p_values)
    keep = ["n_neighbours", "gi_z", "gi_p", "gi_class", "lisa_i", "lisa_z", "lisa_p", "lisa_class"]
    data = {"plot_id": plots["plot_id"], "tax_per_mu": plots["tax_per_mu"]}
    data.update({c: tax[c] for c in keep})
    data["output_per_mu"] = plots["output_per_mu"]
    data.update({f"output_{c}": output[c] for c in keep if c != "n_neighbours"})
    return gpd.GeoDataFrame(data, geometry=plots.geometry, crs=plots.crs)


def _ids(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame["plot_id"].to_numpy(dtype=object))


def _counts(series: pd.Series) -> dict[str, int]:
    return jsonable(series.value_counts().sort_index().to_dict())


@dataclass
class Prepared:
    """
    What the stage computes from the layers alone, before the evaluation exists.

    Attributes
    ----------
    enterprises
        The enterprise rows of the year (None without any).
    points
        Their points (:func:`analysis.density.enterprise_points`): the density surfaces and
        both concentration tables use the same ones.
    density
        ``{industry code or "all": DensitySurface}`` of the year.
    district_of
        Each enterprise row's district (:func:`analysis.concentration.assign_districts`), or
        None without enterprises or parks (it serves the parks' concentration).
    xy
        The plots' centroids in metres, in the plots layer's order
        (:func:`analysis.overlay.centroids_m`), or None without plots.
    """

    enterprises: pd.DataFrame | None
    points: gpd.GeoSeries | None
    density: dict[str, Any]
    district_of: pd.Series | None
    xy: np.ndarray | None


def prepare(
    layers: dict[str, pd.DataFrame],
    *,
    year: int,
    settings: Settings = DEFAULT_SETTINGS,
    xy: np.ndarray | None = None,
    smooth: Callable[..., list[np.ndarray]] | None = None,
) -> Prepared:
    """
    The stage's work that needs no evaluation: firm points and districts, density, centroids.

    A process that runs the stage beside the evaluation does this first (and loads the hot
    spots' :data:`IMPORTS`), then waits for :func:`handover`. Parameters as :func:`run`.
    """
    for module in IMPORTS:
        importlib.import_module(module)
    enterprises = _year_rows(layer(layers, "enterprises"), year)
    plots = layer(layers, "plots")
    located_by = plots if len(plots) else None
    points = enterprise_points(enterprises, located_by) if enterprises is not None else None
    surfaces = {}
    if enterprises is not None:
        surfaces = density_by_industry(
            enterprises, located_by, settings=settings.density, points=points, smooth=smooth
        )
    district_of, parks = None, layer(layers, "parks")
    if enterprises is not None and len(parks):  # for the parks' concentration
        district_of = assign_districts(enterprises, districts=layer(layers, "districts"),
                                       parks=parks, plots=located_by, points=points)
    if xy is None and len(plots):
        xy = centroids_m(plots)  # once, for both hot-spot runs and the grid
    return Prepared(enterprises=enterprises, points=points, density=surfaces,
                    district_of=district_of, xy=xy)


def handover(plots: pd.DataFrame) -> dict[str, Any]:
    """
    What the stage reads of the evaluation, for a process that has run :func:`prepare`.

    Parameters
    ----------
    plots
        The evaluation's plots (:attr:`geoapp.results.EvaluationResult.plots`), or the
        figures it hands out before it ends (``plots_ready`` of
        :func:`geoapp.stages.evaluation.run`).

    Returns
    -------
    dict
        ``{"figures": DataFrame}``: the plots' :data:`FIGURE_COLUMNS`, without geometry
        (that process has the plots layer, whose rows the evaluation keeps in order), a few
        numbers a plot instead of the whole evaluation.
    """
    return {"figures": pd.DataFrame(plots[[c for c in FIGURE_COLUMNS if c in plots]])}


def run(
    layers: dict[str, pd.DataFrame],
    *,
    year: int,
    evaluation: EvaluationResult | None = None,
    settings: Settings = DEFAULT_SETTINGS,
    xy: np.ndarray | None = None,
    smooth: Callable[..., list[np.ndarray]] | None = None,
    p_values: Callable[..., np.ndarray] | None = None,
    prepared: Prepared | None = None,
    figures: pd.DataFrame | None = None,
) -> ClustersResult:
    """
    Density surfaces, park concentration, hot spots and the per-mu grid for ``year``.

    Parameters
    ----------
    layers
        Workspace layers by name (``enterprises``, ``plots``, ``parks``, ``districts``).
    year
        The year of the enterprise rows used.
    evaluation
        The evaluation of ``year``: per-plot figures and parks (or ``figures``).
    settings
        Reads ``settings.density``, ``.hotspots``, ``.grid`` and ``.concentration``.
    xy, smooth, p_values
        A cluster engine's parts, each giving the numbers of the default: the plots'
        centroids in metres in the order of ``evaluation.plots``
        (:func:`analysis.overlay.centroids_m`), the density smoothing
        (``smooth`` of :func:`analysis.density.density_by_industry`) and the hot spots'
        p-values (``p_values`` of :func:`analysis.hotspots.hot_spots`). Default: here.
    prepared
        :func:`prepare` of these layers, when done already (then ``xy`` and ``smooth`` are
        its business).
    figures
        :func:`handover` of the evaluation, in place of ``evaluation``.

    Returns
    -------
    ClustersResult
    """
    hotspot_settings = settings.hotspots
    grid_settings = settings.grid
    conc_settings = settings.concentration
    given_xy = xy
    if prepared is None:
        prepared = prepare(layers, year=year, settings=settings, xy=xy, smooth=smooth)

    result = ClustersResult()
    enterprises, points, xy = prepared.enterprises, prepared.points, prepared.xy
    plots, parks, districts = (layer(layers, n) for n in ("plots", "parks", "districts"))
    located_by = plots if len(plots) else None
    evaluated = evaluation.plots if figures is None else figures
    layer_rows = "plot_id" in plots and "plot_id" in evaluated and _ids(evaluated).equals(
        _ids(plots))
    if figures is not None and not layer_rows:
        raise ValueError("the handed-over figures are not the plots layer's rows in its order")

    summary: dict[str, Any] = {
        "year": int(year),
        "n_enterprises": 0 if enterprises is None else len(enterprises),
    }

    # 1. Density surfaces.
    density_settings = settings.density
    surfaces = prepared.density
    result.density = surfaces
    summary["density"] = {
        "weight": density_settings.weight,
        "cell_m": density_settings.cell_m,
        "bandwidth_m": density_settings.bandwidth_m,
        "surfaces": sorted(surfaces),
        "total_weight": round(surfaces["all"].total, 6) if surfaces else 0.0,
    }

    # 2. Per-mu figures, hot spots and the grid.
    geometry = None if evaluated is not figures else plots.geometry  # handed over: none
    figures = None
    if len(evaluated):
        figures = plot_figures(evaluated, geometry)
        if not layer_rows and given_xy is None:  # centroids in the evaluation's own order
            xy = centroids_m(figures)
        hotspots = _hotspot_table(figures, hotspot_settings, xy, p_values)
        result.hotspots = hotspots
        grid = aggregate_to_grid(
            figures, amounts=("tax_wan", "output_wan"), land_mu=figures["area_mu"], xy=xy,
            settings=grid_settings,
        )
        result.grid = grid
        summary["hotspots"] = {
            "weights": hotspot_settings.weights,
            "threshold_m": hotspot_settings.threshold_m,
            "k": hotspot_settings.k,
            "permutations": hotspot_settings.permutations,
            "seed": hotspot_settings.seed,
            "tax_gi_class": _counts(hotspots["gi_class"]),
            "tax_lisa_class": _counts(hotspots["lisa_class"]),
            "output_gi_class": _counts(hotspots["output_gi_class"]),
        }
        summary["grid"] = {
            "shape": grid_settings.shape, "cell_m": grid_settings.cell_m, "cells": len(grid),
        }

    # 3. Concentration of parks.
    if len(parks) and enterprises is not None:
        park_plots = figures if figures is not None and "park_id" in figures else located_by
        park_of = assign_parks(enterprises, parks, plots=park_plots, points=points)  # once
        table = park_industry_concentration(
            enterprises, parks, plots=park_plots, districts=districts,
            measure=conc_settings.measure, top_n=conc_settings.top_n, points=points,
            park_of=park_of, district_of=prepared.district_of,
        )
        parks_summary = park_concentration_summary(table)
        outside = lead_industry_outside_parks(enterprises, parks, plots=park_plots,
                                              points=points, park_of=park_of)
        result.concentration = table
        result.concentration_parks = parks_summary
        result.lead_industry_outside_parks = outside
        summary["concentration"] = {
            "measure": conc_settings.measure,
            "parks": len(parks_summary),
            "parks_leads_in_top": int(parks_summary["leads_in_top"].sum()),
            "lead_industry_enterprises_outside": len(outside),
        }
    result.summary = jsonable(summary)
    return result
