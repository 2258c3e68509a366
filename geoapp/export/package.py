"""The analysis folder's data files: ``analysis.gpkg`` (each geometry once) and Parquet tables.

``analysis.gpkg`` holds every output with geometry as a layer (:data:`geoapp.outputs.OUTPUTS`
with ``place="gpkg"``): the evaluated plots, parks, projects and the grid. Per-plot results
that share the plots' geometry (hot spots, the reclamation ledger's state, the low-efficiency
lists) are columns of its ``plots`` layer (:func:`analysis_plots`), not copies of the polygons.
QGIS opens it as it is, styled like the map app (:mod:`geoapp.export.qgis`).

Long per-row tables without geometry (one row per enterprise) are Parquet files: typed,
compressed (zstd) and read exactly by pandas, GDAL/QGIS and DuckDB; ``--csv`` adds CSV copies.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from analysis.keys import isin
from geoapp.export.formats import _cell
from geoapp.export.qgis import layer_styles, write_layer_styles

LEDGER_COLUMNS: dict[str, str] = {
    "stage": "ledger_stage", "mode": "ledger_mode", "first_date": "first_date",
    "last_date": "last_date", "reclaimed_date": "reclaimed_date",
    "reclaimed_mu": "reclaimed_mu", "n_events": "n_events", "corrected": "corrected",
    "last_note": "last_note", "days_since_event": "days_since_event", "stalled": "stalled",
}
"""Columns of ``ledger_plots`` kept on the plots layer, and their names there (the others
repeat the plot's own columns or are labels of codes)."""

UNMATCHED_LEDGER = "ledger_plots_not_in_layer"
"""Attribute table of ledger plots that the plots layer lacks (no geometry to hang them on)."""


def _by_plot(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    table = pd.DataFrame(frame[["plot_id", *columns]])
    table["plot_id"] = table["plot_id"].astype(str)
    return table.drop_duplicates("plot_id").set_index("plot_id")


def analysis_plots(tables: Mapping[str, pd.DataFrame]
                   ) -> tuple[gpd.GeoDataFrame, pd.DataFrame | None]:
    """
    The evaluated plots with the hot-spot and ledger columns of the same plots.

    Parameters
    ----------
    tables
        Output tables by name (:func:`geoapp.outputs.output_tables`): ``plots_evaluated``, and
        ``hotspots`` and ``ledger_plots`` when their stages ran.

    Returns
    -------
    plots : GeoDataFrame
        One row per evaluated plot, in its order: the ``plots_evaluated`` columns, then every
        ``hotspots`` column the plots lack (``gi_z``, ``gi_class``, ``lisa_class`` …), then
        the ledger's (:data:`LEDGER_COLUMNS`; ``ledger_stage`` is null off the ledger).
        The low-efficiency lists are its rows with ``low_efficiency`` (and, for those not in
        the ledger, a null ``ledger_stage``).
    unmatched : DataFrame or None
        Ledger plots missing from the plots layer (without geometry), or None when there are
        none.
    """
    plots = tables["plots_evaluated"]
    ids = plots["plot_id"].astype(str)
    out = plots.copy()
    hot = tables.get("hotspots")
    if hot is not None and len(hot):
        geom = hot.geometry.name if isinstance(hot, gpd.GeoDataFrame) else None
        cols = [c for c in hot.columns if c not in plots.columns and c != geom]
        found = _by_plot(hot, cols).reindex(ids)
        for c in cols:
            out[c] = found[c].to_numpy()
    unmatched = None
    ledger = tables.get("ledger_plots")
    if ledger is not None and len(ledger):
        cols = [c for c in LEDGER_COLUMNS if c in ledger.columns]
        table = _by_plot(ledger, cols)
        found = table.reindex(ids)
        for c in cols:
            out[LEDGER_COLUMNS[c]] = found[c].to_numpy()
        missing = ~isin(table.index, ids)
        if missing.any():
            unmatched = table[missing].rename(columns=LEDGER_COLUMNS).reset_index()
    return out, unmatched


_SEQUENCES = frozenset({list, tuple, set})


def _flat(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns with lists (e.g. several reasons) joined into text."""
    objects = [c for c in frame.columns if pd.api.types.is_object_dtype(frame[c].dtype)
               and not _SEQUENCES.isdisjoint(map(type, frame[c].to_numpy()))]
    if not objects:
        return frame
    frame = frame.copy()
    for c in objects:
        frame[c] = frame[c].map(_cell)
    return frame


def write_gpkg(layers: Mapping[str, pd.DataFrame], path: str | Path, *,
               description: str = "") -> Path:
    """
    Write ``layers`` into one new GeoPackage with QGIS default styles.

    Parameters
    ----------
    layers
        ``{layer name: GeoDataFrame or DataFrame}``; a DataFrame without geometry becomes an
        attributes table. Written in order, with GDAL's Arrow path.
    path
        The ``.gpkg`` to create (replaced if it exists).
    description
        Each layer's description (e.g. the public-mode note).

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    path.unlink(missing_ok=True)
    options = {"DESCRIPTION": description} if description else {}
    for name, frame in layers.items():
        frame = _flat(frame)
        spatial = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame
        if spatial and frame.crs is None:
            raise ValueError(f"layer {name!r} has no CRS: set it before writing")
        pyogrio.write_dataframe(frame, path, layer=name, driver="GPKG", use_arrow=True,
                                layer_options=options or None,
                                promote_to_multi=False if spatial else None)
    write_layer_styles(path, layer_styles(layers))
    return path


def write_parquet(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write a table as Parquet (zstd), atomically: a crash leaves no half file."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        table = _flat(pd.DataFrame(frame))
        table.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
