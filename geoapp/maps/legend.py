"""The map's legend: one group per layer drawn, and nothing that is not drawn.

:func:`legend_groups` reads what :func:`geoapp.maps.compose.overlays` drew
(:attr:`MapView.drawn <geoapp.maps.compose.MapView>`: the layers and the classes their features
carry) and says it in words with the symbols the map uses (:data:`LAYER_STYLES
<geoapp.app.symbology.LAYER_STYLES>`): the plots' classes with the metric and its unit (or
the grid cells, when zoomed out, saying so), low-efficiency plots hatched with a dashed
outline (or their share of each grid cell), the ledger's stages, projects as diamonds, hot
spots as circles naming their variable, the density surface in its unit, parks, zones, towns
and districts. :func:`legend_html` draws the groups as HTML for the app.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from geoapp import words
from geoapp.app.symbology import (
    HOTSPOT_CLASSES,
    HOTSPOT_COLORS,
    LAYER_STYLES,
    LEDGER_COLORS,
    LOW_EFFICIENCY_COLOR,
    METRICS,
    NO_DATA_COLOR,
    PROJECT_COLORS,
    ZONE_COLORS,
    Legend,
    metric_info,
)
from geoapp.maps.raster import DENSITY_CMAP, DensityImage

ORDER: tuple[str, ...] = (
    "plots", "plot_grid", "low_efficiency", "low_efficiency_grid", "ledger", "projects",
    "hotspots", "density", "parks", "zones", "towns", "districts",
)
"""Order of the legend's groups: what the planner reads first on top."""


@dataclass(frozen=True)
class Swatch:
    """One symbol and what it means.

    Attributes
    ----------
    label
        What it means, in the app's language.
    color
        Colour (hex); for ``"ramp"`` the colours of the ramp joined by ``","``.
    shape
        ``"fill"``, ``"outline"``, ``"dashed"`` (outline), ``"hatch"`` (hatched, dashed
        outline), ``"dot"`` (circle), ``"diamond"`` or ``"ramp"`` (a continuous ramp).
    """

    label: str
    color: str
    shape: str = "fill"


@dataclass(frozen=True)
class LegendGroup:
    """The legend of one layer drawn: a title, its symbols and, when needed, a note."""

    layer: str
    title: str
    swatches: tuple[Swatch, ...]
    note: str = ""


def _shown(classes: tuple[int, ...], n: int) -> list[int]:
    """The class indices drawn that have a symbol, in order."""
    return [c for c in classes if 0 <= c < n]


def _plot_group(layer: str, classes: tuple[int, ...], legend: Legend, metric: str,
                lang: str) -> LegendGroup:
    m = METRICS["grade"] if legend.metric == "grade" else metric_info(metric)
    swatches = [Swatch(label, color) for label, color in
                zip(legend.labels, legend.colors, strict=True)]
    if -1 in classes or not legend.labels:
        swatches.append(Swatch(words.text("no_data", lang), NO_DATA_COLOR))
    title = m.label(lang)
    note = words.text("legend.grid_note", lang) if layer == "plot_grid" else ""
    if layer == "plot_grid":
        title = f"{title}{words.text('paren_open', lang)}{words.text('legend.grid', lang)}" \
                f"{words.text('paren_close', lang).rstrip()}"
    return LegendGroup(layer, title, tuple(swatches), note)


def _density_group(image: DensityImage | None, industry: str | None,
                   lang: str) -> LegendGroup:
    from matplotlib import colormaps
    from matplotlib.colors import to_hex

    name = words.layer_name("density", lang)
    if industry:
        name = f"{name}{words.text('colon', lang)}{words.value('industry', industry, lang)}"
    units = image.units if image is not None else ""
    key = f"unit.{units}"
    unit = words.text(key, lang) if key in words.TEXT else units
    ramp = ",".join(to_hex(c) for c in colormaps[DENSITY_CMAP](np.linspace(0.0, 1.0, 6)))
    lo, hi = image.values if image is not None else (0.0, 0.0)
    label = f"{_number(lo)} – {_number(hi)} {unit}".strip()
    return LegendGroup("density", f"{name}{words.text('paren_open', lang)}{unit}"
                       f"{words.text('paren_close', lang).rstrip()}",
                       (Swatch(label, ramp, "ramp"),), words.text("legend.density_scale", lang))


def _number(x: float) -> str:
    """A value of the density ramp: whole above 100, else one decimal, else 2 significant."""
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.1f}" if abs(x) >= 1 or x == 0 else f"{x:.2g}"


def legend_groups(drawn: dict[str, tuple[int, ...]], *, legend: Legend, metric: str,
                  lod: str = "plots", density: DensityImage | None = None,
                  density_industry: str | None = None, lang: str = "zh") -> list[LegendGroup]:
    """
    The legend of what the map drew, one group per layer, in :data:`ORDER`.

    Parameters
    ----------
    drawn
        ``{layer: class indices drawn}`` (:attr:`geoapp.maps.compose.MapView.drawn`).
    legend
        The plots' classes (their metric and breaks).
    metric
        Metric key the plots are coloured by.
    lod
        ``"plots"`` or ``"grid"``: the ledger's plots are outlines or dots.
    density
        The density surface drawn (its values at the ramp's ends and its unit).
    density_industry
        The industry whose surface is drawn (None: all enterprises).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    list of LegendGroup
        Nothing for a layer that drew nothing; a classed layer lists only the classes its
        features carry (the plots' scale is listed whole, "no data" only when drawn).
    """
    groups: list[LegendGroup] = []
    for layer in ORDER:
        if layer not in drawn:
            continue
        classes = drawn[layer]
        low = words.layer_name("low_efficiency", lang)
        if layer in ("plots", "plot_grid"):
            groups.append(_plot_group(layer, classes, legend, metric, lang))
        elif layer == "low_efficiency":
            groups.append(LegendGroup(layer, low, (
                Swatch(words.text("legend.low_plot", lang), LOW_EFFICIENCY_COLOR, "hatch"),)))
        elif layer == "low_efficiency_grid":
            groups.append(LegendGroup(layer, low, (
                Swatch(words.text("legend.low_grid", lang), LOW_EFFICIENCY_COLOR, "hatch"),),
                words.text("legend.low_grid_note", lang)))
        elif layer == "ledger":
            stages = list(LEDGER_COLORS)
            shape = "outline" if lod == "plots" else "dot"
            groups.append(LegendGroup(layer, words.layer_name("ledger", lang), tuple(
                Swatch(words.value("ledger_stage", stages[c], lang), LEDGER_COLORS[stages[c]],
                       shape) for c in _shown(classes, len(stages))),
                "" if lod == "plots" else words.text("legend.ledger_points", lang)))
        elif layer == "projects":
            stages = list(PROJECT_COLORS)
            groups.append(LegendGroup(layer, words.layer_name("projects", lang), tuple(
                Swatch(words.value("project_stage", stages[c], lang),
                       PROJECT_COLORS[stages[c]], "diamond")
                for c in _shown(classes, len(stages)))))
        elif layer == "hotspots":
            from geoapp.maps.vector import hotspot_label

            groups.append(LegendGroup(layer, words.layer_name("hotspots", lang), tuple(
                Swatch(hotspot_label(HOTSPOT_CLASSES[c], lang).rstrip(), HOTSPOT_COLORS[c],
                       "dot") for c in _shown(classes, len(HOTSPOT_CLASSES))),
                words.text("legend.hotspots_method", lang)))
        elif layer == "density":
            groups.append(_density_group(density, density_industry, lang))
        elif layer == "zones":
            types = list(ZONE_COLORS)
            groups.append(LegendGroup(layer, words.layer_name("zones", lang), tuple(
                Swatch(words.value("zone_type", types[c], lang), ZONE_COLORS[types[c]])
                for c in _shown(classes, len(types)))))
        else:  # parks, towns, districts: one outline each, named once
            style = LAYER_STYLES[layer]
            shape = "dashed" if style.get("dashArray") else "outline"
            name = words.layer_name(layer, lang)
            groups.append(LegendGroup(layer, name, (Swatch(name, style["color"], shape),)))
    return [g for g in groups if g.swatches]


def change_group(legend: Legend, lang: str = "zh") -> LegendGroup:
    """The year comparison's diverging classes (red fell, blue rose) and "no data"."""
    swatches = [Swatch(label, color) for label, color in
                zip(legend.labels, legend.colors, strict=True)]
    swatches.append(Swatch(words.text("no_data", lang), NO_DATA_COLOR))
    return LegendGroup("change", words.label(legend.metric, lang), tuple(swatches))


_SHAPE_CSS = {
    "fill": "background:{c};border:1px solid #777;",
    "outline": "border:2.5px solid {c};",
    "dashed": "border:2px dashed {c};",
    "hatch": ("background:repeating-linear-gradient(45deg,{c} 0 1.5px,transparent 1.5px 5px);"
              "border:2px dashed {c};"),
    "dot": "background:{c};border:1px solid #333;border-radius:50%;",
    "diamond": "background:{c};border:1px solid #222;transform:rotate(45deg) scale(0.8);",
}


def _swatch_html(s: Swatch) -> str:
    label = html.escape(s.label)
    if s.shape == "ramp":
        stops = s.color.split(",")
        return (f"<div class='geoapp-swatch geoapp-swatch-ramp'><span style='display:inline-block;"
                f"width:90px;height:12px;vertical-align:middle;margin-right:6px;border:1px solid "
                f"#999;background:linear-gradient(to right,{','.join(stops)})'></span>"
                f"{label}</div>")
    css = _SHAPE_CSS[s.shape].format(c=s.color)
    return (f"<div class='geoapp-swatch geoapp-swatch-{s.shape}'><span style='display:"
            f"inline-block;width:14px;height:14px;box-sizing:border-box;{css}margin-right:6px;"
            f"vertical-align:middle'></span>{label}</div>")


def legend_html(groups: list[LegendGroup], *, title: str, extra_class: str = "") -> str:
    """The legend as HTML: a title, then each group (``geoapp-legend-<layer>`` classes).

    ``extra_class`` is added to the outer ``geoapp-legend`` element.
    """
    rows = [f"<div style='font-weight:600;margin-bottom:4px'>{html.escape(title)}</div>"]
    for g in groups:
        rows.append(f"<div class='geoapp-legend-group geoapp-legend-{g.layer}' "
                    "style='margin-bottom:6px'>")
        if [s.label for s in g.swatches] != [g.title]:  # a one-symbol layer is named once
            rows.append(f"<div class='geoapp-legend-title' style='font-weight:600'>"
                        f"{html.escape(g.title)}</div>")
        rows += [_swatch_html(s) for s in g.swatches]
        if g.note:
            rows.append(f"<div class='geoapp-legend-note' style='font-size:0.8em;color:#666'>"
                        f"{html.escape(g.note)}</div>")
        rows.append("</div>")
    return (f"<div class='geoapp-legend {extra_class}'>".replace(" '>", "'>")
            + "".join(rows) + "</div>")
