"""Summarise an area and measure what was drawn: pure functions behind the map's draw tools.

A planner draws a rectangle or polygon on the map (Leaflet.draw, :mod:`geoapp.maps.draw`) or
picks a town or park; :func:`area_summary` says what the area holds: its plots, their 亩,
亩均税收 and 亩均产值 (Σ amount / Σ 亩 over the plots, as a park's or town's figure is
computed), the low-efficiency 亩, the reclaimed 亩 and the projects. A plot belongs to the
area when its inside point (``lon``/``lat``, else a representative point) falls in it.
:func:`measure` gives a drawn line's length and a drawn area's size in metres and 亩,
measured in :data:`layers.crs.WORK_CRS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape as to_shape

from geoapp import words
from layers.crs import STORE_CRS, WORK_CRS
from layers.units import M2_PER_MU


@dataclass(frozen=True)
class Measure:
    """Size of a drawn shape.

    ``length_m`` (a line; a polygon's perimeter), ``area_m2`` and ``area_mu`` (m² / 666.67;
    0 for a line).
    """

    kind: str
    length_m: float
    area_m2: float

    @property
    def area_mu(self) -> float:
        """Area in 亩."""
        return self.area_m2 / M2_PER_MU


@dataclass(frozen=True)
class AreaSummary:
    """What an area holds (every area in 亩, money in 万元, per-mu figures in 万元/亩)."""

    n_plots: int
    land_mu: float
    tax_wan: float
    output_wan: float
    tax_per_mu: float
    output_per_mu: float
    n_low_efficiency: int
    low_efficiency_mu: float
    n_reclaimed: int
    reclaimed_mu: float
    n_projects: int
    project_investment_wan: float
    plot_ids: tuple[str, ...]

    def facts(self) -> list[tuple[str, float | int]]:
        """``[(field, value)]`` in the order a card lists them."""
        return [(f, getattr(self, f)) for f in SUMMARY_FIELDS]


SUMMARY_FIELDS: tuple[str, ...] = (
    "n_plots", "land_mu", "tax_per_mu", "output_per_mu", "tax_wan", "output_wan",
    "n_low_efficiency", "low_efficiency_mu", "n_reclaimed", "reclaimed_mu", "n_projects",
    "project_investment_wan",
)
"""Fields of :class:`AreaSummary` a card shows, in order."""


def drawn_shapes(drawings: Sequence[Mapping[str, Any]] | None) -> list[Any]:
    """Shapely geometries (WGS84) of what was drawn.

    ``drawings``: the GeoJSON features ``st_folium`` returns as ``all_drawings``; features
    that are not valid geometries are skipped.
    """
    out = []
    for feature in drawings or []:
        geom = (feature or {}).get("geometry") if isinstance(feature, Mapping) else None
        if not geom:
            continue
        try:
            g = to_shape(geom)
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
        if not g.is_empty:
            out.append(g)
    return out


def last_area(drawings: Sequence[Mapping[str, Any]] | None) -> Any:
    """The last drawn polygon or rectangle (WGS84), or None when none was drawn."""
    areas = [g for g in drawn_shapes(drawings) if g.geom_type in ("Polygon", "MultiPolygon")]
    return areas[-1] if areas else None


def measure(geometry: Any, *, crs: str = WORK_CRS) -> Measure:
    """
    Length and area of a WGS84 geometry, measured in a projected CRS.

    Parameters
    ----------
    geometry
        A shapely line or polygon in ``EPSG:4326`` (what the map returns).
    crs
        The projected CRS measured in (metres).

    Returns
    -------
    Measure
        A line: its length, area 0. A polygon: its perimeter and area.
    """
    g = gpd.GeoSeries([geometry], crs=STORE_CRS).to_crs(crs).iloc[0]
    kind = "line" if g.geom_type in ("LineString", "MultiLineString") else "area"
    return Measure(kind=kind, length_m=float(g.length),
                   area_m2=float(g.area) if kind == "area" else 0.0)


def _points(plots: gpd.GeoDataFrame) -> np.ndarray:
    if "lon" in plots and "lat" in plots:
        return shapely.points(plots["lon"].to_numpy(dtype="float64"),
                              plots["lat"].to_numpy(dtype="float64"))
    return plots.geometry.representative_point().to_numpy()


def plots_within(plots: gpd.GeoDataFrame, area: Any) -> np.ndarray:
    """Boolean mask (by row) of the plots whose inside point lies in ``area`` (WGS84)."""
    if area is None or len(plots) == 0:
        return np.zeros(len(plots), dtype=bool)
    return np.asarray(shapely.covers(area, _points(plots)), dtype=bool)


def _sum(frame: pd.DataFrame, column: str) -> float:
    if column not in frame:
        return 0.0
    return float(pd.to_numeric(frame[column], errors="coerce").fillna(0.0).sum())


def _ratio(num: float, den: float) -> float:
    return num / den if den > 0 else float("nan")


def area_summary(
    plots: pd.DataFrame,
    mask: np.ndarray,
    *,
    reclaimed: pd.DataFrame | None = None,
    projects: pd.DataFrame | None = None,
) -> AreaSummary:
    """
    What the selected plots hold.

    Parameters
    ----------
    plots
        The app's plot table with ``plot_id``, ``area_mu`` (亩), ``tax_wan``, ``output_wan``
        (万元) and ``low_efficiency``.
    mask
        Boolean mask by row of the plots in the area (:func:`plots_within`, a filter mask).
    reclaimed
        The reclamation stage's plot states with ``plot_id`` and ``reclaimed_mu`` (亩, NaN
        when not reclaimed).
    projects
        Projects with ``plot_id`` and ``investment_wan``; a project counts when its plot is in
        the area.

    Returns
    -------
    AreaSummary
        ``tax_per_mu`` = Σ tax / Σ 亩 of the plots (NaN with no land).
    """
    mask = np.asarray(mask, dtype=bool)
    p = plots[mask]
    ids = p["plot_id"].astype(str)
    land = _sum(p, "area_mu")
    tax = _sum(p, "tax_wan")
    output = _sum(p, "output_wan")
    low = (p["low_efficiency"].fillna(False).astype(bool).to_numpy() if "low_efficiency" in p
           else np.zeros(len(p), dtype=bool))
    n_rec, rec_mu = 0, 0.0
    if reclaimed is not None and len(reclaimed) and "reclaimed_mu" in reclaimed:
        r = reclaimed[reclaimed["plot_id"].astype(str).isin(set(ids))]
        mu = pd.to_numeric(r["reclaimed_mu"], errors="coerce")
        n_rec, rec_mu = int(mu.notna().sum()), float(mu.fillna(0.0).sum())
    n_proj, invest = 0, 0.0
    if projects is not None and len(projects) and "plot_id" in projects:
        pr = projects[projects["plot_id"].astype("string").isin(set(ids)).fillna(False)]
        n_proj, invest = len(pr), _sum(pr, "investment_wan")
    return AreaSummary(
        n_plots=len(p), land_mu=land, tax_wan=tax, output_wan=output,
        tax_per_mu=_ratio(tax, land), output_per_mu=_ratio(output, land),
        n_low_efficiency=int(low.sum()), low_efficiency_mu=_sum(p[low], "area_mu"),
        n_reclaimed=n_rec, reclaimed_mu=rec_mu, n_projects=n_proj,
        project_investment_wan=invest, plot_ids=tuple(ids),
    )


def scope_mask(plots: pd.DataFrame, kind: str, code: str) -> np.ndarray:
    """Mask of the plots of one town (``kind="town"``) or park (``"park"``)."""
    column = {"district": "district_code", "town": "town_code", "park": "park_id"}[kind]
    return plots[column].astype("string").eq(str(code)).fillna(False).to_numpy(dtype=bool)


def data_summary(data, mask: np.ndarray) -> AreaSummary:
    """:func:`area_summary` of the app's data (:class:`geoapp.app.loading.AppData`).

    Its plots, the reclamation stage's plot states and the projects layer.
    """
    reclamation = data.results.get("reclamation")
    reclaimed = getattr(reclamation, "ledger_plots", None) if reclamation is not None else None
    return area_summary(data.plots, mask, reclaimed=reclaimed, projects=data.layer("projects"))


def _shown(value: float | int, column: str) -> str:
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:,.2f}" if column.endswith("per_mu") or abs(value) < 1000 else f"{value:,.0f}"


def summary_facts(summary: AreaSummary, lang: str = "zh") -> list[tuple[str, str]]:
    """The card's rows: ``[(label with unit, value as shown)]``."""
    return [(words.label(f, lang), _shown(v, f)) for f, v in summary.facts()]


def measure_text(m: Measure, lang: str = "zh") -> str:
    """``"长度 1,234 m"`` for a line; ``"面积 10,000 m² = 15.00 亩 · 长度 400 m"`` for an area."""
    length = f"{words.text('measure_length', lang)} {m.length_m:,.0f} m"
    if m.kind == "line":
        return length
    return (f"{words.text('measure_area', lang)} {m.area_m2:,.0f} m² = {m.area_mu:,.2f} "
            f"{words.text('mu', lang)} · {length}")
