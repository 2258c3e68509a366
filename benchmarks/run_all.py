"""Run every benchmark, one after another, each printing its own table (synthetic data only).

Run: ``.venv/bin/python benchmarks/run_all.py`` (or ``make bench``). Each benchmark measures the
naive way in the same run and prints the ratio. Timings are wall-clock on this machine; run on
an otherwise idle machine for numbers worth quoting.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = [
    ("GeoJSON export, 100k plots (issue 7)", ["bench_geojson.py"]),
    ("geoapp analyze at demo size and 50k plots (issue 3)", ["bench_analyze.py"]),
    ("geoapp analyze at 50k and 500k plots: floor, memory, folder size (issue 14)",
     ["bench_scale.py"]),
    ("density and hot spots at 250k enterprises / 50k plots (issue 5)", ["bench_clusters.py"]),
    ("map app payload and rerun at 50k plots (issue 6)", ["bench_app.py"]),
    ("XLSX report of geoapp analyze at 50k plots", ["bench_report.py"]),
    ("stored results: export and re-analysis at 50k plots (issue 10)", ["bench_results.py"]),
    ("scenario planner: simulate and optimise, 100k plots / 50k candidates",
     ["bench_scenario.py"]),
    ("PostGIS workspace: ledger writers and analyze at 50k plots vs GeoPackage (issue 11)",
     ["bench_postgis.py"]),
    ("dask engine against the local one, 500k and 2M plots, 1 and 2 workers (issue 13)",
     ["bench_dask.py"]),
]


def main() -> int:
    """Run each benchmark script in its own process; return non-zero if any failed."""
    failed = []
    for title, argv in BENCHMARKS:
        print(f"\n=== {title} ===", flush=True)
        start = time.perf_counter()
        rc = subprocess.call([sys.executable, str(HERE / argv[0]), *argv[1:]])
        print(f"--- {argv[0]}: exit {rc}, {time.perf_counter() - start:.0f} s", flush=True)
        if rc:
            failed.append(argv[0])
    if failed:
        print(f"failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
