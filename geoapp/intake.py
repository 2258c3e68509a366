"""Intake: check a file against its layer's schema, import it, build the demo, re-check a workspace.

The first step of the product's flow (:mod:`geoapp.pipeline` is the rest): ``layers`` reads
and validates, and nothing is stored unless the whole file is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from geoapp.boundaries import load_districts
from geoapp.store import open_workspace
from geoapp.workspace import Workspace
from layers.errors import LayerError
from layers.io import read_layer
from layers.schema import SCHEMAS, schema
from layers.validate import Report, validate

SHIFT_CHECKED = ("districts", "towns", "zones", "parks", "plots")


@dataclass
class Checked:
    """A file read and validated onto a layer, ready to store (or not)."""

    layer: str
    frame: pd.DataFrame
    report: Report
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether it may be stored."""
        return self.report.ok

    def error(self) -> LayerError:
        """Every problem as one error."""
        return LayerError(self.layer, self.report.problems)


def _references(ws: Workspace | None, layer: str) -> dict[str, set[str]]:
    refs: dict[str, set[str]] = {}
    if ws is None or not ws.exists:
        return refs
    present = ws.layers()
    for target in set(schema(layer).references.values()):
        if target in present and target != layer:
            key = schema(target).key
            refs[target] = set(ws.read(target)[key].dropna().astype(str))
    return refs


def check_file(
    path: str | Path,
    layer: str,
    *,
    crs: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    money_unit: str | None = None,
    repair: bool = False,
    workspace: Workspace | None = None,
) -> Checked:
    """Read and validate a file onto a layer, collecting every problem.

    References (enterprise → plot, park → district …) are checked against the workspace
    when one is given; a GCJ-02/BD-09 file declared as WGS84 is caught by comparing it with
    the bundled real district boundaries.

    Raises
    ------
    LayerError
        Only when the file cannot be read at all; validation problems are in the report.
    """
    loaded = read_layer(path, layer, crs=crs, encoding=encoding, sheet=sheet,
                        money_unit=money_unit)
    reference = load_districts(None) if layer in SHIFT_CHECKED else None
    frame, report = validate(
        loaded.frame, schema(layer), references=_references(workspace, layer),
        reference_districts=reference, repair=repair, row_of=loaded.row_number,
        row_kind=loaded.row_kind, skip_cells=loaded.unreadable,
    )
    report.problems = loaded.problems + report.problems
    prov = dict(loaded.provenance)
    prov["rows"] = len(frame)
    if report.repairs:
        prov["repairs"] = report.repairs
    return Checked(layer=layer, frame=frame, report=report, provenance=prov)


def import_file(workspace: str | Path, path: str | Path, layer: str, **kw) -> Checked:
    """Validate a file and, only if it is valid, replace that layer of the workspace whole.

    The ledger is the exception: events are history, so an import appends them (forward-only
    rules checked against what is stored) through :func:`geoapp.ledger.import_events`.

    Raises
    ------
    LayerError
        With every problem; the workspace is then unchanged.
    """
    ws = open_workspace(workspace)
    if layer == "ledger":
        from geoapp.ledger import import_events

        n = import_events(workspace, path, sheet=kw.get("sheet"))
        return Checked(layer=layer, frame=pd.DataFrame(index=range(n)), report=Report(),
                       provenance={"rows": n})
    checked = check_file(path, layer, workspace=ws, **kw)
    if not checked.ok:
        raise checked.error()
    ws.write_layers({layer: checked.frame}, provenance=[checked.provenance])
    return checked


def build_demo_workspace(workspace: str | Path, *, seed: int = 0, n_plots: int = 4000,
                         progress=None) -> dict[str, int]:
    """Build the synthetic demo inside the real boundaries and store it in one transaction."""
    from geoapp.demo import build_demo

    layers = build_demo(seed=seed, n_plots=n_plots, **({"progress": progress} if progress else {}))
    meta = dict(layers.pop("_metadata", {}))
    meta.setdefault("synthetic", True)
    prov = [{"layer": n, "source": f"geoapp demo --seed {seed} --plots {n_plots} (SYNTHETIC)",
             "rows": len(f), "synthetic": n not in ("districts",)} for n, f in layers.items()]
    prov[0]["conversion"] = "bundled AMap district boundaries, GCJ-02 converted to WGS84"
    ws = open_workspace(workspace)
    ws.write_layers(layers, provenance=prov, metadata={"demo": meta, "synthetic": True})
    return {n: len(f) for n, f in layers.items()}




def workspace_report(workspace: str | Path) -> pd.DataFrame:
    """Validate every stored layer again (data-quality tab): one row per problem."""
    ws = open_workspace(workspace)
    rows = []
    present = ws.layers()
    keys = {n: set(ws.read(n)[schema(n).key].dropna().astype(str))
            for n in present if n in SCHEMAS and schema(n).key}
    for name in present:
        if name not in SCHEMAS:
            continue
        _, rep = validate(ws.read(name), schema(name), references=keys)
        rows += [{"layer": p.layer, "row": p.row, "id": p.key, "column": p.column,
                  "problem": p.message} for p in rep.problems]
    return pd.DataFrame(rows, columns=["layer", "row", "id", "column", "problem"])
