"""The clusters stage end to end on a small synthetic district (no real enterprise)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoapp.outputs import file_slug, output_files
from geoapp.rasters import read_geotiff
from geoapp.results import ClustersResult
from geoapp.settings import Settings
from geoapp.stages import evaluation
from geoapp.stages.clusters import plot_figures, run
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


SETTINGS = Settings.from_dict({
    "density": {"cell_m": 50, "bandwidth_m": 200},
    "hotspots": {"threshold_m": 150, "permutations": 99, "seed": 5},
    "grid": {"cell_m": 500, "shape": "square"},
})


def clusters(layers, year=2023):
    """The clusters stage on the real evaluation of ``layers``."""
    evaluated = evaluation.run(layers, year=year, settings=SETTINGS)
    return run(layers, year=year, evaluation=evaluated, settings=SETTINGS), evaluated


@pytest.fixture(scope="module")
def both():
    return clusters(layers_fixture())


@pytest.fixture(scope="module")
def result(both):
    return both[0]


def files(result):
    return output_files({"clusters": result})


def test_outputs_and_tables(result):
    assert isinstance(result, ClustersResult)
    assert set(files(result)) == {
        "density_all.tif", "density_auto.tif", "density_biomed.tif", "density_energy.tif",
        "hotspots.geojson", "grid.geojson", "concentration.csv",
        "lead_industry_outside_parks.csv",
    }
    assert isinstance(files(result)["density_all.tif"], bytes)
    assert set(result.density) == {"all", "auto", "biomed", "energy"}


def test_density_counts_the_years_enterprises(result):
    surface = read_geotiff(files(result)["density_all.tif"])
    assert surface.crs == "EPSG:32651"
    assert surface.transform.a == 50.0
    # 99 plot firms + 1 utility + 1 firm with its own point, 2023 only: mass conserved.
    assert surface.total == pytest.approx(101.0, rel=1e-4)
    assert read_geotiff(files(result)["density_biomed.tif"]).total == pytest.approx(10.0, rel=1e-4)
    assert result.summary["density"]["total_weight"] == pytest.approx(101.0)


def test_hotspots_find_the_planted_cluster(both):
    result, evaluated = both
    hot = files(result)["hotspots.geojson"]
    assert isinstance(hot, gpd.GeoDataFrame) and hot.crs == STORE_CRS
    assert {"plot_id", "gi_z", "gi_p", "gi_class", "lisa_class", "output_gi_class"} <= set(hot)
    centre = hot.set_index("plot_id").loc["P055"]
    assert centre["tax_per_mu"] == pytest.approx(30.0)
    assert centre["gi_class"] == "hot_99"
    assert centre["output_gi_class"] == "hot_99"
    last = hot.set_index("plot_id").loc["P099"]
    assert last["gi_class"] == "no_value"
    # Per-plot figures are the evaluation's, utility firms included (their tax is the
    # land's yield too): P000 holds 1000 万元 of utility tax on 80 m × 80 m = 9.6 mu.
    ev = evaluated.plots.set_index("plot_id")
    assert hot.set_index("plot_id").loc["P000", "tax_per_mu"] == ev.loc["P000", "tax_per_mu"]
    assert ev.loc["P000", "tax_per_mu"] > 1000.0 / PLOT_MU


def test_concentration_and_outside(result):
    table = files(result)["concentration.csv"]
    k1 = table[(table["park_id"] == "K1") & (table["industry"] == "biomed")].iloc[0]
    assert k1["share"] == pytest.approx(1.0) and k1["hhi"] == pytest.approx(1.0)
    # One district (the park's): LQ = 1.0 / (biomed share of all 2023 output).
    ents = layers_fixture()["enterprises"]
    ents = ents[ents["year"] == 2023]
    biomed = 9 * 10 * 30.0 * PLOT_MU + 50.0  # 9 cluster firms + X1
    assert ents.loc[ents["industry"] == "biomed", "output_wan"].sum() == pytest.approx(biomed)
    assert k1["lq_district"] == pytest.approx(ents["output_wan"].sum() / biomed)
    outside = files(result)["lead_industry_outside_parks.csv"]
    assert outside["ent_id"].tolist() == ["X1"]
    assert outside["distance_m"].iloc[0] == pytest.approx(3000 - 690, abs=0.01)


def test_grid_reconciles_with_plots(result):
    grid = files(result)["grid.geojson"]
    hot = files(result)["hotspots.geojson"]
    assert grid["n_plots"].sum() == SIDE * SIDE
    tax = (hot["tax_per_mu"] * PLOT_MU).sum()
    assert grid["tax_wan"].sum() == pytest.approx(tax, rel=1e-6)


def test_plot_figures_are_the_evaluations():
    layers = layers_fixture()
    evaluated = evaluation.run(layers, year=2023).plots.copy()
    evaluated.loc[evaluated["plot_id"] == "P001", ["tax_per_mu", "area_mu"]] = [123.0, 20.0]
    figures = plot_figures(evaluated).set_index("plot_id")
    assert figures.loc["P001", "tax_per_mu"] == 123.0
    assert figures.loc["P001", "area_mu"] == 20.0  # the evaluation's (register) area
    assert figures.loc["P001", "tax_wan"] == pytest.approx(123.0 * 20.0)
    assert np.isnan(figures.loc["P099", "tax_per_mu"])  # no firm at all: no value, never 0
    assert np.isnan(figures.loc["P099", "tax_wan"])


def test_plots_whose_firms_report_no_figure_have_no_value():
    layers = layers_fixture()
    ents = layers["enterprises"].copy()
    # P010's only firm is 规下 and reports no output: NaN (no value), never 0 万元/亩.
    ents.loc[(ents["plot_id"] == "P010") & (ents["year"] == 2023), "output_wan"] = np.nan
    layers["enterprises"] = ents
    res, evaluated = clusters(layers)
    figures = plot_figures(evaluated.plots).set_index("plot_id")
    assert np.isnan(figures.loc["P010", "output_per_mu"])
    assert np.isnan(figures.loc["P010", "output_wan"])
    tax = ents.loc[(ents["plot_id"] == "P010") & (ents["year"] == 2023), "tax_wan"].sum()
    assert figures.loc["P010", "tax_per_mu"] == pytest.approx(tax / PLOT_MU)
    assert np.isnan(res.hotspots.set_index("plot_id").loc["P010", "output_per_mu"])


def test_unknown_settings_key_is_an_error():
    with pytest.raises(ValueError, match=r"unknown key density.cell; did you mean density.cell_m"):
        Settings.from_dict({"density": {"cell": 100}})


def test_stage_runs_without_parks_or_enterprises():
    layers = layers_fixture()
    layers["parks"] = layers["parks"].iloc[0:0]
    res, _ = clusters(layers)
    assert "concentration.csv" not in files(res) and "hotspots.geojson" in files(res)
    res, _ = clusters(layers, year=1999)
    assert not any(name.endswith(".tif") for name in files(res))
    assert (res.hotspots["gi_class"] == "no_value").all()


def test_file_slug():
    assert file_slug("new_materials") == "new_materials"
    assert file_slug("新材料 x/y") == "x_y"
    assert file_slug("新材料") == "unknown"


def test_prepared_in_a_child_and_handed_the_plots_gives_the_same_result(both):
    """The forked route (prepare, then the five handed-over columns, geometry detached for the
    trip back and attached by plot_id) gives the stage's result value for value."""
    import pickle

    from geoapp.results import attach_plot_geometry, detach_plot_geometry
    from geoapp.stages.clusters import handover, prepare

    result, evaluated = both
    layers = layers_fixture()
    prepared = prepare(layers, year=2023, settings=SETTINGS)
    handed = pickle.loads(pickle.dumps(handover(evaluated.plots)))
    assert list(handed["figures"].columns) == ["plot_id", "area_mu", "tax_per_mu",
                                               "output_per_mu", "park_id"]
    forked = run(layers, year=2023, settings=SETTINGS, prepared=prepared, **handed)
    sent, columns = detach_plot_geometry(forked)
    assert columns == {"hotspots": "geometry"} and sent.hotspots["geometry"].isna().all()
    back = pickle.loads(pickle.dumps(sent))
    plots = layers["plots"]
    geometry = plots.geometry.set_axis(pd.Index(plots["plot_id"].astype("string")))
    back = attach_plot_geometry(back, columns, lambda: geometry)
    pd.testing.assert_frame_equal(pd.DataFrame(back.hotspots).drop(columns="geometry"),
                                  pd.DataFrame(result.hotspots).drop(columns="geometry"))
    assert back.hotspots.geometry.geom_equals_exact(result.hotspots.geometry, 0).all()
    pd.testing.assert_frame_equal(back.concentration, result.concentration)
    assert back.summary == result.summary
    assert set(back.density) == set(result.density)
