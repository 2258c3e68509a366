"""How plots are coloured: metrics, colour schemes, palettes and legends.

:data:`METRICS` are the quantities a map can show; :func:`make_legend` computes class breaks
once, on the unfiltered plots, so colours mean the same thing whatever the filters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoapp import words


@dataclass(frozen=True)
class Metric:
    """A plot attribute the map can colour by.

    Attributes
    ----------
    column
        Column of the plot table; its names and unit come from :mod:`geoapp.words`.
    numerator
        For per-mu metrics, the amount summed when plots are aggregated (Σ amount / Σ mu);
        None for metrics averaged by land (score, growth) or counted (grade).
    """

    column: str
    numerator: str | None = None

    @property
    def zh(self) -> str:
        """Chinese name, e.g. ``"亩均税收"``."""
        return words.name(self.column, "zh")

    @property
    def en(self) -> str:
        """English name, e.g. ``"Tax per mu"``."""
        return words.name(self.column, "en")

    @property
    def unit(self) -> str:
        """Unit shown in the legend (Chinese)."""
        return words.unit(self.column, "zh")

    @property
    def fraction(self) -> bool:
        """Values are fractions shown as percentages."""
        return words.column_label(self.column).fraction

    def name(self, lang: str = "zh") -> str:
        """Name in ``lang`` without the unit."""
        return words.name(self.column, lang)

    def label(self, lang: str = "zh") -> str:
        """Label with unit, e.g. ``"亩均税收(万元/亩)"``."""
        return words.label(self.column, lang)


METRICS: dict[str, Metric] = {
    "tax_per_mu": Metric("tax_per_mu", "tax_wan"),
    "output_per_mu": Metric("output_per_mu", "output_wan"),
    "value_added_per_mu": Metric("value_added_per_mu", "value_added_wan"),
    "score": Metric("score"),
    "grade": Metric("grade"),
    "tax_per_mu_growth": Metric("tax_per_mu_growth"),
}
"""Metrics the plots can be coloured by."""

CHANGE_METRICS: dict[str, Metric] = {
    "tax_per_mu_change": Metric("tax_per_mu_change"),
    "output_per_mu_change": Metric("output_per_mu_change"),
    "tax_per_mu_growth": Metric("tax_per_mu_growth"),
    "output_per_mu_growth": Metric("output_per_mu_growth"),
}
"""Metrics of the year comparison's change map (:mod:`geoapp.app.yearchange`)."""


def metric_info(metric: str) -> Metric:
    """The :class:`Metric` of a key of :data:`METRICS` or :data:`CHANGE_METRICS`."""
    return METRICS[metric] if metric in METRICS else CHANGE_METRICS[metric]

SCHEMES: dict[str, tuple[str, str]] = words.VALUES["scheme"]
"""Classification schemes (mapclassify, or the evaluation's grades)."""

GRADES: tuple[str, ...] = ("A", "B", "C", "D")
GRADE_COLORS: dict[str, str] = {"A": "#1a9641", "B": "#a6d96a", "C": "#fdae61", "D": "#d7191c"}
SEQUENTIAL: dict[int, tuple[str, ...]] = {
    3: ("#fee8c8", "#fdbb84", "#e34a33"),
    4: ("#fef0d9", "#fdcc8a", "#fc8d59", "#d7301f"),
    5: ("#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"),
    6: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"),
    7: ("#fef0d9", "#fdd49e", "#fdbb84", "#fc8d59", "#ef6548", "#d7301f", "#990000"),
}
"""ColorBrewer OrRd ramps (light = low, dark = high) by number of classes."""
NO_DATA_COLOR = "#bdbdbd"
LOW_EFFICIENCY_COLOR = "#8e24aa"
"""Low-efficiency plots (map and QGIS style): purple, never a class colour; the map hatches
them under a dashed outline."""
PARK_COLOR = "#3949ab"
"""Outline of the parks (map and QGIS style)."""
LEDGER_COLORS: dict[str, str] = {"identified": "#fdae61", "in_progress": "#abd9e9",
                                 "reclaimed": "#2c7bb6", "reused": "#1a9641"}
PROJECT_COLORS: dict[str, str] = {"signed": "#c7e9c0", "started": "#74c476",
                                  "under_construction": "#31a354", "completed": "#006d2c",
                                  "in_production": "#00441b"}
"""Projects by stage: greens (drawn as diamonds), never the hot spots' reds and blues."""
HOTSPOT_CLASSES: tuple[str, ...] = ("hot_99", "hot_95", "hot_90", "cold_90", "cold_95",
                                    "cold_99")
"""Getis-Ord Gi* classes of the clusters stage (confidence %), hot to cold."""
HOTSPOT_COLORS: tuple[str, ...] = ("#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf",
                                   "#2166ac")
"""Hot spots red, cold spots blue (drawn as circles)."""
HOTSPOT_VARIABLE = "tax_per_mu"
"""The variable whose Gi* classes the map draws (the clusters stage's ``gi_class``)."""
ZONE_COLORS: dict[str, str] = {"104": "#4daf4a", "195": "#ff7f00", "198": "#984ea3"}

LAYER_STYLES: dict[str, dict] = {
    "districts": {"color": "#333333", "weight": 2.5, "fill": False},
    "towns": {"color": "#777777", "weight": 1, "fill": False, "dashArray": "4 3"},
    "zones": {"color": "#555555", "weight": 1, "fillOpacity": 0.12},
    "parks": {"color": PARK_COLOR, "weight": 2, "fillColor": "#7986cb", "fillOpacity": 0.12},
    "plots": {"color": "#555555", "weight": 0.6, "fillOpacity": 0.8},
    "plot_grid": {"color": "#ffffff", "weight": 0.5, "fillOpacity": 0.75},
    "low_efficiency": {"color": LOW_EFFICIENCY_COLOR, "weight": 2.5, "dashArray": "6 4",
                       "hatch": True, "fillOpacity": 1.0},
    "ledger": {"weight": 3, "fill": False},
    "ledger_points": {"weight": 1, "color": "#333333", "fillOpacity": 0.9},
    "projects": {"color": "#222222", "weight": 1, "fillOpacity": 0.95, "shape": "diamond"},
    "hotspots": {"weight": 0.5, "color": "#333333", "fillOpacity": 0.9},
}
"""Leaflet path options of every vector layer (the map and its legend read the same).

``hatch`` fills with diagonal lines in the outline's colour; ``shape`` ``"diamond"`` draws
points as diamonds instead of circles.
"""


@dataclass(frozen=True)
class Legend:
    """Classes of a metric, computed once on the unfiltered plots.

    Attributes
    ----------
    metric
        Metric key.
    scheme
        ``"quantiles"``, ``"natural_breaks"`` or ``"policy"``.
    labels
        One label per class.
    colors
        One colour per class (hex).
    bins
        Upper bounds of the numeric classes (empty for categorical legends).
    categories
        Category of each class for categorical legends (grades).
    """

    metric: str
    scheme: str
    labels: tuple[str, ...]
    colors: tuple[str, ...]
    bins: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    def classify(self, values: pd.Series) -> np.ndarray:
        """Class index of each value (``-1`` for missing values or unknown categories)."""
        if self.categories:
            lookup = {c: i for i, c in enumerate(self.categories)}
            return np.array([lookup.get(v, -1) if isinstance(v, str) else -1 for v in values],
                            dtype="int64")
        x = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
        out = np.searchsorted(np.asarray(self.bins, dtype="float64"), x, side="left")
        out = np.minimum(out, len(self.bins) - 1).astype("int64")
        out[np.isnan(x)] = -1
        return out


def _fmt(value: float, fraction: bool) -> str:
    if fraction:
        return f"{value * 100:.1f}%"
    return f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def make_legend(plots: pd.DataFrame, metric: str, scheme: str, *, k: int = 5) -> Legend:
    """Class breaks of ``metric`` over ``plots`` (pass the unfiltered plots).

    Parameters
    ----------
    plots
        The plot table (:attr:`AppData.plots`).
    metric
        Key of :data:`METRICS`.
    scheme
        ``"quantiles"`` or ``"natural_breaks"`` (mapclassify Quantiles / JenksCaspall with
        ``k`` classes), or ``"policy"``: the evaluation's grades A/B/C/D. The grade metric is
        always shown by its grades.
    k
        Number of classes (3-7) for the numeric schemes; fewer when there are fewer distinct
        values.

    Returns
    -------
    Legend
    """
    if metric == "grade" or scheme == "policy":
        return Legend(metric="grade", scheme="policy", labels=GRADES,
                      colors=tuple(GRADE_COLORS[g] for g in GRADES), categories=GRADES)
    import mapclassify

    m = METRICS[metric]
    values = pd.to_numeric(plots.get(m.column), errors="coerce") if m.column in plots else None
    if values is None or values.dropna().empty:
        return Legend(metric=metric, scheme=scheme, labels=(), colors=())
    finite = values[np.isfinite(values)].to_numpy(dtype="float64")
    k = max(1, min(int(k), 7, len(np.unique(finite))))
    if k < 3:
        bins = np.unique(finite)[-k:] if k else np.array([finite.max()])
    elif scheme == "natural_breaks":
        bins = mapclassify.JenksCaspall(finite, k=k).bins
    else:
        bins = mapclassify.Quantiles(finite, k=k).bins
    bins = np.unique(np.asarray(bins, dtype="float64"))
    bins[-1] = max(bins[-1], finite.max())
    ramp = SEQUENTIAL[len(bins)] if len(bins) >= 3 else SEQUENTIAL[3][-len(bins):]
    labels = []
    low = finite.min()
    for b in bins:
        labels.append(f"{_fmt(low, m.fraction)} – {_fmt(b, m.fraction)}")
        low = b
    return Legend(metric=metric, scheme=scheme, labels=tuple(labels), colors=tuple(ramp),
                  bins=tuple(float(b) for b in bins))


