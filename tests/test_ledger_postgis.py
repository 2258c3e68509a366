"""The ledger on PostGIS, for many writers: nothing lost, forward only under races, authors
stamped by the database, append-only for every role, a killed writer leaves nothing."""

from __future__ import annotations

import os
import signal
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from geoapp.cli import main
from geoapp.ledger import record_event
from geoapp.store import open_workspace
from tests.killing import child
from tests.postgis_server import governed_layers, user_url

pytestmark = pytest.mark.slow

TODAY = date(2024, 3, 1)

RECORD_LOOP = """
import sys, time
from datetime import date
from pathlib import Path
from geoapp.ledger import record_event
url, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
Path(f"{go}.ready.{who}").touch()
while not go.exists():
    time.sleep(0.005)
for i in range(n):
    record_event(url, plot_id=f"P{i % 3 + 1}", stage="identified", date="2023-01-01",
                 note=f"{who} {i}", today=date(2024, 3, 1))
"""

RACE = """
import sys, time
from datetime import date
from pathlib import Path
from geoapp.cli import main
url, who, go = sys.argv[1], sys.argv[2], Path(sys.argv[3])
Path(f"{go}.ready.{who}").touch()
while not go.exists():
    time.sleep(0.001)
sys.exit(main(["ledger", url, "record", "--plot", "P1", "--stage", "reclaimed",
               "--date", "2023-06-01", "--mode", "vacate", "--from", "identified",
               "--note", who]))
"""


def add_user(url, name, role, scope=None, monkeypatch=None):
    os.environ["GEOAPP_NEW_PASSWORD"] = f"pw-{name}"
    try:
        args = ["users", url, "add", name, "--role", role]
        assert main([*args, *(["--scope", scope] if scope else [])]) == 0
    finally:
        del os.environ["GEOAPP_NEW_PASSWORD"]
    return user_url(url, name, f"pw-{name}")


@pytest.fixture
def gov(pg_url):
    """A governed PostGIS workspace; editors alice and bob of park K1."""
    open_workspace(pg_url).write_layers(governed_layers())
    return {"admin": pg_url, "alice": add_user(pg_url, "alice", "editor", "park:K1"),
            "bob": add_user(pg_url, "bob", "editor", "park:K1"),
            "chief": add_user(pg_url, "chief", "admin")}


def start_together(procs_args, tmp_path, code):
    go = tmp_path / "go"
    procs = [child(code, *args, str(go)) for args in procs_args]
    end = time.monotonic() + 60
    ready = [Path(f"{go}.ready.{a[1]}") for a in procs_args]
    while not all(p.exists() for p in ready):
        assert time.monotonic() < end and all(p.poll() in (None, 0) for p in procs), \
            [p.communicate()[1].decode() for p in procs if p.poll() is not None]
        time.sleep(0.01)
    go.touch()
    return procs


def test_eight_writers_store_every_event_with_its_author(gov, tmp_path):
    n = 200
    writers = [(gov["alice" if i % 2 == 0 else "bob"], f"w{i}", str(n)) for i in range(8)]
    for p in start_together(writers, tmp_path, RECORD_LOOP):
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err.decode()
    ledger = open_workspace(gov["admin"]).read("ledger")
    assert len(ledger) == 8 * n
    for i in range(8):
        mine = ledger[ledger["note"].str.startswith(f"w{i} ")]
        assert mine["note"].tolist() == [f"w{i} {k}" for k in range(n)]  # each in its order
        assert set(mine["recorded_by"]) == {"alice" if i % 2 == 0 else "bob"}
    assert ledger["recorded_by"].value_counts().to_dict() == {"alice": 4 * n, "bob": 4 * n}
    assert ledger["recorded_at"].str.match(r"^20\d\d-\d\d-\d\dT").all()
    assert ledger["recorded_at"].is_monotonic_increasing  # server time, in commit order


def test_two_writers_racing_a_plot_leave_one_reclaimed(gov, tmp_path):
    record_event(gov["admin"], plot_id="P1", stage="identified", date="2023-01-01",
                 today=TODAY)
    procs = start_together([(gov["alice"], "alice"), (gov["bob"], "bob")], tmp_path, RACE)
    outcomes = {}
    for who, p in zip(("alice", "bob"), procs, strict=True):
        _, err = p.communicate(timeout=120)
        outcomes[who] = (p.returncode, err.decode())
    codes = sorted(code for code, _ in outcomes.values())
    assert codes == [0, 1], outcomes
    loser = next(err for code, err in outcomes.values() if code == 1)
    assert "P1" in loser and "at stage 'reclaimed' now, not 'identified'" in loser
    ledger = open_workspace(gov["admin"]).read("ledger")
    assert ledger["stage"].tolist() == ["identified", "reclaimed"]
    winner = next(w for w, (code, _) in outcomes.items() if code == 0)
    assert ledger["recorded_by"].tolist()[1] == winner and ledger["note"].iloc[1] == winner


def test_the_database_refuses_a_step_back_from_any_client(gov):
    record_event(gov["alice"], plot_id="P2", stage="reclaimed", date="2023-05-01",
                 mode="acquire", today=TODAY)
    with psycopg.connect(gov["bob"]) as con, pytest.raises(psycopg.errors.RaiseException,
                                                          match="forward only"):
        con.execute("INSERT INTO ledger (plot_id, date, stage) VALUES ('P2', '2023-06-01', "
                    "'identified')")
    with psycopg.connect(gov["bob"]) as con:  # a correction is a new event, allowed
        con.execute("INSERT INTO ledger (plot_id, date, stage, note, recorded_by, recorded_at)"
                    " VALUES ('P2', '2023-06-01', 'identified', '更正: 误报', 'mallory', "
                    "'2000-01-01')")
    ledger = open_workspace(gov["admin"]).read("ledger")
    assert ledger["stage"].tolist() == ["reclaimed", "identified"]
    # the author and time are the database's, whatever the client wrote
    assert ledger["recorded_by"].tolist() == ["alice", "bob"]
    assert not ledger["recorded_at"].str.startswith("2000").any()


def test_an_editor_records_only_in_their_park(gov):
    with psycopg.connect(gov["alice"]) as con, pytest.raises(
            psycopg.errors.InsufficientPrivilege, match="row-level security"):
        con.execute("INSERT INTO ledger (plot_id, date, stage) VALUES ('P4', '2023-06-01', "
                    "'identified')")
    # through geoapp, P4 is not among the plots an editor of K1 reads: refused before writing
    assert main(["ledger", gov["alice"], "record", "--plot", "P4", "--stage", "identified",
                 "--date", "2023-06-01"]) == 1
    assert len(open_workspace(gov["admin"]).read("ledger")) == 0


@pytest.mark.parametrize("who", ["alice", "chief", "admin"])  # editor, admin, superuser
@pytest.mark.parametrize("sql", ["UPDATE ledger SET stage = 'reused'", "DELETE FROM ledger",
                                 "TRUNCATE ledger"])
def test_update_and_delete_are_refused_by_the_database(gov, who, sql):
    record_event(gov["alice"], plot_id="P1", stage="identified", date="2023-01-01",
                 today=TODAY)
    before = open_workspace(gov["admin"]).read("ledger")
    with psycopg.connect(gov[who]) as con, pytest.raises(
            (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException),
            match=r"permission denied|append-only"):
        con.execute(sql)
    after = open_workspace(gov["admin"]).read("ledger")
    assert after.equals(before) and after["stage"].tolist() == ["identified"]


KILLED_IMPORT = """
import sys
from datetime import date
from geoapp.ledger import import_events
import_events(sys.argv[1], sys.argv[2], today=date(2024, 3, 1))
"""


def test_a_writer_killed_mid_transaction_leaves_the_previous_state(gov, tmp_path):
    import pandas as pd

    n = 20_000
    sheet = tmp_path / "big.csv"
    pd.DataFrame({"地块编号": [f"P{i % 3 + 1}" for i in range(n)], "日期": ["2023-02-01"] * n,
                  "当前状态": ["在谈"] * n, "备注": [f"bulk {i}" for i in range(n)]}
                 ).to_csv(sheet, index=False)
    record_event(gov["alice"], plot_id="P1", stage="identified", date="2023-01-01",
                 note="before", today=TODAY)
    proc = child(KILLED_IMPORT, gov["bob"], str(sheet))
    watch = psycopg.connect(gov["admin"], autocommit=True)
    try:
        end = time.monotonic() + 120
        while True:  # the import's INSERT is running inside its transaction
            busy = watch.execute("SELECT count(*) FROM pg_stat_activity WHERE usename = 'bob' "
                                 "AND state = 'active' AND query LIKE 'INSERT INTO%%ledger%%'"
                                 ).fetchone()[0]
            if busy or proc.poll() is not None or time.monotonic() > end:
                break
            time.sleep(0.002)
        assert proc.poll() is None and busy, proc.communicate()[1].decode()
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    finally:
        watch.close()
    ledger = open_workspace(gov["admin"]).read("ledger")
    assert ledger["note"].tolist() == ["before"]
    # the next writer waits for the dead one's lock to go, then writes as usual
    record_event(gov["alice"], plot_id="P2", stage="identified", date="2023-03-01",
                 note="after", today=TODAY)
    assert open_workspace(gov["admin"]).read("ledger")["note"].tolist() == ["before", "after"]
