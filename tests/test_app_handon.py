"""The hand-on features without a browser: sheet scope, production-clean page, comparison."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from geoapp.app import printing
from geoapp.app.filtering import Filters

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "streamlit_app.py")


def test_the_sheet_scope_is_the_single_most_specific_choice():
    assert printing.sheet_scope(Filters()) is None
    assert printing.sheet_scope(Filters(districts=("310113",))) == "district:310113"
    assert printing.sheet_scope(Filters(districts=("310113",), towns=("310113101",))) \
        == "town:310113101"
    assert printing.sheet_scope(Filters(towns=("a", "b"), parks=("BS-P01",))) == "park:BS-P01"
    assert printing.sheet_scope(Filters(districts=("a", "b"))) is None
    assert printing.sheet_file_name("park:BS-P01", 2023, "tax_per_mu", "A4") \
        == "sheet_2023_tax_per_mu_park-BS-P01_A4.pdf"


def test_sheet_pdf_of_a_park(demo_workspace):
    from geoapp.app import loading

    data = loading.load_app_data(str(demo_workspace), loading.workspace_mtime(demo_workspace))
    park = str(data.layer("parks")["park_id"].iloc[0])
    pdf = printing.sheet_pdf(data, filters=Filters(parks=(park,)), metric="tax_per_mu",
                             size="A4")
    assert pdf[:5] == b"%PDF-"


def test_the_config_hides_the_deploy_button_and_tracebacks():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["toolbarMode"] == "viewer"
    assert config["client"]["showErrorDetails"] is False


@pytest.fixture
def app(demo_workspace, monkeypatch) -> AppTest:
    monkeypatch.setenv("GEOAPP_WORKSPACE", str(demo_workspace))
    at = AppTest.from_file(APP, default_timeout=180)
    return at


def test_an_error_in_one_tab_is_a_message_and_the_others_draw(app, monkeypatch):
    from geoapp.app import stage_results

    def boom(*_a, **_k):
        raise ValueError("projects table is broken")

    monkeypatch.setattr(stage_results, "projects_by_stage", boom)
    app.run()
    assert not app.exception
    assert any("projects table is broken" in e.value for e in app.error)
    assert "园区排名" in [s.value for s in app.subheader]


def test_comparison_in_the_app(app):
    app.run()
    assert not app.exception
    app.sidebar.selectbox(key="compare_year").set_value(2022).run()
    assert not app.exception
    legend = [m.value for m in app.markdown if "geoapp-change-legend" in m.value]
    assert legend and "2023 较 2022" in legend[0]
    app.sidebar.radio(key="change_kind").set_value(True).run()
    app.sidebar.radio(key="change_centre").set_value(True).run()
    assert not app.exception
    legend = [m.value for m in app.markdown if "geoapp-change-legend" in m.value]
    assert "+10%" in legend[0]  # centred on the target, one year: +10 %


def test_a_park_card_shows_its_trend(app, demo_workspace):
    from geoapp.workspace import Workspace

    park = str(Workspace(demo_workspace).read("parks")["park_id"].iloc[0])
    app.session_state["selected"] = ("park", park)
    app.run()
    assert not app.exception
    assert "历年亩均指标" in [c.value for c in app.caption]
    charts = app.get("vega_lite_chart")
    assert len(charts) >= 1
