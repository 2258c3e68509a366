"""XLSX sheets in geoapp's house format: Chinese headers with units, the 说明 (about) sheet."""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd
import xlsxwriter

from geoapp import words
from geoapp.export import xlsx

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str) -> str:
    """Make ``text`` a valid sheet name: no brackets, ``:*?/`` or backslash; 31 characters."""
    return _SHEET_BAD.sub("_", str(text))[:31].strip("'") or words.text("export.data_sheet")


def text_width(text: str) -> int:
    """Width of ``text`` in Excel columns: CJK characters count twice."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


def write_table(book: xlsxwriter.Workbook, name: str, table: pd.DataFrame,
                layer: str | None, *, translate: bool = False) -> None:
    """One sheet with Chinese headers (units in brackets) and percent-formatted fractions.

    ``translate`` puts the name of each coded value beside its code (``status`` 在用 beside
    ``in_use``, :func:`geoapp.words.with_value_names`) and shows booleans as 是/否.
    """
    if translate:
        table = words.with_value_names(table)
    names = [str(c) for c in table.columns]
    heads = words.headers(names, layer)
    columns = []
    for i, col in enumerate(names):
        series = table.iloc[:, i]
        if translate and pd.api.types.is_bool_dtype(series.dtype):
            series = words.translate_values(col, series)
        columns.append(xlsx.cell_values(series))
    fractions = [i for i, c in enumerate(names) if words.column_label(c, layer).fraction]
    xlsx.write_sheet(book, name, [heads[c] for c in names], columns,
                     widths=[min(max(text_width(heads[c]) + 2, 10), 40) for c in names],
                     fractions=fractions)


def write_about(book: xlsxwriter.Workbook, rows: list[tuple[str, str, str]]) -> None:
    """The 说明 sheet: one row per item (file, notes, units, columns)."""
    columns = [list(col) for col in zip(*rows, strict=True)] if rows else [[], [], []]
    about = words.text("export.about_sheet")
    heads = [words.text("export.about_item"), words.text("export.about_content"), about]
    xlsx.write_sheet(book, about, heads, columns,
                     widths=(26, 40, 80), freeze=False)


def column_rows(columns: Iterable[str], layer: str | None) -> list[tuple[str, str, str]]:
    """Rows of the 说明 sheet for ``columns``: name, Chinese header, English meaning."""
    rows = []
    for col in columns:
        lab = words.column_label(str(col), layer)
        note = lab.en + (" (fraction shown as %)" if lab.fraction else "")
        rows.append((str(col), words.header(str(col), layer), note))
    return rows


