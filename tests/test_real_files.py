"""The files planners really send: each loads with the right values, or is refused clearly.

Every case is built in code in ``tmp_path`` and states what it must give: the loaded values,
or the message's row, column and problem (a :class:`~layers.errors.LayerError`, never another
exception), with the workspace unchanged.
"""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import GeometryCollection, Point, Polygon, box

from geoapp.boundaries import load_districts
from geoapp.ledger import import_events, read_events
from geoapp.pipeline import check_file, import_file
from geoapp.workspace import Workspace
from layers.crs import STORE_CRS, WORK_CRS
from layers.errors import LayerError
from tests.conftest import BASE_E, BASE_N, enterprises_frame, squares

HEADER = ["企业编号", "企业名称", "地块编号", "行业", "年份", "规模", "产值", "税收"]


def firm_rows(taxes=("5", "3"), outputs=("100", "60")):
    return [[f"E{i + 1}", f"企业{i + 1}(合成)", "P1", "ic", "2023", "above", o, t]
            for i, (o, t) in enumerate(zip(outputs, taxes, strict=True))]


def write_xlsx(path: Path, rows: list[list], merges: tuple[str, ...] = ()) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            if v is not None and v != "":
                ws.cell(row=r, column=c, value=v)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def put(path: Path, data: bytes | str) -> Path:
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


def write_csv(path: Path, rows: list[list], encoding="utf-8") -> Path:
    text = "\n".join(",".join(f'"{c}"' if "," in str(c) else str(c) for c in r) for r in rows)
    path.write_bytes(text.encode(encoding) + b"\n")
    return path


def plots_gdf(n=3, **cols):
    kw = {"land_use": ["M1"] * n, "status": ["in_use"] * n}
    kw.update(cols)
    return squares([100] * n, **kw)


def write_shp(path: Path, frame, *, prj=True, cpg=True, encoding=None, zip_it=False) -> Path:
    kw = {"encoding": encoding} if encoding else {}
    if frame.crs is None:
        with pytest.warns(UserWarning, match="'crs' was not provided"):
            pyogrio.write_dataframe(frame, path, **kw)
    else:
        pyogrio.write_dataframe(frame, path, **kw)
    if not prj:
        path.with_suffix(".prj").unlink(missing_ok=True)
    if not cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
    if not zip_it:
        return path
    z = path.with_suffix(".zip")
    with zipfile.ZipFile(z, "w") as zf:
        for f in sorted(path.parent.glob(path.stem + ".*")):
            if f.suffix != ".zip":
                zf.write(f, f.name)
    return z


def metres(frame_m: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """The frame's geometry re-expressed in ``crs`` but with no CRS declared."""
    return frame_m.to_crs(crs).set_crs(None, allow_override=True)


@dataclass
class Case:
    name: str
    build: Callable[[Path], Path]
    layer: str
    check: Callable[[pd.DataFrame, dict], None] | None = None  # loads: what must be loaded
    refused: list[str] = field(default_factory=list)  # refused: row, column, problem
    kw: dict = field(default_factory=dict)


def ent_check(taxes, outputs=None):
    def check(df, prov):
        assert df["tax_wan"].tolist() == pytest.approx(taxes)
        if outputs is not None:
            assert df["output_wan"].tolist() == pytest.approx(outputs)
        assert df["ent_id"].tolist()[: len(taxes)] == [f"E{i + 1}" for i in range(len(taxes))]
    return check


def ledger_dates(dates):
    def check(df, prov):
        assert df["date"].tolist() == dates
    return check


def ledger_csv(path, dates, encoding="utf-8"):
    rows = [["地块编号", "日期", "当前状态", "备注"]]
    rows += [[f"P{i + 1}", d, "已认定", "合成"] for i, d in enumerate(dates)]
    return write_csv(path, rows, encoding)


def projects_xy(path, xs, ys, header=("X", "Y"), ids=None):
    ids = ids or [f"X{i + 1}" for i in range(len(xs))]
    rows = [["项目编号", "项目名称", "项目阶段", "总投资", *header]]
    rows += [[i, "项目(合成)", "started", "1000", x, y] for i, x, y in zip(ids, xs, ys,
                                                                       strict=True)]
    return write_csv(path, rows)


def near_baoshan(df, prov, tol=1e-4):
    x, y = df.geometry.x.iloc[0], df.geometry.y.iloc[0]
    ref = gpd.GeoSeries([Point(BASE_E, BASE_N)], crs=WORK_CRS).to_crs(STORE_CRS).iloc[0]
    assert abs(x - ref.x) < tol and abs(y - ref.y) < tol, (x, y, ref)


def gk_point(crs):
    p = gpd.GeoSeries([Point(BASE_E, BASE_N)], crs=WORK_CRS).to_crs(crs).iloc[0]
    return p.x, p.y  # pyproj always_xy: easting, northing


def _area_mu_check(expected_mu, rel=2e-3):
    def check(df, prov):
        mu = df.geometry.to_crs(WORK_CRS).area / (10_000 / 15)
        assert mu.tolist() == pytest.approx(expected_mu, rel=rel)
    return check


CASES: list[Case] = [
    # ---- XLSX: title rows, unit notes, merged headers ------------------------------------
    Case("xlsx_one_title_row",
         lambda d: write_xlsx(d / "t1.xlsx", [["2023年度工业企业亩均效益表(合成)"], HEADER,
                                              *firm_rows()]),
         "enterprises", check=ent_check([5.0, 3.0], [100.0, 60.0])),
    Case("xlsx_blank_row_and_two_title_rows_with_unit_note",
         lambda d: write_xlsx(d / "t2.xlsx", [[], ["宝山区企业税收(合成)"], ["单位：元"], HEADER,
                                              *firm_rows(("50000", "30000"),
                                                         ("1000000", "600000"))]),
         "enterprises", check=ent_check([5.0, 3.0], [100.0, 60.0])),
    Case("xlsx_title_row_bad_cell_names_excel_row",
         lambda d: write_xlsx(d / "t3.xlsx", [["表(合成)"], HEADER, *firm_rows(("5", "abc"))]),
         "enterprises", refused=["row 4", "id E2", "column 'tax_wan'", "'abc' is not a number"]),
    Case("xlsx_merged_header_group_cells",
         lambda d: write_xlsx(d / "m1.xlsx", [
             ["企业编号", "企业名称", "地块编号", "行业", "年份", "规模", "经济指标", None],
             [None, None, None, None, None, None, "产值(万元)", "税收(万元)"], *firm_rows()],
             merges=("A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2", "F1:F2", "G1:H1")),
         "enterprises", check=ent_check([5.0, 3.0], [100.0, 60.0])),
    Case("xlsx_merged_header_units_in_second_row",
         lambda d: write_xlsx(d / "m2.xlsx", [
             ["汇总表(合成)"],
             ["企业编号", "企业名称", "地块编号", "行业", "年份", "规模", "产值", "税收"],
             [None, None, None, None, None, None, "(亿元)", "(元)"],
             *firm_rows(("50000", "30000"), ("0.01", "0.006"))],
             merges=("A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3")),
         "enterprises", check=ent_check([5.0, 3.0], [100.0, 60.0])),
    Case("xlsx_merged_header_bad_cell_names_excel_row",
         lambda d: write_xlsx(d / "m3.xlsx", [
             ["企业编号", "企业名称", "地块编号", "行业", "年份", "规模", "经济指标", None],
             [None, None, None, None, None, None, "产值", "税收"],
             *firm_rows(("5", "-3"))], merges=("A1:A2", "G1:H1")),
         "enterprises", refused=["row 4", "column 'tax_wan'", "negative value -3"]),
    Case("xlsx_numbers_as_numbers",
         lambda d: write_xlsx(d / "n.xlsx", [HEADER, ["E1", "甲", "P1", "ic", 2023, "above",
                                                      100.5, 5]]),
         "enterprises", check=ent_check([5.0], [100.5])),
    # ---- CSV encodings and title rows ----------------------------------------------------
    Case("csv_gbk_without_bom",
         lambda d: write_csv(d / "gbk.csv", [HEADER, *firm_rows()], "gbk"),
         "enterprises",
         check=lambda df, prov: (ent_check([5.0, 3.0])(df, prov),
                                 df["name"].tolist() == ["企业1(合成)", "企业2(合成)"]
                                 or pytest.fail(str(df["name"].tolist())))),
    Case("csv_utf8_with_bom",
         lambda d: write_csv(d / "bom.csv", [HEADER, *firm_rows()], "utf-8-sig"),
         "enterprises", check=ent_check([5.0, 3.0])),
    Case("csv_utf8_without_bom",
         lambda d: write_csv(d / "u8.csv", [HEADER, *firm_rows()]),
         "enterprises", check=ent_check([5.0, 3.0])),
    Case("csv_gbk_title_row_bad_cell_names_row",
         lambda d: write_csv(d / "gbkt.csv", [["企业税收表(合成)", "", "", "", "", "", "", ""],
                                             HEADER, *firm_rows(("5", "x"))], "gbk"),
         "enterprises", refused=["row 4", "column 'tax_wan'", "'x' is not a number"]),
    Case("csv_utf16_refused",
         lambda d: put(d / "u16.csv", ",".join(HEADER).encode("utf-16")), "enterprises",
         refused=["neither UTF-8 nor GB18030"]),
    Case("csv_blank_lines_keep_row_numbers",
         lambda d: write_csv(d / "blank.csv", [HEADER, firm_rows()[0], [], [],
                                              firm_rows(("5", "bad"))[1]]),
         "enterprises", refused=["row 5", "column 'tax_wan'", "'bad' is not a number"]),
    # ---- numbers as people write them ----------------------------------------------------
    Case("thousands_separators",
         lambda d: write_csv(d / "k.csv", [HEADER, *firm_rows(("1,234.5", "12,345.678"),
                                                              ("1,000", "2,500.25"))]),
         "enterprises", check=ent_check([1234.5, 12345.678], [1000.0, 2500.25])),
    Case("full_width_digits",
         lambda d: write_csv(d / "fw.csv", [HEADER, *firm_rows(("１２３４．５", "１，２３４"),
                                                               ("１００", "６０"))]),
         "enterprises", check=ent_check([1234.5, 1234.0], [100.0, 60.0])),
    Case("units_written_in_cells",
         lambda d: write_csv(d / "uc.csv", [HEADER, *firm_rows(("12.5万元", "1500元"),
                                                               ("3亿", "2.5亿元"))]),
         "enterprises", check=ent_check([12.5, 0.15], [30000.0, 25000.0])),
    Case("cell_unit_wins_over_header_unit",
         lambda d: write_csv(d / "uh.csv", [[*HEADER[:7], "税收(元)"],
                                           *firm_rows(("12.5万元", "50000"))]),
         "enterprises", check=ent_check([12.5, 5.0])),
    Case("percentage_in_money_refused",
         lambda d: write_csv(d / "pct.csv", [HEADER, *firm_rows(("12%", "3"))]),
         "enterprises", refused=["row 2", "column 'tax_wan'", "'12%' is a percentage"]),
    Case("percentage_in_growth_target",
         lambda d: write_csv(d / "tg.csv", [["scope_type", "scope_id", "year", "metric", "value"],
                                           ["district", "310113", "2024", "tax_per_mu_growth",
                                            "10%"],
                                           ["district", "310113", "2024", "reclaimed_mu",
                                            "2,000"]]),
         "targets", check=lambda df, prov: (
             df["value"].tolist() == pytest.approx([0.10, 2000.0])
             or pytest.fail(str(df["value"].tolist())))),
    Case("unknown_unit_in_cell_refused",
         lambda d: write_csv(d / "usd.csv", [HEADER, *firm_rows(("12美元", "3"))]),
         "enterprises", refused=["row 2", "column 'tax_wan'", "unit '美元'"]),
    Case("nan_text_is_empty",
         lambda d: write_csv(d / "nan.csv", [[*HEADER, "从业人员"],
                                            [*firm_rows()[0], "NaN"], [*firm_rows()[1], "-"]]),
         "enterprises", check=lambda df, prov: (df["employees"].isna().all()
                                                or pytest.fail("employees not empty"))),
    Case("inf_refused",
         lambda d: write_csv(d / "inf.csv", [HEADER, *firm_rows(("inf", "3"))]),
         "enterprises", refused=["row 2", "column 'tax_wan'", "'inf' is not a finite number"]),
    Case("1e308_refused",
         lambda d: write_csv(d / "big.csv", [[*HEADER, "从业人员"], [*firm_rows()[0], "1e308"],
                                            [*firm_rows()[1], "12"]]),
         "enterprises", refused=["row 2", "column 'employees'", "too large"]),
    Case("area_units_in_cells",
         lambda d: pyogrio.write_dataframe(plots_gdf(3).assign(
             **{"登记面积": ["12亩", "1.5公顷", "8,000㎡"]}), d / "area.geojson",
             driver="GeoJSON") or d / "area.geojson",
         "plots", check=lambda df, prov: (
             df["register_area_m2"].tolist() == pytest.approx([8000.0, 15000.0, 8000.0])
             or pytest.fail(str(df["register_area_m2"].tolist())))),
    Case("project_dates_chinese_and_excel_serial",
         lambda d: write_csv(d / "pd.csv", [["项目编号", "项目名称", "项目阶段", "总投资", "经度",
                                             "纬度", "开工日期", "计划竣工"],
                                            ["X1", "项目", "started", "1", "121.42", "31.35",
                                             "2023年5月1日", "45657"]]),
         "projects", check=lambda df, prov: (
             [df["start_date"].iloc[0], df["planned_completion"].iloc[0]]
             == ["2023-05-01", "2024-12-31"] or pytest.fail(str(df.iloc[0].to_dict())))),
    # ---- ledger dates --------------------------------------------------------------------
    Case("ledger_excel_serial_dates",
         lambda d: ledger_csv(d / "serial.csv", ["45047", "45078.0"]),
         "ledger", check=ledger_dates(["2023-05-01", "2023-06-01"])),
    Case("ledger_chinese_dates",
         lambda d: ledger_csv(d / "zh.csv", ["2023年5月1日", "2023年 6 月 1 日"], "gbk"),
         "ledger", check=ledger_dates(["2023-05-01", "2023-06-01"])),
    Case("ledger_dotted_and_slashed_dates",
         lambda d: ledger_csv(d / "dot.csv", ["2023.5.1", "2023/6/1"]),
         "ledger", check=ledger_dates(["2023-05-01", "2023-06-01"])),
    Case("ledger_xlsx_date_cells_under_title_row",
         lambda d: write_xlsx(d / "ld.xlsx", [["盘活台账(合成)"], ["地块编号", "日期", "当前状态"],
                                              ["P1", pd.Timestamp("2023-05-01"), "已认定"],
                                              ["P2", 45078, "在谈"]]),
         "ledger", check=ledger_dates(["2023-05-01", "2023-06-01"])),
    Case("ledger_impossible_date_refused",
         lambda d: ledger_csv(d / "bad.csv", ["2023-05-01", "2023-13-45"]),
         "ledger", refused=["row 3", "column 'date'", "'2023-13-45' is not a date"]),
    # ---- ids ------------------------------------------------------------------------------
    Case("leading_zeros_kept_csv",
         lambda d: projects_xy(d / "z.csv", [121.42, 121.43], [31.35, 31.36],
                               header=("经度", "纬度"), ids=["00123", "0456"]),
         "projects", check=lambda df, prov: (df["project_id"].tolist() == ["00123", "0456"]
                                             or pytest.fail(str(df["project_id"].tolist())))),
    Case("leading_zeros_kept_xlsx_text",
         lambda d: write_xlsx(d / "z.xlsx", [["项目编号", "项目名称", "项目阶段", "总投资", "经度",
                                              "纬度"],
                                             ["00123", "项目", "started", 10, 121.42, 31.35]]),
         "projects", check=lambda df, prov: (df["project_id"].tolist() == ["00123"]
                                             or pytest.fail(str(df["project_id"].tolist())))),
    Case("ids_differing_by_spaces_refused_as_duplicates",
         lambda d: projects_xy(d / "sp.csv", [121.42, 121.43], [31.35, 31.36],
                               header=("经度", "纬度"), ids=["X 1", "X1"]),
         "projects", refused=["row 2", "row 3", "column 'project_id'", "duplicate id 'X1'"]),
    Case("ids_differing_by_full_width_refused_as_duplicates",
         lambda d: write_shp(d / "fw.shp", plots_gdf(2).assign(plot_id=["Ｐ１", "P1"])),
         "plots", refused=["feature 1", "feature 2", "column 'plot_id'", "duplicate id 'P1'"]),
    Case("full_width_id_normalised",
         lambda d: projects_xy(d / "fwid.csv", [121.42], [31.35], header=("经度", "纬度"),
                               ids=["Ｘ１２ "]),
         "projects", check=lambda df, prov: (
             (df["project_id"].tolist() == ["X12"] and "project_id (ids)" in prov["units"])
             or pytest.fail(f"{df['project_id'].tolist()} {prov}"))),
    Case("two_headers_meaning_one_column_refused",
         lambda d: write_csv(d / "two.csv", [[*HEADER, "ent_id"], [*firm_rows()[0], "E7"]]),
         "enterprises", refused=["column 'ent_id'", "columns '企业编号' and 'ent_id' both mean "
                                 "'ent_id'; keep one"]),
    # ---- Shapefiles: zipped, no .prj, Gauss-Krüger ---------------------------------------
    Case("zipped_shapefile",
         lambda d: write_shp(d / "z.shp", plots_gdf(), zip_it=True),
         "plots", check=lambda df, prov: (_area_mu_check([15.0] * 3)(df, prov),
                                          df["plot_id"].tolist() == ["P1", "P2", "P3"]
                                          or pytest.fail(str(df)))),
    Case("zipped_gbk_shapefile_without_cpg",
         lambda d: write_shp(d / "g.shp", plots_gdf(2, plot_id=["宝山地块1", "宝山地块2"]),
                             encoding="GBK", cpg=False, zip_it=True),
         "plots", check=lambda df, prov: (df["plot_id"].tolist() == ["宝山地块1", "宝山地块2"]
                                          or pytest.fail(str(df["plot_id"].tolist())))),
    Case("shapefile_without_prj_in_degrees_asks_for_crs",
         lambda d: write_shp(d / "deg.shp", plots_gdf(), prj=False),
         "plots", refused=["no coordinate reference system", "--crs", "lon/lat degrees",
                           "gcj02"]),
    Case("shapefile_without_prj_gk_zone_41_in_x",
         lambda d: write_shp(d / "gk41.shp", metres(plots_gdf().to_crs(WORK_CRS), "EPSG:4529"),
                             prj=False),
         "plots", check=lambda df, prov: (
             _area_mu_check([15.0] * 3)(df, prov),
             "EPSG:4529" in prov["conversion"] or pytest.fail(str(prov)))),
    Case("shapefile_without_prj_gk_zone_40_in_x",
         lambda d: write_shp(d / "gk40.shp", metres(squares(
             [100], origin=(330_000.0, 3_420_000.0), land_use=["M1"], status=["in_use"]
         ).to_crs(WORK_CRS), "EPSG:4528"), prj=False),
         "plots", check=lambda df, prov: (_area_mu_check([15.0])(df, prov),
                                          "zone 40" in prov["conversion"]
                                          or pytest.fail(str(prov)))),
    Case("shapefile_without_prj_plain_gk_metres_asks_for_crs",
         lambda d: write_shp(d / "gk.shp", metres(plots_gdf().to_crs(WORK_CRS), "EPSG:4550"),
                             prj=False),
         "plots", refused=["no coordinate reference system", "--crs 32651", "--crs 4550",
                           "--crs 4549"]),
    Case("shapefile_without_prj_loads_with_crs",
         lambda d: write_shp(d / "gkc.shp", metres(plots_gdf().to_crs(WORK_CRS), "EPSG:4550"),
                             prj=False),
         "plots", kw={"crs": "4550"}, check=_area_mu_check([15.0] * 3)),
    Case("csv_gk_zone_number_x_is_northing",
         lambda d: projects_xy(d / "gkn.csv", [gk_point("EPSG:4529")[1]],
                               [gk_point("EPSG:4529")[0]]),
         "projects", check=near_baoshan),
    Case("csv_gk_zone_number_x_is_easting",
         lambda d: projects_xy(d / "gke.csv", [gk_point("EPSG:4529")[0]],
                               [gk_point("EPSG:4529")[1]]),
         "projects", check=near_baoshan),
    Case("csv_plain_metres_asks_for_crs",
         lambda d: projects_xy(d / "m.csv", [BASE_E], [BASE_N]),
         "projects", refused=["column 'geometry'", "metres", "--crs 32651"]),
    # ---- geometry kinds -------------------------------------------------------------------
    Case("3d_polygons_made_2d",
         lambda d: write_shp(d / "z3.shp", gpd.GeoDataFrame(
             plots_gdf().drop(columns="geometry"), crs=STORE_CRS, geometry=[
                 Polygon([(x, y, 4.0) for x, y in g.exterior.coords])
                 for g in plots_gdf().geometry])),
         "plots", check=lambda df, prov: (
             (not df.geometry.has_z.any() and "z_dropped" in prov)
             or pytest.fail(str(prov)), _area_mu_check([15.0] * 3)(df, prov))),
    Case("geometry_collection_refused",
         lambda d: pyogrio.write_dataframe(
             plots_gdf().assign(geometry=lambda g: [
                 g.geometry.iloc[0], GeometryCollection([g.geometry.iloc[1], Point(121.4, 31.3)]),
                 g.geometry.iloc[2]]), d / "gc.geojson", driver="GeoJSON") or d / "gc.geojson",
         "plots", refused=["feature 2", "id P2", "column 'geometry'",
                           "geometry type GeometryCollection"]),
    Case("polygon_with_hole",
         lambda d: pyogrio.write_dataframe(gpd.GeoDataFrame(
             {"plot_id": ["H1"], "land_use": ["M1"], "status": ["in_use"]},
             geometry=[Polygon(box(BASE_E, BASE_N, BASE_E + 100, BASE_N + 100).exterior.coords,
                               [box(BASE_E + 25, BASE_N + 25, BASE_E + 75,
                                    BASE_N + 75).exterior.coords])],
             crs=WORK_CRS).to_crs(STORE_CRS), d / "hole.geojson", driver="GeoJSON")
         or d / "hole.geojson",
         "plots", check=_area_mu_check([11.25], rel=1e-6)),  # 10 000 - 2 500 m² = 11.25 mu
    Case("zero_area_polygon_refused",
         lambda d: pyogrio.write_dataframe(plots_gdf().assign(geometry=lambda g: [
             g.geometry.iloc[0],
             Polygon([(121.42, 31.35), (121.421, 31.351), (121.422, 31.352), (121.42, 31.35)]),
             g.geometry.iloc[2]]), d / "flat.geojson", driver="GeoJSON") or d / "flat.geojson",
         "plots", refused=["feature 2", "id P2", "column 'geometry'", "zero area"]),
    # ---- empty and nearly empty ------------------------------------------------------------
    Case("empty_csv", lambda d: put(d / "e.csv", b""), "enterprises",
         refused=["e.csv is empty"]),
    Case("bom_only_csv", lambda d: put(d / "b.csv", b"\xef\xbb\xbf\n"),
         "enterprises", refused=["b.csv has no data rows"]),
    Case("header_only_csv", lambda d: write_csv(d / "h.csv", [HEADER]), "enterprises",
         refused=["h.csv has no data rows"]),
    Case("header_only_xlsx", lambda d: write_xlsx(d / "h.xlsx", [HEADER]), "enterprises",
         refused=["h.xlsx has no data rows"]),
    Case("empty_xlsx", lambda d: write_xlsx(d / "e.xlsx", []), "enterprises",
         refused=["e.xlsx has no data rows"]),
    Case("geojson_without_features",
         lambda d: put(d / "n.geojson", '{"type": "FeatureCollection", "features": []}'),
         "plots", refused=["n.geojson has no data rows"]),
    Case("ragged_csv_line_refused",
         lambda d: put(d / "r.csv", ",".join(HEADER) + "\n" + ",".join(firm_rows()[0])
                      + ",extra,more\n"),
         "enterprises", refused=["row 2", "r.csv: the row has more fields than the 8 of the header",
                           "must be quoted"]),
]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def base_ws(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "ws.gpkg"
    plots = plots_gdf()
    firms = enterprises_frame([{"ent_id": "E9", "plot_id": "P1", "output_wan": 1.0,
                                "tax_wan": 1.0}])
    Workspace(path).write_layers({"districts": load_districts(), "plots": plots,
                                  "enterprises": firms})
    return path


def test_the_corpus_has_at_least_40_distinct_cases():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) and len(names) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_real_file(case: Case, tmp_path, base_ws):
    ws = tmp_path / "ws.gpkg"
    shutil.copy(base_ws, ws)
    before = sha(ws)
    f = case.build(tmp_path)
    if case.layer == "ledger":
        if case.check is not None:
            events, _, problems = read_events(f)
            assert problems == []
            case.check(events, {})
            assert import_events(ws, f) == len(events)
            return
        with pytest.raises(LayerError) as exc:
            import_events(ws, f)
        msg = str(exc.value)
    elif case.check is not None:
        checked = check_file(f, case.layer, workspace=Workspace(ws), **case.kw)
        assert checked.ok, str(checked.error())
        case.check(checked.frame, checked.provenance)
        return
    else:
        try:
            checked = check_file(f, case.layer, workspace=Workspace(ws), **case.kw)
        except LayerError as err:
            msg = str(err)
        else:
            assert not checked.ok, f"{case.name} loaded but must be refused"
            msg = str(checked.error())
        with pytest.raises(LayerError):
            import_file(ws, f, case.layer, **case.kw)
    for frag in case.refused:
        assert frag in msg, f"{frag!r} not in:\n{msg}"
    assert sha(ws) == before


def test_problems_name_the_excel_row_below_title_rows_in_the_cli(tmp_path, capsys, base_ws):
    from geoapp.cli import main

    f = write_xlsx(tmp_path / "t.xlsx", [["标题(合成)"], ["单位：万元"], HEADER,
                                          *firm_rows(("5", "abc"))])
    ws = tmp_path / "ws.gpkg"
    shutil.copy(base_ws, ws)
    before = sha(ws)
    assert main(["import", str(ws), str(f), "--layer", "enterprises"]) == 1
    err = capsys.readouterr().err
    assert "row 5, id E2, column 'tax_wan': 'abc' is not a number" in err
    assert "Traceback" not in err
    assert sha(ws) == before


def test_gk_assumption_is_said_on_import(tmp_path, capsys, base_ws):
    from geoapp.cli import main

    f = write_shp(tmp_path / "gk.shp", metres(plots_gdf().to_crs(WORK_CRS), "EPSG:4529"),
                  prj=False)
    ws = tmp_path / "ws.gpkg"
    shutil.copy(base_ws, ws)
    assert main(["import", str(ws), str(f), "--layer", "plots"]) == 0
    out = capsys.readouterr().out
    assert "assumed CGCS2000 3-degree Gauss-Krüger zone 41 (EPSG:4529)" in out
    stored = Workspace(ws).read("plots")
    assert np.allclose(stored.to_crs(WORK_CRS).area, 10_000, rtol=2e-3)


BIG_SCRIPT = r'''
import resource, sys, time
from pathlib import Path
import numpy as np
f, n = Path(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
with f.open("w", encoding="utf-8") as fh:
    fh.write("企业编号,企业名称,统一社会信用代码,地块编号,行业,年份,规模,产值,税收,从业人员\n")
    for i in range(n):
        fh.write(f"E{i:06d},企业{i}(合成),91310113MA{i:08d},P{i % 5000},ic,2023,"
                 f"{'above' if i % 3 else 'below'},{rng.random() * 1e4:.2f},"
                 f"\"{rng.random() * 1e3:,.2f}\",{i % 500}\n")
import geoapp.pipeline as pl
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
c = pl.check_file(f, "enterprises")
dt = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(len(c.frame), c.ok, f.stat().st_size / 1e6, base / 1024, peak / 1024, dt)
'''


@pytest.mark.slow
def test_300k_row_enterprise_csv_reads_in_bounded_memory(tmp_path):
    """300 000 rows (26 MB of CSV): measured 2026-12 peak +170 MB over the imports, 4.8 s."""
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", BIG_SCRIPT, str(tmp_path / "big.csv"), "300000"],
                         capture_output=True, text=True, check=True, cwd=repo, timeout=300,
                         env={"PYTHONPATH": str(repo), "PATH": "/usr/bin:/bin"})
    rows, ok, size_mb, base_mb, peak_mb, seconds = out.stdout.split()
    print(f"300k rows: {float(size_mb):.1f} MB file, peak RSS {float(peak_mb):.0f} MB "
          f"(+{float(peak_mb) - float(base_mb):.0f} MB over imports), {float(seconds):.1f} s")
    assert rows == "300000" and ok == "True"
    assert float(peak_mb) - float(base_mb) < 20 * float(size_mb)  # < 530 MB for 26 MB
