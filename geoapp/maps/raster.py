"""The density surface: a GeoTIFF rendered as a PNG image overlay."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import folium
import numpy as np

from geoapp.maps.basemaps import ad_shift_point

DENSITY_CMAP = "YlOrRd"
"""matplotlib colormap of the density surface (its legend draws the same ramp)."""


def density_image(tif: bytes, *, cmap: str = DENSITY_CMAP,
                  max_pixels: int = 1_000_000) -> tuple[bytes, list[list[float]]]:
    """Render a density GeoTIFF as a PNG for a Leaflet image overlay.

    The raster is reprojected to Web Mercator (EPSG:3857, Leaflet's display CRS) so its rows
    line up with the map, coloured with a matplotlib colormap from its 2nd to 99.5th
    percentile (zero and nodata transparent), and its bounds are given in lon/lat.

    Parameters
    ----------
    tif
        GeoTIFF bytes (any CRS rasterio knows).
    cmap
        matplotlib colormap name.
    max_pixels
        Upper bound on the PNG's pixel count (the raster is resampled down to fit).

    Returns
    -------
    tuple
        ``(png bytes, [[south, west], [north, east]])``.
    """
    png, bounds, _, _ = _render(tif, cmap=cmap, max_pixels=max_pixels)
    return png, bounds


def _render(tif: bytes, *, cmap: str = DENSITY_CMAP, max_pixels: int = 1_000_000
            ) -> tuple[bytes, list[list[float]], tuple[float, float], str]:
    """:func:`density_image`, plus the values at the ramp's ends and the surface's unit."""
    import matplotlib
    import rasterio
    from matplotlib import colormaps
    from rasterio.io import MemoryFile
    from rasterio.transform import Affine
    from rasterio.warp import Resampling, reproject, transform_bounds

    matplotlib.use("Agg", force=False)
    with MemoryFile(tif) as mem, mem.open() as src:
        dst_crs = "EPSG:3857"
        # destination grid built by hand (rasterio's calculate_default_transform multiplies
        # Affines with `*`, which affine 3.1 deprecates): the source's extent and pixel count
        west, south, east, north = transform_bounds(src.crs, dst_crs, *src.bounds)
        n_pixels = min(max(src.width * src.height, 1), max_pixels)
        aspect = max(east - west, 1e-9) / max(north - south, 1e-9)
        width = max(1, round(float(np.sqrt(n_pixels * aspect))))
        height = max(1, round(n_pixels / width))
        transform = Affine((east - west) / width, 0.0, west, 0.0, -(north - south) / height,
                           north)
        out = np.full((height, width), np.nan, dtype="float32")
        src_nodata = src.nodata
        units = src.units[0] or src.tags().get("units", "")
        reproject(rasterio.band(src, 1), out, src_transform=src.transform, src_crs=src.crs,
                  dst_transform=transform, dst_crs=dst_crs, resampling=Resampling.bilinear,
                  src_nodata=src_nodata, dst_nodata=np.nan)
        lon_w, lat_s, lon_e, lat_n = transform_bounds(dst_crs, "EPSG:4326", west, south, east,
                                                      north)
    valid = np.isfinite(out) & (out > 0)
    rgba = np.zeros((*out.shape, 4), dtype="float32")
    lo = hi = 0.0
    if valid.any():
        lo, hi = np.percentile(out[valid], [2, 99.5])
        norm = np.clip((out - lo) / max(hi - lo, 1e-12), 0, 1)
        rgba = colormaps[cmap](np.where(valid, norm, 0)).astype("float32")
        rgba[..., 3] = np.where(valid, 0.35 + 0.5 * norm, 0.0)
    buf = io.BytesIO()
    import matplotlib.image as mpimg

    mpimg.imsave(buf, rgba, format="png")
    return (buf.getvalue(), [[float(lat_s), float(lon_w)], [float(lat_n), float(lon_e)]],
            (float(lo), float(hi)), str(units))


@dataclass(frozen=True)
class DensityImage:
    """A density surface ready for the map: a PNG data URL and its display bounds.

    Attributes
    ----------
    url
        ``data:image/png;base64,...`` (embedded: the page makes no request for it).
    bounds
        ``((south, west), (north, east))`` in display coordinates (GCJ-02 for AMap).
    values
        The surface's values at the ends of the colour ramp (2nd and 99.5th percentile of
        the non-zero cells), in ``units``.
    units
        The surface's unit as written in the GeoTIFF, e.g. ``"enterprises per km2"``.
    """

    url: str
    bounds: tuple[tuple[float, float], tuple[float, float]]
    values: tuple[float, float] = (0.0, 0.0)
    units: str = ""


def density_overlay(tif: bytes, *, shift: str | None = None) -> DensityImage:
    """Reproject and encode a density GeoTIFF for display (slow: the app caches the result).

    Parameters
    ----------
    tif
        GeoTIFF bytes (:func:`density_image`).
    shift
        ``"gcj02"`` to shift the bounds for AMap tiles.
    """
    png, ((s, w), (n, e)), values, units = _render(tif)
    if shift:
        w, s = ad_shift_point(w, s)
        e, n = ad_shift_point(e, n)
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return DensityImage(url=url, bounds=((s, w), (n, e)), values=values, units=units)


def density_layer(image: DensityImage) -> folium.raster_layers.ImageOverlay:
    """Draw a prepared density surface as an image overlay (cheap)."""
    return folium.raster_layers.ImageOverlay(image.url, bounds=[list(b) for b in image.bounds],
                                             opacity=0.8, interactive=False, name="density")

