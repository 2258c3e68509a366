"""GeoJSON export of 100 000 synthetic plots: geoapp's writer against the usual ways.

Run (after ``make install``)::

    .venv/bin/python benchmarks/bench_geojson.py [--plots 100000] [--repeat 3]

Prints one table: best-of-``repeat`` wall time, ratio to geopandas ``to_json`` (the naive
way), output size. The plots are synthetic (random 5-10-vertex polygons around Baoshan and
Jinshan, 5 % MultiPolygons, 5 % with a hole) with the attributes of an evaluated plots layer,
Chinese text included. Budget for ``geoapp geojson_bytes``: 1.5 s for 100 000 plots.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoapp.export import geojson_bytes

BUDGET_S = 1.5


def synthetic_plots(n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` random star-shaped plots of 5-10 vertices (~100-300 m across), in WGS84."""
    rng = np.random.default_rng(seed)
    centre_x = 121.2 + rng.random(n) * 0.35
    centre_y = 30.75 + rng.random(n) * 0.65
    vertices = rng.integers(5, 11, n)
    geoms = np.empty(n, dtype=object)
    for k in range(5, 11):
        rows = np.flatnonzero(vertices == k)
        # evenly spread angles with jitter: star-shaped around the centre, so always valid
        angles = (np.arange(k) + rng.random((rows.size, k)) * 0.8) / k * 2 * np.pi
        radius = 0.0008 + rng.random((rows.size, k)) * 0.0007
        x = centre_x[rows, None] + radius * np.cos(angles)
        y = centre_y[rows, None] + radius * np.sin(angles)
        ring = np.stack([x, y], axis=-1)
        ring = np.concatenate([ring, ring[:, :1]], axis=1)
        geoms[rows] = shapely.polygons(ring)
    holed = rng.random(n) < 0.05
    holes = shapely.box(centre_x[holed] - 0.0002, centre_y[holed] - 0.0002,
                        centre_x[holed] + 0.0002, centre_y[holed] + 0.0002)
    geoms[holed] = [shapely.Polygon(g.exterior, [h.exterior])
                    for g, h in zip(geoms[holed], holes, strict=True)]
    multi = rng.random(n) < 0.05
    shifted = shapely.transform(geoms[multi], lambda c: c + 0.003)
    geoms[multi] = shapely.multipolygons(np.stack([geoms[multi], shifted], axis=1).tolist())
    towns = np.array(["罗店镇", "顾村镇", "月浦镇", "金山卫镇", "枫泾镇", "亭林镇"])
    area = rng.random(n) * 60 + 5
    tax = np.where(rng.random(n) < 0.1, np.nan, rng.random(n) * 800)
    return gpd.GeoDataFrame(
        {
            "plot_id": [f"P{i:06d}" for i in range(n)],
            "name": np.char.add(towns[rng.integers(0, towns.size, n)], "测试地块(合成)"),
            "land_use": rng.choice(["M1", "M2", "M0"], n),
            "status": rng.choice(["in_use", "idle", "under_construction"], n),
            "area_mu": area.round(2),
            "tax_wan": tax,
            "tax_per_mu": tax / area,
            "n_enterprises": rng.integers(0, 8, n),
            "low_efficiency": rng.random(n) < 0.2,
            "supply_year": pd.array(rng.integers(1995, 2024, n), dtype="Int64"),
            "synthetic": 1,
        },
        geometry=geoms,
        crs="EPSG:4326",
    )


def best_of(func, repeat: int) -> tuple[float, float, int]:
    """Best wall time and best CPU time in seconds, and the output size in bytes.

    CPU time (this process only) is printed too because the machine may be shared: wall time
    then includes waiting for a core.
    """
    walls, cpus, size = [], [], 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        size = func()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), min(cpus), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    plots = synthetic_plots(args.plots)
    vertices = len(shapely.get_coordinates(plots.geometry.array))
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "plots.geojson"

        def ours():
            return len(geojson_bytes(plots))

        def ours_gcj02():
            return len(geojson_bytes(plots, coords="gcj02"))

        def geopandas_to_json():
            return len(plots.to_json().encode("utf-8"))

        def pyogrio_write():
            target.unlink(missing_ok=True)
            pyogrio.write_dataframe(plots, target, driver="GeoJSON",
                                    layer_options={"RFC7946": "YES",
                                                   "COORDINATE_PRECISION": "6"})
            return target.stat().st_size

        rows = [
            ("geopandas GeoDataFrame.to_json (naive)", *best_of(geopandas_to_json, args.repeat)),
            ("pyogrio write, GDAL GeoJSON RFC7946=YES", *best_of(pyogrio_write, args.repeat)),
            ("geoapp geojson_bytes (wgs84)", *best_of(ours, args.repeat)),
            ("geoapp geojson_bytes (gcj02)", *best_of(ours_gcj02, args.repeat)),
        ]
    naive_wall, naive_cpu = rows[0][1], rows[0][2]
    print(f"{args.plots} synthetic plots, {vertices} vertices, best of {args.repeat}")
    print(f"{'method':<42} {'wall s':>7} {'ratio':>7} {'cpu s':>7} {'ratio':>7} {'MB':>6}")
    for name, wall, cpu, size in rows:
        print(f"{name:<42} {wall:>7.3f} {naive_wall / wall:>6.1f}x {cpu:>7.3f} "
              f"{naive_cpu / cpu:>6.1f}x {size / 1e6:>6.1f}")
    scale = 100_000 / args.plots
    wall, cpu = rows[2][1] * scale, rows[2][2] * scale
    verdict = "within" if wall <= BUDGET_S else "OVER"
    print(f"geoapp per 100k plots: wall {wall:.3f} s, cpu {cpu:.3f} s ({verdict} the "
          f"{BUDGET_S} s budget by wall time); ratio = to_json time / method time")

if __name__ == "__main__":
    main()
