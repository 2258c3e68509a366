"""The XLSX report with Chinese headers, and ``README.txt`` describing a folder of outputs."""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio

from geoapp import words
from geoapp.export import xlsx
from geoapp.export.disclosure import public_table
from geoapp.export.formats import flat_table
from geoapp.export.sheets import write_about, write_table
from layers.schema import SCHEMAS

_SHEET = {key: words.REPORT_SHEETS[key][0] for key in words.REPORT_SHEETS}

REPORT_SHEETS: dict[str, tuple[str, ...]] = {
    _SHEET["park_ranking"]: ("park_ranking",),
    _SHEET["low_efficiency"]: ("low_efficiency",),
    _SHEET["reclamation_progress"]: ("reclamation_progress",),
    _SHEET["evaluation"]: ("enterprises_evaluated", "enterprises", "evaluation"),
}
"""Report sheet → table names accepted for it in :func:`xlsx_report` (the sheet name works too)."""

ENTERPRISE_SHEET = _SHEET["evaluation"]
"""The per-enterprise sheet, written only when asked (``enterprises=True``)."""

REPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    _SHEET["evaluation"]: (
        "ent_id", "name", "credit_code", "plot_id", "park_id", "town_code", "industry",
        "scale", "land_mu", "tax_per_mu", "output_per_mu", "value_added_per_mu", "score",
        "grade", "weakest_item", "imputed_items", "unrated_reason"),
}
"""Columns a report sheet shows, in order, when the table has them (the full table is the
CSV beside the report: ``enterprises.csv`` has every indicator, benchmark and contribution)."""

NOT_COMPUTED = words.text("export.not_computed_sheet")

FILE_DESCRIPTIONS: dict[str, str] = words.FILE_DESCRIPTIONS
"""Descriptions of the usual output files by stem, used when :func:`write_readme` gets none."""
def report_table(tables: Mapping[str, pd.DataFrame], sheet: str) -> pd.DataFrame | None:
    """The table shown on a report sheet (its columns in :data:`REPORT_COLUMNS`), or None."""
    for key in (sheet, *REPORT_SHEETS[sheet]):
        if key in tables and tables[key] is not None:
            table = tables[key]
            keep = [c for c in REPORT_COLUMNS.get(sheet, ()) if c in table.columns]
            return table[keep] if len(keep) >= 3 else table
    return None


def about_rows(*, year: int | None = None, settings: Mapping[str, Any] | None = None,
               filters: str | None = None, today: date | None = None) -> list[tuple[str, str]]:
    """Rows saying how an export was made, for :func:`xlsx_report`'s ``about``.

    Parameters
    ----------
    year
        Year of the figures.
    settings
        Settings that differ from the defaults, ``{section: {key: value}}`` or flat.
    filters
        The selection, in words (default: all).
    today
        Date of the export (default: today).
    """
    rows = [(words.text("sheet.year"), "—" if year is None else str(year)),
            (words.text("filters"), filters or words.text("all"))]
    flat = []
    for key, value in (settings or {}).items():
        if isinstance(value, Mapping):
            flat += [f"{key}.{k} = {v}" for k, v in value.items()]
        else:
            flat.append(f"{key} = {value}")
    rows.append((words.text("export.settings"), "; ".join(flat) or words.text("none")))
    rows.append((words.text("export.date"), (today or date.today()).isoformat()))
    return rows


def xlsx_report(tables: Mapping[str, pd.DataFrame], path: str | Path, *,
                public: bool = False, about: Sequence[tuple[str, str]] | None = None,
                enterprises: bool = True) -> Path:
    """Write the XLSX report: Chinese headers with units, one sheet per table.

    Parameters
    ----------
    tables
        Tables by name; the report takes 园区排名 from ``park_ranking``, 低效用地清单 from
        ``low_efficiency``, 盘活进度 from ``reclamation``, 综合评价 from ``evaluation`` (see
        :data:`REPORT_SHEETS` for the other names accepted). Other tables are ignored.
        Geometry becomes 经度/纬度 of a representative point; coded values (industry, mode,
        stage, status …) keep their codes with their Chinese names beside them.
    path
        Output ``.xlsx``.
    public
        Apply the public-mode rule to every table.
    about
        ``(item, content)`` rows saying how the report was made (:func:`about_rows`: year,
        filters, settings, date), listed first on the 说明 sheet.
    enterprises
        Include the per-enterprise sheet (综合评价). Without it the 说明 sheet says where the
        table is (``geoapp analyze`` leaves it out unless ``--full-report``).

    Returns
    -------
    Path
        ``path``. A first sheet 说明 lists the sheets, units and, in public mode, what was
        suppressed; a table that is missing gets a sheet saying it was not computed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    def both(key: str) -> tuple[str, str]:
        return words.text(key, "zh"), words.text(key, "en")

    rows = [(words.text("export.report"), words.text("export.report_title"),
             date.today().isoformat()),
            *((str(item), str(content), "") for item, content in (about or ())),
            (words.text("export.units"), *both("export.units_report")),
            (words.text("export.coordinates"), *both("export.coordinates_note"))]
    sheets: list[tuple[str, pd.DataFrame | None]] = []
    for sheet in REPORT_SHEETS:
        if sheet == ENTERPRISE_SHEET and not enterprises:
            rows.append((sheet, *both("export.enterprises_elsewhere")))
            continue
        table = report_table(tables, sheet)
        if table is not None:
            if public:
                table, note = public_table(table)
                rows.append((sheet, words.text("export.public"), note))
            table = flat_table(table, wkt=False)
            rows.append((sheet, f"{len(table)} {words.text('export.rows')}", ""))
        else:
            rows.append((sheet, *both("export.not_computed")))
        sheets.append((sheet, table))
    with xlsx.workbook(path) as book:
        write_about(book, rows)
        for sheet, table in sheets:
            if table is None:
                xlsx.write_sheet(book, sheet, [words.text("export.about_sheet")], [[NOT_COMPUTED]],
                                 freeze=False)
            else:
                write_table(book, sheet, table, None, translate=True)
    return path


# -- README -----------------------------------------------------------------------------------


def _columns_of(path: Path) -> tuple[str, list[str]]:
    """Say what a file is and list its columns, for README.txt."""
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        lines = []
        for name, geometry in pyogrio.list_layers(path):
            if name == "layer_styles":
                continue
            info = pyogrio.read_info(path, layer=name)
            shape = f"geometry {geometry}" if geometry else "a table without geometry"
            lines.append(f"layer {name}: {info['features']} rows, {shape}; columns:")
            lines += [f"    {words.describe(str(c), name if name in SCHEMAS else None)}"
                      for c in info["fields"]]
        lines.append("QGIS opens every layer styled like the map app (table layer_styles).")
        return "GeoPackage\n" + "\n".join(lines), []
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        return (f"{meta.num_rows} rows (Parquet, zstd; pandas.read_parquet, QGIS, DuckDB)",
                [str(c) for c in pq.read_schema(path).names])
    if suffix in (".geojson", ".shp"):
        info = pyogrio.read_info(path)
        kind = f"{info['features']} features, geometry {info['geometry_type']}"
        if suffix == ".geojson":
            with open(path, "rb") as fh:
                head = fh.read(4096).decode("utf-8", errors="ignore")
            for member in ("coordinate_system", "disclosure"):
                found = re.search(rf'"{member}":"((?:[^"\\]|\\.)*)"', head)
                if found:
                    kind += f"\n{member}: {found.group(1)}"
        return kind, [str(f) for f in info["fields"]]
    if suffix == ".csv":
        with open(path, newline="", encoding="utf-8-sig") as fh:
            head = next(csv.reader(fh), [])
            n = sum(1 for _ in fh)
        return f"{n} rows (CSV, UTF-8)", head
    if suffix == ".xlsx":
        return f"Excel workbook, sheets: {', '.join(xlsx.sheet_names(path))}", []
    if suffix == ".tif":
        return ("GeoTIFF raster, float32, in WGS 84 / UTM 51N (EPSG:32651), 100 m cells unless "
                "configured; density in enterprises (or the weight) per km²"), []
    if suffix == ".json":
        return "JSON", []
    return "", []


def write_readme(out_dir: str | Path, files: Mapping[str, str]) -> Path:
    """Write ``README.txt`` describing every file, column and unit of an output folder.

    Parameters
    ----------
    out_dir
        The folder (e.g. of ``geoapp analyze --out``).
    files
        ``{file name: description}``; an empty description is filled from
        :data:`FILE_DESCRIPTIONS`. Files in the folder that are not listed are described too.

    Returns
    -------
    Path
        ``out_dir / "README.txt"`` (UTF-8 with a byte-order mark, for Notepad).
    """
    out = Path(out_dir)
    names = dict.fromkeys([*files, *sorted(p.name for p in out.iterdir() if p.is_file())])
    names.pop("README.txt", None)
    lines = [
        words.text("export.readme_title"),
        f"folder: {out.resolve().name}    written: {date.today().isoformat()}",
        "",
        words.text("export.readme_coordinates"),
        words.text("export.readme_units"),
        "Data marked synthetic=1 is made up (demos, tests) and describes no real enterprise.",
        "",
    ]
    for name in names:
        path = out / name
        if name.startswith(".") or path.suffix in (".shx", ".prj", ".cpg", ".dbf"):
            continue
        stem = name.split(".")[0]
        text = files.get(name) or FILE_DESCRIPTIONS.get(stem.removesuffix("_gcj02"), "")
        lines.append(f"== {name} ==")
        if text:
            lines.append(text)
        if not path.exists():
            lines += ["(not written)", ""]
            continue
        kind, columns = _columns_of(path)
        if kind:
            lines.append(kind)
        layer = stem if stem in SCHEMAS else None
        if columns:
            lines.append("columns:")
            lines += [f"  {words.describe(c, layer)}" for c in columns]
        lines.append("")
    readme = out / "README.txt"
    readme.write_text("\n".join(lines), encoding="utf-8-sig")
    return readme


