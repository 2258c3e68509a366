"""Load a workspace for the app: :class:`AppData`, the years it covers, and the plot table.

:func:`load_app_data` reads a workspace and its fresh stored results (re-running only the
stages whose inputs or settings changed, as ``geoapp analyze`` would), once per
``(workspace path, modification time, year)``: the app caches it with ``st.cache_resource``
(the frames are big and never mutated; ``st.cache_data`` would copy them on every rerun).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.overlay import centroids_m, register_or_measured_mu
from geoapp import pipeline
from geoapp.results import StageResult
from layers.crs import STORE_CRS


@dataclass
class AppData:
    """Everything the app shows for one workspace and year (never mutated once built).

    Attributes
    ----------
    path
        Workspace file.
    year
        Evaluation year.
    years
        Years with enterprise figures.
    layers
        Canonical layers as read (``{name: frame}``).
    results
        ``{stage: result}`` (:mod:`geoapp.results`), the workspace's fresh stored results.
    errors
        ``{stage: message}`` of the stages that are missing or failed.
    plots
        One row per plot (WGS84): the evaluation's plot table (``area_mu``, overlays,
        ``industry``, sums, per-mu figures and growth, ``score``, ``grade``,
        ``low_efficiency``, ``reasons`` …) plus ``ledger_stage``/``ledger_mode`` from the
        reclamation stage and ``lon``/``lat`` (a point inside the plot), in a RangeIndex.
    ran
        The stages that were stale and computed for this load (the rest were read back).
    synthetic
        Whether the workspace says its data are synthetic.
    """

    path: str
    year: int
    years: list[int]
    layers: dict[str, pd.DataFrame]
    results: dict[str, StageResult]
    errors: dict[str, str]
    plots: gpd.GeoDataFrame
    synthetic: bool = False
    ran: tuple[str, ...] = ()
    _tree: Any = field(default=None, repr=False)
    _centroids: Any = field(default=None, repr=False)

    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the plot geometries (built on first use)."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.plots.geometry.array)
        return self._tree

    @property
    def centroids_xy(self) -> np.ndarray:
        """Plot centroids in metres (:func:`analysis.overlay.centroids_m`), by row.

        Computed on first use and kept: :func:`analysis.grid.aggregate_to_grid` takes them
        (``xy=``) instead of reprojecting every polygon on each view.
        """
        if self._centroids is None:
            self._centroids = centroids_m(self.plots)
        return self._centroids

    def table(self, stage: str, name: str) -> pd.DataFrame | None:
        """Return a stage's result table by attribute (None when the stage did not run)."""
        value = getattr(self.results.get(stage), name, None)
        return value if isinstance(value, pd.DataFrame) else None

    def layer(self, name: str) -> pd.DataFrame:
        """Return a workspace layer (an empty frame when absent)."""
        return self.layers.get(name, pd.DataFrame())


def workspace_mtime(path: str | Path) -> float:
    """Return the cache-key part that changes whenever the workspace is written.

    For a PostGIS workspace: a number derived from its layer versions and settings.
    """
    from geoapp.store import is_url, open_workspace

    if is_url(path):
        return open_workspace(path).change_token()
    p = Path(path)
    return p.stat().st_mtime if p.exists() else 0.0


def workspace_years(path: str | Path) -> list[int]:
    """Years with enterprise figures (:func:`geoapp.pipeline.workspace_years`).

    The app resolves the evaluation year with this before it loads anything, so the load is
    cached under the same year the legend and the density surface ask for.
    """
    return pipeline.workspace_years(path)


def resolve_year(years: list[int], chosen: int | None = None) -> int:
    """The evaluation year: ``chosen`` when the data have it, else the latest (else this year)."""
    if chosen is not None and int(chosen) in years:
        return int(chosen)
    return years[-1] if years else date.today().year


def load_app_data(path: str, mtime: float, year: int | None = None) -> AppData:
    """Read a workspace and its fresh results: what the app shows.

    Parameters
    ----------
    path
        Workspace: GeoPackage file or ``postgresql://`` URL (whose user decides what is read).
    mtime
        Its modification time (:func:`workspace_mtime`): part of the cache key only.
    year
        Evaluation year; None takes the latest year with enterprise figures
        (:func:`resolve_year`).

    Returns
    -------
    AppData
        A stage that fails is recorded in :attr:`AppData.errors`, not raised: the app opens
        with what exists.
    """
    del mtime  # a cache key: a rewritten workspace has a new one
    from geoapp.store import open_workspace

    ws = open_workspace(path)
    ws.check()
    years = pipeline.workspace_years(ws)
    year = resolve_year(years) if year is None else int(year)
    layers = ws.read_all()
    run = pipeline.analyse_workspace(path, year=year, collect_errors=True, layers=layers)
    meta = ws.metadata()
    return AppData(path=str(path), year=int(year), years=years, layers=layers,
                   results=run.results, errors=run.errors,
                   plots=plot_table(layers, run.results), synthetic=bool(meta.get("synthetic")),
                   ran=tuple(run.ran))


def plot_table(layers: dict[str, pd.DataFrame], results: dict[str, StageResult]
               ) -> gpd.GeoDataFrame:
    """One row per plot with every attribute the map, filters and cards use.

    Every plot figure is the evaluation's (one owner per number); the ledger stage and mode
    are the reclamation stage's. When the evaluation failed, the plots still draw with their
    area in 亩 (:func:`analysis.overlay.register_or_measured_mu`) and no figures.

    Parameters
    ----------
    layers
        Workspace layers.
    results
        Stage results (may lack a stage that failed).

    Returns
    -------
    GeoDataFrame
        See :attr:`AppData.plots`.
    """
    evaluation = results.get("evaluation")
    if evaluation is not None:
        plots = evaluation.plots.copy()
    else:
        plots = layers.get("plots")
        if not isinstance(plots, gpd.GeoDataFrame) or plots.empty:
            return gpd.GeoDataFrame({"plot_id": pd.Series(dtype="string")},
                                    geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
        plots = plots.copy()
        plots["area_mu"] = register_or_measured_mu(plots).to_numpy()
    plots = plots[plots.geometry.notna() & ~plots.geometry.is_empty].reset_index(drop=True)
    plots["plot_id"] = plots["plot_id"].astype("string")
    for col, dtype in (("score", "float64"), ("grade", "string"), ("reasons", "string"),
                       ("industry", "string"), ("district_code", "string"),
                       ("town_code", "string"), ("park_id", "string"), ("zone_type", "string")):
        if col not in plots:
            plots[col] = pd.Series(pd.NA if dtype == "string" else np.nan,
                                   index=plots.index, dtype=dtype)
    if "low_efficiency" not in plots:
        plots["low_efficiency"] = False
    plots["low_efficiency"] = plots["low_efficiency"].fillna(False).astype(bool)
    reclamation = results.get("reclamation")
    ledger = reclamation.ledger_plots if reclamation is not None else pd.DataFrame()
    for col in ("stage", "mode"):
        known = (pd.Series(ledger[col].to_numpy(), index=ledger["plot_id"].astype(str))
                 if col in ledger and len(ledger) else pd.Series(dtype="string"))
        plots[f"ledger_{col}"] = known.reindex(plots["plot_id"].astype(str)).astype(
            "string").to_numpy()
    pts = shapely.point_on_surface(plots.geometry.array)
    plots["lon"] = shapely.get_x(pts)
    plots["lat"] = shapely.get_y(pts)
    return gpd.GeoDataFrame(plots, geometry=plots.geometry.name, crs=STORE_CRS)
