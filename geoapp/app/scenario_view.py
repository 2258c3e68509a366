"""The Scenario tab's tables and figures (盘活方案), as plain values: no Streamlit here.

The app keeps the scenario being edited as actions in its session; every number it shows
comes from :mod:`geoapp.scenarios` and :mod:`geoapp.scenario_report`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from geoapp import scenario_report, scenarios, words
from geoapp.app.loading import AppData
from geoapp.pipeline import load_settings

SOURCES: tuple[str, ...] = ("from_low", "from_selection", "from_map")
"""Where the plots to add come from: the low-efficiency list, the filtered plots, a click."""
MAX_OPTIONS = 5000
"""At most this many filtered plots are offered in the picker."""


def planner_inputs(data: AppData) -> scenarios.PlannerInputs:
    """The planner's inputs from the app's loaded evaluation (no second analysis)."""
    return scenarios.inputs_from(data.path, data.results["evaluation"], year=data.year,
                                 settings=load_settings(data.path).scenario, layers=data.layers)


def parse_ids(text: str | None) -> list[str]:
    """Plot ids typed or pasted (separated by spaces, commas, semicolons or new lines)."""
    return [p for p in re.split(r"[\s,;\uff0c\uff1b\u3001]+", text or "") if p]


def source_plots(inputs: scenarios.PlannerInputs, plots: pd.DataFrame, source: str,
                 mask: np.ndarray | None, selected: tuple | None) -> list[str]:
    """
    The plot ids a source offers.

    The low-efficiency plots (lowest 亩均税收 first), the filtered plots, or the plot clicked
    on the map.
    """
    if source == "from_map":
        return [str(selected[1])] if selected and selected[0] == "plot" else []
    if source == "from_selection":
        ids = plots["plot_id"].astype(str)
        if mask is not None:
            ids = ids[np.asarray(mask, bool)]
        return ids.head(MAX_OPTIONS).tolist()
    low = inputs.plots.reindex(inputs.low_efficiency)
    order = pd.to_numeric(low["tax_per_mu"], errors="coerce").sort_values(na_position="first")
    return order.index.astype(str).tolist()


def actions_key(actions: pd.DataFrame) -> tuple:
    """A hashable copy of the actions (a cache key)."""
    return tuple(map(tuple, actions[scenarios.ACTION_COLUMNS].astype(str).to_numpy()))


def actions_from_key(key: tuple) -> pd.DataFrame:
    """The actions back from :func:`actions_key`."""
    if not key:
        return scenarios.empty_actions()
    frame = pd.DataFrame(list(key), columns=scenarios.ACTION_COLUMNS)
    frame["project_id"] = frame["project_id"].where(frame["project_id"] != "None")
    return scenarios.normalise_actions(frame)


@dataclass
class ScenarioView:
    """What the tab shows for one scenario."""

    summary: str
    burnups: dict[str, bytes] = field(default_factory=dict)
    captions: dict[str, str] = field(default_factory=dict)
    effect: pd.DataFrame = field(default_factory=pd.DataFrame)
    plots: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def scenario_view(inputs: scenarios.PlannerInputs, name: str, actions: pd.DataFrame,
                  lang: str = "zh") -> ScenarioView:
    """Simulate the scenario; its summary line, burn-up charts, 亩均税收 effect and plots."""
    result = scenario_report.run_all(inputs, {name: actions})[name]
    row = scenario_report.summary_row(name, result)
    summary = words.text("scenario.summary", lang).format(
        n=row["n_actions"], mu=f"{row['area_mu']:,.1f}", cost=f"{row['cost_wan']:,.0f}")
    summary += (f" · {words.name('tax_per_mu', lang)} {row['tax_per_mu_base']:.2f} → "
                f"{row['tax_per_mu_end']:.2f} ({result.horizon})")
    charts = scenario_report.burnups({name: result}, lang=lang)
    captions = {}
    for key in charts:
        scope_type, scope_id, metric = key.split(":")
        captions[key] = (f"{words.value('scope_type', scope_type, lang)} {scope_id} "
                         f"{words.value('target_metric', metric, lang)}")
    plots = pd.DataFrame(result.plots[[c for c in scenario_report.PLOT_COLUMNS
                                       if c in result.plots]])
    return ScenarioView(summary=summary, burnups=charts, captions=captions,
                        effect=scenario_report.effect_table(result), plots=plots,
                        notes=[*result.notes, *(f"{r.plot_id}: {r.reason}"
                                                for r in result.skipped.itertuples())])
