"""XLSX writing: one sheet at a time, rows streamed to disk, cells keeping their types.

xlsxwriter in ``constant_memory`` mode, fed whole columns converted once (no per-cell pandas
work): 1.35 M cells in about 6 s, against 19 s through pandas ``to_excel`` and openpyxl
(``benchmarks/bench_report.py``). Numbers stay numbers, text stays text (``"0012"``,
``"=1+1"`` and ``"http://x"`` are not turned into numbers, formulas or links), missing values
are empty cells. A table that does not fit a sheet, or a text that does not fit a cell, is
refused with the sheet, row and column named, and the file is not written: Excel would cut it.
"""

from __future__ import annotations

import html
import math
import numbers
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xlsxwriter

MAX_ROWS = 1_048_576
"""Rows of an Excel sheet, the header row included."""

MAX_COLUMNS = 16_384
"""Columns of an Excel sheet."""

MAX_TEXT = 32_767
"""Characters (UTF-16 code units) of one Excel cell."""

_OPTIONS = {
    "constant_memory": True,  # rows go to disk as they are written: top to bottom, once
    "strings_to_numbers": False,  # "0012" stays text
    "strings_to_formulas": False,  # "=1+1" stays text
    "strings_to_urls": False,  # "http://x" stays text
}

_WIDTH_PADDING = 5 / 7
"""xlsxwriter adds this cell padding to a column width (5 px of a 7 px digit); subtracted, the
file stores the width given, as openpyxl did."""

_PLAIN_CELL = (str, int, bool, type(None))


def _scalar(value):
    """One value of a mixed (object) column as a cell value xlsxwriter writes as intended."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, _PLAIN_CELL):
        return value
    if isinstance(value, numbers.Real | Decimal):  # float, Fraction, Decimal
        value = float(value)
        if math.isfinite(value):
            return value
        return None if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime):  # pd.Timestamp too; dates as ISO text, as _flat does
        if value.tzinfo is None and value == value.replace(hour=0, minute=0, second=0,
                                                           microsecond=0):
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def cell_values(series: pd.Series) -> list:
    """One column as Python cell values, converted once per column.

    Numbers stay numbers (int/float), bool stays bool, text stays text; NaN, None, pd.NA and
    NaT become None (an empty cell); ±inf become the text ``inf``/``-inf`` (pandas'
    ``to_excel`` default). Anything else (dates in a mixed column, Decimal...) becomes a cell
    value by :func:`_xlsx_scalar`.
    """
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
        dtype = series.dtype
    kind = dtype.kind if isinstance(dtype, np.dtype) else None
    if kind in ("b", "i", "u"):
        return series.to_numpy().tolist()
    if kind == "f" or (kind is None and pd.api.types.is_float_dtype(dtype)):
        array = series.to_numpy(dtype="float64", na_value=np.nan)
        values = array.tolist()
        for i in np.flatnonzero(~np.isfinite(array)).tolist():
            values[i] = _scalar(values[i])
        return values
    if kind is None and (pd.api.types.is_string_dtype(dtype)
                         or pd.api.types.is_integer_dtype(dtype)
                         or pd.api.types.is_bool_dtype(dtype)):
        return series.to_numpy(dtype=object, na_value=None).tolist()  # masked/arrow: no NaN
    array = series.to_numpy(dtype=object)
    missing = pd.isna(array)
    values = array.tolist()
    for i in np.flatnonzero(missing).tolist():
        values[i] = None
    if not set(map(type, values)) <= set(_PLAIN_CELL):
        values = [_scalar(v) for v in values]
    return values


@contextmanager
def workbook(path: Path) -> Iterator[xlsxwriter.Workbook]:
    """An xlsxwriter workbook written to a temporary file, moved onto ``path`` on success."""
    tmp = path.with_name(f".{path.stem}.{os.getpid()}.tmp.xlsx")
    with tempfile.TemporaryDirectory(prefix="geoapp-xlsx-", ignore_cleanup_errors=True) as rows:
        book = xlsxwriter.Workbook(str(tmp), {**_OPTIONS, "tmpdir": rows})
        try:
            yield book
            book.close()
            os.replace(tmp, path)
        finally:
            if not book.fileclosed:  # failing: release the row files, raise the first error
                with suppress(Exception):
                    book.close()
            tmp.unlink(missing_ok=True)


def _too_long(sheet: str, heads: list[str], row: int, values: Iterable) -> ValueError:
    for head, value in zip(heads, values, strict=False):
        if isinstance(value, str) and len(value.encode("utf-16-le")) // 2 > MAX_TEXT:
            return ValueError(
                f"sheet {sheet!r}, row {row + 1}, column {head!r}: a text of "
                f"{len(value)} characters does not fit an Excel cell ({MAX_TEXT} "
                "characters); export the table as csv or gpkg")
    return ValueError(f"sheet {sheet!r}, row {row + 1}: xlsxwriter could not write the row")


def write_sheet(book: xlsxwriter.Workbook, name: str, heads: list[str], columns: list[list],
                *, widths: Iterable[float] = (), fractions: Iterable[int] = (),
                freeze: bool = True) -> None:
    """Write one sheet: a header row, then one row per element of the column lists.

    Parameters
    ----------
    heads
        Header texts, one per column.
    columns
        Cell values per column (:func:`cell_values`), all of one length.
    widths
        Column widths in characters, from column A.
    fractions
        Indices of columns shown as percentages (number format ``0.0%``).
    freeze
        Freeze the header row (``A2``).

    Raises
    ------
    ValueError
        The table does not fit a sheet (more than 1 048 575 rows or 16 384 columns) or a
        text is longer than an Excel cell holds (32 767 characters); the sheet is named.
    """
    n_rows = len(columns[0]) if columns else 0
    if n_rows + 1 > MAX_ROWS:
        raise ValueError(f"sheet {name!r}: {n_rows} rows do not fit an Excel sheet "
                         f"(at most {MAX_ROWS - 1} under the header); filter the table "
                         "(where=...) or export it as csv or gpkg")
    if len(heads) > MAX_COLUMNS:
        raise ValueError(f"sheet {name!r}: {len(heads)} columns do not fit an Excel sheet "
                         f"(at most {MAX_COLUMNS}); export it as csv or gpkg")
    ws = book.add_worksheet(name)
    if freeze:
        ws.freeze_panes(1, 0)
    for i, width in enumerate(widths):
        ws.set_column(i, i, width - _WIDTH_PADDING)
    if ws.write_row(0, 0, heads):
        raise _too_long(name, heads, 0, heads)
    if not columns:
        return
    # runs of neighbouring columns with the same cell format, each written by one write_row
    percent = book.add_format({"num_format": "0.0%"})
    is_fraction = [i in set(fractions) for i in range(len(columns))]
    runs: list[tuple[int, int, Any]] = []
    for i, frac in enumerate(is_fraction):
        if runs and is_fraction[runs[-1][0]] == frac:
            runs[-1] = (runs[-1][0], i + 1, runs[-1][2])
        else:
            runs.append((i, i + 1, percent if frac else None))
    write_row = ws.write_row
    if len(runs) == 1:
        fmt = runs[0][2]
        for r, row in enumerate(zip(*columns, strict=True), start=1):
            if write_row(r, 0, row, fmt):
                raise _too_long(name, heads, r, row)
        return
    parts = [zip(*columns[a:b], strict=True) for a, b, _ in runs]
    for r, pieces in enumerate(zip(*parts, strict=True), start=1):
        for (a, _b, fmt), piece in zip(runs, pieces, strict=True):
            if write_row(r, a, piece, fmt):
                raise _too_long(name, heads[a:], r, piece)


def sheet_names(path: str | Path) -> list[str]:
    """The sheet names of an ``.xlsx`` file, in order, read from ``xl/workbook.xml`` alone.

    (openpyxl would take 0.3 s to import for this.)
    """
    with zipfile.ZipFile(path) as book:
        xml = book.read("xl/workbook.xml").decode("utf-8")
    return [html.unescape(name) for name in re.findall(r'<sheet [^>]*?name="([^"]*)"', xml)]
