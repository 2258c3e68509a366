"""The bad-file corpus: each file gives its clear message, exit 1, and an unchanged workspace."""

import hashlib
import json

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, Polygon

from geoapp.boundaries import load_districts
from geoapp.cli import main
from geoapp.workspace import Workspace
from layers.crs import WORK_CRS
from tests.conftest import SHARED_DATA, enterprises_frame, squares


def sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def ws(tmp_path):
    path = tmp_path / "ws.gpkg"
    plots = squares([100, 200], land_use=["M1", "M1"], status=["in_use", "in_use"])
    firms = enterprises_frame([
        {"ent_id": "E1", "plot_id": "P1", "output_wan": 1000.0, "tax_wan": 30.0},
    ])
    Workspace(path).write_layers({"districts": load_districts(), "plots": plots,
                                  "enterprises": firms})
    return path


def good_plots():
    return squares([100, 150, 120], land_use=["M1"] * 3, status=["in_use", "idle", "in_use"])


def write_geojson(frame, path):
    pyogrio.write_dataframe(frame, path, driver="GeoJSON")
    return path


def bowtie_plots():
    """Plot P2 (a 150 m square at easting 350 150) drawn as a bow-tie, in metres, then WGS84."""
    g = good_plots().to_crs(WORK_CRS)
    x0, y0, x1, y1 = 350_150.0, 3_470_000.0, 350_300.0, 3_470_150.0
    g.loc[1, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)])
    return g.to_crs("EPSG:4326")


def corpus(tmp):
    """(name, file, layer, extra args, expected text fragments) for each problem."""
    cases = []
    # missing CRS: a Shapefile without .prj
    f = tmp / "nocrs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        pyogrio.write_dataframe(good_plots().set_crs(None, allow_override=True), f)
    cases.append(("missing_crs", f, "plots", [], ["no coordinate reference system", "--crs"]))
    # coordinates outside the plausible extent: lon/lat swapped on one feature
    g = good_plots()
    g.loc[2, "geometry"] = g.geometry.iloc[2].__class__(
        [(y, x) for x, y in g.geometry.iloc[2].exterior.coords])
    cases.append(("outside_extent", write_geojson(g, tmp / "swapped.geojson"), "plots", [],
                  ["feature 3", "id P3", "column 'geometry'", "outside the plausible extent"]))
    # self-intersecting polygon
    cases.append(("self_intersection", write_geojson(bowtie_plots(), tmp / "bowtie.geojson"),
                  "plots", [], ["feature 2", "id P2", "Self-intersection", "--repair"]))
    # wrong geometry type
    g = good_plots()
    g.loc[0, "geometry"] = Point(121.42, 31.35)
    cases.append(("wrong_type", write_geojson(g, tmp / "point.geojson"), "plots", [],
                  ["feature 1", "geometry type Point", "Polygon"]))
    # duplicate ids
    g = good_plots()
    g.loc[2, "plot_id"] = "P1"
    cases.append(("duplicate_ids", write_geojson(g, tmp / "dup.geojson"), "plots", [],
                  ["feature 1", "feature 3", "duplicate id 'P1'", "column 'plot_id'"]))
    # unknown domain value
    g = good_plots()
    g.loc[1, "status"] = "vacant"
    cases.append(("unknown_status", write_geojson(g, tmp / "status.geojson"), "plots", [],
                  ["feature 2", "column 'status'", "unknown value 'vacant'", "in_use"]))
    # non-numeric and negative money (spreadsheet: Excel row numbers)
    firms = pd.DataFrame({"企业编号": ["E1", "E2", "E3"], "企业名称": ["甲", "乙", "丙"],
                          "地块编号": ["P1", "P2", "P1"], "行业": ["ic"] * 3, "年份": [2023] * 3,
                          "规模": ["above"] * 3, "产值": ["100", "abc", "50"],
                          "税收": ["5", "3", "-2"]})
    f = tmp / "firms.csv"
    firms.to_csv(f, index=False)
    cases.append(("bad_money", f, "enterprises", [],
                  ["row 3", "id E2", "column 'output_wan'", "'abc' is not a number",
                   "row 4", "column 'tax_wan'", "negative value -2"]))
    # dangling reference: enterprise on a plot the workspace does not have
    firms = pd.DataFrame({"ent_id": ["E1"], "name": ["甲"], "plot_id": ["P404"],
                          "industry": ["ic"], "year": [2023], "scale": ["above"],
                          "output_wan": [1.0], "tax_wan": [1.0]})
    f = tmp / "dangling.csv"
    firms.to_csv(f, index=False)
    cases.append(("dangling_plot", f, "enterprises", [],
                  ["row 2", "column 'plot_id'", "'P404' is not a known plots id"]))
    # money in 元 without saying so
    firms = firms.assign(plot_id="P1", output_wan=[2.5e10])
    f = tmp / "yuan.csv"
    firms.to_csv(f, index=False)
    cases.append(("unlabelled_yuan", f, "enterprises", [],
                  ["column 'output_wan'", "look like 元", "--money-unit yuan"]))
    # unknown zone type
    z = squares([300], ids=["Z1"]).rename(columns={"plot_id": "zone_id"}).assign(zone_type="199")
    cases.append(("unknown_zone_type", write_geojson(z, tmp / "zones.geojson"), "zones", [],
                  ["column 'zone_type'", "unknown value '199'", "'104'"]))
    # a GCJ-02 file declared as WGS84: AMap district outlines with --crs 4326
    cases.append(("gcj02_as_wgs84", SHARED_DATA / "shanghai_districts_cnmaps_gcj02.geojson",
                  "districts", ["--crs", "4326"], ["look like GCJ-02", "--crs gcj02"]))
    # a truncated file
    full = write_geojson(good_plots(), tmp / "full.geojson").read_bytes()
    f = tmp / "truncated.geojson"
    f.write_bytes(full[: len(full) // 2])
    cases.append(("truncated", f, "plots", [], ["truncated.geojson could not be read",
                                                "truncated"]))
    gpkg = tmp / "cut.gpkg"
    pyogrio.write_dataframe(good_plots(), gpkg, layer="plots")
    data = gpkg.read_bytes()
    gpkg.write_bytes(data[: len(data) // 3])
    cases.append(("truncated_gpkg", gpkg, "plots", [], ["cut.gpkg could not be read"]))
    return cases


CASE_NAMES = ["missing_crs", "outside_extent", "self_intersection", "wrong_type", "duplicate_ids",
              "unknown_status", "bad_money", "dangling_plot", "unlabelled_yuan",
              "unknown_zone_type", "gcj02_as_wgs84", "truncated", "truncated_gpkg"]


@pytest.mark.parametrize("name", CASE_NAMES)
def test_bad_file_is_refused_with_its_message_and_workspace_unchanged(name, ws, tmp_path, capsys):
    cases = {c[0]: c for c in corpus(tmp_path)}
    assert sorted(cases) == sorted(CASE_NAMES)
    _, f, layer, extra, fragments = cases[name]
    before = sha(ws)
    code = main(["import", str(ws), str(f), "--layer", layer, *extra])
    err = capsys.readouterr().err
    assert code == 1, err
    for frag in fragments:
        assert frag in err, f"{frag!r} not in:\n{err}"
    assert sha(ws) == before
    assert main(["validate", str(f), "--layer", layer, "--workspace", str(ws), *extra]) == 1


def test_all_problems_of_a_file_are_reported_at_once(tmp_path, capsys):
    g = bowtie_plots()
    g.loc[0, "status"] = "vacant"
    g.loc[2, "plot_id"] = "P2"
    f = write_geojson(g, tmp_path / "many.geojson")
    assert main(["validate", str(f), "--layer", "plots"]) == 1
    err = capsys.readouterr().err
    assert "unknown value 'vacant'" in err
    assert "Self-intersection" in err
    assert "duplicate id 'P2'" in err


def test_repair_makes_valid_and_reports_the_area_change(ws, tmp_path, capsys):
    f = write_geojson(bowtie_plots(), tmp_path / "bowtie.geojson")
    assert main(["import", str(ws), str(f), "--layer", "plots", "--repair"]) == 0
    out = capsys.readouterr().out
    assert "repaired: feature 2 (id P2): Self-intersection" in out
    # a 150 m bow-tie is two triangles of 150*75/2 m² each: 11 250 m² = 16.875 mu
    assert "area 0.0 m² -> 11250.0 m²" in out
    plots = Workspace(ws).read("plots")
    assert plots.is_valid.all() and len(plots) == 3


def test_gcj02_file_imports_when_declared(ws, capsys):
    f = SHARED_DATA / "shanghai_districts_cnmaps_gcj02.geojson"
    assert main(["import", str(ws), str(f), "--layer", "districts", "--crs", "gcj02"]) == 0
    assert "GCJ02 lon/lat converted to WGS84" in capsys.readouterr().out
    prov = Workspace(ws).provenance()
    details = json.loads(prov[prov.layer == "districts"]["details"].iloc[-1])
    assert details["source_crs"] == "GCJ02"
    assert len(Workspace(ws).read("districts")) == 16


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["validate"]) == 2
    assert main(["info", str(tmp_path / "none.gpkg")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_valid_file_exits_0(tmp_path, capsys):
    f = write_geojson(good_plots(), tmp_path / "ok.geojson")
    assert main(["validate", str(f), "--layer", "plots"]) == 0
    assert "valid plots layer, 3 rows" in capsys.readouterr().out
    assert isinstance(gpd.read_file(f), gpd.GeoDataFrame)
