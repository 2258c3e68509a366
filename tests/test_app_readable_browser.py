"""The map's legend and the league tables, in a real browser with every external request blocked.

The legend lists one group per layer drawn and nothing else (the plots' group goes when the
plots are off; zoomed out, low-efficiency plots stay visible on the grid cells and the legend
says so; hot spots name their variable); the park league table in Chinese shows park names,
percentages and units; a long wait says which step runs and how far. One app process for the
module, on the small demo (``tests/test_app_browser.py``'s), and one on a copy of it without
stored results. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from geoapp.app import tables, viewing
from tests.test_app_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    LOCAL_HOSTS,
    MAP_FRAME,
    OfflinePage,
    demo_data,
    demo_workspace,
    run_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def readable_url(demo_workspace, tmp_path_factory):  # noqa: F811
    log = tmp_path_factory.mktemp("readable_logs") / "streamlit.log"
    with run_app(demo_workspace, log) as url:
        yield url


@pytest.fixture
def page(browser, readable_url):
    p = OfflinePage(browser, readable_url)
    yield p
    p.close()


def _groups(page) -> list[str]:
    """Layers of the legend's groups, top to bottom."""
    return page.page.locator(".geoapp-legend .geoapp-legend-group").evaluate_all(
        "els => els.map(e => [...e.classList].find(c => c.startsWith('geoapp-legend-') "
        "&& c !== 'geoapp-legend-group').slice('geoapp-legend-'.length))")


def _wait_groups(page, ok, timeout_ms: int = 30_000) -> list[str]:
    groups: list[str] = []
    for _ in range(timeout_ms // 300):
        groups = _groups(page)
        if ok(groups):
            return groups
        page.page.wait_for_timeout(300)
    raise AssertionError(f"the legend never showed the expected groups; last {groups}")


def _toggle(page, label: str) -> None:
    page.page.get_by_text(label, exact=True).first.click()
    page.wait_idle()


def test_the_legend_shows_what_is_drawn_one_group_per_layer(page, demo_data):  # noqa: F811
    # zoomed out: plots and low-efficiency plots as grid cells, said in the legend
    groups = _wait_groups(page, lambda g: "plot_grid" in g)
    assert groups == ["plot_grid", "low_efficiency_grid", "parks", "towns", "districts"]
    legend = page.page.locator(".geoapp-legend")
    assert "亩均税收(万元/亩)（网格汇总）" in legend.inner_text()
    assert "含低效地块的网格" in legend.inner_text()
    # plots off: their legend goes, low-efficiency stays on the grid (hatched squares)
    _toggle(page, "产业地块")
    groups = _wait_groups(page, lambda g: "plot_grid" not in g)
    assert groups == ["low_efficiency_grid", "parks", "towns", "districts"]
    assert "亩均税收" not in legend.inner_text()
    # one hatched square per grid cell holding low-efficiency plots, as geoapp computes them
    # for the view the map reports
    counts = page.wait_features(lambda c: c.get("cell", 0) > 0)
    w, s, e, n, zoom = page.frame.evaluate(
        "() => { const b = window.map.getBounds(); return [b.getWest(), b.getSouth(), "
        "b.getEast(), b.getNorth(), window.map.getZoom()]; }")
    low = demo_data.plots[demo_data.plots["low_efficiency"]]
    positions = np.flatnonzero(demo_data.plots["low_efficiency"].to_numpy(bool))
    in_view = positions[np.isin(positions, viewing.plots_in_view(
        demo_data, np.ones(len(demo_data.plots), bool), viewing.Viewport(w, s, e, n, zoom)))]
    expected = viewing.grid_aggregate(demo_data, in_view, zoom, "score")
    assert len(low) > 0 and counts["cell"] == len(expected) > 0
    # hot spots on: circles naming their variable
    _toggle(page, "冷热点")
    _wait_groups(page, lambda g: "hotspots" in g)
    hot = page.page.locator(".geoapp-legend-hotspots").inner_text()
    assert "（亩均税收）" in hot and ("热点" in hot or "冷点" in hot)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "legend_zoomed_out.png"))
    # zoomed in on a low-efficiency plot: the plots themselves, hatched, with a dashed outline
    row = demo_data.plots[demo_data.plots["low_efficiency"]].iloc[0]
    page.set_view(row["lat"], row["lon"], 16)
    page.wait_features(lambda c: c.get("plot", 0) > 0 and c.get("cell", 0) == 0)
    groups = _wait_groups(page, lambda g: "low_efficiency" in g)
    assert "low_efficiency_grid" not in groups and "plots" not in groups
    assert "斜线、虚线框" in page.page.locator(".geoapp-legend-low_efficiency").inner_text()
    assert page.blocked == []
    page.page.wait_for_timeout(800)
    page.page.screenshot(path=str(ARTIFACTS / "legend_zoomed_in.png"))


def test_the_rankings_table_in_chinese_shows_park_names_percent_and_units(page,
                                                                          demo_data):  # noqa: F811
    shown = tables.ranking_view(demo_data, "park", "zh")
    raw = demo_data.table("evaluation", "park_ranking").sort_values("rank", kind="stable")
    best = raw.iloc[0]
    page.page.get_by_role("tab", name="排名").click()
    grid = page.page.locator(".st-key-ranking_park")
    grid.locator("[data-testid='glide-cell-2-0']").wait_for(state="attached", timeout=30_000)
    heads = grid.locator("[role='columnheader']").all_inner_texts()
    # the headers the browser shows (the grid draws the columns in view)
    assert heads[:10] == list(shown.columns[:10])
    assert heads[:3] == ["园区编号", "园区名称", "排名"]
    assert "用地面积(亩)" in heads and "亩均税收(万元/亩)" in heads
    assert "亩均税收增长率(%)" in heads
    cells = {h: grid.locator(f"[data-testid='glide-cell-{i + 1}-0']").text_content()
             for i, h in enumerate(heads)}
    assert cells["园区名称"] == best["name"]  # a name, not an id
    assert cells["用地面积(亩)"] == f"{best['land_mu']:,.2f}"
    assert cells["亩均税收(万元/亩)"] == f"{best['tax_per_mu']:,.2f}"
    assert cells["亩均税收增长率(%)"] == f"{best['tax_per_mu_growth']:.1%}"
    assert cells["亩均税收增长率(%)"].endswith("%")


def test_a_long_wait_says_which_step_runs_and_how_far(browser, demo_workspace,  # noqa: F811
                                                      tmp_path):
    from urllib.parse import urlparse

    from geoapp.workspace import Workspace

    ws = tmp_path / "fresh.gpkg"
    shutil.copy(demo_workspace, ws)
    Workspace(ws).clear_results()  # nothing stored: opening it runs every stage
    blocked: list[str] = []

    def offline(route) -> None:
        if (urlparse(route.request.url).hostname or "") in LOCAL_HOSTS:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with run_app(ws, tmp_path / "streamlit.log") as url:
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="zh-CN")
        try:
            page = context.new_page()
            page.route("**/*", offline)
            page.goto(url)
            # layers (1/5), then the three stages, then the year's results (5/5)
            step = page.locator("[data-testid='stProgress']").get_by_text(
                re.compile(r"^正在计算：综合评价 \(2/5\)$"))
            step.wait_for(timeout=120_000)
            page.screenshot(path=str(ARTIFACTS / "wait_progress.png"))
            page.wait_for_selector(MAP_FRAME, timeout=180_000)
            page.locator("[data-testid='stProgress']").wait_for(state="detached",
                                                                timeout=60_000)
        finally:
            context.close()
    assert blocked == []
    from geoapp.app import loading

    latest = loading.workspace_years(ws)[-1]
    assert Workspace(ws).run_record("evaluation", latest) is not None  # computed and stored
