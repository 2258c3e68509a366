"""The Scenario tab (盘活方案) in a real browser, internet blocked (helpers from
tests/test_app_browser.py): add three plots, the burn-up changes; save, reload, same scenario.
"""

from __future__ import annotations

import pytest

from analysis.scenario import already_reclaimed
from geoapp import scenarios as sc
from tests.test_app_browser import (
    ARTIFACTS,
    DEMO_PLOTS,
    OfflinePage,
    _require_environment,
    run_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    _require_environment()
    from geoapp.pipeline import build_demo_workspace

    path = tmp_path_factory.mktemp("scenario_browser") / "demo.gpkg"
    build_demo_workspace(path, seed=7, n_plots=DEMO_PLOTS)
    return path


@pytest.fixture(scope="module")
def url(workspace, tmp_path_factory):
    log = tmp_path_factory.mktemp("logs") / "streamlit.log"
    with run_app(workspace, log) as u:
        yield u


def _open_tab(page: OfflinePage) -> None:
    page.page.get_by_role("tab", name="盘活方案").click()
    page.page.get_by_label("新方案名称").wait_for(timeout=60_000)


def _chart_sources(page: OfflinePage) -> list[str]:
    images = page.page.locator(".st-key-scenario_charts [data-testid='stImage'] img")
    images.first.wait_for(timeout=60_000)
    return [images.nth(i).get_attribute("src") for i in range(images.count())]


def test_add_three_plots_changes_the_burnup_then_save_and_reload(browser, url,
                                                                 workspace):
    inputs = sc.planner_inputs(workspace)
    done = set(already_reclaimed(inputs.states))
    plots = [p for p in sc.candidates_of(inputs, district="310113") if p not in done][:3]
    assert len(plots) == 3

    page = OfflinePage(browser, url)
    try:
        _open_tab(page)
        page.page.get_by_label("新方案名称").fill("试点方案")
        page.page.get_by_role("button", name="新建").click()
        page.page.get_by_text("0块地").wait_for(timeout=60_000)
        page.wait_idle()
        before = _chart_sources(page)
        assert before
        page.page.get_by_label("或输入地块编号(空格、逗号分隔)").fill(" ".join(plots))
        page.page.keyboard.press("Control+Enter")
        page.wait_idle()
        page.page.get_by_role("button", name="加入方案").click()
        page.page.get_by_text("3块地").wait_for(timeout=60_000)
        page.wait_idle()
        after = _chart_sources(page)
        assert len(after) == len(before)
        assert after != before  # the Baoshan lines moved
        page.page.get_by_role("button", name="保存方案").click()
        page.page.get_by_text("已保存: 试点方案").wait_for(timeout=60_000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "scenario_tab.png"), full_page=True)
    finally:
        page.close()
    assert sc.read_scenario(workspace, "试点方案")["plot_id"].tolist() == sorted(plots)

    again = OfflinePage(browser, url)  # a new session: the scenario comes from the workspace
    try:
        _open_tab(again)
        again.page.get_by_text("3块地").wait_for(timeout=60_000)
        again.wait_idle()
        text = again.page.locator(".stMarkdown", has_text="试点方案").first.inner_text()
        assert "有未保存的修改" not in text
        assert len(_chart_sources(again)) == len(after)
    finally:
        again.close()
