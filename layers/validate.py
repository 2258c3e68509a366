"""Validation that a planner can act on: every problem in a layer, each naming row and column.

:func:`validate` checks a frame already read onto its schema (see :func:`layers.io.read_layer`)
and collects every problem at once, like osmnx's ``_validate``; the caller decides whether to
raise (``LayerError``) or to report. Invalid polygons are repaired with ``make_valid`` only
when asked (``repair=True``), and each repair is reported with what it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from layers.crs import SHANGHAI_BOUNDS, WORK_CRS, gcj02_to_wgs84, wgs84_to_gcj02
from layers.errors import Problem
from layers.schema import LayerSchema
from layers.units import M2_PER_MU

MAX_LISTED = 50
"""Problems of one kind listed one by one before the rest are summarised."""

SUSPICIOUS_MONEY_WAN = 1e7
"""A single enterprise or plot figure above 1e7 万元 (1000 亿元) is almost surely in 元."""


@dataclass
class Report:
    """What validation found and what repair did.

    Attributes
    ----------
    problems
        Every problem; empty means valid.
    repairs
        One line per repaired geometry: row, id, and the area change in m².
    """

    problems: list[Problem] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether no problem was found."""
        return not self.problems


def _keys(frame: pd.DataFrame, layer: LayerSchema) -> pd.Series:
    if layer.row_id and layer.row_id in frame.columns:
        return frame[layer.row_id].astype("string")
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _cells(skip_cells, index, column: str) -> pd.Series:
    """Mask of the rows whose ``column`` was already reported as unreadable."""
    return pd.Series([(i, column) in (skip_cells or ()) for i in index], index=index, dtype=bool)


class _Collector:
    def __init__(self, layer: LayerSchema, frame, row_of, row_kind):
        self.layer = layer
        self.keys = _keys(frame, layer)
        self.row_of = row_of
        self.row_kind = row_kind
        self.problems: list[Problem] = []

    def row(self, idx, column, message):
        key = self.keys.get(idx)
        self.problems.append(Problem(
            self.layer.name, message, row=self.row_of(idx),
            key=None if key is None or pd.isna(key) else str(key), column=column,
            row_kind=self.row_kind,
        ))

    def rows(self, mask: pd.Series, column, message: Callable[[object], str] | str):
        idx = mask[mask.fillna(False).astype(bool)].index
        for i, ix in enumerate(idx):
            if i == MAX_LISTED:
                self.layer_problem(column, f"… and {len(idx) - MAX_LISTED} more rows like these")
                break
            self.row(ix, column, message(ix) if callable(message) else message)

    def layer_problem(self, column, message):
        self.problems.append(Problem(self.layer.name, message, column=column))


def validate(
    frame: pd.DataFrame,
    layer: LayerSchema,
    *,
    references: Mapping[str, set[str]] | None = None,
    reference_districts: gpd.GeoDataFrame | None = None,
    extent: tuple[float, float, float, float] = SHANGHAI_BOUNDS,
    repair: bool = False,
    row_of: Callable[[object], int] | None = None,
    row_kind: str = "feature",
    skip_cells: set[tuple[object, str]] | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Check a layer against its schema and collect every problem.

    Parameters
    ----------
    frame
        The layer, read onto canonical column names (WGS84 if spatial).
    layer
        Its schema.
    references
        ``{layer name: set of keys}`` for reference checks, e.g. ``{"plots": {...}}``; a
        reference column whose target is absent here is not checked.
    reference_districts
        Known WGS84 district boundaries; used to tell a GCJ-02/BD-09 file declared as WGS84.
    extent
        Plausible lon/lat extent (minx, miny, maxx, maxy); default Shanghai with islands.
    repair
        Repair invalid polygons with ``shapely.make_valid`` (keeping the polygonal part) and
        report each change, instead of reporting them as problems.
    row_of
        Maps a frame index to the number a planner sees (default: index + 1).
    row_kind
        ``"feature"`` or ``"row"`` (spreadsheet), for the messages.
    skip_cells
        ``{(index, column)}`` already reported as unreadable while reading (not reported
        again as empty).

    Returns
    -------
    frame
        The frame, with repaired geometry when ``repair`` is true.
    Report
        The problems and repairs.
    """
    row_of = row_of or (lambda i: int(i) + 1)
    c = _Collector(layer, frame, row_of, row_kind)
    report = Report()
    missing = [n for n in layer.required if n not in frame.columns]
    if missing:
        have = list(map(str, frame.columns))
        c.layer_problem(None, f"missing columns {missing}; the file has {have}")

    for f in layer.fields:
        if f.name not in frame.columns:
            continue
        col = frame[f.name]
        present = col.notna()
        unreadable = _cells(skip_cells, frame.index, f.name)
        if f.required:
            c.rows(~present & ~unreadable, f.name, "value is empty")
        if f.numeric:
            values = pd.to_numeric(col, errors="coerce")
            if f.nonnegative:
                c.rows(values < 0, f.name, lambda i, v=values: f"negative value {v[i]:g}")
            if f.dtype == "int":
                frac = values.notna() & (values != values.round())
                c.rows(frac, f.name, lambda i, v=values: f"{v[i]:g} is not a whole number")
            if f.dtype == "money":
                big = values > SUSPICIOUS_MONEY_WAN
                c.rows(big, f.name, lambda i, v=values: (
                    f"{v[i]:,.0f} 万元 is implausibly large; the figures look like 元 — declare "
                    "the unit in the header (e.g. 税收(元)) or pass --money-unit yuan"))
        if f.choices is not None:
            text = col.astype("string")
            bad = present & ~text.isin(f.choices)
            if bad.any():
                unknown = sorted(set(text[bad].dropna()))
                c.rows(bad, f.name, lambda i, t=text, ch=f.choices: (
                    f"unknown value '{t[i]}'; expected one of {list(ch)}"))
                c.layer_problem(f.name, f"unknown values {unknown[:20]}; "
                                f"expected one of {list(f.choices)}")

    if layer.name == "enterprises" and {"scale", "output_wan"} <= set(frame.columns):
        above = frame["scale"].astype("string") == "above"
        unreadable = _cells(skip_cells, frame.index, "output_wan")
        c.rows(above & frame["output_wan"].isna() & ~unreadable, "output_wan",
               "value is empty; above-scale (规上) firms must report output")

    if layer.key and layer.key in frame.columns:
        keys = frame[layer.key].astype("string")
        dup = keys.notna() & keys.duplicated(keep=False)
        c.rows(dup, layer.key, lambda i, k=keys: f"duplicate id '{k[i]}'")
    if layer.name == "enterprises" and {"ent_id", "year"} <= set(frame.columns):
        dup = frame.duplicated(["ent_id", "year"], keep=False) & frame["ent_id"].notna()
        c.rows(dup, "ent_id", lambda i: f"enterprise '{frame['ent_id'][i]}' appears twice for "
               f"year {frame['year'][i]}")

    for col, target in layer.references.items():
        if references is None or target not in references or col not in frame.columns:
            continue
        known = references[target]
        vals = frame[col].astype("string")
        dangling = vals.notna() & ~vals.isin(known)
        c.rows(dangling, col, lambda i, v=vals, t=target: f"'{v[i]}' is not a known {t} id")

    if layer.spatial and isinstance(frame, gpd.GeoDataFrame):
        frame = _check_geometry(frame, layer, c, report, repair, extent, reference_districts)
    elif layer.spatial and layer.geometry_required:
        c.layer_problem("geometry", "the file has no geometry; a spatial file or lon/lat columns "
                        "are needed for this layer")
    report.problems = c.problems
    return frame, report


def _check_geometry(frame, layer, c, report, repair, extent, reference_districts):
    if frame.crs is None:
        c.layer_problem("geometry", "no coordinate reference system; pass --crs")
        return frame
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    if layer.geometry_required:
        c.rows(empty, "geometry", "geometry is missing or empty")
    types = geom.geom_type
    wrong = ~empty & ~types.isin(layer.geometry)
    c.rows(wrong, "geometry",
           lambda i: f"geometry type {types[i]}; expected {list(layer.geometry)}")

    ok = ~empty & ~wrong
    bounds = geom[ok].bounds
    if not bounds.empty:
        minx, miny, maxx, maxy = extent
        out = (bounds["minx"] < minx) | (bounds["maxx"] > maxx) | \
              (bounds["miny"] < miny) | (bounds["maxy"] > maxy)
        out = out.reindex(frame.index, fill_value=False)
        if out.all() and len(out) > 0:
            b = frame.total_bounds
            hint = ("; lon and lat look swapped" if extent[1] <= b[0] <= extent[3]
                    and extent[0] <= b[1] <= extent[2] else
                    "; these look like projected metres declared as lon/lat — pass --crs"
                    if abs(b[0]) > 180 else "")
            c.layer_problem("geometry", f"all coordinates lie outside Shanghai's extent {extent}: "
                            f"bounds {np.round(b, 4).tolist()}{hint}")
        else:
            c.rows(out, "geometry", lambda i: (
                "coordinates outside the plausible extent of Shanghai "
                f"{np.round(geom[i].bounds, 4).tolist()}"))
        ok = ok & ~out

    polygonal = ok & types.isin(("Polygon", "MultiPolygon"))
    area, length = shapely.area(geom.values), shapely.length(geom.values)
    flat = polygonal & pd.Series(area <= 1e-9 * length * length, index=frame.index)
    c.rows(flat, "geometry", "polygon has zero area (its points lie on a line); redraw it or "
           "drop the row")
    polygonal = polygonal & ~flat
    invalid = polygonal & ~geom.is_valid
    if invalid.any():
        if repair:
            fixed = _make_valid_polygonal(geom[invalid])
            before = geom[invalid].to_crs(WORK_CRS).area
            after = gpd.GeoSeries(fixed, crs=frame.crs).to_crs(WORK_CRS).area
            for ix in geom[invalid].index:
                key = c.keys.get(ix)
                report.repairs.append(
                    f"{c.row_kind} {c.row_of(ix)} (id {key}): {shapely.is_valid_reason(geom[ix])}; "
                    f"repaired with make_valid, area {before[ix]:.1f} m² -> {after[ix]:.1f} m² "
                    f"({(after[ix] - before[ix]) / M2_PER_MU:+.3f} mu)")
            frame = frame.copy()
            frame.loc[invalid, frame.geometry.name] = fixed.values
        else:
            reasons = geom[invalid].apply(shapely.is_valid_reason)
            c.rows(invalid, "geometry", lambda i: (
                f"invalid polygon ({reasons[i]}); fix it in GIS or import with --repair "
                "(make_valid, with a report of what changed)"))

    if reference_districts is not None and not reference_districts.empty and ok.any():
        msg = detect_shift(frame[ok], reference_districts, layer=layer.name)
        if msg:
            c.layer_problem("geometry", msg)
    return frame


def _make_valid_polygonal(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    fixed = shapely.make_valid(geoms.values)
    out = []
    for g in fixed:
        if g.geom_type == "GeometryCollection":
            polys = [p for p in g.geoms if p.geom_type in ("Polygon", "MultiPolygon")]
            g = shapely.union_all(polys) if polys else shapely.Polygon()
        out.append(g)
    return gpd.GeoSeries(out, index=geoms.index, crs=geoms.crs)


def _boundary_offset_m(geoms, reference_lines) -> float:
    """Median distance in metres from the layer's vertices to the reference boundary lines."""
    pts = shapely.points(shapely.get_coordinates(geoms))
    if len(pts) > 5000:
        pts = pts[:: max(1, len(pts) // 5000)]
    pts = gpd.GeoSeries(pts, crs="EPSG:4326").to_crs(WORK_CRS)
    return float(np.median(pts.distance(reference_lines)))


def detect_shift(frame: gpd.GeoDataFrame, reference: gpd.GeoDataFrame, *, layer: str) -> str | None:
    """Tell a GCJ-02 (or BD-09) file that was declared as WGS84.

    A district or town layer is compared with known WGS84 district boundaries: if its
    vertices sit ~500 m from the reference lines but within tens of metres once converted
    from GCJ-02 to WGS84, the file was GCJ-02. Other layers are checked only when their
    vertices lie near a reference boundary (within 1 km), where the same test applies.

    Returns
    -------
    str or None
        A message naming the offsets and the fix, or None when nothing is suspicious.
    """
    union = gpd.GeoSeries(reference.boundary.union_all(), crs=reference.crs)
    lines = union.to_crs(WORK_CRS).iloc[0]
    geoms = frame.geometry.values
    if layer not in ("districts", "towns"):
        polys = frame.geometry[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
        if polys.empty:
            return None
        geoms = polys.boundary.values
    raw = _boundary_offset_m(geoms, lines)
    if raw < 150 or raw > 1500:
        return None

    def undo(a):
        lon, lat = gcj02_to_wgs84(a[:, 0], a[:, 1])
        return np.column_stack([lon, lat])

    def redo(a):
        lon, lat = wgs84_to_gcj02(a[:, 0], a[:, 1])
        return np.column_stack([lon, lat])

    fixed = _boundary_offset_m(shapely.transform(geoms, undo), lines)
    if fixed < 0.5 * raw and fixed < 100:
        return (f"coordinates look like GCJ-02 (AMap/Tencent) declared as WGS84: the median "
                f"offset from the known district boundaries is {raw:.0f} m as given but "
                f"{fixed:.0f} m after GCJ-02→WGS84 conversion; re-import with --crs gcj02")
    wrong_way = _boundary_offset_m(shapely.transform(geoms, redo), lines)
    if wrong_way < 0.5 * raw and wrong_way < 100:
        return (f"coordinates look already shifted the wrong way (WGS84→GCJ-02 applied twice or "
                f"inverted): offset {raw:.0f} m as given, {wrong_way:.0f} m after a forward shift")
    return None
