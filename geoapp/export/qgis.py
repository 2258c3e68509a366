"""QGIS default styles for the layers of ``analysis.gpkg``: the ``layer_styles`` table.

QGIS reads a GeoPackage's ``layer_styles`` table when it opens a layer and applies the row
marked ``useAsDefault`` (the table QGIS itself writes with "Save as default … in database").
The styles here draw what the map app draws, with the same classes and colours
(:mod:`geoapp.app.symbology`): plots filled by tax per mu in five quantile classes with
low-efficiency plots hatched under a dashed outline, parks outlined, projects as diamonds by
stage, the grid by tax per mu.

Each style is a small QML document (QGIS's own XML), built from the class breaks, not a copy
of a file saved from QGIS.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pandas as pd

from geoapp import words
from geoapp.app.symbology import (
    LOW_EFFICIENCY_COLOR,
    NO_DATA_COLOR,
    PARK_COLOR,
    PROJECT_COLORS,
    make_legend,
)

_HEAD = "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" \
        '<qgis version="3.28.0" styleCategories="Symbology">\n'


def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return ",".join(str(int(h[i:i + 2], 16)) for i in (0, 2, 4)) + f",{alpha}"


def _options(values: Mapping[str, str]) -> str:
    inner = "".join(f'<Option name="{k}" type="QString" value={quoteattr(v)}/>'
                    for k, v in values.items())
    return f'<Option type="Map">{inner}</Option>'


def _fill(name: str, color: str, *, outline: str = "#636363", width: float = 0.1,
          fill_alpha: int = 255, outline_style: str = "solid", brush: str = "solid") -> str:
    """A fill symbol: ``color`` inside, ``outline`` around (widths in mm).

    ``brush`` ``"b_diagonal"`` hatches the inside instead of filling it.
    """
    layer = _options({"color": _rgba(color, fill_alpha), "outline_color": _rgba(outline),
                      "outline_style": outline_style, "outline_width": f"{width}",
                      "outline_width_unit": "MM",
                      "style": brush if fill_alpha else "no"})
    return (f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleFill" pass="0" locked="0" enabled="1">{layer}</layer>'
            "</symbol>")


def _marker(name: str, color: str, *, size: float = 2.6, shape: str = "circle") -> str:
    layer = _options({"color": _rgba(color), "name": shape, "outline_color": "35,35,35,255",
                      "outline_width": "0.2", "size": f"{size}", "size_unit": "MM"})
    return (f'<symbol type="marker" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
            f'<layer class="SimpleMarker" pass="0" locked="0" enabled="1">{layer}</layer>'
            "</symbol>")


def graduated_fill_qml(column: str, bins: Sequence[float], colors: Sequence[str],
                       labels: Sequence[str], *, low: float) -> str:
    """A graduated fill on ``column``: class ``i`` spans ``(bins[i-1], bins[i]]``."""
    ranges, symbols = [], []
    lower = low
    for i, (upper, label) in enumerate(zip(bins, labels, strict=True)):
        ranges.append(f'<range lower="{lower!r}" upper="{float(upper)!r}" symbol="{i}" '
                      f"label={quoteattr(label)} render=\"true\"/>")
        symbols.append(_fill(str(i), colors[i]))
        lower = float(upper)
    return (_HEAD + f'<renderer-v2 type="graduatedSymbol" attr={quoteattr(column)} '
            'graduatedMethod="GraduatedColor" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><ranges>{"".join(ranges)}</ranges>'
            f'<symbols>{"".join(symbols)}</symbols></renderer-v2></qgis>\n')


def plots_qml(plots: pd.DataFrame) -> str:
    """Plots as the map app opens them: tax per mu in five quantile classes.

    Light = low, dark = high; plots without a figure grey; low-efficiency plots hatched
    under a dashed outline on top. A rule-based renderer: one rule per class, one for no figure, one
    outline rule for ``low_efficiency``.
    """
    legend = make_legend(plots, "tax_per_mu", "quantiles")
    values = pd.to_numeric(plots.get("tax_per_mu"), errors="coerce")
    rules, symbols = [], []
    lower = float(values.min()) if legend.bins else 0.0

    def rule(key: str, expr: str, label: str, color: str, **fill) -> None:
        i = len(symbols)
        rules.append(f'<rule key="{key}" symbol="{i}" filter={quoteattr(expr)} '
                     f"label={quoteattr(label)}/>")
        symbols.append(_fill(str(i), color, **fill))

    for i, (upper, label) in enumerate(zip(legend.bins, legend.labels, strict=True)):
        expr = f'"tax_per_mu" <= {float(upper)!r}'
        rule(f"c{i}", expr if i == 0 else f'"tax_per_mu" > {lower!r} AND {expr}', label,
             legend.colors[i])
        lower = float(upper)
    rule("none", '"tax_per_mu" IS NULL', words.text("no_data"), NO_DATA_COLOR)
    rule("low", '"low_efficiency" = 1', words.layer_name("low_efficiency"),
         LOW_EFFICIENCY_COLOR, outline=LOW_EFFICIENCY_COLOR, width=0.6, outline_style="dash",
         brush="b_diagonal")
    body = "".join(rules)
    return (_HEAD + '<renderer-v2 type="RuleRenderer" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><rules key="root">{body}</rules>'
            f'<symbols>{"".join(symbols)}</symbols></renderer-v2></qgis>\n')


def parks_qml() -> str:
    """Parks: a light fill and a blue outline, as on the map."""
    symbol = _fill("0", PARK_COLOR, outline=PARK_COLOR, width=0.5, fill_alpha=31)
    return (_HEAD + '<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><symbols>{symbol}</symbols></renderer-v2></qgis>\n')


def projects_qml() -> str:
    """Projects: diamonds coloured by stage (``stage``), as on the map."""
    cats, symbols = [], []
    for i, (stage, color) in enumerate(PROJECT_COLORS.items()):
        cats.append(f'<category value={quoteattr(stage)} symbol="{i}" '
                    f'label={quoteattr(words.value("project_stage", stage))} render="true"/>')
        symbols.append(_marker(str(i), color, shape="diamond"))
    return (_HEAD + '<renderer-v2 type="categorizedSymbol" attr="stage" symbollevels="0" '
            f'forceraster="0" enableorderby="0"><categories>{"".join(cats)}</categories>'
            f'<symbols>{"".join(symbols)}</symbols></renderer-v2></qgis>\n')


def layer_styles(layers: Mapping[str, pd.DataFrame]) -> dict[str, str]:
    """``{layer: QML}`` for the layers of ``analysis.gpkg`` that have a style."""
    styles = {}
    if "plots" in layers and len(layers["plots"]):
        styles["plots"] = plots_qml(layers["plots"])
    if "parks" in layers:
        styles["parks"] = parks_qml()
    if "projects" in layers and "stage" in layers["projects"]:
        styles["projects"] = projects_qml()
    if "grid" in layers and "tax_per_mu" in layers["grid"] and len(layers["grid"]):
        legend = make_legend(layers["grid"], "tax_per_mu", "quantiles")
        if legend.bins:
            low = float(pd.to_numeric(layers["grid"]["tax_per_mu"], errors="coerce").min())
            styles["grid"] = graduated_fill_qml("tax_per_mu", legend.bins, legend.colors,
                                                legend.labels, low=low)
    return styles


def write_layer_styles(path: str | Path, styles: Mapping[str, str]) -> None:
    """Store ``styles`` (``{layer: QML}``) as each layer's default style in the GeoPackage.

    Creates QGIS's ``layer_styles`` table (registered in ``gpkg_contents`` as an attributes
    table, as QGIS does) and one ``useAsDefault`` row per layer, naming the layer's geometry
    column as ``gpkg_geometry_columns`` does.
    """
    con = sqlite3.connect(path)
    try:
        geometry = dict(con.execute("SELECT table_name, column_name FROM gpkg_geometry_columns"))
        with con:
            con.execute(
                "CREATE TABLE IF NOT EXISTS layer_styles (id INTEGER PRIMARY KEY AUTOINCREMENT, "
                "f_table_catalog TEXT(256), f_table_schema TEXT(256), f_table_name TEXT(256), "
                "f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT, "
                "styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), "
                "ui TEXT(30), update_time DATETIME DEFAULT "
                "(strftime('%Y-%m-%dT%H:%M:%fZ','now')))")
            con.execute("INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, "
                        "identifier, description) VALUES "
                        "('layer_styles', 'attributes', 'layer_styles', 'QGIS styles')")
            con.executemany(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, "
                "description, owner) VALUES ('', '', ?, ?, ?, ?, '', 1, ?, 'geoapp')",
                [(layer, geometry.get(layer, ""), f"geoapp {layer}", qml,
                  "geoapp: the map app's classes and colours")
                 for layer, qml in styles.items()])
    finally:
        con.close()
