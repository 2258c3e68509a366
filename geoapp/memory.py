"""Give freed memory back to the operating system between the steps of a long run.

glibc's allocator keeps the pages that pandas, Arrow and GEOS free in its heap for later use;
a run that reads half a million plots, then evaluates them, then forks a child for the hot
spots holds the high-water mark of every step as resident memory unless the heap is trimmed.
:func:`release` trims it (``malloc_trim(0)``); elsewhere it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys


@functools.cache
def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None
    except OSError:
        return None


def release() -> None:
    """Return the allocator's free pages to the system (glibc); a no-op elsewhere."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
