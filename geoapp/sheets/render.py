"""Draw a printable map sheet (PDF/PNG) of the evaluated plots: what planners hand on.

:func:`make_sheet` is what the CLI (``geoapp sheet``) and the app's button call;
:func:`render_sheet` builds the matplotlib figure and reports what it drew, so tests can check
the scope, the scale and the frame without reading pixels.

The sheet's metric definitions, class breaks and colours are the map app's
(``Metric``/``METRICS``, ``make_legend``, ``NO_DATA_COLOR``): pass ``legend=`` and
``metric_info=`` explicitly, or let :func:`render_sheet` take them from the app module
(looked up lazily, by name, so the module may move). Breaks are computed on *all* the plots
given, before the scope is applied, exactly as the app computes them on the unfiltered plots:
the same value has the same colour on the sheet and on the screen.

Geometry is drawn in :data:`layers.crs.WORK_CRS` (UTM 51N, metres) at a round scale
(:func:`geoapp.sheets.layout.map_scale`); never in degrees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapp import words
from geoapp.app import symbology
from geoapp.sheets import layout
from geoapp.sheets.fonts import cjk_font_name
from geoapp.sheets.inputs import Scope, resolve_scope
from layers.crs import WORK_CRS

SHEET_LAYERS: tuple[str, ...] = (
    "districts", "towns", "zones", "parks", "plots", "low_efficiency",
)
"""Layers a sheet can draw, in drawing order."""

DEFAULT_LAYERS: tuple[str, ...] = ("districts", "towns", "parks", "plots", "low_efficiency")

STYLES: dict[str, dict[str, Any]] = {
    "districts": {"facecolor": "none", "edgecolor": "#333333", "linewidth": 1.4},
    "towns": {"facecolor": "none", "edgecolor": "#777777", "linewidth": 0.5,
              "linestyle": (0, (4, 3))},
    "zones": {"facecolor": (0.333, 0.333, 0.333, 0.12), "edgecolor": "#555555", "linewidth": 0.4},
    "parks": {"facecolor": (0.475, 0.525, 0.796, 0.12), "edgecolor": symbology.PARK_COLOR,
              "linewidth": 1.0},
    "plots": {"edgecolor": "#555555", "linewidth": 0.15},
    "low_efficiency": {"facecolor": "none", "edgecolor": symbology.LOW_EFFICIENCY_COLOR,
                       "linewidth": 0.9, "linestyle": (0, (6, 4)), "hatch": "////"},
}
"""Matplotlib styles, the same colours as the web map's layers."""

LANGS = ("zh", "en")

def _word(key: str, lang: str) -> str:
    return words.text(key if key in ("scheme", "no_data") else f"sheet.{key}", lang)


def _layer_word(key: str, lang: str) -> str:
    return words.layer_name(key, lang)


@dataclass
class Sheet:
    """A rendered sheet: the figure and what was drawn on it.

    Attributes
    ----------
    figure
        The matplotlib :class:`~matplotlib.figure.Figure` (page-sized, in inches).
    map_ax
        The map axes; data coordinates are metres in :data:`layers.crs.WORK_CRS`.
    frames
        Page layout (millimetres).
    title
        The title text.
    scope
        What the sheet shows.
    scale
        Denominator of the printed scale 1:N.
    scale_bar
        The scale bar (length in metres, position in data coordinates).
    plot_ids
        Ids of the plots drawn (within the scope).
    low_efficiency_ids
        Ids of the plots outlined as low-efficiency.
    legend
        The app legend the plots were coloured with.
    rc
        Matplotlib settings to save the figure with (font, PDF font type).
    """

    figure: Any
    map_ax: Any
    frames: layout.Frames
    title: str
    scope: Scope
    scale: float
    scale_bar: layout.ScaleBar
    plot_ids: list[str]
    low_efficiency_ids: list[str]
    legend: Any
    rc: dict[str, Any] = field(default_factory=dict)


def _paths(geoms: Sequence) -> tuple[list, np.ndarray]:
    """Matplotlib paths of (multi)polygons, and which input each one draws."""
    from matplotlib.path import Path as MplPath

    paths, kept = [], []
    for i, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        rings = []
        for poly in getattr(g, "geoms", (g,)):
            if poly.geom_type != "Polygon":
                continue
            for ring in (poly.exterior, *poly.interiors):
                xy = shapely.get_coordinates(ring)
                if len(xy) < 3:
                    continue
                codes = np.full(len(xy), MplPath.LINETO, dtype=np.uint8)
                codes[0], codes[-1] = MplPath.MOVETO, MplPath.CLOSEPOLY
                rings.append(MplPath(xy, codes))
        if rings:
            paths.append(MplPath.make_compound_path(*rings))
            kept.append(i)
    return paths, np.asarray(kept, dtype="int64")


def _draw(ax, geoms, *, zorder: float, facecolors=None, **style) -> np.ndarray:
    """Draw polygons as one collection; returns the positions of the inputs drawn."""
    from matplotlib.collections import PathCollection

    paths, kept = _paths(list(geoms))
    if not paths:
        return kept
    style = dict(style)
    if facecolors is not None:
        style["facecolor"] = [facecolors[i] for i in kept]
    coll = PathCollection(paths, zorder=zorder, **style)
    ax.add_collection(coll, autolim=False)
    return kept


def _in_view(frame: pd.DataFrame | None, view) -> gpd.GeoSeries | None:
    """A context layer's geometry in WORK_CRS, keeping what meets the view."""
    if frame is None or not isinstance(frame, gpd.GeoDataFrame) or len(frame) == 0:
        return None
    if frame.crs is None:
        raise ValueError("a context layer has no CRS; expected WGS84 (EPSG:4326)")
    geoms = frame.geometry.to_crs(WORK_CRS)
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    return geoms[geoms.intersects(view)]


def _extent(scope: Scope, plots_m: gpd.GeoSeries, context: dict[str, pd.DataFrame]):
    """What the map must show: the scope's outline and plots, else the context layers."""
    parts = []
    if scope.shape is not None:
        parts.append(scope.shape.bounds)
    if len(plots_m):
        parts.append(tuple(plots_m.total_bounds))
    if not parts:
        for name in ("districts", "towns", "parks"):
            g = context.get(name)
            if isinstance(g, gpd.GeoDataFrame) and len(g) and g.crs is not None:
                parts.append(tuple(g.geometry.to_crs(WORK_CRS).total_bounds))
                break
    if not parts:
        raise ValueError("nothing to draw: no plots in the scope and no context layers")
    a = np.asarray(parts, dtype="float64")
    return (a[:, 0].min(), a[:, 1].min(), a[:, 2].max(), a[:, 3].max())


def _rc(font: str) -> dict[str, Any]:
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [font, "DejaVu Sans"],
        "font.weight": "medium",  # the CJK fonts' one weight: no findfont weight fallback
        "axes.unicode_minus": False,
        "pdf.fonttype": 42,  # TrueType: text stays text (searchable, editable)
        "svg.fonttype": "none",
    }


def _title(scope: Scope, metric_info: Any, year: int | None, lang: str) -> str:
    label = metric_info.name(lang)
    parts = [scope.name, label] if lang == "zh" else [f"{scope.name}:", label]
    if year is not None:
        parts.append(str(year))
    return " ".join(parts)


def render_sheet(
    plots: gpd.GeoDataFrame,
    *,
    size: str = "A3",
    orient: str = "landscape",
    scope: str | None = None,
    metric: str = "tax_per_mu",
    scheme: str = "quantiles",
    layers: Sequence[str] = DEFAULT_LAYERS,
    year: int | None = None,
    as_of: date | str | None = None,
    lang: str = "zh",
    context: dict[str, pd.DataFrame] | None = None,
    synthetic: bool = False,
    sources: Sequence[str] = (),
    legend: Any = None,
    metric_info: Any = None,
) -> Sheet:
    """
    Build a map sheet's figure; see :func:`make_sheet` for the parameters.

    Parameters
    ----------
    scheme
        Classification of the app's legend (``"quantiles"``, ``"natural_breaks"``,
        ``"policy"``), used when ``legend`` is None.
    legend
        The app's ``Legend`` to colour by (class breaks, labels, colours); default
        ``make_legend(plots, metric, scheme)`` over every plot given.
    metric_info
        The app's ``Metric`` (labels, unit); default ``METRICS[metric]``.

    Returns
    -------
    Sheet
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    if lang not in LANGS:
        raise ValueError(f"lang {lang!r}: expected one of {list(LANGS)}")
    unknown = sorted(set(layers) - set(SHEET_LAYERS))
    if unknown:
        raise ValueError(f"layers {unknown}: expected some of {list(SHEET_LAYERS)}")
    if plots.crs is None:
        raise ValueError("plots have no CRS; expected the evaluated plots in WGS84 (EPSG:4326)")
    context = dict(context or {})
    if metric_info is None:
        metrics = symbology.METRICS
        if metric not in metrics:
            raise ValueError(f"metric {metric!r}: expected one of {sorted(metrics)}")
        metric_info = metrics[metric]
    if legend is None:
        legend = symbology.make_legend(plots, metric, scheme)
    no_data = symbology.NO_DATA_COLOR

    frames = layout.frames(size, orient)
    sc = resolve_scope(scope, plots, context, lang)
    chosen = plots
    if sc.column is not None:
        chosen = plots[(plots[sc.column].astype("string") == sc.id).fillna(False).to_numpy()]
    plots_m = chosen.geometry.to_crs(WORK_CRS)

    # The extent decides the scale; layers are then kept where they meet the view.
    extent = _extent(sc, plots_m, context)
    scale = layout.map_scale(extent, frames.map)
    xmin, xmax, ymin, ymax = layout.map_limits(extent, frames.map, scale)
    view = shapely.box(xmin, ymin, xmax, ymax)

    font = cjk_font_name()
    rc = _rc(font)
    k = frames.font_scale
    with rc_context(rc):
        pw, ph = frames.page
        fig = Figure(figsize=(pw / layout.MM_PER_INCH, ph / layout.MM_PER_INCH))
        ax = fig.add_axes(frames.map.fraction(frames.page))
        ax.set_xlim(xmin, xmax)
        ax.set_ylim(ymin, ymax)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_linewidth(0.8)
        ax.set_facecolor("white")

        drawn_ids: list[str] = []
        low_ids: list[str] = []
        for z, name in enumerate(SHEET_LAYERS, start=2):
            if name not in layers or name in ("plots", "low_efficiency"):
                continue
            geoms = _in_view(context.get(name), view)
            if geoms is not None and len(geoms):
                _draw(ax, geoms, zorder=z, **STYLES[name])
        if "plots" in layers and len(chosen):
            column = "grade" if legend.categories else metric_info.column
            values = (chosen[column] if column in chosen
                      else pd.Series(np.nan, index=chosen.index))
            classes = legend.classify(values) if legend.colors else np.full(len(chosen), -1)
            colors = [legend.colors[c] if c >= 0 else no_data for c in classes]
            kept = _draw(ax, plots_m.to_numpy(), zorder=10, facecolors=colors,
                         **STYLES["plots"])
            drawn_ids = chosen["plot_id"].astype(str).to_numpy()[kept].tolist()
        if "low_efficiency" in layers and "low_efficiency" in chosen:
            low = chosen["low_efficiency"].fillna(False).to_numpy(dtype=bool)
            kept = _draw(ax, plots_m.to_numpy()[low], zorder=11, **STYLES["low_efficiency"])
            low_ids = chosen["plot_id"].astype(str).to_numpy()[low][kept].tolist()
        if sc.shape is not None:
            # Fade what lies outside the scope and outline the scope itself.
            outside = view.difference(sc.shape)
            if not outside.is_empty:
                _draw(ax, [outside], zorder=12, facecolor=(1, 1, 1, 0.55), edgecolor="none")
            _draw(ax, [sc.shape], zorder=13, facecolor="none", edgecolor="#000000",
                  linewidth=1.8)

        bar_m = layout.scale_bar_length(frames.map.w, scale)
        bar = layout.draw_scale_bar(ax, length_m=bar_m, scale=scale, fontsize=9 * k)
        layout.draw_north_arrow(ax, label=_word("north", lang), fontsize=11 * k)

        # Title band.
        title = _title(sc, metric_info, year, lang)
        tb = frames.title
        fig.text(tb.x / pw, (tb.y + tb.h * (0.68 if synthetic else 0.55)) / ph, title,
                 ha="left", va="center", fontsize=22 * k)
        zh = words.text("synthetic", "zh")
        note = zh if lang == "zh" else f"{words.text('synthetic', 'en')} ({zh})"
        if synthetic:
            fig.text(tb.x / pw, (tb.y + tb.h * 0.27) / ph, note, ha="left",
                     va="center", fontsize=12 * k, color="#c62828")
        y_rule = (tb.y + 2 * k) / ph
        fig.add_artist(Line2D([tb.x / pw, (tb.x + tb.w) / pw], [y_rule, y_rule],
                              transform=fig.transFigure, color="#333333", linewidth=1.0))

        # Legend panel.
        lb = frames.legend
        lax = fig.add_axes(lb.fraction(frames.page))
        lax.set_xlim(0, lb.w)
        lax.set_ylim(0, lb.h)
        lax.set_axis_off()
        swatches: list[layout.Swatch] = []
        for label, color in zip(legend.labels, legend.colors, strict=True):
            swatches.append(layout.Swatch(label, face=color, edge="#555555", linewidth=0.3))
        swatches.append(layout.Swatch(_word("no_data", lang), face=no_data, edge="#555555",
                                      linewidth=0.3))
        if "low_efficiency" in layers:
            swatches.append(layout.Swatch(_layer_word("low_efficiency", lang),
                                          face="white", edge=STYLES["low_efficiency"][
                                              "edgecolor"], linewidth=1.2))
        for name in ("parks", "zones", "towns", "districts"):
            if name in layers and context.get(name) is not None and len(context[name]):
                st = STYLES[name]
                swatches.append(layout.Swatch(
                    _layer_word(name, lang),
                    face=st["facecolor"] if st["facecolor"] != "none" else "white",
                    edge=st["edgecolor"], linewidth=st["linewidth"],
                    linestyle="--" if name == "towns" else "-", alpha=st.get("alpha")))
        layout.draw_legend(lax, title=metric_info.label(lang), swatches=swatches,
                           fontsize=10 * k, width_mm=lb.w, height_mm=lb.h)

        # Notes panel: year, as-of, scale, CRS, classes, counts, sources.
        nb = frames.notes
        nax = fig.add_axes(nb.fraction(frames.page))
        nax.set_xlim(0, nb.w)
        nax.set_ylim(0, nb.h)
        nax.set_axis_off()
        from pyproj import CRS

        as_of_text = (as_of.isoformat() if isinstance(as_of, date) else
                      str(as_of) if as_of else date.today().isoformat())
        colon = words.text("colon", lang)
        schemes = symbology.SCHEMES
        scheme_key = legend.scheme if legend.scheme in schemes else None
        red = "#c62828"
        lines = [
            (f"{_word('year', lang)}{colon}{year if year is not None else '—'}", "black"),
            (f"{_word('as_of', lang)}{colon}{as_of_text}", "black"),
            (f"{_word('scale', lang)}{colon}{layout.format_scale(scale)}", "black"),
            (f"{_word('crs', lang)}{colon}{CRS(WORK_CRS).name} ({WORK_CRS})", "black"),
        ]
        if scheme_key:
            zh, en = schemes[scheme_key]
            lines.append((f"{_word('scheme', lang)}{colon}{zh if lang == 'zh' else en}",
                          "black"))
        lines.append((f"{_word('plots_drawn', lang)}{colon}{len(drawn_ids)}"
                      f" ({_word('of_which_low', lang)} {len(low_ids)})", "black"))
        listed = [str(x) for x in sources] or ["—"]
        lines.append((f"{_word('sources', lang)}{colon}{listed[0]}", "black"))
        lines += [(x, "black") for x in listed[1:]]
        if synthetic:
            lines.append((note, red))
        lines.append((_word("made", lang), "#555555"))
        fs = 8.5 * k
        step = fs * layout.MM_PER_INCH / layout.PT_PER_INCH * 1.45
        y = nb.h - step / 2
        for text, color in lines:
            for part in layout.wrap(text, nb.w, fs):
                if y < step / 3:
                    break
                nax.text(0, y, part, ha="left", va="center", fontsize=fs, color=color)
                y -= step

    return Sheet(figure=fig, map_ax=ax, frames=frames, title=title, scope=sc, scale=scale,
                 scale_bar=bar, plot_ids=drawn_ids, low_efficiency_ids=low_ids, legend=legend,
                 rc=rc)


def save_sheet(sheet: Sheet, out: str | Path, *, dpi: int = 300) -> Path:
    """
    Write a rendered sheet: vector PDF (text as text) or PNG at ``dpi``, by ``out``'s suffix.

    Raises
    ------
    ValueError
        For a suffix other than ``.pdf``, ``.png`` or ``.svg``.
    """
    from matplotlib import rc_context

    out = Path(out)
    suffix = out.suffix.lower()
    if suffix not in (".pdf", ".png", ".svg"):
        raise ValueError(f"out {str(out)!r}: expected a .pdf, .png or .svg file name")
    out.parent.mkdir(parents=True, exist_ok=True)
    meta = {"Title": sheet.title, "Creator": "geoapp"} if suffix == ".pdf" else (
        {"Title": sheet.title, "Software": "geoapp"} if suffix == ".png" else
        {"Title": sheet.title})
    with rc_context(sheet.rc):
        sheet.figure.savefig(out, dpi=dpi, metadata=meta, facecolor="white")
    return out


def make_sheet(
    plots: gpd.GeoDataFrame,
    *,
    out: str | Path,
    size: str = "A3",
    orient: str = "landscape",
    scope: str | None = None,
    metric: str = "tax_per_mu",
    layers: Sequence[str] = DEFAULT_LAYERS,
    year: int | None = None,
    as_of: date | str | None = None,
    lang: str = "zh",
    context: dict[str, pd.DataFrame] | None = None,
    synthetic: bool = False,
    sources: Sequence[str] = (),
    scheme: str = "quantiles",
    legend: Any = None,
    metric_info: Any = None,
    dpi: int = 300,
) -> Path:
    """
    Draw a printable map sheet of the evaluated plots and write it as PDF or PNG.

    Parameters
    ----------
    plots
        The evaluated plots (``results["evaluation"].tables["plots"]``, WGS84) with
        ``plot_id``, ``park_id``, ``town_code``, ``district_code``, the metric column and
        ``low_efficiency``. Class breaks are computed over all of them, as in the app.
    out
        ``.pdf`` (vector, text searchable) or ``.png`` (``dpi``, default 300).
    size, orient
        ``"A4"``/``"A3"``; ``"landscape"``/``"portrait"``.
    scope
        ``"district:310113"``, ``"town:310113101"`` or ``"park:BS-P01"``: only that scope's
        plots are drawn, the map is centred on it and the rest is faded. None: every plot.
    metric
        Key of the app's ``METRICS`` (``tax_per_mu``, ``output_per_mu``, ``grade`` …).
    layers
        Some of :data:`SHEET_LAYERS`.
    year, as_of
        The data year (in the title) and the date the figures stand at (default today).
    lang
        ``"zh"`` or ``"en"``.
    context
        ``{"districts": gdf, "towns": gdf, "parks": gdf, "zones": gdf}`` (WGS84), any absent.
    synthetic
        Mark the sheet "合成演示数据" (the workspace's ``synthetic`` metadata).
    sources
        Data sources, one line each (the workspace provenance's ``source`` values).
    scheme, legend, metric_info
        See :func:`render_sheet`.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ValueError
        For a bad size, orientation, scope, metric, layer, language or file suffix.
    geoapp.sheets.fonts.FontMissingError
        When no CJK font is installed (names the Debian package).
    """
    sheet = render_sheet(
        plots, size=size, orient=orient, scope=scope, metric=metric, scheme=scheme,
        layers=layers, year=year, as_of=as_of, lang=lang, context=context,
        synthetic=synthetic, sources=sources, legend=legend, metric_info=metric_info,
    )
    try:
        return save_sheet(sheet, out, dpi=dpi)
    finally:
        sheet.figure.clear()
