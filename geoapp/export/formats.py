"""Export one layer or table: GeoJSON, GeoPackage, Shapefile, CSV or XLSX (:func:`export_layer`).

Coordinates
    WGS84 lon/lat (EPSG:4326) by default. ``coords="gcj02"`` shifts them for AMap/Tencent base
    maps; the file name then carries ``_gcj02`` (:func:`export_path_for`) and the file says so
    (GeoJSON member ``coordinate_system``, GeoPackage layer description and metadata, a
    ``<name>.notes.txt`` beside Shapefile and CSV, the 说明 sheet of XLSX). Exports never write
    into a workspace, so GCJ-02 never reaches one.

CSV and XLSX geometry
    Two columns ``lon``/``lat`` (经度/纬度): the point itself for points, a representative point
    inside the shape for areas (:func:`shapely.point_on_surface`, always inside, unlike the
    centroid). CSV also carries ``wkt``, the full geometry as well-known text (6 decimals), when
    any geometry is not a point, so GDAL/QGIS can read the shapes back; XLSX does not (Excel
    cuts cells at 32 767 characters). CSV is UTF-8 with a byte-order mark so Excel opens Chinese
    text; headers stay the canonical English names (machine-readable). XLSX headers are Chinese
    with the unit in brackets (``亩均税收(万元/亩)``).
"""

from __future__ import annotations

import csv
import os
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geoapp import geojson, words
from geoapp.export import xlsx
from geoapp.export.disclosure import public_table
from geoapp.export.sheets import column_rows, sheet_name, write_about, write_table
from geoapp.geojson import GCJ02_NOTE, check_coords
from layers.crs import STORE_CRS, shift_from_wgs84
from layers.schema import SCHEMAS

FORMATS: dict[str, str] = {
    ".geojson": "geojson", ".json": "geojson", ".gpkg": "gpkg", ".shp": "shp", ".csv": "csv",
    ".xlsx": "xlsx",
}
"""File suffix → export format."""

SUFFIXES = {"geojson": ".geojson", "gpkg": ".gpkg", "shp": ".shp", "csv": ".csv",
            "xlsx": ".xlsx"}
# -- GeoJSON ----------------------------------------------------------------------------------


def export_path_for(path: str | Path, coords: str) -> Path:
    """Name the file of an export in ``coords``: add ``_gcj02`` for GCJ-02.

    Parameters
    ----------
    path
        Requested path, e.g. ``plots.geojson``.
    coords
        ``"wgs84"`` (name unchanged) or ``"gcj02"`` (``plots_gcj02.geojson``, unless the name
        already says gcj02).
    """
    path = Path(path)
    if check_coords(coords) == "gcj02" and "gcj02" not in path.stem.lower().replace("-", ""):
        return path.with_name(f"{path.stem}_gcj02{path.suffix}")
    return path


def geojson_bytes(gdf: gpd.GeoDataFrame, *, precision: int = 6, coords: str = "wgs84",
                  public: bool = False, extra: Mapping[str, Any] | None = None) -> bytes:
    """Encode a layer as RFC 7946 GeoJSON.

    Parameters
    ----------
    gdf
        Features with a CRS (reprojected to WGS84 when another; ValueError when none).
    precision
        Decimals of coordinates (6 ≈ 0.1 m).
    coords
        ``"wgs84"`` or ``"gcj02"`` (adds ``"coordinate_system"``).
    public
        Apply :func:`publicize` and add ``"disclosure"``.
    extra
        Further top-level members, e.g. ``{"name": "plots"}``.

    Returns
    -------
    bytes
        UTF-8 JSON: no ``crs`` member, a ``bbox``, exterior rings counter-clockwise, holes
        clockwise, Chinese as text, NaN/None/NaT as null, dates as ISO text.
    """
    members = dict(extra or {})
    if public:
        gdf, members["disclosure"] = public_table(gdf)
    return geojson.encode(gdf, precision=precision, coords=coords, extra=members)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_geojson(gdf: gpd.GeoDataFrame, path: str | Path, *, precision: int = 6,
                  coords: str = "wgs84", public: bool = False,
                  extra: Mapping[str, Any] | None = None) -> Path:
    """Write :func:`geojson_bytes` to ``path`` (renamed by :func:`export_path_for`).

    Returns
    -------
    Path
        The file written (``*_gcj02.geojson`` for GCJ-02).
    """
    out = export_path_for(path, coords)
    _refuse_workspace(out)
    data = geojson_bytes(gdf, precision=precision, coords=coords, public=public, extra=extra)
    _write_atomic(out, data)
    return out


# -- shared preparation -----------------------------------------------------------------------


def _is_spatial(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and frame._geometry_column_name in frame


def _refuse_workspace(path: Path) -> None:
    """Refuse to overwrite a geoapp workspace (a GeoPackage with geoapp_metadata)."""
    if not path.is_file():
        return
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = con.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'geoapp_metadata'"
            ).fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return
    if found:
        raise ValueError(f"{path} is a geoapp workspace: exports never write into a workspace; "
                         "choose another output file")


def _query(frame: pd.DataFrame, where: str | None) -> pd.DataFrame:
    if where is None or not str(where).strip():
        return frame
    geom = getattr(frame, "_geometry_column_name", None)
    names = [str(c) for c in frame.columns if c != geom]
    if "__" in where or "@" in where:  # no dunder attributes or outside variables: data only
        raise ValueError(f"invalid where expression {where!r}: '__' and '@' are not allowed; "
                         f"compare columns {names} with values")
    try:
        out = frame.query(where)
    except Exception as exc:  # pandas raises many types for a bad expression
        raise ValueError(
            f"invalid where expression {where!r}: {exc}. Use column names {names}"
            ", e.g. \"tax_per_mu < 5 and town_code == '310113101'\" (in public mode only the "
            "public columns are there)"
        ) from exc
    if not isinstance(out, pd.DataFrame) or len(out.columns) != len(frame.columns):
        raise ValueError(f"invalid where expression {where!r}: it must select rows")
    return out


def _positioned(frame: pd.DataFrame, coords: str, crs_out: str) -> pd.DataFrame:
    """Geometry in WGS84, shifted to GCJ-02 on request, then in ``crs_out``."""
    if not _is_spatial(frame):
        return frame
    frame = geojson.to_wgs84(frame)
    if coords == "gcj02":
        name = frame.geometry.name
        shifted = shift_from_wgs84(np.asarray(frame.geometry.array), "gcj02")
        frame = frame.copy()
        frame[name] = gpd.GeoSeries(shifted, index=frame.index, crs=STORE_CRS)
    if not CRS.from_user_input(crs_out).equals(STORE_CRS):
        frame = frame.to_crs(crs_out)
    return frame


def _check_crs_out(fmt: str, crs_out: str, coords: str) -> str:
    try:
        crs = CRS.from_user_input(crs_out)
    except Exception as exc:
        raise ValueError(f"crs_out={crs_out!r}: not a CRS pyproj knows "
                         "(use EPSG:4326 or CGCS2000 EPSG:4490)") from exc
    if crs.equals(STORE_CRS):
        return crs_out
    if coords == "gcj02":
        raise ValueError(f"crs_out={crs_out!r} with coords='gcj02': GCJ-02 is a shift of WGS84 "
                         "lon/lat, so its files are written as EPSG:4326")
    if fmt == "geojson":
        raise ValueError(f"crs_out={crs_out!r}: GeoJSON is always WGS84 lon/lat (RFC 7946); "
                         "use gpkg or shp for CGCS2000 (EPSG:4490)")
    if fmt in ("csv", "xlsx") and not crs.is_geographic:
        raise ValueError(f"crs_out={crs_out!r}: csv and xlsx carry lon/lat, so the CRS must be "
                         "geographic (EPSG:4326 or EPSG:4490)")
    return crs_out


def _date_text(series: pd.Series) -> pd.Series:
    return pd.Series(geojson.column_values(series), index=series.index, dtype=object)


def flat_table(frame: pd.DataFrame, *, wkt: bool) -> pd.DataFrame:
    """Flatten to a table: lon/lat of a representative point (+ WKT), dates as text."""
    if _is_spatial(frame):
        clash = [c for c in ("lon", "lat", "wkt") if c in frame.columns]
        if clash:
            raise ValueError(f"columns {clash} clash with the coordinate columns csv/xlsx add; "
                             "rename them first")
        geoms = np.asarray(frame.geometry.array)
        points = shapely.point_on_surface(geoms)
        table = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        table["lon"] = np.round(shapely.get_x(points), 6)
        table["lat"] = np.round(shapely.get_y(points), 6)
        types = shapely.get_type_id(geoms)
        if wkt and np.any((types >= 0) & (types != shapely.GeometryType.POINT)):
            table["wkt"] = shapely.to_wkt(geoms, rounding_precision=6, trim=True)
    else:
        table = pd.DataFrame(frame)
    for col in table.columns:
        dtype = table[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            table[col] = _date_text(table[col])
        elif pd.api.types.is_object_dtype(dtype):
            table[col] = table[col].map(_cell)
    return table


def _cell(value):
    """Join a list (e.g. several reasons) into one text cell."""
    if isinstance(value, list | tuple | set | frozenset | np.ndarray):
        return words.text("list_sep_values").join(str(v) for v in value)
    return value


def _layer_of(layer_name: str | None, path: Path) -> str | None:
    for name in (layer_name, path.stem.removesuffix("_gcj02")):
        if name in SCHEMAS:
            return name
    return None


def _notes(coords: str, disclosure: str | None) -> dict[str, str]:
    notes = {"coordinate_system": GCJ02_NOTE if coords == "gcj02" else "WGS84 (EPSG:4326)"}
    if disclosure:
        notes["disclosure"] = disclosure
    return notes


def _write_notes(path: Path, notes: Mapping[str, str], columns: Iterable[str],
                 layer: str | None) -> Path:
    lines = [f"{path.name}", ""]
    lines += [f"{k}: {v}" for k, v in notes.items()]
    lines += ["", "columns:"]
    lines += [f"  {words.describe(str(c), layer)}" for c in columns]
    out = path.with_name(f"{path.stem}.notes.txt")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    return out


# -- formats ----------------------------------------------------------------------------------


def _export_geojson(frame, path, *, coords, disclosure, layer, about=(), **_):
    extra = {"disclosure": disclosure} if disclosure else {}
    if about:
        extra["export"] = dict(about)
    _write_atomic(path, geojson.encode(frame, coords=coords, extra=extra))
    return [path]


def _export_gpkg(frame, path, *, coords, crs_out, disclosure, layer_name, **_):
    notes = _notes(coords, disclosure)
    frame = _positioned(frame, coords, crs_out)
    if _is_spatial(frame) and frame.crs is None:
        raise ValueError("the layer has no CRS: set it before exporting")
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.gpkg")
    tmp.unlink(missing_ok=True)
    try:
        pyogrio.write_dataframe(
            frame, tmp, layer=layer_name or path.stem, driver="GPKG", layer_metadata=notes,
            layer_options={"DESCRIPTION": "; ".join(f"{k}: {v}" for k, v in notes.items())},
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return [path]


def shapefile_field_names(columns: Iterable[str], *, encoding: str = "UTF-8",
                          limit: int = 10) -> dict[str, str]:
    """Deterministic unique DBF field names of at most ``limit`` bytes.

    Names that fit keep their name; longer ones are cut to ``limit`` bytes (in ``encoding``:
    a Chinese character is 2 bytes in GBK, 3 in UTF-8) and, on a clash (DBF names are
    case-insensitive), end in the smallest free number: ``tax_per_mu_growth`` → ``tax_per_m1``
    when ``tax_per_mu`` exists.

    Parameters
    ----------
    columns
        Column names in order.
    encoding
        The shapefile's encoding.
    limit
        DBF limit, 10 bytes.

    Returns
    -------
    dict
        ``{original: shapefile name}`` in column order.
    """

    def cut(text: str, size: int) -> str:
        while len(text.encode(encoding)) > size:
            text = text[:-1]
        return text

    columns = [str(c) for c in columns]
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        if len(col.encode(encoding)) <= limit and col.upper() not in used:
            out[col] = col
            used.add(col.upper())
    for col in columns:
        if col in out:
            continue
        name = cut(col, limit)
        i = 0
        while name.upper() in used:
            i += 1
            name = cut(col, limit - len(str(i))) + str(i)
        out[col] = name
        used.add(name.upper())
    return {c: out[c] for c in columns}


def _check_dbf_text(values: pd.Series, column: str, encoding: str) -> None:
    """Refuse text a DBF would silently damage: unencodable characters, > 254 bytes."""
    for value in values.dropna():
        if not isinstance(value, str):
            continue
        try:
            size = len(value.encode(encoding))
        except UnicodeEncodeError:
            raise ValueError(f"column {column!r}: {value!r} cannot be written in {encoding}; "
                             "use encoding='UTF-8' or another format") from None
        if size > 254:
            raise ValueError(f"column {column!r}: a text of {size} bytes does not fit a "
                             "Shapefile field (254 bytes); export as gpkg, geojson or csv")


def _export_shp(frame, path, *, coords, crs_out, encoding, disclosure, layer, **_):
    if not _is_spatial(frame):
        raise ValueError("a Shapefile needs geometry; write tables without geometry as csv, "
                         "xlsx or gpkg")
    frame = _positioned(frame, coords, crs_out)
    families = {"Point": "point", "MultiPoint": "point", "LineString": "line",
                "MultiLineString": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}
    kinds = {families.get(t, t) for t in frame.geom_type.dropna().unique()}
    if len(kinds) > 1:
        raise ValueError(f"a Shapefile holds one kind of geometry, this layer has {sorted(kinds)}"
                         "; export it as gpkg or geojson")
    enc = {"utf8": "UTF-8", "utf-8": "UTF-8", "gbk": "GBK", "cp936": "GBK"}.get(
        encoding.lower(), encoding)
    attrs = [c for c in frame.columns if c != frame.geometry.name]
    names = shapefile_field_names(attrs, encoding=enc)
    table = frame.rename(columns=names)
    for col in names.values():
        dtype = table[col].dtype
        if pd.api.types.is_datetime64_any_dtype(dtype):
            table[col] = _date_text(table[col])
        elif pd.api.types.is_bool_dtype(dtype):
            table[col] = table[col].astype("Int64")
        elif pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype):
            _check_dbf_text(table[col], col, enc)
    for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        path.with_suffix(ext).unlink(missing_ok=True)
    pyogrio.write_dataframe(table, path, driver="ESRI Shapefile", encoding=enc)
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg.write_text(enc, encoding="ascii")
    sidecar = path.with_name(f"{path.stem}.fields.csv")
    with open(sidecar, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh)
        w.writerow(["column", "shapefile_field", "label_zh"])
        for col, short in names.items():
            w.writerow([col, short, words.header(col, layer)])
    files = [path.with_suffix(e) for e in (".shp", ".shx", ".dbf", ".prj", ".cpg")]
    files.append(sidecar)
    if coords == "gcj02" or disclosure:
        files.append(_write_notes(path, _notes(coords, disclosure), attrs, layer))
    return [f for f in files if f.exists()]


def _export_csv(frame, path, *, coords, crs_out, disclosure, layer, **_):
    table = flat_table(_positioned(frame, coords, crs_out), wkt=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    files = [path]
    if coords == "gcj02" or disclosure:
        files.append(_write_notes(path, _notes(coords, disclosure), table.columns, layer))
    return files


def _export_xlsx(frame, path, *, coords, crs_out, disclosure, layer, layer_name, about=(),
                 **_):
    table = flat_table(_positioned(frame, coords, crs_out), wkt=False)
    sheet = sheet_name(SCHEMAS[layer].label_zh if layer
                       else (layer_name or path.stem.removesuffix("_gcj02")))
    notes = _notes(coords, disclosure)
    rows = [(words.text("export.file"), path.name, ""),
            (words.text("export.made_by"), "geoapp", date.today().isoformat())]
    rows += [(k, v, "") for k, v in notes.items()]
    rows += [(words.text(key), words.text(f"{key}_{what}", "zh"),
              words.text(f"{key}_{what}", "en"))
             for key, what in (("export.units", "layer"), ("export.lonlat", "note"))]
    rows += [("", "", ""), *column_rows(table.columns, layer)]
    first = coords == "gcj02" or bool(disclosure)
    with xlsx.workbook(path) as book:
        if first:
            write_about(book, rows)
        write_table(book, sheet, table, layer)
        if about:
            items = [list(col) for col in zip(*about, strict=True)]
            xlsx.write_sheet(book, words.text("export.info_sheet"),
                             [words.text("export.about_item"), words.text("export.about_content")],
                             items, widths=(26, 80), freeze=False)
        if not first:
            write_about(book, rows)
    return [path]


_WRITERS = {
    "geojson": _export_geojson, "gpkg": _export_gpkg, "shp": _export_shp, "csv": _export_csv,
    "xlsx": _export_xlsx,
}


def _format_and_path(path: Path, fmt: str | None) -> tuple[str, Path]:
    suffix = path.suffix.lower()
    if fmt is None:
        if suffix not in FORMATS:
            raise ValueError(f"cannot tell the format of {path.name!r} from its suffix: give "
                             f"fmt= one of {sorted(SUFFIXES)} or a suffix in {sorted(FORMATS)}")
        return FORMATS[suffix], path
    fmt = fmt.lower()
    if fmt not in SUFFIXES:
        raise ValueError(f"fmt={fmt!r}: expected one of {sorted(SUFFIXES)}")
    if suffix in FORMATS and FORMATS[suffix] != fmt:
        raise ValueError(f"fmt={fmt!r} but the file name {path.name!r} says "
                         f"{FORMATS[suffix]!r}: make them agree")
    if suffix not in FORMATS:
        path = path.with_name(path.name + SUFFIXES[fmt])
    return fmt, path


def export_layer(gdf: pd.DataFrame, path: str | Path, *, fmt: str | None = None,
                 coords: str = "wgs84", public: bool = False, crs_out: str = "EPSG:4326",
                 encoding: str = "UTF-8", layer_name: str | None = None,
                 where: str | None = None,
                 about: Sequence[tuple[str, str]] | None = None,
                 names: bool = False) -> list[Path]:
    """Export one layer or analysis table for planners.

    Parameters
    ----------
    gdf
        A GeoDataFrame (with a CRS) or a DataFrame (csv, xlsx, gpkg only).
    path
        Output file; its suffix chooses the format when ``fmt`` is None
        (``.geojson``/``.json``, ``.gpkg``, ``.shp``, ``.csv``, ``.xlsx``).
    fmt
        ``"geojson"``, ``"gpkg"``, ``"shp"``, ``"csv"`` or ``"xlsx"``.
    coords
        ``"wgs84"`` or ``"gcj02"`` (file name gets ``_gcj02``; the file says so).
    public
        Apply the public-mode rule (:func:`publicize`); the file says so.
    crs_out
        GeoPackage/Shapefile CRS: ``"EPSG:4326"`` or CGCS2000 ``"EPSG:4490"`` (CSV/XLSX: a
        geographic CRS; GeoJSON: WGS84 only).
    encoding
        Shapefile encoding, ``"UTF-8"`` or ``"GBK"`` (written to the ``.cpg``).
    layer_name
        Canonical layer name (``"plots"``...) for Chinese labels, and the GeoPackage layer name
        (default: the file stem).
    where
        A pandas query (:meth:`pandas.DataFrame.query`), e.g. ``"tax_per_mu < 5"``, applied
        before writing (after the public-mode rule); ``__`` and ``@`` are refused so the
        expression can only compare columns with values.
    names
        XLSX and GeoJSON: put the name of each coded value beside its code (``status_name``
        在用 after ``status`` in_use, :func:`geoapp.words.with_value_names`).
    about
        ``(item, content)`` rows saying how the export was made (year, filters, settings,
        date): an XLSX gets them on a sheet of their own (导出信息), GeoJSON as the
        top-level member ``"export"``; other formats ignore them.

    Returns
    -------
    list of Path
        Every file written (a Shapefile is several; sidecars included).

    Raises
    ------
    ValueError
        Unknown format or coords, a bad ``where`` (named), no CRS, a CRS the format cannot
        hold, or a path that is a geoapp workspace.
    """
    check_coords(coords)
    fmt, path = _format_and_path(Path(path), fmt)
    path = export_path_for(path, coords)
    crs_out = _check_crs_out(fmt, crs_out, coords)
    _refuse_workspace(path)
    if fmt == "geojson" and not _is_spatial(gdf):
        raise ValueError("GeoJSON needs geometry; write tables without geometry as csv or xlsx")
    disclosure = None
    if public:
        gdf, disclosure = public_table(gdf)
    frame = _query(gdf, where)
    if names and fmt in ("xlsx", "geojson"):
        frame = words.with_value_names(frame)
    path.parent.mkdir(parents=True, exist_ok=True)
    return _WRITERS[fmt](frame, path, coords=coords, crs_out=crs_out, encoding=encoding,
                         disclosure=disclosure, layer=_layer_of(layer_name, path),
                         layer_name=layer_name, about=list(about or ()))


