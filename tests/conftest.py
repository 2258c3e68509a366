"""Shared fixtures: small synthetic layers you can check by hand.

Geometry is built *in metres in WORK_CRS* (UTM 51N) near Baoshan (easting 350 000, northing
3 470 000 ≈ 121.42E 31.35N) and stored in STORE_CRS (WGS84), as the product stores it. A
100 m × 100 m square is 10 000 m² = 15 mu exactly.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from layers.crs import STORE_CRS, WORK_CRS

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BASE_E, BASE_N = 350_000.0, 3_470_000.0


def squares(sizes_m, *, gap_m=50.0, origin=(BASE_E, BASE_N), ids=None, prefix="P", **columns):
    """A row of axis-aligned squares (side in metres) from ``origin``, stored in WGS84."""
    sizes = list(sizes_m)
    x = origin[0]
    geoms = []
    for s in sizes:
        if isinstance(s, tuple):
            w, h = s
        else:
            w = h = s
        geoms.append(box(x, origin[1], x + w, origin[1] + h))
        x += w + gap_m
    ids = ids or [f"{prefix}{i + 1}" for i in range(len(sizes))]
    data = {"plot_id": ids, **columns}
    return gpd.GeoDataFrame(data, geometry=geoms, crs=WORK_CRS).to_crs(STORE_CRS)


@pytest.fixture
def make_plots():
    """Factory: ``make_plots(100, 200, status=[...])`` → plots layer of 100 m and 200 m squares."""

    def factory(*sizes_m, **kw):
        n = len(sizes_m)
        kw.setdefault("land_use", ["M1"] * n)
        kw.setdefault("status", ["in_use"] * n)
        return squares(sizes_m, **kw)

    return factory


@pytest.fixture
def make_points():
    """Factory: points at (easting, northing) metres in WORK_CRS, stored in WGS84."""

    def factory(coords_m, **columns):
        geoms = [Point(e, n) for e, n in coords_m]
        return gpd.GeoDataFrame(columns, geometry=geoms, crs=WORK_CRS).to_crs(STORE_CRS)

    return factory


@pytest.fixture
def shared_data() -> Path:
    """The read-only real third-party data beside the project (see shared/data/SOURCES.md)."""
    if not SHARED_DATA.exists():  # pragma: no cover - CI always has shared/ beside the clone
        pytest.skip("shared/data not beside the checkout")
    return SHARED_DATA


def enterprises_frame(rows: list[dict]) -> pd.DataFrame:
    """An enterprises table with defaults for the columns a test does not care about."""
    base = {"name": "测试企业(合成)", "industry": "biomed", "year": 2023, "scale": "above"}
    return pd.DataFrame([{**base, **r} for r in rows])


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory) -> Path:
    """A small synthetic demo workspace (seed 0, ~1500 plots), built once per test session."""
    from geoapp.pipeline import build_demo_workspace

    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    build_demo_workspace(path, seed=0, n_plots=1500)
    return path


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session, shared by every browser test module
    (Playwright's sync API allows one running instance per process)."""
    from tests.test_app_browser import CHROMIUM, CHROMIUM_ARGS, _require_environment

    _require_environment()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def pg_server():
    """A throwaway PostgreSQL + PostGIS cluster for the session (skipped, or failed in CI,
    when the packages are missing: scripts/ensure_postgis.sh installs them)."""
    import os

    from tests import postgis_server

    why = postgis_server.missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    server = postgis_server.Server()
    yield server
    from geoapp.store.postgis import close_connections

    close_connections()
    server.stop()


@pytest.fixture
def pg_url(pg_server) -> str:
    """The superuser URL of a fresh, empty PostGIS database (one per test)."""
    return pg_server.new_database()


@pytest.fixture(params=["gpkg", "postgis"])
def ws_target(request, tmp_path) -> str:
    """Where a workspace test writes: a GeoPackage path, then a PostGIS URL (same test)."""
    if request.param == "gpkg":
        return str(tmp_path / "w.gpkg")
    return request.getfixturevalue("pg_url")
