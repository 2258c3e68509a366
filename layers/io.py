"""Reading planners' files onto the canonical layer schemas.

Everything that arrives passes through :func:`read_layer`: GeoPackage, GeoJSON, Shapefile
(encoding from the ``.cpg`` or sniffed: UTF-8 and GBK both occur), GeoParquet, and CSV/XLSX
with lon/lat columns or keyed by ``plot_id``. Headers are mapped to canonical names (Chinese
headers included), money given in 元 or 亿元 is converted to 万元 when the header says so, and
coordinates are converted to WGS84 (EPSG codes via pyproj; GCJ-02/BD-09 via :mod:`layers.crs`).
What was done is recorded in the returned :class:`Loaded` provenance.

The files planners really send are handled here (``tests/test_real_files.py`` holds a case
for each):

- spreadsheets: the header is found below title rows (and a ``单位：元/万元/亿元`` note there
  sets the money unit), a two-row header with merged group cells is combined, blank rows are
  dropped, and problems name the row Excel shows; CSV is UTF-8 (with or without BOM) or
  GBK/GB18030, sniffed in chunks; a row with more cells than the header (an unquoted comma)
  is refused by row;
- numbers: full-width digits (NFKC), thousands separators, units in cells (``12.5万元``,
  ``3亿``, ``120亩``; the cell's unit wins over the header's), ``12%`` in ratio columns
  (0.12; refused in money and area columns), ``nan``/``-`` as empty; ``inf`` and magnitudes
  over :data:`MAX_ABS_NUMBER` refused; Excel serial day numbers in date columns;
- ids: normalised (NFKC, whitespace removed, leading zeros kept), so ids that differ only by
  spaces or full-width characters become one and are refused as duplicates by validation;
- geometry: zipped Shapefiles (encoding sniffed inside the zip), a missing CRS guessed only
  when the numbers decide (CGCS2000 3° Gauss-Krüger with the zone number in the easting),
  otherwise refused naming the candidates; X = northing swapped; Z dropped; non-finite
  coordinates refused by feature;
- empty files, header-only files and files without features are refused.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import struct
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

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


def _encoding_of_dbf_bytes(cpg: bytes | None, dbf: bytes | None) -> str:
    if cpg and cpg.strip():
        text = cpg.decode(errors="replace").strip()
        return "UTF-8" if text.upper().replace("-", "") in ("UTF8", "65001") else text
    if not dbf or len(dbf) < 32:
        return "UTF-8"
    header_len = struct.unpack("<H", dbf[8:10])[0]
    try:
        dbf[header_len:].decode("utf-8")
    except UnicodeDecodeError:
        return "GBK"
    return "UTF-8"


def sniff_zip_encoding(zip_path: Path) -> str | None:
    """Attribute encoding of the Shapefile inside a ``.zip`` (None when it holds none)."""
    with zipfile.ZipFile(zip_path) as zf:
        names = zf.namelist()
        shp = [n for n in names if n.lower().endswith(".shp")]
        if not shp:
            return None
        stem = shp[0][:-4]
        lower = {n.lower(): n for n in names}

        def member(ext):
            n = lower.get(f"{stem}{ext}".lower())
            return zf.read(n) if n else None

        return _encoding_of_dbf_bytes(member(".cpg"), member(".dbf"))


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


HEADER_SEARCH_ROWS = 12
"""Rows at the top of a spreadsheet searched for the header (title rows may sit above it)."""

MAX_ABS_COORDINATE = 1e9
"""Coordinates beyond this (or NaN/inf) are refused: no CRS in use has them."""
MAX_ROWS_NAMED = 20
"""Rows named one by one in a whole-file refusal (a ragged CSV)."""

_UNIT_NOTE_RE = re.compile(r"单位\s*[:：]\s*(亿元|万元|元)")
_UNIT_ONLY_RE = re.compile(r"^[\(（\[]?\s*(亿元|万元|元|亩|平方米|公顷|㎡|m2|m²)\s*[\)）\]]?$")
_COORD_HEADERS = {*LON_HEADERS, *LAT_HEADERS, "x", "y"}


def _cell_text(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v).strip()


def _header_score(names: list[str], layer: LayerSchema) -> int:
    rename, _ = map_headers([n for n in names if n], layer)
    coords = sum(_normalise_header(n) in _COORD_HEADERS for n in names if n)
    return len(set(rename.values())) + coords


def _combine_header(top: list[str], sub: list[str]) -> list[str]:
    """One header from two rows: a merged group cell above, the column names below."""
    filled, last = [], ""
    for t, b in zip(top, sub, strict=True):
        last = t or (last if b else "")  # a merged cell spans the columns right of it
        filled.append(last)
    out = []
    for t, b in zip(filled, sub, strict=True):
        if b and t and _UNIT_ONLY_RE.match(b):
            out.append(f"{t}({_UNIT_ONLY_RE.match(b)[1]})")  # 税收 over (万元)
        else:
            out.append(b or t)
    return out


def find_header(rows: list[list[str]], layer: LayerSchema) -> tuple[int, int, list[str]]:
    """Find the header among the first rows of a spreadsheet.

    Title rows above the header (``2023年度工业企业亩均效益表``, ``单位：万元``) and a header
    of two rows (merged group cells such as ``经济指标`` above ``产值``/``税收``) are common in
    the files planners send.

    Parameters
    ----------
    rows
        The first rows of the sheet as text (``""`` for empty cells), all the same width.
    layer
        The schema whose headers are looked for.

    Returns
    -------
    start
        0-based row of the (first) header row.
    height
        Header rows: 1, or 2 for a two-row header.
    names
        The column names.
    """
    best = (0.0, 0, 1, rows[0] if rows else [])  # (score, start, height, names)
    for r in range(min(len(rows), HEADER_SEARCH_ROWS)):
        candidates = [(1, rows[r], 0.0)]
        if r + 1 < len(rows):
            sub = [c for c in rows[r + 1] if c]
            units_only = bool(sub) and all(_UNIT_ONLY_RE.match(c) for c in sub)
            # a second header row must earn its place: units under names win ties, else lose
            candidates.append((2, _combine_header(rows[r], rows[r + 1]),
                               0.5 if units_only else -0.5))
        for height, names, bias in candidates:
            score = _header_score(names, layer) + bias
            if score > best[0]:
                best = (score, r, height, names)
    _, start, height, names = best
    return start, height, names


def _unique_names(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, n in enumerate(names):
        n = n or f"column_{i + 1}"
        if n in seen:
            seen[n] += 1
            n = f"{n}.{seen[n]}"
        else:
            seen[n] = 0
        out.append(n)
    return out


def _sniff_text_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK), decoding in chunks."""
    for enc in ("utf-8-sig", "gb18030"):
        dec = codecs.getincrementaldecoder(enc)()
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    dec.decode(chunk)
                dec.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return enc
    raise LayerError("file", [f"{path.name}: text is neither UTF-8 nor GB18030/GBK; save it as "
                              "UTF-8 CSV or XLSX"])


def _rows_beyond_header(path: Path, encoding: str, first_data: int, width: int) -> list[int]:
    """Rows (as a spreadsheet numbers them) with non-empty cells right of the header.

    Streams the file, so memory stays flat. Such rows mean an unquoted comma shifted the cells.
    """
    found: list[int] = []
    with path.open(encoding=encoding, newline="") as fh:
        for n, row in enumerate(csv.reader(fh), start=1):
            if n > first_data and len(row) > width and any(c.strip() for c in row[width:]):
                found.append(n)
                if len(found) == MAX_ROWS_NAMED:
                    break
    return found


def _read_table(path: Path, sheet: str | int | None, layer: LayerSchema
                ) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Read a spreadsheet as text, finding its header and dropping blank rows.

    The index is the Excel row number minus 2 (the header-in-row-1 convention of
    :meth:`Loaded.row_number`), so problems name the row a planner sees even below title rows.
    """
    info: dict[str, Any] = {}
    if path.suffix.lower() in (".xlsx", ".xls"):
        grid = pd.read_excel(path, sheet_name=sheet if sheet is not None else 0, dtype=str,
                             header=None)
        rows = [[_cell_text(v) for v in row] for row in
                grid.head(HEADER_SEARCH_ROWS + 1).itertuples(index=False, name=None)]
        start, height, names = find_header(rows, layer) if rows else (0, 1, [])
        frame = grid.iloc[start + height:].copy()
        frame.columns = _unique_names(names) if rows else []
        frame.index = frame.index - 1
    else:
        enc = _sniff_text_encoding(path)
        info["encoding"] = enc.replace("utf-8-sig", "UTF-8").replace("gb18030", "GBK/GB18030")
        with path.open(encoding=enc, newline="") as fh:
            head = list(csv.reader(io.StringIO("".join(
                line for _, line in zip(range(HEADER_SEARCH_ROWS + 1), fh, strict=False)))))
        width = max((len(r) for r in head), default=0)
        rows = [[c.strip() for c in r] + [""] * (width - len(r)) for r in head]
        start, height, names = find_header(rows, layer) if rows else (0, 1, [])
        names = names[:max((len(r) for r in head[start:start + height]), default=0)]
        first_data = start + height
        names = _unique_names(names)
        beyond = _rows_beyond_header(path, enc, first_data, len(names))
        if beyond:
            raise LayerError(layer.name, [Problem(
                layer.name, f"{path.name}: the row has more fields than the {len(names)} of the "
                "header; a value with a comma in it must be quoted (\"...\")", row=r)
                for r in beyond])
        try:
            frame = pd.read_csv(path, dtype=str, encoding=enc, keep_default_na=False,
                                na_values=[""], skip_blank_lines=False, header=None,
                                skiprows=first_data, names=names, index_col=False,
                                usecols=list(range(len(names))))
        except pd.errors.EmptyDataError:  # nothing (or only a BOM, blank lines) below the header
            frame = pd.DataFrame(columns=names, dtype="str")
        frame.index = frame.index + first_data - 1
    if start or height > 1:
        info["header"] = (f"header found in row {start + 1}" + (f"-{start + height}"
                          if height > 1 else "") + (f" below {start} title row(s)"
                                                    if start else ""))
    for row in rows[:start]:
        m = _UNIT_NOTE_RE.search(" ".join(row))
        if m:
            info["unit_note"] = m[1]
    frame = frame.dropna(how="all")
    return frame, info


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


GK3_ZONE_CRS = {40: "EPSG:4528", 41: "EPSG:4529"}
"""CGCS2000 3-degree Gauss-Krüger zones covering Shanghai, by the zone number in the easting."""


def guess_crs(x: np.ndarray, y: np.ndarray, *, degrees_ok: bool = False
              ) -> tuple[str | None, str]:
    """Say what undeclared coordinates are, from their magnitude (Shanghai only).

    Parameters
    ----------
    x, y
        Coordinates as the file gives them (either axis order).
    degrees_ok
        Whether degrees inside Shanghai may be taken as WGS84 (spreadsheet X/Y columns, the
        lon/lat default); otherwise they are refused, since GCJ-02 looks the same.

    Returns
    -------
    crs
        ``"EPSG:4326"`` for degrees inside Shanghai (only with ``degrees_ok``),
        ``"EPSG:4528"``/``"EPSG:4529"`` for CGCS2000 3° Gauss-Krüger metres with the zone
        number (40/41) in the easting; None when the numbers do not decide (plain metres
        fit UTM 51N and two Gauss-Krüger zones).
    message
        What was assumed, or why nothing could be.
    """
    x = np.asarray(x, dtype="float64")
    y = np.asarray(y, dtype="float64")
    ok = np.isfinite(x) & np.isfinite(y)
    if not ok.any():
        return None, "no coordinates to judge by"
    xm, ym = float(np.median(x[ok])), float(np.median(y[ok]))
    minx, miny, maxx, maxy = (120.0, 30.0, 123.0, 32.5)
    if minx <= xm <= maxx and miny <= ym <= maxy:
        if degrees_ok:
            return "EPSG:4326", ("no CRS declared; the coordinates are degrees inside Shanghai,"
                                 " assumed WGS84/CGCS2000 lon/lat (EPSG:4326); pass --crs gcj02"
                                 " or bd09 if they come from a web map")
        return None, ("the coordinates are lon/lat degrees inside Shanghai, but WGS84/CGCS2000 "
                      "(--crs 4326) and the web-map offsets GCJ-02 (--crs gcj02) and BD-09 "
                      "(--crs bd09) lie up to 500 m apart; pass the one the data came in")
    for east, north in ((xm, ym), (ym, xm)):
        zone = int(east // 1_000_000)
        if zone in GK3_ZONE_CRS and 3.2e6 < north < 3.7e6:
            crs = GK3_ZONE_CRS[zone]
            return crs, (f"no CRS declared; the eastings carry the zone number {zone}: assumed "
                         f"CGCS2000 3-degree Gauss-Krüger zone {zone} ({crs})")
    for east, north in ((xm, ym), (ym, xm)):
        if 1.5e5 < east < 8.5e5 and 3.2e6 < north < 3.7e6:
            return None, (
                f"no CRS declared and the coordinates are metres (easting ~{east:,.0f}, "
                f"northing ~{north:,.0f}) that fit several systems up to 1.4 km apart: "
                "UTM 51N (--crs 32651), CGCS2000 Gauss-Krüger CM 123E (--crs 4550, 6°: 4510)"
                " or CM 120E (--crs 4549); pass the one the data came in")
    return None, (f"no CRS declared and the coordinates (median {xm:,.6g}, {ym:,.6g}) are "
                  "neither lon/lat in Shanghai nor Gauss-Krüger metres; pass --crs "
                  "(e.g. --crs 4326, --crs 4549, --crs gcj02)")


_BLANK = ("", "-", "—", "--", "nan", "NaN", "NAN", "None", "none", "null", "NULL", "<NA>", "N/A",
          "n/a")
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_CELL_UNIT_RE = re.compile(rf"^(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s.+-].*)$")
_CELL_MONEY = {"元": 1e-4, "万元": 1.0, "万": 1.0, "亿元": 1e4, "亿": 1e4}
EXCEL_SERIAL_RANGE = (18_264, 73_051)
"""Excel day numbers read as dates in date columns: 1950-01-01 to 2099-12-31."""
MAX_ABS_NUMBER = 1e15
"""Larger magnitudes in any numeric cell are refused (1e308 and the like are not figures)."""


def number_text(col: pd.Series) -> pd.Series:
    """Spreadsheet number text made plain: full-width digits (NFKC), thousands separators."""
    text = col.astype("string").str.strip()
    if text.str.contains(r"[^\x00-\x7f]", regex=True, na=False).any():
        text = text.map(lambda v: v if pd.isna(v) else unicodedata.normalize("NFKC", v),
                        na_action="ignore").astype("string").str.strip()
    text = text.str.replace(r"(?<=\d)[,\s'](?=\d{3}(?!\d))", "", regex=True)
    return text.mask(text.isin(_BLANK))


def _id_fields(layer: LayerSchema) -> set[str]:
    return {f.name for f in layer.fields if f.dtype in ("string", "code") and (
        f.name == layer.key or f.name in layer.references or f.name.endswith("_id")
        or f.name in ("credit_code", "code", "district_code"))}


def normalise_id(value):
    """An id as compared and stored: NFKC (full-width → ASCII), no whitespace; leading zeros kept.

    ``" P 1"``, ``"Ｐ１"`` and ``"P1"`` are one id. Two rows whose ids become equal are then
    refused as duplicates (naming both rows), never merged.
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return value
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value)))


def _cell_number(text: str, f, layer: LayerSchema) -> float | str:
    """A number written with its unit (``12.5万元``, ``3亿``, ``120亩``, ``12%``), or why not."""
    m = _CELL_UNIT_RE.match(text)
    if m is None:
        return f"'{text}' is not a number"
    number, unit = float(m["num"]), m["unit"].strip()
    if unit in ("%", "％"):
        if f.dtype == "float" and not f.unit:  # a ratio (growth targets): 12% → 0.12
            return number / 100.0
        return f"'{text}' is a percentage; this column takes {f.unit or 'a number'}"
    if f.dtype == "money" and unit in _CELL_MONEY:
        return number * _CELL_MONEY[unit]
    per_m2 = AREA_UNITS_M2.get(unit.replace(" ", "").lower())
    if f.unit in FIELD_UNIT_M2 and per_m2 is not None:
        return number * per_m2 / FIELD_UNIT_M2[f.unit]
    if unit == f.unit:
        return number
    return (f"'{text}' has unit '{unit}' that this column cannot take (it is in "
            f"{f.unit or 'plain numbers'})")


def _coerce_types(frame: pd.DataFrame, layer: LayerSchema, units: dict[str, str],
                  problems: list[Problem], row_of, unreadable: set) -> dict[str, str]:
    """Turn columns to their schema types; report values that cannot be read. Returns unit notes."""
    notes: dict[str, str] = {}
    id_fields = _id_fields(layer)
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
            text = number_text(col)
            values = pd.to_numeric(text.astype("object"), errors="coerce").astype("float64")
            explicit = pd.Series(False, index=frame.index)  # cells that carry their own unit
            for i in np.flatnonzero((values.isna() & text.notna()).to_numpy()):
                value = _cell_number(text.iloc[i], f, layer)
                if isinstance(value, str):
                    bad_cell(i, f.name, value)
                else:
                    values.iloc[i] = value
                    explicit.iloc[i] = True
            huge = values.notna() & ~(values.abs() <= MAX_ABS_NUMBER)
            for i in np.flatnonzero(huge.to_numpy()):
                what = "not a finite number" if not np.isfinite(values.iloc[i]) else \
                    "too large to be a real figure"
                bad_cell(i, f.name, f"'{col.iloc[i]}' is {what}")
            values = values.mask(huge)
            factor = 1.0
            if f.name in units and f.unit in FIELD_UNIT_M2:
                unit = units[f.name]
                per_m2 = AREA_UNITS_M2.get(unit.replace(" ", "").lower())
                if per_m2 is None:
                    problems.append(Problem(
                        layer.name, f"unknown area unit '{unit}' in the header; use 平方米, 亩 "
                        "or 公顷", column=f.name))
                else:
                    factor = per_m2 / FIELD_UNIT_M2[f.unit]
            elif f.name in units:
                unit = units[f.name]
                money = MONEY_UNITS.get(unit.replace(" ", "").lower())
                if money is None:
                    problems.append(Problem(
                        layer.name,
                        f"unknown money unit '{unit}' in the header; use 元, 万元 or 亿元",
                        column=f.name,
                    ))
                else:
                    factor = money
            if abs(factor - 1.0) > 1e-12:
                values = values.where(explicit, values * factor)
                notes[f.name] = f"converted from {units[f.name]} to {f.unit} (×{factor:g})"
            if explicit.any():
                notes[f"{f.name} (cells)"] = (f"{int(explicit.sum())} cell(s) gave their own "
                                              f"unit or %, converted to {f.unit or 'a fraction'}")
            frame[f.name] = values.astype("float64")
        elif f.dtype == "date":
            text = col.astype("string").str.strip()
            # 2023年6月1日 / 2023.6.1 / 2023/6/1 → 2023-6-1
            text = text.str.replace(r"^(\d{4})\s*[年./]\s*(\d{1,2})\s*[月./]\s*(\d{1,2})\s*日?$",
                                    r"\1-\2-\3", regex=True)
            text = text.mask(text.isin(["", "nan", "NaT", "None", "<NA>"]))
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
            # Excel serial day numbers (a date column formatted as General): 45047 = 2023-05-01
            serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(?:\.0+)?", na=False)),
                                   errors="coerce")
            serial = serial.where((serial >= EXCEL_SERIAL_RANGE[0])
                                  & (serial <= EXCEL_SERIAL_RANGE[1]))
            if serial.notna().any():
                days = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce")
                parsed = parsed.where(serial.isna(), days)
                notes[f"{f.name} (cells)"] = (f"{int(serial.notna().sum())} Excel serial day "
                                              "number(s) read as dates (origin 1899-12-30)")
            bad = parsed.isna() & text.notna()
            for i in np.flatnonzero(bad.to_numpy()):
                bad_cell(i, f.name, f"'{text.iloc[i]}' is not a date (use YYYY-MM-DD)")
            frame[f.name] = parsed.dt.strftime("%Y-%m-%d").astype("str")
        else:
            text = col.astype("string").str.strip()
            if f.name in id_fields or f.choices is not None:
                before = text
                text = text.map(normalise_id, na_action="ignore").astype("string")
                changed = int((before.fillna("") != text.fillna("")).sum())
                if changed and f.name in id_fields:
                    notes[f"{f.name} (ids)"] = (f"{changed} id(s) normalised (full-width to "
                                                "ASCII, spaces removed)")
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
    if path.is_file() and path.stat().st_size == 0:
        raise LayerError(layer, [f"{path.name} is empty (0 bytes); nothing was read"])
    try:
        if suffix in TABLE_SUFFIXES:
            row_kind = "row"
            frame, table_info = _read_table(path, sheet, lay)
            prov.update(table_info)
            if "unit_note" in table_info and not money_unit:
                money_unit = table_info["unit_note"]
                prov["unit_note"] = f"money in {money_unit} (a 单位 note above the header)"
            geom, xy_cols = (None, None)
            if lay.spatial:
                geom, xy_cols = _points_from_table(frame, problems, layer)
            if geom is not None:
                frame = frame.drop(columns=list(xy_cols))
                frame = gpd.GeoDataFrame(frame, geometry=geom, crs=STORE_CRS)
                prov["coordinates"] = f"columns {list(xy_cols)}"
                lonlat = _normalise_header(xy_cols[0]) in LON_HEADERS
                if spec:
                    read_crs, file_crs = spec.crs, None
                elif lonlat:
                    read_crs, file_crs = STORE_CRS, "assumed EPSG:4326 (lon/lat columns)"
                else:
                    xy = frame.geometry.get_coordinates()
                    read_crs, said = guess_crs(xy["x"].to_numpy(), xy["y"].to_numpy(),
                                               degrees_ok=True)
                    file_crs = None
                    prov["crs_guess"] = said
                    if read_crs is None:
                        raise LayerError(layer, [Problem(layer, said, column="geometry")])
                    frame = frame.set_crs(read_crs, allow_override=True)
            else:
                read_crs = file_crs = None
        elif suffix in SPATIAL_SUFFIXES:
            row_kind = "feature"
            kw: dict[str, Any] = {}
            if suffix == ".shp":
                enc = encoding or sniff_dbf_encoding(path)
                kw["encoding"] = enc
                prov["encoding"] = enc + ("" if encoding else " (detected)")
            elif suffix == ".zip" and not encoding:
                enc = sniff_zip_encoding(path)
                if enc is not None:
                    kw["encoding"] = enc
                    prov["encoding"] = enc + " (detected)"
            elif encoding:
                kw["encoding"] = encoding
            if suffix == ".gpkg":
                names = [n for n, _ in pyogrio.list_layers(path)]
                kw["layer"] = source_layer or (layer if layer in names else names[0])
                prov["source_layer"] = kw["layer"]
            with warnings.catch_warnings(record=True) as caught:  # GDAL's notes, e.g. an
                warnings.simplefilter("always")  # unclosed ring it closed: kept in provenance
                if suffix in (".parquet", ".geoparquet"):
                    frame = gpd.read_parquet(path)
                else:
                    frame = pyogrio.read_dataframe(path, **kw)
            if caught:
                prov["reader_notes"] = sorted({str(w.message) for w in caught})
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
    if len(frame) == 0:
        raise LayerError(layer, [f"{path.name} has no data rows (a header only, or no features)"
                                 "; nothing was read"])
    rename, units = map_headers(frame.columns, lay)
    if money_unit:
        for f in lay.fields:
            if f.dtype == "money" and f.name not in units:
                units[f.name] = money_unit
    clash = {c: f"{c} (2)" for c in frame.columns if c not in rename and c in rename.values()}
    for c in clash:
        other = next(k for k, v in rename.items() if v == c)
        problems.append(Problem(layer, f"columns '{other}' and '{c}' both mean '{c}'; keep one",
                                column=c))
    frame = frame.rename(columns={**clash, **rename})
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
        xy, owner = shapely.get_coordinates(frame.geometry.array, return_index=True)
        wild = ~(np.abs(xy) <= MAX_ABS_COORDINATE).all(axis=1)
        if wild.any():
            bad = np.unique(owner[wild])
            for pos in bad[:MAX_ROWS_NAMED]:
                problems.append(Problem(layer, "coordinates are not finite numbers (NaN, inf "
                                        "or beyond 1e9)", row=row_of(frame.index[pos]),
                                        column="geometry", row_kind=row_kind))
            if len(bad) > MAX_ROWS_NAMED:
                problems.append(Problem(layer, f"… and {len(bad) - MAX_ROWS_NAMED} more "
                                        "features like these", column="geometry"))
            geoms = frame.geometry.array.copy()
            geoms[bad] = None
            frame = frame.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
        has_z = frame.geometry.has_z
        if has_z.any():
            frame = frame.set_geometry(shapely.force_2d(frame.geometry.array), crs=frame.crs)
            prov["z_dropped"] = f"{int(has_z.sum())} 3D geometries made 2D (Z dropped)"
        if read_crs is None and spec is None:
            xy = frame.geometry.get_coordinates()
            read_crs, said = guess_crs(xy["x"].to_numpy(), xy["y"].to_numpy())
            prov["crs_guess"] = said
        if read_crs is None:
            problems.append(Problem(
                layer,
                "the file has no coordinate reference system; pass --crs (e.g. --crs 4326, "
                "--crs 4549, --crs gcj02)" + (f": {prov['crs_guess']}" if "crs_guess" in prov
                                              else ""),
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
            if spec is None and "crs_guess" in prov:
                prov["conversion"] = prov["crs_guess"] + (
                    "" if str(read_crs) == "EPSG:4326" else f"; reprojected to {STORE_CRS}")
    elif isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    return Loaded(frame=frame, row_kind=row_kind, provenance=prov, problems=problems,
                  unreadable=unreadable)
