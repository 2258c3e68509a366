"""Load a workspace for the app: :class:`AppData`, the years it covers, and the plot table.

:func:`load_app_data` reads a workspace and runs whatever analysis stages exist, once per
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

from analysis.efficiency import growth, scope_indicators
from analysis.overlay import (
    assign_largest_share,
    centroids_m,
    locate_enterprises,
    register_or_measured_mu,
)
from analysis.reclamation import plot_states
from layers.crs import STORE_CRS, WORK_CRS


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
        ``{stage: StageResult}`` of the stages that ran.
    errors
        ``{stage: message}`` of the stages that are missing or failed.
    plots
        One row per plot (WGS84): the plot's own columns plus ``area_mu``, ``district_code``,
        ``town_code``, ``park_id``, ``zone_type``, ``industry`` (largest output), ``n_enterprises``,
        summed ``output_wan``/``tax_wan``/``value_added_wan``, per-mu figures,
        ``tax_per_mu_growth``/``output_per_mu_growth``, ``score``, ``grade``,
        ``low_efficiency``, ``reasons``, ``ledger_stage``, ``lon``/``lat`` (a point inside the
        plot), in a RangeIndex.
    synthetic
        Whether the workspace says its data are synthetic.
    """

    path: str
    year: int
    years: list[int]
    layers: dict[str, pd.DataFrame]
    results: dict[str, Any]
    errors: dict[str, str]
    plots: gpd.GeoDataFrame
    synthetic: bool = False
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
        """Return a stage's result table (None when the stage did not run or lacks it)."""
        res = self.results.get(stage)
        if res is None:
            return None
        value = getattr(res, "tables", {}).get(name)
        return value if isinstance(value, pd.DataFrame) else None

    def layer(self, name: str) -> pd.DataFrame:
        """Return a workspace layer (an empty frame when absent)."""
        return self.layers.get(name, pd.DataFrame())


def workspace_mtime(path: str | Path) -> float:
    """Return the cache-key part that changes whenever the workspace is written."""
    p = Path(path)
    return p.stat().st_mtime if p.exists() else 0.0


def _years(enterprises: pd.DataFrame) -> list[int]:
    if "year" not in enterprises or enterprises.empty:
        return []
    years = pd.to_numeric(enterprises["year"], errors="coerce").dropna().astype(int)
    return sorted(set(years.tolist()))


def workspace_years(path: str | Path) -> list[int]:
    """Years with enterprise figures in a workspace, read cheaply (the ``year`` column only).

    The app resolves the evaluation year with this before it loads anything, so the load is
    cached under the same year the legend and the density surface ask for.
    """
    import pyogrio

    from geoapp.workspace import Workspace

    if "enterprises" not in Workspace(path).layers():
        return []
    frame = pyogrio.read_dataframe(path, layer="enterprises", columns=["year"],
                                   read_geometry=False, use_arrow=True)
    return _years(frame)


def resolve_year(years: list[int], chosen: int | None = None) -> int:
    """The evaluation year: ``chosen`` when the data have it, else the latest (else this year)."""
    if chosen is not None and int(chosen) in years:
        return int(chosen)
    return years[-1] if years else date.today().year


def load_app_data(path: str, mtime: float, year: int | None = None, *,
                  analyse: bool = True) -> AppData:
    """Read a workspace and build what the app shows.

    Parameters
    ----------
    path
        Workspace (GeoPackage) file.
    mtime
        Its modification time (:func:`workspace_mtime`): part of the cache key only.
    year
        Evaluation year; None takes the latest year with enterprise figures
        (:func:`resolve_year`).
    analyse
        Run the analysis stages with :func:`geoapp.pipeline.run_analysis` (False shows the
        layers only). A failing stage is recorded in :attr:`AppData.errors`, not raised.

    Returns
    -------
    AppData
    """
    del mtime  # a cache key: a rewritten workspace has a new one
    from geoapp.pipeline import run_analysis
    from geoapp.workspace import Workspace

    ws = Workspace(path)
    ws.check()
    layers = ws.read_all()
    years = _years(layers["enterprises"])
    year = resolve_year(years) if year is None else int(year)
    errors: dict[str, str] = {}
    results = run_analysis(layers, year=year, errors=errors) if analyse else {}
    meta = ws.metadata()
    data = AppData(path=str(path), year=int(year), years=years, layers=layers, results=results,
                   errors=errors, plots=gpd.GeoDataFrame(), synthetic=bool(meta.get("synthetic")))
    data.plots = plot_table(layers, results, year=int(year))
    return data


def _located_firms(enterprises: pd.DataFrame, plots: gpd.GeoDataFrame,
                   years: tuple[int, ...]) -> pd.DataFrame:
    """Enterprise-years of ``years`` with their plot: given ``plot_id``, else by their point.

    The evaluation stage locates firms with the same function
    (:func:`analysis.overlay.locate_enterprises`).
    """
    if enterprises is None or enterprises.empty or "year" not in enterprises:
        return pd.DataFrame(columns=["plot_id", "year"])
    year = pd.to_numeric(enterprises["year"], errors="coerce")
    firms = enterprises[year.isin(years).to_numpy()]
    plot_id = locate_enterprises(firms, plots[["plot_id", plots.geometry.name]])
    out = pd.DataFrame(firms.drop(columns="geometry", errors="ignore"))
    out["plot_id"] = plot_id.to_numpy()
    out["year"] = pd.to_numeric(out["year"], errors="coerce")
    return out[out["plot_id"].notna()]


PLOT_AMOUNTS: tuple[str, ...] = (
    "n_enterprises", "output_wan", "tax_wan", "value_added_wan", "tax_per_mu", "output_per_mu",
    "value_added_per_mu",
)
"""Columns of :func:`analysis.efficiency.scope_indicators` the plot table keeps without the
evaluation (with it, the evaluation's plot table brings them and more)."""

GROWTH_METRICS: tuple[str, ...] = ("tax_per_mu", "output_per_mu")
"""Per-mu figures whose year-on-year growth each plot carries (``<metric>_growth``)."""

_OVERLAYS = (("code", "districts", "district_code"), ("code", "towns", "town_code"),
             ("park_id", "parks", "park_id"), ("zone_type", "zones", "zone_type"))


def plot_table(layers: dict[str, pd.DataFrame], results: dict[str, Any], *,
               year: int) -> gpd.GeoDataFrame:
    """One row per plot with every attribute the map, filters and cards use.

    When the evaluation ran, its plot table is the source of every plot figure: area in mu,
    park/zone/town/district, sums, per-mu figures (Σ over Σ all of the plot's land), score,
    grade, low-efficiency reasons, and growth where it has it. Without the analyses the plot
    layer still draws: areas (:func:`analysis.overlay.register_or_measured_mu`), overlays by
    largest share (:func:`analysis.overlay.assign_largest_share`) and per-mu figures
    (:func:`analysis.efficiency.scope_indicators`) are derived with the same functions.
    Growth missing from the evaluation is :func:`analysis.efficiency.growth` of
    ``scope_indicators`` of the year and the year before, computed once.

    Parameters
    ----------
    layers
        Workspace layers.
    results
        Stage results (may be empty).
    year
        Evaluation year.

    Returns
    -------
    GeoDataFrame
        See :attr:`AppData.plots`.
    """
    plots = layers.get("plots")
    if not isinstance(plots, gpd.GeoDataFrame) or plots.empty:
        return gpd.GeoDataFrame({"plot_id": pd.Series(dtype="string")},
                                geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
    plots = plots.reset_index(drop=True)
    plots = plots[plots.geometry.notna() & ~plots.geometry.is_empty].reset_index(drop=True)
    plots["plot_id"] = plots["plot_id"].astype("string")
    evaluated = None
    res = results.get("evaluation")
    if res is not None:
        evaluated = getattr(res, "tables", {}).get("plots")
    if not isinstance(evaluated, pd.DataFrame) or "plot_id" not in evaluated:
        evaluated = None
    has_growth = evaluated is not None and all(f"{m}_growth" in evaluated
                                               for m in GROWTH_METRICS)
    firms = _located_firms(layers.get("enterprises", pd.DataFrame()), plots,
                           (year,) if has_growth else (year, year - 1))
    if evaluated is not None:
        ev = pd.DataFrame(evaluated.drop(columns=evaluated.geometry.name)
                          if isinstance(evaluated, gpd.GeoDataFrame) else evaluated)
        ev = ev.drop_duplicates("plot_id")
        ev["plot_id"] = ev["plot_id"].astype("string")
        new_cols = [c for c in ev.columns if c not in plots.columns or c == "plot_id"]
        plots = plots.merge(ev[new_cols], on="plot_id", how="left")
    else:
        plots["area_mu"] = register_or_measured_mu(plots).to_numpy()
        for key, layer, out in _OVERLAYS:
            polys = layers.get(layer, pd.DataFrame())
            if (isinstance(polys, gpd.GeoDataFrame) and len(polys) and key in polys
                    and polys.geometry.notna().any()):
                polys = polys[polys.geometry.notna() & ~polys.geometry.is_empty]
                got = assign_largest_share(plots, polys[[key, polys.geometry.name]], key,
                                           crs=WORK_CRS)
                plots[out] = got.astype("string").to_numpy()
            else:
                plots[out] = pd.Series(pd.NA, index=plots.index, dtype="string")
        now = scope_indicators(firms, plots, "plot_id", year=year)
        for col in PLOT_AMOUNTS:
            if col in now:
                plots[col] = now[col].reindex(plots["plot_id"]).to_numpy()
    missing = [m for m in GROWTH_METRICS if f"{m}_growth" not in plots and m in plots]
    if missing:
        before = scope_indicators(firms, plots, "plot_id", year=year - 1)
        ids = plots["plot_id"]
        for m in missing:
            values = pd.to_numeric(plots[m], errors="coerce").to_numpy(dtype="float64",
                                                                       na_value=np.nan)
            current = pd.Series(values, index=ids, name=m)
            plots[f"{m}_growth"] = growth(current, before[m].reindex(ids)).to_numpy()
    if "industry" not in plots:  # the industry with the largest output on the plot
        now_firms = firms[firms["year"] == year]
        plots["industry"] = pd.Series(pd.NA, index=plots.index, dtype="string")
        if len(now_firms) and "industry" in now_firms:
            out = pd.to_numeric(now_firms["output_wan"], errors="coerce").fillna(0)
            top = (now_firms.assign(_o=out)
                   .sort_values(["plot_id", "_o"], ascending=[True, False])
                   .drop_duplicates("plot_id").set_index("plot_id")["industry"])
            plots["industry"] = top.reindex(plots["plot_id"]).astype("string").to_numpy()
    for col, dtype in (("score", "float64"), ("grade", "string"), ("reasons", "string")):
        if col not in plots:
            plots[col] = pd.Series(pd.NA if dtype == "string" else np.nan,
                                   index=plots.index, dtype=dtype)
    if "low_efficiency" not in plots:
        plots["low_efficiency"] = False
    plots["low_efficiency"] = plots["low_efficiency"].fillna(False).astype(bool)
    ledger = layers.get("ledger", pd.DataFrame())
    if len(ledger):
        states = plot_states(ledger, area_mu=plots.set_index("plot_id")["area_mu"])
        stage = states["stage"].reindex(plots["plot_id"])
        plots["ledger_stage"] = stage.astype("string").to_numpy()
        plots["ledger_mode"] = states["mode"].reindex(plots["plot_id"]).astype("string").to_numpy()
    else:
        plots["ledger_stage"] = pd.Series(pd.NA, index=plots.index, dtype="string")
        plots["ledger_mode"] = pd.Series(pd.NA, index=plots.index, dtype="string")
    pts = shapely.point_on_surface(plots.geometry.array)
    plots["lon"] = shapely.get_x(pts)
    plots["lat"] = shapely.get_y(pts)
    return gpd.GeoDataFrame(plots, geometry=plots.geometry.name, crs=STORE_CRS)


