"""Who may read and write what in a PostGIS workspace, enforced by the database itself.

Four group roles (cluster-wide, created when first needed), and a user table per workspace:

========================  =====================================================================
``public``                layers without enterprise rows: no ``enterprises`` table, no stored
                          results (which hold enterprise figures); reads the ledger.
``reader`` (+ scope)      ``district:<code>`` or ``park:<id>``: enterprise rows of plots in
                          that district or park only (row-level security).
``editor`` (+ scope)      a reader who may also record ledger events on plots of the scope.
``admin``                 everything: import, analyse, store results, manage users.
========================  =====================================================================

A plot's scope (its park and district, by the largest share of its area as the analysis
assigns them) is kept in ``geoapp_plot_scope`` and renewed whenever plots, parks or
districts are written. The ledger is append-only for every role (a trigger refuses UPDATE,
DELETE and TRUNCATE), and its insert trigger stamps ``recorded_by``/``recorded_at``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
import psycopg
from psycopg import sql

from analysis.overlay import assign_largest_share
from analysis.reclamation import CORRECTION_PREFIXES
from layers.crs import WORK_CRS
from layers.errors import WorkspaceError
from layers.schema import LEDGER_STAGES, SCHEMAS

GROUPS = {"public": "geoapp_public", "reader": "geoapp_reader", "editor": "geoapp_editor",
          "admin": "geoapp_admin"}
ALL_GROUPS = ", ".join(GROUPS.values())
USERS_TABLE = "geoapp_users"
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_ADMIN_ONLY = ("geoapp_results", "geoapp_runs")
_READ_ALL = ("geoapp_metadata", "geoapp_provenance", "geoapp_settings", "geoapp_layer_versions")
_SCOPED = "(u.scope_type = 'park' AND s.park_id = u.scope_id) OR " \
          "(u.scope_type = 'district' AND s.district_code = u.scope_id)"
_CORRECTION = " OR ".join(
    f"lower(ltrim(coalesce(NEW.note, ''))) LIKE '{p.lower()}%'" for p in CORRECTION_PREFIXES)
_RANKS = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(LEDGER_STAGES))

_INSTALL = f"""
DO $$ BEGIN
  {' '.join(f"IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{g}') THEN "
            f"CREATE ROLE {g} NOLOGIN; END IF;" for g in GROUPS.values())}
END $$;
DO $$ BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ALL_GROUPS}', current_schema());
  EXECUTE format('GRANT CREATE ON SCHEMA %I TO geoapp_admin', current_schema());
END $$;
CREATE TABLE IF NOT EXISTS {USERS_TABLE} (username text PRIMARY KEY, role text NOT NULL
  CHECK (role IN ('public', 'reader', 'editor', 'admin')), scope_type text
  CHECK (scope_type IN ('park', 'district')), scope_id text);
REVOKE ALL ON {USERS_TABLE} FROM PUBLIC;
GRANT SELECT ON {USERS_TABLE} TO {ALL_GROUPS};
GRANT ALL ON {USERS_TABLE} TO geoapp_admin;
ALTER TABLE {USERS_TABLE} ENABLE ROW LEVEL SECURITY;
CREATE POLICY own_row ON {USERS_TABLE} FOR SELECT USING (username = current_user);
CREATE POLICY admin_all ON {USERS_TABLE} TO geoapp_admin USING (true) WITH CHECK (true);
CREATE OR REPLACE FUNCTION geoapp_touch_version() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $f$ BEGIN
  INSERT INTO geoapp_layer_versions VALUES (TG_TABLE_NAME, md5(random()::text
    || clock_timestamp()::text)) ON CONFLICT (layer) DO UPDATE SET version = excluded.version;
  RETURN NULL; END $f$;
CREATE OR REPLACE FUNCTION geoapp_stage_rank(stage text) RETURNS integer LANGUAGE sql
IMMUTABLE AS $f$ SELECT CASE stage {_RANKS} END $f$;
CREATE OR REPLACE FUNCTION geoapp_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN RAISE EXCEPTION 'the ledger is append-only: events are never changed or deleted; '
  'record a correction as a new event (see geoapp ledger record --help)'; END $f$;
CREATE OR REPLACE FUNCTION geoapp_ledger_insert() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE ahead record; BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('geoapp:ledger'));
  NEW.recorded_by := current_user; NEW.recorded_at := clock_timestamp();
  IF NOT ({_CORRECTION}) THEN
    SELECT stage, date INTO ahead FROM ledger WHERE plot_id = NEW.plot_id AND date <= NEW.date
      AND geoapp_stage_rank(stage) > geoapp_stage_rank(NEW.stage) ORDER BY fid DESC LIMIT 1;
    IF FOUND THEN RAISE EXCEPTION 'plot %: stage % on % is behind % recorded on %: stages '
      'move forward only', NEW.plot_id, NEW.stage, NEW.date, ahead.stage, ahead.date; END IF;
  END IF;
  RETURN NEW; END $f$;
"""


def install(con: psycopg.Connection) -> None:
    """Create the group roles, the users table and the trigger functions (once per database)."""
    con.execute(_INSTALL)


def secure(con: psycopg.Connection, name: str) -> None:
    """Grant a new table to the roles that may use it, and attach its triggers and policies."""
    t = sql.Identifier(name)
    run = lambda text: con.execute(sql.SQL(text).format(t=t))  # noqa: E731
    run("ALTER TABLE {t} OWNER TO geoapp_admin")  # any admin may replace it
    run("REVOKE ALL ON {t} FROM PUBLIC")
    run("GRANT ALL ON {t} TO geoapp_admin")
    if name in _ADMIN_ONLY:
        return
    if name in _READ_ALL:
        run(f"GRANT SELECT ON {{t}} TO {ALL_GROUPS}")
        return
    if name == "geoapp_plot_scope":
        run("GRANT SELECT ON {t} TO geoapp_reader, geoapp_editor")
        return
    scoped = (f"EXISTS (SELECT 1 FROM geoapp_plot_scope s JOIN {USERS_TABLE} u ON {_SCOPED} "
              "WHERE u.username = current_user AND s.plot_id = {t}.plot_id)")
    if name == "enterprises":
        run("GRANT SELECT ON {t} TO geoapp_reader, geoapp_editor")
        run("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        run("CREATE POLICY admin_all ON {t} TO geoapp_admin USING (true) WITH CHECK (true)")
        run(f"CREATE POLICY scope_read ON {{t}} FOR SELECT TO geoapp_reader, geoapp_editor "
            f"USING ({scoped})")
    else:
        run(f"GRANT SELECT ON {{t}} TO {ALL_GROUPS}")
    if name == "plots":  # a scoped reader's analysis covers the plots of its scope only
        run("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        run("CREATE POLICY admin_all ON {t} TO geoapp_admin USING (true) WITH CHECK (true)")
        run("CREATE POLICY public_read ON {t} FOR SELECT TO geoapp_public USING (true)")
        run(f"CREATE POLICY scope_read ON {{t}} FOR SELECT TO geoapp_reader, geoapp_editor "
            f"USING ({scoped})")
    if name == "ledger":
        run("REVOKE UPDATE, DELETE, TRUNCATE ON {t} FROM geoapp_admin")
        run("GRANT INSERT ON {t} TO geoapp_editor")
        run("CREATE INDEX ON {t} (plot_id)")
        run("ALTER TABLE {t} ENABLE ROW LEVEL SECURITY")
        run("CREATE POLICY public_read ON {t} FOR SELECT TO geoapp_public USING (true)")
        run(f"CREATE POLICY scope_read ON {{t}} FOR SELECT TO geoapp_reader, geoapp_editor "
            f"USING ({scoped})")
        run("CREATE POLICY admin_all ON {t} TO geoapp_admin USING (true) WITH CHECK (true)")
        run(f"CREATE POLICY scope_insert ON {{t}} FOR INSERT TO geoapp_editor "
            f"WITH CHECK ({scoped})")
        run("CREATE TRIGGER geoapp_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION geoapp_ledger_append_only()")
        run("CREATE TRIGGER geoapp_no_truncate BEFORE TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION geoapp_ledger_append_only()")
        run("CREATE TRIGGER geoapp_stamp BEFORE INSERT ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION geoapp_ledger_insert()")
    if name in SCHEMAS:
        run("CREATE TRIGGER geoapp_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION geoapp_touch_version()")
        con.execute("INSERT INTO geoapp_layer_versions VALUES (%s, md5(random()::text)) "
                    "ON CONFLICT (layer) DO UPDATE SET version = excluded.version", (name,))


def refresh_scope(con: psycopg.Connection, read: Callable[[str], pd.DataFrame]) -> None:
    """Renew each plot's park and district (what scoped readers and editors see)."""
    plots = read("plots")
    out = pd.DataFrame({"plot_id": plots["plot_id"].astype(str) if len(plots) else []})
    for layer, key, column in (("parks", "park_id", "park_id"),
                               ("districts", "code", "district_code")):
        shapes = read(layer)
        if len(plots) and len(shapes) and key in shapes:
            out[column] = assign_largest_share(plots.to_crs(WORK_CRS), shapes.to_crs(WORK_CRS),
                                               key, crs=WORK_CRS).astype("string").to_numpy()
        else:
            out[column] = None
    parks = read("parks")
    if len(parks) and "district_code" in parks:
        by_park = parks.drop_duplicates("park_id").set_index("park_id")["district_code"]
        out["district_code"] = out["district_code"].fillna(out["park_id"].map(by_park))
    out = out.drop_duplicates("plot_id")
    con.execute("DELETE FROM geoapp_plot_scope")
    rows = [tuple(None if pd.isna(v) else str(v) for v in r)
            for r in out[["plot_id", "park_id", "district_code"]].itertuples(index=False)]
    con.cursor().executemany("INSERT INTO geoapp_plot_scope VALUES (%s, %s, %s)", rows)


@dataclass(frozen=True)
class User:
    """A workspace user: login name, role and scope (``park:K1``, ``district:310113``)."""

    name: str
    role: str
    scope: str | None = None


def parse_role(role: str, scope: str | None = None) -> tuple[str, str | None, str | None]:
    """``park:K1`` → ``("reader", "park", "K1")``; ``editor`` + ``park:K1`` → editor of K1.

    Raises
    ------
    WorkspaceError
        Naming the accepted forms, for an unknown role or a missing or malformed scope.
    """
    if ":" in role:
        role, scope = "reader", role
    if role not in GROUPS:
        raise WorkspaceError(f"unknown role {role!r}: use public, district:<code>, park:<id>, "
                             "editor --scope park:<id>|district:<code>, or admin")
    if role in ("reader", "editor"):
        kind, _, ident = (scope or "").partition(":")
        if kind not in ("park", "district") or not ident:
            raise WorkspaceError(f"role {role} needs a scope: park:<id> or district:<code> "
                                 f"(got {scope!r})")
        return role, kind, ident
    if scope:
        raise WorkspaceError(f"role {role} takes no scope (got {scope!r})")
    return role, None, None


def _scope_known(con: psycopg.Connection, kind: str, ident: str) -> bool:
    """Whether a park id or district code names a park or district of the workspace."""
    table, key, column = (("parks", "park_id", "park_id") if kind == "park"
                          else ("districts", "code", "district_code"))
    found = con.execute(f"SELECT count(*) FROM geoapp_plot_scope WHERE {column} = %s",
                        (ident,)).fetchone()[0]
    if not found and con.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]:
        found = con.execute(sql.SQL("SELECT count(*) FROM {} WHERE {} = %s").format(
            sql.Identifier(table), sql.Identifier(key)), (ident,)).fetchone()[0]
    return bool(found)


def add_user(con: psycopg.Connection, name: str, password: str, role: str,
             scope: str | None = None) -> User:
    """Create (or update) a login role and record its geoapp role and scope; see module doc."""
    if not _NAME.match(name):
        raise WorkspaceError(f"user name {name!r}: use lower-case letters, digits and _ "
                             "(starting with a letter, at most 63)")
    if not password:
        raise WorkspaceError(f"user {name}: a password is required")
    group, kind, ident = parse_role(role, scope)
    if kind is not None and not _scope_known(con, kind, ident):
        table = "parks" if kind == "park" else "districts"
        raise WorkspaceError(f"user {name}: {kind} {ident!r} is not in the workspace's "
                             f"{table} layer")
    exists = con.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    con.execute(sql.SQL(verb + " ROLE {} LOGIN PASSWORD {}").format(
        sql.Identifier(name), sql.Literal(password)))
    for g in GROUPS.values():
        con.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(g), sql.Identifier(name)))
    con.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(GROUPS[group]),
                                                 sql.Identifier(name)))
    if group == "admin":
        con.execute(sql.SQL("ALTER ROLE {} CREATEROLE").format(sql.Identifier(name)))
    con.execute(f"INSERT INTO {USERS_TABLE} VALUES (%s, %s, %s, %s) ON CONFLICT (username) DO "
                "UPDATE SET role = excluded.role, scope_type = excluded.scope_type, "
                "scope_id = excluded.scope_id", (name, group, kind, ident))
    return User(name, group, f"{kind}:{ident}" if kind else None)


def list_users(con: psycopg.Connection) -> list[User]:
    """The workspace's users (all of them for an admin; oneself otherwise)."""
    rows = con.execute(f"SELECT username, role, scope_type, scope_id FROM {USERS_TABLE} "
                       "ORDER BY username").fetchall()
    return [User(n, r, f"{k}:{i}" if k else None) for n, r, k, i in rows]


def remove_user(con: psycopg.Connection, name: str) -> None:
    """Remove a user from the workspace and drop their login role."""
    gone = con.execute(f"DELETE FROM {USERS_TABLE} WHERE username = %s", (name,)).rowcount
    if not gone:
        raise WorkspaceError(f"no user {name!r} in this workspace ('geoapp users list')")
    con.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def current_role(con: psycopg.Connection) -> User:
    """The connected user's geoapp role (a superuser or table owner counts as ``admin``)."""
    name = con.execute("SELECT current_user").fetchone()[0]
    row = con.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").fetchone()
    if row and row[0]:
        return User(name, "admin")
    got = con.execute(f"SELECT role, scope_type, scope_id FROM {USERS_TABLE} "
                      "WHERE username = current_user").fetchone()
    if got is None:
        return User(name, "public")
    return User(name, got[0], f"{got[1]}:{got[2]}" if got[1] else None)
