"""Benchmark of the map app at city scale on the SYNTHETIC demo: payload and rerun time.

Run: ``.venv/bin/python benchmarks/bench_app.py [--plots 50000]``

Builds the demo workspace (``geoapp demo --plots N``, synthetic plots in the real district
outlines), loads it as the app does (``geoapp.app.loading.load_app_data``, cached once per
workspace version in the app) and measures, against the naive way (one ``folium.GeoJson`` of
every plot with a style function and a tooltip, rebuilt on every rerun):

- **first page payload**: the map page as folium renders it (base map + every layer drawn at
  the opening view). The app sends the same scripts through ``st_folium``; the browser test
  ``test_city_scale_map_screenshot_and_payload`` also counts the WebSocket bytes the browser
  really receives (``tests/artifacts/payload_50k.json``).
- **rerun after pan/zoom**: what the app's script does when the map reports a new view —
  filter mask, level of detail, layers for the view, the map's scripts rendered — at several
  zooms and places; median and worst.

Targets (issue 6): first page ≤ 5 MB and rerun ≤ 1 s at 50 000 plots.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoapp import maps
from geoapp.app import filtering, loading, symbology, viewing
from geoapp.pipeline import analyse_workspace, build_demo_workspace

MB = 1024 * 1024


def rerun(data: loading.AppData, legend: symbology.Legend, home: viewing.Viewport,
          vp: viewing.Viewport) -> int:
    """One rerun of the map tab for a view; returns the bytes of the map's scripts."""
    mask = filtering.filter_mask(data.plots, filtering.Filters())
    view = maps.overlays(data, mask, vp, layers=maps.DEFAULT_LAYERS, legend=legend,
                         metric="tax_per_mu")
    m = maps.base_map(home)
    for g in view.groups:
        g.add_to(m)
    return len(m.get_root().render().encode())


def naive_map(plots: gpd.GeoDataFrame, *, metric: str = "tax_per_mu") -> folium.Map:
    """The naive map, the benchmark's baseline: one ``folium.GeoJson`` of every plot.

    Style function and tooltip per feature, SVG renderer, folium's CDN assets: what
    ``GeoDataFrame.explore()``-style code does. Never used by the product (it would load
    Leaflet from the internet).
    """
    cols = ["plot_id", metric] if metric in plots else ["plot_id"]
    frame = plots[[*cols, plots.geometry.name]]
    center = [float(frame.geometry.total_bounds[[1, 3]].mean()),
              float(frame.geometry.total_bounds[[0, 2]].mean())]
    m = folium.Map(location=center, zoom_start=11, tiles=None)
    vals = pd.to_numeric(frame[metric], errors="coerce") if metric in frame else None
    hi = float(vals.quantile(0.9)) if vals is not None and vals.notna().any() else 1.0

    def style(feature):
        v = feature["properties"].get(metric)
        share = 0.0 if v is None or hi <= 0 else min(1.0, float(v) / hi)
        return {"fillColor": f"#{int(255 * share):02x}{int(255 * (1 - share)):02x}40",
                "color": "#555555", "weight": 0.6, "fillOpacity": 0.8}

    folium.GeoJson(frame, style_function=style,
                   tooltip=folium.GeoJsonTooltip(fields=cols)).add_to(m)
    return m


def naive_rerun(data: loading.AppData) -> int:
    m = naive_map(data.plots, metric="tax_per_mu")
    return len(m.get_root().render().encode())


def views(data: loading.AppData, home: viewing.Viewport,
          rng: np.random.Generator) -> list[viewing.Viewport]:
    """The opening view, then pans/zooms to random plots at zooms 12-17."""
    out = [home]
    rows = rng.choice(len(data.plots), size=10, replace=False)
    for i, z in zip(rows, (12, 13, 14, 14, 15, 15, 16, 16, 17, 17), strict=True):
        lon, lat = data.plots["lon"].iloc[i], data.plots["lat"].iloc[i]
        half_w = 700 * 360 / (256 * 2 ** z) / 2
        half_h = half_w * 620 / 700
        out.append(viewing.Viewport(lon - half_w, lat - half_h, lon + half_w, lat + half_h, z))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, nargs="+", default=[4000, 50_000])
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.plots:
            ws = Path(tmp) / f"demo{n}.gpkg"
            t0 = time.perf_counter()
            build_demo_workspace(ws, seed=0, n_plots=n)
            t_build = time.perf_counter() - t0
            analyse_workspace(ws, load=False)  # as `geoapp analyze` leaves it
            t0 = time.perf_counter()
            data = loading.load_app_data(str(ws), loading.workspace_mtime(ws))
            legend = symbology.make_legend(data.plots, "tax_per_mu", "quantiles")
            _ = data.tree
            t_load = time.perf_counter() - t0
            home = viewing.data_viewport(data, height_px=620)
            vps = views(data, home, np.random.default_rng(0))
            first = rerun(data, legend, home, home)  # warm-up and first page
            times = []
            for vp in vps:
                t0 = time.perf_counter()
                rerun(data, legend, home, vp)
                times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            naive_bytes = naive_rerun(data)
            t_naive = time.perf_counter() - t0
            rows.append((len(data.plots), t_build, t_load, first, naive_bytes,
                         statistics.median(times), max(times), t_naive))
    print("\nmap app, synthetic demo (2 shared cores)")
    header = (f"{'plots':>7} {'build s':>8} {'load s':>7} {'page MB':>8} {'naive MB':>9} "
              f"{'ratio':>6} {'rerun med s':>11} {'rerun max s':>11} {'naive s':>8} "
              f"{'ratio':>6}")
    print(header)
    print("-" * len(header))
    for n, tb, tl, first, nb, med, worst, tn in rows:
        print(f"{n:>7} {tb:>8.1f} {tl:>7.1f} {first / MB:>8.2f} {nb / MB:>9.2f} "
              f"{nb / first:>5.0f}x {med:>11.3f} {worst:>11.3f} {tn:>8.2f} {tn / med:>5.0f}x")
    print("\ntargets at 50 000 plots: first page <= 5 MB, rerun <= 1 s "
          "(load happens once per workspace version: cached with st.cache_resource)")
    ok = all(first <= 5 * MB and worst <= 1.0 for n, _, _, first, _, _, worst, _ in rows)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
