"""The analysis folder (issue 14): one GeoPackage with QGIS styles, each geometry once, the
same values as the stage results, copies and the full report only when asked."""

from __future__ import annotations

import os
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from geoapp import outputs, pipeline
from geoapp.app.symbology import LOW_EFFICIENCY_COLOR, make_legend
from geoapp.cli import main
from geoapp.export.package import LEDGER_COLUMNS

YEAR, AS_OF = "2023", "2023-12-31"


@pytest.fixture(scope="module")
def folders(demo_workspace, tmp_path_factory):
    """The demo analysed twice: the default folder, and with every copy and the full report."""
    base = tmp_path_factory.mktemp("folder")
    ws = base / "ws.gpkg"
    shutil.copy(demo_workspace, ws)
    plain, full = base / "plain", base / "full"
    assert main(["analyze", str(ws), "--out", str(plain), "--year", YEAR, "--as-of", AS_OF]) == 0
    assert main(["analyze", str(ws), "--out", str(full), "--year", YEAR, "--as-of", AS_OF,
                 "--geojson", "--csv", "--full-report"]) == 0
    run = pipeline.analyse_workspace(ws, year=int(YEAR), as_of=pd.Timestamp(AS_OF).date())
    return plain, full, outputs.output_tables(run.results)


def _gpkg_plots(folder):
    return pyogrio.read_dataframe(folder / "analysis.gpkg", layer="plots").set_index("plot_id")


def test_layer_styles_are_read_by_gdal_for_the_plots_layer(folders):
    plain, _, tables = folders
    styles = pyogrio.read_dataframe(plain / "analysis.gpkg", layer="layer_styles")
    row = styles[styles["f_table_name"] == "plots"]
    assert len(row) == 1 and bool(row["useAsDefault"].iloc[0])
    assert row["f_geometry_column"].iloc[0] == "geom"
    qml = ET.fromstring(row["styleQML"].iloc[0].split("\n", 1)[1])
    rules = qml.find("renderer-v2/rules").findall("rule")
    legend = make_legend(tables["plots_evaluated"], "tax_per_mu", "quantiles")
    # one rule per class of the map app (same upper bounds), one for no figure, one outline
    assert len(rules) == len(legend.bins) + 2 == 7
    for rule, upper in zip(rules, legend.bins, strict=False):
        assert rule.get("filter").endswith(f'"tax_per_mu" <= {upper!r}')
    colours = [layer.find("Option/Option[@name='color']").get("value")
               for layer in qml.iter("layer")]
    first = legend.colors[0].lstrip("#")
    assert colours[0] == ",".join(str(int(first[i:i + 2], 16)) for i in (0, 2, 4)) + ",255"
    low = qml.findall("renderer-v2/symbols/symbol")[-1].find("layer/Option")
    opts = {o.get("name"): o.get("value") for o in low}
    red = LOW_EFFICIENCY_COLOR.lstrip("#")
    assert opts["outline_color"].startswith(",".join(str(int(red[i:i + 2], 16))
                                                     for i in (0, 2, 4)))
    assert opts["style"] == "b_diagonal" and opts["outline_style"] == "dash"
    assert {"parks", "projects", "grid"} <= set(styles["f_table_name"])


def test_plots_layer_holds_the_per_plot_results_of_every_stage(folders):
    plain, _, tables = folders
    got = _gpkg_plots(plain)
    plots = tables["plots_evaluated"].set_index("plot_id")
    assert list(got.index) == list(plots.index)
    for col in ("area_mu", "tax_per_mu", "output_per_mu", "score"):
        np.testing.assert_array_equal(got[col].to_numpy(float), plots[col].to_numpy(float))
    assert got["grade"].fillna("").tolist() == plots["grade"].fillna("").tolist()
    assert got["low_efficiency"].astype(bool).tolist() == plots["low_efficiency"].tolist()
    hot = tables["hotspots"].set_index("plot_id").reindex(got.index)
    for col in ("gi_z", "gi_p", "lisa_i", "output_gi_z"):
        np.testing.assert_array_equal(got[col].to_numpy(float), hot[col].to_numpy(float))
    assert got["gi_class"].tolist() == hot["gi_class"].tolist()
    ledger = tables["ledger_plots"].set_index("plot_id")
    on = got["ledger_stage"].notna()
    assert set(got.index[on]) == set(ledger.index) and on.sum() == len(ledger) > 0
    for src, col in LEDGER_COLUMNS.items():
        if src in ("first_date", "last_date", "reclaimed_date"):
            continue  # dates: compared as text below
        a = got.loc[ledger.index, col]
        b = ledger[src]
        assert (a.isna() == b.isna()).all(), col
        if pd.api.types.is_numeric_dtype(b):
            np.testing.assert_allclose(a[b.notna()].astype(float), b[b.notna()].astype(float),
                                       rtol=0, atol=0)
        else:
            assert a[b.notna()].astype(str).tolist() == b[b.notna()].astype(str).tolist(), col
    last = pd.to_datetime(got.loc[ledger.index, "last_date"]).dt.date.astype(str)
    assert last.tolist() == ledger["last_date"].astype(str).tolist()


def test_each_geometry_is_written_once_by_default(folders):
    plain, full, _ = folders
    assert not list(plain.glob("*.geojson")) and not list(plain.glob("*.csv.notes.txt"))
    assert {p.name for p in full.glob("*.geojson")} == {
        "plots.geojson", "parks.geojson", "projects.geojson", "grid.geojson"}
    size = {p.name: p.stat().st_size for p in plain.iterdir()}
    geo = pyogrio.read_info(plain / "analysis.gpkg", layer="plots")
    assert geo["features"] == len(_gpkg_plots(plain))
    # the copies carry the same values
    copy = pyogrio.read_dataframe(full / "plots.geojson").set_index("plot_id")
    mine = _gpkg_plots(full)
    assert list(copy.index) == list(mine.index)
    np.testing.assert_allclose(copy["gi_z"].to_numpy(float), mine["gi_z"].to_numpy(float),
                               rtol=1e-12)
    assert sum(size.values()) < sum(p.stat().st_size for p in full.iterdir())


def test_tables_without_geometry_keep_their_values(folders):
    plain, full, tables = folders
    firms = pd.read_parquet(plain / "enterprises.parquet")
    mine = tables["enterprises_evaluated"]
    assert firms["ent_id"].tolist() == mine["ent_id"].tolist()
    for col in ("tax_per_mu", "score", "pct", "contrib_tax_per_mu"):
        np.testing.assert_array_equal(firms[col].to_numpy(float), mine[col].to_numpy(float))
    assert firms["grade"].fillna("").tolist() == mine["grade"].fillna("").tolist()
    csv = pd.read_csv(full / "enterprises.csv", dtype={"ent_id": str})
    assert csv["ent_id"].tolist() == firms["ent_id"].tolist()
    np.testing.assert_allclose(csv["tax_per_mu"], firms["tax_per_mu"], rtol=1e-12)
    # the low-efficiency list is the plots layer's low-efficiency rows
    low = pd.read_csv(full / "low_efficiency.csv", dtype={"plot_id": str})
    plots = _gpkg_plots(plain)
    assert set(low["plot_id"]) == set(plots.index[plots["low_efficiency"].astype(bool)])
    not_in = pd.read_csv(full / "low_efficiency_not_in_ledger.csv", dtype={"plot_id": str})
    assert set(not_in["plot_id"]) == set(
        plots.index[plots["low_efficiency"].astype(bool) & plots["ledger_stage"].isna()])


def test_full_report_alone_has_the_per_enterprise_sheet(folders):
    plain, full, tables = folders
    evaluation = "综合评价"
    short = load_workbook(plain / "report.xlsx", read_only=True)
    assert evaluation not in short.sheetnames and "低效用地清单" in short.sheetnames
    about = [r for r in short["说明"].iter_rows(values_only=True) if r and r[0] == evaluation]
    assert about and "enterprises.parquet" in about[0][1]
    long = load_workbook(full / "report.xlsx", read_only=True)
    assert long[evaluation].max_row == len(tables["enterprises_evaluated"]) + 1


def test_the_report_reads_no_clusters_output_so_it_starts_beside_that_stage():
    """report.xlsx is written while the clusters child still computes (geoapp analyze)."""
    from geoapp.export.folder import report_stages

    assert report_stages() == {"evaluation", "reclamation"}
    assert report_stages(full_report=True) == {"evaluation", "reclamation"}


def test_readme_describes_the_geopackage_layers(folders):
    plain, _, _ = folders
    text = (plain / "README.txt").read_text(encoding="utf-8-sig")
    plots = _gpkg_plots(plain)
    assert f"layer plots: {len(plots)} rows, geometry Polygon" in text
    assert "== enterprises.parquet ==" in text and "layer_styles" in text


def test_two_years_of_enterprises_give_the_numbers_of_all_years(demo_workspace):
    from geoapp.workspace import Workspace

    ws = Workspace(demo_workspace)
    everything = ws.read_all()
    assert everything["enterprises"]["year"].nunique() > 2  # the demo has older years too
    two = pipeline.analysis_layers(ws, 2023)
    assert set(two["enterprises"]["year"]) == {2022, 2023}
    settings = pipeline.load_settings(ws)
    a = pipeline.run_analysis(everything, year=2023, settings=settings, stages=("clusters",))
    b = pipeline.run_analysis(two, year=2023, settings=settings, stages=("clusters",))
    for name, table in outputs.output_tables(a).items():
        other = outputs.output_tables(b)[name]
        pd.testing.assert_frame_equal(pd.DataFrame(table).reset_index(drop=True),
                                      pd.DataFrame(other).reset_index(drop=True),
                                      check_exact=True, obj=name)
    assert a["evaluation"].summary == b["evaluation"].summary


def test_forked_run_writes_what_one_process_writes(demo_workspace, tmp_path):
    """``geoapp analyze`` in a fresh process (clusters and the report in children) against
    the same run in one process (GEOAPP_PROCESSES=1): the same files, the same values."""
    import os
    import subprocess
    import sys

    outs = {}
    for mode, env in (("forked", {}), ("one", {"GEOAPP_PROCESSES": "1"})):
        ws = tmp_path / f"{mode}.gpkg"
        shutil.copy(demo_workspace, ws)
        out = tmp_path / mode
        subprocess.run([sys.executable, "-m", "geoapp", "analyze", str(ws), "--out", str(out),
                        "--year", YEAR, "--as-of", AS_OF], check=True, capture_output=True,
                       env={**os.environ, **env})
        outs[mode] = out
    a, b = outs["forked"], outs["one"]
    assert sorted(p.name for p in a.iterdir()) == sorted(p.name for p in b.iterdir())
    pa, pb = _gpkg_plots(a), _gpkg_plots(b)
    pd.testing.assert_frame_equal(pd.DataFrame(pa.drop(columns="geometry")),
                                  pd.DataFrame(pb.drop(columns="geometry")), check_exact=True)
    assert pa.geometry.geom_equals_exact(pb.geometry, tolerance=0).all()
    pd.testing.assert_frame_equal(pd.read_parquet(a / "enterprises.parquet"),
                                  pd.read_parquet(b / "enterprises.parquet"), check_exact=True)
    for csv in a.glob("*.csv"):
        assert csv.read_bytes() == (b / csv.name).read_bytes(), csv.name
    sheets = [load_workbook(f / "report.xlsx", read_only=True) for f in (a, b)]
    assert sheets[0].sheetnames == sheets[1].sheetnames
    for name in sheets[0].sheetnames[1:]:  # the 说明 sheet carries the date
        rows = [list(s[name].iter_rows(values_only=True)) for s in sheets]
        assert rows[0] == rows[1], name


@pytest.mark.parametrize("failing", ["evaluation", "clusters"])
def test_a_failing_stage_is_reported_and_leaves_no_child(demo_workspace, tmp_path, failing):
    """In a fresh process (so the clusters stage runs in its child): a stage that fails is
    recorded when errors are collected, the stages that need it are not run, the others are
    stored, and no child process is left behind."""
    import subprocess
    import sys
    import textwrap

    ws = tmp_path / "ws.gpkg"
    shutil.copy(demo_workspace, ws)
    code = textwrap.dedent(f"""
        import os
        from geoapp import forked, pipeline
        from geoapp.stages import {failing} as stage
        def broken(*args, **kwargs):
            raise ValueError("row 7, column 'tax_wan': not a number")
        stage.run = broken
        assert forked.can_fork()
        run = pipeline.analyse_workspace({str(ws)!r}, year={YEAR}, collect_errors=True)
        for name in sorted(run.errors):
            print(name, "|", run.errors[name])
        print("stored:", sorted(run.results))
        try:
            os.waitpid(-1, os.WNOHANG)
            print("a child is left")
        except ChildProcessError:
            print("no child left")
    """)
    env = {k: v for k, v in os.environ.items() if k != "GEOAPP_PROCESSES"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    if failing == "evaluation":
        assert lines == [
            "clusters | needs evaluation, which failed",
            "evaluation | ValueError: row 7, column 'tax_wan': not a number",
            "reclamation | needs evaluation, which failed",
            "stored: []",
            "no child left",
        ]
    else:
        assert lines == [
            "clusters | ValueError: row 7, column 'tax_wan': not a number",
            "stored: ['evaluation', 'reclamation']",
            "no child left",
        ]
