"""Writes that either complete or leave nothing behind, and clear messages when they cannot.

A full disk (``ENOSPC``, SQLite's ``SQLITE_FULL``) or a read-only workspace or output folder
(``EROFS``, ``EACCES``, an immutable file, SQLite's "readonly database") must give the planner
one sentence — what could not be written, why, and that nothing was changed — never a
traceback and never half a result. :func:`write_error` turns those failures into a
:class:`~layers.errors.WorkspaceError`; :func:`staged_dir` writes an output folder beside its
destination and moves it into place only when every file is written.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyogrio.errors

from layers.errors import WorkspaceError

WRITE_ERRORS: tuple[type[BaseException], ...] = (
    OSError, sqlite3.OperationalError, sqlite3.DatabaseError,
    pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
)
"""Exceptions a write can fail with for reasons outside geoapp (disk, permissions)."""

_FULL = (errno.ENOSPC, errno.EDQUOT)
_READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def _reason(exc: BaseException) -> str:
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        text = str(exc).lower()
        if (isinstance(exc, OSError) and exc.errno in _FULL) or "disk is full" in text \
                or "no space left" in text:
            return "the disk is full"
        if (isinstance(exc, OSError) and exc.errno in _READ_ONLY) or "readonly" in text \
                or "read-only" in text or "permission denied" in text:
            return "it is read-only (or not writable by this user)"
        exc = exc.__cause__ or exc.__context__
    return "the write failed"


def _writable(target: Path) -> bool:
    """Whether a file can be created beside ``target`` and ``target`` opened for writing.

    A probe rather than ``os.access``, which says yes to root even for immutable files.
    """
    folder = target if target.is_dir() else target.parent
    probe = folder / f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.probe"
    try:
        probe.touch()
        probe.unlink()
        if target.is_file():
            with target.open("r+b"):
                pass
    except OSError:
        return False
    return True


def write_error(target: str | Path, exc: BaseException, *, what: str = "workspace"
                ) -> WorkspaceError:
    """The message a planner sees when ``target`` could not be written; nothing was changed.

    Parameters
    ----------
    target
        The workspace file or output folder.
    exc
        What the write raised.
    what
        ``"workspace"`` or ``"output folder"``.
    """
    detail = f"{type(exc).__name__}: {exc}"
    reason = _reason(exc)
    if reason == "the write failed" and not _writable(Path(target)):
        reason = "it is read-only (or not writable by this user)"
    return WorkspaceError(
        f"could not write the {what} {target}: {reason} ({detail}); nothing was "
        f"changed — free disk space or make it writable, then run the command again")


@contextlib.contextmanager
def staged_dir(out_dir: str | Path) -> Iterator[Path]:
    """Write an output folder's files all at once: into a sibling scratch folder first.

    Every byte is written in the scratch folder; only when all files are there are they moved
    into ``out_dir`` (renames on one file system: no space needed, nothing half-written).
    On any failure the scratch folder is removed and ``out_dir`` is as it was; a write failure
    becomes a :class:`~layers.errors.WorkspaceError` (see :func:`write_error`). Files of an
    earlier run that this run does not write are left as they were.

    Parameters
    ----------
    out_dir
        The folder the outputs belong in.

    Yields
    ------
    Path
        The scratch folder to write into.
    """
    out = Path(out_dir)
    holder = out.with_name(f".{out.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.writing")
    stage = holder / out.name  # same name as the destination (files may mention it)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        stage.mkdir(parents=True)
    except WRITE_ERRORS as exc:
        shutil.rmtree(holder, ignore_errors=True)
        raise write_error(out, exc, what="output folder") from exc
    try:
        yield stage
        if not out.exists():
            stage.rename(out)
        else:
            for f in sorted(p for p in stage.rglob("*") if not p.is_dir()):
                dest = out / f.relative_to(stage)
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, dest)
    except BaseException as exc:
        if isinstance(exc, WRITE_ERRORS) or (isinstance(exc, Exception)
                                             and _reason(exc) != "the write failed"):
            raise write_error(out, exc, what="output folder") from exc
        raise
    finally:
        shutil.rmtree(holder, ignore_errors=True)
