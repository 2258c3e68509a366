"""The GeoPackage workspace: round trips, one transaction per write, survival of a killed import."""

import os
import signal
import sqlite3
import subprocess
import sys
import time

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from geoapp.boundaries import load_districts
from geoapp.workspace import Workspace
from layers.crs import WORK_CRS
from layers.errors import LayerError, WorkspaceError
from layers.units import M2_PER_MU
from tests.conftest import squares


def plots(n=3, size=100.0):
    return squares([size] * n, land_use=["M1"] * n, status=["in_use"] * n)


def test_round_trip_keeps_geometry_attributes_and_area_in_mu(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
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
    # plain GDAL sees a valid GeoPackage with the same layers
    names = {n for n, _ in pyogrio.list_layers(ws.path)}
    assert {"plots", "districts", "ledger", "geoapp_metadata", "geoapp_provenance"} <= names
    assert pyogrio.read_info(ws.path, layer="plots")["features"] == 2


def test_replacing_a_layer_is_whole_and_leaves_others(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.write_layers({"plots": plots(3), "districts": load_districts()})
    ws.write_layers({"plots": plots(1)})
    assert len(ws.read("plots")) == 1
    assert len(ws.read("districts")) == 2


def test_a_failing_write_changes_nothing(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.write_layers({"plots": plots(3)})
    before = ws.path.read_bytes()
    no_crs = gpd.GeoDataFrame({"plot_id": ["X"]}, geometry=list(plots(1).geometry))
    with pytest.raises(WorkspaceError, match="no CRS"):
        ws.write_layers({"districts": load_districts(), "plots": no_crs})
    assert ws.path.read_bytes() == before
    assert not list(tmp_path.glob(".w.gpkg.*"))  # no scratch file left behind


def test_append_rows_runs_the_check_inside_the_transaction(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
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
from geoapp.workspace import Workspace
n = int(sys.argv[2])
geoms = [box(121.3 + (i % 1000) * 1e-4, 31.3 + (i // 1000) * 1e-4,
             121.3 + (i % 1000) * 1e-4 + 5e-5, 31.3 + (i // 1000) * 1e-4 + 5e-5) for i in range(n)]
big = gpd.GeoDataFrame({"plot_id": [f"K{i}" for i in range(n)], "land_use": "M1",
                        "status": "in_use"}, geometry=geoms, crs=4326)
print("ready", flush=True)
for _ in range(1000):
    Workspace(sys.argv[1]).write_layers({"plots": big})
"""


@pytest.mark.slow
def test_killed_import_leaves_the_previous_state_readable_and_whole(tmp_path):
    ws = Workspace(tmp_path / "w.gpkg")
    ws.write_layers({"plots": plots(3), "districts": load_districts()})
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    outcomes, mid_write = set(), 0
    for delay in (0.3, 0.6, 0.9, 1.2, 1.5, 1.8):
        proc = subprocess.Popen([sys.executable, "-c", KILLER, str(ws.path), "60000"],
                                stdout=subprocess.PIPE, env=env)
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        # evidence the kill landed mid-write: a scratch layer being staged, or a hot journal
        leftovers = list(tmp_path.glob(".w.gpkg.*")) + list(tmp_path.glob("w.gpkg-journal"))
        mid_write += bool(leftovers)
        con = sqlite3.connect(ws.path)
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        n = len(ws.read("plots"))
        assert n in (3, 60000)  # the old layer or the new one, never a part
        assert len(ws.read("districts")) == 2
        outcomes.add(n)
    assert mid_write >= 3  # most kills hit a writer in the middle of a write
    assert 60000 in outcomes  # and writes between the kills did land whole
    Workspace(ws.path).write_layers({"plots": plots(2)})  # the next writer cleans up
    assert not list(tmp_path.glob(".w.gpkg.*"))
