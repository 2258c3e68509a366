"""The app's year comparison: the change map's data and legend, class moves, a park's trend.

The tables come from :mod:`geoapp.comparison` (the same as ``geoapp analyze --compare``);
these pure functions shape them for the map (:func:`with_change`, :func:`change_legend`),
the list of plots that moved class (:func:`moved_plots`) and a park card's trend
(:func:`park_series`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.comparison import diverging_scale, target_scale
from analysis.scenario import ScenarioSettings
from geoapp.app.loading import AppData
from geoapp.app.symbology import Legend

INDICATORS: tuple[str, ...] = ("tax_per_mu", "output_per_mu")
"""Indicators the change map shows (万元/亩)."""

_DEFAULTS = ScenarioSettings()
TARGET_GROWTH: dict[str, float] = {"tax_per_mu": _DEFAULTS.tax_growth_target,
                                   "output_per_mu": _DEFAULTS.output_growth_target}
"""Yearly target growth of each indicator (10 % / 8 %, the scenario's defaults)."""


def change_metric(indicator: str, relative: bool) -> str:
    """Column the map colours by: ``tax_per_mu_change`` (万元/亩) or ``tax_per_mu_growth``."""
    return f"{indicator}_{'growth' if relative else 'change'}"


def target_over(indicator: str, years: int) -> float:
    """The target growth compounded over ``years`` years: 10 % a year over 2 → 21 %."""
    return (1.0 + TARGET_GROWTH[indicator]) ** max(int(years), 1) - 1.0


@dataclass(frozen=True)
class ChangeLegend(Legend):
    """A :class:`Legend` of diverging classes centred on 0 or on the target growth."""

    centre: float = 0.0
    edges: tuple[float, ...] = ()

    def classify(self, values: pd.Series) -> np.ndarray:
        """Class index (a value on an edge goes to the class above; -1 for missing)."""
        x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype="float64")
        inner = np.asarray(self.edges[1:-1], dtype="float64")
        out = np.searchsorted(inner, x + 1e-9, side="right").astype("int64")
        out[~np.isfinite(x)] = -1
        return out


def change_legend(values: pd.Series, *, indicator: str, relative: bool,
                  on_target: bool = False, years: int = 1) -> ChangeLegend:
    """
    Diverging classes of the change: red below the centre, blue above.

    Parameters
    ----------
    values
        The change of every plot (the metric column), to choose round steps.
    indicator
        ``"tax_per_mu"`` or ``"output_per_mu"``.
    relative
        Colour the relative change (%), else the absolute change (万元/亩).
    on_target
        Centre a relative scale on the target growth over ``years`` (:func:`target_over`)
        instead of 0 (an absolute scale is always centred on 0).
    years
        Years between the base year and the year shown.
    """
    x = pd.to_numeric(pd.Series(values), errors="coerce")
    if not np.isfinite(x.to_numpy(dtype="float64")).any():
        x = pd.Series([1.0, -1.0])
    if relative and on_target:
        scale = target_scale(x, target=target_over(indicator, years))
    else:
        scale = diverging_scale(x, centre=0.0, fraction=relative)
    metric = change_metric(indicator, relative)
    return ChangeLegend(metric=metric, scheme="diverging", labels=scale.labels,
                        colors=scale.colors, bins=scale.bins, centre=scale.centre,
                        edges=scale.edges)


def with_change(data: AppData, change: pd.DataFrame) -> AppData:
    """
    ``data`` whose plots carry the comparison's columns (for the change map).

    ``{m}_change``, ``{m}_growth`` (on the base year, replacing the evaluation's year-on-year
    growth), ``{m}_base``, ``grade_base`` and ``grade_move`` are joined on ``plot_id``; the
    other fields (and the spatial index) are shared, nothing is copied but the plot table.
    """
    c = change.set_index(change["plot_id"].astype(str))
    cols = [col for col in c.columns
            if col.endswith(("_change", "_growth", "_base")) or col == "grade_move"]
    plots = data.plots.copy()
    ids = plots["plot_id"].astype(str).to_numpy()
    for col in cols:
        plots[col] = c[col].reindex(ids).to_numpy()
    return dataclasses.replace(data, plots=plots)


def moved_plots(change: pd.DataFrame) -> pd.DataFrame:
    """Plots whose grade moved (A→C …), the largest falls first.

    Returns
    -------
    DataFrame
        ``plot_id``, ``grade_base``, ``grade``, ``grade_move``, ``grade_steps`` and the
        per-mu change columns, in a RangeIndex.
    """
    steps = pd.to_numeric(change.get("grade_steps"), errors="coerce")
    moved = change[steps.fillna(0).ne(0).to_numpy()]
    keep = [c for c in ("plot_id", "grade_base", "grade", "grade_move", "grade_steps",
                        "tax_per_mu_base", "tax_per_mu", "tax_per_mu_change",
                        "tax_per_mu_growth") if c in moved]
    return (moved[keep].sort_values(["grade_steps", "plot_id"], kind="stable")
            .reset_index(drop=True))


def park_series(trend: pd.DataFrame, park_id: str) -> pd.DataFrame:
    """One park's 亩均税收 and 亩均产值 by year (index ``year``), for a small line chart."""
    one = trend[trend["park_id"].astype(str) == str(park_id)]
    cols = [m for m in INDICATORS if m in one]
    return one.set_index(one["year"].astype(int))[cols].sort_index()
