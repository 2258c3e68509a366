"""Scenario planner (盘活方案测算): what a planned set of reclamation actions does, year by year.

A **scenario** is a table of actions ``plot_id, mode, year`` (the year the action starts), with
an optional ``project_id`` naming the project the land is re-let to. :func:`simulate` plays it
forward from the ledger as it stands; :mod:`analysis.scenario_optimise` chooses the actions.

The model, decided once here (every assumption is a :class:`ScenarioSettings` field):

- **Lead time.** An action of mode ``m`` started in year ``y`` reclaims the plot in year
  ``r = y + lead_years[m]``; the plot counts as reclaimed on 31 December of ``r`` with its whole
  ``area_mu`` and as one plot (the ledger's rules, :mod:`analysis.reclamation`).
- **Cost.** ``area_mu × cost_per_mu_wan[m]`` 万元, all in the start year ``y``.
- **Before r** the current occupant stays: the plot yields its evaluated ``tax_wan`` and
  ``output_wan`` (missing counts as 0).
- **From r, re-letting modes** (vacate, acquire, lease, codevelop): ``relet_share[m]`` of the
  land is re-let and yields a per-mu figure — the benchmark (by default the median 亩均税收 /
  亩均产值 of the park's A-class plots, else of the district's: :func:`yield_benchmarks`) or the
  named project's contract figures — ramped linearly: in year ``r + k`` the plot yields
  ``min(k / ramp_years[m], 1)`` of its full figure (nothing in ``r`` itself; full from ``r``
  when the ramp is 0). The land not re-let yields nothing.
- **upgrade** (转型提升 / 工业上楼) keeps the occupant and raises the plot ratio: its yield rises
  linearly from ``before`` to ``before × plot_ratio_factor`` with the same ramp.
- Plots not in the scenario keep their figures (no organic growth is assumed): the growth a
  scenario shows is its own. Land stays in the denominator, so a park's 亩均税收 is Σ tax / Σ
  ``area_mu`` over all its plots, idle or vacant included (:func:`analysis.efficiency.
  scope_indicators`, the owner of that number).
- Plots the ledger already shows as reclaimed count once, on their recorded date, and are not
  candidates: an action on one is skipped and listed in :attr:`ScenarioResult.skipped`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from analysis import efficiency
from analysis.keys import isin
from analysis.reclamation import (
    RECLAIMED_RANK,
    RECLAMATION_METRICS,
    SCOPE_COLUMNS,
    reclamation_progress,
)
from layers.schema import LEDGER_STAGES, RECLAMATION_MODES

MODES: tuple[str, ...] = tuple(RECLAMATION_MODES)
"""The five modes, in the plan's order (vacate, acquire, lease, codevelop, upgrade)."""

RELET_MODES: tuple[str, ...] = ("vacate", "acquire", "lease", "codevelop")
"""Modes that change the occupant: the land is re-let and yields a benchmark or a contract."""

YIELD_BASES: tuple[str, ...] = ("park_benchmark", "district_benchmark")
"""What re-let land yields when its action names no project."""

GROWTH_METRICS: dict[str, str] = {"tax_per_mu": "tax_per_mu_growth",
                                  "output_per_mu": "output_per_mu_growth"}

# Defaults. None of these come from a published schedule of this district: each is an
# order of magnitude from the plans and public reports we have seen, marked "assumed; set it
# for your district" where that is all it is.
_LEAD_YEARS = {"vacate": 2, "acquire": 2, "lease": 1, "codevelop": 2, "upgrade": 2}
# assumed; set it for your district. Negotiating a move-out and compensation (腾退, 收储)
# typically takes about two years; taking over a whole lease one.
_COST_PER_MU_WAN = {"vacate": 60.0, "acquire": 150.0, "lease": 20.0, "codevelop": 30.0,
                    "upgrade": 80.0}
# assumed; set it for your district. 收储 buys land and buildings back (the largest outlay);
# 腾退 pays compensation; lease and co-development cost the public side little up front;
# 工业上楼 is a rebuild, here counted as public subsidy per mu.
_RELET_SHARE = {"vacate": 0.9, "acquire": 0.85, "lease": 1.0, "codevelop": 1.0, "upgrade": 1.0}
# assumed; set it for your district. Some reclaimed land goes to roads and public facilities
# when a plot is vacated or bought back; an upgrade keeps the whole plot in use.
_RAMP_YEARS = {"vacate": 3, "acquire": 3, "lease": 2, "codevelop": 3, "upgrade": 2}
# assumed; set it for your district. Years from re-letting to full yield (build, fit out,
# reach production).
_RELET_YIELD = {"vacate": "park_benchmark", "acquire": "park_benchmark",
                "lease": "park_benchmark", "codevelop": "park_benchmark"}
# the default: the park's benchmark (median of its A-class plots).

_RANGES: dict[str, tuple[float, float, bool]] = {
    # field: (low, high, integer)
    "lead_years": (0, 20, True),
    "cost_per_mu_wan": (0.0, 100_000.0, False),
    "relet_share": (0.0, 1.0, False),
    "ramp_years": (0, 20, True),
}


@dataclass(frozen=True)
class ScenarioSettings:
    """
    Per-mode assumptions of the scenario planner (the ``[scenario]`` settings section).

    Every per-mode field is a ``{mode: value}`` dict; modes left out keep their default, so a
    district may set only what it knows (``cost_per_mu_wan = {acquire = 200}``).

    Attributes
    ----------
    lead_years
        Whole years from an action's start (plot identified) to reclaimed. Default vacate 2,
        acquire 2, lease 1, codevelop 2, upgrade 2 (assumed; set it for your district). 0–20.
    cost_per_mu_wan
        Public cost per 亩 (万元), counted in the start year. Default vacate 60, acquire 150,
        lease 20, codevelop 30, upgrade 80 (assumed; set it for your district). 0–100 000.
    relet_share
        Share of the reclaimed land that is re-let (0–1). Default vacate 0.9, acquire 0.85,
        lease, codevelop and upgrade 1.0 (assumed; set it for your district). Upgrade keeps
        the occupant: its share is not used.
    ramp_years
        Whole years from reclaimed to full yield, a linear ramp. Default vacate 3, acquire 3,
        lease 2, codevelop 3, upgrade 2 (assumed; set it for your district). 0–20.
    relet_yield
        For the re-letting modes: ``"park_benchmark"`` (default: the park's benchmark, the
        district's when the park has no benchmark plot) or ``"district_benchmark"``. An
        action that names a project uses that project's contract figures instead.
    benchmark_grade
        Class whose plots set the benchmark, default ``"A"`` (the issue's "median of its
        A-class plots").
    plot_ratio_factor
        Upgrade (工业上楼): the plot's yield is multiplied by this at full ramp, i.e. the new
        plot ratio over the old. Default 2.0 (assumed; set it for your district: raising a
        plot ratio of about 1.0 to 2.0). 1–10.
    tax_growth_target, output_growth_target
        Yearly growth of 亩均税收 and 亩均产值 a scope is compared with when the targets layer
        gives none: 0.10 and 0.08 (Shanghai's 工业园区单位土地税收/产值年均增长 10 %/8 %).
    """

    lead_years: dict[str, int] = field(default_factory=lambda: dict(_LEAD_YEARS))
    cost_per_mu_wan: dict[str, float] = field(default_factory=lambda: dict(_COST_PER_MU_WAN))
    relet_share: dict[str, float] = field(default_factory=lambda: dict(_RELET_SHARE))
    ramp_years: dict[str, int] = field(default_factory=lambda: dict(_RAMP_YEARS))
    relet_yield: dict[str, str] = field(default_factory=lambda: dict(_RELET_YIELD))
    benchmark_grade: str = "A"
    plot_ratio_factor: float = 2.0
    tax_growth_target: float = 0.10
    output_growth_target: float = 0.08

    def __post_init__(self):
        defaults = {"lead_years": _LEAD_YEARS, "cost_per_mu_wan": _COST_PER_MU_WAN,
                    "relet_share": _RELET_SHARE, "ramp_years": _RAMP_YEARS,
                    "relet_yield": _RELET_YIELD}
        for name, default in defaults.items():
            given = getattr(self, name)
            if not isinstance(given, dict):
                raise ValueError(f"scenario setting {name} must be a table {{mode: value}}, "
                                 f"got {given!r}")
            allowed = RELET_MODES if name == "relet_yield" else MODES
            for key in given:
                if key not in allowed:
                    raise ValueError(f"scenario setting {name}[{key!r}]: unknown mode; "
                                     f"expected one of {list(allowed)}")
            merged = {**default, **given}
            for key, value in merged.items():
                if name == "relet_yield":
                    if value not in YIELD_BASES:
                        raise ValueError(f"scenario setting relet_yield[{key!r}] = {value!r}: "
                                         f"expected one of {list(YIELD_BASES)}")
                    continue
                low, high, integer = _RANGES[name]
                merged[key] = _checked(f"{name}[{key!r}]", value, low, high, integer)
            object.__setattr__(self, name, merged)
        object.__setattr__(self, "plot_ratio_factor",
                           _checked("plot_ratio_factor", self.plot_ratio_factor, 1.0, 10.0, False))
        for name in ("tax_growth_target", "output_growth_target"):
            object.__setattr__(self, name, _checked(name, getattr(self, name), -1.0, 10.0, False))
        if not isinstance(self.benchmark_grade, str) or not self.benchmark_grade:
            raise ValueError(f"scenario setting benchmark_grade = {self.benchmark_grade!r}: "
                             "expected a class such as 'A'")


def _checked(name: str, value, low: float, high: float, integer: bool) -> float | int:
    kind = "a whole number" if integer else "a number"
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if isinstance(value, bool) or math.isnan(number) or not low <= number <= high \
            or (integer and number != int(number)):
        raise ValueError(f"scenario setting {name} = {value!r} is out of range: expected "
                         f"{kind} from {low:g} to {high:g}")
    return int(number) if integer else number


# ---------------------------------------------------------------------------------------------
# what re-let land yields


def yield_benchmarks(plots: pd.DataFrame, *, grade: str = "A") -> pd.DataFrame:
    """
    Benchmark 亩均税收 and 亩均产值 of every park and district: median over one class of plots.

    Parameters
    ----------
    plots
        Evaluated plots: ``grade``, ``park_id``, ``district_code`` and ``tax_per_mu`` /
        ``output_per_mu`` (万元/亩; computed from ``tax_wan`` / ``output_wan`` and ``area_mu``
        when absent).
    grade
        The class whose plots set the benchmark.

    Returns
    -------
    DataFrame
        ``scope_type`` (``"park"`` or ``"district"``), ``scope_id``, ``tax_per_mu``,
        ``output_per_mu`` (万元/亩, medians over the class's plots that report the figure) and
        ``n_plots`` (plots of that class). Scopes without such a plot are left out.
    """
    land = pd.to_numeric(plots["area_mu"], errors="coerce")
    values = {}
    for indicator, amount in (("tax_per_mu", "tax_wan"), ("output_per_mu", "output_wan")):
        if indicator in plots:
            values[indicator] = pd.to_numeric(plots[indicator], errors="coerce")
        else:
            values[indicator] = efficiency.ratio(
                pd.to_numeric(plots[amount], errors="coerce"), land, name=indicator)
    is_grade = plots["grade"].astype("string").eq(grade).fillna(False).to_numpy(dtype=bool)
    chosen = pd.DataFrame(values, index=plots.index)[is_grade]
    parts = []
    for scope_type, column in (("park", "park_id"), ("district", "district_code")):
        if column not in plots:
            continue
        keys = plots.loc[chosen.index, column].astype("string")
        table = chosen[keys.notna()].groupby(keys[keys.notna()]).agg(
            tax_per_mu=("tax_per_mu", "median"), output_per_mu=("output_per_mu", "median"),
            n_plots=("tax_per_mu", "size"))
        table.index.name = "scope_id"
        parts.append(table.reset_index().assign(scope_type=scope_type))
    columns = ["scope_type", "scope_id", "tax_per_mu", "output_per_mu", "n_plots"]
    if not parts:
        return pd.DataFrame(columns=columns)
    out = pd.concat(parts, ignore_index=True)[columns]
    out["scope_id"] = out["scope_id"].astype(str)
    out["n_plots"] = out["n_plots"].astype("int64")
    return out


def plot_benchmarks(
    plots: pd.DataFrame, benchmarks: pd.DataFrame, *, basis: str = "park_benchmark"
) -> pd.DataFrame:
    """
    The benchmark each plot's re-let land would yield: its park's, else its district's.

    Parameters
    ----------
    plots
        Plots with ``park_id`` and ``district_code``.
    benchmarks
        As returned by :func:`yield_benchmarks` (or a table of the same shape a district sets).
    basis
        ``"park_benchmark"`` (the park's where it has one, else the district's) or
        ``"district_benchmark"``.

    Returns
    -------
    DataFrame
        Indexed like ``plots``: ``tax_per_mu``, ``output_per_mu`` (万元/亩, NaN when neither
        the park nor the district has a benchmark) and ``yield_source``
        (``"park:<id>"``, ``"district:<code>"`` or ``""``).
    """
    out = pd.DataFrame({"tax_per_mu": np.nan, "output_per_mu": np.nan, "yield_source": ""},
                       index=plots.index)
    order = [("district", "district_code")]
    if basis == "park_benchmark":
        order.insert(0, ("park", "park_id"))
    for scope_type, column in order:
        if column not in plots:
            continue
        table = benchmarks[benchmarks["scope_type"] == scope_type].set_index("scope_id")
        table = table[table["tax_per_mu"].notna() | table["output_per_mu"].notna()]
        ids = plots[column].astype("string")
        found = ids.isin(table.index).fillna(False).to_numpy(dtype=bool) \
            & (out["yield_source"] == "").to_numpy()
        if not found.any():
            continue
        rows = table.reindex(ids[found].astype(str))
        out.loc[found, "tax_per_mu"] = rows["tax_per_mu"].to_numpy(dtype="float64")
        out.loc[found, "output_per_mu"] = rows["output_per_mu"].to_numpy(dtype="float64")
        out.loc[found, "yield_source"] = (scope_type + ":" + ids[found].astype(str)).to_numpy()
    return out


def action_yields(
    actions: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    benchmarks: pd.DataFrame,
    settings: ScenarioSettings,
    projects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """
    What each action costs and what its plot yields before and at full ramp.

    Parameters
    ----------
    actions
        ``plot_id``, ``mode``, ``year`` (start) and optional ``project_id``; checked already.
    plots
        Evaluated plots indexed by ``plot_id``: ``area_mu``, ``tax_wan``, ``output_wan``,
        ``park_id``, ``district_code``.
    benchmarks
        As :func:`yield_benchmarks`.
    settings
        The assumptions.
    projects
        Indexed by ``project_id``: ``tax_per_mu``, ``output_per_mu`` (contract figures,
        万元/亩) and optional ``investment_per_mu`` (万元/亩).

    Returns
    -------
    DataFrame
        Indexed like ``actions``: ``area_mu``, ``reclaimed_year``, ``cost_wan``,
        ``tax_before_wan``, ``output_before_wan``, ``tax_after_wan``, ``output_after_wan``
        (a year at full ramp), ``relet_mu``, ``investment_wan`` (NaN unless a project gives
        its intensity), ``yield_source`` and ``ramp_years``.
    """
    mode = actions["mode"].astype(str)
    rows = plots.reindex(actions["plot_id"].astype(str))
    area = pd.to_numeric(rows["area_mu"], errors="coerce").fillna(0.0).to_numpy()
    tax0 = pd.to_numeric(rows["tax_wan"], errors="coerce").fillna(0.0).to_numpy()
    out0 = pd.to_numeric(rows["output_wan"], errors="coerce").fillna(0.0).to_numpy()
    lead = mode.map(settings.lead_years).to_numpy(dtype="int64")
    share = mode.map(settings.relet_share).to_numpy(dtype="float64")
    upgrade = (mode == "upgrade").to_numpy()
    relet_mu = np.where(upgrade, 0.0, area * share)

    bench_tax = np.full(len(actions), np.nan)
    bench_out = np.full(len(actions), np.nan)
    source = np.full(len(actions), "", dtype=object)
    for basis in YIELD_BASES:
        use = mode.map(settings.relet_yield).eq(basis).to_numpy()
        if use.any():
            b = plot_benchmarks(rows[use], benchmarks, basis=basis)
            bench_tax[use], bench_out[use] = b["tax_per_mu"], b["output_per_mu"]
            source[use] = b["yield_source"].to_numpy()
    investment = np.full(len(actions), np.nan)
    if "project_id" in actions and projects is not None:
        named = actions["project_id"].notna().to_numpy() & ~upgrade
        if named.any():
            p = projects.reindex(actions.loc[named, "project_id"].astype(str))
            bench_tax[named] = pd.to_numeric(p["tax_per_mu"], errors="coerce")
            bench_out[named] = pd.to_numeric(p["output_per_mu"], errors="coerce")
            source[named] = ("project:" + actions.loc[named, "project_id"].astype(str)).to_numpy()
            if "investment_per_mu" in p:
                investment[named] = relet_mu[named] * pd.to_numeric(
                    p["investment_per_mu"], errors="coerce").to_numpy()
    factor = settings.plot_ratio_factor
    tax1 = np.where(upgrade, tax0 * factor, relet_mu * np.nan_to_num(bench_tax))
    out1 = np.where(upgrade, out0 * factor, relet_mu * np.nan_to_num(bench_out))
    source[upgrade] = "plot_ratio"
    return pd.DataFrame({
        "area_mu": area,
        "reclaimed_year": actions["year"].to_numpy(dtype="int64") + lead,
        "cost_wan": area * mode.map(settings.cost_per_mu_wan).to_numpy(dtype="float64"),
        "tax_before_wan": tax0,
        "output_before_wan": out0,
        "tax_after_wan": tax1,
        "output_after_wan": out1,
        "relet_mu": relet_mu,
        "investment_wan": investment,
        "yield_source": source.astype(str),
        "ramp_years": mode.map(settings.ramp_years).to_numpy(dtype="int64"),
    }, index=actions.index)


def ramp(years_since_reclaimed: np.ndarray, ramp_years: np.ndarray) -> np.ndarray:
    """Share of full yield ``k`` years after reclaiming: ``min(k / ramp, 1)``; 0 before (k ≤ 0)."""
    k = np.asarray(years_since_reclaimed, dtype="float64")
    r = np.asarray(ramp_years, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(r > 0, k / np.where(r > 0, r, 1.0), np.where(k >= 0, 1.0, 0.0))
    return np.clip(share, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# simulation


@dataclass
class ScenarioResult:
    """
    What a scenario does, year by year (returned by :func:`simulate`).

    Attributes
    ----------
    progress
        One row per simulated year × reclamation target series: ``year, scope_type,
        scope_id, metric, since_year, target`` (NaN in a year without a target),
        ``achieved`` (mu or plots, ledger and scenario together; cumulative metrics from
        ``since_year``), ``achieved_ledger`` (the part already recorded), ``pct``
        (achieved / target), ``met`` (nullable boolean).
    efficiency
        One row per year × scope (``district``, ``park``) from ``start_year - 1`` (the
        evaluated baseline): ``land_mu, tax_wan, output_wan, tax_per_mu, output_per_mu``
        (万元/亩), ``tax_per_mu_growth``, ``output_per_mu_growth`` (fractions on the year
        before), ``tax_per_mu_growth_target``, ``output_per_mu_growth_target`` (the targets
        layer's, else the settings' 0.10/0.08) and ``tax_per_mu_target_met``,
        ``output_per_mu_target_met``.
    yearly
        One row per simulated year, district-wide: ``cost_wan`` (spent on actions started that
        year), ``reclaimed_mu`` and ``reclaimed_plots`` (by the scenario), ``relet_mu``,
        ``investment_wan`` and ``investment_intensity`` (万元/亩 of re-let land whose project
        gives an investment; NaN when none does), ``tax_wan`` and ``output_wan`` of every plot.
    plots
        One row per action kept: ``plot_id, mode, start_year, reclaimed_year, area_mu,
        cost_wan, tax_before_wan, tax_after_wan, output_before_wan, output_after_wan`` (after =
        a year at full yield), ``tax_at_horizon_wan``, ``relet_mu``, ``yield_source``,
        ``town_code, park_id, district_code``.
    skipped
        Actions left out: ``plot_id, mode, year, reason`` (e.g. already reclaimed in the
        ledger).
    notes
        Plain-language remarks (benchmarks missing, reclaimed after the horizon, …).
    start_year, horizon
        First and last simulated year.
    settings
        The assumptions used.
    """

    progress: pd.DataFrame
    efficiency: pd.DataFrame
    yearly: pd.DataFrame
    plots: pd.DataFrame
    skipped: pd.DataFrame
    notes: list[str]
    start_year: int
    horizon: int
    settings: ScenarioSettings


def check_actions(
    actions: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    start_year: int,
    projects: pd.DataFrame | None = None,
) -> None:
    """
    Raise one ValueError listing every problem of a scenario's actions.

    Checked: columns ``plot_id, mode, year`` present, plots known, modes known, a plot listed
    once, years whole and not before ``start_year``, projects known.
    """
    missing = [c for c in ("plot_id", "mode", "year") if c not in actions]
    if missing:
        raise ValueError(f"scenario actions: missing columns {missing}")
    problems = []
    ids = actions["plot_id"].astype("string")
    unknown = sorted(set(ids[~isin(ids, plots.index.astype(str)) & ids.notna().to_numpy()]))
    if unknown:
        problems.append(f"unknown plots {unknown[:10]}")
    modes = sorted(set(actions["mode"].astype(str)) - set(MODES))
    if modes:
        problems.append(f"unknown modes {modes}: expected one of {list(MODES)}")
    dupes = sorted(set(ids[ids.duplicated()].dropna()))
    if dupes:
        problems.append(f"plots listed more than once {dupes[:10]} (one action per plot)")
    years = pd.to_numeric(actions["year"], errors="coerce")
    bad = years.isna() | (years != years.round())
    if bad.any():
        rows = (np.flatnonzero(bad)[:10] + 1).tolist()
        problems.append(f"year is not a whole number on rows {rows}")
    early = ~bad & (years < start_year)
    if early.any():
        problems.append(f"year before start_year {start_year} on rows "
                        f"{(np.flatnonzero(early)[:10] + 1).tolist()}")
    if "project_id" in actions:
        named = actions["project_id"].dropna().astype(str)
        known = set() if projects is None else set(projects.index.astype(str))
        gone = sorted(set(named) - known)
        if gone:
            problems.append(f"unknown projects {gone[:10]}")
    if problems:
        raise ValueError("scenario actions: " + "; ".join(problems))


def already_reclaimed(ledger_states: pd.DataFrame | None) -> pd.Index:
    """Plots the ledger shows as reclaimed or reused (never candidates again)."""
    if ledger_states is None or len(ledger_states) == 0:
        return pd.Index([], dtype="str")
    rank = ledger_states["stage"].map({s: i for i, s in enumerate(LEDGER_STAGES)})
    return ledger_states.index[(rank >= RECLAIMED_RANK).to_numpy()].astype(str)


def _scopes(plots: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in SCOPE_COLUMNS.values() if c in plots]
    return plots[cols]


def simulate(
    actions: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    ledger_states: pd.DataFrame | None,
    targets: pd.DataFrame | None,
    benchmarks: pd.DataFrame | None = None,
    settings: ScenarioSettings | None = None,
    start_year: int,
    horizon: int,
    projects: pd.DataFrame | None = None,
) -> ScenarioResult:
    """
    Play a scenario forward year by year from the ledger as it stands.

    Parameters
    ----------
    actions
        ``plot_id, mode, year`` (start year) and optional ``project_id``.
    plots
        Every evaluated plot (the district's denominator), indexed by ``plot_id`` or with a
        ``plot_id`` column: ``area_mu``, ``tax_wan``, ``output_wan``, ``grade``, ``park_id``,
        ``town_code``, ``district_code``.
    ledger_states
        :func:`analysis.reclamation.plot_states` of the ledger as recorded (None: empty).
    targets
        The targets layer (reclamation and growth metrics), or None.
    benchmarks
        As :func:`yield_benchmarks`; None computes it from ``plots`` with
        ``settings.benchmark_grade``.
    settings
        The assumptions; None uses the defaults.
    start_year, horizon
        First and last year simulated (both included). The plots' figures are the year before
        ``start_year``.
    projects
        Contract figures of the projects actions name (see :func:`action_yields`).

    Returns
    -------
    ScenarioResult

    Raises
    ------
    ValueError
        When the actions name unknown plots, modes or projects, list a plot twice, or start
        before ``start_year``; when ``horizon < start_year``.
    """
    settings = settings or ScenarioSettings()
    if horizon < start_year:
        raise ValueError(f"horizon {horizon} is before start_year {start_year}")
    plots = _indexed(plots)
    if projects is not None:
        projects = projects.set_index("project_id") if "project_id" in projects else projects
        projects.index = projects.index.astype(str)
    check_actions(actions, plots, start_year=start_year, projects=projects)
    if benchmarks is None:
        benchmarks = yield_benchmarks(plots, grade=settings.benchmark_grade)
    notes: list[str] = []

    done = already_reclaimed(ledger_states)
    actions = actions.reset_index(drop=True)
    actions = actions.assign(plot_id=actions["plot_id"].astype(str),
                             year=pd.to_numeric(actions["year"]).astype("int64"))
    is_done = actions["plot_id"].isin(done)
    skipped = actions.loc[is_done, ["plot_id", "mode", "year"]].assign(
        reason="already reclaimed in the ledger: counted once, on its recorded date")
    kept = actions[~is_done]
    y = action_yields(kept, plots, benchmarks=benchmarks, settings=settings, projects=projects)
    no_bench = (y["yield_source"] == "").to_numpy()
    if no_bench.any():
        notes.append(f"{int(no_bench.sum())} re-let plots have no benchmark (no "
                     f"{settings.benchmark_grade}-class plot in their park or district): they "
                     "yield nothing after reclaiming")
    late = (y["reclaimed_year"] > horizon).to_numpy()
    if late.any():
        notes.append(f"{int(late.sum())} plots are reclaimed after {horizon}, the horizon")

    years = list(range(start_year, horizon + 1))
    position = plots.index.get_indexer(kept["plot_id"])
    base_tax = pd.to_numeric(plots["tax_wan"], errors="coerce").fillna(0.0).to_numpy()
    base_out = pd.to_numeric(plots["output_wan"], errors="coerce").fillna(0.0).to_numpy()
    upgrade = (kept["mode"] == "upgrade").to_numpy()
    floor_tax = np.where(upgrade, y["tax_before_wan"], 0.0)  # upgrade ramps from before
    floor_out = np.where(upgrade, y["output_before_wan"], 0.0)
    series = {start_year - 1: (base_tax, base_out)}
    for year in years:
        k = year - y["reclaimed_year"].to_numpy()
        share = ramp(k, y["ramp_years"].to_numpy())
        tax_a = np.where(k < 0, y["tax_before_wan"],
                         floor_tax + share * (y["tax_after_wan"] - floor_tax))
        out_a = np.where(k < 0, y["output_before_wan"],
                         floor_out + share * (y["output_after_wan"] - floor_out))
        tax, out = base_tax.copy(), base_out.copy()
        tax[position], out[position] = tax_a, out_a
        series[year] = (tax, out)

    # progress against targets: the ledger's states plus the scenario's reclaimed plots
    scopes = _scopes(plots)
    real = _reclaimed_states(ledger_states)
    sim = pd.DataFrame({
        "reclaimed_date": [date(int(r), 12, 31) for r in y["reclaimed_year"]],
        "reclaimed_mu": y["area_mu"].to_numpy(), "mode": kept["mode"].to_numpy(),
    }, index=pd.Index(kept["plot_id"], name="plot_id"))
    combined = pd.concat([real, sim[~sim.index.isin(real.index)]])
    progress = _progress(targets, combined, real, scopes, years)

    eff = _efficiency(plots, series, targets, settings)
    yearly = _yearly(kept, y, series, years)
    table = pd.DataFrame({
        "plot_id": kept["plot_id"].to_numpy(), "mode": kept["mode"].to_numpy(),
        "start_year": kept["year"].to_numpy(), **{c: y[c].to_numpy() for c in (
            "reclaimed_year", "area_mu", "cost_wan", "tax_before_wan", "tax_after_wan",
            "output_before_wan", "output_after_wan")},
        "tax_at_horizon_wan": series[horizon][0][position],
        "relet_mu": y["relet_mu"].to_numpy(), "yield_source": y["yield_source"].to_numpy(),
    })
    for c in SCOPE_COLUMNS.values():
        if c in plots:
            table[c] = plots[c].to_numpy()[position]
    return ScenarioResult(progress=progress, efficiency=eff, yearly=yearly, plots=table,
                          skipped=skipped.reset_index(drop=True), notes=notes,
                          start_year=start_year, horizon=horizon, settings=settings)


def _indexed(plots: pd.DataFrame) -> pd.DataFrame:
    plots = plots.set_index("plot_id", drop=False) if "plot_id" in plots.columns \
        else plots.copy(deep=False)
    plots.index = pd.Index(plots.index.astype(str), name="plot_id")
    return plots


def _reclaimed_states(states: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["reclaimed_date", "reclaimed_mu", "mode"]
    if states is None or len(states) == 0:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="plot_id", dtype="str"))
    done = states.loc[already_reclaimed(states), columns]
    done.index = done.index.astype(str)
    return done


def progress_rows(targets: pd.DataFrame | None, years: list[int]) -> pd.DataFrame:
    """
    One pseudo-target per year × reclamation target series, for year-by-year progress.

    A series is a ``(scope_type, scope_id, metric, since_year)`` of the targets layer; its
    ``value`` is the target of that year, NaN in years without one.
    """
    columns = ["scope_type", "scope_id", "year", "metric", "value", "since_year"]
    if targets is None or len(targets) == 0:
        return pd.DataFrame(columns=columns)
    t = targets[targets["metric"].astype(str).isin(RECLAMATION_METRICS)].copy()
    if "since_year" not in t:
        t["since_year"] = pd.NA
    t["since_year"] = pd.to_numeric(t["since_year"], errors="coerce").astype("Int64")
    t["scope_id"] = t["scope_id"].astype(str)
    t["year"] = pd.to_numeric(t["year"]).astype("int64")
    keys = ["scope_type", "scope_id", "metric", "since_year"]
    series = t[keys].drop_duplicates()
    grid = series.merge(pd.DataFrame({"year": years}), how="cross")
    values = t.drop_duplicates([*keys, "year"], keep="last")[[*keys, "year", "value"]]
    out = grid.merge(values, on=[*keys, "year"], how="left")
    return out[columns]


def _progress(targets, combined, real, scopes, years) -> pd.DataFrame:
    rows = progress_rows(targets, years)
    columns = ["year", "scope_type", "scope_id", "metric", "since_year", "target", "achieved",
               "achieved_ledger", "pct", "met"]
    if len(rows) == 0:
        return pd.DataFrame(columns=columns)
    parts = []
    for year, part in rows.groupby("year", sort=True):
        as_of = date(int(year), 12, 31)
        both = reclamation_progress(part, combined, scopes, as_of=as_of)
        ledger = reclamation_progress(part, real, scopes, as_of=as_of)
        both["achieved_ledger"] = ledger["achieved"].to_numpy()
        parts.append(both)
    out = pd.concat(parts, ignore_index=True)
    out["met"] = (out["achieved"] >= out["target"] - 1e-9).astype("boolean").mask(
        out["target"].isna())
    return out[columns].reset_index(drop=True)


def _efficiency(plots, series, targets, settings) -> pd.DataFrame:
    frames = []
    land = plots[["area_mu", *[c for c in ("park_id", "district_code") if c in plots]]]
    defaults = {"tax_per_mu": settings.tax_growth_target,
                "output_per_mu": settings.output_growth_target}
    for scope_type, key in (("district", "district_code"), ("park", "park_id")):
        if key not in plots:
            continue
        previous = None
        for year, (tax, out) in series.items():
            firms = pd.DataFrame({key: plots[key].to_numpy(), "year": year,
                                  "tax_wan": tax, "output_wan": out})
            ind = efficiency.scope_indicators(firms, land, key, year=year)
            table = ind[["land_mu", "tax_wan", "output_wan", "tax_per_mu", "output_per_mu"]].copy()
            for indicator, metric in GROWTH_METRICS.items():
                prev = previous[indicator] if previous is not None else \
                    pd.Series(np.nan, index=table.index)
                g = efficiency.growth(table[indicator].rename(indicator), prev)
                t = efficiency.targets_for(targets, scope_type=scope_type, year=year,
                                           metric=metric)
                t = pd.Series(t.reindex(table.index.astype(str)).to_numpy(dtype="float64"),
                              index=table.index).fillna(defaults[indicator])
                table[f"{indicator}_growth"] = g
                table[f"{indicator}_growth_target"] = t
                table[f"{indicator}_target_met"] = (g >= t - 1e-9).astype("boolean").mask(
                    g.isna())
            previous = table
            table = table.reset_index(names="scope_id")
            table.insert(0, "scope_type", scope_type)
            table.insert(0, "year", year)
            frames.append(table)
    out = pd.concat(frames, ignore_index=True)
    out["scope_id"] = out["scope_id"].astype(str)
    return out


def _yearly(kept, y, series, years) -> pd.DataFrame:
    rows = []
    start = kept["year"].to_numpy()
    reclaimed = y["reclaimed_year"].to_numpy()
    for year in years:
        now = reclaimed == year
        inv = y["investment_wan"].to_numpy()[now]
        relet_known = y["relet_mu"].to_numpy()[now][~np.isnan(inv)]
        rows.append({
            "year": year,
            "cost_wan": float(y["cost_wan"].to_numpy()[start == year].sum()),
            "reclaimed_mu": float(y["area_mu"].to_numpy()[now].sum()),
            "reclaimed_plots": int(now.sum()),
            "relet_mu": float(y["relet_mu"].to_numpy()[now].sum()),
            "investment_wan": float(np.nansum(inv)) if (~np.isnan(inv)).any() else np.nan,
            "investment_intensity": (float(np.nansum(inv)) / relet_known.sum()
                                     if relet_known.sum() > 0 else np.nan),
            "tax_wan": float(series[year][0].sum()),
            "output_wan": float(series[year][1].sum()),
        })
    return pd.DataFrame(rows)
