"""Per-mu efficiency indicators (亩均效益) of enterprise-years, plots, parks, towns and districts.

One rule everywhere: an aggregate's intensity is **the sum of its numerator over the sum of
its denominator** (Σ tax / Σ land), never the mean of its members' ratios — that is how the
statistics bureau's totals reconcile with the map. For ratios whose denominator is not land
(value added per tce, labour productivity, R&D intensity, …) only the members that report
both the numerator and a positive denominator enter either sum, so a firm that reports value
added but no energy does not inflate value added per tce.

Zero or missing denominators give NaN, never inf.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from layers.units import M2_PER_MU

LAND = "land_mu"
"""Name of the land column (亩) every per-mu indicator divides by."""

INDICATORS: dict[str, tuple[str, str]] = {
    "output_per_mu": ("output_wan", LAND),
    "tax_per_mu": ("tax_wan", LAND),
    "value_added_per_mu": ("value_added_wan", LAND),
    "revenue_per_mu": ("revenue_wan", LAND),
    "value_added_per_tce": ("value_added_wan", "energy_tce"),
    "tax_per_tce": ("tax_wan", "energy_tce"),
    "value_added_per_t_emissions": ("value_added_wan", "emissions_t"),
    "labour_productivity": ("value_added_wan", "employees"),
    "rd_intensity": ("rd_wan", "revenue_wan"),
}
"""``{indicator: (numerator column, denominator column)}`` of every efficiency indicator."""

UNITS: dict[str, str] = {
    "output_per_mu": "万元/亩",
    "tax_per_mu": "万元/亩",
    "value_added_per_mu": "万元/亩",
    "revenue_per_mu": "万元/亩",
    "value_added_per_tce": "万元/吨标煤",
    "tax_per_tce": "万元/吨标煤",
    "value_added_per_t_emissions": "万元/吨",
    "labour_productivity": "万元/人",
    "rd_intensity": "",
    "plot_ratio": "",
    "new_land_investment_intensity": "万元/亩",
    "project_investment_intensity": "万元/亩",
}
"""Unit of each indicator (``rd_intensity`` and ``plot_ratio`` are plain fractions)."""

LABELS_ZH: dict[str, str] = {
    "output_per_mu": "亩均产值",
    "tax_per_mu": "亩均税收",
    "value_added_per_mu": "亩均增加值",
    "revenue_per_mu": "亩均营业收入",
    "value_added_per_tce": "单位能耗增加值",
    "tax_per_tce": "单位能耗税收",
    "value_added_per_t_emissions": "单位排放增加值",
    "labour_productivity": "全员劳动生产率",
    "rd_intensity": "研发经费投入强度",
    "plot_ratio": "容积率",
    "new_land_investment_intensity": "新增产业用地投资强度",
    "project_investment_intensity": "项目投资强度",
}
"""Chinese label of each indicator, for the UI and exports."""

AMOUNTS: tuple[str, ...] = (
    "output_wan",
    "tax_wan",
    "value_added_wan",
    "revenue_wan",
    "energy_tce",
    "emissions_t",
    "employees",
    "rd_wan",
)
"""Enterprise amounts that are summed when firms are aggregated."""

GROWTH_TARGETS: dict[str, str] = {
    "tax_per_mu": "tax_per_mu_growth",
    "output_per_mu": "output_per_mu_growth",
    "new_land_investment_intensity": "investment_intensity_growth",
}
"""``{indicator: metric in the targets layer}`` for the year-on-year growth targets."""


def ratio(numerator: pd.Series, denominator: pd.Series, *, name: str) -> pd.Series:
    """
    Divide two aligned Series; a zero, negative or missing denominator gives NaN.

    Parameters
    ----------
    numerator, denominator
        Amounts indexed alike (the denominator is aligned on the numerator's index).
    name
        Name of the result.

    Returns
    -------
    Series
        ``numerator / denominator`` as float64, indexed like ``numerator``.
    """
    if not denominator.index.equals(numerator.index):
        denominator = denominator.reindex(numerator.index)
    num = _floats(numerator)
    den = _floats(denominator)
    out = np.full(len(num), np.nan)
    ok = den > 0
    out[ok] = num[ok] / den[ok]
    return pd.Series(out, index=numerator.index, name=name)


def _floats(values: pd.Series) -> np.ndarray:
    """Return ``values`` as a float64 array, anything not numeric as NaN."""
    if values.dtype == "float64":
        return values.to_numpy()
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def per_mu_name(amount: str) -> str:
    """Name the per-mu column of an amount: ``"tax_wan"`` → ``"tax_per_mu"``."""
    return f"{str(amount).removesuffix('_wan')}_per_mu"


def per_mu(values: pd.Series, land_mu: pd.Series, *, name: str | None = None) -> pd.Series:
    """
    Divide an amount by land area to give its per-mu intensity.

    Parameters
    ----------
    values
        Amount per row, 万元 unless its name says otherwise.
    land_mu
        Land area in mu (亩), indexed like ``values``. Zero or missing area gives NaN.
    name
        Name of the result; default :func:`per_mu_name` of ``values.name``
        (``tax_wan`` → ``tax_per_mu``).

    Returns
    -------
    Series
        Intensity in 万元/亩 (or the amount's unit per mu), indexed like ``values``.
    """
    return ratio(values, land_mu, name=per_mu_name(values.name) if name is None else name)


def _amount(frame: pd.DataFrame, column: str) -> pd.Series:
    """Return a numeric column of ``frame`` as float64, all-NaN when the column is absent."""
    if column in frame:
        return pd.to_numeric(frame[column], errors="coerce").astype("float64")
    return pd.Series(float("nan"), index=frame.index, dtype="float64", name=column)


def enterprise_indicators(enterprises: pd.DataFrame, land_mu: pd.Series) -> pd.DataFrame:
    """
    Efficiency indicators of each enterprise-year.

    Parameters
    ----------
    enterprises
        Enterprise-years with ``output_wan`` and ``tax_wan`` and, where known,
        ``value_added_wan``, ``revenue_wan``, ``energy_tce``, ``emissions_t``,
        ``employees``, ``rd_wan`` (absent columns give NaN indicators).
    land_mu
        Each row's land in mu (its share of its plot, see
        :func:`analysis.overlay.apportion_land_mu`), indexed like ``enterprises``.

    Returns
    -------
    DataFrame
        Indexed like ``enterprises``, one column per entry of :data:`INDICATORS`:
        output/tax/value added/revenue per mu (万元/亩), value added and tax per tce
        (万元/吨标煤), value added per tonne of emissions (万元/吨), labour productivity
        (value added per employee, 万元/人) and R&D intensity (R&D / revenue, a fraction).
    """
    land = land_mu.reindex(enterprises.index)
    out = {}
    for name, (num, den) in INDICATORS.items():
        denominator = land if den == LAND else _amount(enterprises, den)
        out[name] = ratio(_amount(enterprises, num), denominator, name=name)
    return pd.DataFrame(out, index=enterprises.index)


def scope_indicators(
    firms: pd.DataFrame,
    plots: pd.DataFrame,
    key: str,
    *,
    year: int | None = None,
    projects: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """
    Efficiency indicators of every plot, park, town or district: sums over sums.

    Parameters
    ----------
    firms
        Enterprise-years with a ``key`` column (their scope, e.g. ``park_id`` from their
        plot), ``year`` and the :data:`AMOUNTS` they report.
    plots
        Plots with ``key`` and ``area_mu`` (亩); optional ``floor_area_m2`` (m²),
        ``supply_year`` and ``contract_investment_wan`` (万元).
    key
        The scope column: ``"plot_id"``, ``"park_id"``, ``"town_code"``, ``"district_code"``.
    year
        Keep only the firms of this year; newly supplied land is the plots whose
        ``supply_year`` equals it. None keeps every firm and counts no new land.
    projects
        Optional projects with ``key``, ``investment_wan`` and ``land_mu``.

    Returns
    -------
    DataFrame
        Indexed by the scope ids found in ``plots[key]`` (named ``key``), with

        - ``n_plots``, ``land_mu``: plots and their land (亩), idle land included, so idle
          land lowers per-mu figures;
        - ``n_enterprises`` and the summed :data:`AMOUNTS` (NaN where no firm reports one);
        - every :data:`INDICATORS` entry, e.g. ``tax_per_mu`` = Σ tax / Σ plot land, and
          ``value_added_per_tce`` = Σ value added / Σ energy over firms reporting both;
        - ``plot_ratio`` = Σ floor area / Σ land area (m²/m²) over plots whose floor area is
          known;
        - ``new_land_mu``, ``new_land_investment_wan``, ``new_land_investment_intensity``:
          plots supplied in ``year`` with a contract investment, Σ investment / Σ land (万元/亩);
        - ``n_projects`` and ``project_investment_wan`` (Σ investment of every project);
          ``project_land_mu`` and ``project_investment_intensity`` (Σ investment / Σ land,
          万元/亩) over projects with a positive ``land_mu``.
    """
    plots = plots[plots[key].notna()]
    groups = plots[key]
    land = pd.to_numeric(plots["area_mu"], errors="coerce").astype("float64")
    floor = _amount(plots, "floor_area_m2")
    known = floor.notna() & land.notna()
    contract = _amount(plots, "contract_investment_wan")
    if year is not None and "supply_year" in plots:
        supply = pd.to_numeric(plots["supply_year"], errors="coerce")
        new = (supply == year) & contract.notna() & (land > 0)
    else:
        new = pd.Series(False, index=plots.index)
    # One groupby for every plot-side sum (min_count=1: nothing known stays NaN).
    plot_sums = pd.DataFrame({
        "n_plots": 1.0,
        "land_mu": land.fillna(0.0),
        "floor_area_m2": floor.where(known),
        "_known_land_m2": land.where(known) * M2_PER_MU,
        "new_land_mu": land.where(new),
        "new_land_investment_wan": contract.where(new),
    }, index=plots.index).groupby(groups).sum(min_count=1)
    table = plot_sums.drop(columns=["floor_area_m2", "_known_land_m2", "new_land_mu",
                                    "new_land_investment_wan"])
    table["n_plots"] = table["n_plots"].astype("int64")
    table.index.name = key

    # Copy only the columns used before filtering rows: firms tables are wide and long.
    firms = firms[[c for c in dict.fromkeys((key, "year", *AMOUNTS)) if c in firms]]
    keep = firms[key].notna()
    if year is not None and "year" in firms:
        keep &= firms["year"] == year
    firms = firms[keep]
    sums = pd.DataFrame({c: _amount(firms, c) for c in AMOUNTS}, index=firms.index)
    columns = {"n_enterprises": pd.Series(1.0, index=firms.index)}
    columns.update({c: sums[c] for c in AMOUNTS})
    for name, (num, den) in INDICATORS.items():
        if den != LAND:
            both = sums[num].notna() & (sums[den] > 0)
            columns[f"_num_{name}"] = sums[num].where(both)
            columns[f"_den_{name}"] = sums[den].where(both)
    firm_sums = pd.DataFrame(columns, index=firms.index).groupby(firms[key]).sum(min_count=1)
    firm_sums = firm_sums.reindex(table.index)
    table["n_enterprises"] = firm_sums["n_enterprises"].fillna(0).astype("int64")
    for c in AMOUNTS:
        table[c] = firm_sums[c]
    for name, (num, den) in INDICATORS.items():
        if den == LAND:
            table[name] = ratio(table[num], table["land_mu"], name=name)
        else:
            table[name] = ratio(firm_sums[f"_num_{name}"], firm_sums[f"_den_{name}"], name=name)

    table["floor_area_m2"] = plot_sums["floor_area_m2"]
    table["plot_ratio"] = ratio(plot_sums["floor_area_m2"], plot_sums["_known_land_m2"],
                                name="plot_ratio")
    table["new_land_mu"] = plot_sums["new_land_mu"]
    table["new_land_investment_wan"] = plot_sums["new_land_investment_wan"]
    table["new_land_investment_intensity"] = ratio(
        table["new_land_investment_wan"], table["new_land_mu"], name="new_land_investment_intensity"
    )

    if projects is not None and len(projects) and key in projects:
        pkey = projects[key]
        inv = _amount(projects, "investment_wan")
        pland = _amount(projects, "land_mu")
        with_land = inv.notna() & (pland > 0)
        project_sums = pd.DataFrame(
            {"n_projects": 1.0,
             "project_investment_wan": inv,
             "_land_investment_wan": inv.where(with_land),
             "project_land_mu": pland.where(with_land)},
            index=projects.index,
        ).groupby(pkey).sum(min_count=1).reindex(table.index)
    else:
        project_sums = pd.DataFrame(
            np.nan, index=table.index,
            columns=["n_projects", "project_investment_wan", "_land_investment_wan",
                     "project_land_mu"],
        )
    table["n_projects"] = project_sums["n_projects"].fillna(0).astype("int64")
    table["project_investment_wan"] = project_sums["project_investment_wan"]
    table["project_land_mu"] = project_sums["project_land_mu"]
    table["project_investment_intensity"] = ratio(
        project_sums["_land_investment_wan"], project_sums["project_land_mu"],
        name="project_investment_intensity",
    )
    return table


def main_industry(firms: pd.DataFrame, key: str = "plot_id", *,
                  weight: str = "output_wan") -> pd.Series:
    """
    The industry of each scope: that of its firm with the largest ``weight``.

    Parameters
    ----------
    firms
        Enterprise-years of one year with ``key``, ``industry`` and ``weight`` (万元); a
        missing weight counts as 0.
    key
        The scope column, e.g. ``"plot_id"``.
    weight
        The amount that decides, ``output_wan`` by default.

    Returns
    -------
    Series
        Industry codes indexed by the scope ids that have firms (named ``industry``); on a
        tie the firm listed first wins.
    """
    if len(firms) == 0 or "industry" not in firms:
        return pd.Series(dtype="string", name="industry", index=pd.Index([], name=key))
    amount = _amount(firms, weight).fillna(0.0)
    ordered = firms.assign(_w=amount.to_numpy()).sort_values([key, "_w"],
                                                             ascending=[True, False],
                                                             kind="stable")
    top = ordered.drop_duplicates(key).set_index(key)["industry"]
    return top.astype("string").rename("industry")


def growth(current: pd.Series, previous: pd.Series) -> pd.Series:
    """
    Year-on-year growth as a fraction: ``current / previous - 1``.

    Parameters
    ----------
    current
        This year's values, e.g. ``tax_per_mu`` by park.
    previous
        Last year's values; aligned on ``current``'s index. Missing, zero or negative
        values give NaN (growth from nothing is undefined, not infinite).

    Returns
    -------
    Series
        Named ``f"{current.name}_growth"``, indexed like ``current`` (0.10 = +10 %).
    """
    return (ratio(current, previous, name="r") - 1.0).rename(f"{current.name}_growth")


def targets_for(
    targets: pd.DataFrame | None, *, scope_type: str, year: int, metric: str
) -> pd.Series:
    """
    Look up the target of one metric for every scope of one type in one year.

    Parameters
    ----------
    targets
        The targets layer (``scope_type``, ``scope_id``, ``year``, ``metric``, ``value``).
    scope_type
        ``"district"``, ``"town"`` or ``"park"``.
    year
        The target year.
    metric
        E.g. ``"tax_per_mu_growth"`` (a fraction).

    Returns
    -------
    Series
        ``value`` indexed by ``scope_id`` as text; the last row wins when one is repeated.
    """
    if targets is None or len(targets) == 0:
        return pd.Series(dtype="float64")
    rows = targets[
        (targets["scope_type"].astype(str) == scope_type)
        & (pd.to_numeric(targets["year"], errors="coerce") == year)
        & (targets["metric"].astype(str) == metric)
    ]
    values = pd.to_numeric(rows["value"], errors="coerce").astype("float64")
    values.index = rows["scope_id"].astype(str).to_numpy()
    return values[~values.index.duplicated(keep="last")]


def growth_against_targets(
    current: pd.DataFrame,
    previous: pd.DataFrame | None,
    targets: pd.DataFrame | None,
    *,
    scope_type: str,
    year: int,
    metrics: Mapping[str, str] = GROWTH_TARGETS,
) -> pd.DataFrame:
    """
    Year-on-year growth of each scope's indicators, compared with its targets.

    Parameters
    ----------
    current, previous
        :func:`scope_indicators` of ``year`` and ``year - 1``, indexed by scope id.
        ``previous`` may be None or lack a scope: the growth is then NaN, not an error.
    targets
        The targets layer, or None.
    scope_type
        ``"district"``, ``"town"`` or ``"park"``: which targets apply.
    year
        The evaluation year.
    metrics
        ``{indicator: target metric}``, default :data:`GROWTH_TARGETS`.

    Returns
    -------
    DataFrame
        Indexed like ``current``; per indicator ``m``: ``{m}_growth`` (fraction),
        ``{m}_growth_target`` (fraction) and ``{m}_target_met`` (nullable boolean: missing
        when the growth or the target is unknown). ``target_met`` is False if any known
        comparison fails, True if every known one is met, missing if none is known.
    """
    out = pd.DataFrame(index=current.index)
    mets = {}
    ids = current.index.astype(str)
    for indicator, metric in metrics.items():
        cur = current[indicator] if indicator in current else pd.Series(
            float("nan"), index=current.index, name=indicator
        )
        if previous is not None and indicator in previous:
            prev = previous[indicator]
        else:
            prev = pd.Series(float("nan"), index=current.index)
        g = growth(cur.rename(indicator), prev)
        target = targets_for(targets, scope_type=scope_type, year=year, metric=metric)
        t = pd.Series(target.reindex(ids).to_numpy(dtype="float64"), index=current.index)
        # 1e-9 of slack: a growth of exactly the target is met despite float rounding.
        met = (g >= t - 1e-9).astype("boolean").mask(g.isna() | t.isna())
        out[f"{indicator}_growth"] = g
        out[f"{indicator}_growth_target"] = t
        out[f"{indicator}_target_met"] = met
        mets[indicator] = met
    table = pd.DataFrame(mets, index=current.index)
    known = table.notna().any(axis=1)
    failed = table.eq(False).fillna(False).any(axis=1)
    out["target_met"] = (~failed).astype("boolean").mask(~known)
    return out
