r"""A fast RFC 7946 GeoJSON writer for GeoDataFrames.

Coordinates are taken out of GEOS once as flat arrays (:func:`shapely.to_ragged_array`),
shifted (GCJ-02, on request), rounded and re-oriented with numpy, and serialised with orjson,
which writes numpy arrays, UTF-8 text (Chinese stays text, no ``\\u`` escapes) and NaN as
``null``. There is no Python loop per vertex, only one list comprehension per ring and one per
feature (with the cyclic garbage collector paused): 100 000 plots take well under the 1.5 s
budget (``benchmarks/bench_geojson.py``).

What the output follows (RFC 7946):

- lon/lat in WGS84 (input in another CRS is reprojected; input without a CRS is refused);
- no ``crs`` member; a top-level ``bbox`` ``[west, south, east, north]``;
- exterior rings counter-clockwise, holes clockwise (section 3.1.6);
- ``precision`` decimals (6 ≈ 0.1 m); Multi* geometries stay Multi*; 2D only (Z is dropped);
- properties: numbers as numbers, NaN/None/NaT as ``null``, dates and timestamps as ISO 8601
  text (``"2023-05-01"`` when a column has no time of day), numpy ints/bools as JSON ints/bools.

Features carry no ``id`` member: GDAL reads a text ``id`` back as an extra attribute column,
so the layer key stays a property (``plot_id``, ``park_id``...).
"""

from __future__ import annotations

import datetime as dt
import decimal
import gc
from collections.abc import Mapping
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from shapely import GeometryType

from layers.crs import STORE_CRS, wgs84_to_gcj02

COORDS = ("wgs84", "gcj02")
"""Coordinate systems an export may be written in."""

GCJ02_NOTE = "GCJ-02 (AMap/Tencent display coordinates; not WGS84)"
"""Value of the top-level ``coordinate_system`` member of GCJ-02 files."""

RESERVED_MEMBERS = ("type", "features", "bbox", "crs", "geometry", "properties")

_OPTIONS = orjson.OPT_SERIALIZE_NUMPY

_POINTS = (GeometryType.POINT, GeometryType.MULTIPOINT)
_LINES = (GeometryType.LINESTRING, GeometryType.MULTILINESTRING)
_POLYGONS = (GeometryType.POLYGON, GeometryType.MULTIPOLYGON)
_NAME_OF = {
    int(GeometryType.POINT): "Point",
    int(GeometryType.MULTIPOINT): "MultiPoint",
    int(GeometryType.LINESTRING): "LineString",
    int(GeometryType.MULTILINESTRING): "MultiLineString",
    int(GeometryType.POLYGON): "Polygon",
    int(GeometryType.MULTIPOLYGON): "MultiPolygon",
}


def check_coords(coords: str) -> str:
    """Return ``coords`` if it is a known output coordinate system, else raise ValueError."""
    if coords not in COORDS:
        raise ValueError(f"coords={coords!r}: expected one of {list(COORDS)}")
    return coords


def to_wgs84(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Reproject to WGS84 lon/lat, refusing a frame without a CRS.

    Parameters
    ----------
    gdf
        Any GeoDataFrame.

    Raises
    ------
    ValueError
        When ``gdf`` is not a GeoDataFrame with an active geometry column, or has no CRS.
    """
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf._geometry_column_name not in gdf:
        raise ValueError(
            "GeoJSON needs a GeoDataFrame with geometry; write tables without geometry as "
            "csv or xlsx"
        )
    if gdf.crs is None:
        raise ValueError(
            "the layer has no CRS: set it first (gdf.set_crs('EPSG:4326') for lon/lat, or the "
            "EPSG code of the projected coordinates), since GeoJSON must be WGS84 lon/lat"
        )
    if gdf.crs.equals(STORE_CRS):
        return gdf
    return gdf.to_crs(STORE_CRS)


# -- geometry ---------------------------------------------------------------------------------


def _prepare(coords: np.ndarray, *, precision: int, shift: bool) -> np.ndarray:
    if shift:
        lon, lat = wgs84_to_gcj02(coords[:, 0], coords[:, 1])
        coords = np.column_stack([lon, lat])
    return np.ascontiguousarray(np.round(coords, precision))


def _orient(coords: np.ndarray, ring_offsets: np.ndarray, exterior: np.ndarray) -> np.ndarray:
    """Reverse the rings whose orientation breaks RFC 7946 (exterior CCW, holes CW)."""
    starts = ring_offsets[:-1].astype(np.int64)
    ends = ring_offsets[1:].astype(np.int64)
    lengths = ends - starts
    if lengths.size == 0:
        return coords
    ring_of = np.repeat(np.arange(lengths.size), lengths)
    # shoelace on coordinates relative to each ring's first vertex (no cancellation)
    x = coords[:, 0] - coords[starts, 0][ring_of]
    y = coords[:, 1] - coords[starts, 1][ring_of]
    cross = np.zeros(len(coords))
    cross[:-1] = x[:-1] * y[1:] - x[1:] * y[:-1]
    cross[ends - 1] = 0.0  # the step from one ring's last vertex to the next ring's first
    area2 = np.add.reduceat(cross, starts)
    flip = np.where(exterior, area2 < 0, area2 > 0)
    if not flip.any():
        return coords
    index = np.arange(len(coords))
    in_flip = flip[ring_of]
    mirrored = (starts + ends - 1)[ring_of] - index
    index[in_flip] = mirrored[in_flip]
    return coords[index]


def _split(coords: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [coords[a:b] for a, b in pairwise(offsets.tolist())]


def _nest(parts: list, part_offsets: np.ndarray, geom_offsets: np.ndarray,
          single: np.ndarray) -> list:
    """Coordinates per geometry from the parts (lines or polygons' rings) of a Multi* array.

    ``part_offsets`` index ``parts`` by member (line or polygon); ``geom_offsets`` index the
    members by geometry. Single geometries (one member) take their member's parts directly.
    """
    if part_offsets is None:  # Multi* of plain parts (MultiLineString): members are the parts
        members = geom_offsets
        out = [parts[a] for a in members[:-1].tolist()]
        for i in np.flatnonzero(~single).tolist():
            out[i] = parts[members[i]:members[i + 1]]
        return out
    first = geom_offsets[:-1]
    starts = part_offsets[first].tolist()
    ends = part_offsets[first + 1].tolist()
    out = [parts[a:b] for a, b in zip(starts, ends, strict=True)]
    for i in np.flatnonzero(~single).tolist():
        out[i] = [parts[part_offsets[m]:part_offsets[m + 1]]
                  for m in range(geom_offsets[i], geom_offsets[i + 1])]
    return out


def _family_coordinates(geoms: np.ndarray, type_ids: np.ndarray, *, precision: int,
                        shift: bool) -> tuple[list, np.ndarray]:
    """GeoJSON ``coordinates`` for geometries of one family (points, lines or polygons)."""
    kind, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    coords = _prepare(coords, precision=precision, shift=shift)
    if kind == GeometryType.POINT:
        return list(coords), coords
    if kind == GeometryType.LINESTRING:
        return _split(coords, offsets[0]), coords
    if kind == GeometryType.MULTIPOINT:
        parts = _split(coords, offsets[0])
        single = (type_ids == GeometryType.POINT).tolist()
        return [p[0] if s else p for p, s in zip(parts, single, strict=True)], coords
    if kind == GeometryType.MULTILINESTRING:
        lines = _split(coords, offsets[0])
        single = type_ids == GeometryType.LINESTRING
        return _nest(lines, None, offsets[1], single), coords
    ring_offsets, polygon_offsets = offsets[0], offsets[1]
    exterior = np.zeros(len(ring_offsets) - 1, dtype=bool)
    firsts = polygon_offsets[:-1][np.diff(polygon_offsets) > 0]
    exterior[firsts] = True
    coords = _orient(coords, ring_offsets, exterior)
    rings = _split(coords, ring_offsets)
    if kind == GeometryType.POLYGON:
        return [rings[a:b] for a, b in pairwise(polygon_offsets.tolist())], coords
    single = type_ids == GeometryType.POLYGON
    return _nest(rings, polygon_offsets, offsets[2], single), coords


def _other_geometry(geom, *, precision: int, shift: bool) -> tuple[orjson.Fragment, np.ndarray]:
    """GeometryCollection / LinearRing: rare, written through GEOS's own GeoJSON writer."""

    def xy(c):
        return _prepare(c, precision=precision, shift=shift)

    geom = shapely.orient_polygons(shapely.transform(geom, xy), exterior_cw=False)
    return orjson.Fragment(shapely.to_geojson(geom)), shapely.bounds(geom)


def geometries(geoms, *, precision: int = 6, shift: bool = False) -> tuple[list, list | None]:
    """GeoJSON geometry objects for an array of shapely geometries in WGS84.

    Parameters
    ----------
    geoms
        Array-like of shapely geometries (None and empty geometries give ``null``).
    precision
        Decimals kept (6 ≈ 0.1 m).
    shift
        Whether to shift coordinates to GCJ-02.

    Returns
    -------
    tuple
        ``(objects, bbox)``: one dict (or None) per geometry, and
        ``[west, south, east, north]`` or None when every geometry is null.
    """
    geoms = np.asarray(geoms, dtype=object)
    out: list[Any] = [None] * len(geoms)
    type_ids = shapely.get_type_id(geoms)
    present = (type_ids >= 0) & ~shapely.is_empty(geoms)
    lows, highs = [], []
    handled = np.zeros(len(geoms), dtype=bool)
    for family in (_POINTS, _LINES, _POLYGONS):
        rows = np.flatnonzero(present & np.isin(type_ids, family))
        if rows.size == 0:
            continue
        handled[rows] = True
        ids = type_ids[rows]
        coordinates, flat = _family_coordinates(geoms[rows], ids, precision=precision,
                                                shift=shift)
        if rows.size == len(geoms):  # the usual case: one family, no nulls
            out = [{"type": _NAME_OF[t], "coordinates": c}
                   for t, c in zip(ids.tolist(), coordinates, strict=True)]
        else:
            for row, t, c in zip(rows.tolist(), ids.tolist(), coordinates, strict=True):
                out[row] = {"type": _NAME_OF[t], "coordinates": c}
        lows.append(flat.min(axis=0))
        highs.append(flat.max(axis=0))
    for row in np.flatnonzero(present & ~handled).tolist():
        out[row], bounds = _other_geometry(geoms[row], precision=precision, shift=shift)
        lows.append(bounds[:2])
        highs.append(bounds[2:])
    if not lows:
        return out, None
    low = np.min(lows, axis=0)
    high = np.max(highs, axis=0)
    return out, [float(v) for v in (*low, *high)]


# -- properties -------------------------------------------------------------------------------


def _default(obj):
    """Convert for orjson the values it does not know (inside object columns)."""
    if obj is pd.NaT or obj is pd.NA:
        return None
    if isinstance(obj, pd.Timestamp | dt.datetime | dt.date | dt.time):
        return obj.isoformat()
    if isinstance(obj, pd.Timedelta):
        return obj.isoformat()
    if isinstance(obj, decimal.Decimal):
        return float(obj)
    if isinstance(obj, shapely.Geometry):
        return obj.wkt
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"cannot write {type(obj).__name__} {obj!r} to GeoJSON")


def _datetimes(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return [None if pd.isna(v) else v.isoformat() for v in series]
    values = series.to_numpy(dtype="datetime64[us]")
    valid = ~np.isnat(values)
    days = values.astype("datetime64[D]")
    midnight = bool(np.all(values[valid] == days[valid]))
    if midnight:
        text = np.datetime_as_string(days, unit="D")
    else:
        seconds = values.astype("datetime64[s]")
        whole = bool(np.all(values[valid] == seconds[valid]))
        text = np.datetime_as_string(seconds if whole else values, unit="s" if whole else "us")
    return np.where(valid, text, None).tolist()


def column_values(series: pd.Series) -> list:
    """JSON-ready Python values of one column (NaN stays float NaN: orjson writes ``null``)."""
    dtype = series.dtype
    if isinstance(series, gpd.GeoSeries):
        return [None if g is None else g.wkt for g in series.to_numpy()]
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return _datetimes(series)
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        return series.to_numpy().tolist()
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
    return series.to_numpy(dtype=object, na_value=None).tolist()


def _columns(frame: pd.DataFrame) -> tuple[list[str], list[list]]:
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError(f"duplicate column names: {names}")
    return names, [column_values(frame[c]) for c in frame.columns]


# -- the writer -------------------------------------------------------------------------------


def encode(gdf: gpd.GeoDataFrame, *, precision: int = 6, coords: str = "wgs84",
           extra: Mapping[str, Any] | None = None) -> bytes:
    """Encode a GeoDataFrame as an RFC 7946 FeatureCollection.

    Parameters
    ----------
    gdf
        Features with a CRS (reprojected to WGS84 when it is another CRS).
    precision
        Decimals kept in coordinates, 0-15 (6 ≈ 0.1 m, the RFC's recommendation).
    coords
        ``"wgs84"`` (default) or ``"gcj02"``: shift coordinates for AMap/Tencent base maps
        and add a top-level ``coordinate_system`` member saying so.
    extra
        Further top-level members (e.g. ``{"name": "plots", "disclosure": "..."}``), written
        before ``bbox`` and ``features``.

    Returns
    -------
    bytes
        UTF-8 JSON.

    Raises
    ------
    ValueError
        No CRS, no geometry, an unknown ``coords``, a bad ``precision``, or an ``extra``
        member that would override a GeoJSON member (``type``, ``features``, ``bbox``,
        ``crs``...).
    """
    check_coords(coords)
    if not 0 <= int(precision) <= 15:
        raise ValueError(f"precision={precision!r}: expected 0-15 decimals")
    gdf = to_wgs84(gdf)
    with _paused_gc():
        return _encode(gdf, precision=int(precision), coords=coords, extra=extra)


@contextmanager
def _paused_gc():
    """Pause the cyclic garbage collector while building ~10⁶ acyclic objects.

    Every few hundred allocations of lists and dicts trigger a collection that scans them all;
    pausing it halves the time of :func:`encode` (the objects have no cycles, and everything is
    freed by reference counting as usual).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _encode(gdf: gpd.GeoDataFrame, *, precision: int, coords: str,
            extra: Mapping[str, Any] | None) -> bytes:
    head: dict[str, Any] = {"type": "FeatureCollection"}
    if coords == "gcj02":
        head["coordinate_system"] = GCJ02_NOTE
    for key, value in (extra or {}).items():
        if key in RESERVED_MEMBERS:
            raise ValueError(f"extra member {key!r} would override GeoJSON's own {key!r}")
        head[key] = value
    geoms, bbox = geometries(gdf.geometry.array, precision=precision, shift=coords == "gcj02")
    names, columns = _columns(gdf.drop(columns=gdf.geometry.name))
    if bbox is not None:
        head["bbox"] = bbox
    if columns:
        head["features"] = [
            {"type": "Feature", "properties": dict(zip(names, row, strict=True)), "geometry": g}
            for row, g in zip(zip(*columns, strict=True), geoms, strict=True)
        ]
    else:
        head["features"] = [{"type": "Feature", "properties": {}, "geometry": g} for g in geoms]
    return orjson.dumps(head, default=_default, option=_OPTIONS)
