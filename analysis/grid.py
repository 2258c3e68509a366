"""Per-mu figures aggregated to a regular grid of squares or hexagons, for maps at low zoom.

Each plot goes to the cell holding its centroid (in :data:`layers.crs.WORK_CRS`); a cell's
per-mu figure is the sum of its plots' amounts over the sum of **all** its plots' land
(``Σ tax_wan / Σ land_mu``, idle land and plots without a figure included), exactly the rule of
:func:`analysis.efficiency.scope_indicators` for a park or a district's 亩均税收: idle land
lowers the figure, and the mean of the plots' per-mu figures is never taken. Cells are anchored
at the CRS origin, so the same cell has the same id and outline in every run and every
district.

Hexagons are pointy-topped; ``cell_m`` is the distance between the centres of neighbouring
cells (the width across the flat sides), so a hexagon covers ``√3/2 · cell_m²`` and a square
``cell_m²``. No h3 dependency: hexagon indices are axial coordinates rounded in cube space.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.efficiency import per_mu, per_mu_name
from analysis.overlay import centroids_m, land_area_mu
from layers.crs import STORE_CRS, WORK_CRS

SQRT3 = float(np.sqrt(3.0))


@dataclass(frozen=True)
class GridSettings:
    """
    The grid of the aggregation (the ``[grid]`` section of the config).

    Attributes
    ----------
    cell_m
        Square side, or hexagon width across flats (centre spacing), in metres.
    shape
        ``"hex"`` or ``"square"``.
    """

    cell_m: float = 1000.0
    shape: str = "hex"

    def __post_init__(self):
        problems = []
        if not self.cell_m > 0:
            problems.append(f"cell_m must be positive, got {self.cell_m}")
        if self.shape not in ("hex", "square"):
            problems.append(f"shape must be 'hex' or 'square', got {self.shape!r}")
        if problems:
            raise ValueError("grid settings: " + "; ".join(problems))


def hex_cells(x: np.ndarray, y: np.ndarray, *, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """
    Axial coordinates ``(q, r)`` of the pointy-topped hexagon holding each point.

    Parameters
    ----------
    x, y
        Coordinates in metres.
    cell_m
        Distance between neighbouring centres (width across flats).

    Returns
    -------
    tuple of ndarray
        Integer ``q`` and ``r``; the centre of cell (q, r) is
        ``(cell_m · (q + r/2), cell_m · √3/2 · r)``.
    """
    radius = cell_m / SQRT3
    r_f = np.asarray(y, dtype="float64") / (1.5 * radius)
    q_f = np.asarray(x, dtype="float64") / cell_m - r_f / 2.0
    s_f = -q_f - r_f
    q, r, s = np.round(q_f), np.round(r_f), np.round(s_f)
    dq, dr, ds = np.abs(q - q_f), np.abs(r - r_f), np.abs(s - s_f)
    fix_q = (dq > dr) & (dq > ds)
    fix_r = ~fix_q & (dr > ds)
    q = np.where(fix_q, -r - s, q)
    r = np.where(fix_r, -q - s, r)
    return q.astype("int64"), r.astype("int64")


def hex_polygons(q: np.ndarray, r: np.ndarray, *, cell_m: float) -> np.ndarray:
    """Pointy-topped hexagons of cells ``(q, r)`` in metres, as shapely polygons."""
    q = np.asarray(q, dtype="float64")
    r = np.asarray(r, dtype="float64")
    cx = cell_m * (q + r / 2.0)
    cy = cell_m * SQRT3 / 2.0 * r
    radius = cell_m / SQRT3
    angles = np.deg2rad(30.0 + 60.0 * np.arange(6))
    xs = cx[:, None] + radius * np.cos(angles)[None, :]
    ys = cy[:, None] + radius * np.sin(angles)[None, :]
    rings = np.stack([xs, ys], axis=-1)
    return shapely.polygons(rings)


def square_cells(x: np.ndarray, y: np.ndarray, *, cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Column and row ``(i, j)`` of the square cell holding each point (``floor(x / cell_m)``)."""
    i = np.floor(np.asarray(x, dtype="float64") / cell_m).astype("int64")
    j = np.floor(np.asarray(y, dtype="float64") / cell_m).astype("int64")
    return i, j


def square_polygons(i: np.ndarray, j: np.ndarray, *, cell_m: float) -> np.ndarray:
    """Squares of cells ``(i, j)`` in metres, as shapely polygons."""
    i = np.asarray(i, dtype="float64")
    j = np.asarray(j, dtype="float64")
    return shapely.box(i * cell_m, j * cell_m, (i + 1) * cell_m, (j + 1) * cell_m)


def aggregate_to_grid(
    plots: gpd.GeoDataFrame,
    *,
    amounts: tuple[str, ...] = ("tax_wan", "output_wan"),
    land_mu: pd.Series | None = None,
    xy: np.ndarray | None = None,
    settings: GridSettings = GridSettings(),
) -> gpd.GeoDataFrame:
    """
    Sum plots' amounts and land into grid cells and divide: per-mu yield per cell.

    Parameters
    ----------
    plots
        Plot polygons with a CRS and the ``amounts`` columns (万元 per plot, NaN = no figure).
    amounts
        Columns to sum; each gives ``<amount>`` (sum, 万元), ``<base>_land_mu`` (land of the
        plots that have a figure, 亩: how much of the cell the figure covers) and
        ``<base>_per_mu`` (Σ amount / Σ land of every plot in the cell, 万元/亩).
    land_mu
        Land per plot in mu, indexed like ``plots``; default: the geometry's area measured in
        :data:`layers.crs.WORK_CRS`.
    xy
        Plot centroids in metres (:func:`analysis.overlay.centroids_m`, ``(n, 2)``, NaN for
        no geometry), when the caller has them already; default: computed here.
    settings
        Cell size and shape.

    Returns
    -------
    GeoDataFrame
        One row per non-empty cell, in :data:`layers.crs.STORE_CRS` (WGS84): ``cell_id``
        (``"hex_<q>_<r>"`` or ``"sq_<i>_<j>"``), ``n_plots``, ``land_mu`` (all plots), then the
        three columns per amount. A per-mu figure is NaN where no plot of the cell has a figure
        or the cell's land is zero.
    """
    missing = [a for a in amounts if a not in plots]
    if missing:
        raise ValueError(f"plots have no column(s) {missing} to aggregate")
    if land_mu is None:
        land_mu = land_area_mu(plots)
    elif not land_mu.index.equals(plots.index):
        raise ValueError("land_mu must be indexed like plots")
    if xy is None:
        xy = centroids_m(plots)
    elif np.shape(xy) != (len(plots), 2):
        raise ValueError("xy must hold one (x, y) row per plot")
    keep = ~np.isnan(xy).any(axis=1)
    x, y = xy[keep, 0], xy[keep, 1]
    if settings.shape == "hex":
        a, b = hex_cells(x, y, cell_m=settings.cell_m)
        prefix = "hex"
    else:
        a, b = square_cells(x, y, cell_m=settings.cell_m)
        prefix = "sq"
    land = land_mu.astype("float64").to_numpy()[keep]
    frame = pd.DataFrame({"a": a, "b": b, "land_mu": land, "n_plots": 1})
    for amount in amounts:
        value = pd.to_numeric(plots[amount], errors="raise").astype("float64").to_numpy()[keep]
        frame[amount] = value
        frame[f"{amount.removesuffix('_wan')}_land_mu"] = np.where(np.isnan(value), 0.0, land)
    # min_count=1: a cell where no plot has a figure keeps NaN, not 0.
    cells = frame.groupby(["a", "b"], sort=True).sum(min_count=1)
    columns = ["n_plots", "land_mu"]
    for amount in amounts:
        name = per_mu_name(amount)
        cells[name] = per_mu(cells[amount], cells["land_mu"], name=name)
        columns += [amount, f"{amount.removesuffix('_wan')}_land_mu", name]
    a_idx = cells.index.get_level_values("a").to_numpy()
    b_idx = cells.index.get_level_values("b").to_numpy()
    if settings.shape == "hex":
        polygons = hex_polygons(a_idx, b_idx, cell_m=settings.cell_m)
    else:
        polygons = square_polygons(a_idx, b_idx, cell_m=settings.cell_m)
    out = gpd.GeoDataFrame(
        {
            "cell_id": [f"{prefix}_{i}_{j}" for i, j in zip(a_idx, b_idx, strict=True)],
            **{c: cells[c].to_numpy() for c in columns},
        },
        geometry=polygons,
        crs=WORK_CRS,
    )
    out["n_plots"] = out["n_plots"].astype("int64")
    return out.to_crs(STORE_CRS)
