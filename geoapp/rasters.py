"""GeoTIFF writing and reading of density surfaces (rasterio).

A surface becomes a single-band float32 GeoTIFF with its CRS, transform, a nodata value, the
band description (what the surface is) and its unit (``units`` tag and band unit type), DEFLATE
compressed. :func:`geotiff_bytes` builds the file in memory (:class:`rasterio.io.MemoryFile`)
for the pipeline and the app's download button; :func:`write_geotiff` writes it to disk.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
from rasterio.io import MemoryFile

from analysis.density import DensitySurface

NODATA = -9999.0
"""Nodata value written to every density GeoTIFF (no cell of a density surface is missing)."""


def _profile(surface: DensitySurface, nodata: float) -> dict:
    height, width = surface.values.shape
    return {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": "float32",
        "crs": surface.crs,
        "transform": surface.transform,
        "nodata": nodata,
        "compress": "deflate",
        "predictor": 3,  # floating-point predictor: smaller files for smooth surfaces
        "tiled": width >= 256 and height >= 256,
    }


def _fill(dataset, surface: DensitySurface) -> None:
    dataset.write(np.asarray(surface.values, dtype="float32"), 1)
    dataset.set_band_description(1, surface.description)
    dataset.set_band_unit(1, surface.units)
    dataset.update_tags(1, units=surface.units)
    dataset.update_tags(
        units=surface.units,
        bandwidth_m=f"{surface.bandwidth_m:g}",
        cell_m=f"{surface.cell_m:g}",
        source="geoapp density surface",
    )


def geotiff_bytes(surface: DensitySurface, *, nodata: float = NODATA) -> bytes:
    """
    Encode the surface as the bytes of a GeoTIFF file.

    Parameters
    ----------
    surface
        A density surface (float32 values per km²).
    nodata
        Value declared as nodata.

    Returns
    -------
    bytes
        A complete GeoTIFF, ready to write as ``density_<name>.tif``.
    """
    with MemoryFile() as memfile:
        with memfile.open(**_profile(surface, nodata)) as dataset:
            _fill(dataset, surface)
        return memfile.read()


def write_geotiff(surface: DensitySurface, path: str | Path, *, nodata: float = NODATA) -> Path:
    """
    Write the surface to a GeoTIFF file.

    Parameters
    ----------
    surface
        A density surface.
    path
        Destination file (overwritten).
    nodata
        Value declared as nodata.

    Returns
    -------
    Path
        The file written.
    """
    path = Path(path)
    with rasterio.open(path, "w", **_profile(surface, nodata)) as dataset:
        _fill(dataset, surface)
    return path


def _surface(dataset) -> DensitySurface:
    values = dataset.read(1)
    values.setflags(write=False)
    tags = dataset.tags()
    return DensitySurface(
        values=values,
        transform=dataset.transform,
        crs=dataset.crs.to_string() if dataset.crs else "",
        description=dataset.descriptions[0] or "",
        units=dataset.units[0] or tags.get("units", ""),
        bandwidth_m=float(tags.get("bandwidth_m", 0.0)),
    )


def read_geotiff(source: str | Path | bytes) -> DensitySurface:
    """
    Read a density GeoTIFF (a path or the bytes of one) back into a surface.

    Parameters
    ----------
    source
        File path, or the bytes returned by :func:`geotiff_bytes`.

    Returns
    -------
    DensitySurface
        Band 1 with its transform, CRS (e.g. ``"EPSG:32651"``), description and units.
    """
    if isinstance(source, bytes | bytearray):
        with MemoryFile(bytes(source)) as memfile, memfile.open() as dataset:
            return _surface(dataset)
    with rasterio.open(source) as dataset:
        return _surface(dataset)
