"""The bundled AMap boundaries, converted by our own loader, against independent WGS84 data."""

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geoapp.boundaries import BAOSHAN, JINSHAN, load_districts, load_town_codes
from layers.crs import WORK_CRS
from layers.units import M2_PER_MU


def _median_vertex_distance_m(refs, lines):
    xy = shapely.get_coordinates(refs.to_crs(WORK_CRS).geometry.values)
    pts = gpd.GeoSeries(shapely.points(xy), crs=WORK_CRS)
    d = pts.distance(lines)
    near = d < 1000  # OSM town vertices that lie on or next to a district line
    return float(np.median(d[near])), int(near.sum())


def test_converted_district_lines_sit_within_tens_of_metres_of_osm(shared_data):
    # OSM admin_level town polygons (WGS84, ODbL; a test fixture only) share lines with the
    # districts. Raw AMap lines are ~300 m off; converted ones within tens of metres.
    osm = pyogrio.read_dataframe(shared_data / "osm_town_admin_refs_shanghai_odbl.geojson")
    converted = load_districts(None).to_crs(WORK_CRS).boundary.union_all()
    raw = pyogrio.read_dataframe(shared_data / "shanghai_districts_cnmaps_gcj02.geojson")
    raw_lines = raw.to_crs(WORK_CRS).boundary.union_all()
    conv_m, n = _median_vertex_distance_m(osm, converted)
    raw_m, _ = _median_vertex_distance_m(osm, raw_lines)
    assert n > 300
    assert conv_m < 30
    assert raw_m > 200


def test_baoshan_moves_by_the_gcj_offset_and_keeps_its_area(shared_data):
    raw = pyogrio.read_dataframe(shared_data / "shanghai_districts_cnmaps_gcj02.geojson")
    raw_bs = raw[raw["adcode"] == BAOSHAN].to_crs(WORK_CRS).geometry.iloc[0]
    bs = load_districts((BAOSHAN,)).to_crs(WORK_CRS).geometry.iloc[0]
    shift = np.array(raw_bs.centroid.coords[0]) - np.array(bs.centroid.coords[0])
    assert 400 < np.hypot(*shift) < 550  # the ~480 m GCJ-02 offset, removed
    assert shift[0] > 0 and shift[1] < 0  # GCJ-02 lies east and south of WGS84 here
    # A ~480 m shift keeps the area to 0.05 %: 315.9 km² (AMap's outline, which includes the
    # river foreshore) = 473 800 mu.
    assert bs.area / M2_PER_MU == pytest.approx(473_800, rel=1e-3)
    assert bs.area == pytest.approx(raw_bs.area, rel=5e-4)


def test_bundled_codes_and_names():
    d = load_districts()
    assert sorted(d["code"]) == [BAOSHAN, JINSHAN]
    assert set(d["name"]) == {"宝山区", "金山区"}
    assert d.crs.to_epsg() == 4326
    towns = load_town_codes()
    assert len(towns[towns.district_code == BAOSHAN]) == 13
    assert len(towns[towns.district_code == JINSHAN]) == 11
    assert "310113501" in set(towns["code"])  # 宝山工业园区
