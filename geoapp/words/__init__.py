"""Every word geoapp shows a planner, in Chinese and English, declared once.

- :mod:`geoapp.words.columns` — column labels with units (``label("tax_per_mu")`` →
  ``"亩均税收(万元/亩)"``), descriptions for ``README.txt``;
- :mod:`geoapp.words.values` — names of coded values by kind (status, stage, mode, industry,
  level, grade, unrated reason, low-efficiency reason, zone type …), and the ledger words
  planners type;
- :mod:`geoapp.words.ui` — the app's, the sheets', the charts' and the exports' words, and
  the names of map layers.

Domain words that :mod:`analysis` and :mod:`layers.schema` need for their own outputs stay
there (industries, modes, reasons, indicator names, field labels); these modules read them.
``lang`` is ``"zh"`` or ``"en"`` everywhere.
"""

from __future__ import annotations

import pandas as pd

from geoapp.words.columns import (
    COLUMN_LABELS,
    COUNT_UNITS,
    NAME_SUFFIX,
    SCORE_UNIT,
    UNIT_EN,
    Label,
    column_label,
    describe,
    header,
    headers,
)
from geoapp.words.handon import HANDON_COLUMNS, HANDON_FILES, HANDON_TEXT
from geoapp.words.legend import LEGEND_TEXT
from geoapp.words.scenario import SCENARIO_COLUMNS, SCENARIO_TEXT
from geoapp.words.ui import FILE_DESCRIPTIONS, LAYER_TEXT, REPORT_SHEETS, TEXT
from geoapp.words.values import (
    COLUMN_KINDS,
    LIST_COLUMNS,
    MODE_WORDS,
    NOTE_HEADERS,
    STAGE_WORDS,
    VALUES,
)

VALUES["target_metric"] = {
    m: (COLUMN_LABELS[m].zh, COLUMN_LABELS[m].name_en)
    for m in ("reclaimed_mu", "reclaimed_plots", "reclaimed_mu_cumulative")
}
"""Targets' metrics are named as the columns they count."""
COLUMN_LABELS.update(SCENARIO_COLUMNS)
TEXT.update(SCENARIO_TEXT)

TEXT.update(HANDON_TEXT)
TEXT.update(LEGEND_TEXT)
COLUMN_LABELS.update(HANDON_COLUMNS)
FILE_DESCRIPTIONS.update(HANDON_FILES)

__all__ = [
    "COLUMN_KINDS",
    "COLUMN_LABELS",
    "COUNT_UNITS",
    "FILE_DESCRIPTIONS",
    "LANGS",
    "LAYER_TEXT",
    "MODE_WORDS",
    "NOTE_HEADERS",
    "REPORT_SHEETS",
    "SCORE_UNIT",
    "STAGE_WORDS",
    "TEXT",
    "UNIT_EN",
    "VALUES",
    "Label",
    "column_label",
    "describe",
    "header",
    "headers",
    "label",
    "layer_name",
    "name",
    "text",
    "translate_values",
    "unit",
    "value",
    "with_value_names",
]

LANGS: tuple[str, str] = ("zh", "en")


def _pick(pair: tuple[str, str], lang: str) -> str:
    zh, en = pair
    return zh if lang == "zh" or not en else en


def text(key: str, lang: str = "zh") -> str:
    """A word of the app, the sheets, the charts or the exports (:data:`TEXT`).

    Raises
    ------
    KeyError
        For an unknown key (a typo should fail in tests, not show up on screen).
    """
    return _pick(TEXT[key], lang)


def layer_name(key: str, lang: str = "zh") -> str:
    """Name of a map layer (``"low_efficiency"`` → ``"低效地块"``)."""
    return _pick(LAYER_TEXT[key], lang)


def value(kind: str, code, lang: str = "zh") -> str:
    """Name of a coded value: ``value("status", "in_use")`` → ``"在用"``.

    Unknown kinds and codes come back as given (as text); missing values as ``"—"``.
    """
    if code is None or (not isinstance(code, str) and pd.isna(code)):
        return "—"
    if isinstance(code, bool):
        kind, code = "bool", str(code)
    pair = VALUES.get(kind, {}).get(str(code))
    return str(code) if pair is None else _pick(pair, lang)


def label(column: str, lang: str = "zh", *, layer: str | None = None) -> str:
    """Header of a column with its unit: ``"亩均税收(万元/亩)"`` / ``"Tax per mu (10k CNY/mu)"``."""
    return header(column, layer, lang)


def name(column: str, lang: str = "zh", *, layer: str | None = None) -> str:
    """Name of a column without its unit: ``"亩均税收"`` / ``"Tax per mu"``."""
    return column_label(column, layer).name(lang, column)


def unit(column: str, lang: str = "zh", *, layer: str | None = None) -> str:
    """Unit of a column (``"万元/亩"``, ``"%"``, ``""``)."""
    return column_label(column, layer).unit_in(lang)


def translate_values(column: str, values: pd.Series, lang: str = "zh") -> pd.Series:
    """Coded values of a column shown by name (status, stage, mode, industry …; 是/否).

    Parameters
    ----------
    column
        Column name; decides the kind of value (:data:`COLUMN_KINDS`). ``lead_industries``
        and ``reasons`` hold ``;``-separated codes, each translated.
    values
        The column. Unknown codes, missing values and other columns are returned unchanged.
    lang
        ``"zh"`` or ``"en"``.
    """
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.map({True: value("bool", True, lang),
                           False: value("bool", False, lang)}).astype(object)
    kind = "industry" if column == "lead_industries" else COLUMN_KINDS.get(column)
    if kind is None:
        return values
    codes = VALUES[kind]
    if column in LIST_COLUMNS:
        sep = text("list_sep" if column == "lead_industries" else "list_sep_values", lang)

        def many(v):
            if not isinstance(v, str):
                return v
            parts = [c.strip() for c in v.replace("；", ";").split(";") if c.strip()]
            return sep.join(_pick(codes[c], lang) if c in codes else c for c in parts)

        return values.map(many)
    return values.map(lambda v: _pick(codes[v], lang) if isinstance(v, str) and v in codes
                      else v)


def with_value_names(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Put the name of every coded value beside its code: ``status`` → ``status_name``.

    The codes stay in their own columns (the data contract); each ``<column>_name`` comes
    right after its column and is labelled ``"地块状态名称"`` / ``"Status name"``. Columns
    whose names are there already are left alone.
    """
    out = frame.copy()
    for column in [str(c) for c in frame.columns]:
        named = f"{column}{NAME_SUFFIX}"
        coded = column in COLUMN_KINDS or column in LIST_COLUMNS
        if not coded or named in out or pd.api.types.is_bool_dtype(out[column].dtype):
            continue
        if column == "reasons" and lang == "zh" and "reasons_zh" in out:
            continue  # analysis names them already
        at = list(out.columns).index(column) + 1
        out.insert(at, named, translate_values(column, out[column], lang))
    return out
