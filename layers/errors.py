"""The small error hierarchy of geoapp: one collected error per layer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one row (or the whole layer) of an input.

    Attributes
    ----------
    layer
        Layer name, e.g. ``"plots"``.
    message
        What is wrong and, where possible, how to fix it.
    row
        1-based data row number in the source file (header not counted), or None for the layer.
    key
        The row's id (e.g. its ``plot_id``) when it has one.
    column
        The column concerned, or None.
    row_kind
        What ``row`` counts: ``"row"`` (a spreadsheet row as Excel numbers it, header = row 1)
        or ``"feature"`` (1-based feature number in a GIS file).
    """

    layer: str
    message: str
    row: int | None = None
    key: str | None = None
    column: str | None = None
    row_kind: str = "row"

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"{self.row_kind} {self.row}")
        if self.key not in (None, ""):
            where.append(f"id {self.key}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = f"{', '.join(where)}: " if where else ""
        return f"{prefix}{self.message}"


class LayerError(ValueError):
    """Every problem found in one layer, reported at once.

    Parameters
    ----------
    layer
        Layer name.
    problems
        The problems found; the message lists them all, one per line.
    """

    def __init__(self, layer: str, problems: list[Problem] | list[str]):
        self.layer = layer
        self.problems = [
            p if isinstance(p, Problem) else Problem(layer=layer, message=str(p)) for p in problems
        ]
        lines = [f"layer '{layer}': {len(self.problems)} problem(s)"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class WorkspaceError(RuntimeError):
    """A workspace file is missing, locked, or not a geoapp workspace."""
