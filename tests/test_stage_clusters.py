"""The clusters stage end to end on a small synthetic district (no real enterprise)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoapp.config import AnalysisConfig
from geoapp.rasters import read_geotiff
from geoapp.stages import StageResult
from geoapp.stages.clusters import file_slug, plot_figures, run
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N

SIDE = 10
PLOT_MU = 80 * 80 / (10_000 / 15)  # an 80 m square = 9.6 mu
BLOCK = {(j, i) for j in range(4, 7) for i in range(4, 7)}  # 3 × 3 planted cluster


def layers_fixture():
    origins = [(BASE_E + 100 * i, BASE_N + 100 * j) for j in range(SIDE) for i in range(SIDE)]
    ids = [f"P{k:03d}" for k in range(SIDE * SIDE)]
    plots = gpd.GeoDataFrame(
        {"plot_id": ids, "land_use": "M1", "status": "in_use"},
        geometry=[box(x, y, x + 80, y + 80) for x, y in origins],
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    rng = np.random.default_rng(0)
    rows = []
    for k, pid in enumerate(ids[:-1]):  # the last plot has no enterprise
        j, i = divmod(k, SIDE)
        hot = (j, i) in BLOCK
        per_mu = 30.0 if hot else rng.uniform(1.0, 3.0)
        rows.append({"ent_id": f"E{k:03d}", "plot_id": pid, "year": 2023,
                     "industry": "biomed" if hot else "auto",
                     "tax_wan": per_mu * PLOT_MU, "output_wan": 10 * per_mu * PLOT_MU})
    rows.append({"ent_id": "U1", "plot_id": "P000", "year": 2023, "industry": "energy",
                 "tax_wan": 1000.0, "output_wan": 1000.0, "utility": 1})
    rows += [{**r, "year": 2022, "tax_wan": 0.0} for r in rows[:5]]
    ents = pd.DataFrame(rows)
    ents["name"] = "合成企业"
    ents["scale"] = "above"
    ents["utility"] = ents["utility"].fillna(0).astype(int)
    # One firm with its own point (outside every plot), 2023.
    geoms = [None] * len(ents)
    ents = gpd.GeoDataFrame(ents, geometry=gpd.GeoSeries(geoms, crs=STORE_CRS))
    extra = gpd.GeoDataFrame(
        [{"ent_id": "X1", "name": "合成企业", "plot_id": None, "year": 2023, "industry": "biomed",
          "scale": "below", "tax_wan": 5.0, "output_wan": 50.0, "utility": 0}],
        geometry=[Point(BASE_E + 3000, BASE_N + 500)], crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    ents = pd.concat([ents, extra], ignore_index=True)
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["合成生物医药园"], "district_code": ["310113"],
         "level": ["district"], "lead_industries": ["biomed"]},
        geometry=[box(BASE_E + 390, BASE_N + 390, BASE_E + 690, BASE_N + 690)],
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    empty_districts = gpd.GeoDataFrame({"code": [], "name": []}, geometry=[], crs=STORE_CRS)
    return {"plots": plots, "enterprises": ents, "parks": parks, "districts": empty_districts}


CONFIG = AnalysisConfig(sections={
    "density": {"cell_m": 50, "bandwidth_m": 200},
    "hotspots": {"threshold_m": 150, "permutations": 99, "seed": 5},
    "grid": {"cell_m": 500, "shape": "square"},
})


@pytest.fixture(scope="module")
def result():
    return run(layers_fixture(), year=2023, config=CONFIG, results={})


def test_outputs_and_tables(result):
    assert set(result.outputs) == {
        "density_all.tif", "density_auto.tif", "density_biomed.tif", "density_energy.tif",
        "hotspots.geojson", "grid.geojson", "concentration.csv",
        "lead_industry_outside_parks.csv",
    }
    assert {"hotspots", "concentration", "grid", "density"} <= set(result.tables)
    assert isinstance(result.outputs["density_all.tif"], bytes)
    assert set(result.tables["density"]) == {"all", "auto", "biomed", "energy"}


def test_density_counts_the_years_enterprises(result):
    surface = read_geotiff(result.outputs["density_all.tif"])
    assert surface.crs == "EPSG:32651"
    assert surface.transform.a == 50.0
    # 99 plot firms + 1 utility + 1 firm with its own point, 2023 only: mass conserved.
    assert surface.total == pytest.approx(101.0, rel=1e-4)
    assert read_geotiff(result.outputs["density_biomed.tif"]).total == pytest.approx(10.0, rel=1e-4)
    assert result.summary["density"]["total_weight"] == pytest.approx(101.0)


def test_hotspots_find_the_planted_cluster(result):
    hot = result.outputs["hotspots.geojson"]
    assert isinstance(hot, gpd.GeoDataFrame) and hot.crs == STORE_CRS
    assert {"plot_id", "gi_z", "gi_p", "gi_class", "lisa_class", "output_gi_class"} <= set(hot)
    centre = hot.set_index("plot_id").loc["P055"]
    assert centre["tax_per_mu"] == pytest.approx(30.0)
    assert centre["gi_class"] == "hot_99"
    assert centre["output_gi_class"] == "hot_99"
    last = hot.set_index("plot_id").loc["P099"]
    assert last["gi_class"] == "no_value"
    # The utility firm on P000 is left out of its plot's per-mu tax.
    assert hot.set_index("plot_id").loc["P000", "tax_per_mu"] < 3.0


def test_concentration_and_outside(result):
    table = result.outputs["concentration.csv"]
    k1 = table[(table["park_id"] == "K1") & (table["industry"] == "biomed")].iloc[0]
    assert k1["share"] == pytest.approx(1.0) and k1["hhi"] == pytest.approx(1.0)
    # One district (the park's): LQ = 1.0 / (biomed share of all 2023 output).
    ents = layers_fixture()["enterprises"]
    ents = ents[ents["year"] == 2023]
    biomed = 9 * 10 * 30.0 * PLOT_MU + 50.0  # 9 cluster firms + X1
    assert ents.loc[ents["industry"] == "biomed", "output_wan"].sum() == pytest.approx(biomed)
    assert k1["lq_district"] == pytest.approx(ents["output_wan"].sum() / biomed)
    outside = result.outputs["lead_industry_outside_parks.csv"]
    assert outside["ent_id"].tolist() == ["X1"]
    assert outside["distance_m"].iloc[0] == pytest.approx(3000 - 690, abs=0.01)


def test_grid_reconciles_with_plots(result):
    grid = result.outputs["grid.geojson"]
    hot = result.outputs["hotspots.geojson"]
    assert grid["n_plots"].sum() == SIDE * SIDE
    tax = (hot["tax_per_mu"] * PLOT_MU).sum()
    assert grid["tax_wan"].sum() == pytest.approx(tax, rel=1e-6)


def test_evaluation_figures_win_when_present():
    layers = layers_fixture()
    evaluated = pd.DataFrame({"plot_id": ["P001"], "tax_per_mu": [123.0],
                              "output_per_mu": [7.0], "park_id": ["K1"]})
    figures = plot_figures(layers["plots"], layers["enterprises"], evaluated)
    p1 = figures.set_index("plot_id").loc["P001"]
    assert p1["tax_per_mu"] == 123.0
    assert p1["tax_wan"] == pytest.approx(123.0 * PLOT_MU)
    assert p1["park_id"] == "K1"
    assert np.isnan(figures.set_index("plot_id").loc["P002", "tax_per_mu"])
    res = run(layers, year=2023, config=CONFIG,
              results={"evaluation": StageResult(tables={"plots": evaluated})})
    assert res.summary["per_mu_source"] == "evaluation"
    # P001 now sits in K1 via its plot's park_id, so K1 also holds an auto firm.
    table = res.tables["concentration"]
    assert set(table.loc[table["park_id"] == "K1", "industry"]) == {"auto", "biomed"}


def test_plots_whose_firms_report_no_figure_have_no_value():
    layers = layers_fixture()
    ents = layers["enterprises"]
    ents = ents[ents["year"] == 2023].copy()
    # P010's only firm is 规下 and reports no output: NaN (no value), never 0 万元/亩.
    ents.loc[ents["plot_id"] == "P010", "output_wan"] = np.nan
    figures = plot_figures(layers["plots"], ents).set_index("plot_id")
    assert np.isnan(figures.loc["P010", "output_per_mu"])
    assert np.isnan(figures.loc["P010", "output_wan"])
    assert figures.loc["P010", "tax_per_mu"] == pytest.approx(
        ents.loc[ents["plot_id"] == "P010", "tax_wan"].sum() / PLOT_MU
    )
    assert np.isnan(figures.loc["P099", "tax_per_mu"])  # no firm at all
    assert figures.loc["P000", "tax_per_mu"] < 3.0  # the utility is left out


def test_evaluation_areas_are_reused_not_measured_again():
    layers = layers_fixture()
    ids = layers["plots"]["plot_id"]
    evaluated = pd.DataFrame({"plot_id": ids, "tax_per_mu": 1.0, "output_per_mu": 2.0,
                              "area_mu": 20.0})
    evaluated.loc[evaluated["plot_id"] == "P005", "area_mu"] = np.nan
    figures = plot_figures(layers["plots"], None, evaluated).set_index("plot_id")
    assert figures.loc["P001", "area_mu"] == 20.0  # the evaluation's (register) area
    assert figures.loc["P001", "tax_wan"] == pytest.approx(20.0)
    assert figures.loc["P005", "area_mu"] == pytest.approx(PLOT_MU)  # measured: none given


def test_unknown_config_key_is_an_error():
    bad = AnalysisConfig(sections={"density": {"cell": 100}})
    with pytest.raises(ValueError, match=r"config \[density\]: unknown key\(s\) \['cell'\]"):
        run(layers_fixture(), year=2023, config=bad, results={})


def test_stage_runs_without_parks_or_enterprises():
    layers = layers_fixture()
    layers["parks"] = layers["parks"].iloc[0:0]
    res = run(layers, year=2023, config=CONFIG, results={})
    assert "concentration.csv" not in res.outputs and "hotspots.geojson" in res.outputs
    res = run(layers, year=1999, config=CONFIG, results={})
    assert not any(name.endswith(".tif") for name in res.outputs)
    assert (res.outputs["hotspots.geojson"]["gi_class"] == "no_value").all()


def test_file_slug():
    assert file_slug("new_materials") == "new_materials"
    assert file_slug("新材料 x/y") == "x_y"
    assert file_slug("新材料") == "unknown"
