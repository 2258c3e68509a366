"""What planners hand on, in a real browser with the internet blocked (Chromium, Playwright).

One app process on the small demo workspace of ``tests/conftest.py``: print a sheet and read
the PDF, draw a rectangle and read its summary, switch to the two-year comparison and see the
change legend, and no "Deploy" button anywhere. Helpers come from ``test_app_browser``.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_app_browser import (
    ARTIFACTS,
    OfflinePage,
    _require_environment,
    card_facts,
    run_app,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def handon_data(demo_workspace):
    _require_environment()
    from geoapp.app import loading

    return loading.load_app_data(str(demo_workspace), loading.workspace_mtime(demo_workspace))


@pytest.fixture(scope="module")
def handon_url(demo_workspace, handon_data, tmp_path_factory):
    log = tmp_path_factory.mktemp("handon_logs") / "streamlit.log"
    with run_app(demo_workspace, log) as url:
        yield url


@pytest.fixture
def page(browser, handon_url):
    p = OfflinePage(browser, handon_url)
    yield p
    p.close()


def test_print_sheet_downloads_a_pdf_with_the_title(page, handon_data, tmp_path):
    page.wait_idle()
    assert page.page.title().startswith("产业用地一张图")
    icon = page.page.locator("link[rel='shortcut icon'], link[rel='icon']").first
    assert "favicon" not in (icon.get_attribute("href") or "favicon")  # geoapp's, not Streamlit's
    button = page.page.get_by_role("button", name="打印图纸")
    button.scroll_into_view_if_needed()
    with page.page.expect_download(timeout=120_000) as dl:
        button.click()
    pdf = tmp_path / "sheet.pdf"
    Path(dl.value.path()).replace(pdf)
    assert dl.value.suggested_filename.endswith("_A3.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert f"亩均税收 {handon_data.year}" in text
    assert page.blocked == []


def _drag(page, frame_box, x0, y0, x1, y1) -> None:
    mouse = page.page.mouse
    mouse.move(frame_box["x"] + x0, frame_box["y"] + y0)
    mouse.down()
    for i in range(1, 11):
        mouse.move(frame_box["x"] + x0 + (x1 - x0) * i / 10,
                   frame_box["y"] + y0 + (y1 - y0) * i / 10)
    mouse.up()


def test_draw_a_rectangle_and_read_its_summary(page, handon_data):
    from geoapp.app import areas

    scripts = page.frame.evaluate("() => Array.from(document.scripts).map(s => s.src)")
    assert any("/app/static/vendor/" in s and s.endswith("leaflet.draw.js") for s in scripts)
    page.frame.locator(".leaflet-draw-draw-rectangle").click()
    frame_box = page.page.locator("iframe[title='streamlit_folium.st_folium']").bounding_box()
    w, h = frame_box["width"], frame_box["height"]
    _drag(page, frame_box, w * 0.3, h * 0.3, w * 0.7, h * 0.7)
    summary = page.page.locator(".st-key-area_summary")
    summary.get_by_text("地块数(块)", exact=True).wait_for(timeout=60_000)
    page.wait_idle()
    drawn = page.frame.evaluate("() => window.drawnItems.toGeoJSON().features")
    shape = areas.last_area(drawn)
    expected = areas.data_summary(handon_data, areas.plots_within(handon_data.plots, shape))
    assert expected.n_plots > 0
    facts = card_facts(summary.inner_text())
    assert facts["地块数(块)"] == f"{expected.n_plots:,}"
    assert facts["用地面积(亩)"] == f"{expected.land_mu:,.0f}"
    # the measurement: the rectangle's area in m² and mu
    m = areas.measure(shape)
    assert f"{m.area_mu:,.2f} 亩" in summary.inner_text()
    assert page.blocked == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "area_summary.png"))


def test_two_year_comparison_shows_the_change_legend(page, handon_data):
    base = max(y for y in handon_data.years if y != handon_data.year)
    page.wait_idle()
    select = page.page.locator(".st-key-compare_year input")
    select.scroll_into_view_if_needed()
    select.click()
    page.page.get_by_role("option", name=str(base)).click()
    legend = page.page.locator(".geoapp-change-legend")
    legend.wait_for(timeout=120_000)
    assert "变化图例" in legend.inner_text()
    assert f"{handon_data.year} 较 {base}" in legend.inner_text()
    page.wait_features(lambda c: c.get("park", 0) > 0)
    page.page.get_by_text("等级变化的地块").wait_for(timeout=30_000)
    assert page.blocked == []
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.page.screenshot(path=str(ARTIFACTS / "change_map.png"))


def test_no_deploy_button(page):
    page.wait_idle()
    assert page.page.locator("[data-testid='stAppDeployButton']").count() == 0
    assert page.page.get_by_role("button", name="Deploy").count() == 0
    assert page.page.get_by_text("Deploy", exact=True).count() == 0
