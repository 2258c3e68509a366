"""RFC 7946 GeoJSON: geometry rules, properties, precision, GCJ-02; read back with GDAL."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geoapp.export import export_path_for, geojson_bytes, write_geojson
from layers.crs import SHANGHAI_BOUNDS, STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N, squares


def _ring(x0, y0, size, *, ccw):
    return list(box(x0, y0, x0 + size, y0 + size, ccw=ccw).exterior.coords)


@pytest.fixture
def holed_plots():
    """Three plots built in metres with the WRONG orientation for RFC 7946.

    P1: 200 m square (exterior clockwise) with a 50 m hole (counter-clockwise).
    P2: MultiPolygon of two clockwise 100 m squares, the first with a counter-clockwise hole.
    P3: a plain 100 m square, counter-clockwise already.
    """
    e, n = BASE_E, BASE_N
    p1 = Polygon(_ring(e, n, 200, ccw=False), [_ring(e + 75, n + 75, 50, ccw=True)])
    m_a = Polygon(_ring(e + 300, n, 100, ccw=False), [_ring(e + 325, n + 25, 20, ccw=True)])
    m_b = Polygon(_ring(e + 450, n, 100, ccw=False))
    p2 = MultiPolygon([m_a, m_b])
    p3 = box(e + 600, n, e + 700, n + 100)
    gdf = gpd.GeoDataFrame(
        {
            "plot_id": ["P1", "P2", "P3"],
            "name": ["宝山测试地块(合成)", "金山测试地块(合成)", "罗店 \"引号\" 地块"],
            "area_mu": [56.25, 30.0, 15.0],
            "tax_wan": [12.5, np.nan, 0.0],
            "n_enterprises": np.array([3, 0, 5], dtype="int64"),
            "idle": np.array([False, True, False]),
            "supply_year": pd.array([2019, None, 2021], dtype="Int64"),
            "supplied": pd.to_datetime(["2019-05-01", None, "2021-12-31"]),
            "updated": pd.to_datetime(["2024-01-02 08:30:00", "2024-01-03 00:00:00", None]),
        },
        geometry=[p1, p2, p3],
        crs=WORK_CRS,
    )
    return gdf.to_crs(STORE_CRS)


def _rings(geometry: dict):
    polys = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    for poly in polys:
        yield True, poly[0]
        for hole in poly[1:]:
            yield False, hole


def test_rings_are_counter_clockwise_outside_and_clockwise_inside(holed_plots):
    # the input breaks the rule on purpose
    assert not shapely.is_ccw(holed_plots.geometry.iloc[0].exterior)
    doc = json.loads(geojson_bytes(holed_plots))
    checked = {"exterior": 0, "hole": 0}
    for feature in doc["features"]:
        for exterior, ring in _rings(feature["geometry"]):
            assert ring[0] == ring[-1]
            assert bool(shapely.is_ccw(shapely.LinearRing(ring))) is exterior
            checked["exterior" if exterior else "hole"] += 1
    assert checked == {"exterior": 4, "hole": 2}


def test_multi_stays_multi_and_no_crs_member(holed_plots):
    doc = json.loads(geojson_bytes(holed_plots))
    assert doc["type"] == "FeatureCollection"
    assert "crs" not in doc
    assert [f["geometry"]["type"] for f in doc["features"]] == [
        "Polygon", "MultiPolygon", "Polygon"
    ]
    assert len(doc["features"][1]["geometry"]["coordinates"]) == 2
    assert list(doc) == ["type", "bbox", "features"]


def test_bbox_and_lon_lat_ranges(holed_plots):
    doc = json.loads(geojson_bytes(holed_plots))
    np.testing.assert_allclose(doc["bbox"], holed_plots.total_bounds, atol=1e-6)
    west, south, east, north = SHANGHAI_BOUNDS
    for f in doc["features"]:
        xy = shapely.get_coordinates(shapely.from_geojson(json.dumps(f["geometry"])))
        assert ((xy[:, 0] > west) & (xy[:, 0] < east)).all()
        assert ((xy[:, 1] > south) & (xy[:, 1] < north)).all()


@pytest.mark.parametrize("precision", [6, 3])
def test_coordinates_have_at_most_precision_decimals(holed_plots, precision):
    text = geojson_bytes(holed_plots, precision=precision)
    doc = json.loads(text, parse_float=str)  # keep every number as written
    decimals = []
    for f in doc["features"]:
        for _, ring in _rings(f["geometry"]):
            decimals += [len(v.split(".")[1]) if "." in v else 0 for xy in ring for v in xy]
    assert max(decimals) <= precision
    assert max(decimals) == precision  # rounded, not truncated to fewer digits everywhere


def test_properties_types_nulls_dates_and_chinese(holed_plots):
    text = geojson_bytes(holed_plots)
    assert b"\\u" not in text  # Chinese is text, not escapes
    assert "宝山测试地块(合成)".encode() in text
    props = [f["properties"] for f in json.loads(text)["features"]]
    assert props[0] == {
        "plot_id": "P1", "name": "宝山测试地块(合成)", "area_mu": 56.25, "tax_wan": 12.5,
        "n_enterprises": 3, "idle": False, "supply_year": 2019, "supplied": "2019-05-01",
        "updated": "2024-01-02T08:30:00",
    }
    assert props[1]["tax_wan"] is None  # NaN
    assert props[1]["supply_year"] is None  # <NA>
    assert props[1]["supplied"] is None  # NaT
    assert props[1]["idle"] is True
    assert props[2]["updated"] is None
    assert props[2]["name"] == '罗店 "引号" 地块'
    assert type(props[0]["n_enterprises"]) is int


def test_round_trip_through_gdal(holed_plots, tmp_path):
    path = write_geojson(holed_plots, tmp_path / "plots.geojson")
    back = pyogrio.read_dataframe(path)
    assert back.crs.equals(STORE_CRS)
    assert list(back.columns) == list(holed_plots.columns)
    for col in ("plot_id", "name", "n_enterprises", "idle"):
        assert back[col].tolist() == holed_plots[col].tolist()
    np.testing.assert_allclose(back["area_mu"], holed_plots["area_mu"])
    np.testing.assert_allclose(back["tax_wan"], holed_plots["tax_wan"])  # NaN stays NaN
    assert back["supply_year"].tolist()[::2] == [2019, 2021]
    assert pd.isna(back["supply_year"].iloc[1])
    # geometry within 1e-6 degrees (rings may start elsewhere and run the other way)
    for a, b in zip(back.geometry, holed_plots.geometry, strict=True):
        assert a.geom_type == b.geom_type
        assert shapely.hausdorff_distance(a, b) < 1e-6
        assert a.normalize().equals_exact(b.normalize(), tolerance=1e-6)


def test_projected_input_is_reprojected_and_missing_crs_refused(holed_plots):
    in_metres = holed_plots.to_crs(WORK_CRS)
    assert geojson_bytes(in_metres) == geojson_bytes(holed_plots)
    with pytest.raises(ValueError, match="no CRS"):
        geojson_bytes(holed_plots.set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="GeoDataFrame with geometry"):
        geojson_bytes(pd.DataFrame({"a": [1]}))


def test_null_and_empty_geometry_and_points(make_points):
    pts = make_points([(BASE_E, BASE_N), (BASE_E + 10, BASE_N)], ent_id=["E1", "E2"])
    pts.loc[1, "geometry"] = None
    doc = json.loads(geojson_bytes(pts))
    assert doc["features"][0]["geometry"]["type"] == "Point"
    assert doc["features"][1]["geometry"] is None
    assert doc["bbox"][0] == doc["bbox"][2]  # one point: a degenerate box
    empty = gpd.GeoDataFrame({"a": [1]}, geometry=[Polygon()], crs=STORE_CRS)
    doc = json.loads(geojson_bytes(empty))
    assert doc["features"][0]["geometry"] is None
    assert "bbox" not in doc


def test_mixed_geometry_kinds_in_one_layer():
    gdf = gpd.GeoDataFrame(
        {"project_id": ["A", "B", "C"]},
        geometry=[Point(121.4, 31.3), box(121.41, 31.3, 121.42, 31.31),
                  shapely.GeometryCollection([Point(121.43, 31.3)])],
        crs=STORE_CRS,
    )
    doc = json.loads(geojson_bytes(gdf))
    assert [f["geometry"]["type"] for f in doc["features"]] == [
        "Point", "Polygon", "GeometryCollection"
    ]
    np.testing.assert_allclose(doc["bbox"], [121.4, 31.3, 121.43, 31.31])


def test_gcj02_matches_the_published_shanghai_vector():
    # eviltransform's test vector: WGS84 (121.5272106, 31.1774276) -> GCJ-02 below
    gdf = gpd.GeoDataFrame({"id": [1]}, geometry=[Point(121.5272106, 31.1774276)], crs=STORE_CRS)
    doc = json.loads(geojson_bytes(gdf, coords="gcj02", precision=12))
    lon, lat = doc["features"][0]["geometry"]["coordinates"]
    assert lon == pytest.approx(121.531541859215, abs=1e-9)
    assert lat == pytest.approx(31.17530398364597, abs=1e-9)
    assert doc["coordinate_system"].startswith("GCJ-02")
    default = json.loads(geojson_bytes(gdf, coords="gcj02"))
    assert default["features"][0]["geometry"]["coordinates"] == [121.531542, 31.175304]
    wgs = json.loads(geojson_bytes(gdf))
    assert "coordinate_system" not in wgs
    assert wgs["features"][0]["geometry"]["coordinates"] == [121.527211, 31.177428]


def test_gcj02_shift_of_polygons_is_a_few_hundred_metres(tmp_path):
    plots = squares([100])
    path = write_geojson(plots, tmp_path / "plots.geojson", coords="gcj02")
    assert path.name == "plots_gcj02.geojson"
    back = pyogrio.read_dataframe(path)
    shift_m = back.to_crs(WORK_CRS).centroid.distance(plots.to_crs(WORK_CRS).centroid).iloc[0]
    assert 300 < shift_m < 700  # GCJ-02 offsets Shanghai by roughly 500 m
    assert back.geometry.iloc[0].is_valid


def test_export_path_for():
    assert export_path_for("out/plots.geojson", "gcj02").as_posix() == "out/plots_gcj02.geojson"
    assert export_path_for("plots_gcj02.geojson", "gcj02").name == "plots_gcj02.geojson"
    assert export_path_for("plots.shp", "wgs84").name == "plots.shp"
    with pytest.raises(ValueError, match="coords='bd09'"):
        export_path_for("plots.geojson", "bd09")


def test_extra_members_and_reserved_names(holed_plots):
    doc = json.loads(geojson_bytes(holed_plots, extra={"name": "plots", "year": 2023}))
    assert list(doc)[:3] == ["type", "name", "year"]
    with pytest.raises(ValueError, match="'crs'"):
        geojson_bytes(holed_plots, extra={"crs": {"type": "name"}})


def test_agrees_with_geos_own_writer_on_every_geometry_type():
    rng = np.random.default_rng(7)

    def ring(cx, cy, r, k, *, ccw):
        a = np.sort(rng.random(k)) * 2 * np.pi
        xy = np.column_stack([cx + r * np.cos(a), cy + r * np.sin(a)])
        xy = xy if ccw else xy[::-1]
        return np.vstack([xy, xy[:1]])

    poly = Polygon(ring(121.4, 31.3, 0.01, 7, ccw=False), [ring(121.4, 31.3, 0.002, 5, ccw=True)])
    geoms = [
        Point(121.123456789, 31.987654321),
        shapely.MultiPoint([(121.1, 31.1), (121.2, 31.2)]),
        shapely.LineString([(121.1, 31.1), (121.2, 31.25), (121.3, 31.2)]),
        shapely.MultiLineString([[(121.1, 31.1), (121.2, 31.2)], [(121.3, 31.3), (121.4, 31.1)]]),
        poly,
        MultiPolygon([poly, Polygon(ring(121.5, 31.3, 0.01, 6, ccw=False))]),
        None,
    ]
    gdf = gpd.GeoDataFrame({"i": range(len(geoms))}, geometry=geoms, crs=STORE_CRS)
    ours = [f["geometry"] for f in json.loads(geojson_bytes(gdf))["features"]]
    for mine, geom in zip(ours, geoms, strict=True):
        if geom is None:
            assert mine is None
            continue
        rounded = shapely.transform(geom, lambda c: np.round(c, 6))
        expected = json.loads(shapely.to_geojson(shapely.orient_polygons(rounded)))
        assert mine == expected
