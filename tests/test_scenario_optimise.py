"""Scenario optimiser: equal to brute force, clear about infeasible targets, beats largest-first.

Brute force enumerates every choice of 14 plots × {none, vacate, upgrade} (3^14 = 4 782 969)
by meet-in-the-middle: the 3^7 choices of each half are combined by broadcasting. Costs and
gains are worked out here from the settings, not by the module's own functions.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from analysis.scenario import ScenarioSettings, simulate
from analysis.scenario_optimise import largest_first, optimise

YEAR = 2027
BENCH = pd.DataFrame({"scope_type": ["park", "park"], "scope_id": ["K1", "K2"],
                      "tax_per_mu": [8.0, 5.0], "output_per_mu": [80.0, 50.0]})
SHARE, FACTOR = 0.9, 1.5
M2 = ("vacate", "upgrade")


def instance(seed):
    rng = np.random.default_rng(seed)
    n = 14
    area = np.round(rng.uniform(5, 80, n), 1)
    plots = pd.DataFrame({
        "plot_id": [f"P{i:02d}" for i in range(n)],
        "area_mu": area,
        "tax_wan": np.round(area * rng.uniform(0, 6, n), 1),
        "output_wan": np.round(area * rng.uniform(0, 60, n), 1),
        "grade": "D",
        "park_id": rng.choice(["K1", "K2"], n),
        "town_code": rng.choice(["T1", "T2"], n),
        "district_code": "D",
    })
    cost = {"vacate": float(rng.integers(20, 120)), "upgrade": float(rng.integers(20, 120))}
    settings = ScenarioSettings(lead_years={"vacate": 1, "upgrade": 1}, cost_per_mu_wan=cost,
                                relet_share={"vacate": SHARE}, plot_ratio_factor=FACTOR)
    targets = [{"scope_type": "district", "scope_id": "D", "year": YEAR,
                "metric": "reclaimed_mu", "value": round(area.sum() * rng.uniform(0.2, 0.6))}]
    if rng.random() < 0.5:
        targets.append({"scope_type": "town", "scope_id": "T1", "year": YEAR,
                        "metric": "reclaimed_plots", "value": int(rng.integers(1, 4))})
    kw = {"must_include": (), "must_exclude": (), "town_capacity_mu": None, "budget_wan": None}
    if rng.random() < 0.5:
        t2 = area[plots["town_code"] == "T2"].sum()
        kw["town_capacity_mu"] = {"T2": round(t2 * rng.uniform(0.3, 0.8), 1)}
    if rng.random() < 0.4:
        kw["must_include"] = (plots["plot_id"].iloc[int(rng.integers(n))],)
    ex = plots["plot_id"].iloc[int(rng.integers(n))]
    if ex not in kw["must_include"]:
        kw["must_exclude"] = (ex,)
    cheapest = (area * min(cost.values())).sum()
    budget = round(cheapest * rng.uniform(0.4, 0.9))
    return plots, settings, pd.DataFrame(targets), kw, budget


def brute_force(plots, settings, targets, kw, objective):
    area = plots["area_mu"].to_numpy()
    tax = plots["tax_wan"].to_numpy()
    bench = plots["park_id"].map({"K1": 8.0, "K2": 5.0}).to_numpy()
    c = settings.cost_per_mu_wan
    # option 0: nothing; 1: vacate; 2: upgrade
    cost = np.stack([np.zeros_like(area), area * c["vacate"], area * c["upgrade"]], axis=1)
    gain = np.stack([np.zeros_like(area), area * SHARE * bench - tax, tax * (FACTOR - 1)],
                    axis=1)
    chosen = np.array([0.0, 1.0, 1.0])
    t1 = (plots["town_code"] == "T1").to_numpy()
    t2 = (plots["town_code"] == "T2").to_numpy()
    must = plots["plot_id"].isin(kw["must_include"]).to_numpy()
    excl = plots["plot_id"].isin(kw["must_exclude"]).to_numpy()

    def half(idx):
        choices = np.array(list(itertools.product(range(3), repeat=len(idx))))
        take = chosen[choices]                                    # (k, 7)
        out = {
            "cost": cost[idx][np.arange(len(idx)), choices].sum(1),
            "gain": gain[idx][np.arange(len(idx)), choices].sum(1),
            "mu": (take * area[idx]).sum(1),
            "t1": (take * t1[idx]).sum(1),
            "t2mu": (take * (area * t2)[idx]).sum(1),
            "must": (take * must[idx]).sum(1),
            "excl": (take * excl[idx]).sum(1),
        }
        return out

    a, b = half(np.arange(7)), half(np.arange(7, 14))
    s = {k: a[k][:, None] + b[k][None, :] for k in a}
    ok = (s["excl"] == 0) & (s["must"] == must.sum())
    for t in targets.to_dict("records"):
        if t["metric"] == "reclaimed_mu":
            ok &= s["mu"] >= t["value"] - 1e-9
        else:
            ok &= s["t1"] >= t["value"] - 1e-9
    cap = kw["town_capacity_mu"]
    if cap is not None:
        ok &= s["t2mu"] <= cap["T2"] + 1e-9
    if kw["budget_wan"] is not None:
        ok &= s["cost"] <= kw["budget_wan"] + 1e-9
    if not ok.any():
        return None
    if objective == "min_cost":
        return float(s["cost"][ok].min())
    return float(s["gain"][ok].max())


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("objective", ["min_cost", "max_tax_gain"])
@pytest.mark.parametrize("presolve", [False, True])
def test_optimiser_equals_brute_force(seed, objective, presolve):
    plots, settings, targets, kw, budget = instance(seed)
    if objective == "max_tax_gain" or seed % 3 == 0:
        kw = {**kw, "budget_wan": budget}
    expected = brute_force(plots, settings, targets, kw, objective)
    r = optimise(plots["plot_id"], plots, targets=targets, settings=settings, year=YEAR,
                 objective=objective, benchmarks=BENCH, modes=M2,
                 mip_rel_gap=0.0, presolve=presolve, **kw)
    if expected is None:
        assert r.status == "infeasible"
        assert r.explanation
        assert r.chosen.empty
        return
    assert r.status == "optimal", r.explanation
    assert r.objective_value == pytest.approx(expected, rel=1e-6, abs=1e-6)
    assert r.mip_gap == pytest.approx(0.0, abs=1e-6)
    # the chosen set honours every constraint
    assert r.constraints["slack"].min() >= -1e-6
    assert r.chosen["plot_id"].is_unique
    assert not r.chosen["plot_id"].isin(kw["must_exclude"]).any()
    assert set(kw["must_include"]) <= set(r.chosen["plot_id"])
    assert (r.chosen["year"] == YEAR - 1).all()


def test_some_instances_are_infeasible_and_some_use_every_constraint():
    # the random set exercises both outcomes, so the equality test is not vacuous
    outcomes = []
    for seed in range(20):
        plots, settings, targets, kw, budget = instance(seed)
        outcomes.append(brute_force(plots, settings, targets, {**kw, "budget_wan": budget},
                                    "max_tax_gain") is None)
    assert 0 < sum(outcomes) < 20


# --- infeasible targets are explained -----------------------------------------------------

# Three plots in town T1, one in T2; all 100 万元/亩 by vacate, 50 by upgrade.
SMALL = pd.DataFrame({
    "plot_id": ["A", "B", "C", "D"],
    "area_mu": [40.0, 16.0, 15.0, 30.0],
    "tax_wan": [40.0, 16.0, 15.0, 30.0],
    "output_wan": [400.0, 160.0, 150.0, 300.0],
    "grade": ["D", "D", "D", "A"],
    "park_id": ["K1"] * 4,
    "town_code": ["T1", "T1", "T1", "T2"],
    "district_code": ["D"] * 4,
})
FLAT = ScenarioSettings(lead_years={"vacate": 1, "upgrade": 1},
                        cost_per_mu_wan={"vacate": 100.0, "upgrade": 50.0})


def district_target(value, metric="reclaimed_mu"):
    return pd.DataFrame([{"scope_type": "district", "scope_id": "D", "year": YEAR,
                          "metric": metric, "value": value}])


def test_target_larger_than_every_candidate():
    r = optimise(SMALL["plot_id"], SMALL, targets=district_target(20_000), settings=FLAT,
                 year=YEAR, benchmarks=BENCH, modes=M2)
    assert r.status == "infeasible"
    # 40 + 16 + 15 + 30 = 101 mu of candidates
    assert ("the 20 000 亩 target of district D (reclaimed_mu, 2027) exceeds the 101 亩 of "
            "all 4 candidates in it") in r.explanation
    assert np.isnan(r.objective_value)


def test_plot_count_target_larger_than_the_candidates():
    r = optimise(["A", "B"], SMALL, targets=district_target(3, "reclaimed_plots"),
                 settings=FLAT, year=YEAR, benchmarks=BENCH, modes=M2)
    assert "the 3 plots target of district D" in r.explanation
    assert "exceeds the 2 plots of all 2 candidates" in r.explanation


def test_town_capacity_binds():
    # 90 mu needed; town T1 may reclaim 20 mu a year: at most 20 + 30 (T2) = 50 mu.
    r = optimise(SMALL["plot_id"], SMALL, targets=district_target(90), settings=FLAT,
                 year=YEAR, benchmarks=BENCH, modes=M2, town_capacity_mu={"T1": 20.0})
    assert r.status == "infeasible"
    assert "town T1 (20 亩) allow at most 50 亩" in r.explanation


def test_budget_binds():
    # 90 mu at 50 万元/亩 at best = 4 500 万元 > 3 000.
    r = optimise(SMALL["plot_id"], SMALL, targets=district_target(90), settings=FLAT,
                 year=YEAR, benchmarks=BENCH, modes=M2, budget_wan=3000)
    assert r.status == "infeasible"
    assert "needs at least 4 500 万元" in r.explanation
    assert "the budget is 3 000 万元" in r.explanation


def test_integer_infeasibility_names_the_constraints_that_clash():
    # 50 mu from A (40) and D (30) only, upgrade at 50 万元/亩: the LP bound is 2 500 万元
    # (within 3 000) but any two plots cost 3 500: neither the budget nor the target can go.
    r = optimise(["A", "D"], SMALL, targets=district_target(50), settings=FLAT, year=YEAR,
                 benchmarks=BENCH, modes=M2, budget_wan=3000)
    assert r.status == "infeasible"
    assert "dropping any one of these would make it possible" in r.explanation
    assert "the 50 亩 target of district D" in r.explanation
    assert "the budget of 3 000 万元" in r.explanation


def test_conflicting_must_lists_and_the_ledger():
    r = optimise(SMALL["plot_id"], SMALL, targets=None, settings=FLAT, year=YEAR,
                 benchmarks=BENCH, modes=M2, must_include=["A"], must_exclude=["A"])
    assert r.status == "infeasible"
    assert "both must-include and must-exclude" in r.explanation


def test_ledger_counts_toward_the_target_and_removes_candidates():
    states = pd.DataFrame({"stage": ["reclaimed"], "mode": ["vacate"],
                           "reclaimed_date": [pd.Timestamp("2027-03-01").date()],
                           "reclaimed_mu": [30.0]}, index=pd.Index(["D"], name="plot_id"))
    # 60 mu target, 30 already in the ledger (D): 30 to go from A, B, C at 50 万元/亩:
    # B + C = 31 mu → 1 550 万元 (A alone: 40 mu → 2 000).
    r = optimise(SMALL["plot_id"], SMALL, targets=district_target(60), settings=FLAT,
                 year=YEAR, benchmarks=BENCH, modes=M2, ledger_states=states)
    assert r.status == "optimal"
    assert sorted(r.chosen["plot_id"]) == ["B", "C"]
    assert r.objective_value == pytest.approx(1550.0)
    assert (r.chosen["mode"] == "upgrade").all()
    assert any("already reclaimed" in n for n in r.notes)


def test_optimiser_beats_largest_first():
    # 30 mu without D: largest first takes A (40 mu × 50 = 2 000 万元); the optimiser B + C
    # (31 mu, 1 550 万元) — 450 万元 cheaper.
    kw = {"targets": district_target(30), "settings": FLAT, "year": YEAR, "benchmarks": BENCH,
          "modes": M2, "must_exclude": ["D"]}
    best = optimise(SMALL["plot_id"], SMALL, **kw)
    base = largest_first(SMALL["plot_id"], SMALL, **kw)
    assert base.status == "met"
    assert base.chosen["plot_id"].tolist() == ["A"]
    assert base.objective_value == pytest.approx(2000.0)
    assert best.objective_value == pytest.approx(1550.0)
    assert best.constraints.set_index("name").loc["district D reclaimed_mu 2027", "value"] \
        == pytest.approx(31.0)


def test_largest_first_reports_a_shortfall():
    r = largest_first(SMALL["plot_id"], SMALL, targets=district_target(90), settings=FLAT,
                      year=YEAR, benchmarks=BENCH, modes=M2, town_capacity_mu=20.0)
    # T1 capacity 20: A (40), B (16)... only B fits in T1 (16 ≤ 20), C would make 31 > 20;
    # T2 capacity 20 < D's 30. Reaches 16 of 90.
    assert r.status == "not_met"
    assert "reaches 16 of 90" in r.explanation
    assert r.chosen["plot_id"].tolist() == ["B"]


def test_max_tax_gain_within_budget():
    # gains: vacate = area × 0.9 × 8 (park K1) − tax = 6.2 × area; upgrade = tax × (2 − 1)
    # = area (tax is 1 万元/亩). Budget 4 000: vacate at 100/mu → 40 mu. Best: A vacate
    # (40 mu, 4 000 万元, gain 248) vs B + C vacate (31 mu, 3 100, gain 192.2) + ... upgrade
    # at 50/mu of D? 3 100 + 1 500 > 4 000. B vacate + C vacate + nothing = 192.2;
    # A vacate = 248 is the best (every 万元 on vacate gives 0.062, on upgrade 0.02).
    r = optimise(SMALL["plot_id"], SMALL, targets=None, settings=FLAT, year=YEAR,
                 benchmarks=BENCH, modes=M2, objective="max_tax_gain", budget_wan=4000,
                 mip_rel_gap=0.0)
    assert r.status == "optimal"
    assert r.chosen["plot_id"].tolist() == ["A"]
    assert r.objective_value == pytest.approx(248.0)
    # district land 101 mu → 亩均税收 +248 / 101
    assert r.tax_per_mu_gain == pytest.approx(248.0 / 101.0)


def test_chosen_actions_feed_simulate():
    r = optimise(SMALL["plot_id"], SMALL, targets=district_target(30), settings=FLAT,
                 year=YEAR, benchmarks=BENCH, modes=M2)
    sim = simulate(r.actions, SMALL, ledger_states=None, targets=district_target(30),
                   benchmarks=BENCH, settings=FLAT, start_year=YEAR - 1, horizon=YEAR)
    # the cheapest 30 mu is D alone (30 mu upgraded at 50 万元/亩 = 1 500 万元, from 2026)
    assert r.actions.to_dict("records") == [{"plot_id": "D", "mode": "upgrade", "year": 2026}]
    p = sim.progress.set_index("year")
    assert p.loc[YEAR, "achieved"] == pytest.approx(30.0)
    assert bool(p.loc[YEAR, "met"])
    assert sim.yearly.set_index("year").loc[YEAR - 1, "cost_wan"] == pytest.approx(1500.0)


def test_cumulative_target_counts_the_ledger_since_its_year():
    states = pd.DataFrame({"stage": ["reclaimed"], "mode": ["vacate"],
                           "reclaimed_date": [pd.Timestamp("2025-05-01").date()],
                           "reclaimed_mu": [30.0]}, index=pd.Index(["D"], name="plot_id"))
    targets = pd.DataFrame([{"scope_type": "district", "scope_id": "D", "year": YEAR,
                             "metric": "reclaimed_mu_cumulative", "value": 45.0,
                             "since_year": 2025}])
    # 45 - 30 (D, 2025) = 15 mu to go: C (15 mu) upgraded, 750 万元.
    r = optimise(SMALL["plot_id"], SMALL, targets=targets, settings=FLAT, year=YEAR,
                 benchmarks=BENCH, modes=M2, ledger_states=states)
    assert r.chosen["plot_id"].tolist() == ["C"]
    assert r.objective_value == pytest.approx(750.0)
    # counted from 2026 instead, D does not count: 45 mu from A, B, C → B + C + ... = A + C
    # (55 mu, 2 750) or A + B (56, 2 800) or B + C (31) too little: A + C at 2 750.
    r = optimise(SMALL["plot_id"], SMALL, targets=targets.assign(since_year=2026),
                 settings=FLAT, year=YEAR, benchmarks=BENCH, modes=M2, ledger_states=states)
    assert sorted(r.chosen["plot_id"]) == ["A", "C"]
    assert r.objective_value == pytest.approx(2750.0)


def test_earliest_start_rules_out_modes_that_would_start_in_the_past():
    settings = ScenarioSettings(lead_years={"vacate": 0, "upgrade": 1},
                                cost_per_mu_wan={"vacate": 100.0, "upgrade": 50.0})
    # upgrade would have to start in 2026: only vacate (100 万元/亩) remains; D 30 mu = 3 000.
    r = optimise(SMALL["plot_id"], SMALL, targets=district_target(30), settings=settings,
                 year=YEAR, benchmarks=BENCH, modes=M2, earliest_start=YEAR)
    assert r.actions.to_dict("records") == [{"plot_id": "D", "mode": "vacate", "year": YEAR}]
    assert r.objective_value == pytest.approx(3000.0)
    assert any("start before 2027" in n for n in r.notes)
