import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geoapp.outputs import output_files
from geoapp.results import EvaluationResult
from geoapp.settings import Settings
from geoapp.stages import evaluation, jsonable
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N, squares

# Five 100 m plots (15 mu each) in a row, 50 m apart: P1 x 0..100, P2 150..250, P3 300..400,
# P4 450..550, P5 600..700 (metres east of the base point).


def _boxes(rows: list[dict], coords: list[tuple]) -> gpd.GeoDataFrame:
    geoms = [box(BASE_E + a, BASE_N + b, BASE_E + c, BASE_N + d) for a, b, c, d in coords]
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=WORK_CRS).to_crs(STORE_CRS)


def _firm(ent_id, plot_id, year, scale, tax, output, **kw):
    row = {"ent_id": ent_id, "name": f"合成企业{ent_id}", "plot_id": plot_id,
           "industry": "biomed", "year": year, "scale": scale, "start_year": 2010,
           "output_wan": output, "tax_wan": tax, "synthetic": 1}
    if scale == "above":
        row.update(value_added_wan=output / 4, revenue_wan=output, energy_tce=output / 20,
                   emissions_t=output / 1000, employees=100, rd_wan=output / 50)
    row.update(kw)
    return row


@pytest.fixture(scope="module")
def layers():
    plots = squares(
        [100] * 5, land_use=["M1"] * 5,
        status=["in_use", "in_use", "in_use", "in_use", "in_use"],
        floor_area_m2=[15_000.0, 12_000.0, np.nan, 5_000.0, np.nan],
    )
    districts = _boxes([{"code": "310113", "name": "宝山区"}], [(-100, -100, 800, 200)])
    towns = _boxes(
        [{"code": "310113101", "name": "合成镇甲", "district_code": "310113"},
         {"code": "310113102", "name": "合成镇乙", "district_code": "310113"}],
        [(-100, -100, 275, 200), (275, -100, 800, 200)],
    )
    parks = _boxes(
        [{"park_id": "K1", "name": "合成园区一", "district_code": "310113", "level": "district",
          "lead_industries": "biomed"},
         {"park_id": "K2", "name": "合成园区二", "district_code": "310113", "level": "district",
          "lead_industries": "ic"}],
        [(-10, -10, 260, 110), (290, -10, 410, 110)],
    )
    zones = _boxes([{"zone_id": "Z1", "zone_type": "198"}], [(440, -10, 560, 110)])
    rows = []
    for year, k in ((2022, 1.0), (2023, 1.1)):
        rows += [
            _firm("f1", "P1", year, "above", 30 * k, 300 * k, floor_area_m2=1000.0),
            _firm("f2", "P1", year, "above", 60 * k, 900 * k, floor_area_m2=2000.0),
            _firm("f3", "P2", year, "below", 15 * k, 200 * k),
            _firm("f4", "P3", year, "above", 45 * k, 450 * k, start_year=2022),
            _firm("f5", "P4", year, "below", 6 * k, 50 * k),
        ]
    ents = pd.DataFrame(rows)
    # f6 has no plot id, only a point inside P2
    f6 = _firm("f6", None, 2023, "below", 45.0, 300.0)
    p = gpd.GeoSeries([Point(BASE_E + 200, BASE_N + 50)], crs=WORK_CRS).to_crs(STORE_CRS)
    ents = gpd.GeoDataFrame(
        pd.concat([ents, pd.DataFrame([f6])], ignore_index=True),
        geometry=[None] * len(ents) + [p.iloc[0]], crs=STORE_CRS,
    )
    projects = gpd.GeoDataFrame(
        [{"project_id": "J1", "name": "合成项目", "stage": "under_construction",
          "investment_wan": 3000.0, "plot_id": "P3", "land_mu": 15.0}],
        geometry=[Point(BASE_E + 350, BASE_N + 50)], crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    targets = pd.DataFrame([
        {"scope_type": "district", "scope_id": "310113", "year": 2023,
         "metric": "tax_per_mu_growth", "value": 0.10},
        {"scope_type": "park", "scope_id": "K1", "year": 2023,
         "metric": "tax_per_mu_growth", "value": 0.12},
    ])
    return {"districts": districts, "towns": towns, "parks": parks, "zones": zones,
            "plots": plots, "enterprises": ents, "projects": projects, "targets": targets}


def run(layers, year=2023, **sections):
    return evaluation.run(layers, year=year, settings=Settings.from_dict(sections))


def files(result):
    return output_files({"evaluation": result})


@pytest.fixture(scope="module")
def result(layers):
    before = {k: v.copy() for k, v in layers.items()}
    res = run(layers)
    for name, frame in before.items():  # the stage does not mutate its inputs
        pd.testing.assert_frame_equal(pd.DataFrame(layers[name]), pd.DataFrame(frame))
    return res


def test_outputs_tables_and_summary(result):
    res = result
    assert isinstance(res, EvaluationResult)
    assert set(files(res)) == {
        "plots.geojson", "enterprises.csv", "parks.geojson", "park_ranking.csv",
        "town_ranking.csv", "district_ranking.csv", "low_efficiency.csv",
    }
    plots = files(res)["plots.geojson"]
    assert isinstance(plots, gpd.GeoDataFrame)
    assert plots.crs.to_string() == STORE_CRS
    for col in ("plot_id", "park_id", "zone_type", "town_code", "district_code", "area_mu",
                "tax_per_mu", "output_per_mu", "grade", "score", "low_efficiency", "reasons"):
        assert col in plots, col
    json.dumps(res.summary, allow_nan=False)  # plain JSON, no NaN


def test_plot_overlays_and_per_mu_values(result):
    plots = result.plots.set_index("plot_id")
    assert plots["area_mu"].tolist() == pytest.approx([15.0] * 5, rel=1e-9)
    assert plots["area_diff_share"].isna().all()  # no register areas to compare with
    assert plots["park_id"].tolist()[:3] == ["K1", "K1", "K2"]
    assert pd.isna(plots.loc["P4", "park_id"])
    assert plots.loc["P4", "zone_type"] == "198"
    assert plots.loc["P1", "town_code"] == "310113101"
    assert plots.loc["P3", "town_code"] == "310113102"
    assert (plots["district_code"] == "310113").all()
    # P1: (33 + 66) / 15 = 6.6 万元/亩; P2: f3 15 × 1.1 plus f6 (located by its point) 45
    assert plots.loc["P1", "tax_per_mu"] == pytest.approx(99 / 15, rel=1e-6)
    assert plots.loc["P2", "tax_per_mu"] == pytest.approx((16.5 + 45) / 15, rel=1e-6)
    assert plots.loc["P2", "n_enterprises"] == 2
    assert plots.loc["P1", "plot_ratio"] == pytest.approx(1.5, rel=1e-6)


def test_the_figures_handed_out_early_are_the_final_plots(layers):
    seen = []
    out = evaluation.run(layers, year=2023, settings=Settings(),
                         plots_ready=lambda plots: seen.append(plots.copy()))
    assert len(seen) == 1
    handed = seen[0]
    assert list(handed.columns) == list(evaluation.FIGURES)
    pd.testing.assert_frame_equal(pd.DataFrame(handed),
                                  pd.DataFrame(out.plots)[list(evaluation.FIGURES)])
    assert handed.set_index("plot_id").loc["P1", "tax_per_mu"] == pytest.approx(99 / 15,
                                                                                rel=1e-6)


def test_enterprises_are_apportioned_graded_and_explained(result):
    ents = files(result)["enterprises.csv"].set_index("ent_id")
    # tenants of P1 by floor area 1000 : 2000 of 15 mu
    assert ents.loc["f1", "land_mu"] == pytest.approx(5.0, rel=1e-6)
    assert ents.loc["f2", "land_mu"] == pytest.approx(10.0, rel=1e-6)
    assert ents.loc["f6", "plot_id"] == "P2"
    assert ents.loc["f4", "grade"] == "T"  # in production since 2022
    assert ents.loc["f4", "unrated_reason"] == "new"
    assert {"contrib_tax_per_mu", "contrib_rd_intensity", "score", "grade",
            "imputed_items", "weakest_item"} <= set(ents.columns)
    # 规上 f1 and f2 are rated alone: f1's tax/mu 6.6 vs f2's 6.6 → equal tax contribution
    assert ents.loc["f1", "contrib_tax_per_mu"] == pytest.approx(30.0)
    # 规下 f3, f5, f6: tax/mu on their own land (P2 split evenly between f3 and f6)
    below = ents[ents["scale"] == "below"]
    assert below["n_rated"].tolist() == [3, 3, 3]
    assert (ents["year"] == 2023).all()


def test_low_efficiency_reasons(result):
    res = result
    plots = res.plots.set_index("plot_id")
    assert "zone_198" in plots.loc["P4", "reasons"]
    assert plots.loc["P4", "low_efficiency"]
    assert plots.loc["P5", "reasons"] == "idle"  # no firm, no project
    assert "idle" not in plots.loc["P3", "reasons"]  # has a project and a firm
    low = res.low_efficiency
    assert set(low["plot_id"]) == set(plots.index[plots["low_efficiency"]])
    assert res.summary["low_efficiency_plots"] == len(low)
    assert res.summary["low_efficiency_mu"] == pytest.approx(15.0 * len(low), rel=1e-6)


def test_district_growth_against_target(result):
    res = result
    d = res.district_ranking.set_index("district_code").loc["310113"]
    tax_2023 = (30 + 60 + 15 + 45 + 6) * 1.1 + 45
    assert d["tax_per_mu"] == pytest.approx(tax_2023 / 75, rel=1e-6)
    growth = tax_2023 / (30 + 60 + 15 + 45 + 6) - 1
    assert d["tax_per_mu_growth"] == pytest.approx(growth, rel=1e-6)
    assert bool(d["tax_per_mu_target_met"]) is (growth >= 0.10)
    s = res.summary["districts"]["310113"]
    assert s["tax_per_mu"] == pytest.approx(tax_2023 / 75, rel=1e-6)
    parks = res.park_ranking
    assert parks["rank"].tolist() == [1, 2]
    assert "target_met" in parks
    assert files(res)["parks.geojson"].crs.to_string() == STORE_CRS


def test_missing_previous_year_gives_nan_growth(layers):
    res = run(layers, year=2022)
    d = res.district_ranking.iloc[0]
    assert np.isnan(d["tax_per_mu_growth"])
    assert res.summary["districts"]["310113"]["tax_per_mu_growth"] is None


def test_plot_growth_year_on_year(result, layers):
    plots = result.plots.set_index("plot_id")
    # P1: Σ tax 99 in 2023 against 90 in 2022 on the same 15 mu → +10 %; output alike.
    assert plots.loc["P1", "tax_per_mu_growth"] == pytest.approx(0.10, rel=1e-9)
    assert plots.loc["P1", "output_per_mu_growth"] == pytest.approx(0.10, rel=1e-9)
    # P2: f3 16.5 + f6 45 (new in 2023, located by its point) against f3's 15 alone.
    assert plots.loc["P2", "tax_per_mu_growth"] == pytest.approx(61.5 / 15 - 1, rel=1e-9)
    assert np.isnan(plots.loc["P5", "tax_per_mu_growth"])  # no firm in either year
    geo = files(result)["plots.geojson"].set_index("plot_id")
    assert geo.loc["P1", "tax_per_mu_growth"] == pytest.approx(0.10, rel=1e-9)
    assert "output_per_mu_growth" in geo
    first = run(layers, year=2022).plots  # no 2021 figures: growth unknown
    assert first["tax_per_mu_growth"].isna().all()


def test_config_sections(layers):
    res = run(layers, evaluation={"preset": "huaian"}, low_efficiency={"rules": ["idle"]})
    assert res.summary["preset"] == "huaian"
    assert "contrib_revenue_per_mu" in files(res)["enterprises.csv"]
    assert set(res.low_efficiency["reasons"]) == {"idle"}
    with pytest.raises(ValueError, match=r"unknown key evaluation.presett; did you mean "
                                         r"evaluation.preset"):
        run(layers, evaluation={"presett": "huaian"})
    with pytest.raises(ValueError, match=r"evaluation.preset: unknown value 'hangzhou'"):
        run(layers, evaluation={"preset": "hangzhou"})
    with pytest.raises(ValueError, match=r"evaluation.weights.above: unknown value "
                                         r"'tax_per_acre'; did you mean tax_per_tce"):
        run(layers, evaluation={"weights": {"above": {"tax_per_acre": 5}}})


def test_runs_with_only_plots_and_enterprises(layers):
    few = {"plots": layers["plots"], "enterprises": pd.DataFrame(layers["enterprises"])}
    few["enterprises"] = few["enterprises"].drop(columns="geometry")
    res = run(few)
    assert "parks.geojson" not in files(res)
    assert res.parks is None
    assert res.plots["park_id"].isna().all()
    assert len(files(res)["enterprises.csv"]) == 6


def test_jsonable_gives_plain_json():
    value = {1: np.int64(3), "f": np.float32(0.5), "nan": float("nan"), "inf": np.inf,
             "na": pd.NA, "b": np.bool_(True), "l": [np.float64(1.25), None, (2, "x")]}
    out = jsonable(value)
    assert out == {"1": 3, "f": 0.5, "nan": None, "inf": None, "na": None, "b": True,
                   "l": [1.25, None, [2, "x"]]}
    assert type(out["1"]) is int and type(out["b"]) is bool and type(out["f"]) is float
    json.dumps(out, allow_nan=False)
