"""The plot selection the app offers for download, as GeoJSON and XLSX.

Both carry the codes in their own columns and, beside them, the names a planner reads
(``park_name`` after ``park_id``, ``status_name`` 在用 after ``status`` in_use), and say how
they were made (:func:`export_info`: year, filters, settings, date).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np

from geoapp import words
from geoapp.app.filtering import Filters, option_label
from geoapp.app.loading import AppData
from geoapp.app.login import workspace_label
from geoapp.app.tables import with_names
from layers.crs import STORE_CRS

EXPORT_COLUMNS: tuple[str, ...] = (
    "plot_id", "land_use", "status", "area_mu", "district_code", "town_code", "park_id",
    "zone_type", "industry", "n_enterprises", "output_wan", "tax_wan", "value_added_wan",
    "tax_per_mu", "output_per_mu", "value_added_per_mu", "tax_per_mu_growth",
    "output_per_mu_growth", "score", "grade",
    "low_efficiency", "reasons", "ledger_stage", "ledger_mode",
)
"""Columns of the plot selection the app exports (plus geometry)."""

_FILTER_WORDS: dict[str, str] = {
    "districts": "district", "towns": "town", "parks": "park", "industries": "industry",
    "grades": "grade", "ledger_stages": "ledger_stage",
}


def selection(data: AppData, mask: np.ndarray, lang: str = "zh") -> gpd.GeoDataFrame:
    """Return the selected plots with the exported columns, WGS84 (both exports write it).

    Names follow their codes: ``district_name``, ``town_name``, ``park_name`` and
    ``<column>_name`` for coded values (:func:`geoapp.words.with_value_names`).
    """
    p = data.plots[mask]
    cols = [c for c in EXPORT_COLUMNS if c in p] + [p.geometry.name]
    out = p[cols].reset_index(drop=True)
    out["low_efficiency"] = out["low_efficiency"].astype("int64")
    out = words.with_value_names(with_names(out, data), lang)
    return gpd.GeoDataFrame(out, geometry=p.geometry.name, crs=STORE_CRS)


def _filter_text(filters: Filters | None, data: AppData, lang: str) -> str:
    if filters is None:
        return words.text("all", lang)
    parts = []
    for f in dataclasses.fields(filters):
        chosen = getattr(filters, f.name)
        if chosen:
            word = _FILTER_WORDS.get(f.name, f.name)
            label = (words.text(word, lang) if word in ("district", "town", "park")
                     else words.name(word, lang))
            names = words.text("list_sep", lang).join(
                option_label(f.name, str(v), data, lang) for v in chosen)
            parts.append(f"{label}{words.text('colon', lang)}{names}")
    return "; ".join(parts) or words.text("all", lang)


def export_info(data: AppData, *, filters: Filters | None = None, n_plots: int | None = None,
                settings: Mapping[str, str] | None = None, lang: str = "zh",
                today: date | None = None) -> list[tuple[str, str]]:
    """Rows saying what an export holds: year, filters, settings, date, workspace.

    Parameters
    ----------
    data
        App data (year, workspace, the evaluation's preset).
    filters
        The filters the selection was made with (None: no filter).
    n_plots
        Plots exported.
    settings
        Further ``{label: value}`` the user chose (colour metric, classes …).
    lang
        ``"zh"`` or ``"en"``.
    today
        Date of the export (default: today).

    Returns
    -------
    list of (str, str)
        ``(item, content)`` pairs, labelled in ``lang``.
    """
    rows = [(words.text("sheet.year", lang), str(data.year)),
            (words.text("filters", lang), _filter_text(filters, data, lang))]
    if n_plots is not None:
        rows.append((words.name("n_plots", lang), f"{n_plots:,}"))
    evaluation = data.results.get("evaluation")
    preset = (getattr(evaluation, "summary", None) or {}).get("preset")
    if preset:
        rows.append((words.text("export.preset", lang), str(preset)))
    rows += [(str(k), str(v)) for k, v in (settings or {}).items()]
    rows += [(words.text("export.date", lang), (today or date.today()).isoformat()),
             (words.text("workspace", lang), workspace_label(data.path))]
    if data.synthetic:
        rows.append((words.text("synthetic", lang), words.value("bool", True, lang)))
    return rows


def selection_geojson(data: AppData, mask: np.ndarray, *, filters: Filters | None = None,
                      settings: Mapping[str, str] | None = None, lang: str = "zh") -> bytes:
    """Encode the selection as RFC 7946 GeoJSON with :func:`geoapp.export.geojson_bytes`.

    The top-level member ``"export"`` holds :func:`export_info`.
    """
    from geoapp import export

    sel = selection(data, mask, lang)
    info = export_info(data, filters=filters, n_plots=len(sel), settings=settings, lang=lang)
    return export.geojson_bytes(sel, extra={"name": "plots", "export": dict(info)})


def selection_xlsx(data: AppData, mask: np.ndarray, *, filters: Filters | None = None,
                   settings: Mapping[str, str] | None = None, lang: str = "zh") -> bytes:
    """Write the selection as XLSX with :func:`geoapp.export.export_layer` (the CLI's writer).

    Returns
    -------
    bytes
        The workbook: Chinese headers with units, codes beside their names, coordinates as
        lon/lat columns, and a sheet 导出信息 (:func:`export_info`).
    """
    import tempfile

    from geoapp import export

    sel = selection(data, mask, lang)
    info = export_info(data, filters=filters, n_plots=len(sel), settings=settings, lang=lang)
    with tempfile.TemporaryDirectory(prefix="geoapp-export-") as tmp:
        files = export.export_layer(sel, Path(tmp) / "selection.xlsx", fmt="xlsx",
                                    layer_name="plots", about=info)
        book = next(f for f in files if f.suffix == ".xlsx")
        return book.read_bytes()
