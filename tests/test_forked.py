"""Work in a forked child (geoapp.forked): results and errors come back, the fallback is the
same, and a cancelled child is gone.

The fork cases run in a fresh Python process: by the time this file runs, other tests may have
started threads in the pytest process (a server fixture, a browser), and then geoapp rightly
refuses to fork.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from geoapp import forked


def _in_fresh_process(code: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "GEOAPP_PROCESSES"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_child_computes_on_the_parents_memory_and_sends_the_result_back():
    out = _in_fresh_process("""
        import os
        import numpy as np
        from geoapp import forked
        assert forked.can_fork()
        values = np.arange(1_000_001, dtype="float64")  # not pickled in: the child sees it
        job = forked.start(lambda: (os.getpid(), float(values.sum())))
        pid, total = job.result()
        print(job.forked, pid != os.getpid(), total)
    """)
    assert out == "True True 500000500000.0"  # n (n + 1) / 2, exact in float64


def test_the_childs_exception_is_raised_in_the_parent():
    out = _in_fresh_process("""
        from geoapp import forked
        def fail():
            raise ValueError("row 3, column 'tax_wan': not a number")
        job = forked.start(fail)
        try:
            job.result()
        except ValueError as exc:
            print(job.forked, exc)
    """)
    assert out == "True row 3, column 'tax_wan': not a number"


@pytest.mark.parametrize("start", ["forked.start(lambda: time.sleep(60))",
                                   "forked.start(lambda receive: receive(), inbox=True)"],
                         ids=["working", "waiting for its message"])
def test_a_cancelled_child_is_gone(start):
    out = _in_fresh_process(f"""
        import os, time
        from geoapp import forked
        job = {start}
        pid = job._pid
        job.cancel()
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("gone")
        try:
            job.result()
        except ChildProcessError as exc:
            print(exc)
    """)
    assert out == "gone\ncancelled"


def test_one_process_when_asked_gives_the_same_result(monkeypatch):
    monkeypatch.setenv("GEOAPP_PROCESSES", "1")
    assert not forked.can_fork()
    values = np.arange(11, dtype="float64")
    job = forked.start(lambda: (os.getpid(), float(values.sum())))
    assert not job.forked and job.result() == (os.getpid(), 55.0)

    def fail():
        raise ValueError("the same error, in this process")

    with pytest.raises(ValueError, match="in this process"):
        forked.start(fail).result()


def test_a_child_waits_for_what_the_parent_sends_later():
    out = _in_fresh_process("""
        import os
        import numpy as np
        from geoapp import forked
        values = np.arange(1_000_001, dtype="float64")  # the child's own part: 500000500000
        def work(receive):
            own = float(values.sum())
            later = receive()  # 2**20 float64, more than a pipe holds at once
            return os.getpid(), own, float(later.sum())
        job = forked.start(work, inbox=True)
        job.send(np.ones(2**20))
        pid, own, later = job.result()
        print(job.forked, pid != os.getpid(), own, later)
    """)
    assert out == "True True 500000500000.0 1048576.0"


def test_a_child_that_failed_before_reading_reports_its_error_not_a_broken_pipe():
    out = _in_fresh_process("""
        import time
        import numpy as np
        from geoapp import forked
        def work(receive):
            raise ValueError("prepare failed: layer 'plots' has no geometry")
        job = forked.start(work, inbox=True)
        time.sleep(0.5)  # the child has exited: its inbox is closed
        job.send(np.ones(2**20))
        try:
            job.result()
        except ValueError as exc:
            print(exc)
    """)
    assert out == "prepare failed: layer 'plots' has no geometry"


def test_without_a_child_work_with_an_inbox_runs_when_the_message_is_sent(monkeypatch):
    monkeypatch.setenv("GEOAPP_PROCESSES", "1")
    job = forked.start(lambda receive: (os.getpid(), receive() * 2), inbox=True)
    with pytest.raises(RuntimeError, match="send"):
        job.result()
    job.send(21)
    assert not job.forked and job.result() == (os.getpid(), 42)


def test_a_niced_child_runs_at_a_lower_priority_and_the_parent_keeps_its_own():
    out = _in_fresh_process("""
        import os
        from geoapp import forked
        before = os.nice(0)
        job = forked.start(lambda: os.nice(0), nice=7)
        print(job.forked, job.result() - before, os.nice(0) - before)
    """)
    assert out == "True 7 0"
