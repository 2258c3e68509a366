"""Year-on-year comparison: per-plot change, grade moves, park trends and diverging scales.

Every per-mu figure comes from :mod:`analysis.efficiency` (``scope_indicators`` for Σ / Σ,
``growth`` for the relative change): this module only lines two years up. A relative change
from a missing, zero or negative base is NaN, never inf.

- :func:`per_mu_change` — two evaluated plot tables (or any two tables keyed alike) →
  per plot the absolute and relative change of 亩均税收 / 亩均产值 and the grade move
  (``"A→C"``).
- :func:`plot_change` — the same from enterprise-years and plots with areas.
- :func:`park_trend` — Σ tax / Σ 亩 (and output) per park per year, every year, with the
  growth on the year before; :func:`trend_table` pivots it to parks × years.
- :func:`diverging_scale` / :func:`target_scale` — class edges and colours centred on 0 or
  on the target growth (e.g. +10 %), with round steps.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.efficiency import growth, scope_indicators

INDICATORS: tuple[str, ...] = ("tax_per_mu", "output_per_mu")
"""Per-mu indicators compared by default (万元/亩)."""

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
"""Grade order, best first: a move A→C is two steps down."""

DIVERGING: dict[int, tuple[str, ...]] = {
    1: ("#ef8a62", "#67a9cf"),
    2: ("#ca0020", "#f4a582", "#92c5de", "#0571b0"),
    3: ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"),
    4: ("#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#d1e5f0", "#92c5de", "#4393c3",
        "#2166ac"),
}
"""ColorBrewer RdBu by classes on each side: red below the centre, blue above."""

NICE_STEPS: tuple[float, ...] = (1.0, 2.0, 2.5, 5.0)


def _floats(values) -> pd.Series:
    return pd.to_numeric(pd.Series(values), errors="coerce").astype("float64")


def move(before: pd.Series, after: pd.Series, *,
         order: Sequence[str] = GRADES) -> pd.DataFrame:
    """
    The class move of each row, e.g. ``"A→C"``, and its number of steps.

    Parameters
    ----------
    before, after
        Classes (grades) of the base and the current year; ``after`` is aligned on
        ``before``'s index.
    order
        Classes best first. ``steps`` counts places moved up (A→C is -2, D→B is +2).

    Returns
    -------
    DataFrame
        Indexed like ``before``: ``move`` (string, missing when either class is) and
        ``steps`` (float, NaN when either class is missing or not in ``order``, e.g. unrated).
    """
    after = after.reindex(before.index)
    b = before.astype("string")
    a = after.astype("string")
    text = (b + "→" + a).astype("string")
    rank = {c: i for i, c in enumerate(order)}
    rb = b.map(rank, na_action="ignore")
    ra = a.map(rank, na_action="ignore")
    steps = pd.to_numeric(rb, errors="coerce") - pd.to_numeric(ra, errors="coerce")
    return pd.DataFrame({"move": text, "steps": steps.astype("float64")}, index=before.index)


def per_mu_change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    *,
    key: str = "plot_id",
    indicators: Sequence[str] = INDICATORS,
    grade: str | None = "grade",
) -> pd.DataFrame:
    """
    Change of each plot's per-mu indicators and grade between two evaluated years.

    Parameters
    ----------
    current, previous
        Evaluated plot tables of the compared year and the base year (e.g. the evaluation
        stage's ``plots`` for 2023 and 2022), each with ``key``, the ``indicators``
        (万元/亩) and optionally ``grade``.
    key
        The id column; each id must be unique in each table.
    indicators
        Columns compared.
    grade
        Class column compared with :func:`move`, or None.

    Returns
    -------
    DataFrame
        Indexed by ``key``: the current year's ids, then ids only in the base year. Per
        indicator ``m``: ``{m}_base`` and ``{m}`` (万元/亩), ``{m}_change`` (absolute,
        万元/亩: NaN when either is missing) and ``{m}_growth`` (fraction, 0.10 = +10 %, from
        :func:`analysis.efficiency.growth`: NaN when the base is missing, zero or negative).
        With ``grade``: ``grade_base``, ``grade``, ``grade_move`` (``"A→C"``) and
        ``grade_steps`` (-2).

    Raises
    ------
    ValueError
        When ``key`` is missing or repeated in either table.
    """
    for name, frame in (("current", current), ("previous", previous)):
        if key not in frame:
            raise ValueError(f"{name}: no {key!r} column")
        dup = frame[key][frame[key].duplicated()]
        if len(dup):
            raise ValueError(f"{name}: {key} repeated: {sorted(map(str, dup.unique()))[:10]}")
    cur = pd.DataFrame(current).set_index(current[key].astype("string").to_numpy())
    prev = pd.DataFrame(previous).set_index(previous[key].astype("string").to_numpy())
    ids = cur.index.append(prev.index.difference(cur.index, sort=False))
    out = pd.DataFrame(index=pd.Index(ids, name=key, dtype="string"))
    for m in indicators:
        now = (_floats(cur[m]).set_axis(cur.index) if m in cur
               else pd.Series(np.nan, index=cur.index)).reindex(ids).rename(m)
        base = (_floats(prev[m]).set_axis(prev.index) if m in prev
                else pd.Series(np.nan, index=prev.index)).reindex(ids)
        out[f"{m}_base"] = base.to_numpy()
        out[m] = now.to_numpy()
        out[f"{m}_change"] = (now - base).to_numpy()
        out[f"{m}_growth"] = growth(now, base).to_numpy()
    if grade is not None:
        g_now = (cur[grade] if grade in cur else pd.Series(pd.NA, index=cur.index))
        g_base = (prev[grade] if grade in prev else pd.Series(pd.NA, index=prev.index))
        g_now = g_now.reindex(ids).astype("string")
        g_base = g_base.reindex(ids).astype("string")
        moved = move(g_base, g_now)
        out["grade_base"] = pd.array(g_base.to_numpy(), dtype="string")
        out["grade"] = pd.array(g_now.to_numpy(), dtype="string")
        out["grade_move"] = pd.array(moved["move"].to_numpy(), dtype="string")
        out["grade_steps"] = moved["steps"].to_numpy()
    return out


def plot_change(
    firms: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    year: int,
    base_year: int,
    indicators: Sequence[str] = INDICATORS,
) -> pd.DataFrame:
    """
    Per-plot change of per-mu indicators from enterprise-years and plots with areas.

    Each year's indicators are :func:`analysis.efficiency.scope_indicators` by
    ``plot_id`` (Σ amount / plot area), then :func:`per_mu_change` without grades.

    Parameters
    ----------
    firms
        Enterprise-years with ``plot_id``, ``year``, ``tax_wan``, ``output_wan`` (万元).
    plots
        Plots with ``plot_id`` and ``area_mu`` (亩).
    year, base_year
        The compared year and the base year (e.g. 2023 and 2022).

    Returns
    -------
    DataFrame
        As :func:`per_mu_change`, indexed by every plot id.
    """
    now = scope_indicators(firms, plots, "plot_id", year=year).reset_index()
    base = scope_indicators(firms, plots, "plot_id", year=base_year).reset_index()
    return per_mu_change(now, base, key="plot_id", indicators=indicators, grade=None)


def park_trend(
    firms: pd.DataFrame,
    plots: pd.DataFrame,
    *,
    key: str = "park_id",
    years: Sequence[int] | None = None,
    indicators: Sequence[str] = INDICATORS,
) -> pd.DataFrame:
    """
    Per-mu indicators of every park (or town, district) in every year: Σ amount / Σ 亩.

    Parameters
    ----------
    firms
        Enterprise-years with ``year``, ``tax_wan``, ``output_wan`` and ``key`` or
        ``plot_id`` (then the scope is the plot's, from ``plots``).
    plots
        Plots with ``plot_id``, ``key`` and ``area_mu`` (亩). The land of a scope is the same
        every year (today's plots, idle ones included), so a change is a change of the amounts.
    key
        ``"park_id"``, ``"town_code"`` or ``"district_code"``.
    years
        Years to list; default every year in ``firms``.
    indicators
        Per-mu indicators to report (and their growth).

    Returns
    -------
    DataFrame
        One row per (scope, year), sorted by both: ``key``, ``year``, ``n_plots``,
        ``land_mu``, ``n_enterprises``, ``tax_wan``, ``output_wan`` and per indicator ``m``
        the value (万元/亩) and ``{m}_growth`` on ``year - 1`` (fraction; NaN for the first
        year, a missing year or a zero base).
    """
    if key not in firms:
        if "plot_id" not in firms:
            raise ValueError(f"firms need a {key!r} or a 'plot_id' column")
        scope_of = plots.drop_duplicates("plot_id").set_index(
            plots.drop_duplicates("plot_id")["plot_id"].astype("string").to_numpy())[key]
        firms = firms.assign(**{key: scope_of.reindex(
            firms["plot_id"].astype("string").to_numpy()).to_numpy()})
    if years is None:
        years = sorted(int(y) for y in pd.to_numeric(firms["year"], errors="coerce")
                       .dropna().unique())
    tables = {int(y): scope_indicators(firms, plots, key, year=int(y)) for y in years}
    keep = ["n_plots", "land_mu", "n_enterprises", "tax_wan", "output_wan", *indicators]
    rows = []
    for y, table in tables.items():
        part = table[[c for c in dict.fromkeys(keep) if c in table]].copy()
        before = tables.get(y - 1)
        for m in indicators:
            prev = before[m] if before is not None else pd.Series(np.nan, index=table.index)
            part[f"{m}_growth"] = growth(table[m], prev).to_numpy()
        part.insert(0, "year", y)
        rows.append(part.reset_index())
    if not rows:
        return pd.DataFrame(columns=[key, "year", *keep,
                                     *(f"{m}_growth" for m in indicators)])
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values([key, "year"], kind="stable").reset_index(drop=True)


def trend_table(trend: pd.DataFrame, *, key: str = "park_id",
                value: str = "tax_per_mu") -> pd.DataFrame:
    """Pivot :func:`park_trend` to one row per scope and one column per year of ``value``."""
    table = trend.pivot(index=key, columns="year", values=value)
    table.columns.name = None
    return table


# -- diverging colour scales --------------------------------------------------------------


@dataclass(frozen=True)
class DivergingScale:
    """Classes centred on a value: equal steps either side, red below and blue above.

    Attributes
    ----------
    centre
        The value classes diverge from (0, or the target growth).
    edges
        ``2 n + 1`` class edges, ``centre`` in the middle. Values beyond the outer edges
        fall in the outer classes.
    colors
        ``2 n`` colours, one per class (hex).
    labels
        One label per class; the outer ones open-ended (``"< -20%"``, ``"≥ +40%"``).
    """

    centre: float
    edges: tuple[float, ...]
    colors: tuple[str, ...]
    labels: tuple[str, ...]

    @property
    def bins(self) -> tuple[float, ...]:
        """Upper bounds of the classes (the last is the top edge)."""
        return self.edges[1:]

    def classify(self, values) -> np.ndarray:
        """
        Class index of each value (``-1`` for missing or non-finite values).

        A value on an edge goes to the class above it: growth exactly at the target is "met".
        """
        x = _floats(values).to_numpy()
        inner = np.asarray(self.edges[1:-1], dtype="float64")
        out = np.searchsorted(inner, x + 1e-9, side="right").astype("int64")
        out[~np.isfinite(x)] = -1
        return out


def _nice_ceil(value: float) -> float:
    exp = math.floor(math.log10(value))
    for e in (exp, exp + 1):
        for s in NICE_STEPS:
            if s * 10.0**e >= value * (1 - 1e-12):
                return s * 10.0**e
    return 10.0 ** (exp + 2)  # pragma: no cover


def _label(value: float, fraction: bool) -> str:
    if abs(value) < 1e-12:
        return "0%" if fraction else "0"
    if fraction:
        return f"{value * 100:+.{_digits(value * 100)}f}%"
    return f"{value:+,.{_digits(value)}f}"


def _digits(value: float) -> int:
    v = round(abs(value), 9)
    for d in range(4):
        if abs(v - round(v, d)) < 1e-9:
            return d
    return 4


def diverging_scale(
    values=None,
    *,
    centre: float = 0.0,
    n_side: int = 3,
    step: float | None = None,
    quantile: float = 0.95,
    fraction: bool = True,
) -> DivergingScale:
    """
    Classes of equal round steps either side of ``centre``.

    Parameters
    ----------
    values
        The values to be coloured (e.g. ``tax_per_mu_growth``); used only to choose ``step``.
    centre
        The value the scale diverges from: 0 for change, the target for growth.
    n_side
        Classes on each side (1-4).
    step
        Class width; default the round number (1, 2, 2.5 or 5 × 10ⁿ) at least the
        ``quantile`` of ``|value - centre|`` divided by ``n_side`` (so outliers do not wash
        out the scale: they fall in the outer classes).
    fraction
        Values are fractions: labels in percent (``"+10%"``).

    Returns
    -------
    DivergingScale

    Raises
    ------
    ValueError
        For ``n_side`` outside 1-4, a non-positive ``step``, or no finite value and no ``step``.
    """
    if n_side not in DIVERGING:
        raise ValueError(f"n_side {n_side!r}: expected one of {sorted(DIVERGING)}")
    if step is None:
        x = _floats(values if values is not None else []).to_numpy()
        spread = np.abs(x[np.isfinite(x)] - centre)
        if not len(spread):
            raise ValueError("no finite values to choose a step from; pass step=")
        top = float(np.quantile(spread, quantile))
        step = _nice_ceil(top / n_side) if top > 0 else (0.01 if fraction else 1.0)
    if not step > 0:
        raise ValueError(f"step {step!r}: expected a positive number")
    edges = tuple(centre + step * i for i in range(-n_side, n_side + 1))
    labels = [f"< {_label(edges[1], fraction)}"]
    for lo, hi in itertools.pairwise(edges[1:-1]):
        labels.append(f"{_label(lo, fraction)} – {_label(hi, fraction)}")
    labels.append(f"≥ {_label(edges[-2], fraction)}")
    return DivergingScale(centre=float(centre), edges=edges, colors=DIVERGING[n_side],
                          labels=tuple(labels))


def target_scale(values=None, *, target: float = 0.10, n_side: int = 3,
                 step: float | None = None) -> DivergingScale:
    """
    A growth scale centred on the target growth: blue classes met it, red ones did not.

    ``target`` is a fraction (0.10 = +10 %, the plans' 亩均税收增长 10 %); see
    :func:`diverging_scale` for the rest.
    """
    return diverging_scale(values, centre=target, n_side=n_side, step=step, fraction=True)
