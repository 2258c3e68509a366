"""Grid aggregation: Σ tax / Σ land per square or hexagon, by hand (synthetic plots)."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.efficiency import per_mu_name, scope_indicators
from analysis.grid import (
    GridSettings,
    aggregate_to_grid,
    hex_cells,
    hex_polygons,
)
from analysis.overlay import centroids_m
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N, squares


def four_plots():
    # Three 100 m squares (15 mu each) at x = E, E+150, E+300 → square cell (350, 3470) of 1 km;
    # a fourth at x = E+1500 → cell (351, 3470).
    row = squares([100, 100, 100], ids=["A", "B", "C"])
    far = squares([100], origin=(BASE_E + 1500, BASE_N), ids=["D"])
    plots = pd.concat([row, far])
    plots.index = [7, 8, 9, 10]
    plots["tax_wan"] = [30.0, 15.0, np.nan, 60.0]
    plots["output_wan"] = [300.0, 150.0, 90.0, 600.0]
    return plots


def test_square_grid_by_hand():
    grid = aggregate_to_grid(four_plots(), settings=GridSettings(cell_m=1000, shape="square"))
    assert grid.crs == STORE_CRS
    assert grid["cell_id"].tolist() == ["sq_350_3470", "sq_351_3470"]
    first, second = grid.iloc[0], grid.iloc[1]
    assert first["n_plots"] == 3
    assert first["land_mu"] == pytest.approx(45.0)  # 3 × 15 mu
    assert first["tax_wan"] == pytest.approx(45.0)  # 30 + 15, C has no tax figure
    assert first["tax_land_mu"] == pytest.approx(30.0)  # land with a figure: A and B only
    # Σ tax / Σ all land (C's 15 mu count, as idle land does for a park): 45 / 45, not
    # 45 / 30 over the land with a figure, nor the mean of 2 and 1.
    assert first["tax_per_mu"] == pytest.approx(1.0)
    assert first["output_per_mu"] == pytest.approx(540.0 / 45.0)
    assert second["tax_per_mu"] == pytest.approx(4.0)  # 60 / 15
    outline = grid.to_crs(WORK_CRS).geometry.iloc[0]
    assert outline.area == pytest.approx(1e6, rel=1e-6)
    assert outline.bounds == pytest.approx((350_000, 3_470_000, 351_000, 3_471_000), abs=1e-3)


def test_cell_without_any_figure_has_nan_per_mu():
    plots = four_plots()
    plots["tax_wan"] = [np.nan, np.nan, np.nan, 60.0]
    grid = aggregate_to_grid(plots, settings=GridSettings(cell_m=1000, shape="square"))
    assert np.isnan(grid["tax_wan"].iloc[0]) and np.isnan(grid["tax_per_mu"].iloc[0])
    assert grid["tax_land_mu"].iloc[0] == 0.0


def test_given_land_is_used():
    plots = four_plots()
    land = pd.Series([10.0, 10.0, 10.0, 20.0], index=plots.index)
    grid = aggregate_to_grid(plots, land_mu=land,
                             settings=GridSettings(cell_m=1000, shape="square"))
    assert grid["tax_per_mu"].tolist() == pytest.approx([45.0 / 30.0, 3.0])
    with pytest.raises(ValueError, match="indexed like plots"):
        aggregate_to_grid(plots, land_mu=land.reset_index(drop=True))


def test_a_cell_gives_the_figure_a_park_of_its_plots_would():
    # One rule for grid cells and parks: Σ tax / Σ all land, idle land (C: no figure) counted.
    plots = four_plots().iloc[:3].assign(park_id="K1", area_mu=15.0)
    firms = pd.DataFrame({"park_id": ["K1", "K1"], "tax_wan": [30.0, 15.0],
                          "output_wan": [300.0, 150.0]})
    park = scope_indicators(firms, plots, "park_id").loc["K1"]
    grid = aggregate_to_grid(plots, settings=GridSettings(cell_m=1000, shape="square"))
    assert len(grid) == 1
    assert grid["tax_per_mu"].iloc[0] == pytest.approx(park["tax_per_mu"])  # 45 / 45
    assert grid["land_mu"].iloc[0] == pytest.approx(park["land_mu"])


def test_given_centroids_are_used():
    plots = four_plots()
    xy = centroids_m(plots)
    xy[3] = xy[0]  # D moved into A's cell
    grid = aggregate_to_grid(plots, xy=xy, settings=GridSettings(cell_m=1000, shape="square"))
    assert grid["cell_id"].tolist() == ["sq_350_3470"]
    assert grid["tax_per_mu"].iloc[0] == pytest.approx(105.0 / 60.0)
    with pytest.raises(ValueError, match="one"):
        aggregate_to_grid(plots, xy=xy[:2])


def test_hexagon_holds_its_points_and_has_the_right_area():
    rng = np.random.default_rng(0)
    x = rng.uniform(-5000, 5000, 2000)
    y = rng.uniform(-5000, 5000, 2000)
    q, r = hex_cells(x, y, cell_m=500.0)
    hexes = hex_polygons(q, r, cell_m=500.0)
    assert shapely.area(hexes[0]) == pytest.approx(math.sqrt(3) / 2 * 500.0**2)
    # every point lies in (or on the edge of) the hexagon it was assigned to
    dist = shapely.distance(hexes, shapely.points(x, y))
    assert dist.max() < 1e-6
    # the centre of cell (q, r) is (cell · (q + r/2), cell · √3/2 · r)
    assert hex_cells(np.array([500.0 * 2.5]), np.array([500.0 * math.sqrt(3) / 2]),
                     cell_m=500.0) == (np.array([2]), np.array([1]))


def test_hex_grid_counts_every_plot_once():
    plots = four_plots()
    grid = aggregate_to_grid(plots, settings=GridSettings(cell_m=400, shape="hex"))
    assert grid["cell_id"].str.startswith("hex_").all()
    assert grid["n_plots"].sum() == 4
    assert grid["land_mu"].sum() == pytest.approx(60.0)
    assert grid["tax_wan"].sum() == pytest.approx(105.0)
    assert isinstance(grid, gpd.GeoDataFrame)


def test_names_and_settings():
    assert per_mu_name("tax_wan") == "tax_per_mu"
    with pytest.raises(ValueError, match="shape"):
        GridSettings(shape="triangle")
    with pytest.raises(ValueError, match="no column"):
        aggregate_to_grid(four_plots(), amounts=("revenue_wan",))
