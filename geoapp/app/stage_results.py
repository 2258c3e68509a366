"""Tables, images and rasters of the analysis stages, as the app's tabs show them."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from analysis import projects as project_analysis
from analysis.density import DensitySurface
from geoapp.app.loading import AppData
from geoapp.outputs import output_tables
from geoapp.rasters import geotiff_bytes
from layers.crs import STORE_CRS

RANKING_COLUMNS: tuple[str, ...] = (
    "rank", "name", "composite_score", "n_plots", "land_mu", "n_enterprises", "tax_per_mu",
    "output_per_mu", "tax_per_mu_growth", "tax_per_mu_growth_target", "tax_per_mu_target_met",
    "output_per_mu_growth", "output_per_mu_growth_target", "output_per_mu_target_met",
    "target_met", "n_low_efficiency_plots", "low_efficiency_mu", "lead_industry_share",
    "n_projects",
)
"""Columns of the league tables shown first (the rest follow)."""


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


def ranking_pick(data: AppData, scope: str, position: int) -> tuple[str, str] | None:
    """The selection a clicked row of the league table makes: ``("park", id)``, ``("town", code)``.

    ``position`` is the row's position in :func:`ranking_table` (the order the app shows it,
    which ``st.dataframe``'s row selection reports). None when out of range.
    """
    table = ranking_table(data, scope)
    if table is None or not 0 <= int(position) < len(table):
        return None
    return scope, str(table.index[int(position)])


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
    """Return the reclamation outputs by name (``reclamation_progress`` …; empty before it runs)."""
    res = data.results.get("reclamation")
    if res is None:
        return {}
    return output_tables({"reclamation": res})


def burnup_charts(data: AppData) -> dict[str, bytes]:
    """Burn-up charts (PNG) by target, ``scope_type:scope_id:metric:year`` (empty before)."""
    res = data.results.get("reclamation")
    return dict(res.burnups) if res is not None else {}


def density_surfaces(data: AppData) -> dict[str, DensitySurface]:
    """Density surfaces in memory by ``"all"`` or industry code (empty before clusters ran)."""
    res = data.results.get("clusters")
    return dict(res.density) if res is not None else {}


def density_geotiff(data: AppData, industry: str | None = None) -> bytes | None:
    """The GeoTIFF of one industry's density surface, else all enterprises' (None: none)."""
    surfaces = density_surfaces(data)
    surface = surfaces.get(industry) if industry else None
    if surface is None:
        surface = surfaces.get("all") or next(iter(surfaces.values()), None)
    return geotiff_bytes(surface) if surface is not None else None


def project_points(data: AppData) -> gpd.GeoDataFrame:
    """Projects as points (polygons by a point inside), with ``stage``, WGS84."""
    proj = data.layer("projects")
    if not isinstance(proj, gpd.GeoDataFrame) or proj.empty:
        return gpd.GeoDataFrame({"project_id": [], "stage": []},
                                geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
    proj = proj[proj.geometry.notna() & ~proj.geometry.is_empty]
    pts = shapely.point_on_surface(proj.geometry.array)
    return gpd.GeoDataFrame(proj.drop(columns=proj.geometry.name), geometry=pts, crs=STORE_CRS)


def projects_by_stage(projects: pd.DataFrame) -> pd.DataFrame:
    """Count projects per stage in each park (:func:`analysis.projects.projects_by_stage`)."""
    return project_analysis.projects_by_stage(projects)
