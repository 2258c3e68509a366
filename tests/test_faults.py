"""A full disk or a read-only workspace during import, ledger write and analyze.

Each gives one clear message (what, why, "nothing was changed") and leaves nothing partial:
the workspace file is byte-identical, no scratch file is left, the output folder is as it
was. ``ENOSPC`` is injected (the write step raises it, or SQLite's own page limit makes the
database "full"); read-only is real, with ``chattr +i`` (root ignores file modes), when this
file system supports it.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from geoapp import pipeline
from geoapp.boundaries import load_districts
from geoapp.cli import main
from geoapp.ledger import import_events, record_event
from geoapp.workspace import Workspace
from layers.errors import WorkspaceError
from tests.conftest import squares


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def can_chattr(tmp: Path) -> bool:
    probe = tmp / "probe"
    probe.write_text("x")
    try:
        ok = subprocess.run(["chattr", "+i", str(probe)], capture_output=True).returncode == 0
    except FileNotFoundError:
        return False
    if ok:
        subprocess.run(["chattr", "-i", str(probe)], check=True)
        try:
            probe.write_text("y")
        except PermissionError:  # pragma: no cover
            return False
    probe.unlink()
    return ok


@contextlib.contextmanager
def immutable(*paths: Path):
    """``chattr +i`` for the duration of a with-block (undone even when the test fails)."""
    subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


@pytest.fixture
def ws(tmp_path) -> Path:
    path = tmp_path / "ws" / "ws.gpkg"
    path.parent.mkdir()
    plots = squares([100, 100, 100], land_use=["M1"] * 3, status=["in_use"] * 3)
    Workspace(path).write_layers({"districts": load_districts(), "plots": plots})
    return path


@pytest.fixture
def plots_file(tmp_path) -> Path:
    f = tmp_path / "plots.geojson"
    squares([120, 80], land_use=["M1", "M2"], status=["idle", "in_use"]).to_file(f)
    return f


@pytest.fixture
def ledger_file(tmp_path) -> Path:
    f = tmp_path / "ledger.csv"
    pd.DataFrame({"地块编号": ["P1", "P2"], "日期": ["2024-03-01", "2024-03-02"],
                  "当前状态": ["已认定", "已认定"],
                  "备注": ["合成" * 4000, "合成" * 4000]}).to_csv(f, index=False)  # new pages
    return f


def enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")


def sqlite_full(monkeypatch):
    """Make every workspace connection unable to grow the file: SQLite's SQLITE_FULL."""
    real = Workspace._connect

    def connect(self):
        con = real(self)
        pages = con.execute("PRAGMA page_count").fetchone()[0]
        con.execute(f"PRAGMA max_page_count = {pages}")
        return con

    monkeypatch.setattr(Workspace, "_connect", connect)


def assert_clear(err: str, why: str):
    assert why in err, err
    assert "nothing was changed" in err, err
    assert "Traceback" not in err


# ---- import -------------------------------------------------------------------------------

def test_import_on_a_full_disk_while_staging(ws, plots_file, monkeypatch, capsys):
    before = sha(ws)
    monkeypatch.setattr("geoapp.workspace.pyogrio.write_dataframe", enospc)
    assert main(["import", str(ws), str(plots_file), "--layer", "plots"]) == 2
    assert_clear(capsys.readouterr().err, "the disk is full")
    assert sha(ws) == before
    assert leftovers(ws.parent) == []


def test_import_on_a_full_disk_while_swapping_in(ws, tmp_path, monkeypatch):
    plots_file = tmp_path / "many.geojson"  # larger than the layer it replaces
    squares([10] * 400, gap_m=5, land_use=["M1"] * 400,
            status=["in_use"] * 400).to_file(plots_file)
    before = sha(ws)
    sqlite_full(monkeypatch)
    with pytest.raises(WorkspaceError, match="the disk is full") as exc:
        pipeline.import_file(ws, plots_file, "plots")
    assert "SQLITE_FULL" in str(exc.value) or "database or disk is full" in str(exc.value)
    assert sha(ws) == before
    assert leftovers(ws.parent) == []
    monkeypatch.undo()
    assert len(Workspace(ws).read("plots")) == 3  # still the old layer, readable


def test_import_into_a_read_only_workspace(ws, plots_file, tmp_path, capsys):
    if not can_chattr(tmp_path):
        pytest.skip("chattr +i not supported here")
    before = sha(ws)
    with immutable(ws):
        assert main(["import", str(ws), str(plots_file), "--layer", "plots"]) == 2
    assert_clear(capsys.readouterr().err, "read-only")
    assert sha(ws) == before
    assert leftovers(ws.parent) == []


def test_import_into_a_read_only_folder(ws, plots_file, tmp_path, capsys):
    if not can_chattr(tmp_path):
        pytest.skip("chattr +i not supported here")
    before = sha(ws)
    with immutable(ws.parent):
        assert main(["import", str(ws), str(plots_file), "--layer", "plots"]) == 2
    assert_clear(capsys.readouterr().err, "read-only")
    assert sha(ws) == before


# ---- ledger -------------------------------------------------------------------------------

def test_ledger_import_on_a_full_disk(ws, ledger_file, monkeypatch, capsys):
    before = sha(ws)
    sqlite_full(monkeypatch)
    assert main(["ledger", str(ws), "import", str(ledger_file)]) == 2
    assert_clear(capsys.readouterr().err, "the disk is full")
    monkeypatch.undo()
    assert sha(ws) == before
    assert Workspace(ws).counts()["ledger"] == 0


def test_ledger_record_on_a_full_disk(ws, monkeypatch):
    before = sha(ws)
    sqlite_full(monkeypatch)
    with pytest.raises(WorkspaceError, match="the disk is full"):
        record_event(ws, plot_id="P1", stage="identified", date="2024-03-01",
                     note="合成" * 4000)
    monkeypatch.undo()
    assert sha(ws) == before


def test_ledger_write_fails_mid_insert(ws, ledger_file, monkeypatch):
    """The disk fills between the rule checks and the rows: the transaction is rolled back."""
    before = sha(ws)
    real = sqlite3.Connection
    real_connect = sqlite3.connect

    class Full(real):
        def executemany(self, sql, rows):
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr("geoapp.workspace.sqlite3.connect",
                        lambda *a, **k: real_connect(*a, factory=Full, **k))
    with pytest.raises(WorkspaceError, match="the disk is full"):
        import_events(ws, ledger_file)
    monkeypatch.undo()
    assert sha(ws) == before
    assert Workspace(ws).counts()["ledger"] == 0


def test_ledger_import_into_a_read_only_workspace(ws, ledger_file, tmp_path, capsys):
    if not can_chattr(tmp_path):
        pytest.skip("chattr +i not supported here")
    before = sha(ws)
    with immutable(ws):
        assert main(["ledger", str(ws), "import", str(ledger_file)]) == 2
    assert_clear(capsys.readouterr().err, "read-only")
    assert sha(ws) == before


# ---- analyze ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    pipeline.build_demo_workspace(path, n_plots=300)
    return path


def test_analyze_on_a_full_disk_writes_nothing(demo_ws, tmp_path, monkeypatch, capsys):
    out = tmp_path / "out"
    monkeypatch.setattr("geoapp.export.report.xlsx_report", enospc)  # after every other file
    assert main(["analyze", str(demo_ws), "--out", str(out)]) == 2
    assert_clear(capsys.readouterr().err, "the disk is full")
    assert not out.exists()
    assert leftovers(tmp_path) == []


def test_analyze_on_a_full_disk_keeps_the_previous_outputs(demo_ws, tmp_path, monkeypatch):
    out = tmp_path / "out"
    pipeline.analyze(demo_ws, out)
    before = tree(out)
    assert "summary.json" in before and "report.xlsx" in before
    real = Path.write_text

    def fill_up(self, *a, **k):  # summary.json (written after the tables) hits a full disk
        if self.name == "summary.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, *a, **k)

    monkeypatch.setattr(Path, "write_text", fill_up)
    with pytest.raises(WorkspaceError, match="the disk is full"):
        pipeline.analyze(demo_ws, out)
    monkeypatch.undo()
    assert tree(out) == before
    assert leftovers(tmp_path) == []


def test_analyze_into_a_read_only_folder(demo_ws, tmp_path, capsys):
    if not can_chattr(tmp_path):
        pytest.skip("chattr +i not supported here")
    parent = tmp_path / "ro"
    parent.mkdir()
    with immutable(parent):
        assert main(["analyze", str(demo_ws), "--out", str(parent / "out")]) == 2
    assert_clear(capsys.readouterr().err, "read-only")
    assert list(parent.iterdir()) == []


def test_analyze_output_paths_are_the_final_ones(demo_ws, tmp_path):
    out = tmp_path / "out2"
    result = pipeline.analyze(demo_ws, out)
    assert all(p.parent == out and p.exists() for p in result["files"])
    readme = (out / "README.txt").read_text(encoding="utf-8-sig")
    assert "folder: out2 " in readme
    assert leftovers(tmp_path) == []
    shutil.rmtree(out)


def test_analyze_of_a_read_only_workspace_writes_the_folder_and_says_nothing_was_stored(
        demo_ws, tmp_path):
    if not can_chattr(tmp_path):
        pytest.skip("chattr +i is not available here")
    ws = tmp_path / "ro.gpkg"
    shutil.copy(demo_ws, ws)
    Workspace(ws).clear_results()
    subprocess.run(["chattr", "+i", str(ws)], check=True)
    try:
        out = tmp_path / "out"
        assert main(["analyze", str(ws), "--out", str(out)]) == 0
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        assert summary["stages_run"] == ["evaluation", "reclamation", "clusters"]
        assert summary["notes"] and "results not stored" in summary["notes"][0]
        assert "read-only" in summary["notes"][0]
    finally:
        subprocess.run(["chattr", "-i", str(ws)], check=True)
