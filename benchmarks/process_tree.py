"""Run a command and measure it as a user would: wall time and peak memory of its whole tree.

``/usr/bin/time`` reports the largest single process; geoapp runs some work in forked
children (:mod:`geoapp.forked`), so the peak here is the peak of the **sum over the process
tree**, sampled every 0.25 s (reading a big process's memory map costs CPU: sampled more
often, the sampling itself slows the run on two cores), both as RSS (pages shared by a fork
counted in each process: an upper bound) and as PSS (shared pages split between the
processes that share them: what the tree really holds). Used by the benchmarks; not part of geoapp.
"""

from __future__ import annotations

import subprocess
import threading
import time
from dataclasses import dataclass

import psutil


@dataclass
class Measured:
    """One run: ``seconds`` wall, peak tree ``rss_mb`` and ``pss_mb``, exit ``code``."""

    seconds: float
    rss_mb: float
    pss_mb: float
    code: int


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def run_measured(argv: list[str], *, env: dict | None = None, interval: float = 0.25,
                 quiet: bool = True) -> Measured:
    """Run ``argv`` to its end; return its wall time and peak tree memory (MB = 10⁶ bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL if quiet else None,
                            stderr=subprocess.DEVNULL if quiet else None)
    root = psutil.Process(proc.pid)
    peak = {"rss": 0, "pss": 0}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            rss = pss = 0
            for p in _tree(root):
                try:
                    info = p.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                    continue
                rss += info.rss
                pss += getattr(info, "pss", info.rss)
            peak["rss"] = max(peak["rss"], rss)
            peak["pss"] = max(peak["pss"], pss)
            done.wait(interval)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    code = proc.wait()
    seconds = time.perf_counter() - start
    done.set()
    watcher.join()
    return Measured(seconds, peak["rss"] / 1e6, peak["pss"] / 1e6, code)
