"""The clusters stage of ``geoapp analyze``: density surfaces, concentration, hot spots, grid.

Outputs (files):

- ``density_all.tif`` and ``density_<industry>.tif`` for each industry present: kernel
  density of the year's enterprises (GeoTIFF, EPSG:32651, float32, per km²);
- ``hotspots.geojson``: plots with Gi* and LISA of tax per mu (``gi_z``, ``gi_p``,
  ``gi_class``, ``lisa_*``) and of output per mu (the same columns prefixed ``output_``);
- ``concentration.csv``: per park and industry, shares, rank, LQ, HHI;
- ``lead_industry_outside_parks.csv``: enterprises of a lead industry outside its parks;
- ``grid.geojson``: per-mu tax and output aggregated to hexagons (or squares).

Tables: ``"hotspots"``, ``"concentration"``, ``"concentration_parks"``,
``"lead_industry_outside_parks"``, ``"grid"`` (DataFrames / GeoDataFrames) and ``"density"``
(``{name: DensitySurface}``, the rasters in memory).

Per-mu figures come from the evaluation stage when it ran (its ``plots`` table: ``plot_id``,
``tax_per_mu``, ``output_per_mu``, optional ``area_mu`` and ``park_id``); otherwise this
stage computes them itself so it works alone, by the same rule
(:func:`analysis.efficiency.scope_indicators` by ``plot_id``): the year's ``tax_wan`` /
``output_wan`` summed by plot (utility enterprises left out, as they are unrated) over the
plot's area in mu (register area, else measured in EPSG:32651). A plot with no enterprise row
that year, or whose firms report no figure (规下), has no value (NaN), never 0.

Plot centroids and enterprise points are computed once and shared by the hot spots, the grid,
the density surfaces and the concentration tables.

Config sections (every key optional; unknown keys are an error): ``[density]`` (``cell_m``,
``bandwidth_m``, ``weight``, ``truncate``, ``pad_bandwidths``), ``[hotspots]`` (``weights``,
``threshold_m``, ``k``, ``permutations``, ``seed``, ``lisa_alpha``), ``[grid]`` (``cell_m``,
``shape``), ``[concentration]`` (``measure``, ``top_n``).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.concentration import (
    lead_industry_outside_parks,
    park_concentration_summary,
    park_industry_concentration,
)
from analysis.density import DensitySettings, density_by_industry, enterprise_points
from analysis.efficiency import scope_indicators
from analysis.grid import GridSettings, aggregate_to_grid
from analysis.hotspots import HotspotSettings, hot_spots
from analysis.overlay import centroids_m
from geoapp.config import AnalysisConfig
from geoapp.rasters import geotiff_bytes
from geoapp.stages import StageResult, jsonable, layer
from geoapp.stages.evaluation import plot_area_mu


@dataclasses.dataclass(frozen=True)
class ConcentrationSettings:
    """
    The ``[concentration]`` section.

    Attributes
    ----------
    measure
        ``"output_wan"``, ``"tax_wan"`` or ``"count"``.
    top_n
        A lead industry ranked at most this in its park counts as "in the top".
    """

    measure: str = "output_wan"
    top_n: int = 3

    def __post_init__(self):
        if self.measure not in ("output_wan", "tax_wan", "count"):
            raise ValueError(
                f"concentration settings: measure must be 'output_wan', 'tax_wan' or 'count', "
                f"got {self.measure!r}"
            )
        if int(self.top_n) != self.top_n or self.top_n < 1:
            raise ValueError(f"concentration settings: top_n must be >= 1, got {self.top_n}")


def settings_from(cls, config: AnalysisConfig, section: str):
    """
    Build the frozen settings dataclass ``cls`` from a config section.

    Raises
    ------
    ValueError
        Naming unknown keys and the known ones, or a bad value.
    """
    values = config.section(section)
    known = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise ValueError(
            f"config [{section}]: unknown key(s) {unknown}; expected some of {known}"
        )
    return cls(**values)


def file_slug(name: str) -> str:
    """Make a file-name part of an industry code (``"new materials"`` → ``"new_materials"``)."""
    slug = re.sub(r"[^0-9A-Za-z_-]+", "_", str(name)).strip("_")
    return slug or "unknown"


def _year_rows(enterprises: pd.DataFrame, year: int) -> pd.DataFrame | None:
    if "year" not in enterprises:
        return None
    rows = enterprises[pd.to_numeric(enterprises["year"], errors="coerce") == year]
    return rows if len(rows) else None


def plot_figures(
    plots: gpd.GeoDataFrame,
    enterprises: pd.DataFrame | None,
    evaluation: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """
    Give plots ``area_mu``, ``tax_per_mu``, ``output_per_mu``, ``tax_wan``, ``output_wan``.

    Parameters
    ----------
    plots
        The plots layer.
    enterprises
        The year's enterprise rows (used when there is no evaluation).
    evaluation
        The evaluation stage's ``plots`` table, keyed by ``plot_id``; its per-mu figures,
        ``area_mu`` and ``park_id`` win when present (areas are then not measured again).

    Returns
    -------
    GeoDataFrame
        ``plots`` (same index) with those columns (and ``park_id`` when the evaluation has
        it). Without an evaluation the per-mu figures are
        :func:`analysis.efficiency.scope_indicators` by ``plot_id`` (Σ / plot area, NaN where
        no firm reports the amount). ``tax_wan`` / ``output_wan`` are per-mu × area, so a grid
        cell's Σ tax / Σ land reproduces the evaluation's figures.
    """
    out = plots.copy()
    keys = out["plot_id"].astype("string")
    if evaluation is not None and "plot_id" in evaluation:
        ev = evaluation.drop_duplicates("plot_id")
        ev = ev.set_index(ev["plot_id"].astype("string"))
        for column in ("tax_per_mu", "output_per_mu", "park_id"):
            if column in ev:
                out[column] = ev[column].reindex(keys.to_numpy()).to_numpy()
    area = plot_area_mu(out, evaluation)  # measured only where the evaluation gives none
    out["area_mu"] = area
    amounts = [a for a in ("tax", "output") if f"{a}_per_mu" not in out]
    if amounts:
        figures = pd.DataFrame(index=pd.Index([], name="plot_id"))
        if enterprises is not None and "plot_id" in enterprises:
            rated = enterprises
            if "utility" in rated:
                rated = rated[pd.to_numeric(rated["utility"], errors="coerce").fillna(0) != 1]
            rated = rated.assign(plot_id=rated["plot_id"].astype("string"))
            scope = pd.DataFrame({"plot_id": keys, "area_mu": area})
            figures = scope_indicators(rated, scope, "plot_id")
        for amount in amounts:
            column = f"{amount}_per_mu"
            values = figures[column] if column in figures else pd.Series(dtype="float64")
            out[column] = values.reindex(keys.to_numpy()).to_numpy(dtype="float64")
    for amount in ("tax", "output"):
        per_mu = f"{amount}_per_mu"
        out[per_mu] = pd.to_numeric(out[per_mu], errors="coerce").astype("float64")
        out[f"{amount}_wan"] = out[per_mu] * out["area_mu"]
    return out


def _hotspot_table(
    plots: gpd.GeoDataFrame, settings: HotspotSettings, xy: np.ndarray
) -> gpd.GeoDataFrame:
    tax = hot_spots(plots, plots["tax_per_mu"], settings=settings, xy=xy)
    output = hot_spots(plots, plots["output_per_mu"], settings=settings, xy=xy)
    keep = ["n_neighbours", "gi_z", "gi_p", "gi_class", "lisa_i", "lisa_z", "lisa_p", "lisa_class"]
    data = {"plot_id": plots["plot_id"], "tax_per_mu": plots["tax_per_mu"]}
    data.update({c: tax[c] for c in keep})
    data["output_per_mu"] = plots["output_per_mu"]
    data.update({f"output_{c}": output[c] for c in keep if c != "n_neighbours"})
    return gpd.GeoDataFrame(data, geometry=plots.geometry, crs=plots.crs)


def _counts(series: pd.Series) -> dict[str, int]:
    return jsonable(series.value_counts().sort_index().to_dict())


def run(
    layers: dict[str, pd.DataFrame],
    *,
    year: int,
    config: AnalysisConfig,
    results: dict[str, StageResult],
) -> StageResult:
    """
    Density surfaces, park concentration, hot spots and the per-mu grid for ``year``.

    Parameters
    ----------
    layers
        Workspace layers by name (``enterprises``, ``plots``, ``parks``, ``districts``).
    year
        The year of the enterprise rows used.
    config
        Analysis configuration (sections ``density``, ``hotspots``, ``grid``,
        ``concentration``).
    results
        Earlier stages' results; ``results["evaluation"].tables["plots"]`` is used if present.

    Returns
    -------
    StageResult
        See the module docstring for outputs and tables.
    """
    density_settings = settings_from(DensitySettings, config, "density")
    hotspot_settings = settings_from(HotspotSettings, config, "hotspots")
    grid_settings = settings_from(GridSettings, config, "grid")
    conc_settings = settings_from(ConcentrationSettings, config, "concentration")

    result = StageResult()
    enterprises = _year_rows(layer(layers, "enterprises"), year)
    plots, parks, districts = (layer(layers, n) for n in ("plots", "parks", "districts"))
    evaluation = results.get("evaluation")
    eval_plots = evaluation.tables.get("plots") if evaluation is not None else None
    # Located once: the density surfaces and both concentration tables use the same points.
    located_by = plots if len(plots) else None
    points = enterprise_points(enterprises, located_by) if enterprises is not None else None

    summary: dict[str, Any] = {
        "year": int(year),
        "n_enterprises": 0 if enterprises is None else len(enterprises),
        "per_mu_source": "evaluation" if eval_plots is not None else "clusters",
    }

    # 1. Density surfaces.
    surfaces = {}
    if enterprises is not None:
        surfaces = density_by_industry(
            enterprises, located_by, settings=density_settings, points=points
        )
    for name, surface in surfaces.items():
        slug, n = file_slug(name), 2
        while f"density_{slug}.tif" in result.outputs:  # two codes with one slug
            slug, n = f"{file_slug(name)}_{n}", n + 1
        result.outputs[f"density_{slug}.tif"] = geotiff_bytes(surface)
    result.tables["density"] = surfaces
    summary["density"] = {
        "weight": density_settings.weight,
        "cell_m": density_settings.cell_m,
        "bandwidth_m": density_settings.bandwidth_m,
        "surfaces": sorted(surfaces),
        "total_weight": round(surfaces["all"].total, 6) if surfaces else 0.0,
    }

    # 2. Per-mu figures, hot spots and the grid.
    figures = None
    if len(plots):
        figures = plot_figures(plots, enterprises, eval_plots)
        xy = centroids_m(figures)  # once, for both hot-spot runs and the grid
        hotspots = _hotspot_table(figures, hotspot_settings, xy)
        result.outputs["hotspots.geojson"] = hotspots
        result.tables["hotspots"] = hotspots
        grid = aggregate_to_grid(
            figures, amounts=("tax_wan", "output_wan"), land_mu=figures["area_mu"], xy=xy,
            settings=grid_settings,
        )
        result.outputs["grid.geojson"] = grid
        result.tables["grid"] = grid
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
        table = park_industry_concentration(
            enterprises, parks, plots=park_plots, districts=districts,
            measure=conc_settings.measure, top_n=conc_settings.top_n, points=points,
        )
        parks_summary = park_concentration_summary(table)
        outside = lead_industry_outside_parks(enterprises, parks, plots=park_plots,
                                              points=points)
        result.outputs["concentration.csv"] = table
        result.outputs["lead_industry_outside_parks.csv"] = outside
        result.tables["concentration"] = table
        result.tables["concentration_parks"] = parks_summary
        result.tables["lead_industry_outside_parks"] = outside
        summary["concentration"] = {
            "measure": conc_settings.measure,
            "parks": len(parks_summary),
            "parks_leads_in_top": int(parks_summary["leads_in_top"].sum()),
            "lead_industry_enterprises_outside": len(outside),
        }
    result.summary = jsonable(summary)
    return result
