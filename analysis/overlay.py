"""Overlays: plot areas (mu) and centroids, plot → park/zone/town/district, enterprise → plot.

Every measurement is made in a projected CRS (:data:`layers.crs.WORK_CRS` by default) inside
the function; the functions return numbers and keys, never projected geometry. The overlays
are vectorised (one spatial-index query and one array intersection for all plots), not a
Python loop per plot.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.crs import WORK_CRS
from layers.units import M2_PER_MU


def _geoms(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs: str | None) -> np.ndarray:
    """Shapely geometries of ``frame`` as an object array, reprojected to ``crs`` if given."""
    geo = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    if crs is not None:
        if geo.crs is None:
            raise ValueError(
                "geometry has no CRS: set it (e.g. gdf.set_crs('EPSG:4326')) before measuring"
            )
        geo = geo.to_crs(crs)
    return np.asarray(geo.array, dtype=object)


def land_area_mu(plots: gpd.GeoDataFrame, *, crs: str = WORK_CRS) -> pd.Series:
    """
    Area of each plot's geometry in mu (亩), measured in a projected CRS.

    Parameters
    ----------
    plots
        Polygons with a CRS (stored in WGS84).
    crs
        Projected CRS to measure in; defaults to UTM 51N.

    Returns
    -------
    Series
        ``area_mu`` in 亩 (1 亩 = 10000/15 m²), indexed like ``plots``. Missing or empty
        geometry gives NaN.
    """
    geoms = _geoms(plots, crs)
    area = shapely.area(geoms)
    area = np.where(shapely.is_empty(geoms) | pd.isna(area), np.nan, area)
    return pd.Series(area / M2_PER_MU, index=plots.index, name="area_mu", dtype="float64")


def centroids_m(plots: gpd.GeoDataFrame | gpd.GeoSeries, *, crs: str = WORK_CRS) -> np.ndarray:
    """
    Plot centroids in metres, as an ``(n, 2)`` array (NaN for missing or empty geometry).

    Parameters
    ----------
    plots
        Polygons with a CRS (stored in WGS84).
    crs
        Projected CRS of the result.

    Returns
    -------
    ndarray
        ``(len(plots), 2)`` float64 ``x, y`` in metres, in the order of ``plots``.
    """
    geoms = _geoms(plots, crs)
    xy = np.full((len(geoms), 2), np.nan)
    present = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    if present.any():
        xy[present] = shapely.get_coordinates(shapely.centroid(geoms[present]))
    return xy


def register_mu(plots: pd.DataFrame) -> pd.Series:
    """
    Register area (宗地面积, ``register_area_m2``) of each plot in mu.

    Returns
    -------
    Series
        ``register_area_mu`` in 亩, indexed like ``plots``; NaN where the column is absent
        or the value is missing or not positive.
    """
    if "register_area_m2" not in plots:
        return pd.Series(np.nan, index=plots.index, name="register_area_mu", dtype="float64")
    register = pd.to_numeric(plots["register_area_m2"], errors="coerce").astype("float64")
    return (register / M2_PER_MU).where(register > 0).rename("register_area_mu")


def register_or_measured_mu(
    plots: gpd.GeoDataFrame, *, crs: str = WORK_CRS, measured: pd.Series | None = None
) -> pd.Series:
    """
    Give the land area planners reconcile with: the register area, else the geometry's.

    Parameters
    ----------
    plots
        Plots with an optional ``register_area_m2`` column (宗地面积, m²).
    crs
        Projected CRS the geometry is measured in when there is no register area.
    measured
        :func:`land_area_mu` of ``plots`` when the caller has it already (indexed like
        ``plots``); default: measured here.

    Returns
    -------
    Series
        ``area_mu`` in 亩, indexed like ``plots``. A register area that is missing or not
        positive (see :func:`register_mu`) falls back to the measured geometry.
    """
    if measured is None:
        measured = land_area_mu(plots, crs=crs)
    elif not measured.index.equals(plots.index):
        raise ValueError("measured must be indexed like plots")
    return register_mu(plots).fillna(measured).rename("area_mu")


def _nullable(dtype):
    """``dtype``, or its nullable counterpart when it cannot hold a missing value."""
    if pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
        return pd.Series([], dtype=dtype).convert_dtypes().dtype
    return dtype


def _with_missing(values: pd.Series, dtype) -> pd.Series:
    """``values`` cast to ``dtype`` (nullable when needed) so keys keep their type."""
    return values.astype(_nullable(dtype))


def _overlap_pairs(
    plots: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, *, crs: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(plot position, polygon position, overlap area m², plot area m²) for every overlap."""
    keep = polygons.geometry.notna().to_numpy() & ~polygons.geometry.is_empty.to_numpy()
    polygons = polygons[keep]
    plot_geoms = _geoms(plots, crs)
    plot_area = shapely.area(plot_geoms)
    empty = np.empty(0, dtype=np.intp)
    if len(polygons) == 0 or len(plots) == 0:
        return empty, empty, np.empty(0), plot_area
    poly_geoms = _geoms(polygons, crs)
    # The tree holds the many small plots and the few large polygons query it, prepared once
    # each: far faster than testing every plot against an unprepared district outline.
    shapely.prepare(poly_geoms)
    right, left = shapely.STRtree(plot_geoms).query(poly_geoms, predicate="intersects")
    # A plot wholly inside a polygon needs no intersection: its overlap is its own area.
    inside = shapely.contains_properly(poly_geoms[right], plot_geoms[left])
    area = plot_area[left].copy()
    todo = ~inside
    if todo.any():
        area[todo] = shapely.area(
            shapely.intersection(plot_geoms[left[todo]], poly_geoms[right[todo]])
        )
    positive = area > 0
    # Positions in the filtered polygons are mapped back to positions in the caller's frame.
    original = np.flatnonzero(keep)
    return left[positive], original[right[positive]], area[positive], plot_area


def largest_share(
    plots: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    key: str,
    *,
    crs: str = WORK_CRS,
    outside_competes: bool = True,
) -> pd.DataFrame:
    """
    For each plot, the polygon holding the largest share of its area, and that share.

    Parameters
    ----------
    plots
        Plot polygons with a CRS.
    polygons
        Polygons with a CRS and a ``key`` column (parks, zones, towns, districts). Rows with
        missing or empty geometry are ignored.
    key
        Column of ``polygons`` whose value is assigned.
    crs
        Projected CRS the areas are measured in.
    outside_competes
        When true (default), the part of a plot outside every polygon counts as a candidate
        of its own: a plot 30 % inside a park and 70 % outside is not assigned to the park.
        A tie between a polygon and the outside goes to the polygon.

    Returns
    -------
    DataFrame
        Indexed like ``plots``: ``key`` (missing where no polygon wins) and ``share`` (fraction
        of the plot's area inside the assigned polygon, NaN where none). Ties between two
        polygons go to the smaller ``key`` value, so the result is deterministic.
    """
    left, right, area, plot_area = _overlap_pairs(plots, polygons, crs=crs)
    keys = polygons[key].reset_index(drop=True)
    pairs = pd.DataFrame({"pos": left, "key": keys.iloc[right].to_numpy(), "area": area})
    covered = pairs.groupby("pos")["area"].sum()
    # Shares equal to 1e-9 are ties (reprojection noise), broken by the key.
    pairs["rounded"] = np.round(area / plot_area[left], 9)
    pairs = pairs.sort_values(
        ["pos", "rounded", "key"], ascending=[True, False, True], kind="stable"
    )
    best = pairs.drop_duplicates("pos").set_index("pos")
    best["share"] = best["area"] / plot_area[best.index.to_numpy()]
    if outside_competes:
        outside = plot_area[best.index.to_numpy()] - covered.reindex(best.index).to_numpy()
        best = best[best["area"].to_numpy() >= outside - 1e-9 * plot_area[best.index.to_numpy()]]
    positions = pd.RangeIndex(len(plots))
    assigned = _with_missing(best["key"].reindex(positions), polygons[key].dtype)
    share = best["share"].reindex(positions)
    return pd.DataFrame(
        {key: assigned.to_numpy(), "share": share.to_numpy(dtype="float64")}, index=plots.index
    )


def assign_largest_share(
    plots: gpd.GeoDataFrame,
    polygons: gpd.GeoDataFrame,
    key: str,
    *,
    crs: str = WORK_CRS,
    outside_competes: bool = True,
) -> pd.Series:
    """
    Assign each plot the ``key`` of the polygon that holds the largest share of its area.

    Areas are measured in ``crs`` (a plot straddling two parks 60/40 goes to the 60 one).
    See :func:`largest_share` for the rule on the part outside every polygon and on ties.

    Parameters
    ----------
    plots
        Plot polygons with a CRS.
    polygons
        Polygons with a CRS and a ``key`` column.
    key
        Column of ``polygons`` to assign.
    crs
        Projected CRS the areas are measured in.
    outside_competes
        Whether the plot's share outside every polygon competes as "no polygon".

    Returns
    -------
    Series
        Named ``key``, indexed like ``plots``, with the dtype of ``polygons[key]``; missing
        where no polygon wins.
    """
    result = largest_share(plots, polygons, key, crs=crs, outside_competes=outside_competes)
    return result[key]


def locate_points(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame, key: str) -> pd.Series:
    """
    Find the ``key`` of the polygon each point lies in (boundary included).

    Parameters
    ----------
    points
        Points (or any geometry: its representative point is used) with a CRS; missing
        geometries give a missing key.
    polygons
        Polygons with a CRS and a ``key`` column.
    key
        Column of ``polygons`` to return.

    Returns
    -------
    Series
        Named ``key``, indexed like ``points``. A point on a shared boundary (or in overlapping
        polygons) gets the smallest key, so the result is deterministic.
    """
    out = pd.Series(pd.NA, index=points.index, name=key, dtype=_nullable(polygons[key].dtype))
    present = points.notna().to_numpy() & ~points.is_empty.to_numpy()
    if not present.any() or len(polygons) == 0:
        return out
    if points.crs is None or polygons.crs is None:
        raise ValueError("points and polygons must both have a CRS")
    geoms = points[present]
    if not points.crs.equals(polygons.crs):
        geoms = geoms.to_crs(polygons.crs)
    geoms = np.asarray(geoms.representative_point().array, dtype=object)
    poly_keep = polygons.geometry.notna().to_numpy() & ~polygons.geometry.is_empty.to_numpy()
    poly_geoms = np.asarray(polygons.geometry[poly_keep].array, dtype=object)
    poly_keys = polygons[key][poly_keep].to_numpy()
    shapely.prepare(poly_geoms)
    right, left = shapely.STRtree(geoms).query(poly_geoms, predicate="intersects")
    hits = pd.DataFrame({"pos": left, "key": poly_keys[right]})
    hits = hits.sort_values(["pos", "key"], kind="stable").drop_duplicates("pos")
    idx = points.index[present][hits["pos"].to_numpy()]
    out.loc[idx] = hits["key"].to_numpy()
    return out


def locate_enterprises(
    enterprises: pd.DataFrame | gpd.GeoDataFrame, plots: gpd.GeoDataFrame
) -> pd.Series:
    """
    Find the plot of each enterprise-year: its ``plot_id`` if given, else by its point.

    Parameters
    ----------
    enterprises
        Enterprise-years with an optional ``plot_id`` column and optional point geometry.
    plots
        Plots with ``plot_id`` and polygons.

    Returns
    -------
    Series
        ``plot_id`` indexed like ``enterprises``; missing where neither a plot id nor a point
        inside a plot is given. A given ``plot_id`` always wins over the point.
    """
    dtype = plots["plot_id"].dtype
    if "plot_id" in enterprises:
        given = enterprises["plot_id"].astype(dtype)
    else:
        given = pd.Series(pd.NA, index=enterprises.index, dtype=dtype)
    given = given.rename("plot_id")
    if not isinstance(enterprises, gpd.GeoDataFrame):
        return given
    try:
        points = enterprises.geometry
    except AttributeError:  # a GeoDataFrame without an active geometry column
        return given
    need = given.isna()
    if not need.any():
        return given
    found = locate_points(points[need], plots, "plot_id")
    return given.fillna(found.astype(dtype))


def apportion_land_mu(enterprises: pd.DataFrame, plot_area_mu: pd.Series) -> pd.Series:
    """
    Each enterprise-year's share of its plot's land, in mu, for tenants sharing a plot.

    Enterprises on the same plot in the same year split the plot's land in proportion to
    their ``floor_area_m2`` (leased floor space). Rules, in order:

    - a tenant whose floor area is missing or not positive is counted as if it used the mean
      floor area of its co-tenants that report one (so it is neither favoured nor wiped out);
    - when no tenant of the plot-year reports a floor area, the land is split evenly;
    - a single tenant gets the whole plot.

    The shares of one plot-year always add up to the plot's area.

    Parameters
    ----------
    enterprises
        Enterprise-years with ``plot_id`` and ``year``; optional ``floor_area_m2`` (m²).
    plot_area_mu
        Land area of each plot in mu, indexed by ``plot_id``.

    Returns
    -------
    Series
        ``land_mu`` (亩), indexed like ``enterprises``; NaN where the plot is unknown.
    """
    plot_id = enterprises["plot_id"]
    keys = [plot_id.rename("_plot"), enterprises["year"].rename("_year")]
    if "floor_area_m2" in enterprises:
        floor = pd.to_numeric(enterprises["floor_area_m2"], errors="coerce").astype("float64")
        floor = floor.where(floor > 0)
    else:
        floor = pd.Series(np.nan, index=enterprises.index, dtype="float64")
    mean_floor = floor.groupby(keys).transform("mean")
    weight = floor.fillna(mean_floor).fillna(1.0).where(plot_id.notna())
    share = weight / weight.groupby(keys).transform("sum")
    area = pd.Series(
        plot_area_mu.reindex(plot_id.to_numpy()).to_numpy(dtype="float64"), index=enterprises.index
    )
    return (share * area).rename("land_mu")
