"""Scorecards and league tables of parks, towns and districts (园区考核评价).

A scorecard row per scope and year gathers: industrial land (亩); output, tax and value added
per mu and their growth against target; the lead-industry share of output (特色产业集中度,
parks only); the number of A/B/C/D/T firms; low-efficiency land (亩 and share of the land);
projects by stage and their investment.

The composite used for the rank (documented weights, :class:`RankingWeights`):

- each metric becomes a percentile score in (0, 1] among the scopes ranked together
  (``rank(pct=True)``, average ranks for ties; reversed for metrics where lower is better);
  a scope missing a metric scores 0.5 on it; a metric no scope has is dropped and the other
  weights are rescaled;
- ``composite = 100 × Σ weight × score / Σ weight``;
- ``rank`` orders by composite (descending), then ``tax_per_mu`` (descending, missing last),
  then the scope id (ascending): every scope gets a distinct rank, the same one every run.

Default weights: tax per mu 40, output per mu 20, tax-per-mu growth 20, lead-industry share
10, low-efficiency share of land 10 (lower is better).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd

from analysis.efficiency import growth_against_targets, scope_indicators
from analysis.grading import CLASSES, UNRATED
from analysis.industries import lead_industry_list
from layers.schema import PROJECT_STAGES


def _default_weights() -> Mapping[str, float]:
    return {
        "tax_per_mu": 40.0,
        "output_per_mu": 20.0,
        "tax_per_mu_growth": 20.0,
        "lead_industry_share": 10.0,
        "low_efficiency_share": 10.0,
    }


@dataclass(frozen=True)
class RankingWeights:
    """
    Weights of the composite park/town/district rank.

    Attributes
    ----------
    weights
        ``{scorecard column: weight}``; default tax per mu 40, output per mu 20, tax-per-mu
        growth 20, lead-industry share 10, low-efficiency share 10.
    lower_is_better
        Columns where a smaller value ranks higher.
    """

    weights: Mapping[str, float] = field(default_factory=_default_weights)
    lower_is_better: tuple[str, ...] = ("low_efficiency_share",)

    def __post_init__(self):
        bad = {k: v for k, v in self.weights.items() if not float(v) >= 0}
        if bad:
            raise ValueError(f"ranking weights must be >= 0, got {bad}")
        object.__setattr__(
            self, "weights", MappingProxyType({k: float(v) for k, v in self.weights.items()})
        )
        object.__setattr__(self, "lower_is_better", tuple(self.lower_is_better))


def lead_industry_share(
    firms: pd.DataFrame, key: str, lead_industries: pd.Series
) -> pd.Series:
    """
    Share of each scope's output made by firms of its lead industries (特色产业集中度).

    Parameters
    ----------
    firms
        Enterprise-years of one year with ``key``, ``industry`` and ``output_wan`` (万元).
    key
        Scope column, e.g. ``"park_id"``.
    lead_industries
        Lead industry codes joined by ``;`` (``"biomed;robotics"``; the separators of
        :func:`analysis.industries.lead_industry_list` are accepted), indexed by scope id.

    Returns
    -------
    Series
        ``lead_industry_share`` (fraction of Σ output), indexed by scope id like
        ``lead_industries``; NaN where the scope has no output.
    """
    codes = lead_industries.map(lead_industry_list).explode().dropna().astype(str)
    lead_pairs = pd.MultiIndex.from_arrays([codes.index.astype(str), codes.to_numpy(dtype=str)])
    scope = firms[key].astype("string")
    firm_pairs = pd.MultiIndex.from_arrays([
        scope.fillna("").to_numpy(dtype=str),
        firms["industry"].astype("string").fillna("").to_numpy(dtype=str),
    ])
    is_lead = firm_pairs.isin(lead_pairs)
    output = pd.to_numeric(firms["output_wan"], errors="coerce").astype("float64")
    total = output.groupby(scope).sum(min_count=1)
    lead_out = output.where(is_lead, 0.0).groupby(scope).sum()
    share = lead_out / total.where(total > 0)
    share.index = share.index.astype(str)
    ids = lead_industries.index.astype(str)
    return pd.Series(
        share.reindex(ids).to_numpy(dtype="float64"), index=lead_industries.index,
        name="lead_industry_share",
    )


def _counts_by(frame: pd.DataFrame, key: str, column: str, values, prefix: str) -> pd.DataFrame:
    k = frame[key]
    v = frame[column].astype("string")
    out = {}
    for value in values:
        hit = (v == value).fillna(False).astype("int64")
        out[f"{prefix}{value}"] = hit.groupby(k).sum()
    return pd.DataFrame(out)


def scorecard(
    plots: pd.DataFrame,
    firms: pd.DataFrame,
    key: str,
    *,
    year: int,
    scope_type: str,
    targets: pd.DataFrame | None = None,
    projects: pd.DataFrame | None = None,
    lead_industries: pd.Series | None = None,
    scopes: pd.Index | None = None,
) -> pd.DataFrame:
    """
    One scorecard row per scope for ``year``.

    Parameters
    ----------
    plots
        Evaluated plots with ``key``, ``area_mu`` (亩) and ``low_efficiency`` (bool); the
        optional plot columns :func:`analysis.efficiency.scope_indicators` reads.
    firms
        Enterprise-years (``year`` and ``year - 1`` at least, for growth) with ``key``,
        ``year``, amounts, ``industry`` and, for ``year``, ``grade``.
    key
        Scope column: ``"park_id"``, ``"town_code"`` or ``"district_code"``.
    year
        The evaluation year.
    scope_type
        ``"park"``, ``"town"`` or ``"district"``: which targets apply.
    targets
        The targets layer (growth targets are fractions), or None.
    projects
        Projects with ``key``, ``stage``, ``investment_wan`` and ``land_mu``, or None.
    lead_industries
        Lead industries by scope id (parks), or None to leave ``lead_industry_share`` out.
    scopes
        Every scope id to report (e.g. all parks, even those without plots); default the
        ids found in ``plots``.

    Returns
    -------
    DataFrame
        Indexed by scope id (named ``key``): :func:`scope_indicators` columns, growth and
        targets (:func:`growth_against_targets`), ``n_A`` … ``n_D``, ``n_T``,
        ``low_efficiency_mu``, ``n_low_efficiency_plots``, ``low_efficiency_share``,
        ``n_projects``, ``n_projects_{stage}``, ``investment_wan_{stage}`` and, for parks,
        ``lead_industry_share``.
    """
    current = scope_indicators(firms, plots, key, year=year, projects=projects)
    previous = scope_indicators(firms, plots, key, year=year - 1)
    if scopes is not None:
        current = current.reindex(pd.Index(scopes, name=key))
        for c in ("n_plots", "n_enterprises"):
            current[c] = current[c].fillna(0).astype("int64")
        current["land_mu"] = current["land_mu"].fillna(0.0)
    card = current.join(
        growth_against_targets(current, previous, targets, scope_type=scope_type, year=year)
    )

    used = [c for c in (key, "year", "grade", "industry", "output_wan") if c in firms]
    this_year = firms[used]
    this_year = this_year[(this_year["year"] == year) & this_year[key].notna()]
    if "grade" in this_year:
        grades = _counts_by(this_year, key, "grade", (*CLASSES, UNRATED), "n_")
    else:
        grades = pd.DataFrame(columns=[f"n_{g}" for g in (*CLASSES, UNRATED)], dtype="int64")
    card = card.join(grades.reindex(card.index).fillna(0).astype("int64"))

    p = plots[plots[key].notna()]
    land = pd.to_numeric(p["area_mu"], errors="coerce")
    low = p["low_efficiency"].fillna(False).astype(bool) if "low_efficiency" in p else (
        pd.Series(False, index=p.index)
    )
    card["low_efficiency_mu"] = land.where(low, 0.0).groupby(p[key]).sum().reindex(card.index)
    card["low_efficiency_mu"] = card["low_efficiency_mu"].fillna(0.0)
    card["n_low_efficiency_plots"] = (
        low.astype("int64").groupby(p[key]).sum().reindex(card.index).fillna(0).astype("int64")
    )
    card["low_efficiency_share"] = card["low_efficiency_mu"] / card["land_mu"].where(
        card["land_mu"] > 0
    )

    stage_cols = [f"n_projects_{s}" for s in PROJECT_STAGES]
    inv_cols = [f"investment_wan_{s}" for s in PROJECT_STAGES]
    if projects is not None and len(projects) and key in projects:
        pr = projects[projects[key].notna()]
        counts = _counts_by(pr, key, "stage", PROJECT_STAGES, "n_projects_")
        inv = pd.to_numeric(pr["investment_wan"], errors="coerce")
        stage = pr["stage"].astype("string")
        money = pd.DataFrame({
            f"investment_wan_{s}": inv.where((stage == s).fillna(False), 0.0).groupby(pr[key]).sum()
            for s in PROJECT_STAGES
        })
        card = card.join(counts.reindex(card.index).fillna(0).astype("int64"))
        card = card.join(money.reindex(card.index).fillna(0.0))
    else:
        for c in stage_cols:
            card[c] = 0
        for c in inv_cols:
            card[c] = 0.0
    card["n_projects"] = card[stage_cols].sum(axis=1).astype("int64")

    if lead_industries is not None:
        li = lead_industries.copy()
        li.index = li.index.astype(str)
        li = li[~li.index.duplicated()]
        share = lead_industry_share(this_year, key, li)
        card["lead_industry_share"] = share.reindex(card.index.astype(str)).to_numpy()
    return card


def composite_score(
    card: pd.DataFrame, *, weights: RankingWeights = RankingWeights()
) -> pd.Series:
    """
    Weighted percentile score (0–100) of each scope, as the module docstring explains.

    Parameters
    ----------
    card
        Scorecards of one year (one row per scope).
    weights
        Metric weights and which metrics are better low.

    Returns
    -------
    Series
        ``composite_score`` indexed like ``card``; NaN when no weighted metric is present.
    """
    total = pd.Series(0.0, index=card.index)
    weight_sum = 0.0
    for metric, w in weights.weights.items():
        if w == 0 or metric not in card or card[metric].notna().sum() == 0:
            continue
        values = pd.to_numeric(card[metric], errors="coerce").astype("float64")
        lower = metric in weights.lower_is_better
        score = values.rank(pct=True, method="average", ascending=not lower).fillna(0.5)
        total = total + w * score
        weight_sum += w
    if weight_sum == 0:
        return pd.Series(np.nan, index=card.index, name="composite_score")
    return (100.0 * total / weight_sum).rename("composite_score")


def rank_scopes(
    card: pd.DataFrame, *, weights: RankingWeights = RankingWeights()
) -> pd.DataFrame:
    """
    Add ``composite_score`` and a deterministic ``rank`` (1 = best) to scorecards of one year.

    Ties on the composite are broken by ``tax_per_mu`` (higher first, missing last), then by
    the scope id (the index, ascending), so every scope has a distinct rank.

    Parameters
    ----------
    card
        Scorecards indexed by scope id.
    weights
        See :class:`RankingWeights`.

    Returns
    -------
    DataFrame
        ``card`` with ``composite_score`` and ``rank``, sorted by rank.
    """
    out = card.copy()
    out["composite_score"] = composite_score(card, weights=weights)
    name = out.index.name or "scope_id"
    order = pd.DataFrame({
        "c": out["composite_score"].fillna(-np.inf).to_numpy(),
        "t": (
            pd.to_numeric(out["tax_per_mu"], errors="coerce").fillna(-np.inf).to_numpy()
            if "tax_per_mu" in out else np.zeros(len(out))
        ),
        "id": out.index.astype(str).to_numpy(),
        "pos": np.arange(len(out)),
    })
    order = order.sort_values(["c", "t", "id"], ascending=[False, False, True], kind="stable")
    rank = np.empty(len(out), dtype="int64")
    rank[order["pos"].to_numpy()] = np.arange(1, len(out) + 1)
    out["rank"] = rank
    out.index.name = name
    return out.sort_values("rank", kind="stable")
