import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis.overlay import (
    apportion_land_mu,
    assign_largest_share,
    centroids_m,
    land_area_mu,
    largest_share,
    locate_enterprises,
    locate_points,
    register_mu,
    register_or_measured_mu,
)
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N


def polygons(boxes: dict, key: str = "park_id") -> gpd.GeoDataFrame:
    """Polygons from {key: (minx, miny, maxx, maxy)} offsets in metres from the base point."""
    geoms = [box(BASE_E + a, BASE_N + b, BASE_E + c, BASE_N + d) for a, b, c, d in boxes.values()]
    return gpd.GeoDataFrame({key: list(boxes)}, geometry=geoms, crs=WORK_CRS).to_crs(STORE_CRS)


# --- areas -------------------------------------------------------------------------------


def test_land_area_mu_of_known_squares(make_plots):
    plots = make_plots(100, 200, (100, 50))
    plots.index = [10, 20, 30]
    area = land_area_mu(plots)
    assert area.name == "area_mu"
    assert list(area.index) == [10, 20, 30]
    # 100 m square = 10 000 m² = 15 mu; 200 m square = 60 mu; 100 × 50 m = 7.5 mu
    assert area.to_numpy() == pytest.approx([15.0, 60.0, 7.5], rel=1e-9)


def test_land_area_mu_refuses_a_frame_without_crs(make_plots):
    plots = make_plots(100).set_crs(None, allow_override=True)
    with pytest.raises(ValueError, match="no CRS"):
        land_area_mu(plots)


def test_register_area_wins_over_the_drawn_polygon(make_plots):
    plots = make_plots(100, 100, 100, register_area_m2=[20_000.0, np.nan, 0.0])
    plots.index = ["a", "b", "c"]
    area = register_or_measured_mu(plots)
    # 20 000 m² registered = 30 mu; missing or zero register → the drawn 15 mu
    assert area.to_dict() == pytest.approx({"a": 30.0, "b": 15.0, "c": 15.0}, rel=1e-9)


def test_register_mu_and_a_measured_area_given_by_the_caller(make_plots):
    plots = make_plots(100, 100, 100, register_area_m2=[20_000.0, np.nan, -5.0])
    plots.index = ["a", "b", "c"]
    register = register_mu(plots)
    assert register.index.equals(plots.index)
    assert register["a"] == pytest.approx(30.0)  # 20 000 m² / (10 000 / 15)
    assert register[["b", "c"]].isna().all()  # missing, not positive
    assert register_mu(plots.drop(columns="register_area_m2")).isna().all()
    # a caller that measured already passes the area in: it is used, not measured again
    given = pd.Series([1.0, 2.0, 3.0], index=plots.index)
    area = register_or_measured_mu(plots, measured=given)
    assert area.to_dict() == pytest.approx({"a": 30.0, "b": 2.0, "c": 3.0})
    with pytest.raises(ValueError, match="indexed like plots"):
        register_or_measured_mu(plots, measured=given.reset_index(drop=True))


def test_centroids_in_metres(make_plots):
    plots = make_plots(100, 200)  # x 0..100 and 150..350 from the base point
    plots.index = [4, 2]
    plots.loc[5] = plots.iloc[0]
    plots.loc[5, "geometry"] = None
    xy = centroids_m(plots)
    assert xy.shape == (3, 2)
    assert xy[0] == pytest.approx([BASE_E + 50, BASE_N + 50], abs=1e-6)
    assert xy[1] == pytest.approx([BASE_E + 250, BASE_N + 100], abs=1e-6)
    assert np.isnan(xy[2]).all()  # no geometry


# --- largest share -----------------------------------------------------------------------


def test_plot_straddling_two_parks_goes_to_the_larger_share(make_plots):
    plots = make_plots(100)  # x 0..100, y 0..100
    plots.index = [7]
    # "Z" holds 60 % of the plot, "A" 40 %: the larger share wins, not the smaller key.
    parks = polygons({"A": (60, -50, 300, 150), "Z": (-200, -50, 60, 150)})
    result = largest_share(plots, parks, "park_id")
    assert list(result.index) == [7]
    assert result.loc[7, "park_id"] == "Z"
    assert result.loc[7, "share"] == pytest.approx(0.6, rel=1e-6)
    assert assign_largest_share(plots, parks, "park_id").loc[7] == "Z"


def test_largest_share_is_measured_per_plot_and_aligned(make_plots):
    plots = make_plots(100, 100, 100, gap_m=100)  # x 0..100, 200..300, 400..500
    plots.index = ["p", "q", "r"]
    parks = polygons({
        "K1": (-10, -10, 240, 110),   # all of p, 40 % of q
        "K2": (240, -10, 330, 110),   # 60 % of q
    })
    result = assign_largest_share(plots, parks, "park_id")
    assert result.name == "park_id"
    assert list(result.index) == ["p", "q", "r"]
    assert result.loc["p"] == "K1"
    assert result.loc["q"] == "K2"
    assert pd.isna(result.loc["r"])  # outside every park


def test_outside_part_competes_unless_told_not_to(make_plots):
    plots = make_plots(100)
    parks = polygons({"K1": (-100, -10, 30, 110)})  # 30 % inside, 70 % outside
    assert pd.isna(assign_largest_share(plots, parks, "park_id").iloc[0])
    loose = assign_largest_share(plots, parks, "park_id", outside_competes=False)
    assert loose.iloc[0] == "K1"
    # exactly half inside: the tie goes to the polygon
    half = polygons({"K1": (-100, -10, 50, 110)})
    assert assign_largest_share(plots, half, "park_id").iloc[0] == "K1"


def test_equal_shares_go_to_the_smaller_key(make_plots):
    plots = make_plots(100)
    parks = polygons({"K9": (50, -10, 200, 110), "K2": (-100, -10, 50, 110)})
    assert assign_largest_share(plots, parks, "park_id").iloc[0] == "K2"


def test_touching_a_boundary_is_not_an_overlap(make_plots):
    plots = make_plots(100)
    parks = polygons({"K1": (100, 0, 200, 100)})  # shares an edge only
    result = assign_largest_share(plots, parks, "park_id", outside_competes=False)
    assert pd.isna(result.iloc[0])


def test_polygons_without_geometry_are_ignored(make_plots):
    plots = make_plots(100)
    towns = polygons({"310113101": (-10, -10, 110, 110)}, key="code")
    extra = gpd.GeoDataFrame({"code": ["310113102"]}, geometry=[None], crs=STORE_CRS)
    towns = pd.concat([extra, towns], ignore_index=True)
    assert assign_largest_share(plots, towns, "code").iloc[0] == "310113101"


def test_zone_type_keeps_its_text(make_plots):
    plots = make_plots(100, 100)
    zones = polygons({"198": (-10, -10, 110, 110)}, key="zone_type")
    result = assign_largest_share(plots, zones, "zone_type")
    assert result.iloc[0] == "198"
    assert pd.isna(result.iloc[1])


# --- enterprises → plots -----------------------------------------------------------------


def test_locate_points_inside_on_and_outside(make_plots, make_points):
    plots = make_plots(100, 100)  # P1 x 0..100, P2 x 150..250
    pts = make_points([(BASE_E + 50, BASE_N + 50), (BASE_E + 200, BASE_N + 10),
                       (BASE_E + 125, BASE_N + 50)])
    pts.index = [3, 1, 2]
    found = locate_points(pts.geometry, plots, "plot_id")
    assert list(found.index) == [3, 1, 2]
    assert found.loc[3] == "P1"
    assert found.loc[1] == "P2"
    assert pd.isna(found.loc[2])


def test_given_plot_id_wins_over_the_point(make_plots, make_points):
    plots = make_plots(100, 100)
    ents = make_points(
        [(BASE_E + 50, BASE_N + 50), (BASE_E + 200, BASE_N + 50), (BASE_E + 900, BASE_N)],
        ent_id=["e1", "e2", "e3"], plot_id=["P2", None, None],
    )
    ents.loc[ents.index[2], "geometry"] = None
    located = locate_enterprises(ents, plots)
    assert located.name == "plot_id"
    assert located.iloc[0] == "P2"  # given, although its point is in P1
    assert located.iloc[1] == "P2"  # by location
    assert pd.isna(located.iloc[2])  # neither


def test_locate_enterprises_without_geometry_keeps_given_ids(make_plots):
    plots = make_plots(100)
    ents = pd.DataFrame({"ent_id": ["e1", "e2"], "plot_id": ["P1", None]}, index=[5, 6])
    located = locate_enterprises(ents, plots)
    assert list(located.index) == [5, 6]
    assert located.loc[5] == "P1"
    assert pd.isna(located.loc[6])


# --- tenants -----------------------------------------------------------------------------


def test_tenants_share_land_by_floor_area():
    area = pd.Series({"P1": 15.0})
    ents = pd.DataFrame(
        {"plot_id": ["P1", "P1"], "year": [2023, 2023], "floor_area_m2": [1000.0, 2000.0]},
        index=["a", "b"],
    )
    land = apportion_land_mu(ents, area)
    assert land.name == "land_mu"
    assert list(land.index) == ["a", "b"]
    # 15 mu × 1000/3000 = 5; 15 × 2000/3000 = 10
    assert land.to_dict() == pytest.approx({"a": 5.0, "b": 10.0})


def test_tenants_without_floor_area_share_evenly():
    area = pd.Series({"P1": 15.0})
    ents = pd.DataFrame({"plot_id": ["P1"] * 3, "year": [2023] * 3})
    assert apportion_land_mu(ents, area).tolist() == pytest.approx([5.0, 5.0, 5.0])


def test_a_tenant_missing_floor_area_counts_as_the_mean_of_the_others():
    area = pd.Series({"P1": 15.0})
    ents = pd.DataFrame({
        "plot_id": ["P1"] * 3, "year": [2023] * 3, "floor_area_m2": [1000.0, np.nan, 2000.0],
    })
    # missing → mean 1500 m²; weights 1000 : 1500 : 2000 of 4500 → 3.333, 5, 6.667 mu
    land = apportion_land_mu(ents, area)
    assert land.tolist() == pytest.approx([15 * 1000 / 4500, 5.0, 15 * 2000 / 4500])
    assert land.sum() == pytest.approx(15.0)


def test_plot_years_are_apportioned_separately_and_unknown_plots_get_nan():
    area = pd.Series({"P1": 15.0, "P2": 60.0})
    ents = pd.DataFrame({
        "plot_id": ["P1", "P1", "P1", "P2", None, "P9"],
        "year": [2022, 2023, 2023, 2023, 2023, 2023],
        "floor_area_m2": [500.0, 1000.0, 500.0, 0.0, 100.0, 100.0],
    })
    land = apportion_land_mu(ents, area)
    # 2022: alone on P1 → 15; 2023: 1000/1500 and 500/1500 of 15; P2: alone (zero floor area
    # counts as missing) → 60; no plot and an unknown plot → NaN
    assert land.iloc[:4].tolist() == pytest.approx([15.0, 10.0, 5.0, 60.0])
    assert np.isnan(land.iloc[4])
    assert np.isnan(land.iloc[5])
