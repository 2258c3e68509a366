"""Scenario planner in the product: settings, storage, the CLI and the app tab, on the demo.

The demo (seed 0, 4 000 plots) is evaluated for 2023; Baoshan's (310113) 2023 targets of
2 000 亩 and 100 plots carry forward to 2024, "the next year".
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis.scenario import already_reclaimed
from geoapp import scenarios as sc
from geoapp.cli import main
from geoapp.settings import Settings, SettingsError

BAOSHAN = "310113"
NEXT_YEAR = 2024


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    from geoapp.pipeline import analyse_workspace, build_demo_workspace

    path = tmp_path_factory.mktemp("scenarios") / "demo.gpkg"
    build_demo_workspace(path, n_plots=4000)
    analyse_workspace(path)  # stored once: the CLI calls below read the results back
    return path


@pytest.fixture(scope="module")
def inputs(demo) -> sc.PlannerInputs:
    return sc.planner_inputs(demo)


@pytest.fixture
def ws(demo, tmp_path) -> Path:
    """A copy of the demo, so a test's scenarios and settings are its own."""
    path = tmp_path / "ws.gpkg"
    shutil.copy(demo, path)
    return path


def open_plots(inputs, district=BAOSHAN, n=3) -> list[str]:
    """Low-efficiency plots of a district the ledger has not reclaimed."""
    done = set(already_reclaimed(inputs.states))
    ids = [i for i in sc.candidates_of(inputs, district=district) if i not in done]
    return ids[:n]


def cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out = capsys.readouterr()
    return rc, out.out, out.err


# --- settings -------------------------------------------------------------------------------


def test_scenario_settings_section():
    s = Settings.from_dict({"scenario": {"cost_per_mu_wan": {"acquire": 200}}})
    assert s.scenario.cost_per_mu_wan == {"vacate": 60.0, "acquire": 200.0, "lease": 20.0,
                                          "codevelop": 30.0, "upgrade": 80.0}
    assert s.scenario.lead_years["lease"] == 1
    with pytest.raises(SettingsError, match=r"did you mean scenario\.cost_per_mu_wan\.acquire"):
        Settings.from_dict({"scenario": {"cost_per_mu_wan": {"acquier": 200}}})
    with pytest.raises(SettingsError, match=r"did you mean scenario\.cost_per_mu_wan\?"):
        Settings.from_dict({"scenario": {"cost_per_mu": {"acquire": 200}}})
    with pytest.raises(SettingsError, match="did you mean park_benchmark"):
        Settings.from_dict({"scenario": {"relet_yield": {"vacate": "park_benchmrk"}}})
    with pytest.raises(SettingsError, match="from 0 to 1"):
        Settings.from_dict({"scenario": {"relet_share": {"vacate": 2}}})


def test_config_set_reaches_the_planner(ws, capsys):
    rc, _, err = cli(capsys, "config", ws, "set", "scenario.cost_per_mu_wan.acquire", "200")
    assert rc == 0, err
    inputs = sc.planner_inputs(ws)
    assert inputs.settings.cost_per_mu_wan["acquire"] == 200.0
    plot = open_plots(inputs, n=1)
    actions = sc.add_actions(inputs, sc.empty_actions(), plot, mode="acquire", year=NEXT_YEAR)
    result = sc.run_scenario(inputs, actions)
    area = float(inputs.plots.loc[plot[0], "area_mu"])
    assert result.plots["cost_wan"].iloc[0] == pytest.approx(area * 200.0)


# --- storage ----------------------------------------------------------------------------------


def test_storage_round_trip(ws):
    assert sc.list_scenarios(ws).empty
    sc.new_scenario(ws, "plan A")
    assert sc.read_scenario(ws, "plan A").empty
    actions = pd.DataFrame({"plot_id": ["BS-000020", "BS-000012"], "mode": ["vacate", "lease"],
                            "year": [2024, 2025], "project_id": [None, "BS-XM003"]})
    sc.save_scenario(ws, "plan A", actions)
    back = sc.read_scenario(ws, "plan A")
    assert back.to_dict("records") == [
        {"plot_id": "BS-000012", "mode": "lease", "year": 2025, "project_id": "BS-XM003"},
        {"plot_id": "BS-000020", "mode": "vacate", "year": 2024, "project_id": None}]
    sc.save_scenario(ws, "plan A", actions.iloc[:1])  # replaced whole
    assert sc.read_scenario(ws, "plan A")["plot_id"].tolist() == ["BS-000020"]
    sc.save_scenario(ws, "plan B", actions)
    listed = sc.list_scenarios(ws)
    assert listed[["name", "n_actions"]].values.tolist() == [["plan A", 1], ["plan B", 2]]
    with pytest.raises(sc.ScenarioError, match="exists already"):
        sc.new_scenario(ws, "plan A")
    with pytest.raises(sc.ScenarioError, match="did you mean 'plan B'"):
        sc.read_scenario(ws, "plan C")
    with pytest.raises(sc.ScenarioError, match="did you mean vacate"):
        sc.save_scenario(ws, "plan A", actions.assign(mode="vacat"))
    assert sc.read_scenario(ws, "plan A")["plot_id"].tolist() == ["BS-000020"]  # untouched
    sc.delete_scenario(ws, "plan A")
    assert sc.scenario_names(ws) == ["plan B"]


def test_targets_carry_forward(inputs):
    t = inputs.targets
    next_year = t[(t["scope_id"] == BAOSHAN) & (t["year"] == NEXT_YEAR)]
    assert dict(zip(next_year["metric"], next_year["value"], strict=True)) == {
        "reclaimed_mu": 2000.0, "reclaimed_plots": 100.0}
    assert any("carried forward" in n for n in inputs.notes)


# --- the command line ---------------------------------------------------------------------


def test_cli_new_add_remove_show(ws, inputs, capsys):
    plots = open_plots(inputs)
    assert cli(capsys, "scenario", ws, "new", "S")[0] == 0
    rc, out, err = cli(capsys, "scenario", ws, "add", "S", *[a for p in plots for a in
                                                          ("--plot", p)],
                       "--mode", "vacate", "--year", NEXT_YEAR)
    assert rc == 0, err
    assert "3 plots set to vacate from 2024, 3 in all" in out
    rc, out, err = cli(capsys, "scenario", ws, "remove", "S", "--plot", plots[2])
    assert rc == 0 and "2 left" in out
    rc, out, _ = cli(capsys, "scenario", ws, "show", "S")
    assert rc == 0
    area = inputs.plots.loc[plots[:2], "area_mu"].astype(float)
    assert f"scenario S: 2 plots, {area.sum():,.1f} mu, cost {area.sum() * 60:,.1f} wan" in out
    for p in plots[:2]:  # vacate: lead 2 years, reclaimed in 2026
        assert f"{p:<12} vacate     start 2024 reclaimed 2026" in out
    assert "target district 310113 reclaimed_mu 2026" in out
    # unknown plots are refused, named; a typo'd mode names the closest
    rc, _, err = cli(capsys, "scenario", ws, "add", "S", "--plot", "NOPE-1", "--plot", plots[0],
                     "--mode", "vacate", "--year", NEXT_YEAR)
    assert rc == 2 and "unknown plots ['NOPE-1']" in err and "Traceback" not in err
    rc, _, err = cli(capsys, "scenario", ws, "add", "S", "--plot", plots[0], "--mode", "vacat",
                     "--year", NEXT_YEAR)
    assert rc == 2 and "did you mean vacate" in err
    rc, _, err = cli(capsys, "scenario", ws, "show", "T")
    assert rc == 2 and "no scenario named 'T'" in err


def test_optimised_baoshan_plan_meets_the_targets_cheaper_than_largest_first(inputs, ws,
                                                                          capsys):
    plan = sc.plan(inputs, year=NEXT_YEAR, district=BAOSHAN)
    best, base = plan.optimised, plan.baseline
    assert best.status == "optimal" and base.status == "met"
    # with what the ledger already counts in 2024, the plan reaches both targets
    result = sc.run_scenario(inputs, best.actions)
    p = result.progress
    row = p[(p["scope_id"] == BAOSHAN) & (p["year"] == NEXT_YEAR)].set_index("metric")
    assert row.loc["reclaimed_mu", "achieved"] >= 2000.0 - 1e-6
    assert row.loc["reclaimed_plots", "achieved"] >= 100
    assert row["met"].all()
    assert (best.chosen["reclaimed_year"] == NEXT_YEAR).all()
    assert best.cost_wan <= base.cost_wan
    assert plan.saving_wan == pytest.approx(base.cost_wan - best.cost_wan)
    # the command says by how much, and saves the plan
    rc, out, err = cli(capsys, "scenario", ws, "optimise", "opt", "--year", NEXT_YEAR,
                       "--district", BAOSHAN)
    assert rc == 0, err
    assert f"cost {best.cost_wan:,.1f} wan [optimal]" in out
    assert f"largest plots first: {len(base.chosen)} plots" in out
    assert f"the optimised plan costs {plan.saving_wan:,.1f} wan" in out
    assert len(sc.read_scenario(ws, "opt")) == len(best.chosen)


def test_infeasible_targets_are_explained_not_raised(ws, inputs, capsys):
    # 20 000 亩 in one year fits Baoshan's low-efficiency plots (20 300 亩 open) ...
    plan = sc.plan(inputs, year=NEXT_YEAR, district=BAOSHAN, target_mu=20_000)
    assert plan.optimised.status == "optimal"
    # ... but not within a budget of 100 000 万元
    rc, _, err = cli(capsys, "scenario", ws, "optimise", "X", "--year", NEXT_YEAR,
                       "--district", BAOSHAN, "--target-mu", 20000, "--budget", 100000)
    assert rc == 1 and "Traceback" not in err
    assert "no plan for 2024 meets the targets (infeasible)" in err
    assert "needs at least" in err and "but the budget is 100 000" in err
    # and 30 000 亩 exceeds every candidate
    rc, _, err = cli(capsys, "scenario", ws, "optimise", "X", "--year", NEXT_YEAR,
                     "--district", BAOSHAN, "--target-mu", 30000)
    assert rc == 1 and "exceeds the 20 300" in err
    assert "X" not in sc.scenario_names(ws)


def test_compare_and_export(ws, inputs, capsys, tmp_path):
    plots = open_plots(inputs, n=4)
    sc.save_scenario(ws, "small", pd.DataFrame({"plot_id": plots[:2], "mode": "vacate",
                                                "year": NEXT_YEAR}))
    sc.save_scenario(ws, "big", pd.DataFrame({"plot_id": plots, "mode": "lease",
                                              "year": NEXT_YEAR}))
    rc, out, err = cli(capsys, "scenario", ws, "compare", "small", "big", "--charts",
                       tmp_path / "charts")
    assert rc == 0, err
    lines = [line.split() for line in out.splitlines()]
    assert lines[1][:2] == ["small", "2"] and lines[2][:2] == ["big", "4"]
    pngs = sorted((tmp_path / "charts").glob("*.png"))
    assert [p.name for p in pngs] == ["burnup_district_310113_reclaimed_mu.png",
                                      "burnup_district_310113_reclaimed_plots.png",
                                      "burnup_district_310116_reclaimed_mu_cumulative.png"]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    results = sc.run_scenario(inputs, sc.read_scenario(ws, "big"))
    rc, _, err = cli(capsys, "scenario", ws, "export", "big", "--out", tmp_path / "big.geojson")
    assert rc == 0, err
    doc = json.loads((tmp_path / "big.geojson").read_text(encoding="utf-8"))
    props = {f["properties"]["plot_id"]: f["properties"] for f in doc["features"]}
    assert sorted(props) == sorted(plots)
    first = results.plots.set_index("plot_id").loc[plots[0]]
    assert props[plots[0]]["mode"] == "lease" and props[plots[0]]["reclaimed_year"] == 2025
    assert props[plots[0]]["tax_before_wan"] == pytest.approx(first["tax_before_wan"])
    assert props[plots[0]]["tax_after_wan"] == pytest.approx(first["tax_after_wan"])
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in doc["features"])
    rc, _, err = cli(capsys, "scenario", ws, "export", "big", "--out", tmp_path / "big.xlsx")
    assert rc == 0, err
    sheet = pd.read_excel(tmp_path / "big.xlsx", sheet_name=None)
    data = next(f for f in sheet.values() if len(f) == 4)
    assert len(data) == 4
    rc, _, err = cli(capsys, "scenario", ws, "export", "big", "--out", tmp_path / "big.shp")
    assert rc == 2 and "F.geojson or F.xlsx" in err
    rc, out, _ = cli(capsys, "scenario", ws, "list")
    assert "big\t4 plots" in out and "small\t2 plots" in out
    assert cli(capsys, "scenario", ws, "delete", "small")[0] == 0
    assert sc.scenario_names(ws) == ["big"]


# --- the app tab (AppTest; the browser test is test_app_scenario_browser.py) ---------------


def test_scenario_tab_adds_plots_and_saves(ws, inputs, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GEOAPP_WORKSPACE", str(ws))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "streamlit_app.py"),
                           default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    at.text_input(key="scenario_new").set_value("tab").run()
    at.button(key="scenario_create").click().run()
    assert at.selectbox(key="scenario_pick").value == "tab"
    plots = open_plots(inputs)
    at.text_area(key="scenario_paste").set_value(", ".join(plots)).run()
    at.button(key="scenario_add").click().run()
    assert not at.exception, at.exception
    summary = next(m.value for m in at.markdown if m.value.startswith("**tab**"))
    assert "3块地" in summary and "有未保存的修改" in summary
    at.button(key="scenario_save").click().run()
    assert sc.read_scenario(ws, "tab")["plot_id"].tolist() == sorted(plots)
    at.text_area(key="scenario_paste").set_value("NOPE-1").run()
    at.button(key="scenario_add").click().run()
    assert any("NOPE-1" in e.value for e in at.error)
