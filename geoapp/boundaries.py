"""Real Shanghai boundaries and codes bundled with the product (see ``data/ATTRIBUTION.md``).

The district polygons come from AMap in GCJ-02 and are converted to WGS84 here, on load, by
the same loader users' files go through, so the product never stores a shifted boundary.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd

from layers.io import read_layer

DATA_DIR = Path(__file__).parent / "data"
DISTRICTS_FILE = DATA_DIR / "shanghai_districts_gcj02.geojson"
TOWN_CODES_FILE = DATA_DIR / "shanghai_town_codes.csv"

BAOSHAN = "310113"
JINSHAN = "310116"


@cache
def _districts() -> gpd.GeoDataFrame:
    loaded = read_layer(DISTRICTS_FILE, "districts", crs="gcj02")
    return loaded.frame[["code", "name", "geometry"]]


def load_districts(codes: tuple[str, ...] | None = (BAOSHAN, JINSHAN)) -> gpd.GeoDataFrame:
    """Real district boundaries in WGS84 (EPSG:4326).

    Parameters
    ----------
    codes
        District codes to keep (default Baoshan 310113 and Jinshan 310116); None for all 16.

    Returns
    -------
    GeoDataFrame
        Columns ``code``, ``name``, ``geometry``; a fresh copy each call.
    """
    frame = _districts()
    if codes is not None:
        frame = frame[frame["code"].isin(codes)]
    return frame.reset_index(drop=True).copy()


def load_town_codes(district_codes: tuple[str, ...] | None = (BAOSHAN, JINSHAN)) -> pd.DataFrame:
    """Real town/street codes (NBS 2023) with ``code``, ``name``, ``district_code``."""
    df = pd.read_csv(TOWN_CODES_FILE, dtype=str)
    df = df.rename(columns={"areaCode": "district_code"})[["code", "name", "district_code"]]
    if district_codes is not None:
        df = df[df["district_code"].isin(district_codes)]
    return df.reset_index(drop=True)
