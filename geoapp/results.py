"""What each analysis stage returns: typed results, and how they are stored in the workspace.

A stage returns one of :class:`EvaluationResult`, :class:`ReclamationResult` or
:class:`ClustersResult`: documented attributes, frames and in-memory rasters, no file names
(only :mod:`geoapp.outputs` gives results file names). :func:`to_items` and :func:`from_items`
turn a result into the rows of the workspace's ``geoapp_results`` table and back: tables as
Parquet (geometry as WKB), rasters as GeoTIFF, charts as PNG. Tables whose geometry is the
plots layer's (evaluated plots, hot spots, ledger plots) are stored without it and take the
plots' geometry back by ``plot_id`` when read, so a polygon is stored once.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from analysis.density import DensitySurface
from geoapp.rasters import geotiff_bytes, read_geotiff
from geoapp.settings import Settings

PLOT_GEOMETRY = {"geometry": "plots"}
"""Field metadata: the table's geometry is the plots layer's, joined back by ``plot_id``."""


@dataclass
class EvaluationResult:
    """
    The evaluation of one year: 亩均 figures, grades, the low-efficiency list, league tables.

    Attributes
    ----------
    plots
        One row per plot (WGS84): areas (``area_mu``, ``geom_area_mu``), overlays
        (``park_id``, ``zone_type``, ``town_code``, ``district_code``), sums and per-mu
        figures, growth, ``score``, ``grade``, ``rule_*`` flags, ``low_efficiency``,
        ``reasons``, ``reasons_zh``. Every per-plot figure the product shows comes from here.
    enterprises
        The year's enterprise-years with indicators, contributions, score, rank and class.
    park_ranking, town_ranking, district_ranking
        Scorecards with composite rank, one row per scope.
    low_efficiency
        The low-efficiency list: one row per listed plot with its reasons.
    parks
        Park polygons (WGS84) with their ranking columns, or None without a parks layer.
    summary
        Headline numbers (JSON types).
    """

    plots: gpd.GeoDataFrame = field(metadata=PLOT_GEOMETRY)
    enterprises: pd.DataFrame
    park_ranking: pd.DataFrame
    town_ranking: pd.DataFrame
    district_ranking: pd.DataFrame
    low_efficiency: pd.DataFrame
    parks: gpd.GeoDataFrame | None = None
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReclamationResult:
    """
    Reclamation (盘活) progress against the targets, as of a date.

    Attributes
    ----------
    progress
        One row per target: achieved, percentage, schedule, forecast.
    breakdown
        Achieved 亩 and plots by scope and reclamation mode.
    ledger_plots
        One row per plot in the ledger (WGS84 where the plot is in the plots layer): stage,
        mode, dates, days since the last event, ``stalled``, scope columns.
    projects
        Project sites with their park, district, land, investment intensity and whether they
        sit on reclaimed land.
    projects_by_park
        Projects per park by stage, with investment intensity.
    low_efficiency_not_in_ledger
        Listed low-efficiency plots that the ledger does not hold yet.
    burnups
        ``{"scope_type:scope_id:metric:year": PNG bytes}``: a burn-up chart per target.
    summary
        Headline numbers (JSON types), with ``as_of``.
    """

    progress: pd.DataFrame
    breakdown: pd.DataFrame
    ledger_plots: gpd.GeoDataFrame = field(metadata=PLOT_GEOMETRY)
    projects: gpd.GeoDataFrame
    projects_by_park: pd.DataFrame
    low_efficiency_not_in_ledger: pd.DataFrame | None = None
    burnups: dict[str, bytes] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class ClustersResult:
    """
    Cluster density and concentration of one year.

    Attributes
    ----------
    density
        ``{"all" | industry code: DensitySurface}``: kernel density of enterprises per km²
        (EPSG:32651 rasters, in memory).
    hotspots
        One row per plot (WGS84): Gi* and LISA of tax per mu and of output per mu.
    grid
        Per-mu tax and output aggregated to hexagons (or squares), WGS84.
    concentration
        Per park and industry: shares, rank, location quotient, HHI.
    concentration_parks
        One row per park: whether its lead industries are in its top industries.
    lead_industry_outside_parks
        Enterprises of a park's lead industry located outside every park that leads with it.
    summary
        Headline numbers (JSON types).
    """

    density: dict[str, DensitySurface] = field(default_factory=dict)
    hotspots: gpd.GeoDataFrame | None = field(default=None, metadata=PLOT_GEOMETRY)
    grid: gpd.GeoDataFrame | None = None
    concentration: pd.DataFrame | None = None
    concentration_parks: pd.DataFrame | None = None
    lead_industry_outside_parks: pd.DataFrame | None = None
    summary: dict[str, Any] = field(default_factory=dict)


RESULT_TYPES: dict[str, type] = {
    "evaluation": EvaluationResult,
    "reclamation": ReclamationResult,
    "clusters": ClustersResult,
}
"""The result class of each stage."""

StageResult = EvaluationResult | ReclamationResult | ClustersResult


@dataclass
class Analysis:
    """
    The results of a workspace for one year, fresh, with what it took to get them.

    Attributes
    ----------
    year
        Evaluation year.
    settings
        The settings the results were computed with.
    results
        ``{stage: result}`` of the stages asked for and those they need.
    ran, reused
        Stages computed now, and stages read back from the workspace.
    fingerprints
        ``{stage: fingerprint}``.
    errors
        ``{stage: message}`` of stages that failed (only when the caller collects errors).
    notes
        What the caller should know, e.g. that results could not be stored.
    pending
        Stages still running in a child process (``analyse_workspace(wait=False)``): not in
        :attr:`results` until :meth:`finish`.
    """

    year: int
    settings: Settings
    results: dict[str, StageResult] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    pending: tuple[str, ...] = ()
    _finish: Callable[[], None] | None = field(default=None, repr=False)

    def finish(self) -> dict[str, StageResult]:
        """The complete :attr:`results`, after waiting for the :attr:`pending` stages.

        Those stages have stored their results themselves; without pending stages this is
        :attr:`results` as it is.
        """
        if self._finish is not None:
            self._finish()
            self._finish, self.pending = None, ()
        return self.results


def tables(result: StageResult) -> dict[str, pd.DataFrame]:
    """The result's tables (frames) by attribute name, leaving out absent ones."""
    return {f.name: getattr(result, f.name) for f in dataclasses.fields(result)
            if isinstance(getattr(result, f.name), pd.DataFrame)}


def to_items(result: StageResult) -> list[tuple[str, str, bytes]]:
    """
    Encode a result as ``(name, kind, data)`` rows for the workspace (summary excluded).

    Kinds: ``parquet`` (a table), ``geoparquet`` (a table with its own geometry),
    ``parquet+plots:<column>`` (a table whose geometry is the plots layer's, stored without
    it: the column is kept empty in its place),
    ``geotiff`` and ``png`` (items of a dict attribute, named ``attribute/key``).
    """
    items: list[tuple[str, str, bytes]] = []
    for f in dataclasses.fields(result):
        value = getattr(result, f.name)
        if value is None or f.name == "summary":
            continue
        if isinstance(value, dict):
            for key, obj in value.items():
                if isinstance(obj, DensitySurface):
                    items.append((f"{f.name}/{key}", "geotiff", geotiff_bytes(obj)))
                else:
                    items.append((f"{f.name}/{key}", "png", bytes(obj)))
            continue
        buf = io.BytesIO()
        if isinstance(value, gpd.GeoDataFrame) and f.metadata.get("geometry") == "plots":
            frame = pd.DataFrame(value)
            frame[value.geometry.name] = None  # keeps the column's place, holds no polygon
            frame.to_parquet(buf)
            kind = f"parquet+plots:{value.geometry.name}"
        elif isinstance(value, gpd.GeoDataFrame):
            value.to_parquet(buf)
            kind = "geoparquet"
        else:
            pd.DataFrame(value).to_parquet(buf)
            kind = "parquet"
        items.append((f.name, kind, buf.getvalue()))
    return items


def detach_plot_geometry(result: StageResult) -> tuple[StageResult, dict[str, str]]:
    """
    The result with its plot-geometry tables' geometry left empty (a shallow copy).

    For sending a result to a process that has the plots layer: a table like the hot spots
    would otherwise carry every plot polygon again (at 500 000 plots, 140 MB pickled and a
    second copy in memory).

    Returns
    -------
    result : StageResult
        Those tables as DataFrames with an empty geometry column.
    columns : dict
        ``{table: geometry column}``, for :func:`attach_plot_geometry`.
    """
    columns = {f.name: getattr(result, f.name).geometry.name
               for f in dataclasses.fields(result) if f.metadata.get("geometry") == "plots"
               and isinstance(getattr(result, f.name), gpd.GeoDataFrame)}
    tables = {}
    for name, column in columns.items():
        tables[name] = pd.DataFrame(getattr(result, name))
        tables[name][column] = None
    return dataclasses.replace(result, **tables), columns


def attach_plot_geometry(result: StageResult, columns: Mapping[str, str],
                         plot_geometry: Callable[[], gpd.GeoSeries]) -> StageResult:
    """The reverse of :func:`detach_plot_geometry`: the plots' geometry back by ``plot_id``."""
    for name, column in columns.items():
        frame, geometry = getattr(result, name), plot_geometry()
        ids = frame["plot_id"].astype("string").to_numpy()
        frame[column] = gpd.GeoSeries(geometry.reindex(ids).to_numpy(), index=frame.index)
        setattr(result, name, gpd.GeoDataFrame(frame, geometry=column, crs=geometry.crs))
    return result


def decode_item(kind: str, data: bytes,
                plot_geometry: Callable[[], gpd.GeoSeries] | None = None) -> Any:
    """
    Decode one stored item.

    Parameters
    ----------
    kind, data
        As :func:`to_items` wrote them.
    plot_geometry
        Returns the plots layer's geometry indexed by ``plot_id`` (WGS84); called only for
        ``parquet+plots`` items.
    """
    if kind == "geotiff":
        return read_geotiff(data)
    if kind == "png":
        return data
    if kind == "geoparquet":
        return gpd.read_parquet(io.BytesIO(data))
    frame = pd.read_parquet(io.BytesIO(data))
    if kind.startswith("parquet+plots:"):
        column = kind.split(":", 1)[1]
        geometry = plot_geometry() if plot_geometry is not None else None
        if geometry is None:
            frame[column] = gpd.GeoSeries([None] * len(frame), index=frame.index)
            return gpd.GeoDataFrame(frame, geometry=column, crs="EPSG:4326")
        ids = frame["plot_id"].astype("string").to_numpy()
        frame[column] = gpd.GeoSeries(geometry.reindex(ids).to_numpy(), index=frame.index)
        return gpd.GeoDataFrame(frame, geometry=column, crs=geometry.crs)
    return frame


def from_items(stage: str, items: list[tuple[str, str, bytes]], summary: dict[str, Any], *,
               plot_geometry: Callable[[], gpd.GeoSeries] | None = None) -> StageResult:
    """Rebuild a stage's result from its stored items and summary."""
    cls = RESULT_TYPES[stage]
    values: dict[str, Any] = {"summary": summary}
    for name, kind, data in items:
        attr, _, key = name.partition("/")
        obj = decode_item(kind, data, plot_geometry)
        if key:
            values.setdefault(attr, {})[key] = obj
        else:
            values[attr] = obj
    for f in dataclasses.fields(cls):
        if f.name not in values and f.default is dataclasses.MISSING \
                and f.default_factory is dataclasses.MISSING:
            values[f.name] = pd.DataFrame()
    return cls(**values)
