"""Tables as planners read them: names beside ids, coded values by name, numbers with units.

:func:`display_table` turns any analysis table (league tables, card tables, stalled plots,
progress) into text cells under labelled headers (:mod:`geoapp.words`); :func:`targets_met`
counts growth targets met among the scopes that have one.
"""

from __future__ import annotations

import math

import pandas as pd

from geoapp import words
from geoapp.app.loading import AppData

MISSING = "—"
"""What an empty cell shows (never ``None`` or ``nan``)."""

NAME_OF: dict[str, tuple[str, str, str]] = {
    "park_id": ("parks", "park_id", "park_name"),
    "town_code": ("towns", "code", "town_name"),
    "district_code": ("districts", "code", "district_name"),
}
"""Id column → (layer, its key, the name column put beside the id)."""

WHOLE_COLUMNS = frozenset({"rank", "year", "since_year", "row"})
"""Columns shown without decimals."""


def format_number(value, column: str) -> str:
    """One number as text: fractions as ``"7.6%"``, counts as ``"1,234"``, others rounded.

    Parameters
    ----------
    value
        The number (missing, non-finite or non-numeric gives :data:`MISSING`, text is kept).
    column
        Its column, which decides the format through its label (:mod:`geoapp.words`).
    """
    if value is None or isinstance(value, bool):
        return MISSING if value is None else str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return MISSING
    lab = words.column_label(column)
    if lab.fraction:
        return f"{x:.1%}"
    if lab.unit in words.COUNT_UNITS or column in WHOLE_COLUMNS:
        return f"{x:,.0f}" if column not in WHOLE_COLUMNS else f"{x:.0f}"
    if lab.unit == words.SCORE_UNIT:
        return f"{x:,.1f}"
    return f"{x:,.2f}"


def _cell(value, column: str) -> str:
    if value is None or (not isinstance(value, str | list | tuple) and pd.isna(value)):
        return MISSING
    if isinstance(value, str):
        return value or MISSING
    return format_number(value, column)


def with_names(table: pd.DataFrame, data: AppData | None) -> pd.DataFrame:
    """Put the name of each park/town/district right after its id column (ids kept).

    A table keyed by the id (its first column) that has a ``name`` column already names them:
    that column is renamed (``park_name``) instead of looked up.
    """
    out = table.copy()
    first = next(iter(out.columns), None)
    for id_col, (layer, key, name_col) in NAME_OF.items():
        if id_col not in out or name_col in out:
            continue
        if first == id_col and "name" in out:  # a table of parks (towns …)
            out.insert(1, name_col, out.pop("name"))
            continue
        frame = data.layer(layer) if data is not None else None
        if frame is None or key not in frame or "name" not in frame:
            continue
        names = dict(zip(frame[key].astype(str), frame["name"], strict=False))
        at = list(out.columns).index(id_col) + 1
        out.insert(at, name_col, [names.get(str(v)) if pd.notna(v) else None
                                  for v in out[id_col].tolist()])
    return out


def display_table(table: pd.DataFrame | None, lang: str = "zh", *,
                  data: AppData | None = None, index: bool = True) -> pd.DataFrame:
    """A table as the app shows it: labelled headers with units, text cells.

    Parameters
    ----------
    table
        Any table of geoapp's columns (geometry is dropped). None gives an empty table.
    lang
        ``"zh"`` or ``"en"``.
    data
        App data, to put park/town/district names beside their ids.
    index
        Whether a named index (``park_id`` of a league table) becomes the first column.

    Returns
    -------
    DataFrame
        Headers from :func:`geoapp.words.label` (``"亩均税收(万元/亩)"``); coded values by
        name (在用, 已盘活, 市级, 生物医药, 是/否); fractions as ``"7.6%"``; counts whole,
        other numbers to 2 decimals (scores to 1); missing cells ``"—"``.
    """
    if table is None:
        return pd.DataFrame()
    t = pd.DataFrame(table)
    if "geometry" in t:
        t = t.drop(columns="geometry")
    if index and t.index.name is not None:
        t = t.reset_index()
    t = with_names(t.reset_index(drop=True), data)
    shown_by_name = [f"{c}_zh" for c in t.columns
                     if c in words.COLUMN_KINDS and f"{c}_zh" in t]  # stage_zh beside stage
    t = t.drop(columns=shown_by_name)
    cols = [str(c) for c in t.columns]
    out = {}
    for col, name in zip(t.columns, cols, strict=True):
        series = words.translate_values(name, t[col], lang)
        out[name] = [_cell(v, name) for v in series.tolist()]
    heads = words.headers(cols, lang=lang)
    return pd.DataFrame({heads[c]: out[c] for c in cols}, columns=[heads[c] for c in cols])


def targets_met(table: pd.DataFrame) -> tuple[int, int]:
    """Growth targets met: ``(scopes meeting every target they have, scopes with a target)``.

    A scope counts only when it has at least one ``*_growth_target``; ``target_met`` says
    whether it meets them.
    """
    goals = [c for c in table.columns if str(c).endswith("_growth_target")]
    if not goals or "target_met" not in table:
        return 0, 0
    has = table[goals].notna().any(axis=1)
    met = table.loc[has, "target_met"].fillna(False).astype(bool)
    return int(met.sum()), int(has.sum())


def ranking_view(data: AppData, scope: str = "park", lang: str = "zh") -> pd.DataFrame | None:
    """The park or town league table as the app shows it (None before the evaluation ran).

    Ids first with their names beside them (``园区编号``, ``园区名称``), every header labelled
    with its unit, fractions as %, coded values by name, numbers rounded, "—" when missing.
    """
    from geoapp.app.stage_results import ranking_table

    table = ranking_table(data, scope)
    return None if table is None else display_table(table, lang, data=data)


def scorecard_view(scorecard: pd.DataFrame | None, lang: str = "zh") -> pd.DataFrame:
    """A one-column scorecard (index: columns of a league table) as label/value rows."""
    if scorecard is None or scorecard.empty:
        return pd.DataFrame()
    column = scorecard.iloc[:, 0]
    return pd.DataFrame({
        words.text("export.about_item", lang): [words.label(str(c), lang) for c in column.index],
        words.text("export.about_content", lang): [
            _cell(words.translate_values(str(c), pd.Series([v]), lang).iloc[0], str(c))
            for c, v in column.items()],
    })


_SCOPE_IDS = {"park": "park_id", "town": "town_code", "district": "district_code"}


def burnup_caption(key: str, data: AppData | None, lang: str = "zh") -> str:
    """Caption of a burn-up chart keyed ``scope_type:scope_id:metric:year``.

    ``"district:310113:reclaimed_mu:2023"`` → ``"宝山区 2023 已盘活面积"``; keys of another
    shape are returned as they are.
    """
    parts = key.split(":")
    if len(parts) != 4 or parts[0] not in _SCOPE_IDS:
        return key
    scope_type, scope_id, metric, year = parts
    named = with_names(pd.DataFrame({_SCOPE_IDS[scope_type]: [scope_id], "x": [0]}), data)
    name_col = NAME_OF[_SCOPE_IDS[scope_type]][2]
    name = named[name_col].iloc[0] if name_col in named else None
    name = name if isinstance(name, str) and name else scope_id
    return f"{name} {year} {words.value('target_metric', metric, lang)}"
