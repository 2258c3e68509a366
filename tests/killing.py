"""Kill a writer process at a moment the file system shows it is mid-write.

A blind ``sleep`` before the kill lands wherever the machine's speed puts it (CI once killed
five writers out of six between writes). These helpers watch for the write's own traces
instead (SQLite's rollback journal, a scratch GeoPackage being staged) and send SIGKILL the
moment one appears, so the tests know what they interrupted.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

POLL_S = (1e-3, 2e-4, 0.0, 0.0, 0.0)
"""Pause between looks, one per try: each try looks more often."""


def child(*args: str) -> subprocess.Popen:
    """Start ``python -c *args`` with the repository importable; stdout and stderr piped."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", *args], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def journal(ws: Path) -> Path:
    """SQLite's rollback journal of ``ws``: present only while a write transaction is open."""
    return Path(f"{ws}-journal")


JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
"""First bytes of a rollback journal once SQLite has synced it, before it writes the database.

Until then the header is zeros: the transaction is open but the database file is untouched.
"""


def hot_journal(ws: Path) -> bool:
    """Whether ``ws`` has a hot journal: a write is changing the database file itself."""
    try:
        with open(journal(ws), "rb") as f:
            return f.read(8) == JOURNAL_MAGIC
    except FileNotFoundError:
        return False


def kill_when(proc: subprocess.Popen, seen: Callable[[], bool], *, poll_s: float = 0.0) -> bool:
    """SIGKILL ``proc`` as soon as ``seen()`` is true; reap it.

    Returns whether the kill was sent and the child died of it. When the child exits first
    it must have succeeded (its stderr is shown otherwise).
    """
    sent = False
    while proc.poll() is None:
        if seen():
            os.kill(proc.pid, signal.SIGKILL)
            sent = True
            break
        if poll_s:
            time.sleep(poll_s)
    _, err = proc.communicate()  # reap the child and close its pipes
    assert sent or proc.returncode == 0, err.decode()
    return sent and proc.returncode == -signal.SIGKILL


def kill_while_writing(proc: subprocess.Popen, ws: Path, *, started: Path | None = None,
                       poll_s: float = 0.0) -> bool:
    """SIGKILL ``proc`` as soon as ``ws`` has a hot journal: a write is changing the file.

    Returns whether the kill landed mid-write: the child died of the SIGKILL *and* left its
    hot journal behind (a transaction that commits deletes its journal, so a hot journal still
    there after the child is gone is a write cut short, which the next connection must roll
    back). False when the write committed between the look and the kill, or the child
    finished first (it must then have succeeded).
    ``started``: a file the child touches when it is ready to be watched.
    """
    while started is not None and not started.exists() and proc.poll() is None:
        time.sleep(0.001)
    killed = kill_when(proc, lambda: hot_journal(ws), poll_s=poll_s)
    return killed and hot_journal(ws)
