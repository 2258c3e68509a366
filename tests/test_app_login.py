"""The app's login to a PostGIS workspace (the logic behind the form; the form itself is in
tests/test_app_login_browser.py)."""

from __future__ import annotations

import os

from geoapp.app import login
from geoapp.app_launch import streamlit_command
from geoapp.cli import main
from geoapp.store import open_workspace
from tests.postgis_server import governed_layers

OPERATOR = "postgresql://db.intranet:5432/geoapp"


def test_a_url_without_password_asks_for_a_login():
    assert login.needs_login(OPERATOR)
    assert not login.needs_login("postgresql://web_public:pw@db.intranet/geoapp")
    assert not login.needs_login("demo.gpkg")
    assert login.with_credentials(OPERATOR, "reader_k1", "p@ss:w/rd") == (
        "postgresql://reader_k1:p%40ss%3Aw%2Frd@db.intranet:5432/geoapp")
    assert login.workspace_label("postgresql://u:secret@db.intranet/geoapp") == \
        "db.intranet/geoapp"
    assert login.workspace_label("/data/ws/baoshan.gpkg") == "baoshan.gpkg"


def test_the_app_gets_a_url_by_environment_not_on_its_command_line():
    cmd = streamlit_command("postgresql://admin:secret@db/geoapp", 8502)
    assert not any("secret" in part for part in cmd) and "--workspace" not in cmd


def test_log_in_checks_the_database_credentials(pg_url):
    open_workspace(pg_url).write_layers(governed_layers())
    os.environ["GEOAPP_NEW_PASSWORD"] = "k1-pw"
    try:
        assert main(["users", pg_url, "add", "reader_k1", "--role", "park:K1"]) == 0
    finally:
        del os.environ["GEOAPP_NEW_PASSWORD"]
    operator = pg_url.replace("geoapp_super:super-secret@", "")
    done = login.log_in(operator, "reader_k1", "k1-pw")
    assert done.ok and done.who == "reader_k1 · reader park:K1"
    assert open_workspace(done.url).read("enterprises")["ent_id"].tolist() == ["E1", "E2"]
    assert login.log_in(operator, "reader_k1", "nope") == login.Login(False, reason="failed")
    assert login.log_in(operator, "nobody_here", "x").reason == "failed"
    assert login.log_in(operator, "", "").reason == "failed"
    port = int(pg_url.rsplit(":", 1)[1].split("/")[0])
    elsewhere = operator.replace(f":{port}/", f":{port + 1}/")
    assert login.log_in(elsewhere, "reader_k1", "k1-pw").reason == "unreachable"
