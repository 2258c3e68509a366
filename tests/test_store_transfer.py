"""push and pull: a workspace moves whole between GeoPackage and PostGIS, results included;
the CLI takes a postgresql:// URL wherever it takes a workspace."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from geoapp.cli import main
from geoapp.store import open_workspace
from geoapp.workspace import Workspace
from tests.conftest import squares

pytestmark = pytest.mark.slow


@pytest.fixture
def gpkg(demo_workspace, tmp_path):
    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_workspace, path)
    return path


def test_push_then_pull_moves_everything_and_keeps_stored_results(gpkg, pg_url, tmp_path,
                                                                 capsys):
    assert main(["config", str(gpkg), "set", "hotspots.k", "7"]) == 0
    assert main(["analyze", str(gpkg), "--out", str(tmp_path / "a"), "--geojson", "--csv"]) == 0
    assert main(["push", str(gpkg), pg_url]) == 0
    capsys.readouterr()
    # same layers, settings, results: the analysis from PostGIS computes nothing again
    assert main(["analyze", pg_url, "--out", str(tmp_path / "b"), "--geojson", "--csv"]) == 0
    assert "computed: nothing;" in capsys.readouterr().out
    for name in ("plots.geojson", "park_ranking.csv", "low_efficiency.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    back = tmp_path / "back.gpkg"
    assert main(["pull", pg_url, str(back)]) == 0
    src, dst = Workspace(gpkg), Workspace(back)
    assert src.settings_overrides() == dst.settings_overrides() == {"hotspots": {"k": 7}}
    assert src.counts() == dst.counts()
    for name in ("plots", "enterprises", "parks"):
        assert_geodataframe_equal(dst.read(name), src.read(name), check_less_precise=True,
                                  check_dtype=False)
    ledger = dst.read("ledger")
    assert ledger["recorded_by"].eq("geoapp_super").all()  # the audit columns travel too
    assert src.result_items("evaluation", 2023) == dst.result_items("evaluation", 2023)


def test_push_refuses_to_overwrite_unless_asked_and_pull_never_overwrites(gpkg, pg_url,
                                                                         tmp_path, capsys):
    assert main(["push", str(gpkg), pg_url]) == 0
    small = tmp_path / "small.gpkg"
    Workspace(small).write_layers({"plots": squares([100], land_use=["M1"], status=["idle"])})
    capsys.readouterr()
    assert main(["push", str(small), pg_url]) == 2
    err = capsys.readouterr().err
    assert "already holds a workspace; add --replace" in err and "super-secret" not in err
    assert open_workspace(pg_url).counts()["plots"] == Workspace(gpkg).counts()["plots"]
    assert main(["push", str(small), pg_url, "--replace"]) == 0
    assert open_workspace(pg_url).counts() == {"ledger": 0, "plots": 1}
    assert main(["pull", pg_url, str(gpkg)]) == 2
    assert "exists; pull writes a new file" in capsys.readouterr().err


def test_import_and_ledger_commands_take_a_url(pg_url, tmp_path):
    plots = squares([100, 100], land_use=["M1", "M2"], status=["in_use", "idle"])
    plots.to_file(tmp_path / "plots.geojson")
    assert main(["import", pg_url, str(tmp_path / "plots.geojson"), "--layer", "plots"]) == 0
    assert main(["ledger", pg_url, "record", "--plot", "P2", "--stage", "identified",
                 "--date", "2023-01-05"]) == 0
    pd.DataFrame({"地块编号": ["P2"], "日期": ["2023-02-01"], "当前状态": ["在谈"]}).to_csv(
        tmp_path / "ev.csv", index=False)
    assert main(["ledger", pg_url, "import", str(tmp_path / "ev.csv")]) == 0
    ws = open_workspace(pg_url)
    assert ws.read("plots")["land_use"].tolist() == ["M1", "M2"]
    assert ws.read("ledger")["stage"].tolist() == ["identified", "in_progress"]
    assert ws.provenance()["layer"].tolist() == ["plots"]
    # bad input: every problem named, nothing stored
    bad = plots.assign(status=["in_use", "vacant"])
    bad.to_file(tmp_path / "bad.geojson")
    assert main(["import", pg_url, str(tmp_path / "bad.geojson"), "--layer", "plots"]) == 1
    assert ws.read("plots")["status"].tolist() == ["in_use", "idle"]


def test_scenarios_are_saved_in_a_postgis_workspace(pg_url):
    from geoapp import scenarios
    from tests.postgis_server import governed_layers

    open_workspace(pg_url).write_layers(governed_layers())
    scenarios.new_scenario(pg_url, "二期")
    actions = pd.DataFrame({"plot_id": ["P1", "P4"], "mode": ["vacate", "lease"],
                            "year": [2025, 2026], "project_id": [None, None]})
    scenarios.save_scenario(pg_url, "二期", actions)
    assert scenarios.scenario_names(pg_url) == ["二期"]
    back = scenarios.read_scenario(pg_url, "二期")
    assert back[["plot_id", "mode", "year"]].values.tolist() == [["P1", "vacate", 2025],
                                                                 ["P4", "lease", 2026]]
    scenarios.delete_scenario(pg_url, "二期")
    assert scenarios.scenario_names(pg_url) == []


def test_a_url_stays_a_url_and_its_password_stays_out_of_messages():
    from pathlib import Path

    from geoapp.store import display_name, is_url, workspace_arg

    url = "postgresql://chief:s3cret@db.intranet:5432/geoapp"
    assert workspace_arg(url) == url and is_url(workspace_arg(url))
    assert workspace_arg("ws/demo.gpkg") == Path("ws/demo.gpkg")
    assert display_name(url) == "postgresql://chief@db.intranet:5432/geoapp"
    assert display_name(Path("demo.gpkg")) == "demo.gpkg"
    assert isinstance(open_workspace("demo.gpkg"), Workspace)  # the default is unchanged
