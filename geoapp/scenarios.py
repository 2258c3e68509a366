"""Scenario planner (盘活方案测算) in the product: named scenarios, their inputs and outputs.

A **scenario** is a named, saved set of actions ``plot_id, mode, year`` (start year) and an
optional ``project_id``, kept in the workspace's own tables ``geoapp_scenarios`` (one row per
scenario) and ``geoapp_scenario_actions`` (one row per action). This module stores them,
builds the planner's inputs from the workspace's fresh results (evaluated plots, the ledger's
plot states with their area, the targets, the yield benchmarks and the ``[scenario]``
settings) and runs :func:`analysis.scenario.simulate` and
:func:`analysis.scenario_optimise.optimise` / :func:`~analysis.scenario_optimise.
largest_first` on them. Comparison, charts and exports are in :mod:`geoapp.scenario_report`.

Targets. A scope's **annual** reclamation targets (``reclaimed_mu``, ``reclaimed_plots``)
carry forward into later years that have none of their own (a district that set 2 000 亩 and
100 plots for 2023 is planned at the same for 2024 until it sets the new figure); each carried
row is named in :attr:`PlannerInputs.notes`. Cumulative targets are not carried.
"""

from __future__ import annotations

import difflib
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from analysis.reclamation import RECLAMATION_METRICS, plot_states
from analysis.scenario import MODES, ScenarioResult, ScenarioSettings, simulate, yield_benchmarks
from analysis.scenario_optimise import OptimisationResult, largest_first, optimise
from geoapp.store import open_workspace
from geoapp.workspace import Workspace

SCENARIOS_TABLE = "geoapp_scenarios"
ACTIONS_TABLE = "geoapp_scenario_actions"
_TABLES_SQL = (
    f"CREATE TABLE IF NOT EXISTS {SCENARIOS_TABLE} (name TEXT PRIMARY KEY, "
    "created_at TEXT NOT NULL, updated_at TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {ACTIONS_TABLE} (name TEXT NOT NULL, plot_id TEXT NOT NULL, "
    "mode TEXT NOT NULL, year INTEGER NOT NULL, project_id TEXT, created_at TEXT NOT NULL, "
    "PRIMARY KEY (name, plot_id))",
)
ACTION_COLUMNS = ["plot_id", "mode", "year", "project_id"]
ANNUAL_METRICS = ("reclaimed_mu", "reclaimed_plots")
HORIZON_YEARS = 5
"""Years simulated after the evaluated year at least (more when an action ramps up later)."""


class ScenarioError(ValueError):
    """A scenario request that cannot be done; the message names what and the fix."""


# ---------------------------------------------------------------------------------------------
# storage


def _now() -> str:
    return datetime.now().isoformat(timespec="seconds")


def _ws(workspace: str | Path | Workspace) -> Workspace:
    ws = open_workspace(workspace)
    ws.check()
    return ws


def empty_actions() -> pd.DataFrame:
    """A scenario without actions (the columns of :func:`read_scenario`)."""
    return pd.DataFrame({"plot_id": pd.Series(dtype=str), "mode": pd.Series(dtype=str),
                         "year": pd.Series(dtype="int64"), "project_id": pd.Series(dtype=object)})


def list_scenarios(workspace: str | Path | Workspace) -> pd.DataFrame:
    """Saved scenarios: ``name, n_actions, created_at, updated_at``, by name."""
    ws = _ws(workspace)
    rows = ws._read_own(
        f"SELECT s.name, COUNT(a.plot_id), s.created_at, s.updated_at FROM {SCENARIOS_TABLE} s "
        f"LEFT JOIN {ACTIONS_TABLE} a ON a.name = s.name GROUP BY s.name ORDER BY s.name")
    return pd.DataFrame(rows, columns=["name", "n_actions", "created_at", "updated_at"])


def scenario_names(workspace: str | Path | Workspace) -> list[str]:
    """Names of the saved scenarios."""
    return list_scenarios(workspace)["name"].tolist()


def _known(ws: Workspace, name: str) -> None:
    names = scenario_names(ws)
    if name not in names:
        close = difflib.get_close_matches(name, names, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        listed = ", ".join(names) if names else "none yet: create one with `scenario WS new NAME`"
        raise ScenarioError(f"no scenario named {name!r}{hint} (saved: {listed})")


def read_scenario(workspace: str | Path | Workspace, name: str) -> pd.DataFrame:
    """
    The actions of a saved scenario: ``plot_id, mode, year, project_id``, by plot.

    Raises
    ------
    ScenarioError
        When no scenario has that name (naming the closest).
    """
    ws = _ws(workspace)
    _known(ws, name)
    rows = ws._read_own(f"SELECT plot_id, mode, year, project_id FROM {ACTIONS_TABLE} "
                        "WHERE name = ? ORDER BY plot_id", (name,))
    if not rows:
        return empty_actions()
    out = pd.DataFrame(rows, columns=ACTION_COLUMNS)
    out["year"] = out["year"].astype("int64")
    out["project_id"] = pd.Series([None if pd.isna(p) else str(p) for p in
                                   out["project_id"].astype(object)], dtype=object)
    return out


def _clean_name(name: str) -> str:
    name = str(name).strip()
    if not name:
        raise ScenarioError("a scenario needs a name")
    return name


def save_scenario(workspace: str | Path | Workspace, name: str, actions: pd.DataFrame) -> None:
    """Replace a scenario's actions whole (creating it if new), in one transaction."""
    ws = _ws(workspace)
    name = _clean_name(name)
    actions = normalise_actions(actions)
    now = _now()
    rows = [(name, r.plot_id, r.mode, int(r.year),
             None if pd.isna(r.project_id) else str(r.project_id), now)
            for r in actions.itertuples(index=False)]

    def work(con: sqlite3.Connection) -> None:
        for sql in _TABLES_SQL:
            con.execute(sql)
        con.execute(f"INSERT INTO {SCENARIOS_TABLE} (name, created_at, updated_at) "
                    "VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET updated_at = "
                    "excluded.updated_at", (name, now, now))
        con.execute(f"DELETE FROM {ACTIONS_TABLE} WHERE name = ?", (name,))
        con.executemany(f"INSERT INTO {ACTIONS_TABLE} (name, plot_id, mode, year, project_id, "
                        "created_at) VALUES (?, ?, ?, ?, ?, ?)", rows)

    ws._write_own(work)


def new_scenario(workspace: str | Path | Workspace, name: str) -> None:
    """Create an empty scenario; refuse a name that exists."""
    name = _clean_name(name)
    if name in scenario_names(workspace):
        raise ScenarioError(f"scenario {name!r} exists already")
    save_scenario(workspace, name, empty_actions())


def delete_scenario(workspace: str | Path | Workspace, name: str) -> None:
    """Delete a saved scenario and its actions."""
    ws = _ws(workspace)
    _known(ws, name)

    def work(con: sqlite3.Connection) -> None:
        for sql in _TABLES_SQL:
            con.execute(sql)
        con.execute(f"DELETE FROM {ACTIONS_TABLE} WHERE name = ?", (name,))
        con.execute(f"DELETE FROM {SCENARIOS_TABLE} WHERE name = ?", (name,))

    ws._write_own(work)


def normalise_actions(actions: pd.DataFrame) -> pd.DataFrame:
    """Actions with the stored columns and types; a bad mode names the closest."""
    out = actions.copy()
    if "project_id" not in out:
        out["project_id"] = None
    out = out[ACTION_COLUMNS].reset_index(drop=True)
    out["plot_id"] = out["plot_id"].astype(str)
    out["mode"] = out["mode"].astype(str)
    for mode in sorted(set(out["mode"]) - set(MODES)):
        raise ScenarioError(_mode_message(mode))
    years = pd.to_numeric(out["year"], errors="coerce")
    if years.isna().any() or (years != years.round()).any():
        raise ScenarioError("every action needs a whole start year")
    out["year"] = years.astype("int64")
    dupes = sorted(set(out.loc[out["plot_id"].duplicated(), "plot_id"]))
    if dupes:
        raise ScenarioError(f"plots listed more than once {dupes[:10]} (one action per plot)")
    return out.sort_values("plot_id", ignore_index=True)


def _mode_message(mode: str) -> str:
    close = difflib.get_close_matches(mode, list(MODES), n=1, cutoff=0.5)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown mode {mode!r}{hint} (valid: {', '.join(MODES)})"


# ---------------------------------------------------------------------------------------------
# inputs


@dataclass
class PlannerInputs:
    """
    What the planner needs from a workspace, built once per evaluation year.

    Attributes
    ----------
    year
        The evaluated year (plots' figures); scenarios start the year after at the latest.
    plots
        Evaluated plots (WGS84), indexed by ``plot_id``.
    states
        :func:`analysis.reclamation.plot_states` of every recorded ledger event, with area.
    targets
        The targets layer with annual reclamation targets carried forward (see the module).
    benchmarks
        :func:`analysis.scenario.yield_benchmarks` of the evaluated plots.
    settings
        The ``[scenario]`` settings.
    low_efficiency
        Plot ids of the low-efficiency list (the default candidates).
    notes
        Targets carried forward, and similar remarks.
    """

    year: int
    plots: pd.DataFrame
    states: pd.DataFrame
    targets: pd.DataFrame
    benchmarks: pd.DataFrame
    settings: ScenarioSettings
    low_efficiency: list[str]
    notes: list[str] = field(default_factory=list)


def carried_targets(targets: pd.DataFrame, *, until: int) -> tuple[pd.DataFrame, list[str]]:
    """
    Annual reclamation targets carried forward to later years without their own, to ``until``.

    Returns the targets with the carried rows added, and one note per carried series.
    """
    if len(targets) == 0:
        return targets, []
    t = targets.copy()
    t["year"] = pd.to_numeric(t["year"]).astype("int64")
    keys = ["scope_type", "scope_id", "metric"]
    annual = t[t["metric"].astype(str).isin(ANNUAL_METRICS)]
    added, notes = [], []
    for key, rows in annual.groupby(keys, sort=True):
        have = set(rows["year"])
        last = rows.sort_values("year").iloc[-1]
        years = [y for y in range(int(last["year"]) + 1, until + 1) if y not in have]
        if not years:
            continue
        added.append(pd.DataFrame([{**last.to_dict(), "year": y} for y in years]))
        notes.append(f"{key[0]} {key[1]} {key[2]} {last['value']:g}: the {int(last['year'])} "
                     f"target carried forward to {years[0]}–{years[-1]}")
    if added:
        t = pd.concat([t, *added], ignore_index=True)
    return t, notes


def planner_inputs(workspace: str | Path | Workspace, *, year: int | None = None
                   ) -> PlannerInputs:
    """Build the planner's inputs from the workspace's fresh evaluation (computed if stale)."""
    from geoapp.pipeline import analyse_workspace

    ws = _ws(workspace)
    run = analyse_workspace(ws.path, year=year, stages=("evaluation",))
    return inputs_from(ws, run.results["evaluation"], year=run.year,
                       settings=run.settings.scenario)


def inputs_from(workspace: str | Path | Workspace, evaluation, *, year: int,
                settings: ScenarioSettings, layers: Mapping[str, pd.DataFrame] | None = None
                ) -> PlannerInputs:
    """The planner's inputs from an evaluation result already at hand (the app has one).

    ``layers``: the workspace's layers when the caller has read them (the app); the ledger
    and the targets are then taken from them, not read again.
    """
    if layers is None:
        ws = _ws(workspace)
        layers = {n: ws.read(n) for n in ("ledger", "targets") if n in ws.layers()}
    plots = evaluation.plots
    plots = plots.set_index(pd.Index(plots["plot_id"].astype(str), name="plot_id"), drop=False)
    area = pd.to_numeric(plots["area_mu"], errors="coerce")
    ledger = layers.get("ledger")
    if ledger is None:
        ledger = pd.DataFrame(columns=["plot_id", "date", "stage", "mode", "reclaimed_mu"])
    states = plot_states(ledger, area_mu=area)
    targets = layers.get("targets")
    if targets is None:
        targets = pd.DataFrame(
            columns=["scope_type", "scope_id", "year", "metric", "value", "since_year"])
    targets = pd.DataFrame(targets.drop(columns="geometry", errors="ignore"))
    targets, notes = carried_targets(targets, until=year + HORIZON_YEARS + 10)
    low = evaluation.low_efficiency
    low_ids = low["plot_id"].astype(str).tolist() if "plot_id" in low else []
    return PlannerInputs(year=year, plots=plots, states=states, targets=targets,
                         benchmarks=yield_benchmarks(plots, grade=settings.benchmark_grade),
                         settings=settings, low_efficiency=low_ids, notes=notes)


def check_plots(inputs: PlannerInputs, ids: Sequence[str]) -> list[str]:
    """The ids as text; unknown ones are refused, every one named."""
    ids = [str(i) for i in ids]
    unknown = [i for i in dict.fromkeys(ids) if i not in inputs.plots.index]
    if unknown:
        raise ScenarioError(f"unknown plots {unknown[:20]}"
                            + (f" and {len(unknown) - 20} more" if len(unknown) > 20 else "")
                            + ": not in the evaluated plots of the workspace")
    return ids


# ---------------------------------------------------------------------------------------------
# editing and running


def add_actions(inputs: PlannerInputs, actions: pd.DataFrame, plot_ids: Sequence[str], *,
                mode: str, year: int) -> pd.DataFrame:
    """The actions with ``plot_ids`` set to ``mode`` from ``year`` (replacing their action)."""
    ids = check_plots(inputs, plot_ids)
    if mode not in MODES:
        raise ScenarioError(_mode_message(mode))
    if int(year) < inputs.year:
        raise ScenarioError(f"start year {year} is before the evaluated year {inputs.year}")
    kept = actions[~actions["plot_id"].astype(str).isin(ids)]
    new = pd.DataFrame({"plot_id": list(dict.fromkeys(ids)), "mode": mode, "year": int(year),
                        "project_id": None})
    return normalise_actions(pd.concat([kept, new], ignore_index=True) if len(kept) else new)


def remove_actions(actions: pd.DataFrame, plot_ids: Sequence[str]) -> pd.DataFrame:
    """The actions without ``plot_ids``; ids not in the scenario are refused, named."""
    ids = [str(i) for i in plot_ids]
    missing = [i for i in ids if i not in set(actions["plot_id"].astype(str))]
    if missing:
        raise ScenarioError(f"plots not in the scenario: {missing[:20]}")
    return normalise_actions(actions[~actions["plot_id"].astype(str).isin(ids)])


def horizon_of(inputs: PlannerInputs, actions: pd.DataFrame) -> tuple[int, int]:
    """
    First and last simulated year.

    From the earliest start (at latest the year after the evaluation) to when the last action
    reaches full yield (at least 5 years on).
    """
    s = inputs.settings
    start = inputs.year + 1
    end = inputs.year + HORIZON_YEARS
    if len(actions):
        start = min(start, int(actions["year"].min()))
        full = actions["year"] + actions["mode"].map(s.lead_years) \
            + actions["mode"].map(s.ramp_years)
        end = max(end, int(full.max()))
    return start, min(end, inputs.year + 30)


def run_scenario(inputs: PlannerInputs, actions: pd.DataFrame) -> ScenarioResult:
    """Simulate a scenario's actions year by year (:func:`analysis.scenario.simulate`).

    Named projects are not used: the projects layer holds no contract tax or output, so
    re-let land yields the benchmark.
    """
    actions = normalise_actions(actions)
    check_plots(inputs, actions["plot_id"])
    start, horizon = horizon_of(inputs, actions)
    return simulate(actions[["plot_id", "mode", "year"]], inputs.plots,
                    ledger_states=inputs.states, targets=inputs.targets,
                    benchmarks=inputs.benchmarks, settings=inputs.settings,
                    start_year=start, horizon=horizon)


@dataclass
class Plan:
    """An optimised plan and the largest-plots-first baseline on the same problem."""

    optimised: OptimisationResult
    baseline: OptimisationResult
    year: int
    n_candidates: int

    @property
    def saving_wan(self) -> float:
        """Largest-first's cost less the optimised plan's (万元; NaN without both plans)."""
        if self.optimised.status not in ("optimal", "feasible") or self.baseline.status != "met":
            return float("nan")
        return self.baseline.cost_wan - self.optimised.cost_wan


def candidates_of(inputs: PlannerInputs, *, district: str | None = None,
                  include: Sequence[str] = (), exclude: Sequence[str] = ()) -> list[str]:
    """The low-efficiency plots (of ``district``), plus ``include``, minus ``exclude``."""
    include = check_plots(inputs, include)
    exclude = set(check_plots(inputs, exclude))
    ids = inputs.low_efficiency
    if district is not None:
        codes = set(inputs.plots["district_code"].astype(str))
        if str(district) not in codes:
            raise ScenarioError(f"unknown district {district!r} (plots lie in "
                                f"{', '.join(sorted(codes))})")
        in_district = inputs.plots["district_code"].astype(str) == str(district)
        ids = [i for i in ids if in_district.get(i, False)]
    return [i for i in dict.fromkeys([*ids, *include]) if i not in exclude]


def override_targets(targets: pd.DataFrame, *, year: int, district: str | None,
                     target_mu: float | None, target_plots: int | None) -> pd.DataFrame:
    """The targets with the district's 亩 / plot target of ``year`` replaced by those given."""
    given = {"reclaimed_mu": target_mu, "reclaimed_plots": target_plots}
    given = {k: v for k, v in given.items() if v is not None}
    if not given:
        return targets
    if district is None:
        raise ScenarioError("a target given on the command line needs --district CODE")
    out = targets
    if len(out):
        same = (out["scope_type"].astype(str) == "district") \
            & (out["scope_id"].astype(str) == str(district)) \
            & (pd.to_numeric(out["year"]) == year) & out["metric"].astype(str).isin(given)
        out = out[~same.to_numpy()]
    rows = pd.DataFrame([{"scope_type": "district", "scope_id": str(district), "year": year,
                          "metric": m, "value": float(v)} for m, v in given.items()])
    return pd.concat([out, rows], ignore_index=True) if len(out) else rows


def plan(inputs: PlannerInputs, *, year: int, objective: str = "min_cost",
         budget_wan: float | None = None, district: str | None = None,
         include: Sequence[str] = (), exclude: Sequence[str] = (),
         target_mu: float | None = None, target_plots: int | None = None,
         time_limit_s: float = 60.0) -> Plan:
    """
    Choose the plots to reclaim in ``year`` to meet its targets, and the largest-first baseline.

    Candidates are the low-efficiency plots (of ``district``) plus ``include``; with
    ``district`` only the targets of that district and its towns and parks are planned for;
    ``target_mu`` / ``target_plots`` replace the district's 亩 / plot target of ``year``.
    """
    ids = candidates_of(inputs, district=district, include=include, exclude=exclude)
    targets = override_targets(inputs.targets, year=int(year), district=district,
                               target_mu=target_mu, target_plots=target_plots)
    if district is not None and len(targets):
        inside = inputs.plots[inputs.plots["district_code"].astype(str) == str(district)]
        scopes = {("district", str(district))}
        scopes |= {("town", str(t)) for t in inside["town_code"].dropna()}
        scopes |= {("park", str(p)) for p in inside["park_id"].dropna()}
        keep = [(str(a), str(b)) in scopes for a, b in zip(targets["scope_type"],
                                                           targets["scope_id"], strict=True)]
        targets = targets[keep]
    targets = targets[targets["metric"].astype(str).isin(RECLAMATION_METRICS)]
    kw = {"targets": targets, "settings": inputs.settings, "year": int(year),
          "budget_wan": budget_wan, "must_include": [str(i) for i in include],
          "benchmarks": inputs.benchmarks, "ledger_states": inputs.states}
    best = optimise(ids, inputs.plots, objective=objective, time_limit_s=time_limit_s, **kw)
    base = largest_first(ids, inputs.plots, **kw)
    return Plan(optimised=best, baseline=base, year=int(year), n_candidates=len(ids))
