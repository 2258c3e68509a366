"""Coordinate systems: what is stored, what is measured in, and the Chinese web offsets.

Geometry is stored and exchanged in WGS84 lon/lat (:data:`STORE_CRS`). Lengths and areas are
measured in UTM zone 51N (:data:`WORK_CRS`), which covers all of Shanghai in one zone (within
0.05 % of true area everywhere in the city). GCJ-02 (AMap/Gaode, Tencent) and BD-09 (Baidu) are
not EPSG systems: they are obfuscation offsets of up to ~500 m from WGS84, handled here by the
published formulas (the ones in eviltransform and every Chinese GIS toolkit), with exact
inverses found by fixed-point iteration to better than 1e-7°.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

STORE_CRS = "EPSG:4326"
"""The CRS every layer is stored and exchanged in (WGS84 lon/lat)."""

WORK_CRS = "EPSG:32651"
"""The projected CRS areas and distances are measured in (WGS 84 / UTM zone 51N)."""

CGCS2000_CRS = "EPSG:4490"
"""China Geodetic Coordinate System 2000, geographic; equal to WGS84 at this product's scale."""

SHANGHAI_BOUNDS = (120.80, 30.60, 122.30, 31.95)
"""Plausible lon/lat extent of Shanghai's districts and their islands (minx, miny, maxx, maxy)."""

SHIFT_SPECS = ("gcj02", "bd09")

_A = 6378245.0  # Krasovsky 1940 semi-major axis used by GCJ-02
_EE = 0.00669342162296594323  # its first eccentricity squared
_X_PI = np.pi * 3000.0 / 180.0
_INVERSE_TOL_DEG = 1e-9
_INVERSE_MAX_ITER = 30


def _out_of_china(lon, lat):
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def _gcj_delta(lon, lat):
    x = lon - 105.0
    y = lat - 35.0
    sqrt_abs_x = np.sqrt(np.abs(x))
    common = (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x + common
    dlat += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x + common
    dlon += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * np.pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    outside = _out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def wgs84_to_gcj02(lon, lat):
    """Shift WGS84 lon/lat to GCJ-02 (the published forward formula).

    Parameters
    ----------
    lon, lat
        Degrees; scalars or arrays of equal shape.

    Returns
    -------
    tuple of ndarray
        GCJ-02 lon, lat in degrees. Points outside China are returned unchanged.
    """
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    dlon, dlat = _gcj_delta(lon, lat)
    return lon + dlon, lat + dlat


def _invert(forward, lon, lat):
    """Solve forward(x) = (lon, lat) by fixed-point iteration (the offset is smooth, < 0.01°)."""
    lon = np.asarray(lon, dtype="float64")
    lat = np.asarray(lat, dtype="float64")
    x, y = lon.copy(), lat.copy()
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = forward(x, y)
        ex, ey = fx - lon, fy - lat
        x, y = x - ex, y - ey
        if np.all(np.abs(ex) < _INVERSE_TOL_DEG) and np.all(np.abs(ey) < _INVERSE_TOL_DEG):
            break
    return x, y


def gcj02_to_wgs84(lon, lat):
    """Exact inverse of :func:`wgs84_to_gcj02`, iterated until the residual is below 1e-9°.

    Parameters
    ----------
    lon, lat
        GCJ-02 degrees; scalars or arrays.

    Returns
    -------
    tuple of ndarray
        WGS84 lon, lat in degrees.
    """
    return _invert(wgs84_to_gcj02, lon, lat)


def gcj02_to_bd09(lon, lat):
    """Shift GCJ-02 lon/lat to Baidu's BD-09 (the published forward formula)."""
    x = np.asarray(lon, dtype="float64")
    y = np.asarray(lat, dtype="float64")
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon, lat):
    """Exact inverse of :func:`gcj02_to_bd09`, iterated to below 1e-9°."""
    return _invert(gcj02_to_bd09, lon, lat)


def wgs84_to_bd09(lon, lat):
    """Shift WGS84 lon/lat to BD-09 (via GCJ-02)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon, lat):
    """Exact inverse of :func:`wgs84_to_bd09` (via GCJ-02)."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_FROM_WGS84 = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _apply(func, geometry):
    def xy(coords):
        lon, lat = func(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geometry, xy)


def shift_to_wgs84(geometry, spec: str):
    """Undo a Chinese web offset on shapely geometries (array-like or one geometry).

    Parameters
    ----------
    geometry
        Geometries whose coordinates are lon/lat in ``spec``.
    spec
        ``"gcj02"`` or ``"bd09"``.
    """
    return _apply(_TO_WGS84[spec], geometry)


def shift_from_wgs84(geometry, spec: str):
    """Apply a Chinese web offset (for display on AMap/Baidu tiles or for export only)."""
    return _apply(_FROM_WGS84[spec], geometry)


@dataclass(frozen=True)
class CrsSpec:
    """What a user said the input coordinates are.

    Attributes
    ----------
    crs
        A CRS pyproj understands (``"EPSG:4326"``, ``"EPSG:4549"``…), the CRS the
        coordinates are read in. For GCJ-02/BD-09 this is WGS84 lon/lat.
    shift
        ``"gcj02"``, ``"bd09"`` or None: the offset to undo after reading.
    """

    crs: str
    shift: str | None = None

    def describe(self) -> str:
        """One line for the workspace's provenance table."""
        if self.shift:
            return f"{self.shift.upper()} lon/lat converted to WGS84 (published inverse, iterated)"
        return f"{self.crs} reprojected to {STORE_CRS}"


def parse_crs(text: str | int | None) -> CrsSpec | None:
    """Parse a ``--crs`` argument: an EPSG code, ``"EPSG:NNNN"``, ``"gcj02"`` or ``"bd09"``.

    Parameters
    ----------
    text
        E.g. ``"4326"``, ``"EPSG:4549"``, ``"gcj02"``, ``"GCJ-02"``, ``"bd09"``, or None.

    Returns
    -------
    CrsSpec or None
        None when ``text`` is None or empty.

    Raises
    ------
    ValueError
        When pyproj does not know the CRS.
    """
    if text is None or str(text).strip() == "":
        return None
    raw = str(text).strip()
    key = raw.lower().replace("-", "").replace("_", "")
    if key in SHIFT_SPECS:
        return CrsSpec(crs=STORE_CRS, shift=key)
    if key.isdigit():
        raw = f"EPSG:{raw}"
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(raw)
    except CRSError as exc:
        raise ValueError(
            f"unknown CRS {text!r}: give an EPSG code (e.g. 4326, 4549), 'gcj02' or 'bd09'"
        ) from exc
    return CrsSpec(crs=raw)
