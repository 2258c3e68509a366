"""Benchmark of the PostGIS workspace against the GeoPackage, on the same machine in one run.

Run: ``.venv/bin/python benchmarks/bench_postgis.py [--plots 50000] [--events 200]``

Starts a throwaway PostgreSQL 15 + PostGIS 3 cluster (as the tests do; install it with
``scripts/ensure_postgis.sh``) and times

- the ledger: events per second recorded by 1 writer and by 8 writers at once (each writer a
  process calling :func:`geoapp.ledger.record_event` in a loop, one transaction per event,
  every rule checked against the ledger as committed), on PostGIS (as an ``editor`` user, so
  row-level security and the audit trigger are in the path) and on a GeoPackage;
- ``geoapp analyze`` of the SYNTHETIC demo at ``--plots`` plots: the first run (every stage
  computed and stored) and a second run (stored results read back), from the GeoPackage and
  from the same workspace pushed to PostGIS; plus reading every layer and the push itself.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geoapp import pipeline  # noqa: E402
from geoapp.cli import main as geoapp  # noqa: E402
from geoapp.store import open_workspace  # noqa: E402
from tests.postgis_server import Server, governed_layers, missing, user_url  # noqa: E402

RECORD_LOOP = """
import sys, time
from datetime import date
from pathlib import Path
from geoapp.ledger import record_event
url, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
record_event(url, plot_id="P1", stage="identified", date="2023-01-01", note=f"{who} warm-up",
             today=date(2024, 3, 1))
Path(f"{go}.ready.{who}").touch()
while not go.exists():
    time.sleep(0.001)
for i in range(n):
    record_event(url, plot_id=f"P{i % 3 + 1}", stage="identified", date="2023-01-01",
                 note=f"{who} {i}", today=date(2024, 3, 1))
"""


def timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def writers(target: str, n_writers: int, n_events: int, tmp: Path) -> float:
    """Seconds for ``n_writers`` processes to record ``n_events`` each (after start-up)."""
    go = tmp / f"go-{n_writers}-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-c", RECORD_LOOP, target, f"w{i}",
                               str(n_events), str(go)], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for i in range(n_writers)]
    ready = [Path(f"{go}.ready.w{i}") for i in range(n_writers)]
    while not all(p.exists() for p in ready):
        if any(p.poll() not in (None, 0) for p in procs):
            raise RuntimeError([p.communicate()[1].decode() for p in procs])
        time.sleep(0.01)
    start = time.perf_counter()
    go.touch()
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise RuntimeError(err.decode())
    return time.perf_counter() - start


def ledger_rows(server: Server, tmp: Path, n_events: int) -> list[tuple]:
    rows = []
    for n_writers in (1, 8):
        pg = server.new_database()
        open_workspace(pg).write_layers(governed_layers())
        os.environ["GEOAPP_NEW_PASSWORD"] = "bench"
        geoapp(["users", pg, "add", "bench_editor", "--role", "editor", "--scope", "park:K1"])
        editor = user_url(pg, "bench_editor", "bench")
        gpkg = tmp / f"ledger{n_writers}.gpkg"
        open_workspace(gpkg).write_layers(governed_layers())
        per = n_events if n_writers == 8 else n_events * 2
        for name, target in (("PostGIS (editor, RLS)", editor), ("GeoPackage", str(gpkg))):
            seconds = writers(target, n_writers, per, tmp)
            stored = len(open_workspace(pg if name.startswith("PostGIS") else gpkg)
                         .read("ledger")) - n_writers
            rows.append((f"ledger, {n_writers} writer(s) × {per} events: {name}", seconds,
                         f"{stored / seconds:,.0f} events/s; {stored} stored"))
    return rows


def analyze_rows(server: Server, tmp: Path, n_plots: int) -> list[tuple]:
    gpkg = tmp / "bench.gpkg"
    pipeline.build_demo_workspace(gpkg, n_plots=n_plots)
    pg = server.new_database()
    _, t_push = timed(geoapp, ["push", str(gpkg), pg])
    rows = [(f"push {n_plots:,}-plot demo to PostGIS (one transaction)", t_push, "")]
    for name, target in (("GeoPackage", gpkg), ("PostGIS", pg)):
        ws = open_workspace(target)
        _, t_read = timed(ws.read_all)
        rows.append((f"read every layer: {name}", t_read, ""))
        run, t_first = timed(pipeline.analyse_workspace, target, load=False)
        rows.append((f"analyze, first run (compute + store): {name}", t_first,
                     ", ".join(run.ran)))
        run, t_again = timed(pipeline.analyse_workspace, target)
        rows.append((f"analyze again (read stored results): {name}", t_again,
                     f"computed: {', '.join(run.ran) or 'nothing'}"))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=50_000)
    parser.add_argument("--events", type=int, default=200, help="events per writer (8 writers)")
    args = parser.parse_args(argv)
    why = missing()
    if why:
        print(f"skipped: {why}")
        return 0
    server = Server(durable=True)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            rows = ledger_rows(server, Path(tmp), args.events)
            rows += analyze_rows(server, Path(tmp), args.plots)
    finally:
        server.stop()
    table = pd.DataFrame(rows, columns=["step", "seconds", "note"])
    table["seconds"] = table["seconds"].round(2)
    print("PostGIS vs GeoPackage (synthetic data; local PostgreSQL 15 with default fsync)")
    with pd.option_context("display.width", 200, "display.max_colwidth", 80):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
