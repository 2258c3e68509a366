"""The map builder: offline assets, compact layers, level of detail, GCJ-02 display shift."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
import rasterio
from rasterio.transform import Affine

from geoapp import maps, offline
from geoapp.app import loading, symbology, viewing
from layers.crs import wgs84_to_gcj02
from tests.conftest import squares


def _data(n: int = 3) -> loading.AppData:
    plots = squares([100] * n)
    plots["land_use"] = "M1"
    plots["status"] = "in_use"
    layers = {"plots": plots}
    table = loading.plot_table(layers, {})
    table["tax_per_mu"] = np.arange(1.0, n + 1.0)
    table["low_efficiency"] = [True] + [False] * (n - 1)
    table["reasons"] = pd.array(["low_tax"] + [None] * (n - 1), dtype="string")
    return loading.AppData(path="mem", year=2023, years=[2023], layers=layers, results={},
                           errors={}, plots=table)


def _collection(element: maps.FastGeoJson) -> dict:
    return json.loads(element.data)


def test_base_map_loads_only_local_leaflet():
    vp = viewing.Viewport(121.3, 31.2, 121.5, 31.4, 12)
    m = maps.base_map(vp)
    html = m.get_root().render()
    assert offline.external_urls(html) == []
    assert "/app/static/vendor/node_modules/leaflet/dist/leaflet.js" in html
    assert "preferCanvas" in html and '"preferCanvas": true' in html
    # folium's class defaults are untouched (other maps still work as before)
    import folium

    assert "cdn.jsdelivr.net" in folium.Map.default_js[0][1]


def test_external_urls_finds_cdn_hosts():
    html = ('<script src="https://cdn.jsdelivr.net/x.js"></script>'
            '<link href="//code.jquery.com/a.css"><script src="/app/static/a.js"></script>'
            '<img src="http://127.0.0.1:8501/x.png">')
    assert offline.external_urls(html) == ["cdn.jsdelivr.net", "code.jquery.com"]


def test_offline_check_reports_missing_files(tmp_path):
    assert set(offline.missing_assets(tmp_path)) == set(offline.REQUIRED_FILES)
    assert offline.main(["--check", "--root", str(tmp_path)]) == 1
    assert offline.asset_url("a/b.js", base_url_path="/geo/") == "/geo/app/static/vendor/a/b.js"


def test_plot_layer_is_compact_and_classified():
    data = _data(3)
    legend = symbology.Legend("tax_per_mu", "quantiles", ("a", "b"), ("#111111", "#222222"),
                              bins=(1.5, 3.0))
    el = maps.plot_layer(data, np.array([0, 2]), legend, metric="tax_per_mu", zoom=16)
    fc = _collection(el)
    props = [f["properties"] for f in fc["features"]]
    assert [p["id"] for p in props] == ["P1", "P3"]
    assert [p["c"] for p in props] == [0, 1]  # 1.0 ≤ 1.5; 3.0 ≤ 3.0
    assert props[0]["t"].startswith("P1 · 亩均税收 1.00")
    # five decimals at zoom 16 (about 1 m): coordinates carry no more digits than that
    coords = re.findall(r"\d+\.(\d+)", json.dumps(fc["features"][0]["geometry"]))
    assert max(len(c) for c in coords) <= maps.precision_for(16)
    assert el.n_bytes / 2 < 400  # bytes per plot, properties included


def test_grid_layer_when_zoomed_out_and_plots_when_zoomed_in():
    data = _data(3)
    legend = symbology.make_legend(data.plots, "tax_per_mu", "quantiles", k=3)
    mask = np.ones(3, dtype=bool)
    w, s, e, n = data.plots.total_bounds
    far = maps.overlays(data, mask, viewing.Viewport(w - 0.1, s - 0.1, e + 0.1, n + 0.1, 10),
                        layers=("plots", "low_efficiency"), legend=legend, metric="tax_per_mu")
    assert far.lod == "grid"
    # zoomed out, low-efficiency plots stay visible: on the grid cells
    assert [g.layer_name for g in far.groups] == ["plot_grid", "low_efficiency_grid"]
    near = maps.overlays(data, mask, viewing.Viewport(w, s, e, n, 16),
                         layers=("plots", "low_efficiency"), legend=legend, metric="tax_per_mu")
    assert near.lod == "plots"
    assert [g.layer_name for g in near.groups] == ["plots", "low_efficiency"]
    low = next(iter(near.groups[1]._children.values()))
    assert [f["properties"]["id"] for f in _collection(low)["features"]] == ["P1"]
    off = maps.overlays(data, mask, viewing.Viewport(w, s, e, n, 16), layers=("low_efficiency",),
                        legend=legend, metric="tax_per_mu")
    assert [g.layer_name for g in off.groups] == ["low_efficiency"]


def test_amap_shifts_overlays_to_gcj02_for_display_only():
    data = _data(1)
    legend = symbology.make_legend(data.plots, "tax_per_mu", "quantiles", k=3)
    w, s, e, n = data.plots.total_bounds
    vp = viewing.Viewport(w, s, e, n, 16)
    plain = maps.overlays(data, np.ones(1, bool), vp, layers=("plots",), legend=legend,
                          metric="tax_per_mu")
    amap = maps.overlays(data, np.ones(1, bool), vp, layers=("plots",), legend=legend,
                         metric="tax_per_mu", basemap=maps.Basemap("amap"))
    p0 = _collection(next(iter(plain.groups[0]._children.values())))
    p1 = _collection(next(iter(amap.groups[0]._children.values())))
    lon, lat = p0["features"][0]["geometry"]["coordinates"][0][0]
    glon, glat = p1["features"][0]["geometry"]["coordinates"][0][0]
    elon, elat = wgs84_to_gcj02(lon, lat)
    assert glon == pytest.approx(float(elon), abs=2e-6)
    assert glat == pytest.approx(float(elat), abs=2e-6)
    assert (glon - lon) * 1e5 > 100  # hundreds of metres: the GCJ-02 offset
    # the data themselves are untouched
    assert data.plots.geometry.iloc[0].exterior.coords[0][0] == pytest.approx(
        squares([100]).geometry.iloc[0].exterior.coords[0][0])


def test_tile_layers_and_key_never_shown():
    assert maps.tile_layers(maps.Basemap("none")) == []
    assert maps.tile_layers(maps.Basemap("tianditu")) == []  # no key: no tiles
    b = maps.Basemap("tianditu", key="SECRET123")
    layers = maps.tile_layers(b)
    assert len(layers) == 2 and "tk=SECRET123" in layers[0].tiles
    assert "SECRET123" not in repr(b)
    assert maps.Basemap("amap").shift == "gcj02" and maps.Basemap("osm").shift is None
    xyz = maps.tile_layers(maps.Basemap("xyz", url="http://10.0.0.1/t/{z}/{x}/{y}.png"))
    assert xyz[0].tiles == "http://10.0.0.1/t/{z}/{x}/{y}.png"


def test_tianditu_key_from_env_or_secrets(monkeypatch):
    monkeypatch.delenv(maps.TIANDITU_ENV, raising=False)
    assert maps.tianditu_key(None) == ""
    assert maps.tianditu_key({"TIANDITU_KEY": " abc "}) == "abc"
    monkeypatch.setenv(maps.TIANDITU_ENV, "fromenv")
    assert maps.tianditu_key({"TIANDITU_KEY": "abc"}) == "fromenv"


def _density_tif() -> bytes:
    # 4 × 4 cells of 250 m in UTM 51N, densities 0..15 per km², top-left hot
    values = np.arange(16, dtype="float32").reshape(4, 4)[::-1]
    buf = io.BytesIO()
    with rasterio.MemoryFile() as mem:
        with mem.open(driver="GTiff", width=4, height=4, count=1, dtype="float32",
                      crs="EPSG:32651", transform=Affine(250, 0, 350_000, 0, -250, 3_471_000),
                      nodata=-9999.0) as dst:
            dst.write(values, 1)
        buf.write(mem.read())
    return buf.getvalue()


def test_density_image_reprojects_to_web_mercator():
    png, bounds = maps.density_image(_density_tif())
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    (s, w), (n, e) = bounds
    # the square is about 1 km: ~0.0105° of longitude and ~0.009° of latitude at 31.35N
    assert e - w == pytest.approx(0.01053, rel=0.02)
    assert n - s == pytest.approx(0.00902, rel=0.02)
    assert 121.4 < w < 121.45 and 31.3 < s < 31.4


def test_density_overlay_is_prepared_once_and_drawn_as_given():
    import base64

    tif = _density_tif()
    png, ((s, w), (n, e)) = maps.density_image(tif)
    plain = maps.density_overlay(tif)
    assert plain.url == "data:image/png;base64," + base64.b64encode(png).decode()
    assert plain.bounds == ((s, w), (n, e))
    shifted = maps.density_overlay(tif, shift="gcj02")
    sw = wgs84_to_gcj02(w, s)
    assert shifted.bounds[0] == pytest.approx((float(sw[1]), float(sw[0])))
    # drawing it is cheap: the PNG is embedded as prepared, nothing is warped again
    data = _data(1)
    legend = symbology.make_legend(data.plots, "tax_per_mu", "quantiles", k=3)
    view = maps.overlays(data, np.ones(1, bool), viewing.data_viewport(data), layers=("density",),
                         legend=legend, metric="tax_per_mu", density=plain)
    assert [g.layer_name for g in view.groups] == ["density"]
    overlay = next(iter(view.groups[0]._children.values()))
    assert overlay.url == plain.url
    assert overlay.bounds == [[s, w], [n, e]]


def test_install_is_idempotent_and_explains_a_missing_npm(tmp_path):
    for rel in offline.REQUIRED_FILES:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    manifest = {"name": "geoapp-web-assets", "private": True, "version": "0.0.0",
                "description": "Leaflet for geoapp's offline map page (installed, not committed)",
                "dependencies": dict(offline.NPM_PACKAGES)}
    (tmp_path / "package.json").write_text(json.dumps(manifest), encoding="utf-8")
    # everything present: nothing to run, so even a missing npm is fine
    assert offline.install(tmp_path, npm="no-such-npm-here") == tmp_path
    (tmp_path / offline.REQUIRED_FILES[0]).unlink()
    with pytest.raises(RuntimeError, match="npm"):
        offline.install(tmp_path, npm="no-such-npm-here")


def test_app_launch_command_and_refusals(tmp_path, capsys):
    from geoapp import app_launch

    cmd = app_launch.streamlit_command(tmp_path / "ws.gpkg", 8600)
    assert cmd[1:4] == ["-m", "streamlit", "run"]
    assert cmd[4].endswith("streamlit_app.py")
    assert cmd[cmd.index("--server.port") + 1] == "8600"
    assert cmd[cmd.index("--server.enableStaticServing") + 1] == "true"
    assert cmd[cmd.index("--browser.gatherUsageStats") + 1] == "false"
    assert cmd[-2:] == ["--workspace", str((tmp_path / "ws.gpkg").resolve())]
    assert app_launch.launch(tmp_path / "missing.gpkg", 8600) == 2
    assert "geoapp demo" in capsys.readouterr().err
