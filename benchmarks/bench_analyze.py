"""Benchmark of ``geoapp analyze`` and its evaluation stage on the SYNTHETIC demo workspace.

Run: ``.venv/bin/python benchmarks/bench_analyze.py [--plots 4000 50000] [--no-full]``

For each size it builds the demo (``geoapp.demo.build_demo``, synthetic firms and plots in
the real district outlines) and times

- the evaluation stage alone (overlays, per-mu indicators, grades, low-efficiency list,
  park/town/district scorecards), in memory;
- the whole ``geoapp analyze`` (workspace read, every stage, every output file and the
  report), on a workspace in a temporary folder — skipped with ``--no-full``;
- two steps against the naive way, each naive way timed on a sample and extrapolated
  linearly: plot → park/zone/town/district by largest share as a Python loop over plots
  (no spatial index, one ``intersection`` per plot and polygon), and plot-level sums as a
  loop that filters the enterprise table once per plot.

Target (issue 3): ``analyze`` ≤ 10 s at 50 000 plots on a 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis import overlay
from analysis.efficiency import scope_indicators
from geoapp import pipeline
from geoapp.demo import build_demo
from geoapp.stages import evaluation
from layers.crs import WORK_CRS


def timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def naive_overlay_seconds(plots, polygons: dict, n_sample: int = 100) -> float:
    """Per-plot loop: every polygon's intersection area with the plot, keep the largest."""
    sample = plots.iloc[:n_sample].to_crs(WORK_CRS)
    layers = {k: (v.to_crs(WORK_CRS), key) for k, (v, key) in polygons.items()}
    start = time.perf_counter()
    for geom in sample.geometry:
        for frame, key in layers.values():
            _best, best_area = None, 0.0
            for value, poly in zip(frame[key], frame.geometry, strict=True):
                a = geom.intersection(poly).area
                if a > best_area:
                    _best, best_area = value, a
    return (time.perf_counter() - start) / len(sample) * len(plots)


def naive_plot_sums_seconds(firms: pd.DataFrame, plot_ids, n_sample: int = 200) -> float:
    """Per-plot loop: filter the enterprise table for the plot, sum tax and output."""
    ids = list(plot_ids[:n_sample])
    start = time.perf_counter()
    for pid in ids:
        rows = firms[firms["plot_id"] == pid]
        _ = rows["tax_wan"].sum(), rows["output_wan"].sum()
    return (time.perf_counter() - start) / len(ids) * len(plot_ids)


def note(rows: list) -> None:
    """Print the row just added, so a long run shows progress."""
    step, size, sec, naive, _ = rows[-1]
    print(f"  {step}: {size}: {sec:.2f} s" + ("" if np.isnan(naive) else f" (naive {naive:.1f} s)"),
          flush=True)


def bench(n_plots: int, full: bool, rows: list) -> None:
    layers, t_build = timed(build_demo, n_plots=n_plots)
    layers.pop("_metadata", None)
    n = len(layers["plots"])
    n_ent = len(layers["enterprises"])
    year = int(layers["enterprises"]["year"].max())
    size = f"{n:,} plots, {n_ent:,} ent-years"
    rows.append(("build demo (not part of analyze)", size, t_build, np.nan, ""))
    note(rows)

    _, t_stage = timed(evaluation.run, layers, year=year)
    rows.append(("evaluation stage", size, t_stage, np.nan, ""))
    note(rows)

    polygons = {
        "parks": (layers["parks"], "park_id"),
        "zones": (layers["zones"], "zone_type"),
        "towns": (layers["towns"], "code"),
        "districts": (layers["districts"], "code"),
    }
    work = layers["plots"].to_crs(WORK_CRS)

    def fast_overlay():
        for frame, key in polygons.values():
            overlay.assign_largest_share(work, frame.to_crs(WORK_CRS), key)

    _, t_fast = timed(fast_overlay)
    t_naive = naive_overlay_seconds(layers["plots"], polygons)
    rows.append(("overlays (4 layers, largest share)", size, t_fast, t_naive,
                 "loop per plot × polygon, timed on 100 plots"))
    note(rows)

    plots = layers["plots"].assign(area_mu=overlay.land_area_mu(work))
    firms = pd.DataFrame(layers["enterprises"]).query("year == @year")
    _, t_fast = timed(scope_indicators, firms, plots, "plot_id", year=year)
    t_naive = naive_plot_sums_seconds(firms, plots["plot_id"].to_numpy())
    rows.append(("plot-level sums and per-mu", size, t_fast, t_naive,
                 "filter firms per plot, timed on 200 plots"))
    note(rows)

    if full:
        with tempfile.TemporaryDirectory() as tmp:
            ws = Path(tmp) / "demo.gpkg"
            pipeline.build_demo_workspace(ws, n_plots=n_plots)
            _, t_all = timed(pipeline.analyze, ws, Path(tmp) / "out", year=year)
        rows.append(("geoapp analyze (all stages, files)", size, t_all, np.nan,
                     "target ≤ 10 s at 50 000 plots"))
        note(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, nargs="+", default=[4000, 50_000])
    parser.add_argument("--no-full", action="store_true", help="skip the whole geoapp analyze")
    args = parser.parse_args(argv)
    rows: list = []
    for n in args.plots:
        bench(n, not args.no_full, rows)
    table = pd.DataFrame(rows, columns=["step", "size", "seconds", "naive_seconds", "naive way"])
    table["naive / fast"] = (table["naive_seconds"] / table["seconds"]).round(1)
    table["seconds"] = table["seconds"].round(2)
    table["naive_seconds"] = table["naive_seconds"].round(1)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.astype(object).where(table.notna(), "").to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
