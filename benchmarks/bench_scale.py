"""``geoapp analyze`` at 50 000 and 500 000 plots against its floor (issue 14), SYNTHETIC data.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--plots 50000 500000] [--copies]``
(``make bench`` runs it with the other benchmarks).

For each size, in one run, each step a separate process measured by
:mod:`process_tree` (wall time; peak memory of the whole process tree as RSS and PSS):

- ``demo``: ``geoapp demo --plots N`` (the generator, target: within 4 GiB at 500 000);
- ``floor``: :mod:`floor` (read plots and firms, join, measure areas, write one GeoJSON);
- ``analyze, one process``: the naive way, every stage and file one after another
  (``GEOAPP_PROCESSES=1``), on a workspace without stored results;
- ``analyze``: the same with the clusters stage and the report in forked children;
- ``analyze again``: the stored results are fresh, so only the folder is written;
- ``analyze --geojson --csv`` (with ``--copies``): the folder with its GeoJSON and CSV copies,
  what the folder held before each geometry was written once.

At sizes up to 100 000 plots the floor and both first-run ``analyze`` rows are run ``--repeat``
times (default 3, interleaved, a fresh copy of the workspace each time) and the median wall is
reported with the largest peak: on a shared two-core machine one run can be a third slower
than the next, and the ratio to the floor should not depend on which run drew the short straw.

Targets (issue 14): analyze ≤ 10 s at 50 000 plots and ≤ 4 × its floor, ≤ 100 s at 500 000,
no faster than linear growth between them, peak ≤ 4 GiB (PSS of the tree) at 500 000, and the
folder at 500 000 at most a third of 1.17 GB (the folder before, measured in the issue).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from process_tree import Measured, run_measured  # noqa: E402

GEOAPP = [sys.executable, "-m", "geoapp"]
GIB4_MB = 4 * 2**30 / 1e6
OLD_FOLDER_500K_MB = 1170.0


def folder_mb(path: Path) -> float:
    """Size of the files in a folder, MB."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def row(rows: list, step: str, n: int, m: Measured, floor: float | None,
        out_mb: float | None = None, target: str = "") -> None:
    """Add a result row and print it at once (a long run shows its progress)."""
    if m.code:
        raise SystemExit(f"{step} at {n} plots failed with exit code {m.code}")
    ratio = m.seconds / floor if floor else float("nan")
    rows.append((step, n, m.seconds, ratio, m.rss_mb, m.pss_mb, out_mb, target))
    print(f"  {step:<28} {n:>8} plots  {m.seconds:7.1f} s  x{ratio:5.1f}  "
          f"RSS {m.rss_mb:7.0f} MB  PSS {m.pss_mb:7.0f} MB"
          + ("" if out_mb is None else f"  out {out_mb:7.1f} MB") + f"  {target}", flush=True)


def judged(*checks: tuple[str, bool]) -> str:
    """Targets, each with ✓ (met in this run) or ✗ (missed)."""
    return ", ".join(f"{label} {'✓' if ok else '✗'}" for label, ok in checks)


def median_of(runs: list[Measured]) -> Measured:
    """The median wall of several runs, with the largest peaks among them."""
    for m in runs:
        if m.code:
            return m
    return Measured(seconds=statistics.median(m.seconds for m in runs),
                    rss_mb=max(m.rss_mb for m in runs), pss_mb=max(m.pss_mb for m in runs),
                    code=0)


def bench(n: int, work: Path, rows: list, copies: bool, repeat: int) -> None:
    """Every step at one size."""
    clean = work / f"demo_{n}.gpkg"
    m = run_measured([*GEOAPP, "demo", str(clean), "--plots", str(n)])
    row(rows, "demo", n, m, None,
        target=judged(("≤ 4 GiB", m.pss_mb <= GIB4_MB)) if n >= 500_000 else "")
    ws, naive = work / f"ws_{n}.gpkg", work / f"naive_{n}.gpkg"
    out, out_naive = work / f"out_{n}", work / f"out_naive_{n}"
    env = {**os.environ, "GEOAPP_PROCESSES": "1"}

    def fresh(path: Path) -> Path:  # the workspace without stored results, every time
        shutil.copy(clean, path)
        return path

    steps: dict[str, Callable[[], Measured]] = {
        "floor": lambda: run_measured([sys.executable, str(HERE / "floor.py"), str(clean),
                                       str(work / f"floor_{n}.geojson")]),
        "analyze, one process": lambda: run_measured(
            [*GEOAPP, "analyze", str(fresh(naive)), "--out", str(out_naive)], env=env),
        "analyze": lambda: run_measured([*GEOAPP, "analyze", str(fresh(ws)), "--out", str(out)]),
    }
    runs: dict[str, list[Measured]] = {step: [] for step in steps}
    for _ in range(repeat if n <= 100_000 else 1):  # interleaved: the same share of noise
        for step, measure in steps.items():
            runs[step].append(measure())
    floor = median_of(runs["floor"]).seconds
    row(rows, "floor", n, median_of(runs["floor"]), floor)
    row(rows, "analyze, one process", n, median_of(runs["analyze, one process"]), floor,
        folder_mb(out_naive))
    m = median_of(runs["analyze"])
    size = folder_mb(out)
    if n <= 50_000:
        target = judged(("≤ 10 s", m.seconds <= 10), ("≤ 4 × floor", m.seconds <= 4 * floor))
    else:
        target = judged(("≤ 100 s", m.seconds <= 100), ("≤ 4 GiB", m.pss_mb <= GIB4_MB),
                        (f"≤ {OLD_FOLDER_500K_MB / 3:.0f} MB", size <= OLD_FOLDER_500K_MB / 3))
    row(rows, "analyze", n, m, floor, size, target)
    m = run_measured([*GEOAPP, "analyze", str(ws), "--out", str(work / f"again_{n}")])
    row(rows, "analyze again (stored)", n, m, floor, folder_mb(work / f"again_{n}"))
    if copies:
        out = work / f"copies_{n}"
        m = run_measured([*GEOAPP, "analyze", str(ws), "--out", str(out), "--geojson", "--csv"])
        row(rows, "analyze --geojson --csv", n, m, floor, folder_mb(out))
    for path in work.iterdir():  # the next size needs the disk
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def main() -> int:
    """Run the sizes asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--plots", type=int, nargs="+", default=[50_000, 500_000])
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of the floor and of analyze up to 100 000 plots (median)")
    parser.add_argument("--copies", action="store_true",
                        help="also time the folder with its GeoJSON and CSV copies")
    args = parser.parse_args()
    rows: list = []
    with tempfile.TemporaryDirectory(prefix="geoapp-bench-scale-") as tmp:
        for n in args.plots:
            print(f"{n} plots (synthetic demo):", flush=True)
            bench(n, Path(tmp), rows, args.copies, args.repeat)
    print("\n| step | plots | wall s | × floor | peak RSS MB (tree) | peak PSS MB (tree) "
          "| folder MB | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for step, n, sec, ratio, rss, pss, out, target in rows:
        print(f"| {step} | {n:,} | {sec:.1f} | {ratio:.1f} | {rss:,.0f} | {pss:,.0f} | "
              f"{'' if out is None else f'{out:,.1f}'} | {target} |")
    by = {(step, n): sec for step, n, sec, *_ in rows}
    sizes = sorted({n for _, n, *_ in rows})
    if len(sizes) >= 2 and ("analyze", sizes[0]) in by and ("analyze", sizes[-1]) in by:
        grow = by[("analyze", sizes[-1])] / by[("analyze", sizes[0])]
        linear = sizes[-1] / sizes[0]
        print(f"\nanalyze grows {grow:.1f}× for {linear:.0f}× the plots "
              f"({judged(('no faster than linear', grow <= linear))}); "
              f"4 GiB = {GIB4_MB:,.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
