"""Reading planners' files: formats, Chinese headers, money units, encodings, CRS handling."""

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from layers.crs import WORK_CRS, wgs84_to_gcj02
from layers.io import map_headers, read_layer, sniff_dbf_encoding
from layers.schema import ENTERPRISES, PLOTS
from layers.units import M2_PER_MU
from tests.conftest import squares


def test_chinese_headers_map_to_canonical_names_with_units():
    rename, units = map_headers(
        ["企业名称", "统一社会信用代码", "地块编号", "产值(亿元)", "税收（元）", "行业", "年份",
         "备注"],
        ENTERPRISES,
    )
    assert rename == {"企业名称": "name", "统一社会信用代码": "credit_code", "地块编号": "plot_id",
                      "产值(亿元)": "output_wan", "税收（元）": "tax_wan", "行业": "industry",
                      "年份": "year"}
    assert units == {"output_wan": "亿元", "tax_wan": "元"}
    rename, _ = map_headers(["宗地编号", "用地性质", "状态"], PLOTS)
    assert rename == {"宗地编号": "plot_id", "用地性质": "land_use", "状态": "status"}


def test_csv_keyed_by_plot_id_converts_yuan_and_yi(tmp_path):
    f = tmp_path / "firms.csv"
    pd.DataFrame({
        "企业编号": ["E1", "E2"], "企业名称": ["甲(合成)", "乙(合成)"], "地块编号": ["P1", "P1"],
        "行业": ["biomed", "ic"], "年份": [2023, 2023], "规模": ["above", "below"],
        "产值(亿元)": ["1.5", "0.2"], "税收(元)": ["1,234,000", "50000"],
    }).to_csv(f, index=False, encoding="utf-8-sig")
    loaded = read_layer(f, "enterprises")
    df = loaded.frame
    assert not isinstance(df, gpd.GeoDataFrame)
    assert df["output_wan"].tolist() == [15000.0, 2000.0]  # 1.5 亿元 = 15 000 万元
    assert df["tax_wan"].tolist() == pytest.approx([123.4, 5.0])  # 1 234 000 元 = 123.4 万元
    assert loaded.provenance["units"]["tax_wan"].startswith("converted from 元")
    assert loaded.row_number(0) == 2  # Excel row 2: the first data row under the header


def test_gbk_csv_is_read(tmp_path):
    f = tmp_path / "gbk.csv"
    f.write_bytes("地块编号,用地性质,状态\nP1,M1,in_use\n".encode("gbk"))
    df = read_layer(f, "plots").frame
    assert df.loc[0, "plot_id"] == "P1"


def test_xlsx_with_lon_lat_columns_becomes_points(tmp_path):
    f = tmp_path / "projects.xlsx"
    pd.DataFrame({"项目编号": ["X1"], "项目名称": ["示例项目(合成)"], "项目阶段": ["started"],
                  "总投资": [50000], "经度": [121.42], "纬度": [31.35]}).to_excel(f, index=False)
    loaded = read_layer(f, "projects")
    g = loaded.frame
    assert isinstance(g, gpd.GeoDataFrame) and g.crs.to_epsg() == 4326
    assert (g.geometry.x.iloc[0], g.geometry.y.iloc[0]) == (121.42, 31.35)
    assert g["investment_wan"].iloc[0] == 50000.0


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_shapefile_encoding_is_sniffed_without_cpg(tmp_path, encoding):
    plots = squares([100], land_use=["M1"], status=["in_use"], name=["罗店镇示例地块"])
    shp = tmp_path / "plots.shp"
    pyogrio.write_dataframe(plots, shp, encoding=encoding)
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    assert sniff_dbf_encoding(shp) == encoding
    df = read_layer(shp, "plots").frame
    assert df.loc[0, "name"] == "罗店镇示例地块"


def test_geoparquet_and_gpkg_round_trip(tmp_path):
    plots = squares([100, 200], land_use=["M1", "M2"], status=["in_use", "idle"])
    plots.to_parquet(tmp_path / "p.parquet")
    pyogrio.write_dataframe(plots, tmp_path / "p.gpkg", layer="whatever")
    for name in ("p.parquet", "p.gpkg"):
        g = read_layer(tmp_path / name, "plots").frame
        areas_mu = g.to_crs(WORK_CRS).area / M2_PER_MU
        assert areas_mu.tolist() == pytest.approx([15.0, 60.0], rel=1e-9)


def test_cgcs2000_gauss_kruger_input_is_reprojected_not_measured_in_degrees(tmp_path):
    # A 100 m square drawn in CGCS2000 3-degree GK CM 120E (EPSG:4549), file declares no CRS.
    sq = gpd.GeoDataFrame({"plot_id": ["G1"], "land_use": ["M1"], "status": ["in_use"]},
                          geometry=gpd.GeoSeries.from_wkt(
                              ["POLYGON((633000 3470000, 633100 3470000, 633100 3470100, "
                               "633000 3470100, 633000 3470000))"]))
    f = tmp_path / "gk.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        pyogrio.write_dataframe(sq, f)
    loaded = read_layer(f, "plots")
    assert any("coordinate reference system" in p.message for p in loaded.problems)
    g = read_layer(f, "plots", crs="4549").frame
    assert g.crs.to_epsg() == 4326
    assert 121.0 < g.geometry.representative_point().x.iloc[0] < 121.5
    # the same square measured in GK is 15 mu; in UTM 51N within 0.1 %
    assert g.to_crs(WORK_CRS).area.iloc[0] / M2_PER_MU == pytest.approx(15.0, rel=1e-3)


def test_survey_table_with_x_as_northing_is_swapped(tmp_path):
    f = tmp_path / "pts.csv"
    pd.DataFrame({"项目编号": ["X1"], "项目名称": ["测"], "项目阶段": ["signed"], "总投资": [1],
                  "X": [3470000.0], "Y": [540000.0]}).to_csv(f, index=False)
    loaded = read_layer(f, "projects", crs="EPSG:4549")
    assert loaded.provenance["axis_swap"].startswith("X/Y given as northing")
    pt = loaded.frame.to_crs("EPSG:4549").geometry.iloc[0]
    assert (pt.x, pt.y) == pytest.approx((540000.0, 3470000.0), abs=1e-3)


def test_gcj02_points_are_converted_on_load(tmp_path):
    glon, glat = wgs84_to_gcj02(121.5272106, 31.1774276)
    f = tmp_path / "amap.csv"
    pd.DataFrame({"项目编号": ["X1"], "项目名称": ["测"], "项目阶段": ["signed"], "总投资": [1],
                  "lng": [float(glon)], "lat": [float(glat)]}).to_csv(f, index=False)
    loaded = read_layer(f, "projects", crs="gcj02")
    pt = loaded.frame.geometry.iloc[0]
    assert pt.x == pytest.approx(121.5272106, abs=1e-7)
    assert pt.y == pytest.approx(31.1774276, abs=1e-7)
    assert loaded.provenance["source_crs"] == "GCJ02"
    assert "GCJ02" in loaded.provenance["conversion"]


def test_excel_float_codes_are_kept_as_text(tmp_path):
    f = tmp_path / "towns.xlsx"
    towns = pd.DataFrame({"街镇代码": [310113101.0], "街镇名称": ["罗店镇"],
                          "区划代码": [310113.0]})
    towns.to_excel(f, index=False)
    df = read_layer(f, "towns").frame
    assert df.loc[0, "code"] == "310113101"
    assert df.loc[0, "district_code"] == "310113"


def test_below_scale_firms_may_report_tax_only(tmp_path):
    from layers.schema import ENTERPRISES
    from layers.validate import validate

    f = tmp_path / "firms.csv"
    pd.DataFrame({"ent_id": ["E1", "E2"], "name": ["甲", "乙"], "industry": ["ic", "ic"],
                  "year": [2023, 2023], "scale": ["below", "above"], "output_wan": ["", ""],
                  "tax_wan": ["3", "5"]}).to_csv(f, index=False)
    loaded = read_layer(f, "enterprises")
    _, report = validate(loaded.frame, ENTERPRISES, row_of=loaded.row_number, row_kind="row")
    assert [str(p) for p in report.problems] == [
        "row 3, id E2, column 'output_wan': value is empty; above-scale (规上) firms must report "
        "output"]


def test_area_units_in_headers_are_converted(tmp_path):
    # 用地面积 means the register area (m² in the schema); a header in 亩 must not be read as m²
    plots = squares([100], land_use=["M1"], status=["in_use"]).rename(
        columns={"plot_id": "地块编号"})
    plots["用地面积(亩)"] = 15.0
    plots["建筑面积(公顷)"] = 1.2
    f = tmp_path / "plots.geojson"
    pyogrio.write_dataframe(plots, f)
    loaded = read_layer(f, "plots")
    assert loaded.frame.loc[0, "register_area_m2"] == pytest.approx(10_000.0)  # 15 mu
    assert loaded.frame.loc[0, "floor_area_m2"] == pytest.approx(12_000.0)  # 1.2 ha
    assert "converted from 亩 to m²" in loaded.provenance["units"]["register_area_m2"]
    projects = tmp_path / "projects.csv"
    pd.DataFrame({"项目编号": ["X1"], "项目名称": ["测"], "项目阶段": ["signed"], "总投资": [1],
                  "用地面积(平方米)": ["6666.67"], "经度": [121.42], "纬度": [31.35]}).to_csv(
        projects, index=False)
    assert read_layer(projects, "projects").frame.loc[0, "land_mu"] == pytest.approx(10.0, abs=1e-5)
    bad = tmp_path / "bad.csv"
    pd.DataFrame({"地块编号": ["P1"], "用地性质": ["M1"], "状态": ["in_use"],
                  "用地面积(坪)": ["3"]}).to_csv(bad, index=False)
    problems = read_layer(bad, "plots").problems
    assert any("unknown area unit '坪'" in p.message for p in problems)


def test_blank_rows_keep_excel_row_numbers(tmp_path):
    from geoapp.pipeline import check_file

    f = tmp_path / "firms.csv"
    f.write_text("ent_id,name,industry,year,scale,output_wan,tax_wan\n"
                 "E1,甲,ic,2023,above,10,1\n"
                 "\n"
                 "E2,乙,ic,2023,above,abc,1\n", encoding="utf-8")
    checked = check_file(f, "enterprises")
    assert [str(p) for p in checked.report.problems] == [
        "row 4, id E2, column 'output_wan': 'abc' is not a number"]  # Excel's row 4
