"""The GeoPackage workspace: round trips, one transaction per write, survival of a killed import."""

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from geoapp.boundaries import load_districts
from geoapp.store import is_url, open_workspace
from geoapp.workspace import Workspace
from layers.crs import WORK_CRS
from layers.errors import LayerError, WorkspaceError
from layers.units import M2_PER_MU
from tests.conftest import squares
from tests.killing import POLL_S, child, hot_journal, journal, kill_when


def plots(n=3, size=100.0):
    return squares([size] * n, land_use=["M1"] * n, status=["in_use"] * n)


def test_round_trip_keeps_geometry_attributes_and_area_in_mu(ws_target):
    ws = open_workspace(ws_target)
    p = plots(2).assign(supply_year=[2019, None], register_area_m2=[10_000.0, None])
    ws.write_layers({"plots": p, "districts": load_districts()},
                    provenance=[{"layer": "plots", "source": "test", "rows": 2}])
    back = ws.read("plots")
    assert back.crs.to_epsg() == 4326
    assert back["plot_id"].tolist() == ["P1", "P2"]
    assert back["supply_year"].tolist()[0] == 2019 and pd.isna(back["supply_year"].iloc[1])
    areas_mu = back.to_crs(WORK_CRS).area / M2_PER_MU
    assert areas_mu.tolist() == pytest.approx([15.0, 15.0], rel=1e-9)
    assert_geodataframe_equal(back[["plot_id", "geometry"]], p[["plot_id", "geometry"]],
                              check_less_precise=True)
    assert sorted(ws.layers()) == ["districts", "ledger", "plots"]
    assert ws.counts() == {"districts": 2, "ledger": 0, "plots": 2}
    prov = ws.provenance()
    assert prov["layer"].tolist() == ["plots"] and prov["rows"].tolist() == [2]
    if is_url(ws_target):
        return
    # plain GDAL sees a valid GeoPackage with the same layers
    names = {n for n, _ in pyogrio.list_layers(ws.path)}
    assert {"plots", "districts", "ledger", "geoapp_metadata", "geoapp_provenance"} <= names
    assert pyogrio.read_info(ws.path, layer="plots")["features"] == 2


def test_replacing_a_layer_is_whole_and_leaves_others(ws_target):
    ws = open_workspace(ws_target)
    ws.write_layers({"plots": plots(3), "districts": load_districts()})
    ws.write_layers({"plots": plots(1)})
    assert len(ws.read("plots")) == 1
    assert len(ws.read("districts")) == 2


def test_a_failing_write_changes_nothing(ws_target, tmp_path):
    ws = open_workspace(ws_target)
    ws.write_layers({"plots": plots(3)})
    versions = ws.layer_versions()
    before = None if is_url(ws_target) else ws.path.read_bytes()
    no_crs = gpd.GeoDataFrame({"plot_id": ["X"]}, geometry=list(plots(1).geometry))
    with pytest.raises(WorkspaceError, match="no CRS"):
        ws.write_layers({"districts": load_districts(), "plots": no_crs})
    assert ws.layer_versions() == versions and sorted(ws.layers()) == ["ledger", "plots"]
    assert ws.read("plots")["plot_id"].tolist() == ["P1", "P2", "P3"]
    if is_url(ws_target):
        return
    assert ws.path.read_bytes() == before
    assert not list(tmp_path.glob(".w.gpkg.*"))  # no scratch file left behind


def test_append_rows_runs_the_check_inside_the_transaction(ws_target):
    ws = open_workspace(ws_target)
    ws.write_layers({"plots": plots(1)})
    ev = pd.DataFrame({"plot_id": ["P1"], "date": ["2023-03-01"], "stage": ["identified"]})
    seen = []

    def check(existing, new):
        seen.append(len(existing))
        if len(existing) >= 1:
            raise LayerError("ledger", ["only one event allowed in this test"])

    assert ws.append_rows("ledger", ev, check=check) == 1
    with pytest.raises(LayerError):
        ws.append_rows("ledger", ev, check=check)
    assert seen == [0, 1]
    assert len(ws.read("ledger")) == 1


def test_not_a_workspace_is_refused(tmp_path):
    f = tmp_path / "x.gpkg"
    f.write_text("hello")
    with pytest.raises(WorkspaceError, match=r"not a GeoPackage|not a geoapp workspace"):
        Workspace(f).check()


KILLER = r"""
import sys, geopandas as gpd
from shapely.geometry import box
from geoapp.store import is_url, open_workspace
from geoapp.workspace import Workspace
n, times = int(sys.argv[2]), int(sys.argv[3])
geoms = [box(121.3 + (i % 1000) * 1e-4, 31.3 + (i // 1000) * 1e-4,
             121.3 + (i % 1000) * 1e-4 + 5e-5, 31.3 + (i // 1000) * 1e-4 + 5e-5) for i in range(n)]
big = gpd.GeoDataFrame({"plot_id": [f"K{i}" for i in range(n)], "land_use": "M1",
                        "status": "in_use"}, geometry=geoms, crs=4326)
for i in range(times):
    Workspace(sys.argv[1]).write_layers({"plots": big})
    print("wrote", i, flush=True)
"""

BIG = 60_000


def assert_old_or_new(ws: Workspace) -> int:
    """The workspace reads, passes SQLite's integrity check and holds one whole plots layer."""
    n = len(ws.read("plots"))  # the product's own read first: it must roll back a hot journal
    con = sqlite3.connect(ws.path)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()
    assert n in (3, BIG)  # the old layer or the new one, never a part
    assert len(ws.read("districts")) == 2  # the layer nobody wrote is untouched
    return n


@pytest.mark.slow
def test_a_writer_killed_while_staging_leaves_the_previous_state(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.write_layers({"plots": plots(3), "districts": load_districts()})

    def staging() -> list[Path]:
        return list(tmp_path.glob(".w.gpkg.*.stage.gpkg"))

    assert kill_when(child(KILLER, str(ws.path), str(BIG), "1"), lambda: bool(staging()))
    assert staging()  # killed with a half-written scratch layer on disk
    assert assert_old_or_new(ws) == 3
    ws.write_layers({"plots": plots(2)})  # the next writer works and removes the orphan
    assert not list(tmp_path.glob(".w.gpkg.*"))
    assert len(ws.read("plots")) == 2


@pytest.mark.slow
def test_a_writer_killed_inside_the_swap_transaction_is_rolled_back(tmp_path):
    for attempt, poll_s in enumerate(POLL_S):  # a fresh workspace each try
        ws = Workspace(tmp_path / f"w{attempt}.gpkg")
        ws.write_layers({"plots": plots(3), "districts": load_districts()})
        size0 = ws.path.stat().st_size

        def changing_the_file(path=ws.path, size0=size0) -> bool:
            # a hot journal and new pages already in the database file: only a rollback
            # can give the old state back now
            return hot_journal(path) and path.stat().st_size > size0

        killed = kill_when(child(KILLER, str(ws.path), str(BIG), "1"), changing_the_file,
                           poll_s=poll_s)
        if killed and changing_the_file():  # still so once the child is gone: cut short
            break
    else:
        pytest.fail(f"the SIGKILL never landed inside the transaction in {len(POLL_S)} tries")
    assert assert_old_or_new(ws) == 3  # the first read rolled the half-swap back
    assert not journal(ws.path).exists()


@pytest.mark.slow
def test_a_write_that_landed_survives_a_kill_during_the_next(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.write_layers({"plots": plots(3), "districts": load_districts()})
    proc = child(KILLER, str(ws.path), str(BIG), "1000")
    assert proc.stdout.readline().split()[0] == b"wrote"  # the first write committed
    assert kill_when(proc, lambda: hot_journal(ws.path))  # kill in the second one's swap
    assert assert_old_or_new(ws) == BIG


def test_settings_versions_and_results_are_kept(ws_target):
    ws = open_workspace(ws_target)
    ws.write_layers({"plots": plots(2)}, metadata={"note": {"a": 1}})
    assert ws.metadata()["note"] == {"a": 1}
    ws.write_settings({"evaluation": {"weights": [0.5, 0.5]}, "hotspots": {"k": 6}})
    assert ws.settings_overrides() == {"evaluation": {"weights": [0.5, 0.5]},
                                       "hotspots": {"k": 6}}
    v1 = ws.layer_versions()
    ws.append_rows("ledger", pd.DataFrame({"plot_id": ["P1"], "date": ["2023-03-01"],
                                           "stage": ["identified"]}))
    v2 = ws.layer_versions()
    assert v2["plots"] == v1["plots"] and v2["ledger"] != v1["ledger"]
    items = [("plots", "parquet", b"\x00\x01abc"), ("tables/a", "csv", b"x,y\n1,2\n")]
    ws.write_results("evaluation", 2023, fingerprint="f1", summary={"n": 2}, items=items)
    assert ws.run_record("evaluation", 2023) == ("f1", {"n": 2})
    assert ws.result_items("evaluation", 2023) == items
    assert ws.result_items("evaluation", 2023, name="tables") == items[1:]
    assert ws.run_record("evaluation", 2022) is None
    ws.clear_results()
    assert ws.run_record("evaluation", 2023) is None and ws.result_items("evaluation", 2023) == []
