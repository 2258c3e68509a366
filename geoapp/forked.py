"""Run a piece of work in a forked child process, on the machine's other core.

The child is a fork: it sees the parent's memory as it was (copy-on-write), so the work's
inputs (layers, stage results) are not pickled and no modules are imported again. Only the
result comes back, pickled through a pipe. Where forking is not safe or not worth it (not
POSIX, one CPU, threads running in the parent — a fork copies only the calling thread, and a
lock another thread held stays locked in the child — or ``GEOAPP_PROCESSES=1``), the work runs
at once in the calling process and :func:`start` hands back its finished result, so callers
never need to know which happened.

Work may also wait for something the parent computes later (``start(work, inbox=True)``):
the child starts on what exists, then blocks in ``receive()`` until the parent's
:meth:`Pending.send` hands the rest over, pickled (so a stage's own preparation overlaps the
parent's work on the stages it needs).

The child dies with the parent (``PR_SET_PDEATHSIG`` on Linux): a killed ``geoapp analyze``
leaves no orphan still computing, and one that writes files writes them only where its
parent's clean-up (:func:`geoapp.atomic.staged_dir`) removes them.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from geoapp import memory

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1


def can_fork() -> bool:
    """Whether :func:`start` will run work in a child (see the module docstring)."""
    return (hasattr(os, "fork") and (os.cpu_count() or 1) >= 2
            and threading.active_count() == 1
            and os.environ.get("GEOAPP_PROCESSES", "") != "1")


class Pending(Generic[T]):
    """Work started by :func:`start`; :meth:`result` waits for it and returns its value."""

    def __init__(self, pid: int | None, fd: int | None, value: Any = None,
                 error: BaseException | None = None, inbox: int | None = None,
                 later: Callable[[Callable[[], Any]], T] | None = None):
        self._pid, self._fd = pid, fd
        self._value, self._error = value, error
        self._done = pid is None and later is None
        self._inbox, self._later = inbox, later

    def send(self, message: Any) -> None:
        """Hand ``message`` to the work's ``receive()`` (work started with ``inbox=True``).

        In a child, the message is pickled into its inbox; a child that has already failed
        does not read it, and its error comes from :meth:`result`. Without a child, the
        work runs now, here.
        """
        if self._later is not None:
            work, self._later = self._later, None
            try:
                self._value = work(lambda: message)
            except Exception as exc:  # raised by .result(), as a child's would be
                self._error = exc
            self._done = True
            return
        if self._inbox is None:
            raise RuntimeError("this work was started without an inbox")
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        fd, self._inbox = self._inbox, None
        try:
            for part in (struct.pack("<Q", len(data)), data):
                view = memoryview(part)
                while view:
                    view = view[os.write(fd, view):]
        except BrokenPipeError:
            pass  # the child ended without reading: result() says why
        finally:
            os.close(fd)

    @property
    def forked(self) -> bool:
        """The work ran (or runs) in a child process."""
        return self._pid is not None

    def result(self) -> T:
        """The work's return value; its exception is raised here, in the parent."""
        if self._later is not None:
            raise RuntimeError("the work waits for a message: send() it first")
        if not self._done:
            with os.fdopen(self._fd, "rb") as pipe:
                data = pipe.read()
            ok, payload = pickle.loads(data) if data else (False, None)  # while it exits
            _, status = os.waitpid(self._pid, 0)
            self._done = True
            if not data:
                self._error = ChildProcessError(
                    f"the worker process ended without a result (wait status {status})")
            elif ok:
                self._value = payload
            else:
                self._error = payload
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        """Stop the child, if one runs, and forget its result."""
        if self._inbox is not None:
            os.close(self._inbox)
            self._inbox = None
        self._later = None
        if not self._done and self._pid is None:
            self._done, self._error = True, ChildProcessError("cancelled")
        if not self._done and self._pid is not None:
            os.kill(self._pid, signal.SIGKILL)
            os.close(self._fd)
            os.waitpid(self._pid, 0)
            self._done = True
            self._error = ChildProcessError("cancelled")


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # else it may outlive its parent
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _receiver(fd: int) -> Callable[[], Any]:
    """``receive()`` of a child's inbox: blocks until the parent's message has arrived."""
    def receive() -> Any:
        with os.fdopen(fd, "rb") as pipe:
            head = pipe.read(8)
            if len(head) < 8:
                raise ChildProcessError("the parent closed the inbox without a message")
            return pickle.loads(pipe.read(struct.unpack("<Q", head)[0]))
    return receive


def start(work: Callable[..., T], *, inbox: bool = False, nice: int = 0) -> Pending[T]:
    """
    Start ``work()`` in a forked child when :func:`can_fork`, else run it now.

    Parameters
    ----------
    work
        A function of no arguments (with ``inbox``: of one, ``receive``, which returns the
        message of :meth:`Pending.send`); its return value must pickle.
    inbox
        The work needs a message from the parent. Without a child it runs when the message
        is sent, in the calling process.
    nice
        Added to the child's niceness: work nobody waits for first leaves the cores to work
        somebody does (the parent's niceness is never changed).

    Returns
    -------
    Pending
        ``.result()`` gives the value or raises the work's exception.
    """
    if inbox and not can_fork():
        return Pending(None, None, later=work)
    if not can_fork():
        try:
            return Pending(None, None, value=work())
        except Exception as exc:  # raised by .result(), as a child's would be
            return Pending(None, None, error=exc)
    memory.release()  # the child starts from a trimmed heap: fewer pages to share or copy
    parent = os.getpid()
    read_end, write_end = os.pipe()
    inbox_read, inbox_write = os.pipe() if inbox else (None, None)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send it back, leave without running exit handlers
        code = 0
        try:
            os.close(read_end)
            if inbox_write is not None:
                os.close(inbox_write)
            _die_with_parent()
            if nice:
                with contextlib.suppress(OSError):  # a priority is a wish, not a condition
                    os.nice(nice)
            if os.getppid() != parent:
                os._exit(1)
            try:
                value = work(_receiver(inbox_read)) if inbox else work()
                payload = pickle.dumps((True, value), protocol=pickle.HIGHEST_PROTOCOL)
            except BaseException as exc:
                try:
                    payload = pickle.dumps((False, exc))
                except Exception:  # an exception that does not pickle: its text does
                    payload = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
                code = 1
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(code)
    os.close(write_end)
    if inbox_read is not None:
        os.close(inbox_read)
    return Pending(pid, read_end, inbox=inbox_write)
