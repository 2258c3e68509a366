"""The app reads like a planner's tool, in a real browser with every external request blocked.

A filter zooms the map to its plots and summarises them; a clicked ranking row selects its
park on the map; search lists parks by name; an unreachable base map says so and keeps the
view. One app process for the module, on the small demo (``tests/test_app_browser.py``'s).
Screenshots of the rankings tab, a plot card and a park card go to ``tests/artifacts/``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from geoapp.app import filtering, selection, tables
from tests.test_app_browser import (  # noqa: F401  (fixtures)
    ARTIFACTS,
    MAP_FRAME,
    OfflinePage,
    card_facts,
    demo_data,
    demo_workspace,
    run_app,
)

pytestmark = pytest.mark.browser

MAP_HEIGHT = 620
MAP_WIDTH = 760  # streamlit_app's


@pytest.fixture(scope="module")
def planner_url(demo_workspace, tmp_path_factory):  # noqa: F811
    log = tmp_path_factory.mktemp("planner_logs") / "streamlit.log"
    with run_app(demo_workspace, log) as url:
        yield url


@pytest.fixture
def page(browser, planner_url):
    p = OfflinePage(browser, planner_url)
    yield p
    p.close()


def _wait_view(page, ok, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    view = page.view()
    while time.monotonic() < deadline:
        view = page.view()
        if ok(view):
            return view
        page.page.wait_for_timeout(300)
    raise AssertionError(f"the map never reached the expected view; last {view}")


def _summary(page) -> dict[str, str]:
    box = page.page.locator(".st-key-selection_summary")
    box.wait_for(timeout=30_000)
    return card_facts(box.inner_text())


def _tall_screenshot(page, name: str, height: int = 1900) -> None:
    """The map with the card beside it: a window tall enough for both."""
    page.page.set_viewport_size({"width": 1500, "height": height})
    page.page.wait_for_timeout(1500)
    page.page.screenshot(path=str(ARTIFACTS / name))
    page.page.set_viewport_size({"width": 1500, "height": 1100})


def test_a_filter_zooms_the_map_and_shows_the_selection_summary(page, demo_data):  # noqa: F811
    jinshan = "310116"
    mask = filtering.filter_mask(demo_data.plots, filtering.Filters(districts=(jinshan,)))
    center, zoom = selection.selection_view(demo_data, mask, width_px=MAP_WIDTH,
                                            height_px=MAP_HEIGHT)
    page.page.get_by_text("筛选", exact=True).click()
    box = page.page.locator(".st-key-filter_districts input")
    box.wait_for(timeout=30_000)
    box.click()
    box.fill("金山")
    page.page.get_by_role("option", name=f"金山区 ({jinshan})").click()
    page.page.keyboard.press("Escape")
    view = _wait_view(page, lambda v: v[0] == zoom)
    assert abs(view[1] - center[0]) < 1e-3 and abs(view[2] - center[1]) < 1e-3
    page.page.get_by_text(f"当前选择: {int(mask.sum()):,} 地块").wait_for(timeout=30_000)
    facts = _summary(page)
    expected = dict(selection.selection_facts(demo_data, mask, "zh"))
    assert facts["地块数(块)"] == expected["地块数(块)"] == f"{int(mask.sum()):,}"
    assert facts["用地面积(亩)"] == expected["用地面积(亩)"]
    assert facts["亩均税收(万元/亩)"] == expected["亩均税收(万元/亩)"]
    assert facts["已盘活面积(亩)"] == expected["已盘活面积(亩)"]
    assert page.blocked == []


def test_clicking_a_ranking_row_selects_the_park_on_the_map(page, demo_data):  # noqa: F811
    view_table = tables.ranking_view(demo_data, "park", "zh")
    row = 1  # the second park in the league table
    park_id = str(view_table.iloc[row, 0])
    park_name = str(view_table.iloc[row, 1])
    mask = selection.selected_mask(demo_data, ("park", park_id))
    center, zoom = selection.selection_view(demo_data, mask, width_px=MAP_WIDTH,
                                            height_px=MAP_HEIGHT)
    page.page.get_by_role("tab", name="排名").click()
    grid = page.page.locator(".st-key-ranking_park [data-testid='stDataFrame']")
    grid.wait_for(timeout=30_000)
    page.page.wait_for_timeout(800)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "planner_rankings_tab.png"))
    b = grid.bounding_box()
    # glide data grid: 35 px header and rows; the row marker (selection) column is leftmost
    page.page.mouse.click(b["x"] + 18, b["y"] + 35 + 35 * row + 17)
    page.wait_idle()
    page.page.get_by_role("tab", name="地图").click()
    page.page.get_by_text(f"园区 {park_name}").wait_for(timeout=30_000)
    view = _wait_view(page, lambda v: v[0] == zoom)
    assert abs(view[1] - center[0]) < 1e-3 and abs(view[2] - center[1]) < 1e-3
    facts = _summary(page)
    assert facts["地块数(块)"] == f"{int(mask.sum()):,}"
    page.page.wait_for_timeout(1000)
    page.page.screenshot(path=str(ARTIFACTS / "planner_park_selected.png"))
    _tall_screenshot(page, "planner_park_card.png")


def test_search_lists_a_park_by_name_and_a_plot_card(page, demo_data):  # noqa: F811
    parks = demo_data.layer("parks")
    park = parks.iloc[len(parks) // 2]
    box = page.page.get_by_placeholder("P000123 / 企业名称 / 9131...")
    box.fill(str(park["name"]))
    box.press("Enter")
    option = page.page.get_by_text(f"园区 {park['name']} ({park['park_id']})", exact=True)
    option.wait_for(timeout=30_000)
    card = page.page.locator(".st-key-card")
    card.get_by_text(f"园区 {park['name']}", exact=True).wait_for(timeout=30_000)
    # not found: the old card goes
    box.fill("没有这个名字")
    box.press("Enter")
    page.page.get_by_text("未找到: 没有这个名字").wait_for(timeout=30_000)
    page.page.get_by_text("点击地块或园区查看详情").wait_for(timeout=30_000)
    page.page.locator(".st-key-card").wait_for(state="detached", timeout=30_000)
    # a plot: its card
    p = demo_data.plots
    ok = p[(p["n_enterprises"] > 0) & p["tax_per_mu"].notna()]
    pid = str(ok.sort_values("area_mu", ascending=False).iloc[0]["plot_id"])
    box.fill(pid)
    box.press("Enter")
    card.get_by_text(f"地块 {pid}", exact=True).wait_for(timeout=30_000)
    page.wait_features(lambda c: c.get("plot", 0) > 0)
    page.page.wait_for_timeout(1000)
    page.page.screenshot(path=str(ARTIFACTS / "planner_plot_selected.png"))
    _tall_screenshot(page, "planner_plot_card.png")


def test_an_unreachable_basemap_says_so_and_keeps_the_view(page, demo_data):  # noqa: F811
    row = demo_data.plots.iloc[len(demo_data.plots) // 2]
    page.set_view(row["lat"], row["lon"], 15)
    page.wait_features(lambda c: c.get("plot", 0) > 0)
    page.wait_idle()
    before = page.view()
    page.page.locator(".st-key-basemap").click()
    page.page.get_by_role("option", name="OpenStreetMap").click()
    deadline = time.monotonic() + 60
    note = None
    while time.monotonic() < deadline:
        page.frame = page._frame()
        try:
            note = page.frame.locator(".geoapp-tile-note")
            if note.count() == 1:
                break
        except Exception:  # the frame is being replaced
            pass
        page.page.wait_for_timeout(300)
    assert note is not None and note.count() == 1
    assert "底图无法加载" in note.inner_text()
    assert any("openstreetmap.org" in u for u in page.blocked)
    view = page.view()
    assert view[0] == before[0]
    assert np.allclose(view[1:], before[1:], atol=1e-3)
    page.page.wait_for_timeout(1500)  # more tiles fail: still one note
    assert page.frame.locator(".geoapp-tile-note").count() == 1
    page.page.screenshot(path=str(ARTIFACTS / "planner_basemap_unreachable.png"))
