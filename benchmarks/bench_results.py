"""Benchmark of stored results (one truth): export and re-analysis against re-running everything.

Run: ``.venv/bin/python benchmarks/bench_results.py [--plots 50000] [--workspace WS.gpkg]``

On the SYNTHETIC demo workspace (built here unless ``--workspace`` names one) it times

- the first analysis, which computes every stage and stores the results in the workspace;
- the same analysis again (every stored result fresh: read back, nothing computed);
- ``export --layer park_ranking`` and ``--layer enterprises_evaluated`` from fresh results
  (the call, and the whole ``geoapp export`` process with its imports), against the naive way:
  re-running every stage for the table, as round 1's export did;
- changing one setting (``hotspots.k``) and analysing: only the clusters stage re-runs.

Peak memory is the process's maximum RSS (``resource.getrusage``) after all steps; the CLI
processes are measured with their own.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoapp import pipeline
from geoapp.export import export_layer
from geoapp.workspace import Workspace

GEOAPP = Path(sys.executable).with_name("geoapp")


def timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def cli_seconds(*argv: str) -> tuple[float, float]:
    """Wall time and max RSS (MB) of one ``geoapp`` process."""
    start = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", str(GEOAPP), *argv],
                          capture_output=True, text=True, check=True)
    rss_kb = float(proc.stderr.strip().splitlines()[-1])
    return time.perf_counter() - start, rss_kb / 1024


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=50_000)
    parser.add_argument("--workspace", type=Path, help="an existing workspace (copied first)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "bench.gpkg"
        if args.workspace:
            ws.write_bytes(args.workspace.read_bytes())
        else:
            pipeline.build_demo_workspace(ws, n_plots=args.plots)
        Workspace(ws).write_settings({})
        Workspace(ws).clear_results()
        n = Workspace(ws).counts().get("plots", 0)
        size = f"{n:,} plots"

        run, t_first = timed(pipeline.analyse_workspace, ws, load=False)
        rows.append(("analysis, first run (compute + store)", t_first, ", ".join(run.ran)))
        run, t_again = timed(pipeline.analyse_workspace, ws)
        rows.append(("analysis again (read every result back)", t_again,
                     f"computed: {', '.join(run.ran) or 'nothing'}"))
        layers, t_read = timed(Workspace(ws).read_all)
        _, t_naive = timed(pipeline.run_analysis, layers, year=run.year)
        rows.append(("naive: re-run every stage from the layers", t_read + t_naive,
                     "round 1's export did this for every table"))

        for name in ("park_ranking", "enterprises_evaluated"):
            out = Path(tmp) / f"{name}.csv"
            frame, t_get = timed(pipeline.output, ws, name)
            _, t_write = timed(export_layer, frame, out)
            rows.append((f"export {name}.csv from fresh results (call)", t_get + t_write,
                         f"{len(frame):,} rows; target < 1 s"))
            t_cli, rss = cli_seconds("export", str(ws), "--layer", name, "--out", str(out))
            rows.append((f"geoapp export --layer {name} (whole process)", t_cli,
                         f"peak {rss:.0f} MB, imports included"))

        Workspace(ws).write_settings({"hotspots": {"k": 6}})
        run, t_change = timed(pipeline.analyse_workspace, ws, load=False)
        rows.append(("after `config set hotspots.k 6`: analysis", t_change,
                     f"computed: {', '.join(run.ran)}"))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    table = pd.DataFrame(rows, columns=["step", "seconds", "note"])
    table["seconds"] = table["seconds"].round(2)
    naive = t_read + t_naive
    table["naive / this"] = (naive / table["seconds"]).round(1)
    print(f"stored results on {size} (synthetic demo); peak RSS of this process {peak:.0f} MB")
    with pd.option_context("display.width", 200, "display.max_colwidth", 70):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
