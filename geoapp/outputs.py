"""The analysis outputs by name: the one place where results become file names.

:data:`OUTPUTS` lists every table an analysis produces, the stage and result attribute it comes
from and the file ``geoapp analyze`` writes it to; ``geoapp export --layer NAME`` and the
report take outputs by the same names. Rasters and charts are named here too
(:func:`raster_files`, :func:`chart_files`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geoapp.rasters import geotiff_bytes
from geoapp.results import ClustersResult, ReclamationResult, StageResult

PLOT_COLUMNS = [
    "plot_id", "park_id", "zone_type", "town_code", "district_code", "land_use", "status",
    "area_mu", "geom_area_mu", "n_enterprises", "n_projects", "output_wan", "tax_wan",
    "value_added_wan", "tax_per_mu", "output_per_mu", "value_added_per_mu",
    "tax_per_mu_growth", "output_per_mu_growth", "plot_ratio",
    "score", "grade", "low_efficiency", "reasons", "reasons_zh",
]
"""Columns of ``plots.geojson`` (plus geometry), in order."""


def _plot_file(plots: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in PLOT_COLUMNS if c in plots]
    return plots[[*keep, plots.geometry.name]] if hasattr(plots, "geometry") else plots[keep]


def rounded_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Progress as published: 亩 to 2 decimals, fractions to 4."""
    out = progress.copy()
    for c in ("target", "achieved", "expected_by_date", "forecast"):
        if c in out:
            out[c] = out[c].round(2)
    for c in ("pct", "elapsed_fraction"):
        if c in out:
            out[c] = out[c].round(4)
    return out


def _rounded_breakdown(breakdown: pd.DataFrame) -> pd.DataFrame:
    return breakdown.round({"achieved": 2}) if "achieved" in breakdown else breakdown


@dataclass(frozen=True)
class Output:
    """
    One analysis output.

    Attributes
    ----------
    name
        What ``geoapp export --layer`` and the report call it.
    stage, attribute
        Where it comes from: ``getattr(results[stage], attribute)``.
    file
        Its file name as a file of its own (``.geojson`` or ``.csv``): where ``place`` is
        ``"csv"`` the folder holds it so; others are written so with ``--geojson``/``--csv``
        (a Parquet table takes the name with ``.parquet``); None for a table only exported
        on request.
    view
        What the file shows of the result (e.g. rounding), or None for the table as it is.
    skip_empty
        Write no file when the table has no rows.
    place
        Where the output folder keeps it (:data:`PLACES`): ``"gpkg"`` a layer of
        ``analysis.gpkg``, ``"plot_columns"`` columns of that file's plots layer (a table that
        shares the plots' geometry), ``"parquet"`` a Parquet file (long per-row tables),
        ``"csv"`` a CSV file (short summaries); None: not in the folder.
    """

    name: str
    stage: str
    attribute: str
    file: str | None
    view: Callable[[pd.DataFrame], pd.DataFrame] | None = None
    skip_empty: bool = False
    place: str | None = "csv"

    def frame(self, result: StageResult) -> pd.DataFrame | None:
        """The output's table from the stage's result (None when the result lacks it)."""
        value = getattr(result, self.attribute, None)
        if not isinstance(value, pd.DataFrame) or (self.skip_empty and len(value) == 0):
            return None
        return self.view(value) if self.view is not None else value


OUTPUTS: tuple[Output, ...] = (
    Output("plots_evaluated", "evaluation", "plots", "plots.geojson", _plot_file, place="gpkg"),
    Output("enterprises_evaluated", "evaluation", "enterprises", "enterprises.csv",
           place="parquet"),
    Output("parks", "evaluation", "parks", "parks.geojson", place="gpkg"),
    Output("park_ranking", "evaluation", "park_ranking", "park_ranking.csv"),
    Output("town_ranking", "evaluation", "town_ranking", "town_ranking.csv"),
    Output("district_ranking", "evaluation", "district_ranking", "district_ranking.csv"),
    Output("low_efficiency", "evaluation", "low_efficiency", "low_efficiency.csv",
           place="plot_columns"),
    Output("reclamation_progress", "reclamation", "progress", "reclamation_progress.csv",
           rounded_progress),
    Output("reclamation_breakdown", "reclamation", "breakdown", "reclamation_breakdown.csv",
           _rounded_breakdown),
    Output("ledger_plots", "reclamation", "ledger_plots", "ledger_plots.geojson",
           place="plot_columns"),
    Output("projects", "reclamation", "projects", "projects.geojson", place="gpkg"),
    Output("projects_by_park", "reclamation", "projects_by_park", "projects_by_park.csv",
           skip_empty=True),
    Output("low_efficiency_not_in_ledger", "reclamation", "low_efficiency_not_in_ledger",
           "low_efficiency_not_in_ledger.csv", place="plot_columns"),
    Output("hotspots", "clusters", "hotspots", "hotspots.geojson", place="plot_columns"),
    Output("grid", "clusters", "grid", "grid.geojson", place="gpkg"),
    Output("concentration", "clusters", "concentration", "concentration.csv"),
    Output("concentration_parks", "clusters", "concentration_parks", None, place=None),
    Output("lead_industry_outside_parks", "clusters", "lead_industry_outside_parks",
           "lead_industry_outside_parks.csv", place="parquet"),
)
"""Every analysis output, in the order they are written."""

PLACES = ("gpkg", "plot_columns", "parquet", "csv")
"""Where an output lives in the analysis folder (:attr:`Output.place`)."""

GPKG_FILE = "analysis.gpkg"
"""The analysis folder's GeoPackage: every layer with geometry, each geometry once."""

OUTPUT_BY_NAME: dict[str, Output] = {o.name: o for o in OUTPUTS}


def file_slug(name: str) -> str:
    """Make a file-name part of a code (``"new materials"`` → ``"new_materials"``)."""
    slug = re.sub(r"[^0-9A-Za-z_-]+", "_", str(name)).strip("_")
    return slug or "unknown"


def raster_files(result: ClustersResult) -> dict[str, bytes]:
    """``{density_<industry>.tif: GeoTIFF bytes}``; two codes with one slug get ``_2``."""
    files: dict[str, bytes] = {}
    for key, surface in result.density.items():
        slug, n = file_slug(key), 2
        while f"density_{slug}.tif" in files:
            slug, n = f"{file_slug(key)}_{n}", n + 1
        files[f"density_{slug}.tif"] = geotiff_bytes(surface)
    return files


def chart_files(result: ReclamationResult) -> dict[str, bytes]:
    """``{burnup_<scope>-<id>_<metric>_<year>.png: PNG bytes}``, one per target."""
    files = {}
    for key, png in result.burnups.items():
        scope_type, scope_id, metric, year = key.split(":")
        files[f"burnup_{scope_type}-{file_slug(scope_id)}_{metric}_{year}.png"] = png
    return files


def output_tables(results: Mapping[str, StageResult]) -> dict[str, pd.DataFrame]:
    """Every output table of the stages that ran, by output name."""
    found = {}
    for out in OUTPUTS:
        if out.stage in results:
            frame = out.frame(results[out.stage])
            if frame is not None:
                found[out.name] = frame
    return found


def table_files(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``{file name: frame}`` of output tables given by name (:func:`output_tables`)."""
    return {out.file: tables[out.name] for out in OUTPUTS
            if out.file is not None and out.name in tables}


def output_files(results: Mapping[str, StageResult],
                 tables: Mapping[str, pd.DataFrame] | None = None) -> dict[str, Any]:
    """``{file name: frame | bytes}`` of every output as a file of its own, rasters and charts.

    The names are :attr:`Output.file` (what ``--geojson``/``--csv`` write beside
    ``analysis.gpkg``). ``tables`` replaces the output tables (public mode passes its
    filtered ones).
    """
    files: dict[str, Any] = table_files(output_tables(results) if tables is None else tables)
    if isinstance(results.get("clusters"), ClustersResult):
        files.update(raster_files(results["clusters"]))
    if isinstance(results.get("reclamation"), ReclamationResult):
        files.update(chart_files(results["reclamation"]))
    return files
