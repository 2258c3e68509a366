"""The pure functions behind the map app: legends, filters, level of detail, cards, search."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoapp.app import cards, downloads, filtering, loading, symbology, viewing
from geoapp.pipeline import run_analysis
from layers.crs import STORE_CRS
from tests.conftest import BASE_E, BASE_N, squares


def _data(plots: gpd.GeoDataFrame, **layers) -> loading.AppData:
    """AppData around hand-made layers, evaluated in memory (no workspace)."""
    full = {"plots": plots, **layers}
    results = run_analysis(full, year=2023, stages=("evaluation", "reclamation"))
    return loading.AppData(path="mem", year=2023, years=[2022, 2023], layers=full,
                           results=results, errors={}, plots=loading.plot_table(full, results))


@pytest.fixture
def three_plots():
    # 100 m (15 mu), 200 m (60 mu) and 100 m squares
    return squares([100, 200, 100], land_use=["M1"] * 3, status=["in_use", "in_use", "idle"])


@pytest.fixture
def firms():
    return pd.DataFrame({
        "ent_id": ["E1", "E2", "E3", "E4"],
        "name": ["甲公司(合成)", "乙公司(合成)", "丙公司(合成)", "甲公司(合成)"],
        "credit_code": ["91310113SYNTH0001A", "91310113SYNTH0002B", "91310113SYNTH0003C",
                        "91310113SYNTH0001A"],
        "plot_id": ["P1", "P2", "P2", "P1"],
        "industry": ["biomed", "ic", "auto", "biomed"],
        "year": [2023, 2023, 2023, 2022],
        "scale": ["above"] * 4,
        "output_wan": [300.0, 1200.0, 600.0, 150.0],
        "tax_wan": [30.0, 90.0, 30.0, 15.0],
    })


def test_plot_table_derives_mu_per_mu_growth_and_industry(three_plots, firms):
    data = _data(three_plots, enterprises=firms)
    p = data.plots.set_index("plot_id")
    assert p.loc["P1", "area_mu"] == pytest.approx(15.0, rel=1e-6)
    assert p.loc["P2", "area_mu"] == pytest.approx(60.0, rel=1e-6)
    assert p.loc["P1", "tax_per_mu"] == pytest.approx(2.0, rel=1e-6)  # 30 / 15
    assert p.loc["P2", "tax_per_mu"] == pytest.approx(2.0, rel=1e-6)  # (90 + 30) / 60
    assert p.loc["P2", "output_per_mu"] == pytest.approx(30.0, rel=1e-6)  # 1800 / 60
    assert np.isnan(p.loc["P3", "tax_per_mu"])  # idle plot, no firm
    assert p.loc["P1", "tax_per_mu_growth"] == pytest.approx(1.0)  # 2.0 vs 1.0 per mu
    assert p.loc["P1", "output_per_mu_growth"] == pytest.approx(1.0)  # 20 vs 10 per mu
    assert np.isnan(p.loc["P2", "tax_per_mu_growth"])  # no figures in 2022
    assert p.loc["P2", "industry"] == "ic"  # largest output on the plot
    assert int(p.loc["P2", "n_enterprises"]) == 2
    assert list(data.plots["plot_id"]) == ["P1", "P2", "P3"]


def test_plot_table_locates_firms_without_plot_id_by_their_point(three_plots, firms):
    # the evaluation's rule: a given plot_id wins, else the firm's point locates it; both
    # years, so growth uses the same firms as the per-mu figures
    p3 = three_plots.to_crs(STORE_CRS).geometry.iloc[2].centroid
    located = gpd.GeoDataFrame(
        pd.concat([firms, pd.DataFrame({
            "ent_id": ["E5", "E5"], "name": ["丁公司(合成)"] * 2, "credit_code": [None] * 2,
            "plot_id": [None, None], "industry": ["food"] * 2, "year": [2023, 2022],
            "scale": ["below"] * 2, "output_wan": [90.0, 60.0], "tax_wan": [15.0, 7.5]})],
            ignore_index=True),
        geometry=[None] * 4 + [p3, p3], crs=STORE_CRS)
    data = _data(three_plots, enterprises=located)
    p = data.plots.set_index("plot_id")
    assert int(p.loc["P3", "n_enterprises"]) == 1
    assert p.loc["P3", "tax_per_mu"] == pytest.approx(1.0, rel=1e-6)  # 15 / 15 mu
    assert p.loc["P3", "tax_per_mu_growth"] == pytest.approx(1.0)  # 1.0 vs 0.5 per mu
    assert p.loc["P3", "output_per_mu_growth"] == pytest.approx(0.5)  # 6 vs 4 per mu
    assert p.loc["P3", "industry"] == "food"
    assert p.loc["P1", "tax_per_mu"] == pytest.approx(2.0, rel=1e-6)  # unchanged


def test_legend_breaks_come_from_unfiltered_data_and_classify_stays_put():
    plots = pd.DataFrame({"tax_per_mu": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, np.nan]})
    legend = symbology.make_legend(plots, "tax_per_mu", "quantiles", k=4)
    assert legend.bins == pytest.approx((2.75, 4.5, 6.25, 8.0))
    assert len(legend.colors) == 4
    codes = legend.classify(plots["tax_per_mu"])
    assert codes.tolist() == [0, 0, 1, 1, 2, 2, 3, 3, -1]
    # the same value gets the same class whatever subset it comes in
    subset = plots.iloc[[3, 4]]
    assert legend.classify(subset["tax_per_mu"]).tolist() == [1, 2]


def test_natural_breaks_and_policy_legends():
    values = pd.DataFrame({"tax_per_mu": [1.0, 1.1, 1.2, 10.0, 10.5, 11.0, 50.0, 51.0]})
    legend = symbology.make_legend(values, "tax_per_mu", "natural_breaks", k=3)
    assert legend.bins == pytest.approx((1.2, 11.0, 51.0))
    grades = symbology.make_legend(values, "tax_per_mu", "policy")
    assert grades.categories == ("A", "B", "C", "D")
    assert grades.classify(pd.Series(["B", "D", None, "T"])).tolist() == [1, 3, -1, -1]


def test_filter_mask_combines_filters(three_plots, firms):
    data = _data(three_plots, enterprises=firms)
    plots = data.plots.assign(grade=pd.array(["A", "D", None], dtype="string"),
                              park_id=pd.array(["K1", "K1", "K2"], dtype="string"))
    assert filtering.filter_mask(plots, filtering.Filters()).tolist() == [True, True, True]
    got = filtering.filter_mask(plots, filtering.Filters(parks=("K1",)))
    assert got.tolist() == [True, True, False]
    got = filtering.filter_mask(plots, filtering.Filters(parks=("K1",), grades=("D",)))
    assert got.tolist() == [False, True, False]
    got = filtering.filter_mask(plots, filtering.Filters(industries=("ic",)))
    assert got.tolist() == [False, True, False]


def test_level_of_detail_and_viewport_query(three_plots):
    data = _data(three_plots)
    w, s, e, n = data.plots.total_bounds
    everything = viewing.Viewport(w - 0.01, s - 0.01, e + 0.01, n + 0.01, 16)
    mask = np.ones(3, dtype=bool)
    assert viewing.plots_in_view(data, mask, everything).tolist() == [0, 1, 2]
    p1 = data.plots.geometry.iloc[0].bounds
    only_first = viewing.Viewport(p1[0], p1[1], p1[2] - 1e-6, p1[3], 16)
    assert viewing.plots_in_view(data, mask, only_first).tolist() == [0]
    assert viewing.plots_in_view(data, np.array([False, True, True]), only_first).tolist() == []
    assert viewing.level_of_detail(everything, 3) == "plots"
    assert viewing.level_of_detail(viewing.Viewport(w, s, e, n, 11), 3) == "grid"
    assert viewing.level_of_detail(everything, viewing.MAX_PLOT_FEATURES + 1) == "grid"


def test_grid_aggregate_is_sum_over_sum(three_plots, firms):
    data = _data(three_plots, enterprises=firms)
    cells = viewing.grid_aggregate(data, np.array([0, 1, 2]), 8, "tax_per_mu")
    # at zoom 8 a cell is 10 km (the cap), anchored at the UTM origin: the three plots
    # (x 350 000-350 500 m) share one cell
    assert len(cells) == 1
    assert cells["cell"].iloc[0] == "sq_35_347"
    assert int(cells["n_plots"].iloc[0]) == 3
    assert cells["area_mu"].iloc[0] == pytest.approx(90.0, rel=1e-6)
    # (30 + 120) 万元 over all 90 mu of the cell, the idle plot's land included: the rule
    # of analysis.grid.aggregate_to_grid and efficiency.scope_indicators
    assert cells["value"].iloc[0] == pytest.approx(150.0 / 90.0, rel=1e-6)
    assert cells.crs.to_epsg() == 4326
    # only the first two plots: 150 / 75
    two = viewing.grid_aggregate(data, np.array([0, 1]), 8, "tax_per_mu")
    assert two["value"].iloc[0] == pytest.approx(2.0, rel=1e-6)
    assert viewing.grid_aggregate(data, np.array([], dtype="int64"), 8, "tax_per_mu").empty


def test_grid_aggregate_scores_are_land_weighted_and_grade_goes_by_land(three_plots):
    data = _data(three_plots)
    graded = data.plots.assign(score=[80.0, 60.0, np.nan],
                               grade=pd.array(["A", "D", None], dtype="string"))
    data = dataclasses.replace(data, plots=graded)
    cells = viewing.grid_aggregate(data, np.array([0, 1, 2]), 8, "score")
    assert cells["value"].iloc[0] == pytest.approx((80 * 15 + 60 * 60) / 75, rel=1e-6)
    grade = viewing.grid_aggregate(data, np.array([0, 1, 2]), 8, "grade")
    assert grade["value"].tolist() == ["D"]  # 60 mu of D against 15 of A


def test_plot_card_numbers_and_history(three_plots, firms):
    ledger = pd.DataFrame({"plot_id": ["P2", "P2"], "date": ["2023-01-05", "2023-03-01"],
                           "stage": ["identified", "in_progress"], "mode": [None, "upgrade"],
                           "reclaimed_mu": [np.nan, np.nan], "note": ["", ""]})
    data = _data(three_plots, enterprises=firms, ledger=ledger)
    card = cards.plot_card(data, "P2", "zh")
    facts = dict(card["facts"])
    assert card["title"] == "地块 P2"
    assert facts["面积(亩)"] == "60.00"
    assert facts["企业数"] == "2"
    assert facts["亩均税收(万元/亩)"] == "2.00"
    assert facts["亩均产值(万元/亩)"] == "30.00"
    assert facts["盘活状态"] == "推进中"
    assert card["enterprises"]["name"].tolist() == ["乙公司(合成)", "丙公司(合成)"]
    assert card["ledger"]["stage"].tolist() == ["identified", "in_progress"]
    assert cards.plot_card(data, "nope") is None
    en = dict(cards.plot_card(data, "P2", "en")["facts"])
    assert en["Area (mu)"] == "60.00"


def test_search_by_id_credit_code_and_name(three_plots, firms):
    data = _data(three_plots, enterprises=firms)
    assert cards.search(data, "p2")["plot_id"].tolist() == ["P2"]
    hit = cards.search(data, "91310113synth0003c")
    assert hit["plot_id"].tolist() == ["P2"] and hit["kind"].iloc[0] == "credit_code"
    named = cards.search(data, "甲公司")
    assert named["plot_id"].tolist() == ["P1"] and named["kind"].iloc[0] == "name"
    assert named["lon"].iloc[0] == pytest.approx(data.plots["lon"].iloc[0])
    assert cards.search(data, "").empty
    assert cards.search(data, "nothing-like-this").empty


def test_feature_at_and_selection(three_plots, firms):
    data = _data(three_plots, enterprises=firms)
    c = data.plots.geometry.iloc[1].centroid
    assert viewing.feature_at(data, c.x, c.y) == "P2"
    assert viewing.feature_at(data, c.x, c.y, np.array([True, False, True])) is None
    sel = downloads.selection(data, np.array([True, False, True]))
    assert sel["plot_id"].tolist() == ["P1", "P3"]
    assert sel.crs.to_epsg() == 4326
    assert sel["low_efficiency"].tolist() == [0, 1]  # P3: idle, no firm → listed "idle"


def test_viewport_from_component_falls_back():
    home = viewing.Viewport(0, 0, 1, 1, 10)
    value = {"bounds": {"_southWest": {"lat": 31.0, "lng": 121.0},
                        "_northEast": {"lat": 31.1, "lng": 121.2}}, "zoom": 14}
    expected = viewing.Viewport(121.0, 31.0, 121.2, 31.1, 14)
    assert viewing.Viewport.from_component(value, home) == expected
    assert viewing.Viewport.from_component(None, home) == home
    broken = {"bounds": {"_southWest": {"lat": None, "lng": None}}, "zoom": 3}
    assert viewing.Viewport.from_component(broken, home) == home


def test_overlays_assign_parks_by_largest_share(three_plots):
    park = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["测试园区(合成)"], "district_code": ["310113"],
         "level": ["district"], "lead_industries": ["biomed"]},
        geometry=[shapely.box(BASE_E - 10, BASE_N - 10, BASE_E + 400, BASE_N + 300)],
        crs="EPSG:32651").to_crs(STORE_CRS)
    data = _data(three_plots, parks=park)
    # P1 (x 0-100) and P2 (x 150-350) lie inside; P3 (x 400-500) is outside
    assert data.plots["park_id"].tolist()[:2] == ["K1", "K1"]
    assert pd.isna(data.plots["park_id"].iloc[2])
    card = cards.park_card(data, "K1", "zh")
    facts = dict(card["facts"])
    assert facts["地块数"] == "2"
    assert facts["用地面积(亩)"] == "75.00"
    # no firm in the park: no per-mu figure to show
    assert facts["亩均税收(万元/亩)"] == "—"
    # lead industries split by analysis.concentration.lead_industry_list: ; ； , 、
    assert facts["主导产业"] == "生物医药"
    mixed = park.assign(lead_industries=["biomed；ic、auto"])
    facts = dict(cards.park_card(_data(three_plots, parks=mixed), "K1", "zh")["facts"])
    assert facts["主导产业"] == "生物医药、集成电路、汽车及零部件"


def test_exports_hold_the_selection(three_plots, firms, tmp_path):
    import json

    data = _data(three_plots, enterprises=firms)
    mask = np.array([True, True, False])
    fc = json.loads(downloads.selection_geojson(data, mask))
    assert fc["type"] == "FeatureCollection" and "crs" not in fc
    assert [f["properties"]["plot_id"] for f in fc["features"]] == ["P1", "P2"]
    assert fc["features"][1]["properties"]["tax_per_mu"] == pytest.approx(2.0, rel=1e-6)
    book = tmp_path / "sel.xlsx"
    book.write_bytes(downloads.selection_xlsx(data, mask))
    sheets = pd.read_excel(book, sheet_name=None)
    table = next(iter(sheets.values()))
    assert len(table) == 2
    assert "地块编号" in table.columns


@pytest.fixture(scope="module")
def analysed(tmp_path_factory) -> loading.AppData:
    """A small SYNTHETIC demo workspace, loaded with every analysis stage."""
    from geoapp.pipeline import build_demo_workspace

    path = tmp_path_factory.mktemp("app_data") / "demo.gpkg"
    build_demo_workspace(path, seed=5, n_plots=300)
    return loading.load_app_data(str(path), loading.workspace_mtime(path))


def test_load_runs_the_pipeline_and_takes_plot_figures_from_the_evaluation(analysed):
    from geoapp.pipeline import STAGES

    assert analysed.errors == {}
    assert list(analysed.results) == list(STAGES)
    assert loading.workspace_years(analysed.path) == analysed.years
    assert analysed.year == loading.resolve_year(analysed.years) == max(analysed.years)
    assert loading.resolve_year(analysed.years, analysed.years[0]) == analysed.years[0]
    assert loading.resolve_year(analysed.years, 1900) == max(analysed.years)
    ev = analysed.table("evaluation", "plots").set_index("plot_id")
    p = analysed.plots.set_index("plot_id")
    assert len(p) == len(ev)
    for col in ("area_mu", "tax_per_mu", "output_per_mu", "score"):
        np.testing.assert_allclose(p[col].to_numpy(dtype=float),
                                   ev[col].reindex(p.index).to_numpy(dtype=float), rtol=1e-12)
    for col in ("park_id", "town_code", "district_code", "zone_type", "grade"):
        assert p[col].astype(str).tolist() == ev[col].reindex(p.index).astype(str).tolist()
    assert p["low_efficiency"].tolist() == ev["low_efficiency"].reindex(p.index).tolist()
    for col in ("tax_per_mu_growth", "output_per_mu_growth"):
        if col in ev:  # the evaluation's own plot-level growth wins
            np.testing.assert_allclose(p[col].to_numpy(dtype=float),
                                       ev[col].reindex(p.index).to_numpy(dtype=float))
        assert np.isfinite(p[col].to_numpy(dtype=float)).sum() > 0


def test_park_card_reads_the_evaluation_park_ranking(analysed):
    ranking = analysed.table("evaluation", "park_ranking")
    row = ranking.sort_values("rank").iloc[0]
    card = cards.park_card(analysed, row["park_id"], "zh")
    facts = dict(card["facts"])
    assert facts["地块数"] == f"{int(row['n_plots']):,}"
    # the plot table and the ranking agree on which plots the park holds
    assert int(row["n_plots"]) == int((analysed.plots["park_id"] == row["park_id"]).sum())
    assert facts["用地面积(亩)"] == f"{row['land_mu']:,.2f}"
    assert facts["亩均税收(万元/亩)"] == f"{row['tax_per_mu']:,.2f}"
    assert facts["低效地块数"] == f"{int(row['n_low_efficiency_plots']):,}"
    assert facts["排名"] == "1"
    assert card["scorecard"].loc["tax_per_mu"].iloc[0] == row["tax_per_mu"]
    assert cards.ranking_row(analysed, "park", "no-such-park") is None
