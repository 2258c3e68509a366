"""export_layer in every format, read back with GDAL; the XLSX report; README.txt."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from shapely.geometry import MultiPolygon

from geoapp.export import (
    export_layer,
    shapefile_field_names,
    write_geojson,
    write_readme,
    xlsx_report,
)
from geoapp.store import open_workspace
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N, squares

NAMES = ["宝山测试地块(合成)", "金山·罗店镇 地块", "plain"]


@pytest.fixture(params=["frame", "postgis"])
def plots(request, make_plots):
    """Three synthetic plots (100 m, 200 m, 100 m squares), the last a MultiPolygon: as built,
    then as read back from a PostGIS workspace (exports must not care where layers live)."""
    gdf = _plots(make_plots)
    if request.param == "frame":
        return gdf
    ws = open_workspace(request.getfixturevalue("pg_url"))
    ws.write_layers({"plots": gdf})
    return ws.read("plots")


def _plots(make_plots):
    gdf = make_plots(
        100, 200, 100,
        register_area_m2=[10_000.0, 40_000.0, np.nan],
        contract_investment_wan=[1500.0, np.nan, 900.5],
        supply_year=pd.array([2019, 2020, None], dtype="Int64"),
    )
    gdf["name"] = NAMES
    extra = squares([50], origin=(BASE_E, BASE_N + 500)).geometry.iloc[0]
    gdf.loc[2, "geometry"] = MultiPolygon([gdf.geometry.iloc[2], extra])
    return gdf


def _assert_same_geometry(back: gpd.GeoSeries, original: gpd.GeoSeries, *, promoted=False,
                          tol=1e-6):
    """Equal within ``tol`` degrees; ``promoted``: Polygon may come back as a 1-part Multi."""
    assert len(back) == len(original)
    for a, b in zip(back, original, strict=True):
        if promoted and a.geom_type == f"Multi{b.geom_type}":
            assert len(a.geoms) == 1
            a = a.geoms[0]
        assert a.geom_type == b.geom_type
        assert a.normalize().equals_exact(b.normalize(), tolerance=tol)


def _assert_same_attributes(back: pd.DataFrame, original: pd.DataFrame, columns):
    for col in columns:
        left, right = back[col].tolist(), original[col].tolist()
        for x, y in zip(left, right, strict=True):
            if pd.isna(y):
                assert pd.isna(x), col
            elif isinstance(y, float | int | np.integer | np.floating):
                assert x == pytest.approx(y), col
            else:
                assert x == y, col


ATTRS = ["plot_id", "land_use", "status", "register_area_m2", "contract_investment_wan",
         "supply_year", "name"]


def test_geojson_format_from_suffix(plots, tmp_path):
    (path,) = export_layer(plots, tmp_path / "plots.geojson")
    back = pyogrio.read_dataframe(path)
    _assert_same_attributes(back, plots, ATTRS)
    _assert_same_geometry(back.geometry, plots.geometry)
    assert "crs" not in json.loads(path.read_bytes())


@pytest.mark.parametrize("crs_out", ["EPSG:4326", "EPSG:4490"])
def test_gpkg_in_wgs84_or_cgcs2000(plots, tmp_path, crs_out):
    (path,) = export_layer(plots, tmp_path / "plots.gpkg", crs_out=crs_out, layer_name="plots")
    info = pyogrio.read_info(path, layer="plots")
    back = pyogrio.read_dataframe(path, layer="plots")
    assert back.crs.equals(crs_out)
    _assert_same_attributes(back, plots, ATTRS)
    # CGCS2000 and WGS84 coincide at this scale (pyproj's null "ballpark" transformation)
    _assert_same_geometry(back.geometry.set_crs(None, allow_override=True),
                          plots.geometry.set_crs(None, allow_override=True), promoted=True)
    assert info["layer_metadata"]["coordinate_system"] == "WGS84 (EPSG:4326)"


def test_gpkg_gcj02_name_and_metadata(plots, tmp_path):
    (path,) = export_layer(plots, tmp_path / "plots.gpkg", coords="gcj02")
    assert path.name == "plots_gcj02.gpkg"
    meta = pyogrio.read_info(path)["layer_metadata"]
    assert meta["coordinate_system"].startswith("GCJ-02")
    with pytest.raises(ValueError, match="GCJ-02 is a shift of WGS84"):
        export_layer(plots, tmp_path / "x.gpkg", coords="gcj02", crs_out="EPSG:4490")


def test_gpkg_table_without_geometry(tmp_path):
    ledger = pd.DataFrame({"plot_id": ["P1", "P2"], "date": ["2024-01-05", "2024-02-01"],
                           "stage": ["identified", "reclaimed"], "note": ["谈判中", None]})
    (path,) = export_layer(ledger, tmp_path / "ledger.gpkg")
    back = pyogrio.read_dataframe(path, read_geometry=False)
    _assert_same_attributes(back, ledger, ledger.columns)


def test_shapefile_field_names_are_deterministic_unique_and_short():
    cols = ["plot_id", "tax_per_mu", "tax_per_mu_growth", "tax_per_mu_rank",
            "contract_investment_wan", "contract_investment_per_mu", "Tax_Per_Mu"]
    names = shapefile_field_names(cols)
    assert names == {
        "plot_id": "plot_id",
        "tax_per_mu": "tax_per_mu",
        "tax_per_mu_growth": "tax_per_m1",
        "tax_per_mu_rank": "tax_per_m2",
        "contract_investment_wan": "contract_i",
        "contract_investment_per_mu": "contract_1",
        "Tax_Per_Mu": "Tax_Per_M3",  # DBF names are case-insensitive
    }
    assert shapefile_field_names(cols) == names
    # Chinese headers count bytes: 2 per character in GBK, 3 in UTF-8
    gbk = shapefile_field_names(["亩均税收增长率"], encoding="GBK")
    assert gbk == {"亩均税收增长率": "亩均税收增"}
    assert shapefile_field_names(["亩均税收增长率"]) == {"亩均税收增长率": "亩均税"}


@pytest.mark.parametrize("encoding", ["UTF-8", "GBK"])
def test_shapefile_with_cpg_sidecar_and_chinese_text(plots, tmp_path, encoding):
    files = export_layer(plots, tmp_path / "plots.shp", encoding=encoding, layer_name="plots")
    names = sorted(p.name for p in files)
    assert names == ["plots.cpg", "plots.dbf", "plots.fields.csv", "plots.prj", "plots.shp",
                     "plots.shx"]
    assert (tmp_path / "plots.cpg").read_text().strip() == encoding
    dbf = (tmp_path / "plots.dbf").read_bytes()
    assert NAMES[0].encode(encoding) in dbf
    fields = pd.read_csv(tmp_path / "plots.fields.csv", encoding="utf-8-sig")
    mapping = dict(zip(fields["column"], fields["shapefile_field"], strict=True))
    assert mapping["contract_investment_wan"] == "contract_i"
    assert mapping["register_area_m2"] == "register_a"
    assert fields.set_index("column").loc["plot_id", "label_zh"] == "地块编号"
    back = pyogrio.read_dataframe(tmp_path / "plots.shp")  # GDAL reads the .cpg
    back = back.rename(columns={v: k for k, v in mapping.items()})
    _assert_same_attributes(back, plots, ATTRS)
    _assert_same_geometry(back.geometry, plots.geometry)


def test_shapefile_refuses_mixed_geometry_kinds(tmp_path, make_points):
    mixed = pd.concat([squares([100]), make_points([(BASE_E, BASE_N)], plot_id=["X"])])
    with pytest.raises(ValueError, match="one kind of geometry"):
        export_layer(mixed, tmp_path / "mixed.shp")


def test_csv_utf8_bom_lonlat_and_wkt(plots, tmp_path):
    (path,) = export_layer(plots, tmp_path / "plots.csv")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"  # Excel needs the BOM for Chinese
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert list(table.columns) == [*plots.columns.drop("geometry"), "lon", "lat", "wkt"]
    inside = shapely.contains_xy(plots.geometry.to_numpy(), table["lon"], table["lat"])
    assert inside.all()  # a representative point lies inside its plot
    back = pyogrio.read_dataframe(path, GEOM_POSSIBLE_NAMES="wkt", KEEP_GEOM_COLUMNS="NO",
                                  AUTODETECT_TYPE="YES")
    _assert_same_attributes(back, plots, ATTRS)
    _assert_same_geometry(back.geometry, plots.geometry)


def test_csv_of_points_has_only_lon_lat(tmp_path, make_points):
    pts = make_points([(BASE_E, BASE_N), (BASE_E + 100, BASE_N)], ent_id=["E1", "E2"],
                      industry=["biomed", "ic"])
    (path,) = export_layer(pts, tmp_path / "ents.csv")
    back = pyogrio.read_dataframe(path, X_POSSIBLE_NAMES="lon", Y_POSSIBLE_NAMES="lat",
                                  KEEP_GEOM_COLUMNS="NO")
    assert back["ent_id"].tolist() == ["E1", "E2"]
    _assert_same_geometry(back.geometry, pts.geometry)


def test_xlsx_chinese_headers_with_units(plots, tmp_path):
    (path,) = export_layer(plots, tmp_path / "plots.xlsx", layer_name="plots")
    wb = load_workbook(path)
    assert wb.sheetnames == ["产业地块", "说明"]
    headers = [c.value for c in wb["产业地块"][1]]
    assert dict(zip([*plots.columns.drop("geometry"), "lon", "lat"], headers, strict=True)) == {
        "plot_id": "地块编号", "land_use": "用地性质", "status": "地块状态",
        "register_area_m2": "登记面积(m²)", "contract_investment_wan": "合同投资额(万元)",
        "supply_year": "供地年份", "name": "名称", "lon": "经度(°)", "lat": "纬度(°)",
    }
    back = pyogrio.read_dataframe(path, layer="产业地块", HEADERS="FORCE")
    labels = dict(zip(headers, [*plots.columns.drop("geometry"), "lon", "lat"], strict=True))
    back = back.rename(columns=labels)
    _assert_same_attributes(back, plots, ATTRS)


def test_where_filters_and_names_a_bad_expression(plots, tmp_path):
    (path,) = export_layer(plots, tmp_path / "big.geojson",
                           where="register_area_m2 > 20000 or plot_id == 'P3'")
    assert pyogrio.read_dataframe(path)["plot_id"].tolist() == ["P2", "P3"]
    with pytest.raises(ValueError, match="'tax_per_mu <<< 5'"):
        export_layer(plots, tmp_path / "bad.geojson", where="tax_per_mu <<< 5")
    with pytest.raises(ValueError, match="'nope > 1'"):
        export_layer(plots, tmp_path / "bad.geojson", where="nope > 1")
    with pytest.raises(ValueError, match="not allowed"):
        export_layer(plots, tmp_path / "bad.geojson", where="plot_id.__class__ == 1")
    with pytest.raises(ValueError, match="invalid where expression"):
        export_layer(plots, tmp_path / "bad.geojson", where="register_area_m2 + 1")


def test_format_choice_errors(plots, tmp_path):
    with pytest.raises(ValueError, match="cannot tell the format"):
        export_layer(plots, tmp_path / "plots.kml")
    with pytest.raises(ValueError, match="make them agree"):
        export_layer(plots, tmp_path / "plots.csv", fmt="gpkg")
    (path,) = export_layer(plots, tmp_path / "plots", fmt="csv")
    assert path.name == "plots.csv"
    with pytest.raises(ValueError, match="RFC 7946"):
        export_layer(plots, tmp_path / "plots.geojson", crs_out="EPSG:4490")


def test_never_writes_into_a_workspace(plots, tmp_path):
    ws = tmp_path / "ws.gpkg"
    pyogrio.write_dataframe(pd.DataFrame({"key": ["a"], "value": ["b"]}), ws,
                            layer="geoapp_metadata", driver="GPKG")
    with pytest.raises(ValueError, match="workspace"):
        export_layer(plots, ws)
    with pytest.raises(ValueError, match="workspace"):
        write_geojson(plots, ws)
    assert pyogrio.list_layers(ws)[:, 0].tolist() == ["geoapp_metadata"]


def test_xlsx_report_sheets_headers_and_missing_table(tmp_path):
    ranking = pd.DataFrame({
        "park_id": ["BS01", "JS02"], "park_name": ["宝山测试园区(合成)", "金山测试园区(合成)"],
        "area_mu": [1500.0, 900.0], "tax_per_mu": [35.2, 12.0],
        "tax_per_mu_growth": [0.12, -0.05], "lead_industries": ["biomed;robotics", "chemicals"],
        "n_enterprises": [40, 12], "rank": [1, 2],
    })
    low = squares([100], plot_id=["P9"], reasons=["idle"], reasons_zh=["闲置"], area_mu=[15.0])
    path = xlsx_report({"park_ranking": ranking, "low_efficiency": low,
                        "something_else": ranking}, tmp_path / "report.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == ["说明", "园区排名", "低效用地清单", "盘活进度", "综合评价"]
    sheet = wb["园区排名"]
    headers = [c.value for c in sheet[1]]
    assert headers == ["园区编号", "园区名称", "面积(亩)", "亩均税收(万元/亩)", "亩均税收增长率(%)",
                       "主导产业代码", "主导产业名称", "企业数(家)", "排名"]
    assert sheet["E2"].value == pytest.approx(0.12)
    assert sheet["E2"].number_format == "0.0%"
    assert sheet["F2"].value == "biomed;robotics"  # the codes stay, their names beside them
    assert sheet["G2"].value == "生物医药、机器人与智能制造"  # as on the park card
    low_headers = [c.value for c in wb["低效用地清单"][1]]
    assert low_headers == ["地块编号", "低效原因", "低效原因(中文)", "面积(亩)", "经度(°)",
                           "纬度(°)"]
    assert wb["盘活进度"]["A2"].value.startswith("未计算")
    back = pyogrio.read_dataframe(path, layer="园区排名", HEADERS="FORCE")
    assert back["亩均税收(万元/亩)"].tolist() == [35.2, 12.0]


def test_xlsx_report_cells_keep_their_types(tmp_path):
    evaluation = pd.DataFrame({
        "ent_id": ["0012", "E2"], "name": ["宝山测试企业(合成)", "金山测试企业(合成)"],
        "credit_code": ["=1+1", "http://x"], "industry": ["biomed", "ic"],
        "land_mu": [15.0, np.nan], "tax_per_mu": [2.5, np.inf],
        "score": pd.array([80, None], dtype="Int64"), "grade": ["A", None],
        "output_wan": [1.0, 2.0],  # not a report column: left out of 综合评价
    })
    ranking = pd.DataFrame({
        "park_id": ["BS01", "JS02"], "tax_per_mu_growth": [0.125, np.nan], "rank": [1, 2],
        "updated": pd.to_datetime(["2024-03-01", None]),
    })
    path = xlsx_report({"evaluation": evaluation, "park_ranking": ranking},
                       tmp_path / "report.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]  # no temp file left
    wb = load_workbook(path)
    ws = wb["综合评价"]
    assert [c.value for c in ws[1]] == ["企业编号", "名称", "统一社会信用代码", "行业代码",
                                        "行业名称", "用地面积(亩)", "亩均税收(万元/亩)",
                                        "综合得分(分)", "评价等级"]
    assert [c.value for c in ws[2]] == ["0012", "宝山测试企业(合成)", "=1+1", "biomed", "生物医药",
                                        15, 2.5, 80, "A"]
    assert [c.data_type for c in ws[2]] == ["s", "s", "s", "s", "s", "n", "n", "n", "s"]
    assert ws["C3"].value == "http://x" and ws["C3"].hyperlink is None
    assert isinstance(ws["G2"].value, float) and isinstance(ws["H2"].value, int)
    # NaN, pd.NA and None are empty cells; inf is the text pandas wrote for it
    assert [c.value for c in ws[3]] == ["E2", "金山测试企业(合成)", "http://x", "ic", "集成电路",
                                        None, "inf", None, None]
    assert ws.freeze_panes == "A2" and ws.max_row == 3
    parks = wb["园区排名"]
    assert [c.value for c in parks[1]] == ["园区编号", "亩均税收增长率(%)", "排名", "updated"]
    assert parks["B2"].value == pytest.approx(0.125)
    assert parks["B2"].number_format == "0.0%" and parks["A2"].number_format == "General"
    assert parks["B3"].value is None and parks["B3"].number_format == "0.0%"
    assert [parks["D2"].value, parks["D3"].value] == ["2024-03-01", None]  # dates as ISO text
    assert parks.freeze_panes == "A2"
    assert parks.column_dimensions["B"].width == 19  # 7 Chinese × 2 + len("(%)") + 2
    assert wb["说明"].freeze_panes is None and wb["说明"].column_dimensions["C"].width == 80
    assert wb["低效用地清单"]["A1"].value == "说明"
    assert wb["低效用地清单"]["A2"].value.startswith("未计算")


def test_xlsx_export_keeps_bools_and_refuses_what_excel_cannot_hold(tmp_path):
    table = pd.DataFrame({"plot_id": ["P1", "P2"], "low_efficiency": [True, False],
                          "note": ["闲置", None]})
    (path,) = export_layer(table, tmp_path / "t.xlsx")
    ws = load_workbook(path)["t"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["地块编号", "是否低效", "备注"], ["P1", True, "闲置"], ["P2", False, None]]
    assert ws["B2"].data_type == "b"
    before = path.read_bytes()
    long = table.assign(note=["x" * 32_768, "ok"])
    with pytest.raises(ValueError, match=r"sheet 't', row 2, column '备注'.*32767"):
        export_layer(long, path)
    big = pd.DataFrame({"plot_id": np.zeros(1_048_576, dtype=np.int8)})
    with pytest.raises(ValueError, match=r"sheet 't': 1048576 rows do not fit"):
        export_layer(big, path)
    assert path.read_bytes() == before  # the old file stays whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.xlsx"]


def test_readme_describes_every_file_and_column(plots, tmp_path):
    write_geojson(plots.assign(tax_per_mu=[1.0, 2.0, 3.0]), tmp_path / "plots_evaluated.geojson",
                  public=True)
    export_layer(plots, tmp_path / "plots.csv")
    (tmp_path / "summary.json").write_text("{}", encoding="utf-8")
    readme = write_readme(tmp_path, {"plots.csv": "地块表 / the plots"})
    text = readme.read_text(encoding="utf-8-sig")
    for name in ("plots_evaluated.geojson", "plots.csv", "summary.json"):
        assert f"== {name} ==" in text
    assert "地块表 / the plots" in text
    assert "3 features, geometry" in text
    assert "\ndisclosure: public: made public by geoapp" in text
    assert "land_use  用地性质" in text
    assert "register_area_m2  登记面积 (m²)" in text
    assert "contract_investment_wan  合同投资额 (万元)" in text
    assert "lon  经度 (°)" in text


def test_projected_input_exports_in_wgs84(plots, tmp_path):
    (path,) = export_layer(plots.to_crs(WORK_CRS), tmp_path / "plots.gpkg")
    back = pyogrio.read_dataframe(path)
    assert back.crs.equals(STORE_CRS)
    _assert_same_geometry(back.geometry, plots.geometry, promoted=True)


def test_shapefile_refuses_text_it_would_damage(plots, tmp_path):
    emoji = plots.assign(name=["宝山", "😀 not in GBK", "x"])
    with pytest.raises(ValueError, match="cannot be written in GBK"):
        export_layer(emoji, tmp_path / "e.shp", encoding="GBK")
    long = plots.assign(name=["长" * 100, "x", "y"])  # 300 bytes in UTF-8
    with pytest.raises(ValueError, match="254 bytes"):
        export_layer(long, tmp_path / "l.shp")


def test_csv_joins_lists_into_one_cell(plots, tmp_path):
    listed = plots.assign(reasons=[["idle", "low_tax"], [], ["zone_198"]])
    (path,) = export_layer(listed, tmp_path / "plots.csv")
    assert pd.read_csv(path)["reasons"].tolist() == ["idle；low_tax", np.nan, "zone_198"]


def test_sheet_names_read_from_the_workbook_xml_as_excel_lists_them(tmp_path):
    from geoapp.export import xlsx

    path = tmp_path / "book.xlsx"
    with xlsx.workbook(path) as book:
        for name in ("说明", "R&D <2023>", "园区排名"):
            xlsx.write_sheet(book, name, ["a"], [[1]])
    assert xlsx.sheet_names(path) == ["说明", "R&D <2023>", "园区排名"]
