"""The plot selection the app offers for download, as GeoJSON and XLSX."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np

from geoapp.app.loading import AppData
from layers.crs import STORE_CRS

EXPORT_COLUMNS: tuple[str, ...] = (
    "plot_id", "land_use", "status", "area_mu", "district_code", "town_code", "park_id",
    "zone_type", "industry", "n_enterprises", "output_wan", "tax_wan", "value_added_wan",
    "tax_per_mu", "output_per_mu", "value_added_per_mu", "tax_per_mu_growth",
    "output_per_mu_growth", "score", "grade",
    "low_efficiency", "reasons", "ledger_stage", "ledger_mode",
)
"""Columns of the plot selection the app exports (plus geometry)."""


def selection(data: AppData, mask: np.ndarray) -> gpd.GeoDataFrame:
    """Return the selected plots with the exported columns, WGS84 (both exports write it)."""
    p = data.plots[mask]
    cols = [c for c in EXPORT_COLUMNS if c in p] + [p.geometry.name]
    out = p[cols].reset_index(drop=True)
    out["low_efficiency"] = out["low_efficiency"].astype("int64")
    return gpd.GeoDataFrame(out, geometry=p.geometry.name, crs=STORE_CRS)


def selection_geojson(data: AppData, mask: np.ndarray) -> bytes:
    """Encode the selection as RFC 7946 GeoJSON with :func:`geoapp.export.geojson_bytes`."""
    from geoapp import export

    return export.geojson_bytes(selection(data, mask), extra={"name": "plots"})


def selection_xlsx(data: AppData, mask: np.ndarray) -> bytes:
    """Write the selection as XLSX with :func:`geoapp.export.export_layer` (the CLI's writer).

    Returns
    -------
    bytes
        The workbook: Chinese headers with units, coordinates as lon/lat columns.
    """
    import tempfile

    from geoapp import export

    with tempfile.TemporaryDirectory(prefix="geoapp-export-") as tmp:
        files = export.export_layer(selection(data, mask), Path(tmp) / "selection.xlsx",
                                    fmt="xlsx", layer_name="plots")
        book = next(f for f in files if f.suffix == ".xlsx")
        return book.read_bytes()


