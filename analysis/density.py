"""Kernel density surfaces of enterprises: where each industry actually concentrates.

The surface is built the fast way a raster package would: the weights of the points are
binned onto a regular grid in a projected CRS (one ``np.bincount``), then smoothed by a
separable Gaussian filter (:func:`scipy.ndimage.gaussian_filter`, whose discrete kernel is
normalised to sum to one). Smoothing therefore moves weight between cells but never creates
or loses any: the surface summed over all cells times the cell area equals the total weight
of the points, as long as the grid extends a few bandwidths beyond the data (the default
grid is padded by four bandwidths, the kernel's truncation radius). 250 000 points on a
city-sized grid take well under a second, against minutes for a direct sum of one kernel
per point.

Values are densities per km² (enterprises per km², or 万元 per km² when weighted by output or
tax). Rows run north to south, as in a GeoTIFF; :attr:`DensitySurface.transform` maps
(column, row) to the cell's upper-left corner in metres.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine

from layers.crs import STORE_CRS, WORK_CRS
from layers.units import M2_PER_KM2

MAX_CELLS = 40_000_000
"""Largest grid (cells) a surface may have: 40 M float32 cells are 160 MB."""

WEIGHT_UNITS: Mapping[str, str] = {
    "count": "enterprises per km2",
    "output_wan": "wan CNY (output) per km2",
    "tax_wan": "wan CNY (tax) per km2",
}
"""The unit string written with a surface, by weight."""


@dataclass(frozen=True)
class DensitySettings:
    """
    Policy numbers of the density surfaces (the ``[density]`` section of the config).

    Attributes
    ----------
    cell_m
        Side of a grid cell in metres.
    bandwidth_m
        Standard deviation of the Gaussian kernel in metres.
    weight
        ``"count"`` (each enterprise counts one), ``"output_wan"`` or ``"tax_wan"``.
    truncate
        The kernel is cut off at this many bandwidths (as in ``gaussian_filter``).
    pad_bandwidths
        How many bandwidths the grid extends beyond the outermost point; at least
        ``truncate`` keeps the mass of every point on the grid.
    """

    cell_m: float = 100.0
    bandwidth_m: float = 500.0
    weight: str = "count"
    truncate: float = 4.0
    pad_bandwidths: float = 4.0

    def __post_init__(self):
        problems = []
        if not self.cell_m > 0:
            problems.append(f"cell_m must be positive, got {self.cell_m}")
        if not self.bandwidth_m > 0:
            problems.append(f"bandwidth_m must be positive, got {self.bandwidth_m}")
        if not self.truncate > 0:
            problems.append(f"truncate must be positive, got {self.truncate}")
        if not self.pad_bandwidths >= 0:
            problems.append(f"pad_bandwidths must not be negative, got {self.pad_bandwidths}")
        if self.weight not in WEIGHT_UNITS:
            problems.append(f"weight {self.weight!r} is not one of {sorted(WEIGHT_UNITS)}")
        if problems:
            raise ValueError("density settings: " + "; ".join(problems))


@dataclass(frozen=True)
class DensityGrid:
    """
    A north-up grid of square cells in a projected CRS.

    Attributes
    ----------
    x_min, y_max
        Upper-left corner of the grid in metres.
    cell_m
        Side of a cell in metres.
    width, height
        Number of columns and rows.
    crs
        The projected CRS the coordinates are in.
    """

    x_min: float
    y_max: float
    cell_m: float
    width: int
    height: int
    crs: str = WORK_CRS

    @classmethod
    def covering(
        cls, x: np.ndarray, y: np.ndarray, *, cell_m: float, pad_m: float, crs: str = WORK_CRS
    ) -> DensityGrid:
        """
        Cover points ``(x, y)`` with a margin, corners snapped to multiples of the cell.

        Snapping to multiples of ``cell_m`` makes grids of different runs and industries line
        up cell for cell.

        Parameters
        ----------
        x, y
            Point coordinates in metres (at least one).
        cell_m
            Cell side in metres.
        pad_m
            Margin around the points in metres.
        crs
            CRS of the coordinates.

        Raises
        ------
        ValueError
            When there are no points or the grid would exceed :data:`MAX_CELLS`.
        """
        x = np.asarray(x, dtype="float64")
        y = np.asarray(y, dtype="float64")
        if x.size == 0:
            raise ValueError("no located points: cannot place a density grid")
        x0 = np.floor((x.min() - pad_m) / cell_m) * cell_m
        x1 = np.ceil((x.max() + pad_m) / cell_m) * cell_m
        y0 = np.floor((y.min() - pad_m) / cell_m) * cell_m
        y1 = np.ceil((y.max() + pad_m) / cell_m) * cell_m
        width = max(round((x1 - x0) / cell_m), 1)
        height = max(round((y1 - y0) / cell_m), 1)
        if width * height > MAX_CELLS:
            raise ValueError(
                f"a {width} x {height} density grid ({width * height:,} cells of {cell_m} m) "
                f"is larger than {MAX_CELLS:,} cells: use a larger cell_m"
            )
        return cls(float(x0), float(y1), float(cell_m), width, height, crs)

    @property
    def transform(self) -> Affine:
        """Affine map from (column, row) to metres (upper-left corner of the cell)."""
        return Affine(self.cell_m, 0.0, self.x_min, 0.0, -self.cell_m, self.y_max)

    @property
    def shape(self) -> tuple[int, int]:
        """``(height, width)``: rows, columns."""
        return (self.height, self.width)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(x_min, y_min, x_max, y_max)`` in metres."""
        return (
            self.x_min,
            self.y_max - self.height * self.cell_m,
            self.x_min + self.width * self.cell_m,
            self.y_max,
        )

    def cell_of(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """
        Row and column of each point, and whether it falls on the grid.

        Returns
        -------
        tuple of ndarray
            ``rows``, ``cols`` (int64) and ``inside`` (bool); rows/cols of points off the grid
            are meaningless.
        """
        cols = np.floor((np.asarray(x, dtype="float64") - self.x_min) / self.cell_m)
        rows = np.floor((self.y_max - np.asarray(y, dtype="float64")) / self.cell_m)
        inside = (cols >= 0) & (cols < self.width) & (rows >= 0) & (rows < self.height)
        return rows.astype("int64"), cols.astype("int64"), inside


@dataclass(frozen=True, eq=False)
class DensitySurface:
    """
    A density raster in memory.

    Attributes
    ----------
    values
        2-D float32 array (rows north to south), in ``units``; read-only.
    transform
        Affine map from (column, row) to metres in ``crs``.
    crs
        The projected CRS, e.g. ``"EPSG:32651"``.
    description
        One line saying what the surface is (written as the band description).
    units
        E.g. ``"enterprises per km2"``.
    bandwidth_m
        Gaussian bandwidth in metres (0 when unknown, e.g. read back from a file).
    """

    values: np.ndarray
    transform: Affine
    crs: str
    description: str = ""
    units: str = "per km2"
    bandwidth_m: float = 0.0

    @property
    def cell_m(self) -> float:
        """Side of a cell in metres."""
        return float(self.transform.a)

    @property
    def cell_area_km2(self) -> float:
        """Area of one cell in km²."""
        return abs(self.transform.a * self.transform.e) / M2_PER_KM2

    @property
    def total(self) -> float:
        """The weight the surface holds: sum of the cells × cell area (float64)."""
        return float(self.values.sum(dtype="float64") * self.cell_area_km2)


def _grid_density(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, grid: DensityGrid, *, bandwidth_m: float,
    truncate: float,
) -> np.ndarray:
    """Bin weights ``w`` at ``(x, y)`` onto ``grid`` and smooth; float64 density per km²."""
    rows, cols, inside = grid.cell_of(x, y)
    flat = rows[inside] * grid.width + cols[inside]
    mass = np.bincount(flat, weights=w[inside], minlength=grid.width * grid.height)
    mass = mass.reshape(grid.shape)
    sigma = bandwidth_m / grid.cell_m
    from scipy.ndimage import gaussian_filter  # here: 0.1 s to import, for smoothing alone

    smooth = gaussian_filter(mass, sigma=sigma, mode="constant", cval=0.0, truncate=truncate)
    # Rounding can leave values like -1e-18 where the kernel tails cancel: clip to zero.
    np.maximum(smooth, 0.0, out=smooth)
    cell_area_km2 = grid.cell_m * grid.cell_m / M2_PER_KM2
    return smooth / cell_area_km2


def halo_rows(*, cell_m: float, bandwidth_m: float, truncate: float) -> int:
    """
    Rows of halo a band of the grid needs to be smoothed on its own, exactly.

    That is the Gaussian kernel's radius in cells as :func:`scipy.ndimage.gaussian_filter`
    cuts it (``int(truncate * sigma + 0.5)``): a cell's value depends on the mass within that
    many rows, so a band padded by it gives the values of the whole grid's smoothing.

    Returns
    -------
    int
        Rows (cells) of halo above and below a band.
    """
    return int(truncate * (bandwidth_m / cell_m) + 0.5)


def band_density(
    x: np.ndarray, y: np.ndarray, w: np.ndarray, group: np.ndarray, n_groups: int,
    grid: DensityGrid, *, rows: tuple[int, int], bandwidth_m: float, truncate: float,
) -> np.ndarray:
    """
    Density per km² of rows ``rows[0]:rows[1]`` of ``grid``, from the points near them.

    The band is binned with a halo of :func:`halo_rows` rows above and below, smoothed and
    cut back to its own rows, so stitching the bands of a grid gives the surface smoothed
    whole (to rounding; mass is conserved band by band). Points may be any superset of those
    within the halo; points off the band and its halo are ignored.

    Parameters
    ----------
    x, y
        Point coordinates in metres in ``grid.crs``.
    w
        Weight per point (no NaN).
    group
        Group of each point, ``0..n_groups-1`` (an industry), or -1 for none.
    n_groups
        Number of groups.
    grid
        The whole surface's grid.
    rows
        First and past-the-last row of the band.
    bandwidth_m, truncate
        Gaussian bandwidth in metres and cut-off in bandwidths.

    Returns
    -------
    ndarray
        float64 ``(1 + n_groups, rows, grid.width)``: all points first, then each group.
    """
    row0, row1 = rows
    halo = halo_rows(cell_m=grid.cell_m, bandwidth_m=bandwidth_m, truncate=truncate)
    r, c, inside = grid.cell_of(x, y)
    near = inside & (r >= row0 - halo) & (r < row1 + halo)
    height = row1 - row0 + 2 * halo
    flat = (r[near] - (row0 - halo)) * grid.width + c[near]
    sigma = bandwidth_m / grid.cell_m
    cell_area_km2 = grid.cell_m * grid.cell_m / M2_PER_KM2
    from scipy.ndimage import gaussian_filter
    out = np.empty((1 + n_groups, row1 - row0, grid.width))
    for g in range(-1, n_groups):
        pick = np.ones(len(flat), dtype=bool) if g < 0 else group[near] == g
        mass = np.bincount(flat[pick], weights=w[near][pick],
                           minlength=height * grid.width).astype("float64", copy=False)
        smooth = gaussian_filter(mass.reshape(height, grid.width), sigma=sigma,
                                 mode="constant", cval=0.0, truncate=truncate)
        np.maximum(smooth, 0.0, out=smooth)
        out[g + 1] = smooth[halo:halo + row1 - row0] / cell_area_km2
    return out


def _xy(points: gpd.GeoSeries, crs: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates in ``crs`` of the present, non-empty points, and which rows they are."""
    if points.crs is None:
        raise ValueError("points have no CRS: set it (e.g. .set_crs('EPSG:4326')) first")
    present = (points.notna() & ~points.is_empty).to_numpy()
    geoms = points[present]
    if len(geoms):
        geoms = geoms.to_crs(crs)
    kinds = shapely.get_type_id(np.asarray(geoms.array, dtype=object))
    if len(geoms) and (kinds != 0).any():
        raise ValueError("density needs Point geometries (take a representative point first)")
    return geoms.x.to_numpy(), geoms.y.to_numpy(), present


def _weights(weights: pd.Series | None, index: pd.Index) -> np.ndarray:
    if weights is None:
        return np.ones(len(index))
    if not weights.index.equals(index):
        raise ValueError("weights must be indexed like the points")
    w = pd.to_numeric(weights, errors="raise").astype("float64").to_numpy(na_value=np.nan)
    if (w < 0).any():
        raise ValueError(f"weights '{weights.name}' must not be negative")
    return np.nan_to_num(w, nan=0.0)


def kernel_density(
    points: gpd.GeoSeries,
    weights: pd.Series | None = None,
    *,
    cell_m: float = 100.0,
    bandwidth_m: float = 500.0,
    truncate: float = 4.0,
    pad_bandwidths: float = 4.0,
    grid: DensityGrid | None = None,
    description: str = "",
    units: str = "per km2",
) -> DensitySurface:
    """
    Gaussian kernel density of points (optionally weighted), per km², on a projected grid.

    Parameters
    ----------
    points
        Point geometries with a CRS (stored in WGS84); missing or empty ones are skipped.
    weights
        Weight per point, indexed like ``points`` (e.g. output in 万元); None counts each
        point once. Missing weights count as zero; negative ones are an error.
    cell_m
        Cell side in metres (ignored when ``grid`` is given).
    bandwidth_m
        Standard deviation of the Gaussian kernel in metres.
    truncate
        Kernel cut-off in bandwidths.
    pad_bandwidths
        Margin of the grid beyond the outermost point, in bandwidths (ignored with ``grid``).
    grid
        The grid to use (so several surfaces line up); default: one covering the points,
        in :data:`layers.crs.WORK_CRS`.
    description, units
        Carried into the result (and the GeoTIFF band).

    Returns
    -------
    DensitySurface
        float32 density per km². Its :attr:`~DensitySurface.total` equals the total weight
        of the points on the grid (mass is conserved; weight beyond the grid's edge within
        ``truncate`` bandwidths is lost).

    Raises
    ------
    ValueError
        When no point is located and no grid is given, or weights are negative.
    """
    crs = grid.crs if grid is not None else WORK_CRS
    x, y, present = _xy(points, crs)
    w = _weights(weights, points.index)[present]
    if grid is None:
        grid = DensityGrid.covering(x, y, cell_m=cell_m, pad_m=pad_bandwidths * bandwidth_m)
    values = _grid_density(x, y, w, grid, bandwidth_m=bandwidth_m, truncate=truncate)
    values = values.astype("float32")
    values.setflags(write=False)
    return DensitySurface(
        values=values,
        transform=grid.transform,
        crs=grid.crs,
        description=description,
        units=units,
        bandwidth_m=float(bandwidth_m),
    )


def enterprise_points(
    enterprises: pd.DataFrame | gpd.GeoDataFrame, plots: gpd.GeoDataFrame | None = None
) -> gpd.GeoSeries:
    """
    Locate each enterprise-year: its own point, else its plot's representative point.

    Parameters
    ----------
    enterprises
        Enterprise-years; a GeoDataFrame with Point geometry where known, and/or ``plot_id``.
    plots
        Plots with ``plot_id`` and polygons (any CRS), used for enterprises without a point.

    Returns
    -------
    GeoSeries
        Points in :data:`layers.crs.STORE_CRS`, indexed like ``enterprises``; missing where
        neither a point nor a known plot is given. The representative point is computed in
        :data:`layers.crs.WORK_CRS` and always lies inside the plot.
    """
    out = gpd.GeoSeries([None] * len(enterprises), index=enterprises.index, crs=STORE_CRS)
    if isinstance(enterprises, gpd.GeoDataFrame) and enterprises.geometry.name in enterprises:
        own = enterprises.geometry
        has = (own.notna() & ~own.is_empty).to_numpy()
        if has.any():
            if own.crs is None:
                raise ValueError("enterprise points have no CRS")
            out[has] = own[has].to_crs(STORE_CRS).to_numpy()
    missing = out.isna().to_numpy()
    if plots is None or not missing.any() or "plot_id" not in enterprises or len(plots) == 0:
        return out
    if plots.crs is None:
        raise ValueError("plots have no CRS")
    reps = plots.geometry.to_crs(WORK_CRS).representative_point().to_crs(STORE_CRS)
    by_plot = pd.Series(reps.to_numpy(), index=plots["plot_id"].astype("string").to_numpy())
    by_plot = by_plot[~by_plot.index.duplicated()]
    keys = enterprises["plot_id"].astype("string")[missing]
    found = by_plot.reindex(keys.to_numpy()).to_numpy()
    out[missing] = found
    return out


def density_by_industry(
    enterprises: pd.DataFrame | gpd.GeoDataFrame,
    plots: gpd.GeoDataFrame | None = None,
    *,
    settings: DensitySettings = DensitySettings(),
    points: gpd.GeoSeries | None = None,
    smooth: Callable[..., list[np.ndarray]] | None = None,
) -> dict[str, DensitySurface]:
    """
    Density surfaces of enterprises overall (key ``"all"``) and for each industry present.

    Every surface shares one grid (covering all located enterprises, padded by
    ``settings.pad_bandwidths`` bandwidths), so the industry surfaces add up to the overall
    one, cell by cell, and line up in a GIS.

    Parameters
    ----------
    enterprises
        Enterprise-years (usually one year) with ``industry``, the weight column named by
        ``settings.weight`` (unless ``"count"``), and a point or a ``plot_id``.
    plots
        Plots, to place enterprises that have no point of their own.
    settings
        Cell size, bandwidth, weight.
    points
        :func:`enterprise_points` of ``enterprises`` when the caller has them already
        (indexed like ``enterprises``); default: located here.
    smooth
        ``smooth(x, y, w, group, n_groups, grid, bandwidth_m=, truncate=)`` giving the
        float64 densities of all points and of each group (as :func:`band_density` with
        every row), for a cluster engine that smooths the grid in bands elsewhere; default:
        each surface smoothed whole here.

    Returns
    -------
    dict
        ``{"all": surface, industry: surface, ...}``, industries in sorted order; empty when no
        enterprise can be located.
    """
    if points is None:
        points = enterprise_points(enterprises, plots)
    elif not points.index.equals(enterprises.index):
        raise ValueError("points must be indexed like enterprises")
    located = (points.notna() & ~points.is_empty).to_numpy()
    if not located.any():
        return {}
    if settings.weight == "count":
        weights = pd.Series(1.0, index=enterprises.index, name="count")
    else:
        if settings.weight not in enterprises:
            raise ValueError(f"enterprises have no '{settings.weight}' column to weight by")
        weights = enterprises[settings.weight]
    w_all = _weights(weights, enterprises.index)
    x, y, present = _xy(points, WORK_CRS)
    grid = DensityGrid.covering(
        x, y, cell_m=settings.cell_m, pad_m=settings.pad_bandwidths * settings.bandwidth_m
    )
    units = WEIGHT_UNITS[settings.weight]
    industries = enterprises["industry"].astype("string").to_numpy(na_value="")[present]
    w = w_all[present]

    labels = sorted(set(industries) - {""})
    if smooth is None:
        arrays = [_grid_density(x[m], y[m], w[m], grid, bandwidth_m=settings.bandwidth_m,
                                truncate=settings.truncate)
                  for m in [np.ones(len(x), dtype=bool), *(industries == i for i in labels)]]
    else:
        group = pd.Index(labels).get_indexer(industries)
        arrays = smooth(x, y, w, group, len(labels), grid, bandwidth_m=settings.bandwidth_m,
                        truncate=settings.truncate)

    def surface(values: np.ndarray, label: str) -> DensitySurface:
        values = values.astype("float32")
        values.setflags(write=False)
        what = "enterprises" if settings.weight == "count" else settings.weight
        return DensitySurface(
            values=values,
            transform=grid.transform,
            crs=grid.crs,
            description=(
                f"kernel density of {what}, {label}; Gaussian bandwidth "
                f"{settings.bandwidth_m:g} m, cell {settings.cell_m:g} m ({units})"
            ),
            units=units,
            bandwidth_m=float(settings.bandwidth_m),
        )

    result = {"all": surface(arrays[0], "all industries")}
    for industry, values in zip(labels, arrays[1:], strict=True):
        result[industry] = surface(values, f"industry {industry}")
    return result
