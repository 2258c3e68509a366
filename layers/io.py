"""Reading planners' files onto the canonical layer schemas.

Everything that arrives passes through :func:`read_layer`: GeoPackage, GeoJSON, Shapefile
(encoding from the ``.cpg`` or sniffed: UTF-8 and GBK both occur), GeoParquet, and CSV/XLSX
with lon/lat columns or keyed by ``plot_id``. Headers are mapped to canonical names (Chinese
headers included), money given in 元 or 亿元 is converted to 万元 when the header says so, and
coordinates are converted to WGS84 (EPSG codes via pyproj; GCJ-02/BD-09 via :mod:`layers.crs`).
What was done is recorded in the returned :class:`Loaded` provenance.
"""

from __future__ import annotations

import hashlib
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from layers.crs import STORE_CRS, CrsSpec, parse_crs, shift_to_wgs84
from layers.errors import LayerError, Problem
from layers.schema import LAT_HEADERS, LON_HEADERS, LayerSchema, schema
from layers.units import AREA_UNITS_M2, FIELD_UNIT_M2, MONEY_UNITS

SPATIAL_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".parquet", ".geoparquet", ".zip"}
TABLE_SUFFIXES = {".csv", ".txt", ".xlsx", ".xls"}
_UNIT_RE = re.compile(r"^(?P<name>.*?)\s*[\(（\[]\s*(?P<unit>[^\)）\]]+)\s*[\)）\]]\s*$")
_SUFFIX_UNITS = {"_yuan": "yuan", "_yi": "yi", "_wan": "wan"}


@dataclass
class Loaded:
    """A file read onto a layer's schema.

    Attributes
    ----------
    frame
        GeoDataFrame in :data:`~layers.crs.STORE_CRS` (or a DataFrame for tables), indexed by
        the 0-based data row of the file (blank spreadsheet rows are dropped, so the index of
        a spreadsheet may have gaps: :meth:`row_number` still gives the row Excel shows).
    row_kind
        ``"row"`` for spreadsheets (problems name Excel row numbers) or ``"feature"``.
    provenance
        What was read and done: source path, sha256, source CRS, conversion, header mapping,
        unit conversions, encoding.
    problems
        Problems found while reading (unparseable numbers, unknown units …), before validation.
    unreadable
        ``{(index, column)}`` of the cells behind those problems (now empty in ``frame``).
    """

    frame: pd.DataFrame
    row_kind: str
    provenance: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    unreadable: set[tuple[Any, str]] = field(default_factory=set)

    def row_number(self, index) -> int:
        """The number a planner sees for frame index ``index`` (Excel row, or feature number)."""
        return int(index) + (2 if self.row_kind == "row" else 1)


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, for provenance."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def sniff_dbf_encoding(shp_path: Path) -> str:
    """Encoding of a Shapefile's attributes: its ``.cpg`` if present, else UTF-8 or GBK.

    The text of a DBF is tried as UTF-8; GBK-encoded Chinese almost never decodes as UTF-8,
    so a failure means GBK (the encoding of ArcGIS exports on Chinese Windows).
    """
    shp_path = Path(shp_path)
    cpg = shp_path.with_suffix(".cpg")
    if cpg.exists():
        text = cpg.read_text(errors="replace").strip()
        if text:
            return "UTF-8" if text.upper().replace("-", "") in ("UTF8", "65001") else text
    dbf = shp_path.with_suffix(".dbf")
    if not dbf.exists():
        return "UTF-8"
    data = dbf.read_bytes()
    if len(data) < 32:
        return "UTF-8"
    header_len = struct.unpack("<H", data[8:10])[0]
    try:
        data[header_len:].decode("utf-8")
    except UnicodeDecodeError:
        return "GBK"
    return "UTF-8"


def _normalise_header(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).strip().lower()


def map_headers(columns, layer: LayerSchema) -> tuple[dict[str, str], dict[str, str]]:
    """Map a file's headers to canonical names and find the money unit each one declares.

    Parameters
    ----------
    columns
        The file's headers, e.g. ``["地块编号", "税收(元)", "行业"]``.
    layer
        The schema to map onto.

    Returns
    -------
    rename
        ``{file header: canonical name}`` for every header recognised.
    units
        ``{canonical name: unit}`` for money headers that declare a unit, e.g.
        ``{"tax_wan": "元"}``.
    """
    lookup: dict[str, str] = {}
    for f in layer.fields:
        lookup[_normalise_header(f.name)] = f.name
        for alias in f.aliases:
            lookup.setdefault(_normalise_header(alias), f.name)
        if f.dtype == "money" and f.name.endswith("_wan"):
            stem = f.name[: -len("_wan")]
            lookup.setdefault(stem, f.name)
            for suffix, unit in _SUFFIX_UNITS.items():
                lookup.setdefault(f"{stem}{suffix}", f"{f.name}|{unit}")
    rename: dict[str, str] = {}
    units: dict[str, str] = {}
    for col in columns:
        if col == "geometry":
            continue
        norm = _normalise_header(col)
        unit = None
        target = lookup.get(norm)
        if target is None:
            m = _UNIT_RE.match(str(col).strip())
            if m:
                target = lookup.get(_normalise_header(m["name"]))
                unit = m["unit"].strip()
        if target is None:
            continue
        if "|" in target:
            target, unit = target.split("|")
        if target in rename.values():
            continue  # first header wins; the other stays as an extra column
        rename[col] = target
        if unit is not None and (layer.field(target).dtype == "money"
                                 or layer.field(target).unit in FIELD_UNIT_M2):
            units[target] = unit
    return rename, units


def _read_table(path: Path, sheet: str | int | None) -> pd.DataFrame:
    """Read a spreadsheet as text, dropping blank rows.

    Dropped rows keep their place in the index, so index + 2 is still the row Excel shows.
    """
    if path.suffix.lower() in (".xlsx", ".xls"):
        frame = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str)
        return frame.dropna(how="all")
    raw = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        frame = pd.read_csv(path, dtype=str, encoding=enc, keep_default_na=False,
                            na_values=[""], skip_blank_lines=False)
        return frame.dropna(how="all")
    raise ValueError(f"{path}: text is neither UTF-8 nor GB18030/GBK")


def _find(columns, names) -> str | None:
    norm = {_normalise_header(c): c for c in columns}
    for n in names:
        if n in norm:
            return norm[n]
    return None


def _points_from_table(df: pd.DataFrame, problems: list[Problem], layer: str):
    lon_col = _find(df.columns, LON_HEADERS)
    lat_col = _find(df.columns, LAT_HEADERS)
    x_col = _find(df.columns, ("x",))
    y_col = _find(df.columns, ("y",))
    if lon_col is None and x_col is not None and y_col is not None:
        lon_col, lat_col = x_col, y_col
    if lon_col is None or lat_col is None:
        return None, None
    lon = pd.to_numeric(df[lon_col], errors="coerce")
    lat = pd.to_numeric(df[lat_col], errors="coerce")
    for col, values in ((lon_col, lon), (lat_col, lat)):
        bad = values.isna() & df[col].notna()
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(layer, f"'{df[col].iloc[i]}' is not a number",
                                    row=int(df.index[i]) + 2, column=col))
    geom = gpd.points_from_xy(lon, lat)
    geom[(lon.isna() | lat.isna()).to_numpy()] = None
    return geom, (lon_col, lat_col)


def _declared_crs(spec: CrsSpec | None, frame) -> tuple[str | None, str | None]:
    """The CRS to read coordinates in, and what the file itself said."""
    file_crs = frame.crs.to_string() if getattr(frame, "crs", None) is not None else None
    if spec is not None:
        return spec.crs, file_crs
    return file_crs, file_crs


def _swap_if_northing_first(geom, crs: str) -> tuple[Any, bool]:
    """Chinese survey tables often give X = northing; swap when the numbers say so."""
    from pyproj import CRS

    c = CRS.from_user_input(crs)
    if not c.is_projected:
        return geom, False
    xy = gpd.GeoSeries(geom).get_coordinates()
    if xy.empty:
        return geom, False
    x_med, y_med = float(xy["x"].median()), float(xy["y"].median())
    # Shanghai: northings ~3.3-3.55 million m; eastings < 1 million (zone-prefixed: 40/41 M).
    if 3.0e6 < x_med < 3.7e6 and not 3.0e6 < y_med < 3.7e6:
        import shapely

        return shapely.transform(np.asarray(geom), lambda a: a[:, ::-1]), True
    return geom, False


def _coerce_types(frame: pd.DataFrame, layer: LayerSchema, units: dict[str, str],
                  problems: list[Problem], row_of, unreadable: set) -> dict[str, str]:
    """Turn columns to their schema types; report values that cannot be read. Returns unit notes."""
    notes: dict[str, str] = {}
    ids = (frame[layer.row_id].astype("string") if layer.row_id in frame.columns
           else pd.Series(pd.NA, index=frame.index, dtype="string"))

    def bad_cell(i, column, message):
        ix = frame.index[i]
        key = ids.iloc[i]
        unreadable.add((ix, column))
        problems.append(Problem(layer.name, message, row=row_of(ix), column=column,
                                key=None if pd.isna(key) else str(key)))

    for f in layer.fields:
        if f.name not in frame.columns:
            continue
        col = frame[f.name]
        if f.numeric:
            text = col.astype("string").str.strip().str.replace(",", "", regex=False)
            text = text.mask(text.isin(["", "-", "—", "nan", "NaN", "None", "<NA>"]))
            values = pd.to_numeric(text, errors="coerce")
            bad = values.isna() & text.notna()
            for i in np.flatnonzero(bad.to_numpy()):
                bad_cell(i, f.name, f"'{text.iloc[i]}' is not a number")
            if f.name in units and f.unit in FIELD_UNIT_M2:
                unit = units[f.name]
                per_m2 = AREA_UNITS_M2.get(unit.replace(" ", "").lower())
                if per_m2 is None:
                    problems.append(Problem(
                        layer.name, f"unknown area unit '{unit}' in the header; use 平方米, 亩 "
                        "or 公顷", column=f.name))
                else:
                    factor = per_m2 / FIELD_UNIT_M2[f.unit]
                    if abs(factor - 1.0) > 1e-12:
                        values = values * factor
                        notes[f.name] = f"converted from {unit} to {f.unit} (×{factor:g})"
            elif f.name in units:
                unit = units[f.name]
                factor = MONEY_UNITS.get(unit.replace(" ", "").lower())
                if factor is None:
                    problems.append(Problem(
                        layer.name,
                        f"unknown money unit '{unit}' in the header; use 元, 万元 or 亿元",
                        column=f.name,
                    ))
                elif factor != 1.0:
                    values = values * factor
                    notes[f.name] = f"converted from {unit} to 万元 (×{factor:g})"
            frame[f.name] = values.astype("float64")
        elif f.dtype == "date":
            text = col.astype("string").str.strip()
            # 2023年6月1日 / 2023.6.1 / 2023/6/1 → 2023-6-1
            text = text.str.replace(r"^(\d{4})\s*[年./]\s*(\d{1,2})\s*[月./]\s*(\d{1,2})\s*日?$",
                                    r"\1-\2-\3", regex=True)
            text = text.mask(text.isin(["", "nan", "NaT", "None", "<NA>"]))
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
            bad = parsed.isna() & text.notna()
            for i in np.flatnonzero(bad.to_numpy()):
                bad_cell(i, f.name, f"'{text.iloc[i]}' is not a date (use YYYY-MM-DD)")
            frame[f.name] = parsed.dt.strftime("%Y-%m-%d").astype("str")
        else:
            text = col.astype("string").str.strip()
            if f.dtype == "code":
                # Excel turns codes into floats: "310113.0" -> "310113"
                text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
            frame[f.name] = text.mask(text == "").astype("str")
    return notes


def read_layer(
    path: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    source_layer: str | None = None,
    money_unit: str | None = None,
) -> Loaded:
    """Read a file onto a canonical layer.

    Parameters
    ----------
    path
        GeoPackage, GeoJSON, Shapefile, GeoParquet, CSV or XLSX.
    layer
        Canonical layer name (``"plots"``, ``"enterprises"`` …).
    crs
        What the coordinates are: EPSG code, ``"gcj02"`` or ``"bd09"``. Overrides the file's
        own CRS (GCJ-02 files usually claim WGS84). CSV/XLSX lon/lat default to WGS84.
    encoding
        Attribute encoding of a Shapefile; sniffed when None.
    sheet
        Sheet of an XLSX file (default: the first).
    source_layer
        Layer inside a multi-layer GeoPackage (default: the one named like ``layer``, else
        the first).
    money_unit
        Unit of money columns whose header declares none: ``"wan"`` (default), ``"yuan"``, ``"yi"``.

    Returns
    -------
    Loaded
        The frame in WGS84, with problems found while reading; call
        :func:`layers.validate.validate` next.

    Raises
    ------
    LayerError
        When the file cannot be read at all (missing, truncated, not a GIS file).
    """
    path = Path(path)
    lay = schema(layer)
    problems: list[Problem] = []
    spec = parse_crs(crs)
    suffix = path.suffix.lower()
    prov: dict[str, Any] = {"layer": layer, "source": str(path), "format": suffix.lstrip(".")}
    if not path.exists():
        raise LayerError(layer, [f"file {path} does not exist"])
    prov["sha256"] = sha256_of(path)
    try:
        if suffix in TABLE_SUFFIXES:
            row_kind = "row"
            frame = _read_table(path, sheet)
            geom, xy_cols = (None, None)
            if lay.spatial:
                geom, xy_cols = _points_from_table(frame, problems, layer)
            if geom is not None:
                frame = frame.drop(columns=list(xy_cols))
                frame = gpd.GeoDataFrame(frame, geometry=geom, crs=STORE_CRS)
                read_crs = spec.crs if spec else STORE_CRS
                prov["coordinates"] = f"columns {list(xy_cols)}"
                file_crs = None if spec else "assumed EPSG:4326 (lon/lat columns)"
            else:
                read_crs = file_crs = None
        elif suffix in SPATIAL_SUFFIXES:
            row_kind = "feature"
            kw: dict[str, Any] = {}
            if suffix == ".shp":
                enc = encoding or sniff_dbf_encoding(path)
                kw["encoding"] = enc
                prov["encoding"] = enc + ("" if encoding else " (detected)")
            elif encoding:
                kw["encoding"] = encoding
            if suffix == ".gpkg":
                names = [n for n, _ in pyogrio.list_layers(path)]
                kw["layer"] = source_layer or (layer if layer in names else names[0])
                prov["source_layer"] = kw["layer"]
            if suffix in (".parquet", ".geoparquet"):
                frame = gpd.read_parquet(path)
            else:
                frame = pyogrio.read_dataframe(path, **kw)
            read_crs, file_crs = _declared_crs(spec, frame)
        else:
            raise LayerError(layer, [
                f"{path.name}: unsupported file type '{suffix}'; use .gpkg, .geojson, .shp, "
                ".parquet, .csv or .xlsx"
            ])
    except LayerError:
        raise
    except Exception as exc:  # GDAL/pyarrow/openpyxl errors on truncated or foreign files
        raise LayerError(layer, [
            f"{path.name} could not be read ({type(exc).__name__}: {exc}); the file may be "
            "truncated or not a GIS file"
        ]) from exc

    if row_kind == "feature":
        frame = frame.reset_index(drop=True)
    rename, units = map_headers(frame.columns, lay)
    if money_unit:
        for f in lay.fields:
            if f.dtype == "money" and f.name not in units:
                units[f.name] = money_unit
    frame = frame.rename(columns=rename)
    prov["headers"] = {k: v for k, v in rename.items() if k != v}

    def row_of(i):
        return int(i) + (2 if row_kind == "row" else 1)

    unreadable: set[tuple[Any, str]] = set()
    notes = _coerce_types(frame, lay, units, problems, row_of, unreadable)
    for p in problems:
        object.__setattr__(p, "row_kind", row_kind)
    if notes:
        prov["units"] = notes

    if isinstance(frame, gpd.GeoDataFrame) and lay.spatial:
        prov["file_crs"] = file_crs
        if read_crs is None:
            problems.append(Problem(
                layer,
                "the file has no coordinate reference system; pass --crs (e.g. --crs 4326, "
                "--crs 4549, --crs gcj02)",
            ))
            prov["conversion"] = None
        else:
            if spec is not None or frame.crs is None:
                frame = frame.set_crs(read_crs, allow_override=True)
            geom, swapped = _swap_if_northing_first(frame.geometry.array, read_crs)
            if swapped:
                frame = frame.set_geometry(gpd.GeoSeries(geom, index=frame.index, crs=frame.crs))
                prov["axis_swap"] = "X/Y given as northing/easting; swapped"
            if frame.crs.to_epsg() != 4326:
                frame = frame.to_crs(STORE_CRS)
            if spec is not None and spec.shift:
                frame = frame.set_geometry(
                    gpd.GeoSeries(shift_to_wgs84(frame.geometry.array, spec.shift),
                                  index=frame.index, crs=STORE_CRS)
                )
            prov["source_crs"] = spec.shift.upper() if spec and spec.shift else str(read_crs)
            prov["conversion"] = (spec.describe() if spec else
                                  (None if str(read_crs) in ("EPSG:4326", "OGC:CRS84")
                                   else f"{read_crs} reprojected to {STORE_CRS}"))
    elif isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return Loaded(frame=frame, row_kind=row_kind, provenance=prov, problems=problems,
                  unreadable=unreadable)
