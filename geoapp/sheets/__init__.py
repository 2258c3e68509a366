"""Printable map sheets (PDF/PNG) of the evaluated plots: title, map, legend, scale, sources.

``make_sheet(plots, out=..., size="A3", orient="landscape", scope="district:310113", ...)`` is
the one entry point the CLI and the app call; :mod:`geoapp.sheets.layout` holds the paper
arithmetic and furniture, :mod:`geoapp.sheets.fonts` finds the CJK font.
"""

from geoapp.sheets.fonts import FontMissingError, find_cjk_font
from geoapp.sheets.inputs import sheet_inputs
from geoapp.sheets.render import SHEET_LAYERS, Sheet, make_sheet, render_sheet, save_sheet

__all__ = [
    "SHEET_LAYERS",
    "FontMissingError",
    "Sheet",
    "find_cjk_font",
    "make_sheet",
    "render_sheet",
    "save_sheet",
    "sheet_inputs",
]
