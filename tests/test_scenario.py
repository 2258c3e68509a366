"""Scenario planner: settings, benchmarks and a hand-checked simulation.

The hand case: 4 plots, 2 modes (vacate, upgrade), 2 years (2026, 2027), one target.
Every number asserted below is worked out in the comments.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis.reclamation import plot_states
from analysis.scenario import (
    ScenarioSettings,
    plot_benchmarks,
    progress_rows,
    ramp,
    simulate,
    yield_benchmarks,
)

# District D, town T. Parks: K (P1, P2, P4) and K2 (P3).
#   plot  mu   tax  output  grade  tax/mu  output/mu
#   P1    15    15    150     D      1       10
#   P2    60    30    600     C      0.5     10
#   P3    15   150   1500     A     10      100
#   P4    30   180   1800     A      6       60
# Totals: 120 mu, tax 375, output 4050 → district 3.125 万元/亩 tax, 33.75 万元/亩 output.
PLOTS = pd.DataFrame({
    "plot_id": ["P1", "P2", "P3", "P4"],
    "area_mu": [15.0, 60.0, 15.0, 30.0],
    "tax_wan": [15.0, 30.0, 150.0, 180.0],
    "output_wan": [150.0, 600.0, 1500.0, 1800.0],
    "grade": ["D", "C", "A", "A"],
    "park_id": ["K", "K", "K2", "K"],
    "town_code": ["T"] * 4,
    "district_code": ["D"] * 4,
})
PLOTS["tax_per_mu"] = PLOTS["tax_wan"] / PLOTS["area_mu"]
PLOTS["output_per_mu"] = PLOTS["output_wan"] / PLOTS["area_mu"]

# The ledger: P4 was reclaimed (by an upgrade) on 30 June 2025, 30 mu.
LEDGER = pd.DataFrame([
    {"plot_id": "P4", "date": "2025-01-10", "stage": "identified"},
    {"plot_id": "P4", "date": "2025-06-30", "stage": "reclaimed", "mode": "upgrade"},
])
AREA = PLOTS.set_index("plot_id")["area_mu"]
STATES = plot_states(LEDGER, as_of=date(2025, 12, 31), area_mu=AREA)

# One target: 100 mu reclaimed in the district from 2025 to the end of 2027.
TARGETS = pd.DataFrame([
    {"scope_type": "district", "scope_id": "D", "year": 2027,
     "metric": "reclaimed_mu_cumulative", "value": 100.0, "since_year": 2025},
])

# vacate: 1 year lead, 50 万元/亩, 80 % re-let, 2-year ramp.
# upgrade: no lead, 100 万元/亩, 1-year ramp, plot ratio doubles (factor 2).
SETTINGS = ScenarioSettings(
    lead_years={"vacate": 1, "upgrade": 0},
    cost_per_mu_wan={"vacate": 50.0, "upgrade": 100.0},
    relet_share={"vacate": 0.8},
    ramp_years={"vacate": 2, "upgrade": 1},
    plot_ratio_factor=2.0,
)

ACTIONS = pd.DataFrame([
    {"plot_id": "P1", "mode": "upgrade", "year": 2026},
    {"plot_id": "P2", "mode": "vacate", "year": 2026},
    {"plot_id": "P4", "mode": "vacate", "year": 2027},   # already reclaimed: skipped
])


@pytest.fixture(scope="module")
def result():
    return simulate(ACTIONS, PLOTS, ledger_states=STATES, targets=TARGETS, settings=SETTINGS,
                    start_year=2026, horizon=2027)


def test_benchmarks_are_the_median_of_a_class_plots():
    b = yield_benchmarks(PLOTS).set_index(["scope_type", "scope_id"])
    # park K: its only A plot is P4 (6, 60); park K2: P3 (10, 100);
    # district D: median of 10 and 6 = 8 tax, of 100 and 60 = 80 output.
    assert b.loc[("park", "K"), "tax_per_mu"] == pytest.approx(6.0)
    assert b.loc[("park", "K2"), "output_per_mu"] == pytest.approx(100.0)
    assert b.loc[("district", "D"), "tax_per_mu"] == pytest.approx(8.0)
    assert b.loc[("district", "D"), "output_per_mu"] == pytest.approx(80.0)
    assert b.loc[("district", "D"), "n_plots"] == 2


def test_plots_without_a_grade_or_park_are_not_benchmarks():
    plots = pd.concat([PLOTS, pd.DataFrame([{
        "plot_id": "P5", "area_mu": 10.0, "tax_wan": 500.0, "output_wan": 1.0, "grade": None,
        "park_id": None, "town_code": "T", "district_code": "D", "tax_per_mu": 50.0,
        "output_per_mu": 0.1}])], ignore_index=True)
    b = yield_benchmarks(plots).set_index(["scope_type", "scope_id"])
    assert b.loc[("district", "D"), "tax_per_mu"] == pytest.approx(8.0)
    assert len(b) == 3


def test_a_park_without_a_class_plots_falls_back_to_the_district():
    plots = PLOTS.assign(park_id=["K", "K9", "K2", "K"]).set_index("plot_id")
    b = plot_benchmarks(plots, yield_benchmarks(plots))
    # P2's park K9 has no A plot: the district's median, 8 万元/亩.
    assert b.loc["P2", "tax_per_mu"] == pytest.approx(8.0)
    assert b.loc["P2", "yield_source"] == "district:D"
    assert b.loc["P1", "yield_source"] == "park:K"
    assert list(b.index) == list(plots.index)
    d = plot_benchmarks(plots, yield_benchmarks(plots), basis="district_benchmark")
    assert (d["yield_source"] == "district:D").all()


def test_ramp_is_linear_to_full_yield():
    k = np.array([-1, 0, 1, 2, 3, 0, 1])
    r = np.array([2, 2, 2, 2, 2, 0, 0])
    assert ramp(k, r).tolist() == [0.0, 0.0, 0.5, 1.0, 1.0, 1.0, 1.0]


def test_hand_case_per_plot(result):
    p = result.plots.set_index("plot_id")
    assert list(p.index) == ["P1", "P2"]
    # P1 upgrade started 2026, lead 0 → reclaimed 2026; cost 15 mu × 100 = 1500;
    # full yield 15 × 2 = 30 tax, 150 × 2 = 300 output; ramp 1 → 2027 is full: 30.
    assert p.loc["P1", "reclaimed_year"] == 2026
    assert p.loc["P1", "cost_wan"] == pytest.approx(1500.0)
    assert p.loc["P1", "tax_before_wan"] == pytest.approx(15.0)
    assert p.loc["P1", "tax_after_wan"] == pytest.approx(30.0)
    assert p.loc["P1", "output_after_wan"] == pytest.approx(300.0)
    assert p.loc["P1", "tax_at_horizon_wan"] == pytest.approx(30.0)
    assert p.loc["P1", "yield_source"] == "plot_ratio"
    # P2 vacate started 2026, lead 1 → reclaimed 2027; cost 60 × 50 = 3000;
    # re-let 60 × 0.8 = 48 mu at park K's benchmark 6 / 60 → 288 tax, 2880 output at full
    # yield (2029, two years after reclaiming); in 2027 (k = 0) it yields nothing.
    assert p.loc["P2", "reclaimed_year"] == 2027
    assert p.loc["P2", "cost_wan"] == pytest.approx(3000.0)
    assert p.loc["P2", "relet_mu"] == pytest.approx(48.0)
    assert p.loc["P2", "tax_after_wan"] == pytest.approx(288.0)
    assert p.loc["P2", "output_after_wan"] == pytest.approx(2880.0)
    assert p.loc["P2", "tax_at_horizon_wan"] == pytest.approx(0.0)
    assert p.loc["P2", "yield_source"] == "park:K"
    # P4 is reclaimed in the ledger: counted once, not a candidate.
    assert result.skipped["plot_id"].tolist() == ["P4"]
    assert "already reclaimed" in result.skipped["reason"].iloc[0]


def test_hand_case_yearly(result):
    y = result.yearly.set_index("year")
    # 2026: both actions start: 1500 + 3000 = 4500; P1 reclaimed (15 mu, 1 plot).
    assert y.loc[2026, "cost_wan"] == pytest.approx(4500.0)
    assert y.loc[2026, "reclaimed_mu"] == pytest.approx(15.0)
    assert y.loc[2026, "reclaimed_plots"] == 1
    # 2027: no cost; P2 reclaimed (60 mu), 48 mu re-let, no project → no investment figure.
    assert y.loc[2027, "cost_wan"] == pytest.approx(0.0)
    assert y.loc[2027, "reclaimed_mu"] == pytest.approx(60.0)
    assert y.loc[2027, "relet_mu"] == pytest.approx(48.0)
    assert np.isnan(y.loc[2027, "investment_intensity"])
    # tax: 2026 = 15 (P1 at k = 0 still yields before) + 30 + 150 + 180 = 375;
    # 2027 = 30 (P1 full) + 0 (P2 vacant) + 150 + 180 = 360.
    assert y.loc[2026, "tax_wan"] == pytest.approx(375.0)
    assert y.loc[2027, "tax_wan"] == pytest.approx(360.0)


def test_hand_case_progress_against_the_one_target(result):
    p = result.progress.set_index("year")
    assert list(p.index) == [2026, 2027]
    # 2026: ledger P4 30 mu (2025 ≥ since 2025) + P1 15 = 45 mu; no target that year.
    assert p.loc[2026, "achieved"] == pytest.approx(45.0)
    assert p.loc[2026, "achieved_ledger"] == pytest.approx(30.0)
    assert np.isnan(p.loc[2026, "target"])
    assert pd.isna(p.loc[2026, "met"])
    # 2027: 45 + P2 60 = 105 of 100 → 105 %, met.
    assert p.loc[2027, "achieved"] == pytest.approx(105.0)
    assert p.loc[2027, "pct"] == pytest.approx(1.05)
    assert bool(p.loc[2027, "met"]) is True


def test_hand_case_district_and_park_efficiency(result):
    e = result.efficiency.set_index(["scope_type", "scope_id", "year"]).sort_index()
    d = e.loc[("district", "D")]
    assert list(d.index) == [2025, 2026, 2027]
    # 2025 (baseline) and 2026: 375 / 120 = 3.125; 2027: 360 / 120 = 3.0.
    assert d.loc[2025, "tax_per_mu"] == pytest.approx(3.125)
    assert d.loc[2026, "tax_per_mu"] == pytest.approx(3.125)
    assert d.loc[2027, "tax_per_mu"] == pytest.approx(3.0)
    # growth: 2026 0 %, 2027 3.0 / 3.125 - 1 = -4 %, against the default +10 %: not met.
    assert d.loc[2026, "tax_per_mu_growth"] == pytest.approx(0.0)
    assert d.loc[2027, "tax_per_mu_growth"] == pytest.approx(-0.04)
    assert d.loc[2027, "tax_per_mu_growth_target"] == pytest.approx(0.10)
    assert not bool(d.loc[2027, "tax_per_mu_target_met"])
    # output: 4050 / 120 = 33.75; 2027: (300 + 0 + 1500 + 1800) / 120 = 30.0, growth -1/9;
    # target +8 %.
    assert d.loc[2027, "output_per_mu"] == pytest.approx(30.0)
    assert d.loc[2027, "output_per_mu_growth"] == pytest.approx(30.0 / 33.75 - 1)
    assert d.loc[2027, "output_per_mu_growth_target"] == pytest.approx(0.08)
    # park K (P1, P2, P4: 105 mu): 2025 (15 + 30 + 180) / 105; 2027 (30 + 0 + 180) / 105 = 2.
    k = e.loc[("park", "K")]
    assert k.loc[2025, "tax_per_mu"] == pytest.approx(225 / 105)
    assert k.loc[2027, "tax_per_mu"] == pytest.approx(2.0)
    assert e.loc[("park", "K2", 2027), "tax_per_mu"] == pytest.approx(10.0)


def test_growth_target_from_the_targets_layer_wins():
    targets = pd.concat([TARGETS, pd.DataFrame([
        {"scope_type": "district", "scope_id": "D", "year": 2027,
         "metric": "tax_per_mu_growth", "value": -0.05}])], ignore_index=True)
    r = simulate(ACTIONS, PLOTS, ledger_states=STATES, targets=targets, settings=SETTINGS,
                 start_year=2026, horizon=2027)
    e = r.efficiency.set_index(["scope_type", "scope_id", "year"]).sort_index()
    d = e.loc[("district", "D", 2027)]
    # -4 % ≥ -5 %: met.
    assert d["tax_per_mu_growth_target"] == pytest.approx(-0.05)
    assert bool(d["tax_per_mu_target_met"]) is True


def test_ramp_beyond_the_reclaimed_year_and_a_named_project():
    projects = pd.DataFrame({"project_id": ["J1"], "tax_per_mu": [10.0], "output_per_mu": [120.0],
                             "investment_per_mu": [500.0]})
    actions = pd.DataFrame([{"plot_id": "P2", "mode": "vacate", "year": 2026,
                             "project_id": "J1"}])
    r = simulate(actions, PLOTS, ledger_states=None, targets=None, settings=SETTINGS,
                 start_year=2026, horizon=2029, projects=projects)
    p = r.plots.iloc[0]
    # 48 mu re-let at J1's contract 10 万元/亩 = 480 at full yield.
    assert p["tax_after_wan"] == pytest.approx(480.0)
    assert p["yield_source"] == "project:J1"
    y = r.yearly.set_index("year")
    # reclaimed 2027; ramp 2: 2028 half (240), 2029 full (480). Other plots: 15 + 150 + 180.
    assert y.loc[2027, "tax_wan"] == pytest.approx(345.0)
    assert y.loc[2028, "tax_wan"] == pytest.approx(345.0 + 240.0)
    assert y.loc[2029, "tax_wan"] == pytest.approx(345.0 + 480.0)
    # investment: 48 mu × 500 = 24 000 万元 in 2027, intensity 500 万元/亩.
    assert y.loc[2027, "investment_wan"] == pytest.approx(24_000.0)
    assert y.loc[2027, "investment_intensity"] == pytest.approx(500.0)
    assert r.progress.empty


def test_progress_rows_fill_years_without_a_target():
    rows = progress_rows(TARGETS, [2025, 2026, 2027])
    assert rows["value"].isna().tolist() == [True, True, False]
    assert rows["since_year"].tolist() == [2025] * 3


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"lead_years": {"vacate": -1}}, "lead_years['vacate'] = -1 is out of range"),
    ({"lead_years": {"vacate": 1.5}}, "whole number from 0 to 20"),
    ({"relet_share": {"lease": 1.2}}, "relet_share['lease'] = 1.2 is out of range"),
    ({"cost_per_mu_wan": {"rent": 1.0}}, "cost_per_mu_wan['rent']: unknown mode"),
    ({"relet_yield": {"upgrade": "park_benchmark"}}, "relet_yield['upgrade']: unknown mode"),
    ({"relet_yield": {"lease": "city"}}, "expected one of ['park_benchmark'"),
    ({"plot_ratio_factor": 0.5}, "plot_ratio_factor = 0.5 is out of range"),
])
def test_settings_name_the_key_and_the_range(kwargs, words):
    with pytest.raises(ValueError, match="scenario setting") as err:
        ScenarioSettings(**kwargs)
    assert words in str(err.value)


def test_settings_keep_defaults_for_modes_left_out():
    s = ScenarioSettings(cost_per_mu_wan={"acquire": 200})
    assert s.cost_per_mu_wan["acquire"] == 200.0
    assert s.cost_per_mu_wan["vacate"] == ScenarioSettings().cost_per_mu_wan["vacate"]
    assert set(s.lead_years) == {"vacate", "acquire", "lease", "codevelop", "upgrade"}


def test_bad_actions_are_one_clear_error():
    actions = pd.DataFrame([
        {"plot_id": "P9", "mode": "vacate", "year": 2026},
        {"plot_id": "P1", "mode": "rent", "year": 2025},
        {"plot_id": "P1", "mode": "vacate", "year": 2026},
    ])
    with pytest.raises(ValueError) as err:
        simulate(actions, PLOTS, ledger_states=None, targets=None, start_year=2026, horizon=2027)
    text = str(err.value)
    assert "unknown plots ['P9']" in text
    assert "unknown modes ['rent']" in text
    assert "more than once ['P1']" in text
    assert "before start_year 2026 on rows [2]" in text


def test_a_geodataframe_of_plots_works_like_a_table():
    from tests.conftest import squares

    geo = squares([100, 200, 100, 150], **{c: PLOTS[c].tolist() for c in PLOTS.columns
                                           if c != "plot_id"})
    r = simulate(ACTIONS, geo, ledger_states=STATES, targets=TARGETS, settings=SETTINGS,
                 start_year=2026, horizon=2027)
    assert r.progress.set_index("year").loc[2027, "achieved"] == pytest.approx(105.0)
    assert "geometry" not in r.plots
