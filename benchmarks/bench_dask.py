"""Benchmark of the dask engine (issue 13) against the local one, on SYNTHETIC demo data.

Run: ``.venv/bin/python benchmarks/bench_dask.py [--plots 500000 2000000] [--workers 1 2]
[--memory-limit 4GiB] [--local-up-to 2000000] [--work DIR]``

For each size: ``geoapp demo X.gpkg --plots N``, ``geoapp export X.gpkg --format
parquet-dataset``, then, each as its own ``geoapp analyze`` process on the dataset:

- the local engine (wall time, peak RSS of the process);
- the dask engine on a real cluster started here — one ``dask scheduler`` and W ``dask
  worker`` processes (one thread each, ``--memory-limit``; their nanny restarts a worker
  that passes 95 % of it) — with wall time, peak RSS of each worker and of the client
  process, and whether any worker was restarted (it would have lost its memory limit).

Both outputs are compared file by file (every CSV, GeoJSON and GeoTIFF byte for byte).
Results go to ``benchmarks/results/bench_dask.json``. Everything shares this machine's
cores: a cluster of W workers here has no more CPU than the local engine, so the numbers
show the engine's overhead and memory spread, not a speed-up (see the README).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


class PeakRSS(threading.Thread):
    """Poll the RSS of process trees; keep the peak of each tree's largest process and sum."""

    def __init__(self, roots: dict[str, int], every_s: float = 0.25):
        super().__init__(daemon=True)
        self.roots = roots
        self.every_s = every_s
        self.peak = dict.fromkeys(roots, 0)
        self.pids: dict[str, set[int]] = {k: set() for k in roots}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for name, pid in self.roots.items():
                try:
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                    rss = [p.memory_info().rss for p in procs]
                    self.pids[name].update(p.pid for p in procs)
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], max(rss) if rss else 0)
            time.sleep(self.every_s)

    def stop(self) -> dict[str, int]:
        self.done.set()
        self.join()
        return self.peak


def gib(n: int) -> float:
    return round(n / 2**30, 2)


def run(cmd: list[str], log: Path) -> tuple[float, int]:
    """Run ``cmd``; wall seconds and the peak RSS of its largest process."""
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=ENV, stdout=out, stderr=subprocess.STDOUT)
        watch = PeakRSS({"p": proc.pid})
        watch.start()
        rc = proc.wait()
    peak = watch.stop()["p"]
    if rc:
        raise RuntimeError(f"{cmd[:3]} failed ({rc}); see {log}")
    return time.perf_counter() - start, peak


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen([str(BIN / "dask"), *args], env=ENV, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def stop(procs: list[subprocess.Popen]) -> None:
    for p in reversed(procs):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def dask_run(data: Path, out: Path, *, workers: int, memory_limit: str, work: Path) -> dict:
    """One ``analyze --engine dask`` on a scheduler and ``workers`` workers started here."""
    from distributed import Client

    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [start(["scheduler", "--host", "127.0.0.1", "--port", str(port),
                    "--dashboard-address", ":0"], work / f"scheduler_{workers}.log")]
    try:
        for i in range(workers):
            procs.append(start(["worker", address, "--nthreads", "1", "--nworkers", "1",
                                "--memory-limit", memory_limit, "--name", f"w{i}",
                                "--dashboard-address", ":0"], work / f"worker_{workers}_{i}.log"))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(workers, timeout=120)
            before = set(client.scheduler_info()["workers"])
        roots = {f"worker{i}": p.pid for i, p in enumerate(procs[1:])}
        watch = PeakRSS(roots)
        watch.start()
        wall, client_peak = run([str(BIN / "geoapp"), "analyze", str(data), "--out", str(out),
                                 "--engine", "dask", "--scheduler", address],
                                work / f"analyze_dask_{workers}.log")
        peaks = watch.stop()
        with Client(address, timeout="60s") as client:
            after = set(client.scheduler_info()["workers"])
        return {"wall_s": round(wall, 1), "client_peak_gib": gib(client_peak),
                "worker_peak_gib": [gib(v) for v in peaks.values()],
                "workers_restarted": len(before - after)}
    finally:
        stop(procs)


def same_files(a: Path, b: Path) -> list[str]:
    names = [p.name for p in a.iterdir() if p.suffix in (".csv", ".geojson", ".tif")]
    return [n for n in names if not (b / n).exists()
            or (a / n).read_bytes() != (b / n).read_bytes()]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--plots", type=int, nargs="+", default=[500_000, 2_000_000])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--memory-limit", default="4GiB")
    parser.add_argument("--local-up-to", type=int, default=2_000_000,
                        help="run the local engine only up to this many plots")
    parser.add_argument("--partition-rows", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "results" / "dask")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in args.plots:
        gpkg = args.work / f"demo_{n}.gpkg"
        data = args.work / f"demo_{n}.parquet"
        row: dict = {"plots": n}
        if not gpkg.exists():
            row["demo_s"] = round(run([str(BIN / "geoapp"), "demo", str(gpkg), "--plots",
                                       str(n)], args.work / f"demo_{n}.log")[0], 1)
        if not data.exists():
            row["export_s"] = round(run([str(BIN / "geoapp"), "export", str(gpkg), "--format",
                                         "parquet-dataset", "--out", str(data),
                                         "--partition-rows", str(args.partition_rows)],
                                        args.work / f"export_{n}.log")[0], 1)
        local_out = args.work / f"out_local_{n}"
        if n <= args.local_up_to:
            try:
                wall, peak = run([str(BIN / "geoapp"), "analyze", str(data), "--out",
                                  str(local_out)], args.work / f"analyze_local_{n}.log")
                row["local"] = {"wall_s": round(wall, 1), "peak_gib": gib(peak)}
            except RuntimeError as exc:
                row["local"] = {"failed": str(exc)}
        for w in args.workers:
            out = args.work / f"out_dask_{n}_{w}"
            try:
                result = dask_run(data, out, workers=w, memory_limit=args.memory_limit,
                                  work=args.work)
            except RuntimeError as exc:
                result = {"failed": str(exc)}
            if "failed" not in result and (local_out / "summary.json").exists():
                result["differing_files"] = same_files(local_out, out)
            row[f"dask_{w}"] = result
            print(json.dumps(row), flush=True)
        rows.append(row)
        (args.work.parent / "bench_dask.json").write_text(json.dumps(rows, indent=1))
    print(f"\n{'plots':>9} {'engine':<14} {'wall s':>7} {'peak GiB per worker':>22} "
          f"{'client GiB':>10} same files")
    for row in rows:
        local = row.get("local", {})
        print(f"{row['plots']:>9} {'local':<14} {local.get('wall_s', '-'):>7} "
              f"{local.get('peak_gib', '-'):>22} {'':>10}")
        for w in args.workers:
            r = row.get(f"dask_{w}", {})
            print(f"{row['plots']:>9} {f'dask, {w} worker(s)':<14} {r.get('wall_s', '-'):>7} "
                  f"{' / '.join(map(str, r.get('worker_peak_gib', []))):>22} "
                  f"{r.get('client_peak_gib', '-'):>10} "
                  f"{'yes' if r.get('differing_files') == [] else r.get('differing_files', '-')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
