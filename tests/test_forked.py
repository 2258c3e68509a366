"""Work in a forked child (geoapp.forked): results and errors come back, the fallback is the
same, and a child never outlives its work."""

from __future__ import annotations

import os

import numpy as np
import pytest

from geoapp import forked


def _pid_and_sum(values: np.ndarray) -> tuple[int, float]:
    return os.getpid(), float(values.sum())


def test_a_child_computes_on_the_parents_memory_and_sends_the_result_back(monkeypatch):
    monkeypatch.delenv("GEOAPP_PROCESSES", raising=False)
    if not forked.can_fork():
        pytest.skip("threads are running in this test process: no fork (tested below)")
    values = np.arange(1_000_001, dtype="float64")  # not pickled in: the child sees it
    job = forked.start(lambda: _pid_and_sum(values))
    pid, total = job.result()
    assert job.forked and pid != os.getpid()
    assert total == 500_000_500_000.0  # n (n + 1) / 2, exact in float64


def test_the_childs_exception_is_raised_in_the_parent(monkeypatch):
    monkeypatch.delenv("GEOAPP_PROCESSES", raising=False)

    def fail():
        raise ValueError("row 3, column 'tax_wan': not a number")

    job = forked.start(fail)
    with pytest.raises(ValueError, match="row 3, column 'tax_wan'"):
        job.result()


def test_one_process_when_asked_gives_the_same_result(monkeypatch):
    monkeypatch.setenv("GEOAPP_PROCESSES", "1")
    assert not forked.can_fork()
    values = np.arange(11, dtype="float64")
    job = forked.start(lambda: _pid_and_sum(values))
    assert not job.forked and job.result() == (os.getpid(), 55.0)


def test_a_cancelled_child_is_gone(monkeypatch):
    monkeypatch.delenv("GEOAPP_PROCESSES", raising=False)
    if not forked.can_fork():
        pytest.skip("threads are running in this test process: no fork")
    import time

    job = forked.start(lambda: time.sleep(60))
    pid = job._pid
    job.cancel()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped: no such process
    with pytest.raises(ChildProcessError, match="cancelled"):
        job.result()
