"""The workspace: one GeoPackage file holding every layer, table and its provenance.

Every write is one SQLite transaction on the workspace file:

- :meth:`Workspace.write_layers` has GDAL (pyogrio) encode the new layers into a scratch
  GeoPackage beside the workspace, then ATTACHes it and swaps the tables in with
  ``BEGIN IMMEDIATE … COMMIT``. A failed, interrupted or killed import leaves the previous
  state whole (SQLite's rollback journal undoes a half-done swap on the next open).
- :meth:`Workspace.append_rows` inserts events (the ledger) in one transaction, running a
  caller's check inside it, so the check sees the latest committed state and two processes
  recording at once are serialised rather than interleaved.

Tables are written without an R-tree spatial index (GDAL's index triggers need GDAL's SQL
functions, which a plain SQLite connection lacks); layers are read whole, so none is needed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geoapp.atomic import WRITE_ERRORS, write_error
from layers.crs import STORE_CRS
from layers.errors import WorkspaceError
from layers.schema import SCHEMAS, schema

META_TABLE = "geoapp_metadata"
PROVENANCE_TABLE = "geoapp_provenance"
SETTINGS_TABLE = "geoapp_settings"
VERSIONS_TABLE = "geoapp_layer_versions"
RUNS_TABLE = "geoapp_runs"
RESULTS_TABLE = "geoapp_results"
_OWN_TABLES_SQL = (
    f"CREATE TABLE IF NOT EXISTS {SETTINGS_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (layer TEXT PRIMARY KEY, version TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (stage TEXT NOT NULL, year INTEGER NOT NULL, "
    "fingerprint TEXT NOT NULL, created_at TEXT NOT NULL, summary TEXT NOT NULL, "
    "PRIMARY KEY (stage, year))",
    f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (stage TEXT NOT NULL, year INTEGER NOT NULL, "
    "name TEXT NOT NULL, kind TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (stage, year, name))",
)
"""geoapp's own tables (plain SQLite tables, not GeoPackage contents): the settings a district
changed, a version token per layer (changed by every write, through triggers even when another
program edits the layer), and the stored results of each stage and year."""
BUSY_TIMEOUT_S = 120.0
_GPKG_APPLICATION_ID = 0x47504B47  # "GPKG"
_INTACT: set[tuple[int, int]] = set()
"""(device, inode) of the files whose integrity this process has checked (``quick_check``
reads the whole file: 0.7 s at 500 000 plots, and a command checks its workspace at every
write)."""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _empty(name: str) -> pd.DataFrame:
    lay = schema(name)
    cols = {f.name: pd.Series(dtype="float64" if f.numeric else "str") for f in lay.fields}
    df = pd.DataFrame(cols)
    if lay.spatial:
        return gpd.GeoDataFrame(df, geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
    return df


def _prepare(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Types GeoPackage stores faithfully: codes and dates as text, ints as ints."""
    frame = frame.copy()
    lay = SCHEMAS.get(name)
    if lay is not None:
        for f in lay.fields:
            if f.name not in frame.columns:
                continue
            if f.dtype in ("string", "code", "date"):
                frame[f.name] = frame[f.name].astype("string")
            elif f.dtype == "int":
                frame[f.name] = pd.to_numeric(frame[f.name]).astype("Int64")
            elif f.numeric:
                frame[f.name] = pd.to_numeric(frame[f.name]).astype("float64")
    if isinstance(frame, gpd.GeoDataFrame):
        if frame.crs is None:
            raise WorkspaceError(f"layer '{name}' has no CRS; refusing to store it")
        if frame.crs.to_epsg() != 4326:
            frame = frame.to_crs(STORE_CRS)
    return frame


class OwnTables:
    """geoapp's own tables, settings and stored results, read and written alike on every backend.

    A backend provides ``_read_own(sql, params)`` and ``_write_own(work)`` taking SQLite-style
    SQL (``?`` placeholders): :class:`Workspace` for a GeoPackage,
    :class:`geoapp.store.postgis.PostgisWorkspace` for PostGIS.
    """

    def settings_overrides(self) -> dict[str, dict[str, Any]]:
        """The settings this workspace changed, ``{section: {key: value}}`` (JSON values)."""
        out: dict[str, dict[str, Any]] = {}
        for key, value in self._read_own(f"SELECT key, value FROM {SETTINGS_TABLE} ORDER BY key"):
            section, _, name = key.partition(".")
            out.setdefault(section, {})[name] = json.loads(value)
        return out

    def write_settings(self, overrides: Mapping[str, Mapping[str, Any]]) -> None:
        """Replace the stored settings with ``{section: {key: value}}``, in one transaction."""
        rows = [(f"{section}.{key}", json.dumps(value, ensure_ascii=False))
                for section, values in overrides.items() for key, value in values.items()]

        def work(con) -> None:
            con.execute(f"DELETE FROM {SETTINGS_TABLE}")
            con.executemany(f"INSERT INTO {SETTINGS_TABLE} (key, value) VALUES (?, ?)", rows)

        self._write_own(work)

    def run_record(self, stage: str, year: int) -> tuple[str, dict[str, Any]] | None:
        """The fingerprint and summary of the stored run of a stage and year, if any."""
        rows = self._read_own(f"SELECT fingerprint, summary FROM {RUNS_TABLE} "
                              "WHERE stage = ? AND year = ?", (stage, int(year)))
        return (rows[0][0], json.loads(rows[0][1])) if rows else None

    def result_items(self, stage: str, year: int, *, name: str | None = None
                     ) -> list[tuple[str, str, bytes]]:
        """
        The stored result items ``(name, kind, data)`` of a stage and year.

        With ``name``, only that item and its dict items (``name/…``).
        """
        sql = (f"SELECT name, kind, data FROM {RESULTS_TABLE} WHERE stage = ? AND year = ?")
        params: tuple = (stage, int(year))
        if name is not None:
            sql += " AND (name = ? OR substr(name, 1, ?) = ?)"
            params += (name, len(name) + 1, f"{name}/")
        return [(n, k, bytes(d)) for n, k, d in self._read_own(sql + " ORDER BY name", params)]

    def clear_results(self) -> None:
        """Forget every stored result (the next analysis computes every stage again)."""
        def work(con) -> None:
            con.execute(f"DELETE FROM {RUNS_TABLE}")
            con.execute(f"DELETE FROM {RESULTS_TABLE}")

        self._write_own(work)

    def write_results(self, stage: str, year: int, *, fingerprint: str,
                      summary: Mapping[str, Any], items: list[tuple[str, str, bytes]]) -> None:
        """Replace the stored results of a stage and year whole, in one transaction."""
        def work(con) -> None:
            for table in (RUNS_TABLE, RESULTS_TABLE):
                con.execute(f"DELETE FROM {table} WHERE stage = ? AND year = ?", (stage, int(year)))
            con.executemany(f"INSERT INTO {RESULTS_TABLE} (stage, year, name, kind, data) "
                            "VALUES (?, ?, ?, ?, ?)",
                            [(stage, int(year), n, k, bytes(d)) for n, k, d in items])
            con.execute(f"INSERT INTO {RUNS_TABLE} (stage, year, fingerprint, created_at, "
                        "summary) VALUES (?, ?, ?, ?, ?)",
                        (stage, int(year), fingerprint, _now(),
                         json.dumps(summary, ensure_ascii=False, default=str)))

        self._write_own(work)


class Workspace(OwnTables):
    """A geoapp workspace: one GeoPackage file.

    Parameters
    ----------
    path
        The ``.gpkg`` file; created on first write.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)

    # -- connections -------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        return con

    @property
    def exists(self) -> bool:
        """Whether the workspace file exists."""
        return self.path.exists()

    def check(self) -> None:
        """Raise :class:`WorkspaceError` unless the file is a readable geoapp workspace.

        SQLite's integrity check (``quick_check``) runs the first time this process checks a
        file (a file replaced since is a new file); the rest every time.
        """
        if not self.path.exists():
            raise WorkspaceError(f"workspace {self.path} does not exist; create it with "
                                 "'geoapp import' or 'geoapp demo'")
        stat = self.path.stat()
        key = (stat.st_dev, stat.st_ino)
        try:
            con = self._connect()
            try:
                app_id = con.execute("PRAGMA application_id").fetchone()[0]
                ok = "ok" if key in _INTACT else con.execute("PRAGMA quick_check").fetchone()[0]
                has_meta = con.execute(
                    "SELECT count(*) FROM sqlite_master WHERE name = ?", (META_TABLE,)
                ).fetchone()[0]
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise WorkspaceError(f"{self.path} is not a GeoPackage ({exc})") from exc
        if app_id != _GPKG_APPLICATION_ID or ok != "ok" or not has_meta:
            raise WorkspaceError(f"{self.path} is not a geoapp workspace (or is damaged: {ok})")
        _INTACT.add(key)

    def _create(self) -> None:
        """Create an empty workspace atomically: metadata, provenance and an empty ledger."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._scratch("new")
        try:
            meta = pd.DataFrame({"key": ["created_at", "format"],
                                 "value": [_now(), "geoapp workspace 1"]})
            pyogrio.write_dataframe(meta, tmp, layer=META_TABLE, driver="GPKG")
            prov = pd.DataFrame({c: pd.Series(dtype="string") for c in
                                 ("imported_at", "layer", "source", "details")})
            prov["rows"] = pd.Series(dtype="Int64")
            pyogrio.write_dataframe(prov, tmp, layer=PROVENANCE_TABLE, driver="GPKG")
            pyogrio.write_dataframe(_prepare(_empty("ledger"), "ledger"), tmp, layer="ledger",
                                    driver="GPKG")
            con = sqlite3.connect(tmp, isolation_level=None)
            try:
                _own_tables(con)
                _track(con, ["ledger"])
            finally:
                con.close()
            with contextlib.suppress(FileExistsError):
                os.link(tmp, self.path)  # atomic: never replaces a workspace made meanwhile
        finally:
            tmp.unlink(missing_ok=True)

    def _scratch(self, kind: str) -> Path:
        """A scratch GeoPackage beside the workspace, named after this process."""
        name = f".{self.path.name}.{os.getpid()}.{uuid.uuid4().hex}.{kind}.gpkg"
        return self.path.with_name(name)

    def _remove_orphans(self) -> None:
        """Delete scratch files left by writers that were killed (their process is gone)."""
        for f in self.path.parent.glob(f".{self.path.name}.*.*.*.gpkg*"):
            try:
                pid = int(f.name[len(self.path.name) + 2:].split(".")[0])
                os.kill(pid, 0)
            except ProcessLookupError:
                f.unlink(missing_ok=True)
            except (ValueError, PermissionError):
                continue

    # -- reading -----------------------------------------------------------------------
    def _recover(self) -> None:
        """Open read-write once so SQLite rolls back a hot journal left by a killed writer.

        GDAL opens read-only and cannot do that rollback itself ("attempt to write a readonly
        database"); any read-write connection does it on its first statement.
        """
        con = self._connect()
        try:
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            con.close()

    def layers(self) -> list[str]:
        """Names of the canonical layers and tables present (not geoapp's own tables)."""
        if not self.path.exists():
            return []
        if Path(f"{self.path}-journal").exists():
            self._recover()
        names = [n for n, _ in pyogrio.list_layers(self.path)]
        return [n for n in names if not n.startswith("geoapp_")]

    def read(self, name: str, *, columns: list[str] | None = None,
             geometry: bool = True, where: str | None = None) -> pd.DataFrame:
        """Read a layer whole (or only some of its columns and rows, with or without geometry).

        ``where`` is an OGR SQL filter on the layer's columns (e.g. ``"year IN (2022, 2023)"``),
        built by the caller from its own values, never from user text.

        Returns
        -------
        GeoDataFrame or DataFrame
            In WGS84 for spatial layers; an empty frame with the schema's columns when the
            layer is absent. The GeoPackage ``fid`` is dropped.
        """
        if name not in self.layers():
            return _empty(name) if name in SCHEMAS else pd.DataFrame()
        frame = pyogrio.read_dataframe(self.path, layer=name, use_arrow=True, columns=columns,
                                       read_geometry=geometry, where=where)
        lay = SCHEMAS.get(name)
        if lay is not None and not lay.spatial and isinstance(frame, gpd.GeoDataFrame):
            frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if lay is not None:
            for f in lay.fields:
                if f.name in frame.columns and not f.numeric:
                    frame[f.name] = frame[f.name].astype("str")
        return frame

    def read_all(self) -> dict[str, pd.DataFrame]:
        """Every canonical layer, by name (absent ones as empty frames)."""
        return {name: self.read(name) for name in SCHEMAS}

    def metadata(self) -> dict[str, Any]:
        """The workspace's key/value metadata (JSON values decoded)."""
        if not self.path.exists():
            return {}
        con = self._connect()
        try:
            rows = con.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
        finally:
            con.close()
        out = {}
        for k, v in rows:
            try:
                out[k] = json.loads(v)
            except (TypeError, json.JSONDecodeError):
                out[k] = v
        return out

    def provenance(self) -> pd.DataFrame:
        """One row per import: when, which layer, from where, how converted, how many rows."""
        if not self.path.exists():
            return pd.DataFrame()
        return pyogrio.read_dataframe(self.path, layer=PROVENANCE_TABLE)

    def counts(self) -> dict[str, int]:
        """Row count of every table, read with SQL (cheap)."""
        con = self._connect()
        try:
            return {n: con.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0]
                    for n in self.layers()}
        finally:
            con.close()

    # -- writing -----------------------------------------------------------------------
    def write_layers(
        self,
        frames: Mapping[str, pd.DataFrame],
        *,
        provenance: list[dict[str, Any]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Replace the given layers whole, in one transaction; other layers are untouched.

        Parameters
        ----------
        frames
            ``{layer name: frame}``; spatial frames must carry a CRS (stored as WGS84).
        provenance
            Rows for the provenance table (``layer``, ``source``, ``rows`` and any details).
        metadata
            Keys to set in the metadata table (values stored as JSON).
        """
        try:  # a full disk or read-only workspace: one clear error, nothing changed
            self._write_layers(frames, provenance, metadata)
        except WRITE_ERRORS as exc:
            raise write_error(self.path, exc) from exc

    def _write_layers(self, frames, provenance, metadata) -> None:
        if not self.path.exists():
            self._create()
        else:
            self.check()
        self._remove_orphans()
        tmp = self._scratch("stage")
        try:
            for name, frame in frames.items():
                frame = _prepare(frame, name)
                opts = {"SPATIAL_INDEX": "NO"} if isinstance(frame, gpd.GeoDataFrame) else {}
                pyogrio.write_dataframe(frame, tmp, layer=name, driver="GPKG",
                                        layer_options=opts)  # mixed Polygon/Multi → Multi
            self._swap_in(tmp, list(frames), provenance or [], metadata or {})
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}-journal").unlink(missing_ok=True)

    def _swap_in(self, staged: Path, names: list[str], provenance, metadata) -> None:
        con = self._connect()
        try:
            con.execute("ATTACH DATABASE ? AS stage", (str(staged),))
            con.execute("BEGIN IMMEDIATE")
            try:
                for name in names:
                    self._drop(con, name)
                    sql = con.execute(
                        "SELECT sql FROM stage.sqlite_master WHERE type='table' AND name=?",
                        (name,)).fetchone()[0]
                    con.execute(sql)
                    con.execute(f'INSERT INTO main."{name}" SELECT * FROM stage."{name}"')
                    con.execute("INSERT OR IGNORE INTO main.gpkg_spatial_ref_sys "
                                "SELECT * FROM stage.gpkg_spatial_ref_sys")
                    for table in ("gpkg_contents", "gpkg_geometry_columns", "gpkg_extensions"):
                        if (self._has_table(con, "stage", table)
                                and self._has_table(con, "main", table)):
                            con.execute(f"INSERT INTO main.{table} SELECT * FROM stage.{table} "
                                        "WHERE table_name = ?", (name,))
                    con.execute("INSERT OR REPLACE INTO main.gpkg_ogr_contents VALUES (?, NULL)",
                                (name,))
                _own_tables(con)
                _track(con, names)
                now = _now()
                for p in provenance:
                    details = {k: v for k, v in p.items() if k not in ("layer", "source", "rows")}
                    con.execute(
                        f"INSERT INTO {PROVENANCE_TABLE} "
                        "(imported_at, layer, source, details, rows) VALUES (?, ?, ?, ?, ?)",
                        (now, p.get("layer"), p.get("source"),
                         json.dumps(details, ensure_ascii=False, default=str), p.get("rows")))
                for key, value in metadata.items():
                    con.execute(f"DELETE FROM {META_TABLE} WHERE key = ?", (key,))
                    con.execute(f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)",
                                (key, json.dumps(value, ensure_ascii=False, default=str)))
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("DETACH DATABASE stage")
        finally:
            con.close()

    @staticmethod
    def _has_table(con, schema_name: str, table: str) -> bool:
        return con.execute(f"SELECT count(*) FROM {schema_name}.sqlite_master WHERE name = ?",
                           (table,)).fetchone()[0] > 0

    def _drop(self, con: sqlite3.Connection, name: str) -> None:
        for table in ("gpkg_geometry_columns", "gpkg_extensions", "gpkg_ogr_contents",
                      "gpkg_contents"):
            if self._has_table(con, "main", table):
                con.execute(f"DELETE FROM main.{table} WHERE lower(table_name) = lower(?)", (name,))
        for (trig,) in con.execute("SELECT name FROM main.sqlite_master WHERE type='trigger' "
                                   "AND tbl_name = ?", (name,)).fetchall():
            con.execute(f'DROP TRIGGER main."{trig}"')
        con.execute(f'DROP TABLE IF EXISTS main."{name}"')
        con.execute(f'DROP TABLE IF EXISTS main."rtree_{name}_geom"')

    def append_rows(
        self,
        name: str,
        rows: pd.DataFrame,
        *,
        check: Callable[[pd.DataFrame, pd.DataFrame], None] | None = None,
    ) -> int:
        """Append rows to a table (the ledger) in one SQLite transaction.

        Parameters
        ----------
        name
            Table name; must exist (the ledger always does).
        rows
            New rows; columns must exist in the table (extra columns are an error).
        check
            ``check(existing, rows)`` runs inside the transaction, after the write lock is
            taken; raise (e.g. ``LayerError``) to abort with nothing written.

        Returns
        -------
        int
            Rows written.
        """
        self.check()
        rows = _prepare(rows, name)
        try:  # a full disk or read-only workspace: one clear error, nothing written
            return self._append_rows(name, rows, check)
        except WRITE_ERRORS as exc:
            raise write_error(self.path, exc) from exc

    def _append_rows(self, name, rows, check) -> int:
        with self._immediate() as con:
            cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
            if not cols:
                raise WorkspaceError(f"workspace has no table '{name}'")
            extra = [c for c in rows.columns if c not in cols]
            if extra:
                raise WorkspaceError(f"table '{name}' has no columns {extra}")
            if check is not None:
                existing = pd.read_sql_query(f'SELECT * FROM "{name}" ORDER BY fid', con)
                lay = SCHEMAS.get(name)
                if lay is not None:
                    for f in lay.fields:
                        if f.name in existing.columns and not f.numeric:
                            existing[f.name] = existing[f.name].astype("str")
                check(existing.drop(columns=["fid"]), rows)
            use = list(rows.columns)
            values = [tuple(None if pd.isna(v) else (v.item() if hasattr(v, "item") else v)
                            for v in rec) for rec in rows.itertuples(index=False, name=None)]
            quoted = ", ".join(f'"{c}"' for c in use)
            marks = ", ".join("?" for _ in use)
            con.executemany(f'INSERT INTO "{name}" ({quoted}) VALUES ({marks})', values)
            _own_tables(con)
            _track(con, [name])
        return len(rows)

    @contextlib.contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed whole, or rolled back."""
        con = self._connect()
        try:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
        finally:
            con.close()

    # -- versions, settings and results (geoapp's own tables) ------------------------------
    def _read_own(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Rows of a query on geoapp's own tables; none when the table does not exist yet."""
        if not self.path.exists():
            return []
        con = self._connect()
        try:
            return con.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            con.close()

    def _write_own(self, work: Callable[[sqlite3.Connection], None]) -> None:
        """Run ``work(con)`` in one write transaction, with geoapp's own tables present."""
        self.check()
        try:
            with self._immediate() as con:
                _own_tables(con)
                work(con)
        except WRITE_ERRORS as exc:
            raise write_error(self.path, exc) from exc

    def may_store_results(self) -> bool:
        """Whether analyses may store their results here (always, in a GeoPackage)."""
        return True

    def layer_versions(self) -> dict[str, str]:
        """
        A version token per layer, changed by every write to it.

        geoapp's writes set a new token; triggers on each layer table change it when any other
        program (QGIS, sqlite3) inserts, updates or deletes rows. Layers written before
        versions existed start being tracked on this first call.
        """
        present = [n for n in self.layers() if n in SCHEMAS]
        versions = dict(self._read_own(f"SELECT layer, version FROM {VERSIONS_TABLE}"))
        untracked = [n for n in present if n not in versions]
        if untracked:
            try:
                self._write_own(lambda con: _track(con, untracked))
            except WorkspaceError:  # a read-only workspace: the file's own time stands in
                return {n: versions.get(n, f"file:{self.path.stat().st_mtime_ns}")
                        for n in present}
            versions = dict(self._read_own(f"SELECT layer, version FROM {VERSIONS_TABLE}"))
        return {n: versions[n] for n in present}

def _own_tables(con: sqlite3.Connection) -> None:
    for sql in _OWN_TABLES_SQL:
        con.execute(sql)


def _track(con: sqlite3.Connection, names: list[str]) -> None:
    """Give layers a new version token and triggers that renew it on any row change."""
    for name in names:
        if name not in SCHEMAS:  # trigger SQL below names the table: canonical names only
            continue
        con.execute(f"INSERT OR REPLACE INTO {VERSIONS_TABLE} (layer, version) "
                    "VALUES (?, lower(hex(randomblob(8))))", (name,))
        for op in ("INSERT", "UPDATE", "DELETE"):
            con.execute(
                f'CREATE TRIGGER IF NOT EXISTS "geoapp_version_{name}_{op.lower()}" '
                f'AFTER {op} ON "{name}" BEGIN UPDATE {VERSIONS_TABLE} '
                f"SET version = lower(hex(randomblob(8))) WHERE layer = '{name}'; END")
