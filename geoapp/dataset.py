"""A workspace as a partitioned GeoParquet dataset: the input of a cluster run.

``geoapp export WS --format parquet-dataset --out DIR`` writes::

    DIR/_geoapp.json              format, metadata, settings, layer versions, partitions
    DIR/plots/part.00000.parquet  plots, spatially partitioned (Hilbert key of each plot)
    DIR/enterprises/part.…        enterprise-years, in the partition of their plot
    DIR/parks.parquet …           every other layer whole (GeoParquet when spatial)

Every spatial file is GeoParquet (geometry as WKB, CRS as PROJJSON in the ``geo``
metadata), readable by geopandas, dask-geopandas, GDAL and DuckDB. Plots are sorted by the
Hilbert key of their bounding-box centre (16 bits an axis over the plots' extent), so
neighbours share a partition; an enterprise-year goes to the partition of its plot (by
``plot_id``, else by its own point's key), so most joins stay inside one partition.

Each partitioned row keeps its workspace row number in ``_row``: a reader puts the rows back
in workspace order, so a run on the dataset sees the plots in the same order as a run on the
workspace (the hot spots' permutation draws go by that order).

A dataset is read-only input: ``analyze`` computes and writes its output folder, and stores
nothing in the dataset.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp.workspace import Workspace, _empty
from layers.errors import WorkspaceError
from layers.schema import SCHEMAS

MANIFEST = "_geoapp.json"
"""The dataset's manifest file name."""
FORMAT = "geoapp parquet-dataset 1"
"""The manifest's ``format`` value."""
PARTITIONED = ("plots", "enterprises")
"""Layers written as partitioned directories."""
ROW = "_row"
"""Column holding each partitioned row's workspace row number."""
HILBERT_BITS = 16
"""Bits per axis of the Hilbert key."""


def is_dataset(path: str | Path) -> bool:
    """Whether ``path`` is a directory written by :func:`write_dataset`."""
    return (Path(path) / MANIFEST).is_file()


def hilbert_key(x: np.ndarray, y: np.ndarray, bounds: tuple[float, float, float, float],
                *, bits: int = HILBERT_BITS) -> np.ndarray:
    """
    Position of points along a Hilbert curve over ``bounds``.

    Parameters
    ----------
    x, y
        Coordinates (any unit, the same as ``bounds``); NaN gives the largest key.
    bounds
        ``(x_min, y_min, x_max, y_max)`` the curve covers; points outside are clipped.
    bits
        Bits per axis (the curve has ``2**bits`` cells a side).

    Returns
    -------
    ndarray
        uint64 keys; points close on the curve are close in space.
    """
    side = (1 << bits) - 1
    x0, y0, x1, y1 = bounds
    span_x = max(x1 - x0, 1e-12)
    span_y = max(y1 - y0, 1e-12)
    missing = np.isnan(x) | np.isnan(y)
    xi = np.clip(np.nan_to_num((x - x0) / span_x * side), 0, side).astype(np.uint64)
    yi = np.clip(np.nan_to_num((y - y0) / span_y * side), 0, side).astype(np.uint64)
    key = np.zeros(len(xi), dtype=np.uint64)
    s = np.uint64(1 << (bits - 1))
    while s > 0:
        rx = ((xi & s) > 0).astype(np.uint64)
        ry = ((yi & s) > 0).astype(np.uint64)
        key += s * s * ((np.uint64(3) * rx) ^ ry)
        # rotate the quadrant so the curve stays continuous
        flip = ry == 0
        swap_flip = flip & (rx == 1)
        xi = np.where(swap_flip, np.uint64(side) - xi, xi)
        yi = np.where(swap_flip, np.uint64(side) - yi, yi)
        xi, yi = np.where(flip, yi, xi), np.where(flip, xi, yi)
        s = s >> np.uint64(1)
    key[missing] = np.iinfo(np.uint64).max
    return key


def _centres(geometry: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Bounding-box centres (degrees, no reprojection: only an ordering is wanted)."""
    b = shapely.bounds(np.asarray(geometry.array, dtype=object))
    return (b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2


def _write_parts(frame: pd.DataFrame, folder: Path, part: np.ndarray, n_parts: int) -> list[int]:
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for i in range(n_parts):
        chunk = frame[part == i]
        path = folder / f"part.{i:05d}.parquet"
        chunk.reset_index(drop=True).to_parquet(path, index=False)
        rows.append(len(chunk))
    return rows


def write_dataset(workspace: str | Path, out_dir: str | Path, *,
                  partition_rows: int = 100_000) -> dict[str, Any]:
    """
    Write a workspace as a partitioned GeoParquet dataset (see the module docstring).

    Parameters
    ----------
    workspace
        The workspace (GeoPackage).
    out_dir
        The dataset directory (created; must not hold another dataset's files).
    partition_rows
        Plots per partition (the last one may hold fewer).

    Returns
    -------
    dict
        The manifest written.
    """
    if partition_rows < 1:
        raise ValueError(f"partition_rows must be at least 1, got {partition_rows}")
    ws = Workspace(workspace)
    ws.check()
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise WorkspaceError(f"{out} is not empty: give a new directory for the dataset")
    out.mkdir(parents=True, exist_ok=True)
    layers = {name: ws.read(name) for name in ws.layers() if name in SCHEMAS}
    manifest: dict[str, Any] = {
        "format": FORMAT, "source": str(workspace), "metadata": ws.metadata(),
        "settings": ws.settings_overrides(), "layer_versions": ws.layer_versions(),
        "partition_key": f"hilbert {HILBERT_BITS} bits/axis of the plot's bbox centre",
        "layers": {},
    }
    plots = layers.get("plots")
    part_of_plot = pd.Series(dtype="int64")
    if plots is not None and len(plots):
        x, y = _centres(plots.geometry)
        bounds = (np.nanmin(x), np.nanmin(y), np.nanmax(x), np.nanmax(y))
        key = hilbert_key(x, y, bounds)
        order = np.argsort(key, kind="stable")
        n_parts = max(int(np.ceil(len(plots) / partition_rows)), 1)
        part = np.empty(len(plots), dtype="int64")
        part[order] = np.arange(len(plots)) * n_parts // len(plots)
        upper = np.array([key[part == i].max() for i in range(n_parts)], dtype=np.uint64)
        frame = plots.assign(**{ROW: np.arange(len(plots))}).iloc[order]
        rows = _write_parts(frame, out / "plots", part[order], n_parts)
        manifest["layers"]["plots"] = {"partitions": rows}
        part_of_plot = pd.Series(part, index=plots["plot_id"].astype("string").to_numpy())
        part_of_plot = part_of_plot[~part_of_plot.index.duplicated()]
        ents = layers.get("enterprises")
        if ents is not None and len(ents):
            by_plot = part_of_plot.reindex(ents["plot_id"].astype("string").to_numpy()).to_numpy()
            if isinstance(ents, gpd.GeoDataFrame):
                ex, ey = _centres(ents.geometry)
                own = np.searchsorted(upper, hilbert_key(ex, ey, bounds)).clip(0, n_parts - 1)
                by_plot = np.where(np.isnan(by_plot), own, by_plot)
            ent_part = np.nan_to_num(by_plot, nan=n_parts - 1).astype("int64")
            frame = ents.assign(**{ROW: np.arange(len(ents))})
            order = np.argsort(ent_part, kind="stable")
            rows = _write_parts(frame.iloc[order], out / "enterprises", ent_part[order], n_parts)
            manifest["layers"]["enterprises"] = {"partitions": rows}
    for name, frame in layers.items():
        if name in manifest["layers"]:
            continue
        frame.to_parquet(out / f"{name}.parquet", index=False)
        manifest["layers"][name] = {"rows": len(frame)}
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1, default=str),
                                encoding="utf-8")
    return manifest


def manifest(path: str | Path) -> dict[str, Any]:
    """
    The manifest of a dataset.

    Raises
    ------
    WorkspaceError
        When ``path`` is not a dataset.
    """
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise WorkspaceError(f"{path} is not a geoapp parquet dataset (no {MANIFEST})")
    found = json.loads(file.read_text(encoding="utf-8"))
    if found.get("format") != FORMAT:
        raise WorkspaceError(f"{path}: unknown dataset format {found.get('format')!r}")
    return found


def part_files(path: str | Path, name: str) -> list[Path]:
    """The partition files of a partitioned layer, in order (empty when absent)."""
    return sorted((Path(path) / name).glob("part.*.parquet"))


def normalise(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """
    A layer read from parquet, typed as :meth:`geoapp.workspace.Workspace.read` types it.

    Rows with ``_row`` are put back in workspace order and the column dropped.
    """
    if ROW in frame:
        frame = frame.sort_values(ROW, kind="stable").drop(columns=ROW)
    frame = frame.reset_index(drop=True)
    lay = SCHEMAS.get(name)
    if lay is not None:
        for f in lay.fields:
            if f.name in frame.columns and not f.numeric:
                frame[f.name] = frame[f.name].astype("str")
    return frame


def _read_file(path: Path) -> pd.DataFrame:
    try:
        return gpd.read_parquet(path)
    except ValueError:  # not GeoParquet: a table without geometry
        return pd.read_parquet(path)


def read_layer(path: str | Path, name: str) -> pd.DataFrame:
    """
    One layer of a dataset, whole, in workspace order (an empty typed frame when absent).

    Parameters
    ----------
    path
        The dataset directory.
    name
        Layer name.
    """
    root = Path(path)
    if name in PARTITIONED and (root / name).is_dir():
        parts = [_read_file(p) for p in part_files(root, name)]
        if not parts:
            return _empty(name)
        frame = pd.concat(parts, ignore_index=True)
        if isinstance(parts[0], gpd.GeoDataFrame):
            frame = gpd.GeoDataFrame(frame, geometry=parts[0].geometry.name, crs=parts[0].crs)
        return normalise(frame, name)
    file = root / f"{name}.parquet"
    if not file.is_file():
        return _empty(name) if name in SCHEMAS else pd.DataFrame()
    return normalise(_read_file(file), name)


def read_all(path: str | Path) -> dict[str, pd.DataFrame]:
    """Every canonical layer of a dataset, by name (absent ones as empty frames)."""
    manifest(path)
    return {name: read_layer(path, name) for name in SCHEMAS}
