"""A throwaway PostgreSQL 15 + PostGIS 3 cluster for the tests (``initdb`` + ``pg_ctl``).

The cluster lives in a temporary directory, listens on 127.0.0.1 at a free port (password
authentication, so a wrong password is refused as on a real server) and on a Unix socket in
that directory (trust, for the superuser's setup). PostgreSQL refuses to run as root, so when
the tests run as root (CI) the server runs as the ``postgres`` user that Debian's package
creates (or ``nobody``). Install the packages with ``scripts/ensure_postgis.sh``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

PG_BIN = Path(os.environ.get("GEOAPP_PG_BIN", "/usr/lib/postgresql/15/bin"))
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
SUPERUSER = "geoapp_super"
SUPERPASS = "super-secret"
TEMPLATE = "geoapp_template"


def missing() -> str | None:
    """Why no server can be started here (``None`` when it can)."""
    if not (PG_BIN / "initdb").exists():
        return f"PostgreSQL 15 not installed ({PG_BIN}); run scripts/ensure_postgis.sh"
    if not POSTGIS_CONTROL.exists():
        return "PostGIS 3 not installed; run scripts/ensure_postgis.sh"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run_as() -> tuple[list[str], int | None, int | None]:
    """The command prefix, uid and gid to run the server with (root cannot run it)."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"], user.pw_uid, user.pw_gid
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL")


class Server:
    """One running cluster; :meth:`stop` stops it and removes its directory.

    ``durable=True`` keeps PostgreSQL's default fsync and synchronous commit (benchmarks).
    """

    def __init__(self, *, durable: bool = False) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="geoapp-pg-"))
        self.data = self.dir / "data"
        self.port = _free_port()
        self.prefix, uid, gid = _run_as()
        if uid is not None:
            os.chown(self.dir, uid, gid)
        pwfile = self.dir / "pw"
        pwfile.write_text(SUPERPASS + "\n")
        if uid is not None:
            os.chown(pwfile, uid, gid)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                  "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        opts = (f"-c listen_addresses=127.0.0.1 -c port={self.port} "
                f"-c unix_socket_directories={self.dir} -c max_connections=60 "
                "-c shared_buffers=64MB")
        if not durable:  # a throwaway cluster need not survive a power cut
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-o", opts,
                  "-w", "-t", "60", "start")
        self.admin_sql(f"CREATE DATABASE {TEMPLATE}")
        self.admin_sql("CREATE EXTENSION postgis", db=TEMPLATE)

    def _run(self, tool: str, *args: str) -> None:
        cmd = [*self.prefix, str(PG_BIN / tool), *args]
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=self.dir)
        if done.returncode != 0:
            log = self.dir / "log"
            raise RuntimeError(f"{tool} failed: {done.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")

    def url(self, db: str, *, user: str = SUPERUSER, password: str = SUPERPASS) -> str:
        """A ``postgresql://`` URL to a database of this server over TCP."""
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{db}"

    def admin_sql(self, sql: str, *, db: str = "postgres") -> None:
        """Run SQL as the superuser (autocommit: CREATE DATABASE needs it)."""
        import psycopg

        with psycopg.connect(host=str(self.dir), port=self.port, user=SUPERUSER, dbname=db,
                             autocommit=True) as con:
            con.execute(sql)

    def new_database(self) -> str:
        """A fresh database with PostGIS (copied from the template); its superuser URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        self.admin_sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
        return self.url(name)

    def stop(self) -> None:
        """Stop the server at once and remove its files."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def user_url(url: str, name: str, password: str) -> str:
    """The same database as ``url``, connected as another user."""
    _, rest = url.split("://", 1)
    host = rest.rsplit("@", 1)[1]
    return f"postgresql://{name}:{password}@{host}"


def governed_layers() -> dict:
    """Two parks, four plots, three firms: K1 holds P1-P3 (firms E1, E2), K2 holds P4 (E3).

    Built in metres in WORK_CRS near Baoshan, stored in WGS84 (see tests/conftest.py).
    """
    import geopandas as gpd
    from shapely.geometry import box

    from layers.crs import STORE_CRS, WORK_CRS
    from tests.conftest import BASE_E, BASE_N, enterprises_frame, squares

    plots = squares([100] * 4, land_use=["M1"] * 4, status=["in_use"] * 4)
    parks = gpd.GeoDataFrame(
        {"park_id": ["K1", "K2"], "name": ["一园(合成)", "二园(合成)"],
         "district_code": ["310113", "310114"], "level": ["district", "district"],
         "lead_industries": ["biomed", "ic"]},
        geometry=[box(BASE_E - 10, BASE_N - 10, BASE_E + 410, BASE_N + 110),
                  box(BASE_E + 440, BASE_N - 10, BASE_E + 560, BASE_N + 110)],
        crs=WORK_CRS).to_crs(STORE_CRS)
    firms = enterprises_frame([
        {"ent_id": "E1", "plot_id": "P1", "output_wan": 1000.0, "tax_wan": 30.0},
        {"ent_id": "E2", "plot_id": "P2", "output_wan": 2000.0, "tax_wan": 60.0},
        {"ent_id": "E3", "plot_id": "P4", "output_wan": 3000.0, "tax_wan": 90.0},
    ])
    return {"plots": plots, "parks": parks, "enterprises": firms}
