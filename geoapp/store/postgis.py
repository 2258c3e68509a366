"""The PostGIS workspace: the same layers, tables and results as the GeoPackage, in a database.

:class:`PostgisWorkspace` has the public methods of :class:`geoapp.workspace.Workspace`. Each
write is one PostgreSQL transaction (a killed writer leaves the previous state, as the server
rolls back its open transaction). Layers are tables named like the layers, geometry in a
``geometry`` column in WGS84 (SRID 4326) as in the GeoPackage, plus an identity ``fid`` that
keeps the order rows were written in. geoapp's own tables carry the same names as in the
GeoPackage. Who may read and write what is set by :mod:`geoapp.store.roles` on every table
as it is created; the database enforces it for every client.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import io
import json
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely

from geoapp.store import display_name, roles
from geoapp.workspace import (
    META_TABLE,
    PROVENANCE_TABLE,
    RESULTS_TABLE,
    RUNS_TABLE,
    SETTINGS_TABLE,
    VERSIONS_TABLE,
    OwnTables,
    _empty,
    _now,
    _prepare,
)
from layers.crs import STORE_CRS
from layers.errors import LayerError, WorkspaceError
from layers.schema import SCHEMAS

GEOM = "geometry"
_NUMERIC_TYPE = re.compile(r"^(bigint|integer|smallint|double precision|real|numeric)")
LEDGER_AUDIT = ("recorded_by", "recorded_at")
"""Columns the database fills on every ledger event: the database user and the server time."""

_OWN_TABLES_SQL = (
    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key text PRIMARY KEY, value text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {PROVENANCE_TABLE} (imported_at text, layer text, "
    "source text, details text, rows bigint)",
    f"CREATE TABLE IF NOT EXISTS {SETTINGS_TABLE} (key text PRIMARY KEY, value text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (layer text PRIMARY KEY, version text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (stage text NOT NULL, year integer NOT NULL, "
    "fingerprint text NOT NULL, created_at text NOT NULL, summary text NOT NULL, "
    "PRIMARY KEY (stage, year))",
    f"CREATE TABLE IF NOT EXISTS {RESULTS_TABLE} (stage text NOT NULL, year integer NOT NULL, "
    "name text NOT NULL, kind text NOT NULL, data bytea NOT NULL, PRIMARY KEY (stage, year, name))",
    "CREATE TABLE IF NOT EXISTS geoapp_plot_scope (plot_id text PRIMARY KEY, park_id text, "
    "district_code text)",
)
OWN_TABLES = (META_TABLE, PROVENANCE_TABLE, SETTINGS_TABLE, VERSIONS_TABLE, RUNS_TABLE,
              RESULTS_TABLE, "geoapp_plot_scope")


def _sql_type(frame: pd.DataFrame, column: str, layer: str) -> str:
    lay = SCHEMAS.get(layer)
    field = next((f for f in lay.fields if f.name == column), None) if lay else None
    if field is not None:
        if field.dtype == "int":
            return "bigint"
        return "double precision" if field.numeric else "text"
    dtype = frame[column].dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    return "text"


def _cell(v: Any) -> Any:
    if v is None or (not isinstance(v, (str, bytes, list, dict)) and pd.isna(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def _quote(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


_POOL: OrderedDict[tuple[int, int, str], psycopg.Connection] = OrderedDict()
_POOL_LOCK = threading.Lock()
_POOL_SIZE = 4


def _close(con: psycopg.Connection) -> None:
    with contextlib.suppress(psycopg.Error):
        con.close()


@atexit.register
def close_connections() -> None:
    """Close every connection this process keeps open (at exit, and for tests)."""
    with _POOL_LOCK:
        for key in [k for k in _POOL if k[0] == os.getpid()]:
            _close(_POOL.pop(key))


@contextlib.contextmanager
def _reading(con: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """Use a cached connection for reads: a failure outside a transaction leaves it usable."""
    yield con


class _SqliteStyle:
    """A psycopg connection taking the SQLite-style SQL of geoapp's own tables (``?``).

    Tables it creates (scenarios) are handed to :func:`geoapp.store.roles.secure` like every
    other table, so each admin can use them.
    """

    def __init__(self, con: psycopg.Connection):
        self.con = con

    def execute(self, sql: str, params: tuple | list = ()) -> psycopg.Cursor:
        cur = self.con.execute(sql.replace("?", "%s"), params or None)
        if sql.lstrip().upper().startswith("CREATE TABLE IF NOT EXISTS"):
            roles.secure(self.con, sql.split()[5])
        return cur

    def executemany(self, sql: str, rows: list) -> None:
        self.con.cursor().executemany(sql.replace("?", "%s"), rows)


class PostgisWorkspace(OwnTables):
    """A geoapp workspace in a PostGIS database.

    Parameters
    ----------
    url
        ``postgresql://user:password@host:port/database``; the user's database role decides
        what this workspace can read and write.
    """

    def __init__(self, url: str):
        self.url = url
        self.path = url  # what the pipeline passes on to open the workspace again

    def __repr__(self) -> str:
        return f"PostgisWorkspace({display_name(self.url)!r})"

    # -- connections -------------------------------------------------------------------
    def connect(self) -> psycopg.Connection:
        """A new autocommit connection, or :class:`WorkspaceError` naming the server."""
        try:
            return psycopg.connect(self.url, connect_timeout=10, autocommit=True)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else "no answer"
            raise WorkspaceError(f"cannot connect to {display_name(self.url)}: {reason}") from exc

    def _conn(self) -> psycopg.Connection:
        """Return the calling thread's open connection to the database (opened once, reused).

        Every command opens the workspace several times (check, read, append); logging in
        costs more than most queries, so each thread of each process keeps its last few
        connections open. Reads run in autocommit; writes in :meth:`transaction`.
        """
        key = (os.getpid(), threading.get_ident(), self.url)
        with _POOL_LOCK:
            con = _POOL.pop(key, None)
            if con is None or con.closed or con.broken:
                con = self.connect()
            _POOL[key] = con
            alive = {t.ident for t in threading.enumerate()}
            mine = [k for k in _POOL if k[:2] == key[:2]]
            # (a forked child never touches its parent's connections: closing one would
            # close the parent's session)
            stale = [k for k in _POOL if k[0] == key[0] and k[1] not in alive]
            for k in stale + mine[:-_POOL_SIZE]:
                _close(_POOL.pop(k))
        return con

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """One transaction: committed whole on success, rolled back on any error."""
        con = self._conn()
        try:
            with con.transaction():
                yield con
        except psycopg.errors.InsufficientPrivilege as exc:
            raise WorkspaceError(f"{display_name(self.url)}: permission denied: "
                                 f"{exc.diag.message_primary}") from exc

    def _query(self, sql: str, params: tuple = ()) -> list[tuple]:
        with _reading(self._conn()) as con:
            return con.execute(sql, params or None).fetchall()

    def _has_table(self, con: psycopg.Connection, name: str) -> bool:
        return con.execute("SELECT to_regclass(%s) IS NOT NULL", (_quote(name),)).fetchone()[0]

    @property
    def exists(self) -> bool:
        """Whether the database holds a geoapp workspace (false when unreachable)."""
        try:
            with _reading(self._conn()) as con:
                return self._has_table(con, META_TABLE)
        except WorkspaceError:
            return False

    def check(self) -> None:
        """Raise :class:`WorkspaceError` unless the database is a reachable geoapp workspace."""
        with _reading(self._conn()) as con:
            if not self._has_table(con, META_TABLE):
                raise WorkspaceError(f"{display_name(self.url)} is not a geoapp workspace; "
                                     "create it with 'geoapp push' or 'geoapp import'")

    def create(self, con: psycopg.Connection) -> None:
        """Create geoapp's own tables, the empty ledger and the roles' rules (in ``con``)."""
        if self._has_table(con, META_TABLE):
            return
        con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for sql in _OWN_TABLES_SQL:
            con.execute(sql)
        con.execute(f"INSERT INTO {META_TABLE} VALUES ('created_at', %s), "
                    "('format', 'geoapp workspace 1')", (_now(),))
        roles.install(con)
        for name in OWN_TABLES:
            roles.secure(con, name)
        self._create_layer(con, "ledger", _prepare(_empty("ledger"), "ledger"))

    # -- reading -----------------------------------------------------------------------
    def layers(self) -> list[str]:
        """Layers present that this user may read (not geoapp's own tables)."""
        rows = self._query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') "
            "AND c.relname NOT LIKE 'geoapp%' AND c.relname <> 'spatial_ref_sys' "
            "AND has_table_privilege(c.oid, 'SELECT') ORDER BY c.relname")
        return [r[0] for r in rows]

    def _column_types(self, con: psycopg.Connection, name: str) -> list[tuple[str, str]]:
        return con.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute WHERE "
            "attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
            (_quote(name),)).fetchall()

    def _columns(self, con: psycopg.Connection, name: str) -> list[str]:
        rows = con.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum", (_quote(name),)).fetchall()
        return [r[0] for r in rows]

    def read(self, name: str, *, columns: list[str] | None = None,
             geometry: bool = True, where: str | None = None) -> pd.DataFrame:
        """Read a layer whole (or some columns and rows), as :meth:`Workspace.read` does.

        ``where`` is an SQL filter built by the caller from its own values (never user text).
        A layer this user may not read is returned empty, as if absent.
        """
        if name not in self.layers():
            return _empty(name) if name in SCHEMAS else pd.DataFrame()
        with _reading(self._conn()) as con:
            types = {c: t for c, t in self._column_types(con, name) if c != "fid"}
            spatial = GEOM in types
            attrs = [c for c in types if c != GEOM and (columns is None or c in columns)]
            select = [_quote(c) for c in attrs]
            if name == "ledger" and "recorded_at" in attrs:
                select[attrs.index("recorded_at")] = (
                    "to_char(recorded_at AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS recorded_at")
            if spatial and geometry:
                select.append(f"encode(ST_AsBinary({GEOM}), 'hex') AS {GEOM}")
            rows = f" WHERE {where}" if where else ""
            sql = (f"COPY (SELECT {', '.join(select) or '1 AS one'} FROM {_quote(name)}{rows} "
                   "ORDER BY fid) TO STDOUT WITH (FORMAT csv, HEADER true, NULL '\\N')")
            with con.cursor().copy(sql) as copy:
                text = b"".join(bytes(chunk) for chunk in copy)
        # CSV from COPY, parsed by pandas' C reader: far faster than Python objects per
        # cell; NULL is written as backslash-N, so an empty text stays an empty text
        as_text = {c: "str" for c in attrs if not _NUMERIC_TYPE.match(types[c])}
        frame = pd.read_csv(io.BytesIO(text), dtype={**as_text, GEOM: "str"},
                            na_values=["\\N"], keep_default_na=False)
        frame = frame[[c for c in frame.columns if c in attrs or c == GEOM]]
        for c in attrs:
            if types[c] == "boolean":
                frame[c] = frame[c].map({"t": True, "f": False})
        lay = SCHEMAS.get(name)
        if lay is not None:
            for f in lay.fields:
                if f.name in frame.columns and not f.numeric:
                    frame[f.name] = frame[f.name].astype("str")
        if spatial and geometry:
            hexes = frame.pop(GEOM).astype("object")
            geoms = shapely.from_wkb(hexes.where(hexes.notna(), None).to_numpy())
            return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORE_CRS),
                                    crs=STORE_CRS)
        return frame

    def read_all(self) -> dict[str, pd.DataFrame]:
        """Every canonical layer, by name (absent ones as empty frames)."""
        return {name: self.read(name) for name in SCHEMAS}

    def metadata(self) -> dict[str, Any]:
        """The workspace's key/value metadata (JSON values decoded)."""
        out = {}
        for k, v in self._read_own(f"SELECT key, value FROM {META_TABLE}"):
            try:
                out[k] = json.loads(v)
            except (TypeError, json.JSONDecodeError):
                out[k] = v
        return out

    def provenance(self) -> pd.DataFrame:
        """One row per import: when, which layer, from where, how converted, how many rows."""
        rows = self._read_own(f"SELECT imported_at, layer, source, details, rows "
                              f"FROM {PROVENANCE_TABLE} ORDER BY imported_at")
        return pd.DataFrame(rows, columns=["imported_at", "layer", "source", "details", "rows"])

    def counts(self) -> dict[str, int]:
        """Row count of every table this user may read (rows hidden from them not counted)."""
        with _reading(self._conn()) as con:
            return {n: con.execute(f"SELECT count(*) FROM {_quote(n)}").fetchone()[0]
                    for n in self.layers()}

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
        prepared = {name: _prepare(frame, name) for name, frame in frames.items()}
        with self.transaction() as con:
            self.create(con)
            for name, frame in prepared.items():
                con.execute(f"DROP TABLE IF EXISTS {_quote(name)} CASCADE")
                self._create_layer(con, name, frame)
            now = _now()
            for p in provenance or []:
                details = {k: v for k, v in p.items() if k not in ("layer", "source", "rows")}
                con.execute(f"INSERT INTO {PROVENANCE_TABLE} VALUES (%s, %s, %s, %s, %s)",
                            (now, p.get("layer"), p.get("source"),
                             json.dumps(details, ensure_ascii=False, default=str), p.get("rows")))
            for key, value in (metadata or {}).items():
                con.execute(f"INSERT INTO {META_TABLE} VALUES (%s, %s) ON CONFLICT (key) "
                            "DO UPDATE SET value = excluded.value",
                            (key, json.dumps(value, ensure_ascii=False, default=str)))
            if {"plots", "parks", "districts"} & set(prepared):
                roles.refresh_scope(con, self._read_in(con))

    def _read_in(self, con: psycopg.Connection) -> Callable[[str], pd.DataFrame]:
        """A reader of layers inside an open transaction (sees its uncommitted writes)."""
        def read(name: str) -> pd.DataFrame:
            if not self._has_table(con, name):
                return _empty(name)
            cols = [c for c in self._columns(con, name) if c not in ("fid", GEOM)]
            rows = con.execute(f"SELECT {', '.join(map(_quote, cols))}, ST_AsBinary({GEOM}) "
                               f"FROM {_quote(name)} ORDER BY fid").fetchall()
            frame = pd.DataFrame([r[:-1] for r in rows], columns=cols)
            geoms = shapely.from_wkb([None if r[-1] is None else bytes(r[-1]) for r in rows])
            return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs=STORE_CRS),
                                    crs=STORE_CRS)
        return read

    def _create_layer(self, con: psycopg.Connection, name: str, frame: pd.DataFrame) -> None:
        spatial = isinstance(frame, gpd.GeoDataFrame)
        attrs = [c for c in frame.columns if not (spatial and c == frame.geometry.name)]
        defs = ["fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"]
        defs += [f"{_quote(c)} {_sql_type(frame, c, name)}" for c in attrs]
        if spatial:
            defs.append(f"{GEOM} geometry(Geometry, 4326)")
        if name == "ledger":
            defs += ["recorded_by text NOT NULL DEFAULT current_user",
                     "recorded_at timestamptz NOT NULL DEFAULT now()"]
        con.execute(f"CREATE TABLE {_quote(name)} ({', '.join(defs)})")
        cols = [*attrs, GEOM] if spatial else attrs
        if len(frame):
            values = [frame[c].astype("object").tolist() for c in attrs]
            if spatial:
                geoms = shapely.set_srid(np.asarray(frame.geometry.array, dtype=object), 4326)
                values.append(list(shapely.to_wkb(geoms, hex=True, include_srid=True)))
            copy_sql = f"COPY {_quote(name)} ({', '.join(map(_quote, cols))}) FROM STDIN"
            with con.cursor().copy(copy_sql) as copy:
                for row in zip(*values, strict=True):
                    copy.write_row([_cell(v) for v in row])
        roles.secure(con, name)

    def append_rows(
        self,
        name: str,
        rows: pd.DataFrame,
        *,
        check: Callable[[pd.DataFrame, pd.DataFrame], None] | None = None,
    ) -> int:
        """Append rows (ledger events) in one transaction, as :meth:`Workspace.append_rows`.

        For the ledger, ``check`` gets the events of the plots being written (every rule is
        per plot), not the whole table. Writers are serialised by a transaction-scoped
        advisory lock on the table (the ledger's insert trigger takes the same lock, so plain
        SQL writers queue too); ``check`` then sees every event committed before it.
        """
        self.check()
        rows = _prepare(rows, name)
        with self.transaction() as con:
            con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"geoapp:{name}",))
            cols = self._columns(con, name)
            if not cols:
                raise WorkspaceError(f"workspace has no table '{name}'")
            extra = [c for c in rows.columns if c not in cols]
            if extra:
                raise WorkspaceError(f"table '{name}' has no columns {extra}")
            if check is not None:
                keep = [c for c in cols if c not in ("fid", GEOM, *LEDGER_AUDIT)]
                where, params = "", None
                if name == "ledger" and "plot_id" in rows:  # the rules look at these plots only
                    plots = sorted({str(p) for p in rows["plot_id"].dropna()})
                    where, params = " WHERE plot_id = ANY(%s)", (plots,)
                got = con.execute(f"SELECT {', '.join(map(_quote, keep))} FROM {_quote(name)}"
                                  f"{where} ORDER BY fid", params).fetchall()
                existing = pd.DataFrame(got, columns=keep)
                lay = SCHEMAS.get(name)
                for f in lay.fields if lay is not None else ():
                    if f.name in existing.columns:
                        existing[f.name] = (pd.to_numeric(existing[f.name]) if f.numeric
                                            else existing[f.name].astype("str"))
                check(existing, rows)
            use = list(rows.columns)
            values = [tuple(_cell(v) for v in rec) for rec in rows.itertuples(index=False)]
            marks = ", ".join("%s" for _ in use)
            try:
                con.cursor().executemany(
                    f"INSERT INTO {_quote(name)} ({', '.join(map(_quote, use))}) "
                    f"VALUES ({marks})", values)
            except psycopg.errors.RaiseException as exc:
                raise LayerError(name, [exc.diag.message_primary]) from exc
        return len(rows)

    # -- versions, settings and results (geoapp's own tables) ------------------------------
    def _read_own(self, sql: str, params: tuple = ()) -> list[tuple]:
        with _reading(self._conn()) as con:
            table = sql.split(" FROM ", 1)[1].split()[0]
            if not self._has_table(con, table):
                return []
            try:
                return con.execute(sql.replace("?", "%s"), params or None).fetchall()
            except psycopg.errors.InsufficientPrivilege:
                return []  # a role that may not read stored results: computed instead

    def _write_own(self, work: Callable[[Any], None]) -> None:
        """Run ``work(con)`` in one transaction; ``con`` also takes SQLite-style SQL."""
        self.check()
        with self.transaction() as con:
            work(_SqliteStyle(con))

    def may_store_results(self) -> bool:
        """Whether this user may write stored results (only ``admin`` may)."""
        rows = self._query("SELECT has_table_privilege(%s, 'INSERT')", (RESULTS_TABLE,))
        return bool(rows and rows[0][0])

    def layer_versions(self) -> dict[str, str]:
        """A version token per layer, renewed by triggers on every change to it."""
        present = [n for n in self.layers() if n in SCHEMAS]
        versions = dict(self._read_own(f"SELECT layer, version FROM {VERSIONS_TABLE}"))
        return {n: versions.get(n, "untracked") for n in present}

    def change_token(self) -> float:
        """A number that changes whenever a layer or the settings change (an app cache key)."""
        basis = json.dumps([self.layer_versions(), self.settings_overrides()], sort_keys=True)
        return float(int(hashlib.sha256(basis.encode()).hexdigest()[:12], 16))

    def layer_info(self, name: str) -> dict[str, Any]:
        """Geometry type and CRS of a layer, as ``pyogrio.read_info`` names them."""
        rows = self._query("SELECT type, srid FROM geometry_columns WHERE f_table_schema = "
                           "current_schema() AND f_table_name = %s", (name,))
        if not rows:
            return {"geometry_type": None, "crs": None}
        kinds = self._query(f"SELECT DISTINCT substr(ST_GeometryType({GEOM}), 4) "
                            f"FROM {_quote(name)} WHERE {GEOM} IS NOT NULL LIMIT 2")
        kind = kinds[0][0] if len(kinds) == 1 else rows[0][0].title()
        return {"geometry_type": kind, "crs": f"EPSG:{rows[0][1]}"}

    def whoami(self) -> str:
        """``user (role[, scope])`` of this connection, for messages and the app."""
        with _reading(self._conn()) as con:
            user = roles.current_role(con) if self._has_table(con, roles.USERS_TABLE) else None
        if user is None:
            return "not a geoapp workspace yet"
        return f"user {user.name}, role {user.role}" + (f" {user.scope}" if user.scope else "")
