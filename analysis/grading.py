"""Comprehensive evaluation (综合绩效评价 / 亩均效益综合评价): scores and A/B/C/D classes.

The arithmetic, as published for Zhejiang's 亩均论英雄 counties (Huangyan's rules are the
reference for the missing-item rule):

- each item's **ratio** is ``value / benchmark``, the benchmark being the evaluated group's
  mean of that item for that year (mean over the rated firms that report it), unless the
  policy fixes it; an optional **cap** limits the ratio (e.g. 3 × the benchmark);
- an item's **contribution** is ``weight × ratio``; the **score** is the sum of contributions
  (a firm exactly at every benchmark scores Σ weights = 100);
- a firm that lacks an item gets **the group's mean contribution of that item** (the
  Huangyan rule; without caps this is the item's weight) and the item is listed in
  ``imputed_items``; an item no firm of the group reports scores its full weight for everyone
  (it cannot change the order) and is listed too;
- **classes** go by rank within the group and year: ``pct = rank(score, descending,
  method='min') / n``; A if pct ≤ 0.20, B if ≤ 0.60, C if ≤ 0.95, else D. ``method='min'``
  makes tied scores share the better class;
- class **T** (unrated) for firms in production for less than two years
  (``year - start_year < 2``), utilities (``utility == 1``) and firms with no land: they are
  left out of ``n`` and of the benchmark means, and get no score.

Groups are the firm's ``scale`` (规上 ``above`` / 规下 ``below``) and ``year``; each scale has
its own items. Policies are frozen dataclasses; :data:`PRESETS` holds ``zhejiang`` and
``huaian``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from analysis.keys import isin

CLASSES: tuple[str, ...] = ("A", "B", "C", "D")
UNRATED = "T"

UNRATED_REASONS_ZH: dict[str, str] = {
    "new": "投产不满两年",
    "utility": "公用事业",
    "no_land": "无用地",
    "no_scheme": "无适用评价方案",
}
"""Chinese labels of the reasons a firm is unrated (class T)."""


@dataclass(frozen=True)
class Item:
    """
    One scored item of an evaluation scheme.

    Attributes
    ----------
    indicator
        Column of the enterprise indicators, e.g. ``"tax_per_mu"``.
    weight
        Points at benchmark (weights of a scheme usually add up to 100).
    benchmark
        Fixed benchmark in the indicator's unit; None uses the group's mean for that year.
    cap
        Upper limit on ``value / benchmark`` (e.g. 3.0); None for no cap.
    """

    indicator: str
    weight: float
    benchmark: float | None = None
    cap: float | None = None

    def __post_init__(self):
        if not self.weight >= 0:
            raise ValueError(f"item {self.indicator!r}: weight must be >= 0, got {self.weight}")
        if self.benchmark is not None and not self.benchmark > 0:
            raise ValueError(
                f"item {self.indicator!r}: a fixed benchmark must be > 0, got {self.benchmark}"
            )
        if self.cap is not None and not self.cap > 0:
            raise ValueError(f"item {self.indicator!r}: cap must be > 0, got {self.cap}")


@dataclass(frozen=True)
class GradingPolicy:
    """
    A comprehensive-evaluation policy: items per group, class cut-offs, who is unrated.

    Attributes
    ----------
    name
        Preset name, e.g. ``"zhejiang"``.
    schemes
        ``{scale: (Item, ...)}``; firms whose scale has no scheme are unrated.
    cutoffs
        Upper bounds of ``pct`` for each class but the last: (A, B, C) = (0.20, 0.60, 0.95).
    classes
        Class labels, one more than ``cutoffs``.
    min_years_in_production
        Firms with ``year - start_year`` below this are unrated (T).
    group_by
        Columns besides ``year`` that define the evaluated group. The first is the one whose
        value selects the scheme (``scale``); add e.g. ``"district_code"`` to run one
        evaluation per district.
    score_decimals
        Published precision of scores: they are rounded to this many decimals before ranking,
        so scores that differ by floating-point noise (areas measured after reprojection)
        are equal and share their rank and class.
    """

    name: str
    schemes: Mapping[str, tuple[Item, ...]]
    cutoffs: tuple[float, ...] = (0.20, 0.60, 0.95)
    classes: tuple[str, ...] = CLASSES
    min_years_in_production: int = 2
    group_by: tuple[str, ...] = ("scale",)
    score_decimals: int = 2

    def __post_init__(self):
        object.__setattr__(
            self, "schemes", MappingProxyType({k: tuple(v) for k, v in self.schemes.items()})
        )
        object.__setattr__(self, "cutoffs", tuple(float(c) for c in self.cutoffs))
        object.__setattr__(self, "classes", tuple(self.classes))
        object.__setattr__(self, "group_by", tuple(self.group_by))
        cuts = self.cutoffs
        if len(self.classes) != len(cuts) + 1:
            raise ValueError(
                f"policy {self.name!r}: {len(self.classes)} classes need {len(self.classes) - 1}"
                f" cut-offs, got {len(cuts)}"
            )
        if any(not 0 < c <= 1 for c in cuts) or list(cuts) != sorted(cuts):
            raise ValueError(
                f"policy {self.name!r}: cut-offs must rise within (0, 1], got {list(cuts)}"
            )
        if not self.group_by:
            raise ValueError(f"policy {self.name!r}: group_by needs the scheme column first")

    @property
    def indicators(self) -> list[str]:
        """Every indicator scored by any scheme, in first-seen order."""
        seen: dict[str, None] = {}
        for items in self.schemes.values():
            for item in items:
                seen.setdefault(item.indicator, None)
        return list(seen)


_BELOW = (Item("tax_per_mu", 100.0),)

ZHEJIANG = GradingPolicy(
    name="zhejiang",
    schemes={
        "above": (
            Item("tax_per_mu", 30.0),
            Item("value_added_per_mu", 20.0),
            Item("value_added_per_tce", 20.0),
            Item("value_added_per_t_emissions", 10.0),
            Item("labour_productivity", 10.0),
            Item("rd_intensity", 10.0),
        ),
        "below": _BELOW,
    },
)
"""Zhejiang 亩均论英雄: 规上 six items (亩均税收 30, 亩均增加值 20, 单位能耗增加值 20,
单位排放增加值 10, 全员劳动生产率 10, 研发经费投入强度 10); 规下 on 亩均税收 alone
(score = 100 × value / mean)."""

HUAIAN = GradingPolicy(
    name="huaian",
    schemes={
        "above": (
            Item("tax_per_mu", 45.0),
            Item("revenue_per_mu", 35.0),
            Item("tax_per_tce", 20.0),
        ),
        "below": _BELOW,
    },
)
"""Huai'an: 规上 on 亩均税收 45, 亩均营业收入 35, 单位能耗税收 20; 规下 on 亩均税收 alone (as in
Zhejiang)."""

PRESETS: Mapping[str, GradingPolicy] = MappingProxyType({"zhejiang": ZHEJIANG, "huaian": HUAIAN})
"""The built-in policies by name."""


def with_overrides(
    policy: GradingPolicy,
    *,
    weights: Mapping[str, Mapping[str, float]] | None = None,
    benchmarks: Mapping[str, Mapping[str, float]] | None = None,
    caps: Mapping[str, Mapping[str, float]] | None = None,
    cutoffs: Sequence[float] | None = None,
    min_years_in_production: int | None = None,
    group_by: Sequence[str] | None = None,
    score_decimals: int | None = None,
) -> GradingPolicy:
    """
    Copy ``policy`` with some numbers changed (as an ``[evaluation]`` config section says).

    Parameters
    ----------
    policy
        The preset to start from.
    weights, benchmarks, caps
        ``{scale: {indicator: number}}``. A weight for an indicator the scheme lacks adds the
        item; a weight of 0 keeps it but makes it count for nothing.
    cutoffs, min_years_in_production, group_by, score_decimals
        Replace the policy's values when given.

    Returns
    -------
    GradingPolicy

    Raises
    ------
    ValueError
        For a scale with no scheme, or a benchmark or cap on an indicator the scheme lacks.
    """
    schemes = {k: list(v) for k, v in policy.schemes.items()}
    for what, table in (("weights", weights), ("benchmarks", benchmarks), ("caps", caps)):
        for scale, values in (table or {}).items():
            if scale not in schemes and what != "weights":
                raise ValueError(
                    f"evaluation {what}: unknown scale {scale!r}; expected one of {sorted(schemes)}"
                )
            items = schemes.setdefault(scale, [])
            for indicator, number in values.items():
                pos = next((i for i, it in enumerate(items) if it.indicator == indicator), None)
                if pos is None:
                    if what != "weights":
                        raise ValueError(
                            f"evaluation {what}.{scale}: {indicator!r} is not an item of the "
                            f"scheme; items are {[it.indicator for it in items]}"
                        )
                    items.append(Item(indicator, float(number)))
                    continue
                attr = {"weights": "weight", "benchmarks": "benchmark", "caps": "cap"}[what]
                items[pos] = replace(items[pos], **{attr: float(number)})
    changes: dict = {"schemes": {k: tuple(v) for k, v in schemes.items()}}
    if cutoffs is not None:
        changes["cutoffs"] = tuple(cutoffs)
    if min_years_in_production is not None:
        changes["min_years_in_production"] = int(min_years_in_production)
    if group_by is not None:
        changes["group_by"] = tuple(group_by)
    if score_decimals is not None:
        changes["score_decimals"] = int(score_decimals)
    return replace(policy, **changes)


def unrated_reason(
    enterprises: pd.DataFrame, land_mu: pd.Series, *, min_years_in_production: int = 2
) -> pd.Series:
    """
    Why each enterprise-year is unrated (class T), or missing when it is rated.

    Parameters
    ----------
    enterprises
        Enterprise-years with ``year`` and optional ``start_year`` and ``utility``.
    land_mu
        Each row's land in mu, indexed like ``enterprises``.
    min_years_in_production
        A firm with ``year - start_year`` below this is new.

    Returns
    -------
    Series
        ``unrated_reason``: ``"new"``, ``"utility"`` or ``"no_land"`` (first that applies, in
        that order), missing for rated rows; indexed like ``enterprises``.
    """
    reason = pd.Series(pd.NA, index=enterprises.index, dtype="string", name="unrated_reason")
    land = pd.to_numeric(land_mu.reindex(enterprises.index), errors="coerce")
    reason = reason.mask(~(land > 0), "no_land")
    if "utility" in enterprises:
        utility = pd.to_numeric(enterprises["utility"], errors="coerce") == 1
        reason = reason.mask(utility, "utility")
    if "start_year" in enterprises:
        age = pd.to_numeric(enterprises["year"], errors="coerce") - pd.to_numeric(
            enterprises["start_year"], errors="coerce"
        )
        reason = reason.mask(age < min_years_in_production, "new")
    return reason


def classify(
    score: pd.Series,
    groups: pd.DataFrame | pd.Series | None = None,
    *,
    cutoffs: Sequence[float] = (0.20, 0.60, 0.95),
    classes: Sequence[str] = CLASSES,
) -> pd.DataFrame:
    """
    Classes by rank within each group: ``pct = rank(score, descending, 'min') / n``.

    Parameters
    ----------
    score
        Scores; missing scores are left out of the ranking and of ``n``.
    groups
        Group keys indexed like ``score`` (e.g. year and scale); None ranks everything as one.
    cutoffs
        Upper bounds of ``pct`` for each class but the last (``pct ≤ cutoff``).
    classes
        Labels, one more than ``cutoffs``.

    Returns
    -------
    DataFrame
        Indexed like ``score``: ``rank`` (1 = best; tied scores share the smaller rank),
        ``n_rated`` (scored members of the group), ``pct`` and ``grade`` (missing where the
        score is). Tied scores therefore share the better class.
    """
    valid = score.notna()
    s = score[valid]
    if groups is None:
        keys = pd.Series(0, index=s.index)
    elif isinstance(groups, pd.Series):
        keys = groups.reindex(s.index)
    else:
        keys = [groups[c].reindex(s.index) for c in groups.columns]
    grouped = s.groupby(keys, dropna=False)
    rank = grouped.rank(ascending=False, method="min")
    n = grouped.transform("size").astype("float64")
    pct = rank / n
    # A tolerance so that 2/10 is "≤ 0.2" whatever the rounding of the cut-off literal.
    position = np.searchsorted(np.asarray(cutoffs, dtype="float64") + 1e-12, pct.to_numpy())
    grade = pd.Series(np.asarray(classes, dtype=object)[position], index=s.index)
    out = pd.DataFrame(index=score.index)
    out["rank"] = rank.reindex(score.index).astype("Int64")
    out["n_rated"] = n.reindex(score.index).astype("Int64")
    out["pct"] = pct.reindex(score.index)
    out["grade"] = grade.reindex(score.index).astype("string")
    return out


def _group_keys(frame: pd.DataFrame, columns: Sequence[str]) -> list[pd.Series]:
    return [frame[c] for c in columns]


def grade_enterprises(
    enterprises: pd.DataFrame,
    indicators: pd.DataFrame,
    land_mu: pd.Series,
    *,
    policy: GradingPolicy = ZHEJIANG,
) -> pd.DataFrame:
    """
    Score and class every enterprise-year under ``policy``.

    Parameters
    ----------
    enterprises
        Enterprise-years with ``year``, the policy's ``group_by`` columns (``scale``) and
        optional ``start_year`` and ``utility``.
    indicators
        :func:`analysis.efficiency.enterprise_indicators` (or any frame holding the policy's
        indicator columns), indexed like ``enterprises``.
    land_mu
        Each row's land in mu, indexed like ``enterprises`` (no land → class T).
    policy
        Items, weights, cut-offs; default :data:`ZHEJIANG`.

    Returns
    -------
    DataFrame
        Indexed like ``enterprises``:

        - ``contrib_{indicator}`` for every indicator of the policy: the points the item
          gave (missing where the firm's scheme lacks it, and for unrated firms);
        - ``bench_{indicator}``: the benchmark used for the firm's group;
        - ``score``: Σ contributions (100 = at every benchmark), rounded to
          ``policy.score_decimals``;
        - ``imputed_items``: ``"; "``-joined indicators that got the group's mean item
          score because the firm lacked them (empty string if none);
        - ``weakest_item``: the scored (not imputed) item with the lowest ratio to its
          benchmark, the one that pulled the score down most;
        - ``rated``, ``unrated_reason`` (see :func:`unrated_reason`);
        - ``rank``, ``n_rated``, ``pct``, ``grade`` (A–D, or T for unrated rows) by
          :func:`classify` within year and group.
    """
    index = enterprises.index
    scheme_col = policy.group_by[0]
    reason = unrated_reason(
        enterprises, land_mu, min_years_in_production=policy.min_years_in_production
    )
    scheme_of = enterprises[scheme_col].astype("string")
    reason = reason.mask(reason.isna() & ~scheme_of.isin(list(policy.schemes)), "no_scheme")
    rated = reason.isna()
    keys = _group_keys(enterprises, ["year", *policy.group_by])

    out = pd.DataFrame(index=index)
    score = pd.Series(np.nan, index=index, dtype="float64")
    imputed = pd.Series("", index=index, dtype="object")
    weakest_ratio = pd.Series(np.inf, index=index, dtype="float64")
    weakest = pd.Series("", index=index, dtype="object")
    for indicator in policy.indicators:
        out[f"contrib_{indicator}"] = np.nan
        out[f"bench_{indicator}"] = np.nan

    for scale, items in policy.schemes.items():
        members = rated & (scheme_of == scale).fillna(False)
        if not members.any():
            continue
        mkeys = [k[members] for k in keys]
        total = pd.Series(0.0, index=index[members.to_numpy()])
        for item in items:
            raw = indicators.loc[members, item.indicator]
            value = pd.to_numeric(raw, errors="coerce").astype("float64")
            if item.benchmark is not None:
                bench = pd.Series(item.benchmark, index=value.index)
            else:
                bench = value.groupby(mkeys, dropna=False).transform("mean")
            ratio_ = value / bench.where(bench > 0)
            if item.cap is not None:
                ratio_ = ratio_.clip(upper=item.cap)
            contrib = item.weight * ratio_
            mean_contrib = contrib.groupby(mkeys, dropna=False).transform("mean")
            # An item nobody in the group reports: everyone at benchmark (full weight).
            mean_contrib = mean_contrib.fillna(item.weight)
            missing = contrib.isna()
            contrib = contrib.fillna(mean_contrib)
            out.loc[members, f"contrib_{item.indicator}"] = contrib
            out.loc[members, f"bench_{item.indicator}"] = bench
            total = total + contrib
            label = pd.Series(np.where(missing, item.indicator, ""), index=value.index)
            sep = np.where((imputed[members] != "") & (label != ""), "; ", "")
            imputed.loc[members] = imputed[members] + sep + label
            lower = (~missing) & (ratio_ < weakest_ratio[members])
            lower_idx = lower.index[lower.to_numpy()]
            weakest_ratio.loc[lower_idx] = ratio_[lower_idx]
            weakest.loc[lower_idx] = item.indicator
        score.loc[total.index] = total

    score = score.round(policy.score_decimals)
    out["score"] = score
    out["imputed_items"] = imputed.astype("string")
    out["weakest_item"] = weakest.astype("string").mask(~rated | (weakest == ""))
    out["rated"] = rated
    out["unrated_reason"] = reason
    classes = classify(
        score.where(rated),
        pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)}),
        cutoffs=policy.cutoffs,
        classes=policy.classes,
    )
    out = out.join(classes)
    out["grade"] = out["grade"].mask(~rated, UNRATED)
    return out


def plot_scores(
    plot_id: pd.Series, score: pd.Series, land_mu: pd.Series
) -> pd.Series:
    """
    Land-weighted mean score of the rated firms on each plot.

    A plot's score is Σ (firm score × firm land) / Σ firm land over its rated firms (firms
    with a score); plots are then classed among plots with the same cut-offs
    (:func:`classify`). A plot whose firms are all unrated has no score.

    Parameters
    ----------
    plot_id
        Each enterprise-year's plot (one year of firms).
    score
        Each enterprise-year's score, indexed like ``plot_id``; missing for unrated firms.
    land_mu
        Each enterprise-year's land in mu, indexed like ``plot_id``.

    Returns
    -------
    Series
        ``score`` indexed by ``plot_id`` (only plots with at least one scored firm).
    """
    land = land_mu.reindex(plot_id.index)
    s = score.reindex(plot_id.index)
    ok = s.notna() & (land > 0) & plot_id.notna()
    weighted = (s * land).where(ok).groupby(plot_id[ok]).sum()
    weights = land.where(ok).groupby(plot_id[ok]).sum()
    result = weighted / weights.where(weights > 0)
    result.index.name = "plot_id"
    return result.rename("score")


def grade_plots(
    plots: pd.DataFrame, firms: pd.DataFrame, *, policy: GradingPolicy = ZHEJIANG
) -> pd.DataFrame:
    """
    Score and class every plot from its firms' scores (one year).

    A plot's score is the land-weighted mean of its rated firms' scores
    (:func:`plot_scores`), rounded to ``policy.score_decimals``; plots are classed among
    plots with the policy's cut-offs
    (:func:`classify`), within the policy's extra ``group_by`` columns that ``plots`` has
    (e.g. ``district_code``). A plot whose firms are all unrated is class T; a plot without
    firms has no class (the low-efficiency list flags it idle instead).

    Parameters
    ----------
    plots
        Plots with ``plot_id`` (and any grouping columns).
    firms
        Enterprise-years of one year with ``plot_id``, ``score`` (missing when unrated) and
        ``land_mu`` (亩).
    policy
        Supplies the cut-offs, the classes and the grouping.

    Returns
    -------
    DataFrame
        Indexed like ``plots``: ``score``, ``rank``, ``n_rated``, ``pct``, ``grade``.
    """
    scores = plot_scores(firms["plot_id"], firms["score"], firms["land_mu"])
    ids = plots["plot_id"]
    score = pd.Series(ids.map(scores).to_numpy(dtype="float64"), index=plots.index, name="score")
    score = score.round(policy.score_decimals)
    extra = [c for c in policy.group_by[1:] if c in plots]
    out = classify(
        score, plots[extra] if extra else None, cutoffs=policy.cutoffs, classes=policy.classes
    )
    has_firms = isin(ids, firms["plot_id"].dropna().unique())
    out["grade"] = out["grade"].mask(out["grade"].isna() & has_firms, UNRATED)
    out.insert(0, "score", score)
    return out
