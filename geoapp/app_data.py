"""What the map app shows, as pure functions the app (and its tests) call.

- :func:`load_app_data` reads a workspace and runs whatever analysis stages exist, once per
  ``(workspace path, modification time, year)``: the app caches it with ``st.cache_resource``
  (the frames are big and never mutated; ``st.cache_data`` would copy them on every rerun).
- :func:`make_legend` computes class breaks once, on the unfiltered plots, so colours mean the
  same thing whatever the filters.
- :class:`Filters` and :func:`filter_mask` select plots; :func:`plots_in_view`,
  :func:`level_of_detail` and :func:`grid_aggregate` (a thin wrapper of
  :func:`analysis.grid.aggregate_to_grid`) decide what is drawn at a zoom.
- :func:`plot_card`, :func:`park_card` and :func:`search` are what a click or a query shows.

Nothing here imports Streamlit or folium.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.concentration import lead_industry_list
from analysis.efficiency import growth, per_mu_name, scope_indicators
from analysis.grid import GridSettings, aggregate_to_grid, square_cells
from analysis.overlay import (
    assign_largest_share,
    centroids_m,
    locate_enterprises,
    register_or_measured_mu,
)
from analysis.reclamation import plot_states
from layers.crs import STORE_CRS, WORK_CRS
from layers.schema import INDUSTRIES, LEDGER_STAGES, PROJECT_STAGES, RECLAMATION_MODES

# -- words --------------------------------------------------------------------------------

TEXT: dict[str, tuple[str, str]] = {
    "title": ("产业用地一张图", "Industrial land map"),
    "synthetic": ("合成演示数据,非真实企业", "Synthetic demo data, no real enterprise"),
    "workspace": ("工作空间", "Workspace"),
    "language": ("语言", "Language"),
    "basemap": ("底图", "Base map"),
    "layers": ("图层", "Layers"),
    "metric": ("着色指标", "Colour by"),
    "scheme": ("分级方法", "Classes"),
    "filters": ("筛选", "Filters"),
    "year": ("年份", "Year"),
    "district": ("区", "District"),
    "town": ("街镇", "Town"),
    "park": ("园区", "Park"),
    "industry": ("行业", "Industry"),
    "grade": ("评价等级", "Grade"),
    "ledger_stage": ("盘活状态", "Reclamation stage"),
    "search": ("搜索地块编号/企业名称/统一社会信用代码",
               "Search plot id / enterprise / credit code"),
    "no_match": ("未找到", "No match"),
    "tab_map": ("地图", "Map"),
    "tab_rankings": ("排名", "Rankings"),
    "tab_reclamation": ("盘活进度", "Reclamation"),
    "tab_projects": ("重点项目", "Projects"),
    "tab_quality": ("数据质量", "Data quality"),
    "legend": ("图例", "Legend"),
    "selected": ("当前选择", "Selection"),
    "plots": ("地块", "plots"),
    "export_geojson": ("导出 GeoJSON", "Export GeoJSON"),
    "export_xlsx": ("导出 Excel", "Export XLSX"),
    "card": ("详情", "Details"),
    "click_hint": ("点击地块或园区查看详情", "Click a plot or a park for its details"),
    "not_run": ("未运行", "not run"),
    "stage_failed": ("分析未完成", "Analysis not available"),
    "no_results": ("暂无分析结果", "No analysis results yet"),
    "stalled": ("停滞地块", "Stalled plots"),
    "burnup": ("目标完成曲线", "Burn-up charts"),
    "lod_grid": ("缩放较小:按网格汇总显示,放大后显示地块",
                 "Zoomed out: grid aggregates; zoom in to see plots"),
    "gcj_note": ("高德底图为GCJ-02坐标:图层已偏移至GCJ-02仅用于显示,数据与导出仍为WGS84",
                 "AMap tiles are GCJ-02: overlays are shifted to GCJ-02 for display only; data "
                 "and exports stay WGS84"),
    "no_key": ("未设置天地图密钥(环境变量 TIANDITU_KEY 或 secrets)",
               "No Tianditu key (environment variable TIANDITU_KEY or secrets)"),
    "assets_missing": ("缺少本地地图资源,请运行: python -m geoapp.offline --install",
                       "Local map assets missing; run: python -m geoapp.offline --install"),
    "all": ("全部", "all"),
}
"""UI words: ``key → (Chinese, English)``."""

LAYER_KEYS: tuple[str, ...] = (
    "districts", "towns", "zones", "parks", "plots", "low_efficiency", "ledger", "projects",
    "density", "hotspots",
)
"""Map layers the user can switch on and off, in drawing order."""

LAYER_TEXT: dict[str, tuple[str, str]] = {
    "districts": ("区界", "Districts"),
    "towns": ("街镇界", "Towns"),
    "zones": ("104/195/198区块", "Zones 104/195/198"),
    "parks": ("产业园区", "Parks"),
    "plots": ("产业地块", "Plots"),
    "low_efficiency": ("低效地块", "Low-efficiency plots"),
    "ledger": ("盘活状态", "Reclamation stage"),
    "projects": ("重点项目", "Projects"),
    "density": ("企业密度", "Enterprise density"),
    "hotspots": ("冷热点", "Hot spots"),
}

DEFAULT_LAYERS: tuple[str, ...] = ("districts", "towns", "parks", "plots", "low_efficiency")

VALUE_TEXT: dict[str, tuple[str, str]] = {
    **{k: (v, k) for k, v in INDUSTRIES.items()},
    **{k: (v, k) for k, v in RECLAMATION_MODES.items()},
    "identified": ("已认定", "identified"),
    "in_progress": ("推进中", "in progress"),
    "reclaimed": ("已盘活", "reclaimed"),
    "reused": ("已再利用", "reused"),
    "signed": ("已签约", "signed"),
    "started": ("已开工", "started"),
    "under_construction": ("在建", "under construction"),
    "completed": ("已竣工", "completed"),
    "in_production": ("已投产", "in production"),
    "in_use": ("使用中", "in use"),
    "idle": ("闲置", "idle"),
}
"""Chinese and English names of coded values (industries, stages, modes, statuses)."""


def tr(key: str, lang: str = "zh") -> str:
    """Translate a UI word ``key`` to ``lang`` (``"zh"`` or ``"en"``); unknown keys as is."""
    pair = TEXT.get(key) or LAYER_TEXT.get(key) or VALUE_TEXT.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "zh" else pair[1]


# -- metrics and legends -----------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A plot attribute the map can colour by.

    Attributes
    ----------
    column
        Column of the plot table.
    zh, en
        Labels.
    unit
        Unit shown in the legend.
    numerator
        For per-mu metrics, the amount summed when plots are aggregated (Σ amount / Σ mu);
        None for metrics averaged by land (score, growth) or counted (grade).
    fraction
        Values are fractions shown as percentages.
    """

    column: str
    zh: str
    en: str
    unit: str = ""
    numerator: str | None = None
    fraction: bool = False

    def label(self, lang: str = "zh") -> str:
        """Label with unit, e.g. ``"亩均税收(万元/亩)"``."""
        text = self.zh if lang == "zh" else self.en
        return f"{text}({self.unit})" if self.unit else text


METRICS: dict[str, Metric] = {
    "tax_per_mu": Metric("tax_per_mu", "亩均税收", "Tax per mu", "万元/亩", "tax_wan"),
    "output_per_mu": Metric("output_per_mu", "亩均产值", "Output per mu", "万元/亩", "output_wan"),
    "value_added_per_mu": Metric("value_added_per_mu", "亩均增加值", "Value added per mu",
                                 "万元/亩", "value_added_wan"),
    "score": Metric("score", "综合得分", "Score", "分"),
    "grade": Metric("grade", "评价等级", "Grade"),
    "tax_per_mu_growth": Metric("tax_per_mu_growth", "亩均税收增长率", "Tax per mu growth", "%",
                                fraction=True),
}
"""Metrics the plots can be coloured by."""

SCHEMES: dict[str, tuple[str, str]] = {
    "quantiles": ("分位数", "Quantiles"),
    "natural_breaks": ("自然断点", "Natural breaks"),
    "policy": ("政策分类 A/B/C/D", "Policy classes A/B/C/D"),
}
"""Classification schemes (mapclassify, or the evaluation's grades)."""

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
GRADE_COLORS: dict[str, str] = {"A": "#1a9641", "B": "#a6d96a", "C": "#fdae61", "D": "#d7191c"}
SEQUENTIAL: dict[int, tuple[str, ...]] = {
    3: ("#fee8c8", "#fdbb84", "#e34a33"),
    4: ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"),
    5: ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"),
    6: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"),
    7: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"),
}
"""ColorBrewer OrRd ramps (light = low, dark = high) by number of classes."""
NO_DATA_COLOR = "#bdbdbd"
LEDGER_COLORS: dict[str, str] = {"identified": "#fdae61", "in_progress": "#abd9e9",
                                 "reclaimed": "#2c7bb6", "reused": "#1a9641"}
PROJECT_COLORS: dict[str, str] = {"signed": "#9e9ac8", "started": "#6baed6",
                                  "under_construction": "#fd8d3c", "completed": "#74c476",
                                  "in_production": "#238b45"}


@dataclass(frozen=True)
class Legend:
    """Classes of a metric, computed once on the unfiltered plots.

    Attributes
    ----------
    metric
        Metric key.
    scheme
        ``"quantiles"``, ``"natural_breaks"`` or ``"policy"``.
    labels
        One label per class.
    colors
        One colour per class (hex).
    bins
        Upper bounds of the numeric classes (empty for categorical legends).
    categories
        Category of each class for categorical legends (grades).
    """

    metric: str
    scheme: str
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    bins: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    def classify(self, values: pd.Series) -> np.ndarray:
        """Class index of each value (``-1`` for missing values or unknown categories)."""
        if self.categories:
            lookup = {c: i for i, c in enumerate(self.categories)}
            return np.array([lookup.get(v, -1) if isinstance(v, str) else -1 for v in values],
                            dtype="int64")
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
        out = np.searchsorted(np.asarray(self.bins, dtype="float64"), x, side="left")
        out = np.minimum(out, len(self.bins) - 1).astype("int64")
        out[np.isnan(x)] = -1
        return out


def _fmt(value: float, fraction: bool) -> str:
    if fraction:
        return f"{value * 100:.1f}%"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def make_legend(plots: pd.DataFrame, metric: str, scheme: str, *, k: int = 5) -> Legend:
    """Class breaks of ``metric`` over ``plots`` (pass the unfiltered plots).

    Parameters
    ----------
    plots
        The plot table (:attr:`AppData.plots`).
    metric
        Key of :data:`METRICS`.
    scheme
        ``"quantiles"`` or ``"natural_breaks"`` (mapclassify Quantiles / JenksCaspall with
        ``k`` classes), or ``"policy"``: the evaluation's grades A/B/C/D. The grade metric is
        always shown by its grades.
    k
        Number of classes (3-7) for the numeric schemes; fewer when there are fewer distinct
        values.

    Returns
    -------
    Legend
    """
    if metric == "grade" or scheme == "policy":
        return Legend(metric="grade", scheme="policy", labels=GRADES,
                      colors=tuple(GRADE_COLORS[g] for g in GRADES), categories=GRADES)
    import mapclassify

    m = METRICS[metric]
    values = pd.to_numeric(plots.get(m.column), errors="coerce") if m.column in plots else None
    if values is None or values.dropna().empty:
        return Legend(metric=metric, scheme=scheme, labels=(), colors=())
    finite = values[np.isfinite(values)].to_numpy(dtype="float64")
    k = max(1, min(int(k), 7, len(np.unique(finite))))
    if k < 3:
        bins = np.unique(finite)[-k:] if k else np.array([finite.max()])
    elif scheme == "natural_breaks":
        bins = mapclassify.JenksCaspall(finite, k=k).bins
    else:
        bins = mapclassify.Quantiles(finite, k=k).bins
    bins = np.unique(np.asarray(bins, dtype="float64"))
    bins[-1] = max(bins[-1], finite.max())
    ramp = SEQUENTIAL[len(bins)] if len(bins) >= 3 else SEQUENTIAL[3][-len(bins):]
    labels = []
    low = finite.min()
    for b in bins:
        labels.append(f"{_fmt(low, m.fraction)} – {_fmt(b, m.fraction)}")
        low = b
    return Legend(metric=metric, scheme=scheme, labels=tuple(labels), colors=tuple(ramp),
                  bins=tuple(float(b) for b in bins))


# -- loading ------------------------------------------------------------------------------


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


# -- filters ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What the user selected; an empty tuple means no restriction.

    Attributes
    ----------
    districts, towns, parks
        District codes, town codes, park ids.
    industries
        Industry codes (the plot's largest-output industry).
    grades
        Grades A-D.
    ledger_stages
        Reclamation stages (plots with no ledger entry are excluded when set).
    """

    districts: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    parks: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    ledger_stages: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        """Whether any restriction is set."""
        return any((self.districts, self.towns, self.parks, self.industries, self.grades,
                    self.ledger_stages))


_FILTER_COLUMNS = (("districts", "district_code"), ("towns", "town_code"), ("parks", "park_id"),
                   ("industries", "industry"), ("grades", "grade"),
                   ("ledger_stages", "ledger_stage"))


def filter_mask(plots: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Boolean array: which plots pass every filter."""
    mask = np.ones(len(plots), dtype=bool)
    for attr, column in _FILTER_COLUMNS:
        wanted = getattr(filters, attr)
        if wanted and column in plots:
            mask &= plots[column].isin(list(wanted)).fillna(False).to_numpy(dtype=bool)
        elif wanted:
            mask[:] = False
    return mask


def filter_options(data: AppData) -> dict[str, list[str]]:
    """Values each filter may take, from the data (``{filter attribute: values}``)."""
    p = data.plots
    out = {}
    for attr, column in _FILTER_COLUMNS:
        values = p[column].dropna().astype(str).unique().tolist() if column in p else []
        out[attr] = sorted(values)
    return out


def option_label(attr: str, value: str, data: AppData, lang: str = "zh") -> str:
    """Human name of a filter value: district/town/park names, industry and stage labels."""
    names = {"districts": ("districts", "code"), "towns": ("towns", "code"),
             "parks": ("parks", "park_id")}
    if attr in names:
        layer, key = names[attr]
        frame = data.layer(layer)
        if key in frame and "name" in frame:
            hit = frame.loc[frame[key].astype(str) == value, "name"]
            if len(hit):
                return f"{hit.iloc[0]} ({value})"
        return value
    return tr(value, lang)


# -- level of detail ----------------------------------------------------------------------


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
    m = METRICS.get(metric, METRICS["tax_per_mu"])
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


# -- inspect and find ---------------------------------------------------------------------


def _num(value, digits: int = 2) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def _pct(value) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—"
    return "—" if not math.isfinite(x) else f"{x * 100:+.1f}%"


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return str(value)


CARD_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    # column, zh, en, kind
    ("area_mu", "面积(亩)", "Area (mu)", "num"),
    ("land_use", "用地性质", "Land use", "text"),
    ("status", "地块状态", "Status", "value"),
    ("n_enterprises", "企业数", "Enterprises", "int"),
    ("output_wan", "工业总产值(万元)", "Output (10k CNY)", "num"),
    ("tax_wan", "税收(万元)", "Tax (10k CNY)", "num"),
    ("tax_per_mu", "亩均税收(万元/亩)", "Tax per mu (10k CNY/mu)", "num"),
    ("output_per_mu", "亩均产值(万元/亩)", "Output per mu (10k CNY/mu)", "num"),
    ("value_added_per_mu", "亩均增加值(万元/亩)", "Value added per mu (10k CNY/mu)", "num"),
    ("tax_per_mu_growth", "亩均税收增长率", "Tax per mu growth", "pct"),
    ("output_per_mu_growth", "亩均产值增长率", "Output per mu growth", "pct"),
    ("score", "综合得分", "Score", "num"),
    ("grade", "评价等级", "Grade", "text"),
    ("park_id", "园区", "Park", "text"),
    ("town_code", "街镇", "Town", "text"),
    ("zone_type", "区块类型", "Zone", "text"),
    ("ledger_stage", "盘活状态", "Reclamation stage", "value"),
)
"""Rows of a plot card: column, Chinese label, English label, how to format."""


def _format(value, kind: str, lang: str) -> str:
    if kind == "num":
        return _num(value)
    if kind == "int":
        return _num(value, 0)
    if kind == "pct":
        return _pct(value)
    if kind == "value":
        return tr(_text(value), lang) if _text(value) != "—" else "—"
    return _text(value)


def _contributions(plot_id: str, data: AppData, lang: str) -> pd.DataFrame:
    """Each scoring item's points for one plot.

    A plot's score is the land-weighted mean of its rated firms' scores
    (:func:`analysis.grading.plot_scores`), and a firm's score is the sum of its items'
    contributions, so the plot's item points are the land-weighted means of its firms'
    ``contrib_*`` columns; they add up to the plot's score.
    """
    firms = data.table("evaluation", "enterprises")
    cols = [] if firms is None else [c for c in firms.columns if c.startswith("contrib_")]
    if firms is None or not cols or "plot_id" not in firms or "land_mu" not in firms:
        return pd.DataFrame(columns=["item", "points"])
    mine = firms[firms["plot_id"].astype(str) == str(plot_id)]
    if "score" in mine:
        mine = mine[mine["score"].notna()]
    land = pd.to_numeric(mine["land_mu"], errors="coerce")
    ok = land > 0
    if not ok.any():
        return pd.DataFrame(columns=["item", "points"])
    weights = land[ok] / land[ok].sum()
    rows = []
    for c in cols:
        v = pd.to_numeric(mine.loc[ok, c], errors="coerce")
        if v.notna().any():
            item = c.removeprefix("contrib_")
            label = METRIC_ITEM_LABELS.get(item, (item, item))[0 if lang == "zh" else 1]
            rows.append({"item": label, "points": float((v.fillna(0) * weights).sum())})
    return pd.DataFrame(rows, columns=["item", "points"])


METRIC_ITEM_LABELS: dict[str, tuple[str, str]] = {
    "tax_per_mu": ("亩均税收", "tax per mu"),
    "output_per_mu": ("亩均产值", "output per mu"),
    "value_added_per_mu": ("亩均增加值", "value added per mu"),
    "revenue_per_mu": ("亩均营业收入", "revenue per mu"),
    "value_added_per_tce": ("单位能耗增加值", "value added per tce"),
    "tax_per_tce": ("单位能耗税收", "tax per tce"),
    "value_added_per_t_emissions": ("单位排放增加值", "value added per t emissions"),
    "labour_productivity": ("全员劳动生产率", "labour productivity"),
    "rd_intensity": ("研发经费投入强度", "R&D intensity"),
}
"""Names of the evaluation's scoring items."""


def plot_card(data: AppData, plot_id: str, lang: str = "zh") -> dict[str, Any] | None:
    """Everything the card of one plot shows.

    Parameters
    ----------
    data
        App data.
    plot_id
        The plot.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    dict or None
        ``title``; ``facts`` (list of ``(label, text)`` pairs: area in mu, enterprises,
        per-mu figures, score, grade, ...); ``reasons`` (low-efficiency reasons, list of
        str); ``low_efficiency`` (bool); ``contributions`` (DataFrame item/points);
        ``enterprises``, ``ledger``, ``projects`` (DataFrames); ``lon``/``lat``. None when
        there is no such plot.
    """
    p = data.plots
    hit = p.index[p["plot_id"].astype(str) == str(plot_id)]
    if len(hit) == 0:
        return None
    row = p.loc[hit[0]]
    facts = [((zh if lang == "zh" else en), _format(row.get(col), kind, lang))
             for col, zh, en, kind in CARD_FIELDS if col in row.index]
    reasons_raw = row.get("reasons_zh") if lang == "zh" and "reasons_zh" in row else (
        row.get("reasons"))
    reasons = [] if _text(reasons_raw) == "—" else [
        r.strip() for r in str(reasons_raw).replace("；", ";").split(";") if r.strip()]
    graded = data.table("evaluation", "enterprises")
    firms = data.layer("enterprises") if graded is None else graded
    if "plot_id" in firms:
        firms = pd.DataFrame(firms.drop(columns="geometry", errors="ignore"))
        firms = firms[(firms["plot_id"].astype(str) == str(plot_id))
                      & (pd.to_numeric(firms["year"], errors="coerce") == data.year)]
        cols = [c for c in ("name", "credit_code", "industry", "scale", "land_mu", "output_wan",
                            "tax_wan", "tax_per_mu", "output_per_mu", "score", "grade")
                if c in firms]
        firms = firms[cols].reset_index(drop=True)
    else:
        firms = pd.DataFrame()
    ledger = data.layer("ledger")
    if "plot_id" in ledger:
        ledger = ledger[ledger["plot_id"].astype(str) == str(plot_id)]
        ledger = ledger.sort_values("date", kind="stable").drop(columns="plot_id")
        ledger = ledger.reset_index(drop=True)
    projects = data.layer("projects")
    if "plot_id" in projects:
        projects = pd.DataFrame(projects.drop(columns="geometry", errors="ignore"))
        projects = projects[projects["plot_id"].astype(str) == str(plot_id)]
        projects = projects[[c for c in ("project_id", "name", "stage", "investment_wan",
                                         "land_mu", "start_date") if c in projects]]
        projects = projects.reset_index(drop=True)
    title = f"地块 {plot_id}" if lang == "zh" else f"Plot {plot_id}"
    return {
        "kind": "plot", "id": str(plot_id), "title": title, "facts": facts,
        "low_efficiency": bool(row.get("low_efficiency", False)), "reasons": reasons,
        "contributions": _contributions(str(plot_id), data, lang), "enterprises": firms,
        "ledger": ledger,
        "projects": projects, "lon": float(row["lon"]), "lat": float(row["lat"]),
        "area_mu": float(row["area_mu"]) if pd.notna(row.get("area_mu")) else float("nan"),
    }


def ranking_row(data: AppData, scope: str, scope_id: str) -> pd.Series | None:
    """One scope's row of the evaluation's ``<scope>_ranking`` table (None without it)."""
    key = {"park": "park_id", "town": "town_code", "district": "district_code"}[scope]
    table = data.table("evaluation", f"{scope}_ranking")
    if table is None:
        return None
    t = table.reset_index() if key not in table else table
    if key not in t:
        return None
    hit = t[t[key].astype(str) == str(scope_id)]
    return hit.iloc[0] if len(hit) else None


PARK_FIELDS: tuple[tuple[str, str, str, str], ...] = (
    # column of park_ranking, zh, en, kind
    ("n_plots", "地块数", "Plots", "int"),
    ("land_mu", "用地面积(亩)", "Land (mu)", "num"),
    ("n_enterprises", "企业数", "Enterprises", "int"),
    ("tax_per_mu", "亩均税收(万元/亩)", "Tax per mu", "num"),
    ("output_per_mu", "亩均产值(万元/亩)", "Output per mu", "num"),
    ("tax_per_mu_growth", "亩均税收增长率", "Tax per mu growth", "pct"),
    ("output_per_mu_growth", "亩均产值增长率", "Output per mu growth", "pct"),
    ("n_low_efficiency_plots", "低效地块数", "Low-efficiency plots", "int"),
    ("rank", "排名", "Rank", "int"),
)
"""Facts of a park card, read from the evaluation's park ranking."""


def park_card(data: AppData, park_id: str, lang: str = "zh") -> dict[str, Any] | None:
    """Build a park's card from its row of the evaluation's ``park_ranking``.

    Without the evaluation the card falls back to what the plot table alone gives (plots and
    land); per-mu figures, growth and rank then show "—".

    Returns
    -------
    dict or None
        ``title``, ``facts`` (label/text pairs), ``scorecard`` (the ranking row as a
        one-column DataFrame, or None). None when there is no such park.
    """
    parks = data.layer("parks")
    if "park_id" not in parks or not (parks["park_id"].astype(str) == str(park_id)).any():
        return None
    park = parks[parks["park_id"].astype(str) == str(park_id)].iloc[0]
    zh = lang == "zh"
    leads = lead_industry_list(park.get("lead_industries"))
    facts = [
        ("园区名称" if zh else "Name", _text(park.get("name"))),
        ("园区级别" if zh else "Level", _text(park.get("level"))),
        ("主导产业" if zh else "Lead industries", "、".join(tr(i, lang) for i in leads) or "—"),
    ]
    row = ranking_row(data, "park", park_id)
    if row is None:
        mine = data.plots[data.plots["park_id"].astype(str) == str(park_id)]
        row = pd.Series({"n_plots": len(mine),
                         "land_mu": pd.to_numeric(mine["area_mu"], errors="coerce").sum(),
                         "n_low_efficiency_plots": int(mine["low_efficiency"].sum())})
        scorecard = None
    else:
        scorecard = row.to_frame(name=str(park_id))
    facts += [((z if zh else e), _format(row.get(col), kind, lang))
              for col, z, e, kind in PARK_FIELDS]
    title = f"园区 {park.get('name')}" if zh else f"Park {park.get('name')}"
    return {"kind": "park", "id": str(park_id), "title": title, "facts": facts,
            "scorecard": scorecard}


def search(data: AppData, query: str, *, limit: int = 10) -> pd.DataFrame:
    """Find plots by plot id, enterprise name or 统一社会信用代码.

    Exact plot id or credit code first, then plot ids starting with the query, then enterprise
    names containing it (case-insensitive).

    Returns
    -------
    DataFrame
        ``plot_id``, ``match`` (what matched), ``kind`` (``"plot_id"``, ``"credit_code"``,
        ``"name"``), ``lon``, ``lat``; at most ``limit`` rows, no duplicate plots.
    """
    q = (query or "").strip()
    cols = ["plot_id", "match", "kind", "lon", "lat"]
    if not q:
        return pd.DataFrame(columns=cols)
    p = data.plots
    ids = p["plot_id"].astype(str)
    ql = q.lower()
    rows: list[dict] = []
    exact = ids[ids.str.lower() == ql]
    rows += [{"plot_id": v, "match": v, "kind": "plot_id"} for v in exact]
    firms = data.layer("enterprises")
    if "plot_id" in firms:
        f = pd.DataFrame(firms.drop(columns="geometry", errors="ignore"))
        f = f[f["plot_id"].notna()]
        if "credit_code" in f:
            cc = f[f["credit_code"].astype(str).str.upper() == q.upper()]
            rows += [{"plot_id": str(r.plot_id), "match": str(r.credit_code), "kind": "credit_code"}
                     for r in cc.itertuples()]
    prefix = ids[ids.str.lower().str.startswith(ql) & (ids.str.lower() != ql)].head(limit)
    rows += [{"plot_id": v, "match": v, "kind": "plot_id"} for v in prefix]
    if "plot_id" in firms and "name" in f:
        named = f[f["name"].astype(str).str.lower().str.contains(ql, regex=False)]
        named = named.drop_duplicates("plot_id")
        rows += [{"plot_id": str(r.plot_id), "match": str(r.name), "kind": "name"}
                 for r in named.head(limit * 2).itertuples()]
    out = pd.DataFrame(rows, columns=cols[:3]).drop_duplicates("plot_id").head(limit)
    where = p.set_index(ids)[["lon", "lat"]]
    out = out[out["plot_id"].isin(where.index)]
    out["lon"] = where["lon"].reindex(out["plot_id"]).to_numpy()
    out["lat"] = where["lat"].reindex(out["plot_id"]).to_numpy()
    return out.reset_index(drop=True)[cols]


# -- tables for the tabs and exports -------------------------------------------------------

EXPORT_COLUMNS: tuple[str, ...] = (
    "plot_id", "land_use", "status", "area_mu", "district_code", "town_code", "park_id",
    "zone_type", "industry", "n_enterprises", "output_wan", "tax_wan", "value_added_wan",
    "tax_per_mu", "output_per_mu", "value_added_per_mu", "tax_per_mu_growth",
    "output_per_mu_growth", "score", "grade",
    "low_efficiency", "reasons", "ledger_stage", "ledger_mode",
)
"""Columns of the plot selection the app exports (plus geometry)."""


def selection(data: AppData, mask: np.ndarray) -> gpd.GeoDataFrame:
    """Return the selected plots with the exported columns, WGS84 (both exports write it)."""
    p = data.plots[mask]
    cols = [c for c in EXPORT_COLUMNS if c in p] + [p.geometry.name]
    out = p[cols].reset_index(drop=True)
    out["low_efficiency"] = out["low_efficiency"].astype("int64")
    return gpd.GeoDataFrame(out, geometry=p.geometry.name, crs=STORE_CRS)


RANKING_COLUMNS: tuple[str, ...] = (
    "rank", "name", "composite_score", "n_plots", "land_mu", "n_enterprises", "tax_per_mu",
    "output_per_mu", "tax_per_mu_growth", "tax_per_mu_growth_target", "tax_per_mu_target_met",
    "output_per_mu_growth", "output_per_mu_growth_target", "output_per_mu_target_met",
    "target_met", "n_low_efficiency_plots", "low_efficiency_mu", "lead_industry_share",
    "n_projects",
)
"""Columns of the league tables shown first (the rest follow)."""


def selection_geojson(data: AppData, mask: np.ndarray) -> bytes:
    """Encode the selection as RFC 7946 GeoJSON with :func:`geoapp.export.geojson_bytes`."""
    from geoapp import export

    return export.geojson_bytes(selection(data, mask), extra={"name": "plots"})


def selection_xlsx(data: AppData, mask: np.ndarray) -> bytes:
    """Write the selection as XLSX with :func:`geoapp.export.export_layer` (the CLI's writer).

    Returns
    -------
    bytes
        The workbook: Chinese headers with units, coordinates as lon/lat columns.
    """
    import tempfile

    from geoapp import export

    with tempfile.TemporaryDirectory(prefix="geoapp-export-") as tmp:
        files = export.export_layer(selection(data, mask), Path(tmp) / "selection.xlsx",
                                    fmt="xlsx", layer_name="plots")
        book = next(f for f in files if f.suffix == ".xlsx")
        return book.read_bytes()


def ranking_table(data: AppData, scope: str = "park") -> pd.DataFrame | None:
    """Return the park or town league table, best first (None before the evaluation ran).

    Returns
    -------
    DataFrame or None
        Indexed by ``park_id`` / ``town_code``; :data:`RANKING_COLUMNS` first, including
        whether each growth target is met.
    """
    key = {"park": "park_id", "town": "town_code", "district": "district_code"}[scope]
    table = data.table("evaluation", f"{scope}_ranking")
    if table is None or table.empty:
        return None
    table = table.set_index(key) if key in table else table
    if "rank" in table:
        table = table.sort_values("rank", kind="stable", na_position="last")
    first = [c for c in RANKING_COLUMNS if c in table]
    return table[first + [c for c in table.columns if c not in first]]


def stalled_plots(data: AppData) -> pd.DataFrame | None:
    """Ledger plots with no progress for too long (the reclamation stage's rule)."""
    t = data.table("reclamation", "ledger_plots")
    if t is None or "stalled" not in t:
        return None
    out = t[t["stalled"].fillna(False).astype(bool)]
    out = pd.DataFrame(out.drop(columns=out.geometry.name)
                       if isinstance(out, gpd.GeoDataFrame) else out)
    if "days_since_event" in out:
        out = out.sort_values("days_since_event", ascending=False, kind="stable")
    return out.reset_index(drop=True)


def reclamation_tables(data: AppData) -> dict[str, pd.DataFrame]:
    """Return the reclamation stage's tables (empty before it runs)."""
    res = data.results.get("reclamation")
    if res is None:
        return {}
    return {k: v for k, v in getattr(res, "tables", {}).items() if isinstance(v, pd.DataFrame)}


def stage_images(data: AppData, stage: str) -> dict[str, bytes]:
    """PNG outputs of a stage (burn-up charts), by file name."""
    res = data.results.get(stage)
    if res is None:
        return {}
    return {k: v for k, v in getattr(res, "outputs", {}).items()
            if isinstance(v, bytes | bytearray) and str(k).endswith(".png")}


def density_rasters(data: AppData) -> dict[str, bytes]:
    """GeoTIFF outputs of the clusters stage (density surfaces), by file name."""
    res = data.results.get("clusters")
    if res is None:
        return {}
    return {k: bytes(v) for k, v in getattr(res, "outputs", {}).items()
            if isinstance(v, bytes | bytearray) and str(k).endswith((".tif", ".tiff"))}


def project_points(data: AppData) -> gpd.GeoDataFrame:
    """Projects as points (polygons by a point inside), with ``stage``, WGS84."""
    proj = data.layer("projects")
    if not isinstance(proj, gpd.GeoDataFrame) or proj.empty:
        return gpd.GeoDataFrame({"project_id": [], "stage": []},
                                geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
    proj = proj[proj.geometry.notna() & ~proj.geometry.is_empty]
    pts = shapely.point_on_surface(proj.geometry.array)
    return gpd.GeoDataFrame(proj.drop(columns=proj.geometry.name), geometry=pts, crs=STORE_CRS)


STAGE_ORDER = {"ledger": LEDGER_STAGES, "projects": PROJECT_STAGES}
