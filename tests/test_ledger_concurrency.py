"""Two processes recording at once lose nothing; a killed process leaves no partial event.

Each child is one Python process (``sys.executable -c``) recording many events in a loop, so
the test measures the workspace, not interpreter start-up.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from geoapp.ledger import import_events, record_event
from geoapp.workspace import Workspace
from tests.conftest import squares
from tests.killing import POLL_S, child, kill_while_writing

pytestmark = pytest.mark.slow

TODAY = "2024-03-01"

RECORD_LOOP = """
import sys, time
from datetime import date
from pathlib import Path
from geoapp.ledger import record_event
ws, who, n, go = sys.argv[1], sys.argv[2], int(sys.argv[3]), Path(sys.argv[4])
Path(f"{go}.ready.{who}").touch()
while not go.exists():
    time.sleep(0.005)
for i in range(n):
    record_event(ws, plot_id=f"P{i % 3 + 1}", stage="identified", date="2023-01-01",
                 note=f"{who} {i}", today=date(2024, 3, 1))
    if i == 49:
        Path(f"{go}.fifty.{who}").touch()
"""


def make_ws(path: Path) -> Path:
    plots = squares([100, 100, 100], land_use=["M1"] * 3, status=["in_use"] * 3)
    Workspace(path).write_layers({"plots": plots})
    return path


@pytest.fixture
def ws(tmp_path):
    return make_ws(tmp_path / "ws.gpkg")


def wait_for(paths, proc_list, limit_s=60):
    end = time.monotonic() + limit_s
    while not all(p.exists() for p in paths):
        if any(p.poll() not in (None, 0) for p in proc_list) or time.monotonic() > end:
            msgs = [p.communicate()[1].decode() for p in proc_list if p.poll() is not None]
            pytest.fail(f"child did not start: {msgs}")
        time.sleep(0.01)


def assert_whole(path: Path) -> pd.DataFrame:
    """The file opens with GDAL, passes SQLite's integrity check, and its ledger reads.

    ``Workspace.check()`` comes first, as in every geoapp command: its read-write connection
    rolls back a hot journal left by a killed writer (GDAL's read-only open cannot).
    """
    Workspace(path).check()
    names = [n for n, _ in pyogrio.list_layers(path)]
    assert "ledger" in names and "plots" in names
    ledger = pyogrio.read_dataframe(path, layer="ledger")
    assert len(pyogrio.read_dataframe(path, layer="plots")) == 3
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        con.close()
    return ledger


def test_two_processes_recording_at_once_lose_nothing(ws, tmp_path):
    n = 200
    go = tmp_path / "go"
    procs = [child(RECORD_LOOP, str(ws), who, str(n), str(go)) for who in ("a", "b")]
    wait_for([Path(f"{go}.ready.a"), Path(f"{go}.ready.b")], procs)
    go.touch()  # both start recording together
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err.decode()
    ledger = assert_whole(ws)
    assert len(ledger) == 2 * n
    notes = ledger["note"].tolist()
    for who in ("a", "b"):
        mine = [x for x in notes if x.startswith(f"{who} ")]
        assert mine == [f"{who} {i}" for i in range(n)]  # every event, in its own order
    assert set(ledger["stage"]) == {"identified"} and set(ledger["date"]) == {"2023-01-01"}


def test_killed_import_leaves_all_or_nothing(tmp_path):
    n = 5000
    sheet = tmp_path / "big.csv"
    pd.DataFrame({
        "地块编号": [f"P{i % 3 + 1}" for i in range(n)],
        "日期": ["2023-02-01"] * n,
        "当前状态": ["在谈"] * n,
        "处置方式": ["整体租赁"] * n,
        "备注": [f"bulk {i}" for i in range(n)],
    }).to_csv(sheet, index=False)
    for attempt, poll_s in enumerate(POLL_S):  # a fresh workspace each try
        ws = make_ws(tmp_path / f"ws{attempt}.gpkg")
        record_event(ws, plot_id="P1", stage="identified", date="2023-01-01", note="before",
                     today=pd.Timestamp(TODAY).date())
        code = ("from datetime import date\nfrom geoapp.ledger import import_events\n"
                f"import_events({str(ws)!r}, {str(sheet)!r}, today=date(2024, 3, 1))")
        if kill_while_writing(child(code), ws, poll_s=poll_s):
            break
    else:
        pytest.fail(f"the SIGKILL never landed during the write in {len(POLL_S)} tries")
    ledger = assert_whole(ws)
    # Killed mid-write: the journal rolls the whole import back, nothing of it shows.
    assert ledger["note"].tolist() == ["before"]
    # the workspace keeps working: the import can simply be run again
    added = import_events(ws, sheet, today=pd.Timestamp(TODAY).date())
    assert added == n
    ledger = assert_whole(ws)
    assert len(ledger) == n + 1
    bulk = ledger[ledger["note"].str.startswith("bulk")]
    assert bulk["stage"].eq("in_progress").all() and bulk["mode"].eq("lease").all()


def test_killed_recording_loop_leaves_whole_events(tmp_path):
    go = tmp_path / "go"
    go.touch()
    for attempt, poll_s in enumerate(POLL_S):  # a fresh workspace each try
        ws = make_ws(tmp_path / f"ws{attempt}.gpkg")
        proc = child(RECORD_LOOP, str(ws), f"k{attempt}", "2000", str(go))
        if kill_while_writing(proc, ws, started=Path(f"{go}.fifty.k{attempt}"), poll_s=poll_s):
            break
    else:
        pytest.fail(f"the SIGKILL never landed during a write in {len(POLL_S)} tries")
    ledger = assert_whole(ws)
    n = len(ledger)
    assert n >= 50
    # a prefix of the loop, each event complete; the event being written is not there
    who = f"k{attempt}"
    assert ledger["note"].tolist() == [f"{who} {i}" for i in range(n)]
    assert ledger["plot_id"].tolist() == [f"P{i % 3 + 1}" for i in range(n)]
    assert ledger["stage"].eq("identified").all() and ledger["date"].eq("2023-01-01").all()
    record_event(ws, plot_id="P2", stage="in_progress", date="2023-02-01", note="after",
                 today=pd.Timestamp(TODAY).date())
    assert assert_whole(ws)["note"].iloc[-1] == "after"
