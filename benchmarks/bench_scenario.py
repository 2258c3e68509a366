"""Benchmark of the scenario planner on synthetic data (no real enterprise or plot).

Run: ``.venv/bin/python benchmarks/bench_scenario.py [--plots 100000] [--candidates 50000]``

SYNTHETIC: a district of ``--plots`` plots (12 towns, 40 parks; areas log-normal around
25 亩; 亩均税收 log-normal; grades A 20 % / B 40 % / C 35 % / D 5 %) of which the
``--candidates`` lowest-tax plots stand in for the demo's low-efficiency list; 5 % of them are
already reclaimed in a synthetic ledger. Targets: district 亩 and plot counts per year,
a cumulative district target, 亩 per town.

Each step runs in its own process so that its peak memory (``ru_maxrss``, which includes the
~200 MB of the interpreter, pandas and scipy) is its own:

- ``simulate``: every candidate in a scenario (random mode, start 2026–2030), horizon 2032;
- ``optimise min_cost``: the 2027 targets (district 亩 and plots, 亩 per town) from all
  candidates, two random modes allowed per plot (MILP, HiGHS), with town capacities;
  ``largest_first`` on the same problem, for the saving;
- ``optimise max_tax_gain``: the largest tax gain within a 2027 budget;
- ``optimise infeasible``: a target above every candidate (explained, no solve).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.scenario import MODES, ScenarioSettings, simulate
from analysis.scenario_optimise import largest_first, optimise

STEPS = ("simulate", "optimise_min_cost", "optimise_max_tax_gain", "optimise_infeasible")
YEAR = 2027


def synthetic(n_plots: int, n_candidates: int, seed: int = 20261204):
    rng = np.random.default_rng(seed)
    towns = np.array([f"3101135{i:02d}" for i in range(12)])
    parks = np.array([f"K{i:02d}" for i in range(40)])
    town = towns[rng.integers(0, 12, n_plots)]
    park = np.where(rng.random(n_plots) < 0.8, parks[rng.integers(0, 40, n_plots)], None)
    area = np.round(rng.lognormal(np.log(25), 0.8, n_plots), 2)
    tax_per_mu = rng.lognormal(np.log(12), 1.0, n_plots)
    plots = pd.DataFrame({
        "plot_id": [f"S{i:06d}" for i in range(n_plots)],
        "area_mu": area,
        "tax_wan": np.round(area * tax_per_mu, 1),
        "output_wan": np.round(area * tax_per_mu * rng.uniform(8, 15, n_plots), 1),
        "grade": rng.choice(["A", "B", "C", "D"], n_plots, p=[0.2, 0.4, 0.35, 0.05]),
        "park_id": park,
        "town_code": town,
        "district_code": "310113",
    })
    candidates = plots.nsmallest(n_candidates, "tax_wan")["plot_id"].reset_index(drop=True)
    done = candidates.sample(frac=0.05, random_state=1)
    ledger = pd.DataFrame({
        "plot_id": done.to_numpy(), "date": "2025-06-30", "stage": "reclaimed",
        "mode": rng.choice(list(MODES), len(done)),
    })
    cand_mu = plots.set_index("plot_id").loc[candidates, "area_mu"]
    total = float(cand_mu.sum())
    rows = []
    for y in range(2026, 2033):
        rows.append(("district", "310113", y, "reclaimed_mu", round(total * 0.08), None))
        rows.append(("district", "310113", y, "reclaimed_plots", round(n_candidates * 0.02),
                     None))
        for t in towns:
            rows.append(("town", t, y, "reclaimed_mu", round(total * 0.08 / 24), None))
    rows.append(("district", "310113", 2030, "reclaimed_mu_cumulative", round(total * 0.4),
                 2025))
    targets = pd.DataFrame(rows, columns=["scope_type", "scope_id", "year", "metric", "value",
                                          "since_year"])
    return plots, candidates, ledger, targets, total


def states_of(ledger, plots):
    from analysis.reclamation import plot_states
    return plot_states(ledger, as_of=date(2025, 12, 31),
                       area_mu=plots.set_index("plot_id")["area_mu"])


def run_step(step: str, n_plots: int, n_candidates: int) -> dict:
    plots, candidates, ledger, targets, total = synthetic(n_plots, n_candidates)
    states = states_of(ledger, plots)
    settings = ScenarioSettings()
    rng = np.random.default_rng(7)
    out = {"step": step, "plots": n_plots, "candidates": n_candidates}
    start = time.perf_counter()
    if step == "simulate":
        actions = pd.DataFrame({"plot_id": candidates, "mode": rng.choice(list(MODES),
                                len(candidates)), "year": rng.integers(2026, 2031,
                                len(candidates))})
        r = simulate(actions, plots, ledger_states=states, targets=targets, settings=settings,
                     start_year=2026, horizon=2032)
        out["seconds"] = time.perf_counter() - start
        out["detail"] = (f"{len(r.plots)} actions, {len(r.skipped)} skipped, "
                         f"{len(r.progress)} progress rows, {len(r.efficiency)} efficiency rows")
    elif step == "optimise_min_cost":
        cap = round(total * 0.08 / 12 * 1.5)
        kw = {"targets": targets, "settings": settings, "year": YEAR, "ledger_states": states,
              "town_capacity_mu": cap}
        # not every mode fits every plot: two modes allowed per candidate (long form)
        allowed = pd.DataFrame({"plot_id": np.repeat(candidates.to_numpy(), 2),
                                "mode": np.concatenate([rng.choice(list(MODES), 2, replace=False)
                                                        for _ in range(len(candidates))])})
        start = time.perf_counter()
        r = optimise(allowed, plots, objective="min_cost", time_limit_s=120, **kw)
        out["seconds"] = time.perf_counter() - start
        t0 = time.perf_counter()
        base = largest_first(allowed, plots, **kw)
        out["largest_first_seconds"] = time.perf_counter() - t0
        saving = base.objective_value - r.objective_value
        out["detail"] = (f"{r.status}, {len(r.chosen)} plots, {r.reclaimed_mu:,.0f} mu, "
                         f"cost {r.objective_value:,.0f} wan, gap {r.mip_gap:.1e}; largest-first"
                         f" {base.status} {base.objective_value:,.0f} wan "
                         f"(optimiser {saving / base.objective_value:.1%} cheaper)")
    elif step == "optimise_max_tax_gain":
        budget = round(total * 0.08 * 60)
        r = optimise(candidates, plots, targets=None, settings=settings, year=YEAR,
                     ledger_states=states, objective="max_tax_gain", budget_wan=budget,
                     time_limit_s=120)
        out["seconds"] = time.perf_counter() - start
        out["detail"] = (f"{r.status}, {len(r.chosen)} plots, gain {r.objective_value:,.0f} "
                         f"wan/yr (+{r.tax_per_mu_gain:.3f} wan/mu), cost {r.cost_wan:,.0f} of "
                         f"{budget:,} wan, gap {r.mip_gap:.1e}")
    elif step == "optimise_infeasible":
        big = targets.assign(value=np.where(targets["scope_type"] == "district",
                                            targets["value"] * 20, targets["value"]))
        r = optimise(candidates, plots, targets=big, settings=settings, year=YEAR,
                     ledger_states=states)
        out["seconds"] = time.perf_counter() - start
        out["detail"] = f"{r.status}: {r.explanation[:110]}"
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=100_000)
    parser.add_argument("--candidates", type=int, default=50_000)
    parser.add_argument("--step", choices=STEPS)
    args = parser.parse_args(argv)
    if args.step:
        print(json.dumps(run_step(args.step, args.plots, args.candidates)))
        return 0
    print(f"SYNTHETIC data: {args.plots:,} plots, {args.candidates:,} candidates")
    print(f"{'step':<24}{'seconds':>9}{'peak MB':>9}  detail")
    for step in STEPS:
        proc = subprocess.run([sys.executable, __file__, "--step", step, "--plots",
                               str(args.plots), "--candidates", str(args.candidates)],
                              capture_output=True, text=True, check=False)
        if proc.returncode:
            print(f"{step:<24} failed\n{proc.stderr[-2000:]}")
            return 1
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{step:<24}{r['seconds']:>9.1f}{r['peak_mb']:>9.0f}  {r['detail']}")
        if "largest_first_seconds" in r:
            print(f"{'  largest_first':<24}{r['largest_first_seconds']:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
