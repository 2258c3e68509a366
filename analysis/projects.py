"""Key project sites: stages per park, investment intensity, and whether they sit on reclaimed land.

Investment intensity is investment per mu of land (万元/亩). Group intensities (a park's, a
district's) are aggregates — total investment over total land (sum/sum), not the mean of the
projects' ratios — so a large project weighs by its land.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from analysis.efficiency import per_mu
from analysis.overlay import land_area_mu
from layers.crs import WORK_CRS
from layers.schema import PROJECT_STAGES

NONE_GROUP = "(none)"
"""Group id of projects without a park (or district)."""


def _group_keys(values: pd.Series) -> pd.Series:
    return values.map(lambda v: NONE_GROUP if pd.isna(v) or str(v).strip() == "" else str(v))


def projects_by_stage(projects: pd.DataFrame, *, by: str = "park_id") -> pd.DataFrame:
    """Count projects per stage in each group (park by default).

    Parameters
    ----------
    projects
        Projects layer (``stage``, ``investment_wan`` and the ``by`` column).
    by
        Column to group by; projects without a value go to :data:`NONE_GROUP`.

    Returns
    -------
    DataFrame
        Indexed by group (named ``by``, sorted): one count column per stage of
        :data:`layers.schema.PROJECT_STAGES` in order, ``total``, and ``investment_wan``
        (sum, 万元).
    """
    keys = _group_keys(projects[by]) if by in projects.columns else pd.Series(
        NONE_GROUP, index=projects.index
    )
    counts = pd.crosstab(keys, projects["stage"]).reindex(columns=list(PROJECT_STAGES),
                                                          fill_value=0)
    counts.columns.name = None
    counts["total"] = counts.sum(axis=1)
    counts["investment_wan"] = projects["investment_wan"].astype("float64").groupby(keys).sum()
    counts.index.name = by
    return counts.sort_index()


def project_land_mu(
    projects: gpd.GeoDataFrame,
    *,
    plot_area_mu: pd.Series | None = None,
    crs: str = WORK_CRS,
) -> pd.Series:
    """Land of each project in mu: its own ``land_mu``, else its plot's, else its polygon's area.

    Parameters
    ----------
    projects
        Projects layer; ``land_mu`` and ``plot_id`` are optional columns.
    plot_area_mu
        Plot area in mu by ``plot_id`` (measured in a projected CRS).
    crs
        Projected CRS a polygonal project geometry is measured in.

    Returns
    -------
    Series
        ``land_mu`` (mu) indexed like ``projects``; NaN where nothing gives an area (a point
        project with no land and no plot). Zero or negative values count as missing.
    """
    land = pd.Series(float("nan"), index=projects.index, dtype="float64")
    if "land_mu" in projects.columns:
        land = pd.to_numeric(projects["land_mu"], errors="coerce").astype("float64")
        land = land.where(land > 0)
    if plot_area_mu is not None and "plot_id" in projects.columns:
        lookup = projects["plot_id"].map(lambda v: None if pd.isna(v) else str(v))
        from_plot = lookup.map(plot_area_mu.to_dict()).astype("float64")
        land = land.fillna(from_plot.where(from_plot > 0))
    if isinstance(projects, gpd.GeoDataFrame) and projects.geometry.notna().any():
        geom = projects.geometry
        polygonal = geom.notna() & geom.geom_type.isin(["Polygon", "MultiPolygon"])
        if polygonal.any():
            area = land_area_mu(projects[polygonal], crs=crs)
            land = land.fillna(area.reindex(projects.index).where(lambda a: a > 0))
    return land.rename("land_mu")


def investment_intensity(investment_wan: pd.Series, land_mu: pd.Series) -> pd.Series:
    """Investment per mu of land.

    Parameters
    ----------
    investment_wan
        Investment per project, 万元.
    land_mu
        Land per project in mu, indexed like ``investment_wan``. Zero or missing gives NaN.

    Returns
    -------
    Series
        ``investment_intensity`` in 万元/亩, indexed like ``investment_wan``
        (:func:`analysis.efficiency.per_mu`).
    """
    return per_mu(investment_wan, land_mu, name="investment_intensity")


def aggregate_intensity(
    investment_wan: pd.Series, land_mu: pd.Series, groups: pd.Series
) -> pd.Series:
    """Investment intensity of groups of projects: total investment over total land.

    Parameters
    ----------
    investment_wan
        Investment per project, 万元.
    land_mu
        Land per project in mu, indexed like ``investment_wan``; projects without land (or
        without investment) are left out of both sums.
    groups
        Group of each project (park id, district code); missing goes to :data:`NONE_GROUP`.

    Returns
    -------
    Series
        ``investment_intensity`` (万元/亩) indexed by group; NaN for a group with no land.
    """
    usable = investment_wan.notna() & land_mu.notna() & (land_mu > 0)
    keys = _group_keys(groups)
    inv = investment_wan.where(usable, 0.0).groupby(keys).sum()
    land = land_mu.where(usable, 0.0).groupby(keys).sum()
    out = per_mu(inv, land, name="investment_intensity")
    out.index.name = groups.name
    return out


def on_reclaimed_land(
    projects: gpd.GeoDataFrame,
    reclaimed_plots: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Which projects sit on reclaimed land (盘活后导入项目).

    A project is on reclaimed land when its ``plot_id`` is a reclaimed plot, or, failing that,
    when a point inside its geometry (the point itself, or a polygon's representative point)
    lies within a reclaimed plot.

    Parameters
    ----------
    projects
        Projects layer (``plot_id`` optional), in the same CRS as ``reclaimed_plots``.
    reclaimed_plots
        The plots whose ledger stage is ``reclaimed`` or ``reused`` (``plot_id``, geometry).

    Returns
    -------
    DataFrame
        Indexed like ``projects``: ``on_reclaimed_land`` (bool) and ``reclaimed_plot_id``
        (the plot, or missing).
    """
    ids = set(reclaimed_plots["plot_id"].astype(str))
    plot_of = pd.Series(pd.NA, index=projects.index, dtype="str")
    if "plot_id" in projects.columns:
        by_id = projects["plot_id"].map(lambda v: None if pd.isna(v) else str(v))
        plot_of = plot_of.mask(by_id.isin(ids), by_id)
    located = projects.geometry.notna() & ~projects.geometry.is_empty
    todo = plot_of.isna() & located
    if todo.any() and len(reclaimed_plots):
        points = gpd.GeoDataFrame(
            geometry=projects.geometry[todo].representative_point(), crs=projects.crs
        )
        hits = gpd.sjoin(points, reclaimed_plots[["plot_id", "geometry"]], predicate="within")
        first = hits[~hits.index.duplicated()]["plot_id"].astype(str)
        plot_of = plot_of.fillna(first.reindex(projects.index))
    return pd.DataFrame(
        {"on_reclaimed_land": plot_of.notna(), "reclaimed_plot_id": plot_of},
        index=projects.index,
    )
