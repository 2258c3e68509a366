"""Logging in to a PostGIS workspace in a real browser: a park reader's map shows that park's
enterprise figures only; a wrong password shows an error and no data.

The app runs on the operator's URL without a password (each visitor logs in); the
workspace is the small governed one of :func:`tests.postgis_server.governed_layers`: park K1
holds P1-P3 (firms on P1, P2), park K2 holds P4 (a firm on P4).
"""

from __future__ import annotations

import os
import re

import pytest

from geoapp.cli import main
from geoapp.store import open_workspace
from tests.postgis_server import governed_layers
from tests.test_app_browser import ARTIFACTS, MAP_FRAME, OfflinePage, run_app

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def login_app(pg_server, tmp_path_factory):
    url = pg_server.new_database()
    open_workspace(url).write_layers(governed_layers())
    os.environ["GEOAPP_NEW_PASSWORD"] = "k1-secret"
    try:
        assert main(["users", url, "add", "reader_k1", "--role", "park:K1"]) == 0
    finally:
        del os.environ["GEOAPP_NEW_PASSWORD"]
    operator_url = re.sub(r"//[^@]*@", "//", url)  # no credentials: visitors log in
    log = tmp_path_factory.mktemp("logs") / "streamlit_login.log"
    with run_app(operator_url, log) as app:
        yield app


class LoginPage(OfflinePage):
    """An offline page that logs in before the map is drawn."""

    def __init__(self, browser, url: str, user: str, password: str):
        self.context = browser.new_context(viewport={"width": 1500, "height": 1100},
                                           locale="zh-CN")
        self.blocked: list[str] = []
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.goto(url)
        self.page.get_by_label("用户名").fill(user)
        self.page.get_by_label("密码").fill(password)
        self.page.get_by_role("button", name="登录").click()


def plot_tips(page: OfflinePage) -> dict[str, str]:
    """The figure each plot's tooltip shows for the map's metric (tax per mu)."""
    tips = page.frame.evaluate("""() => {
        const out = [];
        window.map.eachLayer(l => {
            const p = l.feature && l.feature.properties;
            if (p && p.k === 'plot') out.push([p.id, String(p.t)]);
        });
        return out;
    }""")
    return {pid: tip.rsplit(" ", 1)[-1] for pid, tip in tips if "亩均税收" in tip}


def test_a_park_reader_sees_only_that_parks_figures(browser, login_app):
    page = LoginPage(browser, login_app, "reader_k1", "k1-secret")
    try:
        page.page.wait_for_selector(MAP_FRAME, timeout=120_000)
        page.frame = page._frame()
        page.wait_features(lambda c: c.get("park", 0) == 2, timeout=120_000)
        assert page.page.get_by_text("reader_k1 · reader park:K1").count() == 1
        page.set_view(31.3545, 121.4255, 17)
        page.wait_features(lambda c: c.get("plot", 0) >= 3)
        # tax per mu: P1 30 万元 / 15 mu, P2 60 / 15; P3 has no firm; P4 is K2's (not shown)
        assert plot_tips(page) == {"P1": "2.00", "P2": "4.00", "P3": "—"}
        assert page.blocked == []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.page.screenshot(path=str(ARTIFACTS / "login_park_reader.png"))
    finally:
        page.close()


def test_a_wrong_password_shows_an_error_and_no_data(browser, login_app):
    page = LoginPage(browser, login_app, "reader_k1", "wrong")
    try:
        page.page.get_by_text("用户名或密码错误").wait_for(timeout=60_000)
        page.page.wait_for_timeout(1500)  # give a (wrong) map every chance to appear
        assert page.page.locator(MAP_FRAME).count() == 0
        assert page.page.locator("[data-testid='stTabs']").count() == 0
        body = page.page.inner_text("body")
        assert "P1" not in body and "K1" not in body and "亩均" not in body
    finally:
        page.close()
