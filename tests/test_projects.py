"""Project sites: stages per park, investment intensity, projects on reclaimed land."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from analysis.projects import (
    NONE_GROUP,
    aggregate_intensity,
    investment_intensity,
    on_reclaimed_land,
    project_land_mu,
    projects_by_stage,
)
from layers.crs import STORE_CRS, WORK_CRS
from layers.schema import PROJECT_STAGES


def projects_frame(geoms, **columns):
    return gpd.GeoDataFrame(columns, geometry=geoms, crs=WORK_CRS).to_crs(STORE_CRS)


def test_projects_by_stage_per_park():
    p = pd.DataFrame({
        "stage": ["signed", "started", "started", "in_production", "completed"],
        "investment_wan": [100.0, 200.0, 300.0, 400.0, 500.0],
        "park_id": ["A", "A", "B", None, "A"],
    })
    out = projects_by_stage(p)
    assert list(out.columns[: len(PROJECT_STAGES)]) == list(PROJECT_STAGES)
    assert out.index.tolist() == [NONE_GROUP, "A", "B"]
    assert out.loc["A", ["signed", "started", "under_construction", "completed",
                         "in_production"]].tolist() == [1, 1, 0, 1, 0]
    assert out["total"].to_dict() == {NONE_GROUP: 1, "A": 3, "B": 1}
    assert out.loc["A", "investment_wan"] == 800.0


def test_project_land_mu_fallbacks():
    area = pd.Series([15.0, 60.0], index=["P1", "P2"])
    geoms = [
        Point(350_050, 3_470_050),
        Point(350_200, 3_470_050),
        box(351_000, 3_470_000, 351_100, 3_470_100),  # a 100 m square polygon: 15 mu
        Point(352_000, 3_470_000),
        Point(352_100, 3_470_000),
    ]
    p = projects_frame(geoms, land_mu=[20.0, None, None, None, 0.0],
                       plot_id=["P1", "P2", None, None, "P9"])
    land = project_land_mu(p, plot_area_mu=area)
    assert land.name == "land_mu"
    assert land.index.equals(p.index)
    assert land.iloc[0] == 20.0            # its own land
    assert land.iloc[1] == 60.0            # its plot's area
    assert land.iloc[2] == pytest.approx(15.0, rel=1e-6)  # its polygon, measured in UTM
    assert pd.isna(land.iloc[3])           # a point with nothing else
    assert pd.isna(land.iloc[4])           # zero land, unknown plot


def test_investment_intensity_metric():
    inv = pd.Series([300.0, 100.0, 50.0], index=[10, 20, 30], name="investment_wan")
    land = pd.Series([15.0, 0.0, None], index=[10, 20, 30])
    out = investment_intensity(inv, land)
    assert out.name == "investment_intensity"
    assert out.index.tolist() == [10, 20, 30]
    assert out.iloc[0] == 20.0  # 300 万元 / 15 亩
    assert pd.isna(out.iloc[1]) and pd.isna(out.iloc[2])  # zero or missing land: NaN, not inf


def test_aggregate_intensity_is_sum_over_sum():
    inv = pd.Series([100.0, 500.0, 90.0, 70.0])
    land = pd.Series([10.0, 40.0, None, 7.0])
    groups = pd.Series(["A", "A", "A", None], name="park_id")
    out = aggregate_intensity(inv, land, groups)
    # A: (100 + 500) / (10 + 40) = 12, not the mean of 10 and 12.5; the landless one is left out
    assert out["A"] == pytest.approx(12.0)
    assert out[NONE_GROUP] == pytest.approx(10.0)
    assert out.name == "investment_intensity" and out.index.name == "park_id"


def test_on_reclaimed_land_by_plot_id_and_by_geometry(make_plots):
    plots = make_plots(100, 100, 100)  # P1 x 350000-350100, P2 350150-350250, P3 350300-350400
    reclaimed = plots[plots["plot_id"].isin(["P1", "P3"])]
    geoms = [
        Point(352_000, 3_470_000),                       # far away, but its plot_id is P1
        Point(350_350, 3_470_050),                       # inside P3
        box(350_160, 3_470_010, 350_240, 3_470_090),     # a polygon inside P2 (not reclaimed)
        None,                                            # no geometry, no plot
    ]
    p = projects_frame(geoms, plot_id=["P1", None, None, None])
    out = on_reclaimed_land(p, reclaimed)
    assert out.index.equals(p.index)
    assert out["on_reclaimed_land"].tolist() == [True, True, False, False]
    assert out["reclaimed_plot_id"].iloc[0] == "P1"
    assert out["reclaimed_plot_id"].iloc[1] == "P3"
    assert pd.isna(out["reclaimed_plot_id"].iloc[2])
