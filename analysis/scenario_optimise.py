"""Choosing a scenario: which plots to reclaim in a year, by which mode (盘活方案优选).

:func:`optimise` solves a 0/1 programme with :func:`scipy.optimize.milp` (HiGHS): one binary
per candidate plot × mode, at most one mode per plot, such that the plots reclaimed in
``year`` meet that year's reclamation targets (亩 and plot counts, annual and cumulative, per
district, town and park, after what the ledger already counts), within a budget and per-town
capacities, at the least cost — or with the largest 亩均税收 gain. A plot's mode decides its
start year (``year - lead_years[mode]``), cost and yield (:func:`analysis.scenario.
action_yields`). :func:`largest_first` is the baseline a planner would do by hand.

When no choice satisfies every constraint, the result says which constraint cannot be met in
plain language instead of raising: first by arithmetic (a target larger than every candidate,
or than the towns' capacities allow, a budget below the cheapest way to meet a target), else
by re-solving without each group of constraints in turn and naming those whose removal makes
the problem feasible.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from analysis.reclamation import SCOPE_COLUMNS, reclamation_progress
from analysis.scenario import (
    MODES,
    ScenarioSettings,
    _indexed,
    _reclaimed_states,
    action_yields,
    already_reclaimed,
    yield_benchmarks,
)

OBJECTIVES: tuple[str, ...] = ("min_cost", "max_tax_gain")

_METRIC_UNITS = {"reclaimed_mu": "亩", "reclaimed_mu_cumulative": "亩", "reclaimed_plots": "plots"}
_STATUS = {0: "optimal", 1: "time_limit", 2: "infeasible", 3: "unbounded", 4: "error"}


@dataclass
class OptimisationResult:
    """
    The plots and modes chosen for one year, and how good the choice is.

    Attributes
    ----------
    status
        ``"optimal"``; ``"feasible"`` (time limit reached with a solution, see ``mip_gap``);
        ``"infeasible"`` (see ``explanation``); ``"time_limit"`` (no solution found in time);
        ``"error"``. :func:`largest_first` gives ``"met"`` or ``"not_met"``.
    method
        ``"milp"`` or ``"largest_first"``.
    objective
        ``"min_cost"`` (value in 万元) or ``"max_tax_gain"`` (value: yearly tax gain at full
        yield, 万元).
    objective_value
        Value of the chosen set (NaN without a solution).
    mip_gap
        Relative gap between the solution and the solver's bound (0 when proven optimal;
        NaN without a solution or for the heuristic).
    chosen
        One row per chosen plot: ``plot_id, mode, year`` (start), ``reclaimed_year``,
        ``area_mu, cost_wan, tax_before_wan, tax_after_wan, tax_gain_wan``, scope columns.
    constraints
        One row per constraint: ``name, kind`` (``target``, ``capacity``, ``budget``),
        ``bound`` (what must be reached, or not exceeded), ``value`` (the chosen set's),
        ``slack`` and ``binding`` (slack within 1e-6 of the bound).
    explanation
        Plain language: why there is no solution, or what the heuristic missed ("" when
        every constraint is met).
    tax_per_mu_gain
        Gain of the district's 亩均税收 (万元/亩): tax gain over every plot's land.
    notes
        Remarks (candidates left out because already reclaimed, …).
    runtime_s
        Wall-clock seconds.
    """

    status: str
    method: str
    objective: str
    objective_value: float
    mip_gap: float
    chosen: pd.DataFrame
    constraints: pd.DataFrame
    explanation: str = ""
    tax_per_mu_gain: float = float("nan")
    notes: list[str] = field(default_factory=list)
    runtime_s: float = 0.0

    @property
    def actions(self) -> pd.DataFrame:
        """The chosen set as scenario actions (``plot_id, mode, year``) for :func:`simulate`."""
        return self.chosen[["plot_id", "mode", "year"]].reset_index(drop=True)

    @property
    def cost_wan(self) -> float:
        """Total cost of the chosen set (万元)."""
        return float(self.chosen["cost_wan"].sum())

    @property
    def reclaimed_mu(self) -> float:
        """Land the chosen set reclaims (亩)."""
        return float(self.chosen["area_mu"].sum())


@dataclass
class _Constraint:
    name: str
    kind: str  # target, capacity, budget, must_include
    index: np.ndarray  # pair positions
    coef: np.ndarray
    lb: float
    ub: float
    text: str = ""
    unit: str = ""


@dataclass
class _Problem:
    pairs: pd.DataFrame
    constraints: list[_Constraint]
    must: np.ndarray  # plot positions that must take one mode
    plot_of_pair: np.ndarray
    n_plots: int
    plot_ids: np.ndarray
    explanation: str
    notes: list[str]
    land_mu: float


def _candidate_pairs(candidates, modes: Sequence[str]) -> pd.DataFrame:
    if isinstance(candidates, pd.DataFrame):
        frame = candidates
    else:
        frame = pd.DataFrame({"plot_id": list(candidates)})
    frame = frame.assign(plot_id=frame["plot_id"].astype(str))
    if "mode" in frame:
        return frame[["plot_id", "mode"]].drop_duplicates().reset_index(drop=True)
    ids = frame["plot_id"].drop_duplicates()
    return pd.DataFrame({"plot_id": np.repeat(ids.to_numpy(), len(modes)),
                         "mode": np.tile(list(modes), len(ids))})


def _fmt(x: float) -> str:
    return f"{x:,.0f}".replace(",", " ") if abs(x - round(x)) < 1e-9 or abs(x) >= 100 \
        else f"{x:,.1f}".replace(",", " ")


def _build(
    candidates, plots, *, targets, settings, year, objective, budget_wan, must_include,
    must_exclude, town_capacity_mu, benchmarks, ledger_states, earliest_start, modes,
) -> _Problem:
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r}: expected one of {list(OBJECTIVES)}")
    plots = _indexed(plots)
    settings = settings or ScenarioSettings()
    if benchmarks is None:
        benchmarks = yield_benchmarks(plots, grade=settings.benchmark_grade)
    notes: list[str] = []
    explanations: list[str] = []
    pairs = _candidate_pairs(candidates, modes)
    unknown = sorted(set(pairs["plot_id"]) - set(plots.index))
    if unknown:
        raise ValueError(f"candidates: unknown plots {unknown[:10]}")
    bad_modes = sorted(set(pairs["mode"].astype(str)) - set(MODES))
    if bad_modes:
        raise ValueError(f"candidates: unknown modes {bad_modes}: expected one of {list(MODES)}")
    done = set(already_reclaimed(ledger_states))
    must_include = [str(p) for p in must_include]
    must_exclude = {str(p) for p in must_exclude}
    both = sorted(set(must_include) & must_exclude)
    if both:
        explanations.append(f"plots {both} are both must-include and must-exclude")
    n_done = pairs["plot_id"].isin(done)
    if n_done.any():
        notes.append(f"{pairs.loc[n_done, 'plot_id'].nunique()} candidates are already "
                     "reclaimed in the ledger and are left out")
    pairs = pairs[~n_done & ~pairs["plot_id"].isin(must_exclude)]
    pairs = pairs.assign(year=year - pairs["mode"].map(settings.lead_years).astype("int64"))
    if earliest_start is not None:
        early = pairs["year"] < earliest_start
        if early.any():
            notes.append(f"{int(early.sum())} plot × mode choices would have to start before "
                         f"{earliest_start} and are left out")
        pairs = pairs[~early]
    pairs = pairs.reset_index(drop=True)
    for p in must_include:
        if p in done:
            explanations.append(f"must-include plot {p} is already reclaimed in the ledger")
        elif p not in set(pairs["plot_id"]) and p not in must_exclude:
            explanations.append(f"must-include plot {p} has no mode it can take: not a "
                                "candidate, or every mode would start too early")
    y = action_yields(pairs, plots, benchmarks=benchmarks, settings=settings)
    pairs = pd.concat([pairs, y[["reclaimed_year", "area_mu", "cost_wan", "tax_before_wan",
                                 "tax_after_wan"]]], axis=1)
    pairs["tax_gain_wan"] = pairs["tax_after_wan"] - pairs["tax_before_wan"]
    pairs = pairs[_undominated(pairs, objective)].reset_index(drop=True)
    for c in SCOPE_COLUMNS.values():
        if c in plots:
            pairs[c] = plots[c].reindex(pairs["plot_id"]).astype("string").to_numpy()
    plot_ids, plot_of_pair = np.unique(pairs["plot_id"].to_numpy(dtype=str), return_inverse=True)
    mu = pairs["area_mu"].to_numpy(dtype="float64")
    constraints: list[_Constraint] = []
    everything = np.arange(len(pairs))

    # targets of the year, after what the ledger already counts
    scopes = plots[[c for c in SCOPE_COLUMNS.values() if c in plots]]
    rows = _year_targets(targets, year)
    if len(rows):
        real = _reclaimed_states(ledger_states)
        got = reclamation_progress(rows, real, scopes, as_of=date(year, 12, 31))
        for rec, achieved in zip(rows.to_dict("records"), got["achieved"], strict=True):
            metric, value = str(rec["metric"]), float(rec["value"])
            need = value - float(achieved)
            column = SCOPE_COLUMNS[str(rec["scope_type"])]
            inside = (pairs[column] == str(rec["scope_id"])).fillna(False).to_numpy(bool) \
                if column in pairs else np.zeros(len(pairs), bool)
            coef = np.ones(len(pairs)) if metric == "reclaimed_plots" else mu
            unit = _METRIC_UNITS[metric]
            name = f"{rec['scope_type']} {rec['scope_id']} {metric} {year}"
            if need <= 1e-9:
                notes.append(f"{name}: already met by the ledger ({_fmt(float(achieved))} of "
                             f"{_fmt(value)} {unit})")
                continue
            text = (f"the {_fmt(value)} {unit} target of {rec['scope_type']} {rec['scope_id']}"
                    f" ({metric}, {year}")
            if achieved > 0:
                text += f"; {_fmt(float(achieved))} already in the ledger, {_fmt(need)} to go"
            text += ")"
            constraints.append(_Constraint(name, "target", everything[inside], coef[inside],
                                           need, np.inf, text, unit))

    # town capacity per year
    if town_capacity_mu is not None and "town_code" in pairs:
        towns = pairs["town_code"].dropna().unique()
        caps = dict.fromkeys(map(str, towns), float(town_capacity_mu)) \
            if np.isscalar(town_capacity_mu) \
            else {str(k): float(v) for k, v in dict(town_capacity_mu).items()}
        for town, cap in sorted(caps.items()):
            inside = (pairs["town_code"] == town).fillna(False).to_numpy(bool)
            if inside.any():
                constraints.append(_Constraint(
                    f"town {town} capacity", "capacity", everything[inside], mu[inside],
                    -np.inf, float(cap), f"town {town} capacity ({_fmt(float(cap))} 亩 a year)"))
    if budget_wan is not None:
        constraints.append(_Constraint(
            "budget", "budget", everything, pairs["cost_wan"].to_numpy(dtype="float64"),
            -np.inf, float(budget_wan), f"the budget of {_fmt(float(budget_wan))} 万元"))
    must = np.flatnonzero(np.isin(plot_ids, must_include))
    if len(must):
        in_must = np.isin(plot_of_pair, must)
        constraints.append(_Constraint(
            "must_include", "must_include", everything[in_must], np.ones(int(in_must.sum())),
            float(len(must)), np.inf, f"the {len(must)} must-include plots"))
    land = float(pd.to_numeric(plots["area_mu"], errors="coerce").sum())
    problem = _Problem(pairs, constraints, must, plot_of_pair, len(plot_ids), plot_ids, "",
                       notes, land)
    explanations += _arithmetic_explanations(problem)
    problem.explanation = "; ".join(explanations)
    return problem


def _undominated(pairs: pd.DataFrame, objective: str) -> np.ndarray:
    """
    Drop the modes of a plot that another of its modes beats: an exact reduction.

    Every mode of a plot reclaims the same land in the same year, so it counts the same
    toward every target and capacity; only cost (and, for ``max_tax_gain``, gain) differ.
    For ``min_cost`` a plot's cheapest mode is enough (ties: the plan's order of modes); for
    ``max_tax_gain`` the modes on its cost/gain frontier (a mode is kept only if it gains
    more than every cheaper or equally cheap mode listed before it).
    """
    if len(pairs) == 0:
        return np.zeros(0, bool)
    frame = pd.DataFrame({"plot": pairs["plot_id"].to_numpy(),
                          "cost": pairs["cost_wan"].to_numpy(),
                          "gain": pairs["tax_gain_wan"].to_numpy(),
                          "order": pairs["mode"].map(MODES.index).to_numpy()})
    frame = frame.sort_values(["plot", "cost", "gain", "order"],
                              ascending=[True, True, False, True])
    if objective == "min_cost":
        keep = ~frame["plot"].duplicated()
    else:
        best = frame.groupby("plot", sort=False)["gain"].cummax()
        before = best.groupby(frame["plot"], sort=False).shift(1)
        keep = before.isna() | (frame["gain"] > before)
    out = np.zeros(len(pairs), bool)
    out[frame.index[keep.to_numpy()]] = True
    return out


def _year_targets(targets: pd.DataFrame | None, year: int) -> pd.DataFrame:
    if targets is None or len(targets) == 0:
        return pd.DataFrame(columns=["scope_type", "scope_id", "year", "metric", "value"])
    keep = targets["metric"].astype(str).isin(_METRIC_UNITS) \
        & (pd.to_numeric(targets["year"], errors="coerce") == year)
    return targets[keep].reset_index(drop=True)


def _arithmetic_explanations(problem: _Problem) -> list[str]:
    """Constraints that cannot be met, found by arithmetic alone (each a sufficient proof)."""
    out = []
    pairs = problem.pairs
    # per plot: land, cheapest cost
    plot_mu = np.zeros(problem.n_plots)
    plot_mu[problem.plot_of_pair] = pairs["area_mu"].to_numpy()
    cost = pairs["cost_wan"].to_numpy()
    cheapest = np.full(problem.n_plots, np.inf)
    np.minimum.at(cheapest, problem.plot_of_pair, cost)
    town = np.full(problem.n_plots, "", dtype=object)
    if "town_code" in pairs:
        town[problem.plot_of_pair] = pairs["town_code"].fillna("").astype(str).to_numpy()
    caps = {c.name.removeprefix("town ").removesuffix(" capacity"): c.ub
            for c in problem.constraints if c.kind == "capacity"}
    budget = next((c.ub for c in problem.constraints if c.kind == "budget"), np.inf)
    must_cost = float(cheapest[problem.must].sum()) if len(problem.must) else 0.0
    if must_cost > budget + 1e-6:
        out.append(f"the must-include plots cost at least {_fmt(must_cost)} 万元 (cheapest "
                   f"modes) but {_budget_text(budget)}")
    for t, cap in caps.items():
        inside = problem.must[town[problem.must] == t]
        need = float(plot_mu[inside].sum())
        if need > cap + 1e-6:
            out.append(f"the must-include plots of town {t} ({_fmt(need)} 亩) exceed town {t} "
                       f"capacity ({_fmt(cap)} 亩 a year)")
    for c in problem.constraints:
        if c.kind != "target":
            continue
        plots_in = np.unique(problem.plot_of_pair[c.index])
        unit = c.unit
        per_plot = np.ones(len(plots_in)) if unit == "plots" else plot_mu[plots_in]
        total = float(per_plot.sum())
        if total < c.lb - 1e-6:
            out.append(f"{c.text} exceeds the {_fmt(total)} {unit} of all {_fmt(len(plots_in))} "
                       "candidates in it")
            continue
        if caps:
            t_in = town[plots_in]
            capped = 0.0
            binding = []
            for t in pd.unique(t_in):
                sel = per_plot[t_in == t]
                if t not in caps:
                    capped += float(sel.sum())
                    continue
                most = _most_under_cap(sel, plot_mu[plots_in][t_in == t], caps[t])
                if most < sel.sum() - 1e-6:
                    binding.append(str(t))
                capped += most
            if capped < c.lb - 1e-6:
                names = ", ".join(f"town {t} ({_fmt(caps[t])} 亩)" for t in binding)
                out.append(f"{c.text} cannot be met within the towns' yearly capacities: "
                           f"{names} allow at most {_fmt(capped)} {unit} of its candidates")
                continue
        if np.isfinite(budget):
            least = _least_cost(per_plot, cheapest[plots_in], c.lb)
            if least > budget + 1e-6:
                out.append(f"{c.text} needs at least {_fmt(least)} 万元 (cheapest modes, "
                           f"cheapest per {unit} first) but {_budget_text(budget)}")
    return out


def _budget_text(budget: float) -> str:
    return f"the budget is {_fmt(budget)} 万元"


def _most_under_cap(amount: np.ndarray, mu: np.ndarray, cap: float) -> float:
    """An upper bound on the amount a town's candidates give within its capacity (LP bound)."""
    order = np.argsort(-(amount / np.where(mu > 0, mu, 1e-12)))
    used, got = 0.0, 0.0
    for i in order:
        if mu[i] <= 0:
            got += amount[i]
            continue
        take = min(1.0, (cap - used) / mu[i])
        if take <= 0:
            break
        used += take * mu[i]
        got += take * amount[i]
    return got


def _least_cost(amount: np.ndarray, cost: np.ndarray, need: float) -> float:
    """A lower bound on the cost of reaching ``need`` (fractional knapsack, LP bound)."""
    order = np.argsort(cost / np.where(amount > 0, amount, 1e-12))
    got, spent = 0.0, 0.0
    for i in order:
        if got >= need - 1e-9:
            break
        if amount[i] <= 0:
            continue
        take = min(1.0, (need - got) / amount[i])
        got += take * amount[i]
        spent += take * cost[i]
    return spent


def _matrix(problem: _Problem, skip: set[str] = frozenset()):
    """The constraint rows and the variables' bounds.

    A plot with several modes gets a row "at most one mode" (exactly one when it must be
    included); a plot with one mode needs no row: its variable's bounds say it (lower bound 1
    when it must be included).
    """
    n = len(problem.pairs)
    must = np.zeros(problem.n_plots, bool)
    if "must_include" not in skip:
        must[problem.must] = True
    per_plot = np.bincount(problem.plot_of_pair, minlength=problem.n_plots)
    shared = per_plot[problem.plot_of_pair] > 1
    low = np.where(~shared & must[problem.plot_of_pair], 1.0, 0.0)
    # rows for plots with several modes, numbered 0..k-1
    several = np.flatnonzero(per_plot > 1)
    row_of_plot = np.full(problem.n_plots, -1)
    row_of_plot[several] = np.arange(len(several))
    rows = [row_of_plot[problem.plot_of_pair[shared]]]
    cols = [np.flatnonzero(shared)]
    vals = [np.ones(int(shared.sum()))]
    lbs = [must[several].astype(float)]
    ubs = [np.ones(len(several))]
    r = len(several)
    for c in problem.constraints:
        if c.name in skip or c.kind == "must_include":
            continue
        rows.append(np.full(len(c.index), r))
        cols.append(c.index)
        vals.append(c.coef)
        lbs.append([c.lb])
        ubs.append([c.ub])
        r += 1
    a = sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(r, n))
    return LinearConstraint(a, np.concatenate(lbs), np.concatenate(ubs)), Bounds(low, 1.0)


def _solve(problem: _Problem, c: np.ndarray, *, skip=frozenset(), time_limit_s: float,
           mip_rel_gap: float, presolve: bool = False):
    n = len(problem.pairs)
    if n == 0:
        return None
    constraints, bounds = _matrix(problem, set(skip))
    if constraints.A.shape[0] == 0:
        constraints = None
    return milp(c, integrality=np.ones(n), bounds=bounds, constraints=constraints,
                options={"time_limit": time_limit_s, "mip_rel_gap": mip_rel_gap,
                         "presolve": presolve, "disp": False})


def _feasible_without(problem: _Problem, time_limit_s: float) -> str:
    """Name the constraint groups whose removal alone makes the problem feasible.

    One feasibility solve per group, all within ``time_limit_s`` together.
    """
    deadline = time.perf_counter() + time_limit_s
    freeing, tried = [], 0
    zero = np.zeros(len(problem.pairs))
    for c in problem.constraints:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        tried += 1
        res = _solve(problem, zero, skip={c.name}, time_limit_s=left, mip_rel_gap=1.0)
        if res is not None and res.x is not None:
            freeing.append(c.text)
    unchecked = "" if tried == len(problem.constraints) else \
        f" (time allowed checking {tried} of {len(problem.constraints)} constraints)"
    if freeing:
        return ("no choice meets every constraint; dropping any one of these would make it "
                "possible: " + "; ".join(freeing) + unchecked)
    return ("no choice meets every constraint, and no single constraint is to blame"
            + unchecked + ": together " + "; ".join(c.text for c in problem.constraints)
            + " cannot all hold")


def _result(problem, x, *, status, method, objective, mip_gap, explanation, start) -> \
        OptimisationResult:
    pairs = problem.pairs
    pick = np.zeros(len(pairs), bool) if x is None else np.asarray(x) > 0.5
    chosen = pairs[pick].reset_index(drop=True)
    table = []
    for c in problem.constraints:
        value = float((c.coef * pick[c.index]).sum())
        bound = c.lb if np.isfinite(c.lb) else c.ub
        slack = value - c.lb if np.isfinite(c.lb) else c.ub - value
        table.append({"name": c.name, "kind": c.kind, "bound": bound, "value": value,
                      "slack": slack, "binding": abs(slack) <= 1e-6 * max(1.0, abs(bound))})
    constraints = pd.DataFrame(table, columns=["name", "kind", "bound", "value", "slack",
                                               "binding"])
    gain = float(chosen["tax_gain_wan"].sum())
    value = float(chosen["cost_wan"].sum()) if objective == "min_cost" else gain
    if x is None:
        value = float("nan")
    return OptimisationResult(
        status=status, method=method, objective=objective, objective_value=value,
        mip_gap=mip_gap, chosen=chosen, constraints=constraints, explanation=explanation,
        tax_per_mu_gain=gain / problem.land_mu if problem.land_mu > 0 else float("nan"),
        notes=problem.notes, runtime_s=time.perf_counter() - start)


def optimise(
    candidates: pd.DataFrame | Sequence[str],
    plots: pd.DataFrame,
    *,
    targets: pd.DataFrame | None,
    settings: ScenarioSettings | None = None,
    year: int,
    objective: str = "min_cost",
    budget_wan: float | None = None,
    must_include: Sequence[str] = (),
    must_exclude: Sequence[str] = (),
    town_capacity_mu: float | dict[str, float] | None = None,
    benchmarks: pd.DataFrame | None = None,
    ledger_states: pd.DataFrame | None = None,
    earliest_start: int | None = None,
    modes: Sequence[str] = MODES,
    time_limit_s: float = 60.0,
    mip_rel_gap: float = 1e-4,
    presolve: bool = False,
) -> OptimisationResult:
    """
    Choose the plots to reclaim in ``year`` and their modes, with a MILP (HiGHS).

    Parameters
    ----------
    candidates
        ``plot_id`` (every mode of ``modes`` allowed) or ``plot_id, mode`` rows (the allowed
        pairs), or a list of plot ids.
    plots
        Every evaluated plot (as for :func:`analysis.scenario.simulate`).
    targets
        The targets layer: its ``reclaimed_mu``, ``reclaimed_plots`` and
        ``reclaimed_mu_cumulative`` rows of ``year`` must be met (None: no target).
    settings
        The per-mode assumptions (lead time, cost, yields).
    year
        The year the chosen plots are reclaimed; each starts ``lead_years[mode]`` earlier.
    objective
        ``"min_cost"`` (least total cost) or ``"max_tax_gain"`` (largest yearly tax gain at
        full yield, i.e. the largest gain of the district's 亩均税收, land being fixed).
    budget_wan
        Upper limit of the chosen set's total cost (万元), or None.
    must_include, must_exclude
        Plots that must (must not) be chosen.
    town_capacity_mu
        The most land (亩) a town can reclaim in the year: one number for every town, or
        ``{town_code: mu}`` (towns left out are unlimited).
    benchmarks
        As :func:`analysis.scenario.yield_benchmarks` (None: from ``plots``).
    ledger_states
        :func:`analysis.reclamation.plot_states`: reclaimed plots are not candidates, and what
        they count toward the year's targets is subtracted.
    earliest_start
        Modes whose start year would fall before this are not allowed (e.g. this year).
    modes
        Modes allowed when ``candidates`` has no ``mode`` column.
    time_limit_s, mip_rel_gap
        Solver limits: the solver stops at the time limit or when the gap to its bound is
        below ``mip_rel_gap`` (HiGHS's default, 1e-4).
    presolve
        HiGHS presolve. Off by default: on these models (long knapsack rows) it took 68 s of
        a 69 s solve at 50 000 candidates (min_cost) and over 4 minutes, ignoring the time
        limit, for max_tax_gain; without it they take about 1 s and 23 s.

    Returns
    -------
    OptimisationResult
        Never raises for an infeasible problem: ``status == "infeasible"`` and
        ``explanation`` says which constraint cannot be met.

    Raises
    ------
    ValueError
        For unknown plots, modes or objective.
    """
    start = time.perf_counter()
    problem = _build(candidates, plots, targets=targets, settings=settings, year=year,
                     objective=objective, budget_wan=budget_wan, must_include=must_include,
                     must_exclude=must_exclude, town_capacity_mu=town_capacity_mu,
                     benchmarks=benchmarks, ledger_states=ledger_states,
                     earliest_start=earliest_start, modes=modes)
    kw = {"status": "infeasible", "method": "milp", "objective": objective,
          "mip_gap": float("nan"), "start": start}
    if problem.explanation:
        return _result(problem, None, explanation=problem.explanation, **kw)
    pairs = problem.pairs
    if len(pairs) == 0:
        if any(c.kind == "target" for c in problem.constraints):
            return _result(problem, None, explanation="there are no candidates", **kw)
        return _result(problem, np.zeros(0), explanation="",
                       **{**kw, "status": "optimal", "mip_gap": 0.0})
    if objective == "min_cost":
        c = pairs["cost_wan"].to_numpy(dtype="float64")
    else:
        c = -pairs["tax_gain_wan"].to_numpy(dtype="float64")
    res = _solve(problem, c, time_limit_s=time_limit_s, mip_rel_gap=mip_rel_gap,
                 presolve=presolve)
    status = _STATUS.get(res.status, "error")
    if res.x is None:
        if status == "infeasible":
            explanation = _feasible_without(problem, time_limit_s)
        else:
            explanation = f"the solver stopped without a solution: {res.message}"
        return _result(problem, None, explanation=explanation, **{**kw, "status": status})
    gap = float(getattr(res, "mip_gap", np.nan))
    if status == "time_limit":
        status = "feasible"
    return _result(problem, res.x, explanation="",
                   **{**kw, "status": status, "mip_gap": gap})


def largest_first(
    candidates: pd.DataFrame | Sequence[str],
    plots: pd.DataFrame,
    *,
    targets: pd.DataFrame | None,
    settings: ScenarioSettings | None = None,
    year: int,
    budget_wan: float | None = None,
    must_include: Sequence[str] = (),
    must_exclude: Sequence[str] = (),
    town_capacity_mu: float | dict[str, float] | None = None,
    benchmarks: pd.DataFrame | None = None,
    ledger_states: pd.DataFrame | None = None,
    earliest_start: int | None = None,
    modes: Sequence[str] = MODES,
) -> OptimisationResult:
    """
    The by-hand baseline: take the largest plots first, each in its cheapest mode.

    Must-include plots are taken first; then plots by decreasing ``area_mu`` (ties by
    ``plot_id``), skipping one that would break a town capacity or the budget, until every
    target of ``year`` is met. Parameters as :func:`optimise`; the objective reported is the
    cost (万元).

    Returns
    -------
    OptimisationResult
        ``method == "largest_first"``; ``status`` ``"met"`` or ``"not_met"`` (with the
        shortfall in ``explanation``).
    """
    start = time.perf_counter()
    problem = _build(candidates, plots, targets=targets, settings=settings, year=year,
                     objective="min_cost", budget_wan=budget_wan, must_include=must_include,
                     must_exclude=must_exclude, town_capacity_mu=town_capacity_mu,
                     benchmarks=benchmarks, ledger_states=ledger_states,
                     earliest_start=earliest_start, modes=modes)
    pairs = problem.pairs
    # each plot's cheapest pair
    order = np.lexsort((pairs["mode"].map(MODES.index).to_numpy(),
                        pairs["cost_wan"].to_numpy(), problem.plot_of_pair))
    first = order[np.r_[True, np.diff(problem.plot_of_pair[order]) != 0]] if len(order) \
        else order
    must = np.isin(problem.plot_of_pair[first], problem.must)
    area = pairs["area_mu"].to_numpy()[first]
    ids = pairs["plot_id"].to_numpy()[first]
    ranked = first[np.lexsort((ids, -area, ~must))]
    n = len(pairs)
    limits = [c for c in problem.constraints if c.kind in ("capacity", "budget")]
    goals = [c for c in problem.constraints if c.kind == "target"]
    dense = {id(c): _dense(c, n) for c in problem.constraints}
    used = {id(c): 0.0 for c in problem.constraints}
    pick = np.zeros(n, bool)
    for j in ranked:
        forced = np.isin(problem.plot_of_pair[j], problem.must)
        if not forced and all(used[id(g)] >= g.lb - 1e-9 for g in goals):
            break
        if not forced and any(used[id(c)] + dense[id(c)][j] > c.ub + 1e-9 for c in limits):
            continue
        pick[j] = True
        for c in problem.constraints:
            used[id(c)] += dense[id(c)][j]
    short = [f"{g.text}: reaches {_fmt(used[id(g)] + 0.0)} of {_fmt(g.lb)}" for g in goals
             if used[id(g)] < g.lb - 1e-9]
    over = [f"{c.text} exceeded by the must-include plots" for c in limits
            if used[id(c)] > c.ub + 1e-9]
    explanation = "; ".join([problem.explanation] * bool(problem.explanation) + short + over)
    return _result(problem, pick, status="not_met" if explanation else "met",
                   method="largest_first", objective="min_cost", mip_gap=float("nan"),
                   explanation=explanation, start=start)


def _dense(c: _Constraint, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[c.index] = c.coef
    return out
