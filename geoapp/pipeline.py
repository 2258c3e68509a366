"""The product's flow: load & validate → store → analyse → write outputs.

The CLI and the app call these functions; they call ``layers`` for I/O and validation and
``analysis`` (through :mod:`geoapp.stages`) for every number.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geoapp.boundaries import load_districts
from geoapp.config import AnalysisConfig
from geoapp.stages import StageResult
from geoapp.workspace import Workspace
from layers.errors import LayerError
from layers.io import read_layer
from layers.schema import SCHEMAS, schema
from layers.validate import Report, validate

STAGES: tuple[str, ...] = ("evaluation", "reclamation", "clusters")
"""Analysis stages in the order they run (a later one may use an earlier one's tables)."""

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
    ws = Workspace(workspace)
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
    ws = Workspace(workspace)
    ws.write_layers(layers, provenance=prov, metadata={"demo": meta, "synthetic": True})
    return {n: len(f) for n, f in layers.items()}


def default_year(layers: dict[str, pd.DataFrame]) -> int:
    """The latest year with enterprise figures (or this year when there are none)."""
    years = pd.to_numeric(layers.get("enterprises", pd.DataFrame()).get("year"), errors="coerce")
    if years is None or years.dropna().empty:
        return date.today().year
    return int(years.max())


def run_analysis(
    layers: dict[str, pd.DataFrame],
    *,
    year: int | None = None,
    config: AnalysisConfig | None = None,
    stages: tuple[str, ...] = STAGES,
    progress: Callable[[str], None] | None = None,
    errors: dict[str, str] | None = None,
) -> dict[str, StageResult]:
    """Run the analysis stages on loaded layers, in memory (the app calls this too).

    Parameters
    ----------
    progress
        ``progress(stage_name)`` is called as each stage starts (the CLI draws a bar with it).
    errors
        When given, a stage that fails is recorded here (``{stage: message}``) and the run
        goes on with the others — the app must open with what exists. When None, the first
        failure raises (the CLI must not write a partial analysis silently).

    Returns
    -------
    dict
        ``{stage name: StageResult}`` of the stages that ran.
    """
    config = config or AnalysisConfig()
    year = year or default_year(layers)
    results: dict[str, StageResult] = {}
    for name in stages:
        if progress is not None:
            progress(name)
        module = importlib.import_module(f"geoapp.stages.{name}")
        if errors is None:
            results[name] = module.run(layers, year=year, config=config, results=results)
            continue
        try:
            results[name] = module.run(layers, year=year, config=config, results=results)
        except Exception as exc:  # reported to the caller, who decides
            errors[name] = f"{type(exc).__name__}: {exc}"
    return results


def write_outputs(results: dict[str, StageResult], out_dir: str | Path, *,
                  extra_summary: dict[str, Any] | None = None, public: bool = False) -> list[Path]:
    """Write every stage's outputs through the one export path, plus summary.json."""
    from geoapp import export

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    summary: dict[str, Any] = dict(extra_summary or {})
    for stage, res in results.items():
        summary[stage] = res.summary
        weighted = res.summary.get("density", {}).get("weight", "count") != "count"
        for fname, obj in res.outputs.items():
            path = out / fname
            if public and weighted and fname.startswith("density_"):
                continue  # a surface weighted by tax or output gives single firms' figures back
            if isinstance(obj, bytes | bytearray):
                path.write_bytes(obj)
            elif isinstance(obj, pd.DataFrame):
                path = export.export_layer(obj, path, public=public)[0]
            else:
                path.write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str),
                                encoding="utf-8")
            written.append(path)
    if public:
        summary = export.public_summary(summary)
        summary["disclosure"] = "public: " + export.PUBLIC_NOTE_ZH.format(n=export.MIN_ENTERPRISES)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str,
                                       allow_nan=False), encoding="utf-8")
    written.append(summary_path)
    return written


def analyze(workspace: str | Path, out_dir: str | Path, *, year: int | None = None,
            config: AnalysisConfig | None = None, public: bool = False,
            progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """``geoapp analyze``: read the workspace, run every stage, write the output folder.

    Returns
    -------
    dict
        The stage results and the files written.
    """
    ws = Workspace(workspace)
    ws.check()
    layers = ws.read_all()
    year = year or default_year(layers)
    results = run_analysis(layers, year=year, config=config, progress=progress)
    if progress is not None:
        progress("writing outputs")
    meta = ws.metadata()
    extra = {"workspace": str(workspace), "year": year, "synthetic": bool(meta.get("synthetic")),
             "config": (config.source if config else None)}
    from geoapp import export
    from geoapp.atomic import staged_dir

    with staged_dir(out_dir) as stage:  # all files written, or none (full disk, read-only)
        files = write_outputs(results, stage, extra_summary=extra, public=public)
        tables = {k: v for res in results.values() for k, v in res.tables.items()
                  if isinstance(v, pd.DataFrame)}
        report = stage / "report.xlsx"
        export.xlsx_report(tables, report, public=public)
        files.append(report)
        files.append(export.write_readme(stage, {p.name: "" for p in files}))
    files = [Path(out_dir) / p.relative_to(stage) for p in files]
    return {"results": results, "files": files, "year": year}


def workspace_report(workspace: str | Path) -> pd.DataFrame:
    """Validate every stored layer again (data-quality tab): one row per problem."""
    ws = Workspace(workspace)
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


def layer_or_output(workspace: str | Path, name: str, *, year: int | None = None,
                    config: AnalysisConfig | None = None) -> pd.DataFrame:
    """A workspace layer by name, or an analysis output (file stem or table name).

    ``plots`` is the stored layer; the evaluated plots are ``plots_evaluated`` (the
    ``plots.geojson`` of ``geoapp analyze``). Other outputs go by their file stem
    (``park_ranking``, ``hotspots``, ``reclamation_progress`` …) or table name.

    Raises
    ------
    ValueError
        Naming every layer and output that exists.
    """
    ws = Workspace(workspace)
    ws.check()
    if name in ws.layers():
        return ws.read(name)
    results = run_analysis(ws.read_all(), year=year, config=config)
    found: dict[str, pd.DataFrame] = {}
    for res in results.values():
        for fname, obj in res.outputs.items():
            if isinstance(obj, pd.DataFrame):
                stem = Path(fname).stem
                found["plots_evaluated" if stem == "plots" else stem] = obj
        for tname, obj in res.tables.items():
            if isinstance(obj, pd.DataFrame):
                found.setdefault(tname, obj)
    if name not in found:
        raise ValueError(f"no layer or analysis output named {name!r}; layers: {ws.layers()}; "
                         f"outputs: {sorted(found)}")
    return found[name]
