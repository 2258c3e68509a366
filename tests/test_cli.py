"""The geoapp command end to end on the synthetic demo: demo → info → analyze → export → ledger."""

import json
import shutil

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from geoapp.cli import main
from geoapp.workspace import Workspace
from layers.schema import SCHEMAS


def test_info_lists_every_layer_and_says_synthetic(demo_workspace, capsys):
    assert main(["info", str(demo_workspace)]) == 0
    out = capsys.readouterr().out
    assert "SYNTHETIC" in out
    for name in SCHEMAS:
        assert f"  {name} " in out
    assert "GCJ-02 converted to WGS84" in out


@pytest.fixture(scope="module")
def analysed(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    assert main(["analyze", str(demo_workspace), "--out", str(out), "--year", "2023",
                 "--as-of", "2023-12-31"]) == 0
    return out


def test_analyze_writes_every_promised_file(analysed):
    names = {p.name for p in analysed.iterdir()}
    promised = {
        # every layer with geometry, each geometry once (issue 14)
        "analysis.gpkg",
        # evaluation (issue 3)
        "enterprises.parquet", "park_ranking.csv", "summary.json",
        # reclamation (issue 4)
        "reclamation_progress.csv",
        # clusters (issue 5)
        "density_all.tif", "concentration.csv",
        # bundle (issue 7)
        "report.xlsx", "README.txt",
    }
    assert promised <= names
    assert not {n for n in names if n.endswith(".geojson")}  # copies only with --geojson
    layers = {name for name, _ in pyogrio.list_layers(analysed / "analysis.gpkg")}
    assert {"plots", "parks", "projects", "grid", "layer_styles"} <= layers
    assert any(n.startswith("burnup_") and n.endswith(".png") for n in names)
    assert any(n.startswith("density_biomed") for n in names)


def test_analyze_outputs_hold_the_contract_columns(analysed):
    plots = pyogrio.read_dataframe(analysed / "analysis.gpkg", layer="plots")
    for col in ("plot_id", "park_id", "zone_type", "area_mu", "tax_per_mu", "output_per_mu",
                "grade", "score", "low_efficiency", "reasons", "gi_class", "lisa_class",
                "ledger_stage", "stalled"):
        assert col in plots.columns, col
    assert plots.crs.to_epsg() == 4326
    progress = pd.read_csv(analysed / "reclamation_progress.csv", dtype={"scope_id": str})
    for col in ("year", "metric", "target", "achieved", "pct", "expected_by_date", "forecast"):
        assert col in progress.columns
    summary = json.loads((analysed / "summary.json").read_text(encoding="utf-8"))
    assert summary["synthetic"] is True and summary["year"] == 2023
    bs = summary["evaluation"]["districts"]["310113"]
    assert 10 < bs["tax_per_mu"] < 100  # district 亩均税收 in the tens of 万元/亩


def test_area_in_outputs_is_the_register_else_the_measured_mu(demo_workspace, analysed):
    stored = Workspace(demo_workspace).read("plots").set_index("plot_id")
    out = pyogrio.read_dataframe(analysed / "analysis.gpkg", layer="plots").set_index("plot_id")
    measured = stored.to_crs("EPSG:32651").area / (10_000 / 15)
    geom = out["geom_area_mu"].astype(float).reindex(measured.index)
    assert (geom - measured).abs().max() < 1e-4  # measured in UTM 51N, to 1e-4 mu
    register_mu = stored["register_area_m2"] / (10_000 / 15)
    expected = register_mu.fillna(measured)
    legal = out["area_mu"].astype(float).reindex(expected.index)
    assert (legal - expected).abs().max() < 1e-4
    assert register_mu.notna().sum() > 0 and (register_mu - measured).abs().max() > 0.1


def test_export_gcj02_and_public(demo_workspace, analysed, tmp_path, capsys):
    target = tmp_path / "plots.geojson"
    assert main(["export", str(demo_workspace), "--layer", "plots", "--out", str(target),
                 "--coords", "gcj02"]) == 0
    written = [p for p in tmp_path.iterdir() if p.suffix == ".geojson"]
    assert len(written) == 1 and "gcj02" in written[0].name
    doc = json.loads(written[0].read_text(encoding="utf-8"))
    assert "crs" not in doc and "GCJ-02" in json.dumps(doc, ensure_ascii=False)
    assert main(["export", str(demo_workspace), "--layer", "enterprises", "--out",
                 str(tmp_path / "firms.csv"), "--public"]) == 0
    firms = pd.read_csv(tmp_path / "firms.csv")
    assert not {"tax_wan", "output_wan", "name", "credit_code"} & set(firms.columns)


def test_export_where_filters_the_selection(demo_workspace, tmp_path):
    out = tmp_path / "idle.geojson"
    assert main(["export", str(demo_workspace), "--layer", "plots", "--out", str(out),
                 "--where", "status == 'idle'"]) == 0
    got = gpd.read_file(out)
    stored = Workspace(demo_workspace).read("plots")
    assert len(got) == int((stored["status"] == "idle").sum()) > 0


def test_ledger_record_is_forward_only(demo_workspace, tmp_path, capsys):
    ws = tmp_path / "ws.gpkg"
    shutil.copy(demo_workspace, ws)
    plot = Workspace(ws).read("plots")["plot_id"].iloc[0]
    assert main(["ledger", str(ws), "record", "--plot", plot, "--stage", "in_progress",
                 "--date", "2024-01-05", "--note", "在谈"]) == 0
    assert main(["ledger", str(ws), "record", "--plot", plot, "--stage", "identified",
                 "--date", "2024-02-01"]) == 1
    err = capsys.readouterr().err
    assert f"id {plot}, column 'stage'" in err and "stages move forward only" in err
    ledger = Workspace(ws).read("ledger")
    mine = ledger[ledger["plot_id"] == plot]
    assert mine["stage"].tolist()[-1] == "in_progress" and "identified" not in set(
        mine[mine["date"] == "2024-02-01"]["stage"])
    assert main(["ledger", str(ws), "record", "--plot", "NOPE", "--stage", "identified",
                 "--date", "2024-02-01"]) == 1
    assert "unknown plot 'NOPE'" in capsys.readouterr().err


def test_every_output_column_has_a_chinese_label(analysed):
    from geoapp.words import column_label as label

    columns = set()
    for f in analysed.glob("*.csv"):
        columns |= set(pd.read_csv(f, nrows=2).columns)
    for f in analysed.glob("*.parquet"):
        columns |= set(pd.read_parquet(f).columns)
    for layer, _ in pyogrio.list_layers(analysed / "analysis.gpkg"):
        if layer != "layer_styles":
            columns |= set(pyogrio.read_dataframe(analysed / "analysis.gpkg", layer=layer,
                                                  max_features=2).columns)
    unlabelled = sorted(c for c in columns - {"geometry", "wkt", "lon", "lat"} if label(c).zh == c)
    assert unlabelled == []


def test_public_analyze_leaks_no_enterprise_figure(demo_workspace, tmp_path_factory):
    from geoapp.export import is_confidential

    out = tmp_path_factory.mktemp("public")
    assert main(["analyze", str(demo_workspace), "--out", str(out), "--year", "2023",
                 "--public"]) == 0
    firms = pd.read_parquet(out / "enterprises.parquet")
    assert set(firms.columns) <= {"ent_id", "industry", "year", "scale", "plot_id", "park_id",
                                  "town_code", "district_code", "start_year", "utility",
                                  "synthetic", "lon", "lat", "wkt"}
    gpkg = out / "analysis.gpkg"
    tables = {f.name: pd.read_csv(f) for f in out.glob("*.csv")}
    tables |= {f.name: pd.read_parquet(f) for f in out.glob("*.parquet")}
    tables |= {layer: pyogrio.read_dataframe(gpkg, layer=layer)
               for layer, _ in pyogrio.list_layers(gpkg) if layer != "layer_styles"}
    assert "plots" in tables
    checked = 0
    for f, table in tables.items():
        secret = [c for c in table.columns if is_confidential(c)]
        if not secret:
            continue
        assert "n_enterprises" in table.columns, f"{f} keeps {secret} without a count"
        few = pd.to_numeric(table["n_enterprises"], errors="coerce").fillna(0) < 3
        for col in secret:
            assert table.loc[few, col].isna().all(), f"{f}:{col} shown for < 3 firms"
        checked += int(few.sum())
    assert checked > 0  # the rule was exercised on real rows
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["disclosure"].startswith("public")
    assert "tax_per_mu" not in summary["evaluation"]["districts"]["310113"]


def test_export_puts_names_beside_codes_unless_asked_not_to(demo_workspace, tmp_path):
    from openpyxl import load_workbook

    book = tmp_path / "plots.xlsx"
    assert main(["export", str(demo_workspace), "--layer", "plots", "--out", str(book)]) == 0
    head = [c.value for c in load_workbook(book)["产业地块"][1]]
    assert head.index("地块状态名称") == head.index("地块状态代码") + 1
    out = tmp_path / "plots.geojson"
    assert main(["export", str(demo_workspace), "--layer", "plots", "--out", str(out)]) == 0
    props = json.loads(out.read_text(encoding="utf-8"))["features"][0]["properties"]
    assert props["status_name"] in {"在用", "闲置", "在建"}
    assert main(["export", str(demo_workspace), "--layer", "plots", "--out", str(out),
                 "--codes-only"]) == 0
    assert "status_name" not in json.loads(out.read_text(encoding="utf-8"))["features"][0][
        "properties"]
