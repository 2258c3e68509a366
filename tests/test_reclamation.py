"""Reclamation ledger rules and progress against targets, on hand-built ledgers.

Plots (conftest squares): P1 100 m = 15 mu, P2 200 m = 60 mu, P3 100 m = 15 mu, P4 100 m = 15 mu.
Every number below is worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from analysis.reclamation import (
    NONE_GROUP,
    burnup,
    check_events,
    days_since_event,
    is_correction,
    parse_date,
    plot_states,
    progress_breakdown,
    reclamation_progress,
    stalled,
    target_period,
    unique_problems,
)
from geoapp.outputs import output_files
from geoapp.settings import Settings
from geoapp.stages import evaluation
from geoapp.stages import reclamation as stage
from layers.crs import STORE_CRS, WORK_CRS
from layers.errors import Problem
from tests.conftest import squares

AREA = pd.Series({"P1": 15.0, "P2": 60.0, "P3": 15.0, "P4": 15.0}, name="area_mu")


def ledger(*events):
    cols = ["plot_id", "date", "stage", "mode", "reclaimed_mu", "note"]
    rows = [dict(zip(cols, e, strict=False)) for e in events]
    return pd.DataFrame(rows, columns=cols)


# A Baoshan-like ledger: P2 reclaimed on the last day of 2022, P4 on the last day of 2023,
# P3 on the first day of 2024.
LEDGER = ledger(
    ("P1", "2023-01-10", "identified"),
    ("P1", "2023-03-01", "in_progress", "vacate"),
    ("P1", "2023-05-20", "reclaimed"),                       # 15 mu (plot area), mode from 03-01
    ("P2", "2022-11-01", "identified"),
    ("P2", "2022-12-31", "reclaimed", "acquire", 50.0),      # 50 of 60 mu, counts for 2022
    ("P3", "2023-06-01", "in_progress", "lease"),
    ("P3", "2024-01-01", "reclaimed"),                       # 15 mu, counts for 2024
    ("P4", "2023-12-31", "reclaimed", "upgrade", 10.0),      # 10 mu, counts for 2023
)
SCOPES = pd.DataFrame(
    {"district_code": ["310113"] * 4, "town_code": ["T1", "T1", "T2", "T2"],
     "park_id": ["A", None, None, "A"]},
    index=pd.Index(["P1", "P2", "P3", "P4"], name="plot_id"),
)
TARGETS = pd.DataFrame([
    {"scope_type": "district", "scope_id": "310113", "year": 2023, "metric": "reclaimed_mu",
     "value": 2000.0},
    {"scope_type": "district", "scope_id": "310113", "year": 2023, "metric": "reclaimed_plots",
     "value": 100.0},
    {"scope_type": "district", "scope_id": "310113", "year": 2027,
     "metric": "reclaimed_mu_cumulative", "value": 5000.0, "since_year": 2022},
    {"scope_type": "district", "scope_id": "310113", "year": 2023,
     "metric": "tax_per_mu_growth", "value": 0.10},
])


def progress_at(as_of, targets=TARGETS, events=LEDGER, scopes=SCOPES):
    states = plot_states(events, as_of=as_of, area_mu=AREA)
    out = reclamation_progress(targets, states, scopes, as_of=as_of)
    return out.set_index("metric")


# --------------------------------------------------------------------------- progress numbers


def test_progress_mid_year():
    # 1 Jan .. 1 Jul 2023 inclusive = 31+28+31+30+31+30+1 = 182 of 365 days
    p = progress_at(date(2023, 7, 1))
    mu = p.loc["reclaimed_mu"]
    assert mu["achieved"] == 15.0  # only P1 (P2 was 2022, P4 not yet)
    assert mu["pct"] == pytest.approx(0.0075)  # a fraction: 0.75 %
    assert mu["elapsed_fraction"] == pytest.approx(182 / 365)
    assert mu["expected_by_date"] == pytest.approx(2000 * 182 / 365)  # 997.26
    assert mu["forecast"] == pytest.approx(15 * 365 / 182)  # 30.08
    plots = p.loc["reclaimed_plots"]
    assert plots["achieved"] == 1.0
    assert plots["expected_by_date"] == pytest.approx(100 * 182 / 365)
    # cumulative since 2022: P2 50 + P1 15; 365 + 182 = 547 of 2191 days (2022..2027, 2024 leap)
    cum = p.loc["reclaimed_mu_cumulative"]
    assert cum["achieved"] == 65.0
    assert cum["expected_by_date"] == pytest.approx(5000 * 547 / 2191)
    assert cum["forecast"] == pytest.approx(65 * 2191 / 547)
    assert cum["since_year"] == 2022
    assert "tax_per_mu_growth" not in p.index  # growth targets belong to the evaluation


def test_year_boundary():
    # 31 Dec 2023 counts for 2023; 1 Jan 2024 does not, and the 2022 plot never does
    end = progress_at(date(2023, 12, 31)).loc["reclaimed_mu"]
    assert end["achieved"] == 25.0  # P1 15 + P4 10
    assert end["expected_by_date"] == pytest.approx(2000.0)
    assert end["forecast"] == pytest.approx(25.0)  # the year is over: forecast = achieved
    later = progress_at(date(2024, 3, 1)).loc["reclaimed_mu"]
    assert later["achieved"] == 25.0  # P3's 1 Jan 2024 is not 2023's
    next_year = pd.DataFrame([{"scope_type": "district", "scope_id": "310113", "year": 2024,
                               "metric": "reclaimed_plots", "value": 10.0}])
    p24 = progress_at(date(2024, 3, 1), targets=next_year).loc["reclaimed_plots"]
    assert p24["achieved"] == 1.0  # P3 only
    # 1 Jan .. 1 Mar 2024 = 31 + 29 + 1 = 61 of 366 days
    assert p24["expected_by_date"] == pytest.approx(10 * 61 / 366)
    # the day before the year starts: nothing elapsed, no forecast
    before = progress_at(date(2023, 12, 31), targets=next_year).loc["reclaimed_plots"]
    assert before["achieved"] == 0.0 and before["expected_by_date"] == 0.0
    assert pd.isna(before["forecast"])


def test_events_after_as_of_are_ignored():
    # As of 30 Dec 2023, P4 (31 Dec) is not yet reclaimed
    p = progress_at(date(2023, 12, 30)).loc["reclaimed_mu"]
    assert p["achieved"] == 15.0


def test_progress_by_scope_and_names():
    targets = pd.DataFrame([
        {"scope_type": "town", "scope_id": "T2", "year": 2023, "metric": "reclaimed_mu",
         "value": 100.0},
        {"scope_type": "park", "scope_id": "A", "year": 2023, "metric": "reclaimed_plots",
         "value": 4.0},
        {"scope_type": "park", "scope_id": "B", "year": 2023, "metric": "reclaimed_plots",
         "value": 4.0},
    ])
    states = plot_states(LEDGER, as_of=date(2023, 12, 31), area_mu=AREA)
    out = reclamation_progress(targets, states, SCOPES, as_of=date(2023, 12, 31),
                               names={("town", "T2"): "罗店镇"})
    assert out["achieved"].tolist() == [10.0, 2.0, 0.0]  # T2: P4; park A: P1, P4; B: none
    assert out["pct"].tolist() == [0.1, 0.5, 0.0]
    assert out["scope_name"].tolist() == ["罗店镇", "", ""]
    no_towns = reclamation_progress(targets.iloc[:1], states, SCOPES.drop(columns="town_code"),
                                    as_of=date(2023, 12, 31))
    assert no_towns["achieved"].iloc[0] == 0.0
    assert "town_code" in no_towns["note"].iloc[0]


def test_cumulative_without_since_year_counts_everything_before_the_end():
    targets = pd.DataFrame([{"scope_type": "district", "scope_id": "310113", "year": 2027,
                             "metric": "reclaimed_mu_cumulative", "value": 5000.0}])
    p = progress_at(date(2024, 3, 1), targets=targets).loc["reclaimed_mu_cumulative"]
    assert p["achieved"] == 50 + 15 + 15 + 10
    assert pd.isna(p["expected_by_date"]) and pd.isna(p["forecast"])
    assert "since_year" in p["note"]


def test_breakdown_by_mode_town_park_sums_to_achieved():
    states = plot_states(LEDGER, as_of=date(2023, 12, 31), area_mu=AREA)
    out = progress_breakdown(TARGETS.iloc[:1], states, SCOPES, as_of=date(2023, 12, 31))
    got = {(r.group, r.group_id): r.achieved for r in out.itertuples()}
    assert got == {("mode", "upgrade"): 10.0, ("mode", "vacate"): 15.0,
                   ("town", "T1"): 15.0, ("town", "T2"): 10.0, ("park", "A"): 25.0}
    for _, part in out.groupby("group"):
        assert part["achieved"].sum() == 25.0
    # a plot outside every park goes to the "(none)" group
    states24 = plot_states(LEDGER, as_of=date(2024, 3, 1), area_mu=AREA)
    cum = progress_breakdown(TARGETS.iloc[2:3], states24, SCOPES, as_of=date(2024, 3, 1))
    parks = cum[cum["group"] == "park"].set_index("group_id")["achieved"]
    assert parks.to_dict() == {NONE_GROUP: 65.0, "A": 25.0}  # P2 50 + P3 15; P1 15 + P4 10


def test_burnup_series():
    states = plot_states(LEDGER, as_of=date(2023, 7, 1), area_mu=AREA)
    rec = TARGETS.iloc[0].to_dict()
    b = burnup(rec, states, SCOPES, as_of=date(2023, 7, 1)).set_index("date")
    assert list(b.index) == [date(2022, 12, 31), date(2023, 1, 1), date(2023, 5, 20),
                             date(2023, 7, 1), date(2023, 12, 31)]
    assert b.loc[date(2023, 5, 20), "achieved"] == 15.0
    assert b.loc[date(2023, 1, 1), "achieved"] == 0.0
    assert pd.isna(b.loc[date(2023, 12, 31), "achieved"])  # the future is not drawn
    assert b.loc[date(2023, 12, 31), "schedule"] == pytest.approx(2000.0)
    assert b.loc[date(2023, 7, 1), "schedule"] == pytest.approx(2000 * 182 / 365)


def test_target_period():
    assert target_period("reclaimed_mu", 2023).start == date(2023, 1, 1)
    cum = target_period("reclaimed_mu_cumulative", 2027, 2023)
    assert (cum.start, cum.end) == (date(2023, 1, 1), date(2027, 12, 31))
    assert cum.elapsed_fraction(date(2022, 6, 1)) == 0.0
    assert cum.elapsed_fraction(date(2030, 1, 1)) == 1.0


# --------------------------------------------------------------------------- plot states


def test_state_is_latest_event_and_mu_rules():
    events = ledger(
        ("P2", "2023-02-01", "reclaimed", "acquire", 40.0),
        ("P2", "2023-09-01", "reused"),                   # no mu: the 40 stands
        ("P1", "2023-04-01", "identified"),
        ("P1", "2023-04-01", "in_progress", "lease"),     # same day: recording order decides
    )
    s = plot_states(events, area_mu=AREA)
    assert s.loc["P2", "stage"] == "reused"
    assert s.loc["P2", "reclaimed_date"] == date(2023, 2, 1)  # first reclaimed event
    assert s.loc["P2", "reclaimed_mu"] == 40.0
    assert s.loc["P1", "stage"] == "in_progress"
    assert pd.isna(s.loc["P1", "reclaimed_mu"])
    assert s.loc["P1", "n_events"] == 2
    assert s.index.tolist() == ["P1", "P2"]


def test_corrections_restate_mu_and_can_undo_a_reclaimed_stage():
    events = ledger(
        ("P1", "2023-03-01", "reclaimed", "vacate", 15.0),
        ("P1", "2023-08-01", "reclaimed", None, 12.0, "更正: 实测 12 亩"),
        ("P2", "2023-03-01", "reclaimed", "acquire"),
        ("P2", "2023-04-01", "in_progress", None, None, "更正：误报, 尚在谈判"),
        ("P2", "2023-09-15", "reclaimed", "lease"),
    )
    s = plot_states(events, area_mu=AREA)
    assert s.loc["P1", "reclaimed_mu"] == 12.0
    assert s.loc["P1", "reclaimed_date"] == date(2023, 3, 1)
    assert bool(s.loc["P1", "corrected"])
    assert s.loc["P2", "reclaimed_date"] == date(2023, 9, 15)  # the March one was void
    assert s.loc["P2", "mode"] == "lease"
    assert s.loc["P2", "reclaimed_mu"] == 60.0  # whole plot
    # as of June, P2 is back in progress and not counted
    june = plot_states(events, as_of=date(2023, 6, 30), area_mu=AREA)
    assert june.loc["P2", "stage"] == "in_progress"
    assert june.loc["P2", "reclaimed_date"] is None or pd.isna(june.loc["P2", "reclaimed_date"])
    assert june.loc["P1", "reclaimed_mu"] == 15.0  # the correction comes later
    targets = TARGETS.iloc[:1]
    assert reclamation_progress(targets, june, SCOPES, as_of=date(2023, 6, 30))[
        "achieved"].iloc[0] == 15.0
    dec = plot_states(events, as_of=date(2023, 12, 31), area_mu=AREA)
    assert reclamation_progress(targets, dec, SCOPES, as_of=date(2023, 12, 31))[
        "achieved"].iloc[0] == 12.0 + 60.0


def test_stalled_detection():
    events = ledger(
        ("P1", "2023-06-01", "in_progress", "lease"),
        ("P2", "2023-01-01", "reclaimed", "vacate"),   # reclaimed long ago: never stalled
        ("P3", "2023-06-02", "identified"),
    )
    s = plot_states(events)
    # 1 Jun + 180 days = 28 Nov (29 + 31 + 31 + 30 + 31 + 28)
    result = stalled(s, as_of=date(2023, 11, 28))
    assert result.name == "stalled"
    assert result.index.equals(s.index)
    assert result.to_dict() == {"P1": True, "P2": False, "P3": False}
    assert not stalled(s, as_of=date(2023, 11, 27))["P1"]
    assert stalled(s, as_of=date(2023, 11, 28), days=179)["P3"]
    waited = days_since_event(s, as_of=date(2023, 11, 28))
    assert waited.to_dict() == {"P1": 180, "P2": 331, "P3": 179}


def test_plot_states_skips_unreadable_rows_and_handles_empty():
    events = ledger(("P1", "not a date", "identified"), ("P1", "2023-01-01", "bogus"),
                    ("P1", "2023-02-01", "identified"))
    s = plot_states(events)
    assert s.loc["P1", "n_events"] == 1
    empty = plot_states(ledger())
    assert len(empty) == 0 and "stage" in empty.columns


# --------------------------------------------------------------------------- validation


def problems(existing, *new, today=date(2024, 3, 1)):
    return check_events(existing, ledger(*new), AREA, today=today)


def test_check_accepts_forward_repeat_and_backfill():
    assert problems(LEDGER, ("P3", "2024-02-01", "reused", None, None, "导入项目")) == []
    # repeating the current stage is a progress update
    assert problems(LEDGER, ("P1", "2023-06-01", "reclaimed", None, None, "补充进展")) == []
    # backfilling an in-between step keeps the timeline forward
    assert problems(LEDGER, ("P1", "2023-04-01", "in_progress")) == []
    # mode given at in_progress carries to reclaimed
    assert problems(ledger(("P4", "2023-01-01", "in_progress", "lease")),
                    ("P4", "2023-02-01", "reclaimed")) == []


def test_check_forward_only():
    found = problems(LEDGER, ("P1", "2023-06-01", "in_progress"))
    assert [(p.row, p.key, p.column) for p in found] == [(1, "P1", "stage")]
    assert "forward only" in found[0].message and "reclaimed" in found[0].message
    # a new event dated before a recorded later one that it would overtake
    found = problems(LEDGER, ("P3", "2023-05-01", "reclaimed", "lease"))
    assert [(p.row, p.column) for p in found] == [(1, "date")]
    # within one batch, the second row steps back behind the first
    found = problems(ledger(), ("P4", "2023-01-01", "reclaimed", "vacate"),
                     ("P4", "2023-02-01", "identified"))
    assert [(p.row, p.column) for p in found] == [(2, "stage")]


def test_check_correction_may_step_back():
    note = "更正: 误报, 尚在谈判"
    assert is_correction(note) and is_correction("Correction: typo")
    assert not is_correction("已更正") and not is_correction(None)
    assert problems(LEDGER, ("P1", "2023-06-01", "in_progress", None, None, note)) == []
    # after the correction the plot may be reclaimed again
    fixed = pd.concat([LEDGER, ledger(("P1", "2023-06-01", "in_progress", None, None, note))],
                      ignore_index=True)
    assert problems(fixed, ("P1", "2023-08-01", "reclaimed")) == []


def test_check_reports_every_problem_with_row_plot_and_column():
    found = problems(
        LEDGER,
        ("P1", "2023-06-01", "reclaimed"),                          # fine (mode inherited)
        ("PX", "2030-01-01", "foo", "bar", "abc"),
        ("P2", "2023/13/01", "reclaimed", "acquire", 61.0),
        ("P4", "2023-05-01", "reclaimed", None, 0.0),
        (None, None, None),
        ("P3", "2023-07-01", "reclaimed", None, 15.1),               # within 1 % of 15 mu
    )
    where = {(p.row, p.column) for p in found}
    assert where == {
        (2, "plot_id"), (2, "date"), (2, "stage"), (2, "mode"), (2, "reclaimed_mu"),
        (3, "date"), (3, "reclaimed_mu"),
        (4, "reclaimed_mu"), (4, "mode"),
        (5, "plot_id"), (5, "date"), (5, "stage"),
    }
    msg = {(p.row, p.column): p.message for p in found}
    assert "unknown plot 'PX'" in msg[(2, "plot_id")]
    assert "future" in msg[(2, "date")]
    assert "larger than the plot (60.00 mu)" in msg[(3, "reclaimed_mu")]
    assert "positive" in msg[(4, "reclaimed_mu")]
    assert "mode is required" in msg[(4, "mode")]
    assert all(p.layer == "ledger" for p in found)
    assert {p.key for p in found if p.row == 3} == {"P2"}


def test_parse_date_forms():
    assert parse_date("2023-6-1") == date(2023, 6, 1)
    assert parse_date("2023/06/01") == date(2023, 6, 1)
    assert parse_date("2023年6月1日") == date(2023, 6, 1)
    assert parse_date(pd.Timestamp("2023-06-01")) == date(2023, 6, 1)
    assert parse_date("2023-06-01 00:00:00") == date(2023, 6, 1)
    assert parse_date(None) is None and parse_date(float("nan")) is None
    assert parse_date("") is None
    with pytest.raises(ValueError, match=r"does not exist"):
        parse_date("2023-02-30")
    with pytest.raises(ValueError, match=r"YYYY-MM-DD"):
        parse_date("June 2023")


# --------------------------------------------------------------------------- the stage


def stage_layers():
    plots = squares([100, 200, 100, 100], land_use=["M1"] * 4, status=["in_use"] * 4)
    parks = gpd.GeoDataFrame(
        {"park_id": ["A"], "name": ["示例园区(合成)"], "district_code": ["310113"],
         "level": ["district"], "lead_industries": ["biomed"]},
        geometry=[squares([100], origin=(349_990.0, 3_469_990.0)).to_crs(WORK_CRS)
                  .geometry.iloc[0].buffer(20)],
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    districts = gpd.GeoDataFrame(
        {"code": ["310113"], "name": ["宝山区"]},
        geometry=[plots.to_crs(WORK_CRS).union_all().envelope.buffer(500)], crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    projects = gpd.GeoDataFrame(
        {"project_id": ["X1", "X2"], "name": ["项目一(合成)", "项目二(合成)"],
         "stage": ["started", "signed"], "investment_wan": [30000.0, 6000.0],
         "park_id": [None, "A"], "plot_id": [None, "P3"], "land_mu": [None, None]},
        geometry=[Point(350_050, 3_470_050), Point(350_450, 3_470_050)],  # in P1, in P3
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    targets = TARGETS.copy()
    targets.loc[len(targets)] = {"scope_type": "park", "scope_id": "A", "year": 2023,
                                 "metric": "reclaimed_plots", "value": 2.0}
    return {"plots": plots, "ledger": LEDGER, "targets": targets, "parks": parks,
            "districts": districts, "projects": projects}


def evaluation_of(layers, **changes):
    """The real evaluation of the test layers, with some of its tables replaced."""
    return dataclasses.replace(evaluation.run(layers, year=2023), **changes)


def test_stage_outputs_and_summary():
    layers = stage_layers()
    low = pd.DataFrame({"plot_id": ["P1", "P3", "P9"], "reasons": ["tax", "tax", "output"],
                        "tax_wan": [1.0, 2.0, 3.0]})
    res = stage.run(layers, year=2023, as_of=date(2023, 12, 31),
                    evaluation=evaluation_of(layers, low_efficiency=low))
    files = output_files({"reclamation": res})
    prog = files["reclamation_progress.csv"].set_index(["scope_type", "metric"])
    assert prog.loc[("district", "reclaimed_mu"), "achieved"] == 25.0
    assert prog.loc[("district", "reclaimed_mu"), "scope_name"] == "宝山区"
    assert prog.loc[("park", "reclaimed_plots"), "achieved"] == 1.0  # only P1 lies in park A
    lp = files["ledger_plots.geojson"].set_index("plot_id")
    assert lp.crs.to_epsg() == 4326
    assert lp.loc["P3", "stage"] == "in_progress" and lp.loc["P3", "stalled"]  # 213 days
    assert lp.loc["P4", "reclaimed_mu"] == 10.0 and lp.loc["P4", "stage_zh"] == "已盘活"
    assert lp.loc["P1", "mode_zh"] == "低效腾退"
    assert lp["on_low_efficiency_list"].to_dict() == {"P1": True, "P2": False, "P3": True,
                                                      "P4": False}
    assert files["low_efficiency_not_in_ledger.csv"]["plot_id"].tolist() == ["P9"]
    assert "tax_wan" not in files["low_efficiency_not_in_ledger.csv"].columns
    pj = files["projects.geojson"].set_index("project_id")
    # X1 stands on P1 (reclaimed), located into park A; X2 is on P3 (in progress)
    assert pj.loc["X1", "on_reclaimed_land"] and pj.loc["X1", "reclaimed_plot_id"] == "P1"
    assert not pj.loc["X2", "on_reclaimed_land"]
    assert pj.loc["X1", "park_id"] == "A" and pj.loc["X1", "park_located"]
    assert pj.loc["X2", "investment_intensity"] == pytest.approx(6000 / 15, rel=1e-6)
    # X1 has no land and no plot: no intensity; park A = 6000 / 15 from X2 alone
    assert pd.isna(pj.loc["X1", "investment_intensity"])
    assert pj.loc["X2", "park_investment_intensity"] == pytest.approx(400.0, rel=1e-6)
    pngs = [k for k in files if k.endswith(".png")]
    assert "burnup_district-310113_reclaimed_mu_2023.png" in pngs
    assert "burnup_district-310113_reclaimed_mu_cumulative_2027.png" in pngs
    assert all(files[k][:8] == b"\x89PNG\r\n\x1a\n" for k in pngs)
    s = res.summary
    assert s["as_of"] == "2023-12-31"
    assert s["low_efficiency_not_in_ledger"] == 1
    assert s["stalled_plots"] == 1
    head = {(h["metric"], h["scope_id"]): h for h in s["progress"]}
    assert head[("reclaimed_mu", "310113")]["achieved"] == 25.0
    assert head[("reclaimed_mu", "310113")]["target"] == 2000.0
    assert any("宝山区" in line for line in s["headline"])


def test_stage_takes_plot_areas_from_the_evaluation():
    layers = stage_layers()
    # the evaluation's area (a register area, say) is used as it is, not measured again
    ev = evaluation_of(layers)
    plots = ev.plots.copy()
    plots["area_mu"] = plots["plot_id"].map({"P1": 18.0, "P2": 60.0, "P3": 15.0, "P4": 15.0})
    res = stage.run(layers, year=2023, as_of=date(2023, 12, 31),
                    evaluation=dataclasses.replace(ev, plots=plots))
    lp = res.ledger_plots.set_index("plot_id")
    assert lp.loc["P1", "area_mu"] == 18.0
    assert lp.loc["P1", "reclaimed_mu"] == 18.0  # reclaimed whole: its (register) area
    json.dumps(res.summary, allow_nan=False)


def test_unique_problems_keep_one_per_cell_and_every_rowless_one():
    found = [Problem("ledger", "a", row=2, column="date"),
             Problem("ledger", "b", row=2, column="date"),
             Problem("ledger", "c", row=2, column="stage"),
             Problem("ledger", "missing columns: date"),
             Problem("ledger", "missing columns: stage")]
    assert [p.message for p in unique_problems(found)] == [
        "a", "c", "missing columns: date", "missing columns: stage"]


def test_stage_without_ledger_or_targets():
    layers = stage_layers()
    layers["ledger"] = ledger()
    layers.pop("targets")
    layers.pop("projects")
    res = stage.run(layers, year=2023, as_of=date(2023, 6, 30), evaluation=evaluation_of(layers))
    assert len(res.progress) == 0
    assert len(res.ledger_plots) == 0
    assert res.burnups == {}
    assert res.summary["ledger_plots"] == 0


def test_stage_settings_and_as_of():
    settings = Settings.from_dict({"reclamation": {"stalled_days": 30}})
    assert settings.reclamation.stalled_days == 30
    with pytest.raises(ValueError, match=r"did you mean reclamation.stalled_days"):
        Settings.from_dict({"reclamation": {"stall_days": 30}})
    assert stage.as_of_date(None, 2023, today=date(2024, 5, 1)) == date(2023, 12, 31)
    assert stage.as_of_date(None, 2024, today=date(2024, 5, 1)) == date(2024, 5, 1)
    assert stage.as_of_date(date(2024, 2, 1), 2024) == date(2024, 2, 1)


def test_burnup_png_in_both_languages():
    from geoapp.charts import burnup_png

    states = plot_states(LEDGER, as_of=date(2023, 7, 1), area_mu=AREA)
    series = burnup(TARGETS.iloc[0].to_dict(), states, SCOPES, as_of=date(2023, 7, 1))
    for lang in ("en", "zh"):
        png = burnup_png(series, target=2000.0, title_zh="宝山区 2023 盘活面积",
                         title_en="district 310113 2023 reclaimed_mu", unit_zh="亩",
                         unit_en="mu", as_of=date(2023, 7, 1), lang=lang)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert png[16:24] == (800).to_bytes(4, "big") + (450).to_bytes(4, "big")  # IHDR w, h


def test_a_chart_in_a_one_weight_cjk_font_says_nothing_about_its_weight():
    """WenQuanYi Zen Hei has weight 500 only; matplotlib said so on stderr for every chart
    (four lines in the output of ``geoapp analyze``). A fresh process: the font lookup is
    cached per process."""
    import subprocess
    import sys

    from geoapp.charts import cjk_font

    if cjk_font() is None:
        pytest.skip("no CJK font installed (scripts/ensure_fonts.sh installs one)")
    code = ("import pandas as pd; from datetime import date; from geoapp.charts import burnup_png;"
            "s = pd.DataFrame({'date': pd.to_datetime(['2023-01-01', '2023-06-30']),"
            " 'achieved': [0.0, 800.0], 'schedule': [0.0, 1000.0]});"
            "png = burnup_png(s, target=2000.0, title_zh='宝山区', title_en='Baoshan',"
            " unit_zh='亩', unit_en='mu', as_of=date(2023, 7, 1), lang='zh');"
            "print(png[:4] == b'\\x89PNG')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"
    assert "findfont" not in done.stderr
