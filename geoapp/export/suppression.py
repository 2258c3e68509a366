"""Public mode across a run: no published figure gives back one firm's, even by differencing.

The analyses publish the same enterprise figures at four levels that add up: plots, parks,
towns and districts (a park's tax is the sum of its plots' …). Suppressing each small cell on
its own is not enough: a park total minus its published plots gives back the one plot that was
hidden. :func:`withheld` therefore runs :func:`analysis.disclosure.suppress` once per amount
(tax, output, value added, revenue, energy, emissions, employees, R&D) on the firms of the run,
with primary suppression (fewer than 3 firms; one firm over 85 % of the cell) and secondary
suppression across the plot → park, plot → town and plot → district relations, and returns
the keys whose figures must be withheld (the union over amounts: a superset of a safe pattern
is safe). :func:`public_tables` blanks every confidential column of those rows, and withholds
the confidential columns of every other aggregate table (grid cells and park × industry cells
cut across the plots in ways those relations do not cover).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from analysis.disclosure import DOMINANCE, MIN_FIRMS, Link, cell_table, suppress
from analysis.efficiency import AMOUNTS
from geoapp.export.disclosure import ENTERPRISE_KEYS, is_confidential

LEVELS: dict[str, str] = {"plots": "plot_id", "parks": "park_id", "towns": "town_code",
                          "districts": "district_code"}
"""The linked aggregate levels and the key of each."""

LINKED_OUTPUTS: dict[str, tuple[str, str]] = {
    "plots_evaluated": ("plots", "plot_id"),
    "low_efficiency": ("plots", "plot_id"),
    "parks": ("parks", "park_id"),
    "park_ranking": ("parks", "park_id"),
    "town_ranking": ("towns", "town_code"),
    "district_ranking": ("districts", "district_code"),
}
"""Outputs whose rows are cells of a linked level: ``{output name: (level, key column)}``."""


def withheld(firms: pd.DataFrame, *, min_firms: int = MIN_FIRMS,
             dominance: float = DOMINANCE) -> dict[str, set[str]]:
    """
    Keys of the plot, park, town and district rows whose figures public files must not show.

    Parameters
    ----------
    firms
        The evaluated enterprise-years of the run (:attr:`EvaluationResult.enterprises`):
        ``ent_id``, ``plot_id``, ``park_id``, ``town_code``, ``district_code`` and amounts.
    min_firms, dominance
        The threshold and (1, k) dominance rules (:mod:`analysis.disclosure`).

    Returns
    -------
    dict
        ``{level: keys}`` for ``plots``, ``parks``, ``towns`` and ``districts``.
    """
    out: dict[str, set[str]] = {level: set() for level in LEVELS}
    if firms is None or len(firms) == 0 or "plot_id" not in firms:
        return out
    located = firms[firms["plot_id"].notna()].copy()
    for key in LEVELS.values():
        if key not in located:
            located[key] = pd.NA
        located[key] = located[key].astype("string")
    links = [Link("plots", level, key) for level, key in LEVELS.items() if level != "plots"]
    for amount in (a for a in AMOUNTS if a in located):
        values = pd.to_numeric(located[amount], errors="coerce")
        rows = located[values.notna()]
        if rows.empty:
            continue
        values = values[values.notna()]
        tables = {}
        for level, key in LEVELS.items():
            keyed = rows[rows[key].notna()]
            cells = cell_table(values.loc[keyed.index], keyed["ent_id"].astype(str), keyed[key])
            cells.index = cells.index.astype(str)
            if level == "plots":
                parents = keyed.drop_duplicates("plot_id").set_index("plot_id")
                parents.index = parents.index.astype(str)
                for other in ("park_id", "town_code", "district_code"):
                    cells[other] = parents[other].reindex(cells.index).to_numpy()
            tables[level] = cells
        result = suppress(tables, links, min_firms=min_firms, dominance=dominance)
        for level, mask in result.mask.items():
            out[level] |= set(mask.index[mask.to_numpy()].astype(str))
    return out


def public_tables(tables: Mapping[str, pd.DataFrame], firms: pd.DataFrame | None
                  ) -> dict[str, pd.DataFrame]:
    """
    The output tables as public mode may show them (before each file's own public rule).

    Rows of :data:`LINKED_OUTPUTS` whose key :func:`withheld` lists lose every confidential
    value; other aggregate tables lose their confidential columns; enterprise-level tables
    are left to the allow-list of :func:`geoapp.export.disclosure.public_table`.
    """
    hidden = withheld(firms) if firms is not None else {level: set() for level in LEVELS}
    out = {}
    for name, frame in tables.items():
        secret = [c for c in frame.columns if is_confidential(c)]
        if not secret or any(k in frame.columns for k in ENTERPRISE_KEYS):
            out[name] = frame
            continue
        frame = frame.copy()
        if name in LINKED_OUTPUTS:
            level, key = LINKED_OUTPUTS[name]
            rows = frame[key].astype("string").isin(list(hidden[level])).fillna(False)
            for column in secret:
                frame[column] = frame[column].mask(rows.to_numpy())
        else:
            frame = frame.drop(columns=secret)
        out[name] = frame
    return out
