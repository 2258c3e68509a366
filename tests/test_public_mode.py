"""Public mode: no enterprise figures leave; aggregates of fewer than 3 enterprises suppressed."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from geoapp.export import (
    export_layer,
    geojson_bytes,
    is_confidential,
    publicize,
    xlsx_report,
)
from tests.conftest import enterprises_frame

SECRET = ["output_wan", "tax_wan", "value_added_wan", "revenue_wan", "energy_tce",
          "emissions_t", "rd_wan", "employees"]


@pytest.fixture
def enterprises():
    """Six synthetic enterprises: 1 on plot P1, 2 on P2, 3 on P3 (tax 10, 20+30, 1+2+3 万元)."""
    rows = [
        {"ent_id": "E1", "plot_id": "P1", "tax_wan": 10.0},
        {"ent_id": "E2", "plot_id": "P2", "tax_wan": 20.0},
        {"ent_id": "E3", "plot_id": "P2", "tax_wan": 30.0},
        {"ent_id": "E4", "plot_id": "P3", "tax_wan": 1.0},
        {"ent_id": "E5", "plot_id": "P3", "tax_wan": 2.0},
        {"ent_id": "E6", "plot_id": "P3", "tax_wan": 3.0},
    ]
    ents = enterprises_frame(rows)
    ents["credit_code"] = [f"91310113MA1GTEST{i}X" for i in range(6)]
    ents["output_wan"] = ents["tax_wan"] * 10
    ents["value_added_wan"] = ents["tax_wan"] * 3
    ents["revenue_wan"] = ents["tax_wan"] * 12
    ents["energy_tce"] = 5.0
    ents["emissions_t"] = 0.5
    ents["rd_wan"] = 1.0
    ents["employees"] = 20
    return ents


@pytest.fixture
def plots_with_firms(make_plots, enterprises):
    """Plot aggregates built the documented way: sums plus n_enterprises = distinct ent_id."""
    plots = make_plots(100, 100, 100)  # 15 mu each
    plots["area_mu"] = 15.0
    sums = enterprises.groupby("plot_id").agg(
        tax_wan=("tax_wan", "sum"), output_wan=("output_wan", "sum"),
        n_enterprises=("ent_id", "nunique"),
    )
    plots = plots.join(sums, on="plot_id")
    plots["tax_per_mu"] = plots["tax_wan"] / plots["area_mu"]
    plots["grade"] = ["A", "B", "C"]
    return plots.set_index(pd.Index([10, 20, 30]))  # a non-default index must survive


def test_aggregates_of_one_and_two_enterprises_are_suppressed(plots_with_firms):
    before = plots_with_firms.copy()
    out = publicize(plots_with_firms)
    assert out.index.tolist() == [10, 20, 30]
    assert out["n_enterprises"].tolist() == [1, 2, 3]
    # 1 and 2 enterprises: suppressed; 3 enterprises: 1 + 2 + 3 = 6 万元 over 15 mu
    assert out["tax_wan"].isna().tolist() == [True, True, False]
    assert out["output_wan"].isna().tolist() == [True, True, False]
    assert out["tax_per_mu"].iloc[2] == pytest.approx(6.0 / 15.0)
    assert out["tax_wan"].loc[30] == pytest.approx(6.0)
    assert out["tax_per_mu"].isna().tolist() == [True, True, False]
    # what is not an enterprise figure stays
    assert out["area_mu"].tolist() == [15.0, 15.0, 15.0]
    assert out["grade"].tolist() == ["A", "B", "C"]
    assert out.geometry.equals(plots_with_firms.geometry)
    assert "2 of 3 rows have n_enterprises < 3" in out.attrs["disclosure"]
    pd.testing.assert_frame_equal(plots_with_firms, before)  # input untouched


def test_threshold_is_a_keyword(plots_with_firms):
    out = publicize(plots_with_firms, min_enterprises=2)
    assert out["tax_wan"].isna().tolist() == [True, False, False]
    with pytest.raises(ValueError, match="min_enterprises"):
        publicize(plots_with_firms, min_enterprises=0)


def test_missing_count_means_suppressed(plots_with_firms):
    frame = plots_with_firms.copy()
    frame["n_enterprises"] = pd.array([1, None, 3], dtype="Int64")
    out = publicize(frame)
    assert out["tax_wan"].isna().tolist() == [True, True, False]


def test_enterprise_level_tables_lose_figures_and_identity(enterprises):
    out = publicize(enterprises)
    assert set(out.columns) == {"ent_id", "industry", "year", "scale", "plot_id"}
    assert out["ent_id"].tolist() == ["E1", "E2", "E3", "E4", "E5", "E6"]
    for col in [*SECRET, "name", "credit_code"]:
        assert col in enterprises.columns
        assert col in out.attrs["disclosure"]


def test_table_without_a_count_loses_its_figures():
    parks = pd.DataFrame({"park_id": ["BS01"], "name": ["测试园区(合成)"], "tax_per_mu": [9.0],
                          "area_mu": [300.0], "labour_productivity": [50.0]})
    out = publicize(parks)
    assert list(out.columns) == ["park_id", "name", "area_mu"]
    assert "no enterprise count column" in out.attrs["disclosure"]


@pytest.mark.parametrize(("column", "secret"), [
    ("tax_wan", True), ("tax_per_mu", True), ("tax_per_mu_growth", True),
    ("value_added_per_tce", True), ("rd_intensity", True), ("employees", True),
    ("labour_productivity", True), ("score", True), ("contract_tax_wan", True),
    ("area_mu", False), ("investment_intensity", False), ("n_enterprises", False),
    ("grade", False), ("standard_rd", True), ("standard", False), ("taxonomy", False),
])
def test_is_confidential(column, secret):
    assert is_confidential(column) is secret


def test_public_geojson_says_so_and_suppresses(plots_with_firms, tmp_path):
    doc = json.loads(geojson_bytes(plots_with_firms, public=True))
    assert doc["disclosure"].startswith("public:")
    taxes = [f["properties"]["tax_wan"] for f in doc["features"]]
    assert taxes == [None, None, 6.0]
    (path,) = export_layer(plots_with_firms, tmp_path / "plots.geojson", public=True)
    back = pyogrio.read_dataframe(path)
    assert back["tax_per_mu"].isna().tolist() == [True, True, False]
    assert back["n_enterprises"].tolist() == [1, 2, 3]


def test_public_enterprise_geojson_carries_no_figures(enterprises, make_points):
    pts = make_points([(350_000 + 10 * i, 3_470_000) for i in range(6)], **enterprises)
    text = geojson_bytes(pts, public=True)
    props = json.loads(text)["features"][0]["properties"]
    assert set(props) == {"ent_id", "industry", "year", "scale", "plot_id"}
    assert "测试企业".encode() not in text


def test_public_xlsx_csv_and_shp_say_so(plots_with_firms, tmp_path):
    (xlsx,) = export_layer(plots_with_firms, tmp_path / "plots.xlsx", public=True)
    wb = load_workbook(xlsx)
    assert wb.sheetnames[0] == "说明"
    about = [[c.value for c in row] for row in wb["说明"].iter_rows()]
    assert any(r[0] == "disclosure" and r[1].startswith("public:") for r in about)
    data = wb[wb.sheetnames[1]]
    heads = [c.value for c in data[1]]
    taxes = [row[heads.index("税收(万元)")].value for row in data.iter_rows(min_row=2)]
    assert taxes == [None, None, 6.0]
    files = export_layer(plots_with_firms, tmp_path / "plots.csv", public=True)
    assert [p.name for p in files] == ["plots.csv", "plots.notes.txt"]
    assert "disclosure: public:" in files[1].read_text(encoding="utf-8-sig")
    table = pd.read_csv(files[0], encoding="utf-8-sig")
    assert table["tax_wan"].isna().tolist() == [True, True, False]
    shp = export_layer(plots_with_firms, tmp_path / "plots.shp", public=True)
    assert "plots.notes.txt" in [p.name for p in shp]


def test_where_runs_after_the_rule(enterprises, plots_with_firms, tmp_path):
    # a filter on a confidential column cannot be used to learn about a suppressed value
    with pytest.raises(ValueError, match="tax_wan > 5"):
        export_layer(enterprises, tmp_path / "e.csv", public=True, where="tax_wan > 5")
    path, _notes = export_layer(plots_with_firms, tmp_path / "p.csv", public=True,
                                where="tax_wan > 0")
    assert pd.read_csv(path)["plot_id"].tolist() == ["P3"]


def test_public_report(plots_with_firms, enterprises, tmp_path):
    path = xlsx_report({"evaluation": enterprises, "low_efficiency": plots_with_firms},
                       tmp_path / "report.xlsx", public=True)
    wb = load_workbook(path)
    heads = [c.value for c in wb["综合评价"][1]]
    assert "税收(万元)" not in heads and "企业名称" not in heads and "名称" not in heads
    low = wb["低效用地清单"]
    heads = [c.value for c in low[1]]
    col = heads.index("亩均税收(万元/亩)")
    values = [row[col].value for row in low.iter_rows(min_row=2)]
    assert values[:2] == [None, None]
    assert values[2] == pytest.approx(0.4)
    notes = " ".join(str(c.value) for row in wb["说明"].iter_rows() for c in row)
    assert "公开版" in notes
    assert np.isfinite(values[2])
