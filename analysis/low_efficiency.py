"""The low-efficiency plot list (低效产业用地清单): explicit rules, every reason listed.

Each rule is a named predicate over the evaluated plots table and a frozen set of
thresholds. A plot is on the list when it triggers at least one rule, and its ``reasons``
list **every** rule it triggers, so a planner can see why any plot is on it.

Default rules (code — Chinese label — what it tests):

- ``grade_d`` — 综合评价D类 — the plot's grade is in ``grades`` (default D);
- ``low_tax`` — 亩均税收低于下限 — ``tax_per_mu`` < ``tax_per_mu_floor_wan`` (default 1 万元/亩),
  plots with at least one firm;
- ``idle`` — 闲置 — status ``idle``, or no enterprise and no project on the plot;
- ``zone_198`` — 位于198区域 — ``zone_type`` in ``zone_types`` (default 198);
- ``contract_investment`` — 投资未达合同约定 — Σ project investment < ``contract_fraction``
  (default 50 %) of ``contract_investment_wan``, plots with projects, once the plot is past its
  ramp-up (达产) period: ``years_since_supply`` ≥ ``contract_grace_years`` (default 3) — the same
  for the two rules below;
- ``contract_output`` — 产值未达合同约定 — Σ firm output < 50 % of ``contract_output_wan``,
  plots with firms;
- ``contract_tax`` — 税收未达合同约定 — Σ firm tax < 50 % of ``contract_tax_wan``, plots with
  firms;
- ``low_plot_ratio`` — 容积率低于下限 — ``plot_ratio`` < the floor for the plot's land use
  (default 0.6; ``plot_ratio_floors`` may set one per land use).

Every number is a policy default, not a law: a district sets its own in the ``[low_efficiency]``
section of the config (e.g. ``plot_ratio_floors = {M1 = 1.0, M2 = 0.8}``). Contract rules apply
only where the contract value is positive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class LowEfficiencyThresholds:
    """
    Policy numbers of the low-efficiency rules.

    Attributes
    ----------
    tax_per_mu_floor_wan
        Tax per mu below this (万元/亩) is low.
    contract_fraction
        Actual investment/output/tax below this fraction of the land contract is a breach.
    plot_ratio_floor
        Default plot-ratio floor (floor area / land area).
    plot_ratio_floors
        ``{land_use: floor}`` overriding the default for some land uses (e.g. ``{"M1": 1.2}``).
    contract_grace_years
        Years after land supply before contract performance is judged (the ramp-up, 达产
        period); a plot with unknown ``years_since_supply`` is judged.
    zone_types
        Zone types whose plots are listed (198: land to be reduced).
    grades
        Plot grades that are listed.
    """

    tax_per_mu_floor_wan: float = 1.0
    contract_fraction: float = 0.5
    plot_ratio_floor: float = 0.6
    plot_ratio_floors: Mapping[str, float] = field(default_factory=dict)
    zone_types: tuple[str, ...] = ("198",)
    grades: tuple[str, ...] = ("D",)
    contract_grace_years: int = 3

    def __post_init__(self):
        object.__setattr__(
            self, "plot_ratio_floors",
            MappingProxyType({str(k): float(v) for k, v in self.plot_ratio_floors.items()}),
        )
        object.__setattr__(self, "zone_types", tuple(str(z) for z in self.zone_types))
        object.__setattr__(self, "grades", tuple(str(g) for g in self.grades))
        if not 0 < self.contract_fraction <= 1:
            raise ValueError(
                f"contract_fraction must be in (0, 1], got {self.contract_fraction}"
            )


Predicate = Callable[[pd.DataFrame, LowEfficiencyThresholds], pd.Series]


@dataclass(frozen=True)
class Rule:
    """
    One named rule of the low-efficiency list.

    Attributes
    ----------
    code
        Short English code written in ``reasons``.
    label_zh
        Chinese label written in ``reasons_zh``.
    predicate
        ``predicate(plots, thresholds) -> bool Series`` indexed like ``plots``; missing data
        must give False (a rule fires on evidence, not on absence).
    """

    code: str
    label_zh: str
    predicate: Predicate


def _num(plots: pd.DataFrame, column: str) -> pd.Series:
    if column in plots:
        return pd.to_numeric(plots[column], errors="coerce").astype("float64")
    return pd.Series(np.nan, index=plots.index, dtype="float64")


def _text(plots: pd.DataFrame, column: str) -> pd.Series:
    if column in plots:
        return plots[column].astype("string")
    return pd.Series(pd.NA, index=plots.index, dtype="string")


def _count(plots: pd.DataFrame, column: str) -> pd.Series:
    return _num(plots, column).fillna(0.0)


def is_grade(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots whose ``grade`` is one of ``t.grades``."""
    return _text(plots, "grade").isin(list(t.grades)).fillna(False).astype(bool)


def is_low_tax(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots with firms whose ``tax_per_mu`` (万元/亩) is below the floor."""
    has_firms = _count(plots, "n_enterprises") > 0
    return (_num(plots, "tax_per_mu") < t.tax_per_mu_floor_wan) & has_firms


def is_idle(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """
    Flag plots whose status is ``idle``, or that have no enterprise and no project.

    Emptiness needs evidence: both ``n_enterprises`` and ``n_projects`` must be present and
    zero; an absent column or a missing count never makes a plot idle.
    """
    status_idle = (_text(plots, "status") == "idle").fillna(False).astype(bool)
    empty = (_num(plots, "n_enterprises") == 0) & (_num(plots, "n_projects") == 0)
    return status_idle | empty


def is_in_zone(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots whose ``zone_type`` is one of ``t.zone_types`` (default 198)."""
    return _text(plots, "zone_type").isin(list(t.zone_types)).fillna(False).astype(bool)


def _below_contract(plots: pd.DataFrame, actual: pd.Series, column: str,
                    t: LowEfficiencyThresholds) -> pd.Series:
    contract = _num(plots, column)
    ramping = _num(plots, "years_since_supply") < t.contract_grace_years
    return (contract > 0) & actual.notna() & (actual < t.contract_fraction * contract) & ~ramping


def is_below_contract_investment(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots with projects whose Σ ``project_investment_wan`` is under the contract's share."""
    has = _count(plots, "n_projects") > 0
    actual = _num(plots, "project_investment_wan").where(has)
    return _below_contract(plots, actual, "contract_investment_wan", t)


def is_below_contract_output(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots with firms whose Σ ``output_wan`` is under the contract's share."""
    has = _count(plots, "n_enterprises") > 0
    actual = _num(plots, "output_wan").fillna(0.0).where(has)
    return _below_contract(plots, actual, "contract_output_wan", t)


def is_below_contract_tax(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots with firms whose Σ ``tax_wan`` is under the contract's share."""
    has = _count(plots, "n_enterprises") > 0
    actual = _num(plots, "tax_wan").fillna(0.0).where(has)
    return _below_contract(plots, actual, "contract_tax_wan", t)


def is_low_plot_ratio(plots: pd.DataFrame, t: LowEfficiencyThresholds) -> pd.Series:
    """Flag plots whose ``plot_ratio`` is below the floor for their ``land_use``."""
    floors = pd.Series(t.plot_ratio_floor, index=plots.index, dtype="float64")
    if t.plot_ratio_floors:
        by_use = _text(plots, "land_use").map(dict(t.plot_ratio_floors)).astype("float64")
        floors = by_use.fillna(floors)
    return (_num(plots, "plot_ratio") < floors).fillna(False)


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("grade_d", "综合评价D类", is_grade),
    Rule("low_tax", "亩均税收低于下限", is_low_tax),
    Rule("idle", "闲置", is_idle),
    Rule("zone_198", "位于198区域", is_in_zone),
    Rule("contract_investment", "投资未达合同约定", is_below_contract_investment),
    Rule("contract_output", "产值未达合同约定", is_below_contract_output),
    Rule("contract_tax", "税收未达合同约定", is_below_contract_tax),
    Rule("low_plot_ratio", "容积率低于下限", is_low_plot_ratio),
)
"""Every built-in rule, in the order reasons are listed."""

REASON_LABELS_ZH: dict[str, str] = {r.code: r.label_zh for r in DEFAULT_RULES}
"""``{rule code: Chinese label}`` of the built-in rules."""


def select_rules(codes: Sequence[str], rules: Sequence[Rule] = DEFAULT_RULES) -> tuple[Rule, ...]:
    """
    Pick rules by code, in the order given.

    Raises
    ------
    ValueError
        Naming the unknown codes and the known ones.
    """
    known = {r.code: r for r in rules}
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ValueError(f"unknown low-efficiency rules {unknown}; expected some of {list(known)}")
    return tuple(known[c] for c in codes)


def low_efficiency_list(
    plots: pd.DataFrame,
    *,
    thresholds: LowEfficiencyThresholds = LowEfficiencyThresholds(),
    rules: Sequence[Rule] = DEFAULT_RULES,
) -> pd.DataFrame:
    """
    Test every plot against every rule and list the rules it triggers.

    Parameters
    ----------
    plots
        Evaluated plots, one row per plot: ``grade``, ``tax_per_mu`` (万元/亩), ``status``,
        ``n_enterprises``, ``n_projects``, ``zone_type``, ``output_wan``, ``tax_wan``,
        ``project_investment_wan``, ``contract_*_wan``, ``plot_ratio``, ``land_use`` — each
        rule reads only its own columns, and an absent column never triggers a rule.
    thresholds
        The policy numbers.
    rules
        The rules to apply, in the order their codes are listed.

    Returns
    -------
    DataFrame
        Indexed like ``plots``: one bool column ``rule_{code}`` per rule, ``reasons``
        (``"; "``-joined codes, empty string when none), ``reasons_zh`` (Chinese labels
        joined by ``"；"``) and ``low_efficiency`` (any rule triggered).
    """
    out = pd.DataFrame(index=plots.index)
    codes = np.full(len(plots), "", dtype=object)
    labels = np.full(len(plots), "", dtype=object)
    for rule in rules:
        hit = rule.predicate(plots, thresholds).reindex(plots.index).fillna(False).astype(bool)
        out[f"rule_{rule.code}"] = hit
        mask = hit.to_numpy()
        sep = np.where(codes[mask] == "", "", "; ")
        codes[mask] = codes[mask] + sep + rule.code
        sep_zh = np.where(labels[mask] == "", "", "；")
        labels[mask] = labels[mask] + sep_zh + rule.label_zh
    out["reasons"] = pd.Series(codes, index=plots.index, dtype="string")
    out["reasons_zh"] = pd.Series(labels, index=plots.index, dtype="string")
    out["low_efficiency"] = out["reasons"] != ""
    out["low_efficiency"] = out["low_efficiency"].astype(bool)
    return out
