"""Density surfaces: mass conservation, shape of one kernel, GeoTIFF round trip (synthetic data)."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from affine import Affine
from shapely.geometry import Point

from analysis.density import (
    DensityGrid,
    DensitySettings,
    density_by_industry,
    enterprise_points,
    kernel_density,
)
from geoapp.rasters import NODATA, geotiff_bytes, read_geotiff, write_geotiff
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N, enterprises_frame, squares


def random_points(n, *, seed=0, spread_m=3000.0):
    rng = np.random.default_rng(seed)
    x = BASE_E + rng.uniform(0, spread_m, n)
    y = BASE_N + rng.uniform(0, spread_m, n)
    return gpd.GeoSeries(gpd.points_from_xy(x, y), crs=WORK_CRS).to_crs(STORE_CRS)


def test_mass_is_conserved_for_weighted_points():
    points = random_points(500)
    weights = pd.Series(np.random.default_rng(1).uniform(0, 50, 500), name="output_wan")
    surface = kernel_density(points, weights, cell_m=100, bandwidth_m=500)
    # density per km² × cell area (0.01 km²) summed = the total weight (万元)
    assert surface.cell_area_km2 == pytest.approx(0.01)
    assert surface.total == pytest.approx(weights.sum(), rel=1e-6)
    assert float(surface.values.sum(dtype="float64")) * 0.01 == pytest.approx(
        weights.sum(), rel=0.01
    )


def test_mass_is_lost_only_beyond_the_grid_edge():
    # Without padding half of the kernel of a point on the edge falls off the grid.
    points = random_points(200)
    surface = kernel_density(points, cell_m=100, bandwidth_m=500, pad_bandwidths=0)
    assert surface.total < 200 * 0.95


def test_single_point_peaks_at_its_cell_and_is_symmetric(make_points):
    point = make_points([(BASE_E + 50, BASE_N + 50)])  # centre of a 100 m cell
    surface = kernel_density(point.geometry, cell_m=100, bandwidth_m=500, pad_bandwidths=4)
    values = surface.values
    col, row = (~surface.transform) @ (BASE_E + 50, BASE_N + 50)
    row, col = math.floor(row), math.floor(col)
    assert np.unravel_index(np.argmax(values), values.shape) == (row, col)
    assert values.shape == (41, 41)  # 2000 m of padding each side + the point's cell
    assert (row, col) == (20, 20)
    # Symmetric in x, in y and about the diagonal.
    np.testing.assert_allclose(values, values[::-1, :], rtol=1e-6)
    np.testing.assert_allclose(values, values[:, ::-1], rtol=1e-6)
    np.testing.assert_allclose(values, values.T, rtol=1e-6)
    # Peak of a 2-D Gaussian: 1 / (2π σ²) per m² = 1e6 / (2π · 500²) per km² ≈ 0.6366.
    assert values[row, col] == pytest.approx(1e6 / (2 * math.pi * 500**2), rel=2e-3)
    assert surface.total == pytest.approx(1.0, rel=1e-6)


def test_surfaces_share_a_grid_and_industries_add_up(make_points):
    coords = [(BASE_E + 100 * i, BASE_N + 70 * i) for i in range(6)]
    ents = make_points(
        coords,
        ent_id=[f"E{i}" for i in range(6)],
        industry=["biomed", "biomed", "ic", "ic", "ic", "auto"],
        output_wan=[10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
    )
    surfaces = density_by_industry(ents, settings=DensitySettings(weight="output_wan"))
    assert list(surfaces) == ["all", "auto", "biomed", "ic"]
    assert {s.transform for s in surfaces.values()} == {surfaces["all"].transform}
    parts = sum(surfaces[k].values.astype("float64") for k in ("auto", "biomed", "ic"))
    np.testing.assert_allclose(parts, surfaces["all"].values, rtol=1e-5, atol=1e-9)
    assert surfaces["all"].total == pytest.approx(210.0, rel=1e-6)
    assert surfaces["ic"].total == pytest.approx(120.0, rel=1e-6)
    assert surfaces["all"].units == "wan CNY (output) per km2"
    assert "industry ic" in surfaces["ic"].description


def test_points_located_once_are_used_and_checked(make_points):
    ents = make_points([(BASE_E, BASE_N), (BASE_E + 300, BASE_N)], ent_id=["E1", "E2"],
                       industry=["ic", "auto"])
    settings = DensitySettings(cell_m=100, bandwidth_m=200)
    default = density_by_industry(ents, settings=settings)
    given = density_by_industry(ents, settings=settings, points=enterprise_points(ents))
    np.testing.assert_array_equal(given["all"].values, default["all"].values)
    # points handed in win over the frame's own: E2 moved 1 km east widens the grid
    moved = gpd.GeoSeries([Point(BASE_E, BASE_N), Point(BASE_E + 1300, BASE_N)],
                          index=ents.index, crs=WORK_CRS).to_crs(STORE_CRS)
    wider = density_by_industry(ents, settings=settings, points=moved)
    extra = wider["all"].values.shape[1] - default["all"].values.shape[1]
    assert extra in (9, 10, 11)  # 1000 m of 100 m cells, give or take the snapped edge
    with pytest.raises(ValueError, match="indexed like enterprises"):
        density_by_industry(ents, settings=settings, points=moved.set_axis([5, 6]))


def test_missing_points_are_skipped_and_negative_weights_refused():
    points = random_points(3)
    points.iloc[1] = None
    surface = kernel_density(points)
    assert surface.total == pytest.approx(2.0, rel=1e-6)
    with pytest.raises(ValueError, match="negative"):
        kernel_density(points, pd.Series([1.0, 2.0, -1.0], name="tax_wan"))


def test_grid_corners_snap_to_cell_multiples():
    grid = DensityGrid.covering(np.array([1234.0]), np.array([5678.0]), cell_m=100, pad_m=250)
    assert grid.bounds == (900.0, 5400.0, 1500.0, 6000.0)  # 984→900, 1484→1500
    assert grid.shape == (6, 6)
    with pytest.raises(ValueError, match="larger cell_m"):
        DensityGrid.covering(np.array([0.0, 1e6]), np.array([0.0, 1e6]), cell_m=1, pad_m=0)


def test_enterprise_points_use_own_point_else_plot(make_points):
    plots = squares([100, 100], ids=["A", "B"])
    ents = enterprises_frame(
        [{"ent_id": "E1", "plot_id": "A"}, {"ent_id": "E2", "plot_id": "B"},
         {"ent_id": "E3", "plot_id": "ZZ"}, {"ent_id": "E4", "plot_id": None}]
    )
    ents.index = [10, 11, 12, 13]
    own = gpd.GeoSeries([Point(BASE_E + 5, BASE_N + 5), None, None, None],
                        index=ents.index, crs=WORK_CRS).to_crs(STORE_CRS)
    ents = gpd.GeoDataFrame(ents, geometry=own)
    pts = enterprise_points(ents, plots)
    assert pts.index.equals(ents.index)
    assert pts.crs == STORE_CRS
    work = pts.to_crs(WORK_CRS)
    assert work.loc[10].x == pytest.approx(BASE_E + 5, abs=1e-6)  # its own point
    b_square = plots.to_crs(WORK_CRS).geometry.iloc[1]
    assert b_square.contains(work.loc[11])  # plot B's representative point
    assert pts.loc[[12, 13]].isna().all()  # unknown plot, no plot


def test_geotiff_round_trip_keeps_crs_transform_and_values(tmp_path):
    surface = kernel_density(random_points(50), cell_m=100, bandwidth_m=300,
                             description="synthetic test surface", units="enterprises per km2")
    data = geotiff_bytes(surface)
    assert data[:4] in (b"II*\x00", b"MM\x00*")
    path = write_geotiff(surface, tmp_path / "density_all.tif")
    for source in (data, path):
        back = read_geotiff(source)
        assert back.crs == "EPSG:32651"
        assert back.transform == surface.transform
        assert back.transform.a == 100.0 and back.transform.e == -100.0
        assert back.description == "synthetic test surface"
        assert back.units == "enterprises per km2"
        assert back.bandwidth_m == 300.0
        np.testing.assert_array_equal(back.values, surface.values)
    with rasterio.open(path) as ds:
        assert ds.dtypes == ("float32",)
        assert ds.nodata == NODATA
        assert ds.crs.to_epsg() == 32651
        assert ds.tags(1)["units"] == "enterprises per km2"
        assert ds.transform == Affine(100.0, 0.0, surface.transform.c, 0.0, -100.0,
                                      surface.transform.f)


def test_bands_with_a_halo_stitch_into_the_whole_surface():
    from analysis.density import DensityGrid, _grid_density, band_density, halo_rows

    rng = np.random.default_rng(3)
    x = BASE_E + rng.uniform(0, 5_000, 400)
    y = BASE_N + rng.uniform(0, 5_000, 400)
    w = rng.uniform(0, 10, 400)
    group = rng.integers(-1, 3, 400)  # three industries and some with none
    grid = DensityGrid.covering(x, y, cell_m=100.0, pad_m=2_000.0)
    halo = halo_rows(cell_m=100.0, bandwidth_m=500.0, truncate=4.0)
    assert halo == 20  # 4 bandwidths of 5 cells
    edges = [0, 7, 40, 41, grid.height]  # bands thinner and thicker than the halo
    bands = [band_density(x, y, w, group, 3, grid, rows=(a, b), bandwidth_m=500.0, truncate=4.0)
             for a, b in itertools.pairwise(edges)]
    stitched = np.concatenate(bands, axis=1)
    for g, pick in enumerate([np.ones(400, bool), group == 0, group == 1, group == 2]):
        whole = _grid_density(x[pick], y[pick], w[pick], grid, bandwidth_m=500.0, truncate=4.0)
        np.testing.assert_allclose(stitched[g], whole, rtol=1e-12, atol=1e-12 * whole.max())
        assert stitched[g].sum() * 0.01 == pytest.approx(w[pick].sum(), rel=1e-9)  # mass kept
