"""Property-based fuzzing of the loaders: any input ends in a clean load or a clear error.

"Clear" means :class:`~layers.errors.LayerError`, :class:`~layers.errors.WorkspaceError` or
``ValueError`` with a message; any other exception type (KeyError, TypeError, IndexError …, a
traceback for a planner) fails. Examples are few and unhurried so CI stays fast.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoapp.boundaries import load_districts
from geoapp.ledger import import_events
from geoapp.pipeline import check_file
from geoapp.workspace import Workspace
from layers.errors import LayerError, WorkspaceError
from tests.conftest import squares

EXAMPLES = int(os.environ.get("GEOAPP_FUZZ_EXAMPLES", "40"))  # raise it for a deep run
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 40, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HEADERS = ["企业编号", "企业名称", "地块编号", "行业", "年份", "规模", "产值", "税收(元)",
           "产值(亿元)", "从业人员", "经度", "纬度", "X", "Y", "项目编号", "项目名称",
           "项目阶段", "总投资",
           "日期", "当前状态", "处置方式", "处置面积(亩)", "备注", "单位：元", "合计", "",
           "plot_id", "status", "land_use", "date", "stage"]
CELLS = st.one_of(
    st.sampled_from(["", " ", "-", "nan", "NaN", "inf", "-inf", "1e308", "1,234.5", "１２３",
                     "12.5万元", "3亿", "12%", "00123", "P1", "P 1", "Ｐ１", "above", "below",
                     "ic", "2023", "2023年5月1日", "2023.5.1", "45047", "2023-13-45", "已认定",
                     "已盘活", "腾退", "121.42", "31.35", "41349648", "3470858", "350000",
                     "#DIV/0!", "(100)", "1e-400", "0x10", "∞", "½", "١٢٣"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
)
LAYERS = st.sampled_from(["enterprises", "plots", "projects", "ledger", "targets", "parks"])
CLEAR = (LayerError, WorkspaceError, ValueError)


def grid(min_rows=0):
    return st.integers(min_value=1, max_value=8).flatmap(lambda w: st.tuples(
        st.lists(st.sampled_from(HEADERS), min_size=w, max_size=w),
        st.lists(st.lists(CELLS, min_size=0, max_size=w + 2), min_size=min_rows, max_size=6),
        st.lists(st.lists(CELLS, max_size=2), max_size=2),  # title rows above the header
    ))


def assert_clear(fn):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            fn()
    except CLEAR as exc:
        assert str(exc).strip(), f"{type(exc).__name__} without a message"


def csv_text(cell) -> str:
    s = str(cell)
    if any(c in s for c in ',"\n\r'):
        s = '"' + s.replace('"', '""') + '"'
    return s


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(table=grid(), layer=LAYERS, encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
def test_any_csv_loads_or_is_refused_clearly(table, layer, encoding, fuzz_dir):
    header, rows, titles = table
    lines = [",".join(csv_text(c) for c in r) for r in [*titles, header, *rows]]
    text = "\r\n".join(lines)
    f = fuzz_dir / "fuzz.csv"
    try:
        f.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        f.write_bytes(text.encode("utf-8"))
    assert_clear(lambda: check_file(f, layer))


@FUZZ
@given(data=st.binary(max_size=400), layer=LAYERS,
       suffix=st.sampled_from([".csv", ".xlsx", ".geojson", ".zip", ".shp", ".gpkg"]))
def test_any_bytes_load_or_are_refused_clearly(data, layer, suffix, fuzz_dir):
    f = fuzz_dir / f"bytes{suffix}"
    f.write_bytes(data)
    assert_clear(lambda: check_file(f, layer))


XLSX_CELLS = st.one_of(CELLS.map(lambda s: "".join(c for c in s if c.isprintable() or c == " ")),
                       st.floats(allow_nan=False, allow_infinity=False),
                       st.integers(min_value=-(10**15), max_value=10**15), st.none())


@FUZZ
@given(header=st.lists(st.sampled_from(HEADERS), min_size=1, max_size=8),
       rows=st.lists(st.lists(XLSX_CELLS, max_size=9), max_size=5),
       title_rows=st.integers(min_value=0, max_value=3), layer=LAYERS)
def test_any_xlsx_loads_or_is_refused_clearly(header, rows, title_rows, layer, fuzz_dir):
    wb = openpyxl.Workbook()
    ws = wb.active
    for _ in range(title_rows):
        ws.append(["标题(合成)"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    f = fuzz_dir / "fuzz.xlsx"
    wb.save(f)
    assert_clear(lambda: check_file(f, layer))


COORD = st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                  st.floats(min_value=121.0, max_value=122.0),
                  st.floats(min_value=31.0, max_value=31.8))
RING = st.lists(st.tuples(COORD, COORD), min_size=0, max_size=6)
GEOMETRY = st.one_of(
    st.none(),
    st.builds(lambda p: {"type": "Point", "coordinates": list(p)}, st.tuples(COORD, COORD)),
    st.builds(lambda r: {"type": "Polygon", "coordinates": [[list(p) for p in r]]}, RING),
    st.builds(lambda r: {"type": "LineString", "coordinates": [list(p) for p in r]}, RING),
    st.builds(lambda rs: {"type": "MultiPolygon",
                          "coordinates": [[[list(p) for p in r]] for r in rs]},
              st.lists(RING, max_size=3)),
    st.builds(lambda gs: {"type": "GeometryCollection", "geometries": gs},
              st.lists(st.builds(lambda p: {"type": "Point", "coordinates": list(p)},
                                 st.tuples(COORD, COORD)), max_size=2)),
)
PROPS = st.dictionaries(st.sampled_from(["plot_id", "地块编号", "land_use", "status", "状态",
                                         "name", "code", "zone_type", "park_id", "level",
                                         "register_area_m2", "登记面积(亩)"]),
                        st.one_of(CELLS, st.integers(), st.floats(), st.none()), max_size=6)


@FUZZ
@given(features=st.lists(st.tuples(GEOMETRY, PROPS), max_size=5),
       layer=st.sampled_from(["plots", "parks", "zones", "districts", "projects"]),
       crs=st.sampled_from([None, None, "4326", "gcj02", "32651"]))
def test_any_geojson_loads_or_is_refused_clearly(features, layer, crs, fuzz_dir):
    fc = {"type": "FeatureCollection",
          "features": [{"type": "Feature", "geometry": g, "properties": p} for g, p in features]}
    f = fuzz_dir / "fuzz.geojson"
    f.write_text(json.dumps(fc, allow_nan=True), encoding="utf-8")
    assert_clear(lambda: check_file(f, layer, crs=crs))


@pytest.fixture(scope="module")
def ledger_ws(tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzzws") / "ws.gpkg"
    plots = squares([100, 100, 100], land_use=["M1"] * 3, status=["in_use"] * 3)
    Workspace(path).write_layers({"districts": load_districts(), "plots": plots})
    return path


LEDGER_HEADERS = ["地块编号", "日期", "当前状态", "处置方式", "处置面积(亩)", "备注", "详细进展",
                  "plot_id", "date", "stage", "mode", "reclaimed_mu", "note", "企业名称"]
LEDGER_CELLS = st.one_of(CELLS, st.sampled_from(["P1", "P2", "P3", "P4", "2023-05-01",
                                                 "2024/1/2", "已认定", "推进中", "已盘活",
                                                 "已再利用", "收储", "更正: 合成", "5", "-1",
                                                 "2999-01-01"]))


@FUZZ
@given(header=st.lists(st.sampled_from(LEDGER_HEADERS), min_size=1, max_size=7, unique=True),
       rows=st.lists(st.lists(LEDGER_CELLS, max_size=8), max_size=5),
       xlsx=st.booleans())
def test_any_ledger_import_is_clean_or_refused_clearly(header, rows, xlsx, ledger_ws,
                                                       fuzz_dir):
    ws = fuzz_dir / "ledger_ws.gpkg"
    shutil.copy(ledger_ws, ws)
    if xlsx:
        wb = openpyxl.Workbook()
        sheet = wb.active
        sheet.append(header)
        for r in rows:
            sheet.append(["".join(c for c in str(v) if c.isprintable()) for v in r])
        f = fuzz_dir / "ledger.xlsx"
        wb.save(f)
    else:
        f = fuzz_dir / "ledger.csv"
        f.write_text("\n".join(",".join(csv_text(c) for c in r) for r in [header, *rows]),
                     encoding="utf-8")
    before = Workspace(ws).counts()["ledger"]
    try:
        n = import_events(ws, f)
    except CLEAR as exc:
        assert str(exc).strip()
        assert Workspace(ws).counts()["ledger"] == before  # nothing partial
    else:
        assert Workspace(ws).counts()["ledger"] == before + n

