"""Roles enforced by the database: a park reader sees its park's firms and no others, a
public user reads no tax, by plain SQL, by the CLI and through the app's data layer."""

from __future__ import annotations

import json
import os

import pandas as pd
import psycopg
import pytest

from geoapp.app.loading import load_app_data, workspace_mtime
from geoapp.cli import main
from geoapp.store import open_workspace
from layers.errors import WorkspaceError
from tests.postgis_server import governed_layers, user_url


def add_user(url, name, role, scope=None):
    os.environ["GEOAPP_NEW_PASSWORD"] = f"pw-{name}"
    try:
        args = ["users", url, "add", name, "--role", role, *(["--scope", scope] if scope else [])]
        assert main(args) == 0
    finally:
        del os.environ["GEOAPP_NEW_PASSWORD"]
    return user_url(url, name, f"pw-{name}")


@pytest.fixture
def gov(pg_url):
    """K1 holds P1-P3 (firms E1, E2), K2 holds P4 (E3); one user of each kind."""
    open_workspace(pg_url).write_layers(governed_layers())
    return {"admin": pg_url,
            "k1": add_user(pg_url, "reader_k1", "park:K1"),
            "d114": add_user(pg_url, "reader_d114", "district:310114"),
            "pub": add_user(pg_url, "web_public", "public")}


def sql(url, query):
    with psycopg.connect(url) as con:
        return con.execute(query).fetchall()


def test_a_park_reader_sees_its_firms_and_no_others_by_sql(gov):
    assert sql(gov["k1"], "SELECT ent_id, tax_wan FROM enterprises ORDER BY ent_id") == [
        ("E1", 30.0), ("E2", 60.0)]
    assert sql(gov["k1"], "SELECT count(*) FROM enterprises WHERE plot_id = 'P4'") == [(0,)]
    assert sql(gov["d114"], "SELECT ent_id FROM enterprises") == [("E3",)]
    assert sql(gov["admin"], "SELECT count(*) FROM enterprises") == [(3,)]
    # a scoped reader reads the plots of its scope (its analysis covers them only); the
    # public and admins read every plot, without figures for the public
    assert sql(gov["k1"], "SELECT plot_id FROM plots ORDER BY plot_id") == [
        ("P1",), ("P2",), ("P3",)]
    assert sql(gov["d114"], "SELECT plot_id FROM plots") == [("P4",)]
    assert sql(gov["pub"], "SELECT count(*) FROM plots") == [(4,)]
    assert sql(gov["k1"], "SELECT count(*) FROM parks") == [(2,)]
    # stored results hold every firm's figures: only an admin reads them
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql(gov["k1"], "SELECT * FROM geoapp_results")
    # the scope cannot be widened from inside: a reader cannot rewrite their own row
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        sql(gov["k1"], "UPDATE geoapp_users SET scope_id = 'K2'")


def test_a_park_reader_sees_its_firms_by_the_cli_and_pull(gov, tmp_path, capsys):
    out = tmp_path / "firms.csv"
    assert main(["export", gov["k1"], "--layer", "enterprises", "--out", str(out)]) == 0
    firms = pd.read_csv(out)
    assert sorted(firms["ent_id"]) == ["E1", "E2"]
    assert sorted(firms["tax_wan"]) == [30.0, 60.0]
    assert main(["analyze", gov["k1"], "--out", str(tmp_path / "out"), "--geojson"]) == 0
    plots = json.loads((tmp_path / "out" / "plots.geojson").read_text(encoding="utf-8"))
    taxed = {f["properties"]["plot_id"] for f in plots["features"]
             if f["properties"].get("tax_wan") not in (None, 0)}
    assert taxed == {"P1", "P2"}
    # nothing a reader computed is stored (stored results are the admin's, over every firm)
    assert open_workspace(gov["admin"]).run_record("evaluation", 2023) is None
    assert main(["pull", gov["k1"], str(tmp_path / "mine.gpkg")]) == 0
    mine = open_workspace(tmp_path / "mine.gpkg").read("enterprises")
    assert sorted(mine["ent_id"]) == ["E1", "E2"]
    capsys.readouterr()
    assert main(["info", gov["k1"]]) == 0
    assert "user reader_k1, role reader park:K1" in capsys.readouterr().out


def test_a_park_reader_sees_its_firms_through_the_app_data_layer(gov):
    data = load_app_data(gov["k1"], workspace_mtime(gov["k1"]))
    assert sorted(data.layer("enterprises")["ent_id"]) == ["E1", "E2"]
    taxed = data.plots.loc[data.plots["tax_wan"].fillna(0) > 0, "plot_id"]
    assert sorted(taxed) == ["P1", "P2"]
    assert data.plots.set_index("plot_id")["tax_wan"].loc[["P1", "P2"]].tolist() == [30.0, 60.0]


def test_a_public_user_reads_no_tax_by_any_route(gov, tmp_path):
    # plain SQL: no enterprise table, no stored results, no column with a tax figure
    for table in ("enterprises", "geoapp_results", "geoapp_runs"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sql(gov["pub"], f"SELECT * FROM {table}")
    readable = sql(gov["pub"], "SELECT table_name, column_name FROM information_schema.columns "
                   "WHERE table_schema = 'public' AND (column_name LIKE '%tax%' OR "
                   "column_name LIKE '%output%') AND has_column_privilege(quote_ident("
                   "table_name), column_name, 'SELECT') AND table_name <> 'plots'")
    assert readable == []
    # after an admin stored results, they stay unreadable
    assert main(["analyze", gov["admin"], "--out", str(tmp_path / "admin")]) == 0
    assert open_workspace(gov["admin"]).run_record("evaluation", 2023) is not None
    assert open_workspace(gov["pub"]).run_record("evaluation", 2023) is None
    # the CLI: the enterprise layer is empty for them, the analysis has no tax figure
    out = tmp_path / "firms.csv"
    assert main(["export", gov["pub"], "--layer", "enterprises", "--out", str(out)]) == 2
    assert not out.exists()  # for them there is no such layer
    assert main(["export", gov["pub"], "--layer", "enterprises_evaluated", "--out",
                 str(out)]) == 0
    assert len(pd.read_csv(out)) == 0
    assert main(["analyze", gov["pub"], "--out", str(tmp_path / "pub"), "--geojson"]) == 0
    text = (tmp_path / "pub" / "plots.geojson").read_text(encoding="utf-8")
    for f in json.loads(text)["features"]:
        assert all(v in (None, 0) for k, v in f["properties"].items() if "tax" in k)
    # the app's data layer
    data = load_app_data(gov["pub"], workspace_mtime(gov["pub"]))
    assert data.layer("enterprises").empty
    tax_cols = [c for c in data.plots.columns if "tax" in c]
    assert tax_cols and all(data.plots[c].fillna(0).eq(0).all() for c in tax_cols)


def test_users_are_listed_changed_and_removed(gov, capsys):
    capsys.readouterr()
    assert main(["users", gov["admin"], "list"]) == 0
    listed = capsys.readouterr().out.split("\n")
    assert [line.split() for line in listed if line] == [
        ["reader_d114", "reader", "district:310114"], ["reader_k1", "reader", "park:K1"],
        ["web_public", "public"]]
    add_user(gov["admin"], "reader_k1", "park:K2")
    assert sql(gov["k1"], "SELECT ent_id FROM enterprises") == [("E3",)]
    assert main(["users", gov["admin"], "remove", "reader_k1"]) == 0
    with pytest.raises(psycopg.OperationalError, match="reader_k1"):
        sql(gov["k1"], "SELECT 1")


def test_bad_user_requests_are_refused_with_the_reason(gov, capsys):
    os.environ["GEOAPP_NEW_PASSWORD"] = "pw"
    try:
        capsys.readouterr()
        assert main(["users", gov["admin"], "add", "x", "--role", "park:K9"]) == 2
        assert "park 'K9' is not in the workspace's parks layer" in capsys.readouterr().err
        assert main(["users", gov["admin"], "add", "x", "--role", "editor"]) == 2
        assert "needs a scope" in capsys.readouterr().err
        assert main(["users", gov["admin"], "add", "Bad-Name", "--role", "public"]) == 2
        assert "lower-case letters" in capsys.readouterr().err
        # only an admin manages users
        assert main(["users", gov["k1"], "add", "y", "--role", "admin"]) == 2
        assert "permission denied" in capsys.readouterr().err
    finally:
        del os.environ["GEOAPP_NEW_PASSWORD"]


def test_a_wrong_password_is_refused_and_reads_nothing(gov):
    wrong = user_url(gov["admin"], "reader_k1", "not-the-password")
    with pytest.raises(WorkspaceError, match="password authentication failed") as err:
        open_workspace(wrong).read("enterprises")
    assert "not-the-password" not in str(err.value)  # a URL's password is never printed
    assert "reader_k1@127.0.0.1" in str(err.value)


def test_an_admin_user_imports_and_manages_users_without_being_superuser(gov, tmp_path):
    chief = add_user(gov["admin"], "chief", "admin")
    layers = governed_layers()
    moved = layers["enterprises"].assign(plot_id=["P1", "P4", "P4"])  # E2 moves into K2
    moved.to_csv(tmp_path / "firms.csv", index=False)
    assert main(["import", chief, str(tmp_path / "firms.csv"), "--layer", "enterprises"]) == 0
    assert sql(gov["k1"], "SELECT ent_id FROM enterprises") == [("E1",)]
    newcomer = add_user(chief, "reader_k2", "park:K2")
    assert sql(newcomer, "SELECT ent_id FROM enterprises ORDER BY ent_id") == [("E2",), ("E3",)]
    assert sorted(open_workspace(chief).read("enterprises")["ent_id"]) == ["E1", "E2", "E3"]
