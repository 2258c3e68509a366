"""Move a whole workspace between a GeoPackage and PostGIS: ``geoapp push`` and ``geoapp pull``.

Everything travels: every layer, the metadata, the provenance, the settings, the layer
version tokens and the stored results (so an analysis after the move reuses them). Each move
is one transaction on the destination: ``push`` writes the database in one PostgreSQL
transaction (a failure or a kill leaves the database as it was); ``pull`` builds a scratch
GeoPackage beside the destination and links it into place only when it is complete (an
existing file is never overwritten).
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

import pandas as pd

from geoapp.store import display_name, is_url
from geoapp.store.postgis import PostgisWorkspace, _quote
from geoapp.store.roles import refresh_scope
from geoapp.workspace import (
    META_TABLE,
    PROVENANCE_TABLE,
    RESULTS_TABLE,
    RUNS_TABLE,
    SETTINGS_TABLE,
    VERSIONS_TABLE,
    Workspace,
    _prepare,
)
from layers.errors import WorkspaceError
from layers.schema import SCHEMAS

_RUNS = f"SELECT stage, year, fingerprint, created_at, summary FROM {RUNS_TABLE}"
_RESULTS = f"SELECT stage, year, name, kind, data FROM {RESULTS_TABLE}"


def _own(ws) -> dict[str, list[tuple]]:
    """Read the own tables of a workspace, raw (JSON as text, bytes as bytes)."""
    return {
        "meta": ws._read_own(f"SELECT key, value FROM {META_TABLE}"),
        "prov": ws._read_own(f"SELECT imported_at, layer, source, details, rows "
                             f"FROM {PROVENANCE_TABLE}"),
        "settings": ws._read_own(f"SELECT key, value FROM {SETTINGS_TABLE}"),
        "versions": ws._read_own(f"SELECT layer, version FROM {VERSIONS_TABLE}"),
        "runs": ws._read_own(_RUNS),
        "results": [(s, y, n, k, bytes(d)) for s, y, n, k, d in ws._read_own(_RESULTS)],
    }


def push(source: str | Path, url: str, *, replace: bool = False) -> dict[str, int]:
    """
    Copy a GeoPackage workspace whole into a PostGIS database, in one transaction.

    Parameters
    ----------
    source
        The ``.gpkg`` workspace.
    url
        ``postgresql://`` URL of the database (a user allowed to create tables: ``admin``).
    replace
        Replace a workspace the database already holds (otherwise refused).

    Returns
    -------
    dict
        Rows copied per layer.
    """
    if not is_url(url):
        raise WorkspaceError(f"push needs a postgresql:// URL as destination, not {url!r}")
    src = Workspace(source)
    src.check()
    frames = {name: src.read(name) for name in src.layers()}
    own = _own(src)
    dst = PostgisWorkspace(url)
    with dst.transaction() as con:
        if dst._has_table(con, META_TABLE) and not replace:
            raise WorkspaceError(f"{display_name(url)} already holds a workspace; "
                                 "add --replace to overwrite it")
        for name in {*SCHEMAS, *frames}:  # the workspace replaced: its layers only
            con.execute(f"DROP TABLE IF EXISTS {_quote(name)} CASCADE")
        dst.create(con)
        for name, frame in frames.items():
            con.execute(f"DROP TABLE IF EXISTS {_quote(name)} CASCADE")
            dst._create_layer(con, name, _prepare(frame, name))
        for table, sql, rows in (
            (META_TABLE, "INSERT INTO {} VALUES (%s, %s)", own["meta"]),
            (PROVENANCE_TABLE, "INSERT INTO {} VALUES (%s, %s, %s, %s, %s)", own["prov"]),
            (SETTINGS_TABLE, "INSERT INTO {} VALUES (%s, %s)", own["settings"]),
            (VERSIONS_TABLE, "INSERT INTO {} VALUES (%s, %s)", own["versions"]),
            (RUNS_TABLE, "INSERT INTO {} VALUES (%s, %s, %s, %s, %s)", own["runs"]),
            (RESULTS_TABLE, "INSERT INTO {} VALUES (%s, %s, %s, %s, %s)", own["results"]),
        ):
            con.execute(f"DELETE FROM {table}")
            con.cursor().executemany(sql.format(table), rows)
        refresh_scope(con, dst._read_in(con))
    return {name: len(f) for name, f in frames.items()}


def pull(url: str, dest: str | Path) -> dict[str, int]:
    """
    Copy a PostGIS workspace whole into a new GeoPackage (the file appears only when complete).

    What is copied is what the connected user may read: pulled by a ``park:`` reader, the
    file holds that park's enterprises only.

    Parameters
    ----------
    url
        ``postgresql://`` URL of the workspace.
    dest
        The new ``.gpkg`` file; must not exist.

    Returns
    -------
    dict
        Rows copied per layer.
    """
    dest = Path(dest)
    if dest.exists():
        raise WorkspaceError(f"{dest} exists; pull writes a new file (remove it or choose "
                             "another name)")
    src = PostgisWorkspace(url)
    src.check()
    frames = {name: src.read(name) for name in src.layers()}
    own = _own(src)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.{uuid.uuid4().hex}.pull.gpkg")
    try:
        ws = Workspace(tmp)
        meta = dict(own["meta"])
        ws.write_layers(frames)

        def work(con) -> None:
            con.execute(f"DELETE FROM {META_TABLE}")
            con.executemany(f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)",
                            list(meta.items()))
            con.executemany(f"INSERT INTO {PROVENANCE_TABLE} (imported_at, layer, source, "
                            "details, rows) VALUES (?, ?, ?, ?, ?)", own["prov"])
            con.executemany(f"INSERT INTO {SETTINGS_TABLE} VALUES (?, ?)", own["settings"])
            con.executemany(f"INSERT OR REPLACE INTO {VERSIONS_TABLE} VALUES (?, ?)",
                            own["versions"])
            con.executemany(f"INSERT INTO {RUNS_TABLE} VALUES (?, ?, ?, ?, ?)", own["runs"])
            con.executemany(f"INSERT INTO {RESULTS_TABLE} VALUES (?, ?, ?, ?, ?)",
                            own["results"])

        ws._write_own(work)
        os.link(tmp, dest)  # atomic, and never replaces a file made meanwhile
    except FileExistsError as exc:
        raise WorkspaceError(f"{dest} appeared meanwhile; nothing written") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    return {name: len(f) for name, f in frames.items() if isinstance(f, pd.DataFrame)}
