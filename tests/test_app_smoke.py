"""One AppTest run per page of the app (no browser): every tab renders without an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "streamlit_app.py")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Path:
    from geoapp.pipeline import build_demo_workspace

    path = tmp_path_factory.mktemp("smoke") / "demo.gpkg"
    build_demo_workspace(path, seed=3, n_plots=400)
    return path


@pytest.fixture
def app(workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("GEOAPP_WORKSPACE", str(workspace))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    return at


def test_every_tab_renders_with_analysis_results(app):
    assert app.title[0].value == "产业用地一张图"
    assert [t.label for t in app.tabs] == ["地图", "排名", "盘活进度", "重点项目", "数据质量",
                                          "盘活方案"]
    assert any("合成演示数据" in c.value for c in app.caption)
    subheaders = [s.value for s in app.subheader]
    assert "园区排名" in subheaders and "街镇排名" in subheaders
    assert "目标完成曲线" in subheaders and "停滞地块" in subheaders
    assert any(m.value.startswith("达到增长目标") for m in app.caption)
    frames = [d.value for d in app.dataframe]
    ranking = next(f for f in frames if "园区名称" in f.columns)  # names beside the ids
    assert list(ranking.columns[:3]) == ["园区编号", "园区名称", "排名"]


def test_english_labels_and_filters(app):
    app.sidebar.radio(key="lang_choice").set_value("English").run()
    assert not app.exception
    assert app.title[0].value == "Industrial land map"
    assert [t.label for t in app.tabs][:2] == ["Map", "Rankings"]
    app.multiselect(key="filter_grades").set_value(["D"]).run()
    assert not app.exception
    selected = [c.value for c in app.caption if c.value.startswith("Selection:")]
    assert selected and selected[0] != "Selection: 0 plots"


def test_layers_can_all_be_switched_on(app):
    for key in ("zones", "ledger", "projects", "density", "hotspots"):
        app.sidebar.checkbox(key=f"layer_{key}").check()
    app.sidebar.selectbox(key="basemap").set_value("amap")
    app.run()
    assert not app.exception
    # one industry filtered: its own density surface
    industry = app.multiselect(key="filter_industries").options[0]
    app.multiselect(key="filter_industries").set_value([industry]).run()
    assert not app.exception
    assert any("GCJ-02" in i.value for i in app.info)


def test_search_selects_a_plot(app, workspace):
    from geoapp.workspace import Workspace

    pid = str(Workspace(workspace).read("plots")["plot_id"].iloc[5])
    app.text_input(key="search").set_value(pid).run()
    assert not app.exception
    assert app.session_state["selected"] == ("plot", pid)
    assert any(m.value == f"**地块 {pid}**" for m in app.markdown)


def count_stage_runs(monkeypatch) -> dict[str, int]:
    """Count each stage's runs from now on (the pipeline looks ``run`` up at call time)."""
    import importlib

    from geoapp.pipeline import STAGES

    runs = dict.fromkeys(STAGES, 0)
    for name in STAGES:
        module = importlib.import_module(f"geoapp.stages.{name}")

        def counted(*args, _run=module.run, _name=name, **kwargs):
            runs[_name] += 1
            return _run(*args, **kwargs)

        monkeypatch.setattr(module, "run", counted)
    return runs


def test_first_load_reads_and_analyses_the_workspace_once(tmp_path, monkeypatch):
    """The year is resolved before the load, so the legend and every other cache built on
    the data share its key: each stage runs once on first load, and not again on a rerun."""

    from geoapp.pipeline import STAGES, build_demo_workspace

    path = tmp_path / "once.gpkg"  # a workspace no other test has loaded (cold caches)
    build_demo_workspace(path, seed=4, n_plots=200)
    runs = count_stage_runs(monkeypatch)
    monkeypatch.setenv("GEOAPP_WORKSPACE", str(path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert runs == dict.fromkeys(STAGES, 1)
    at.sidebar.checkbox(key="layer_density").check()
    at.sidebar.selectbox(key="metric").set_value("output_per_mu")
    at.run()
    assert not at.exception, at.exception
    assert runs == dict.fromkeys(STAGES, 1)
    # another year is another load: once more, not twice
    years = at.sidebar.selectbox(key="year_choice").options
    assert len(years) >= 2
    at.sidebar.selectbox(key="year_choice").set_value(years[0]).run()
    assert not at.exception, at.exception
    assert runs == dict.fromkeys(STAGES, 2)


def test_the_app_shows_the_grades_the_settings_and_the_export_give(demo_workspace, tmp_path,
                                                                   monkeypatch):
    """One truth: `config set evaluation.preset huaian`, then analyze, export and the app all
    show the same huaian grades, and the app computes nothing when the results are fresh."""
    import shutil

    import pandas as pd

    from geoapp.app import loading
    from geoapp.cli import main
    from geoapp.pipeline import STAGES

    ws = tmp_path / "ws.gpkg"
    shutil.copy(demo_workspace, ws)
    assert main(["config", str(ws), "set", "evaluation.preset", "huaian"]) == 0
    assert main(["analyze", str(ws), "--out", str(tmp_path / "out")]) == 0
    exported = tmp_path / "ents.csv"
    assert main(["export", str(ws), "--layer", "enterprises_evaluated", "--out",
                 str(exported)]) == 0
    runs = count_stage_runs(monkeypatch)
    data = loading.load_app_data(str(ws), loading.workspace_mtime(ws))
    assert runs == dict.fromkeys(STAGES, 0)  # read back, not recomputed
    app = data.results["evaluation"].enterprises.set_index("ent_id")["grade"]
    cli = pd.read_csv(exported, dtype={"ent_id": str}).set_index("ent_id")["grade"]
    folder = pd.read_parquet(tmp_path / "out" / "enterprises.parquet").set_index("ent_id")["grade"]
    assert data.results["evaluation"].summary["preset"] == "huaian"
    assert app.to_dict() == cli.to_dict() == folder.to_dict()
    monkeypatch.setenv("GEOAPP_WORKSPACE", str(ws))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    assert not at.exception, at.exception
    assert runs == dict.fromkeys(STAGES, 0)
