"""One truth: settings and results live in the workspace; analyze, export and the app agree.

Runs on a copy of the synthetic demo workspace (the session's one is shared by other tests).
"""

import json
import shutil
import sqlite3
from datetime import date

import pandas as pd
import pytest

from geoapp import pipeline
from geoapp.cli import main
from geoapp.results import from_items, to_items
from geoapp.settings import DEFAULT_SETTINGS, Settings, SettingsError, parse_value, to_toml
from geoapp.workspace import Workspace

AS_OF = date(2023, 12, 31)


@pytest.fixture
def ws(demo_workspace, tmp_path):
    """A copy of the demo workspace without the results other tests stored in it."""
    path = tmp_path / "ws.gpkg"
    shutil.copy(demo_workspace, path)
    Workspace(path).clear_results()
    Workspace(path).write_settings({})
    return path


# -- settings --------------------------------------------------------------------------------


def test_unknown_section_or_key_names_the_closest_valid_one():
    with pytest.raises(SettingsError, match=r"unknown settings section evalution; did you mean "
                                            r"evaluation"):
        Settings.from_dict({"evalution": {"preset": "huaian"}})
    with pytest.raises(SettingsError, match=r"unknown key hotspots.permutation; did you mean "
                                            r"hotspots.permutations"):
        Settings.from_dict({"hotspots": {"permutation": 99}})


def test_wrong_type_or_range_names_the_key_and_what_it_accepts():
    with pytest.raises(SettingsError, match=r"reclamation.stalled_days must be a whole number, "
                                            r"got 'soon'"):
        Settings.from_dict({"reclamation": {"stalled_days": "soon"}})
    with pytest.raises(SettingsError, match=r"reclamation.stalled_days must be from 1 to 3650"):
        Settings.from_dict({"reclamation": {"stalled_days": 0}})
    with pytest.raises(SettingsError, match=r"evaluation.score_decimals must be an integer from "
                                            r"0 to 6, got 9"):
        Settings.from_dict({"evaluation": {"score_decimals": 9}})
    with pytest.raises(SettingsError, match=r"evaluation.cutoffs must be a list"):
        Settings.from_dict({"evaluation": {"cutoffs": 0.5}})
    with pytest.raises(SettingsError, match=r"hotspots.*k must be a positive integer, got 0"):
        Settings.from_dict({"hotspots": {"k": 0}})


def test_settings_are_typed_and_round_trip_through_toml(tmp_path):
    data = {"evaluation": {"preset": "huaian", "cutoffs": [0.1, 0.5, 0.9],
                           "weights": {"above": {"tax_per_mu": 40}}},
            "low_efficiency": {"plot_ratio_floors": {"M1": 0.8}, "rules": ["idle", "low_tax"]},
            "density": {"bandwidth_m": 800}}
    s = Settings.from_dict(data)
    assert s.evaluation.cutoffs == (0.1, 0.5, 0.9)
    assert s.evaluation.policy().name == "huaian"
    assert s.evaluation.policy().cutoffs == (0.1, 0.5, 0.9)
    assert s.density.bandwidth_m == 800.0 and isinstance(s.density.bandwidth_m, float)
    assert [r.code for r in s.low_efficiency.selected_rules()] == ["idle", "low_tax"]
    path = tmp_path / "s.toml"
    path.write_text(to_toml(s.overrides), encoding="utf-8")
    assert Settings.from_toml(path) == s
    assert s != DEFAULT_SETTINGS


def test_command_line_values_are_read_as_toml_else_text():
    assert parse_value("3") == 3
    assert parse_value("0.5") == 0.5
    assert parse_value("[0.2, 0.6, 0.95]") == [0.2, 0.6, 0.95]
    assert parse_value("true") is True
    assert parse_value("huaian") == "huaian"


def test_config_command_sets_validates_and_never_half_stores(ws, tmp_path, capsys):
    assert main(["config", str(ws), "set", "evaluation.preset", "huaian"]) == 0
    assert main(["config", str(ws), "set", "evalution.preset", "x"]) == 2
    assert "did you mean evaluation" in capsys.readouterr().err
    assert main(["config", str(ws), "set", "evaluation.preset", "hangzhou"]) == 2
    assert "evaluation.preset: unknown value 'hangzhou'" in capsys.readouterr().err
    assert Workspace(ws).settings_overrides() == {"evaluation": {"preset": "huaian"}}
    assert main(["config", str(ws), "show"]) == 0
    shown = capsys.readouterr().out
    assert 'preset = "huaian"   # set here (default "zhejiang")' in shown
    assert "[hotspots]" in shown and "k = 8" in shown
    out = tmp_path / "s.toml"
    assert main(["config", str(ws), "export", str(out)]) == 0
    bad = tmp_path / "bad.toml"
    bad.write_text("[density]\nbandwidth_m = -5\n", encoding="utf-8")
    assert main(["config", str(ws), "import", str(bad)]) == 2
    assert "bandwidth" in capsys.readouterr().err
    assert Workspace(ws).settings_overrides() == {"evaluation": {"preset": "huaian"}}
    assert main(["config", str(ws), "unset", "evaluation.preset"]) == 0
    assert Workspace(ws).settings_overrides() == {}
    assert main(["config", str(ws), "import", str(out)]) == 0
    assert Workspace(ws).settings_overrides() == {"evaluation": {"preset": "huaian"}}


# -- results ---------------------------------------------------------------------------------


def test_a_change_re_runs_exactly_the_stages_that_read_it(ws):
    def ran() -> list[str]:
        return pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF, load=False).ran

    assert ran() == ["evaluation", "reclamation", "clusters"]
    assert ran() == []  # everything stored and fresh
    store = Workspace(ws)
    store.write_settings({"hotspots": {"k": 6}})
    assert ran() == ["clusters"]
    store.write_settings({"hotspots": {"k": 6}, "reclamation": {"stalled_days": 90}})
    assert ran() == ["reclamation"]
    store.write_settings({"hotspots": {"k": 6}, "reclamation": {"stalled_days": 90},
                          "evaluation": {"preset": "huaian"}})
    assert ran() == ["evaluation", "reclamation", "clusters"]  # later stages take its result
    assert main(["ledger", str(ws), "record", "--plot", "BS-000001", "--stage", "identified",
                 "--date", "2023-12-01"]) == 0
    assert ran() == ["reclamation"]  # only reclamation reads the ledger
    # An edit by another program (QGIS, sqlite3) is seen through the layer's triggers.
    con = sqlite3.connect(ws)
    con.execute("UPDATE enterprises SET tax_wan = tax_wan + 1 WHERE rowid = 1")
    con.commit()
    con.close()
    assert ran() == ["evaluation", "reclamation", "clusters"]
    assert pipeline.stale_stages(ws, year=2023, as_of=AS_OF) == []
    assert pipeline.stale_stages(ws, year=2022, as_of=AS_OF) == [
        "evaluation", "reclamation", "clusters"]


def test_stored_results_read_back_equal_to_the_computed_ones(ws):
    first = pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF)
    again = pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF)
    assert again.ran == [] and again.reused == ["evaluation", "reclamation", "clusters"]
    for stage in ("evaluation", "reclamation", "clusters"):
        a, b = first.results[stage], again.results[stage]
        for name, frame in vars(a).items():
            other = getattr(b, name)
            if isinstance(frame, pd.DataFrame):
                pd.testing.assert_frame_equal(pd.DataFrame(other), pd.DataFrame(frame),
                                              check_dtype=False, obj=f"{stage}.{name}")
                if hasattr(frame, "geometry"):
                    assert other.geometry.geom_equals_exact(frame.geometry, 1e-12).all()
            elif name == "density":
                assert set(other) == set(frame)
                for key, surface in frame.items():
                    assert (other[key].values == surface.values).all()
                    assert other[key].transform == surface.transform
            elif name == "burnups":
                assert other == frame
            else:
                assert json.dumps(other, sort_keys=True) == json.dumps(frame, sort_keys=True)


def test_items_name_their_kind_and_plot_tables_store_no_geometry(ws):
    run = pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF, stages=("evaluation",))
    items = {name: kind for name, kind, _ in to_items(run.results["evaluation"])}
    assert items["plots"] == "parquet+plots:geometry"
    assert items["parks"] == "geoparquet"
    assert items["park_ranking"] == "parquet"
    back = from_items("evaluation", to_items(run.results["evaluation"]), {})
    assert back.plots.geometry.isna().all()  # no geometry source given: none invented


def test_analyze_export_and_settings_give_the_same_grades(ws, tmp_path):
    assert main(["config", str(ws), "set", "evaluation.preset", "huaian"]) == 0
    out = tmp_path / "out"
    assert main(["analyze", str(ws), "--out", str(out), "--as-of", "2023-12-31"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["evaluation"]["preset"] == "huaian"
    assert summary["settings"] == {"source": "workspace", "stored": True,
                                   "changed": {"evaluation": {"preset": "huaian"}}}
    exported = tmp_path / "ents.csv"
    assert main(["export", str(ws), "--layer", "enterprises_evaluated", "--out",
                 str(exported)]) == 0
    a = pd.read_parquet(out / "enterprises.parquet")
    b = pd.read_csv(exported, dtype={"ent_id": str})
    assert a["grade"].tolist() == b["grade"].tolist()
    assert a["ent_id"].tolist() == b["ent_id"].tolist()
    assert "contrib_revenue_per_mu" in b  # a huaian item
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert again["stages_run"] == ["evaluation", "reclamation", "clusters"]


def test_a_one_off_config_file_is_said_and_not_stored(ws, tmp_path):
    pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF)
    extra = tmp_path / "one.toml"
    extra.write_text('[evaluation]\npreset = "huaian"\n', encoding="utf-8")
    out = tmp_path / "out"
    assert main(["analyze", str(ws), "--out", str(out), "--config", str(extra),
                 "--as-of", "2023-12-31"]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["settings"]["stored"] is False
    assert "one.toml (one-off)" in summary["settings"]["source"]
    assert summary["evaluation"]["preset"] == "huaian"
    # the workspace's own results are untouched: still zhejiang, still fresh
    run = pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF)
    assert run.ran == []
    assert run.results["evaluation"].summary["preset"] == "zhejiang"


def test_export_of_an_unknown_name_lists_what_exists(ws, capsys):
    assert main(["export", str(ws), "--layer", "park_rankings", "--out", "x.csv"]) == 2
    err = capsys.readouterr().err
    assert "park_ranking" in err and "plots_evaluated" in err


def test_a_workspace_from_before_versions_starts_being_tracked(ws):
    """A round-1 workspace has no geoapp tables for versions, settings or results."""
    con = sqlite3.connect(ws)
    for table in ("geoapp_layer_versions", "geoapp_runs", "geoapp_results", "geoapp_settings"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                               "AND name LIKE 'geoapp_version_%'").fetchall():
        con.execute(f'DROP TRIGGER "{name}"')
    con.commit()
    con.close()
    assert pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF, load=False).ran == [
        "evaluation", "reclamation", "clusters"]
    assert set(Workspace(ws).layer_versions()) >= {"plots", "enterprises", "ledger"}
    assert pipeline.analyse_workspace(ws, year=2023, as_of=AS_OF, load=False).ran == []
