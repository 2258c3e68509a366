"""Statistical disclosure control for published aggregates: primary and secondary suppression.

Public exports must never let a reader recover one firm's figure (tax, output …). Two kinds
of cell are *sensitive* and suppressed first (**primary suppression**):

- ``primary_n`` — the cell sums fewer than ``min_firms`` enterprises (default 3, the
  threshold rule, as :data:`geoapp.export.MIN_ENTERPRISES`): with one firm the cell *is*
  its figure; with two, either firm recovers the other's by subtracting its own;
- ``primary_dominance`` — one firm contributes more than ``dominance`` of the cell total
  (default 0.85): the total is then a close estimate of that firm's figure. This is the
  (n, k) dominance rule with n = 1, k = 85 % (the family of rules, with the p % rule, in
  Hundepool et al., *Statistical Disclosure Control*, Wiley 2012, §4.2, and the US Federal
  Committee on Statistical Methodology, *Statistical Policy Working Paper 22*, 2005).

Suppressing those cells alone is not enough when totals are published too: a park total minus
its published plots gives back the one suppressed plot (**differencing**). **Secondary
(complementary) suppression** closes that door. The published tables are linked by
:class:`Link` relations, ``parent cell = Σ child cells whose link column holds the parent's
key`` (plots within parks, parks within districts, plots within towns, towns within districts:
parks and towns cut across each other, so one plot cell sits in both a park and a town
relation). For every relation whose total is published, the suppressed members ``S`` can be
recovered *as a sum* (total minus the published members), so ``S`` must be safe as one
aggregate: at least two cells, at least ``min_firms`` enterprises together, and no firm over
``dominance`` of their sum. Where it is not, the smallest published member is suppressed too
(least information lost); a relation with no published member left loses its total instead.
This repeats until nothing changes (a fixed point; each pass only adds suppressions, so it
ends). A final linear-algebra audit then checks the whole system at once — every published
total is an equation in the suppressed cells — and, should some sensitive cell still be
determined by combining relations (e.g. a park total and a district total that differ by one
plot, through the towns), suppresses the smallest published cell whose suppression frees it
and repeats.

Assumptions (documented, checked by the tests): a relation is exact (the parent total is the
sum of its members, nothing else); every enterprise contributes to one cell of each table, so
counts add up across cells. The module is pure: numpy and pandas only, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

MIN_FIRMS = 3
"""Cells summing fewer enterprises than this are suppressed (threshold rule)."""

DOMINANCE = 0.85
"""A cell where one enterprise exceeds this share of the total is suppressed ((1, k) rule)."""

VALUE, COUNT, LARGEST = "value", "n_enterprises", "largest"
"""Columns of a cell table: the published figure, how many firms it sums, the largest one's."""

PRIMARY_N, PRIMARY_DOMINANCE, SECONDARY = "primary_n", "primary_dominance", "secondary"
"""Reasons a cell is suppressed."""


@dataclass(frozen=True)
class Link:
    """A published total made of the cells of another table.

    Attributes
    ----------
    child
        Table whose cells are the members (e.g. ``"plots"``).
    parent
        Table whose cells are the totals (e.g. ``"parks"``), indexed by the key the child's
        ``by`` column holds.
    by
        Column of the child table naming its parent cell (e.g. ``"park_id"``); empty values
        belong to no parent of this link.
    """

    child: str
    parent: str
    by: str


@dataclass
class Suppression:
    """What to publish: each table with its suppressed cells blanked, and why.

    Attributes
    ----------
    tables
        The input tables with ``value`` (and ``largest``) set to NaN where suppressed.
    mask
        ``{table: bool Series}``, True where suppressed.
    reason
        ``{table: Series}`` of ``'primary_n'``, ``'primary_dominance'``, ``'secondary'`` or
        None (published).
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    mask: dict[str, pd.Series] = field(default_factory=dict)
    reason: dict[str, pd.Series] = field(default_factory=dict)


def cell_table(values: pd.Series, firms: pd.Series, groups: pd.DataFrame | pd.Series
               ) -> pd.DataFrame:
    """Aggregate firm figures into cells: total, number of firms, largest firm's share.

    Parameters
    ----------
    values
        One figure per record (e.g. ``tax_wan`` per enterprise and plot), 万元.
    firms
        The enterprise of each record, indexed like ``values``; a firm's records in one cell
        are added before the largest is taken.
    groups
        The cell of each record: one key column (Series) or several (DataFrame). Link
        columns (a plot's ``park_id`` …) are joined to the result by the caller.

    Returns
    -------
    DataFrame
        Indexed by cell key, with ``value``, ``n_enterprises`` and ``largest``.
    """
    keys = [groups] if isinstance(groups, pd.Series) else [groups[c] for c in groups.columns]
    per_firm = values.groupby([*keys, firms], dropna=False).sum()
    levels = list(range(len(keys)))
    out = pd.DataFrame({
        VALUE: per_firm.groupby(level=levels, dropna=False).sum(),
        COUNT: per_firm.groupby(level=levels, dropna=False).size(),
        LARGEST: per_firm.groupby(level=levels, dropna=False).max(),
    })
    return out


def primary(table: pd.DataFrame, *, min_firms: int = MIN_FIRMS, dominance: float = DOMINANCE
            ) -> pd.Series:
    """Reason each cell is sensitive on its own, or None.

    Parameters
    ----------
    table
        Cells with ``value``, ``n_enterprises`` and ``largest``.
    min_firms
        Threshold rule: fewer firms than this is ``'primary_n'`` (cells of 0 firms are not
        sensitive: they hold no firm's figure).
    dominance
        (1, k) rule: the largest firm over this share of the cell total (in absolute values)
        is ``'primary_dominance'``.

    Returns
    -------
    Series
        Indexed like ``table``.
    """
    n = table[COUNT].fillna(0).to_numpy(float)
    total = np.abs(table[VALUE].to_numpy(float))
    top = np.abs(table[LARGEST].to_numpy(float))
    dominated = (n > 0) & (total > 0) & (top > dominance * total)
    few = (n > 0) & (n < min_firms)
    reason = [PRIMARY_N if f else PRIMARY_DOMINANCE if d else None
              for f, d in zip(few, dominated, strict=True)]
    reason = pd.Series(reason, index=table.index, dtype="object", name="reason")
    return reason


class _Cells:
    """Every cell of every table, numbered, with the relations between them."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], links: Sequence[Link]):
        self.names = list(tables)
        self.offset: dict[str, int] = {}
        start = 0
        for name in self.names:
            self.offset[name] = start
            start += len(tables[name])
        self.value = np.concatenate([tables[n][VALUE].to_numpy(float) for n in self.names])
        self.count = np.concatenate([tables[n][COUNT].fillna(0).to_numpy(float)
                                     for n in self.names])
        self.largest = np.concatenate([tables[n][LARGEST].abs().to_numpy(float)
                                       for n in self.names])
        self.relations: list[tuple[int, np.ndarray]] = []  # (total cell, member cells)
        for link in links:
            child, parent = tables[link.child], tables[link.parent]
            if link.by not in child.columns:
                raise ValueError(f"link {link}: table '{link.child}' has no column '{link.by}'")
            pos = pd.Series(np.arange(len(parent)), index=parent.index)
            keys = child[link.by]
            for key, members in pd.Series(np.arange(len(child)), index=child.index).groupby(
                    keys.to_numpy(), dropna=True):
                if key not in pos.index:
                    raise ValueError(f"link {link}: {link.parent} has no cell {key!r}")
                self.relations.append((self.offset[link.parent] + int(pos[key]),
                                       self.offset[link.child] + members.to_numpy()))

    def safe_together(self, cells: np.ndarray, *, min_firms: int, dominance: float) -> bool:
        """Whether the sum of these cells may be known: ≥ 2 cells, enough firms, no dominant one."""
        if len(cells) < 2:
            return False
        n = self.count[cells].sum()
        total = np.abs(self.value[cells].sum())
        top = self.largest[cells].max()
        if n == 0:
            return True
        return n >= min_firms and not (total > 0 and top > dominance * total)

    def determined(self, suppressed: np.ndarray) -> np.ndarray:
        """Suppressed cells whose value the published totals pin down (linear algebra).

        Every relation with a suppressed cell is an equation in the suppressed cells. Cells
        whose columns are equal (the same parks, towns, districts) are merged first: two of
        them are never determined (their difference is free), and a cell alone in its column
        is determined exactly when the merged column is. That keeps the SVD as small as the
        number of distinct columns, whatever the number of plots.
        """
        unknown = np.flatnonzero(suppressed)
        if unknown.size == 0:
            return unknown
        col = np.full(len(suppressed), -1)
        col[unknown] = np.arange(unknown.size)
        rows = []
        for total, members in self.relations:
            hidden = members[suppressed[members]]
            if hidden.size == 0 and not suppressed[total]:
                continue
            row = np.zeros(unknown.size)
            if suppressed[total]:
                row[col[total]] = -1.0
            np.add.at(row, col[hidden], 1.0)
            rows.append(row)
        if not rows:
            return unknown
        a = np.array(rows)
        distinct, group, size = np.unique(a.T, axis=0, return_inverse=True, return_counts=True)
        group = group.ravel()
        # a distinct column is determined iff its unit vector lies in the row space: no
        # null-space component
        _, s, vt = np.linalg.svd(distinct.T)
        rank = int((s > 1e-9 * max(1.0, s.max(initial=0.0))).sum())
        null = vt[rank:]
        fixed = np.ones(len(distinct), bool) if null.size == 0 else \
            np.abs(null).max(axis=0) < 1e-9
        return unknown[fixed[group] & (size[group] == 1)]


def _break_chain(cells: _Cells, suppressed: np.ndarray, target: int,
                 *, tries: int = 1) -> int | None:
    """A published cell whose suppression stops ``target`` being determined (smallest first).

    The candidates are the published cells of relations that involve a suppressed cell; when
    none frees ``target`` alone, the smallest is returned (the next round tries again).
    """
    frontier: set[int] = set()
    for total, members in cells.relations:
        involved = np.append(members, total)
        if suppressed[involved].any():
            frontier.update(involved[~suppressed[involved]].tolist())
    if not frontier:
        return None
    order = sorted(frontier, key=lambda c: abs(cells.value[c]))
    for c in order[:tries]:
        trial = suppressed.copy()
        trial[c] = True
        if target not in cells.determined(trial):
            return c
    return order[0]


def suppress(
    tables: Mapping[str, pd.DataFrame],
    hierarchy: Sequence[Link],
    *,
    min_firms: int = MIN_FIRMS,
    dominance: float = DOMINANCE,
    max_rounds: int = 10_000,
) -> Suppression:
    """Suppress sensitive cells and enough others that none can be recovered by differencing.

    Parameters
    ----------
    tables
        ``{name: cells}``, each with ``value``, ``n_enterprises`` and ``largest`` (see
        :func:`cell_table`) and the link columns its :class:`Link` relations name; index =
        cell key.
    hierarchy
        The relations between published tables (``Link("plots", "parks", "park_id")`` …).
    min_firms
        Threshold rule (default 3).
    dominance
        (1, k) dominance rule share (default 0.85).
    max_rounds
        Safety bound on the iterations (each adds at least one suppression, so the number of
        cells bounds it anyway).

    Returns
    -------
    Suppression
        Tables with suppressed values blanked, the mask and the reason per cell.
    """
    if min_firms < 1:
        raise ValueError(f"min_firms={min_firms!r}: expected 1 or more")
    if not 0 < dominance <= 1:
        raise ValueError(f"dominance={dominance!r}: expected a share in (0, 1]")
    for name, t in tables.items():
        missing = [c for c in (VALUE, COUNT, LARGEST) if c not in t.columns]
        if missing:
            raise ValueError(f"table '{name}' lacks columns {missing}")
    cells = _Cells(tables, hierarchy)
    reasons = np.empty(len(cells.value), dtype=object)
    for name in cells.names:
        r = primary(tables[name], min_firms=min_firms, dominance=dominance).to_numpy()
        reasons[cells.offset[name]:cells.offset[name] + len(r)] = r
    suppressed = np.array([r is not None for r in reasons])
    sensitive = suppressed.copy()

    def add_secondary(total: int, members: np.ndarray) -> None:
        open_ = members[~suppressed[members]]
        pick = open_[np.argmin(np.abs(cells.value[open_]))] if open_.size else total
        suppressed[pick] = True
        reasons[pick] = SECONDARY

    for _ in range(max_rounds):
        changed = False
        for total, members in cells.relations:
            if suppressed[total]:
                continue
            hidden = members[suppressed[members]]
            if hidden.size and not cells.safe_together(hidden, min_firms=min_firms,
                                                       dominance=dominance):
                add_secondary(total, members)
                changed = True
        if changed:
            continue
        exposed = [c for c in cells.determined(suppressed) if sensitive[c]]
        if not exposed:
            break
        pick = _break_chain(cells, suppressed, exposed[0])
        if pick is None:  # nothing left to suppress near it
            break
        suppressed[pick] = True
        reasons[pick] = SECONDARY
    else:  # pragma: no cover - bounded by the number of cells
        raise RuntimeError("secondary suppression did not reach a fixed point")

    out = Suppression()
    for name in cells.names:
        t = tables[name]
        sl = slice(cells.offset[name], cells.offset[name] + len(t))
        mask = pd.Series(suppressed[sl], index=t.index, name="suppressed")
        published = t.copy()
        published[VALUE] = published[VALUE].astype("float64").mask(mask)
        published[LARGEST] = published[LARGEST].astype("float64").mask(mask)
        out.tables[name] = published
        out.mask[name] = mask
        out.reason[name] = pd.Series(reasons[sl], index=t.index, dtype="object", name="reason")
    return out


def naive_suppress(tables: Mapping[str, pd.DataFrame], *, min_firms: int = MIN_FIRMS
                   ) -> dict[str, pd.Series]:
    """Threshold rule alone, cell by cell (what public mode did): the mask per table.

    Kept to show, in tests and docs, that it leaks by differencing.
    """
    return {name: (t[COUNT].fillna(0) > 0) & (t[COUNT].fillna(0) < min_firms)
            for name, t in tables.items()}
