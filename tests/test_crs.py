import numpy as np
import pytest
import shapely
from shapely.geometry import Point, box

from layers.crs import (
    CrsSpec,
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    parse_crs,
    shift_from_wgs84,
    shift_to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)

# Published test vectors of eviltransform (wgsLat, wgsLng, gcjLat, gcjLng), the reference
# implementation every Chinese GIS toolkit reproduces.
EVILTRANSFORM = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_wgs84_to_gcj02_matches_published_vectors(wlat, wlon, glat, glon):
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-12)
    assert lat == pytest.approx(glat, abs=1e-12)


@pytest.mark.parametrize(("wlat", "wlon", "glat", "glon"), EVILTRANSFORM)
def test_gcj02_inverse_is_exact_to_1e_6_degree(wlat, wlon, glat, glon):
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert abs(lon - wlon) < 1e-7
    assert abs(lat - wlat) < 1e-7


def test_gcj02_to_bd09_matches_published_vector():
    # coordtransform (wandergis) README: gcj02tobd09(116.404, 39.915)
    lon, lat = gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-12)
    assert lat == pytest.approx(39.92133699351021, abs=1e-12)


def test_bd09_inverses_round_trip_below_1e_7_degree():
    rng = np.random.default_rng(1)
    lon = rng.uniform(120.9, 122.0, 1000)
    lat = rng.uniform(30.7, 31.9, 1000)
    back = gcj02_to_wgs84(*bd09_to_gcj02(*wgs84_to_bd09(lon, lat)))
    assert np.max(np.abs(back[0] - lon)) < 1e-7
    assert np.max(np.abs(back[1] - lat)) < 1e-7
    bl, bt = bd09_to_wgs84(*wgs84_to_bd09(lon, lat))
    assert np.max(np.abs(bl - lon)) < 1e-7
    assert np.max(np.abs(bt - lat)) < 1e-7


def test_shanghai_offset_is_about_480_metres_east_south():
    lon, lat = wgs84_to_gcj02(121.45, 31.35)  # Baoshan
    assert 0.0040 < lon - 121.45 < 0.0050  # about +0.0045° lon (~430 m)
    assert -0.0025 < lat - 31.35 < -0.0015  # about -0.0019° lat (~210 m)


def test_outside_china_is_unchanged():
    lon, lat = wgs84_to_gcj02(-104.9903, 39.7392)  # Denver
    assert (lon, lat) == (-104.9903, 39.7392)


def test_shift_geometry_round_trip_keeps_topology():
    square = box(121.40, 31.30, 121.41, 31.31)
    there = shift_from_wgs84(square, "gcj02")
    back = shift_to_wgs84(there, "gcj02")
    assert shapely.hausdorff_distance(back, square) < 1e-7
    assert there.centroid.x - square.centroid.x == pytest.approx(0.0045, abs=0.0006)
    pts = shift_to_wgs84(np.array([Point(121.531541859215, 31.17530398364597)]), "gcj02")
    assert pts[0].x == pytest.approx(121.5272106, abs=1e-7)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4326", CrsSpec("EPSG:4326")),
        ("EPSG:4549", CrsSpec("EPSG:4549")),
        ("gcj02", CrsSpec("EPSG:4326", "gcj02")),
        ("GCJ-02", CrsSpec("EPSG:4326", "gcj02")),
        ("BD09", CrsSpec("EPSG:4326", "bd09")),
        (None, None),
    ],
)
def test_parse_crs(text, expected):
    assert parse_crs(text) == expected


def test_parse_crs_rejects_unknown_with_advice():
    with pytest.raises(ValueError, match="gcj02"):
        parse_crs("mars")
