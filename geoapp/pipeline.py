"""The product's flow: load & validate → store → analyse → store results → write outputs.

The CLI and the app call these functions; they call ``layers`` for I/O and validation and
``analysis`` (through :mod:`geoapp.stages`) for every number.

Results live in the workspace with a fingerprint of what they came from: the code, the
evaluation year (and the as-of date for reclamation), the settings sections the stage reads,
the versions of the layers it reads and the fingerprints of the stages it takes results from.
:func:`analyse_workspace` re-runs only the stages whose fingerprint changed and reads the
others back, so ``analyze``, ``export`` and the app show the same numbers from one
computation, and a stale result is never taken for a fresh one.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp import outputs
from geoapp.boundaries import load_districts
from geoapp.results import StageResult, from_items, to_items
from geoapp.settings import Settings
from geoapp.store import open_workspace
from geoapp.workspace import Workspace
from layers.errors import LayerError, WorkspaceError
from layers.io import read_layer
from layers.schema import SCHEMAS, schema
from layers.validate import Report, validate

STAGES: tuple[str, ...] = ("evaluation", "reclamation", "clusters")
"""Analysis stages in the order they run (a later one may take an earlier one's result)."""

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


def stage_module(name: str) -> ModuleType:
    """The module of a stage (``LAYERS``, ``SETTINGS``, ``NEEDS``, ``run``)."""
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; stages are {list(STAGES)}")
    return importlib.import_module(f"geoapp.stages.{name}")


def with_needs(stages: tuple[str, ...]) -> tuple[str, ...]:
    """The stages asked for and every stage they take results from, in running order."""
    wanted = set(stages)
    for name in reversed(STAGES):
        if name in wanted:
            wanted.update(stage_module(name).NEEDS)
    return tuple(s for s in STAGES if s in wanted)


@functools.cache
def code_version() -> str:
    """A hash of the code that computes results (``analysis/`` and the stages)."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for folder in ("analysis", "geoapp/stages"):
        for path in sorted((root / folder).glob("*.py")):
            digest.update(path.read_bytes())
    for name in ("results.py", "settings.py"):
        digest.update((root / "geoapp" / name).read_bytes())
    return digest.hexdigest()[:16]


def fingerprint(stage: str, *, year: int, settings: Settings, versions: Mapping[str, str],
                upstream: Mapping[str, str], as_of: date | None = None) -> str:
    """
    Hash what a stage's result depends on.

    That is the code, the year, the as-of date, the settings sections and layer versions the
    stage reads, and the fingerprints of the stages it takes results from.
    """
    module = stage_module(stage)
    basis = {
        "stage": stage, "code": code_version(), "year": int(year),
        "as_of": as_of.isoformat() if as_of is not None else None,
        "settings": {name: settings.section(name) for name in module.SETTINGS},
        "layers": {name: versions.get(name, "absent") for name in module.LAYERS},
        "upstream": {name: upstream[name] for name in module.NEEDS},
    }
    text = json.dumps(basis, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load_settings(workspace: str | Path | Workspace, config_file: str | Path | None = None
                  ) -> Settings:
    """
    The workspace's settings; with ``config_file``, that file's values on top (a one-off run).

    Raises
    ------
    SettingsError
        Naming the key and the fix, for a bad stored value or a bad file.
    """
    ws = open_workspace(workspace)
    stored = ws.settings_overrides()
    if config_file is None:
        return Settings.from_dict(stored, source="workspace")
    merged = json.loads(json.dumps(stored))
    for section, values in Settings.from_toml(config_file).overrides.items():
        merged.setdefault(section, {}).update(values)
    return Settings.from_dict(merged, source=f"workspace + {config_file} (one-off)")


def workspace_years(workspace: str | Path | Workspace) -> list[int]:
    """Years with enterprise figures, read cheaply (the ``year`` column only)."""
    ws = open_workspace(workspace)
    if "enterprises" not in ws.layers():
        return []
    years = pd.to_numeric(ws.read("enterprises", columns=["year"], geometry=False)["year"],
                          errors="coerce")
    return sorted(set(years.dropna().astype(int).tolist()))


def default_year(years: list[int]) -> int:
    """The latest year with enterprise figures (or this year when there are none)."""
    return years[-1] if years else date.today().year


def _as_of(stage: str, as_of: date | None, year: int) -> date | None:
    if stage != "reclamation":
        return None
    return stage_module("reclamation").as_of_date(as_of, year)


def _run_stage(stage: str, layers: dict[str, pd.DataFrame], results: dict[str, StageResult], *,
               year: int, settings: Settings, as_of: date | None) -> StageResult:
    module = stage_module(stage)
    kwargs: dict[str, Any] = {"year": year, "settings": settings}
    kwargs.update({need: results[need] for need in module.NEEDS})
    if stage == "reclamation":
        kwargs["as_of"] = as_of
    return module.run(layers, **kwargs)


def run_analysis(
    layers: dict[str, pd.DataFrame],
    *,
    year: int | None = None,
    settings: Settings | None = None,
    as_of: date | None = None,
    stages: tuple[str, ...] = STAGES,
    progress: Callable[[str], None] | None = None,
) -> dict[str, StageResult]:
    """Run the analysis stages on loaded layers, in memory (nothing stored).

    Parameters
    ----------
    layers
        ``{layer name: frame}`` as :meth:`Workspace.read_all` gives them.
    year
        Evaluation year (default: the latest with enterprise figures).
    settings
        Default: every default.
    as_of
        The day reclamation progress is measured at.
    stages
        The stages wanted; the stages they take results from run too.
    progress
        ``progress(stage_name)`` is called as each stage starts.

    Returns
    -------
    dict
        ``{stage name: result}`` of the stages that ran.
    """
    settings = settings or Settings()
    if year is None:
        ents = layers.get("enterprises", pd.DataFrame())
        years = pd.to_numeric(ents.get("year", pd.Series(dtype=float)), errors="coerce")
        year = default_year(sorted(set(years.dropna().astype(int).tolist())))
    results: dict[str, StageResult] = {}
    for name in with_needs(stages):
        if progress is not None:
            progress(name)
        results[name] = _run_stage(name, layers, results, year=year, settings=settings,
                                   as_of=_as_of(name, as_of, year))
    return results


@dataclass
class Analysis:
    """
    The results of a workspace for one year, fresh, with what it took to get them.

    Attributes
    ----------
    year
        Evaluation year.
    settings
        The settings the results were computed with.
    results
        ``{stage: result}`` of the stages asked for and those they need.
    ran, reused
        Stages computed now, and stages read back from the workspace.
    fingerprints
        ``{stage: fingerprint}``.
    errors
        ``{stage: message}`` of stages that failed (only when the caller collects errors).
    notes
        What the caller should know, e.g. that results could not be stored.
    """

    year: int
    settings: Settings
    results: dict[str, StageResult] = field(default_factory=dict)
    ran: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    fingerprints: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def plot_geometry_reader(ws: Workspace, layers: Mapping[str, pd.DataFrame] | None = None
                         ) -> Callable[[], gpd.GeoSeries]:
    """
    A function giving the plots layer's geometry by ``plot_id``, read once on first use.

    Taken from ``layers`` when they hold the plots already.
    """
    @functools.cache
    def read() -> gpd.GeoSeries:
        plots = (layers or {}).get("plots")
        if plots is None:
            plots = ws.read("plots", columns=["plot_id"])
        if not isinstance(plots, gpd.GeoDataFrame) or plots.empty:
            return gpd.GeoSeries([], crs="EPSG:4326")
        geometry = plots.geometry
        geometry.index = pd.Index(plots["plot_id"].astype("string"), name="plot_id")
        return geometry[~geometry.index.duplicated()]
    return read


def _plan(ws: Workspace, stages: tuple[str, ...], *, year: int, settings: Settings,
          as_of: date | None) -> tuple[dict[str, str], dict[str, bool]]:
    """Fingerprints of the stages (with their needs) and whether each stored result is fresh."""
    versions = ws.layer_versions()
    prints: dict[str, str] = {}
    fresh: dict[str, bool] = {}
    for name in with_needs(stages):
        prints[name] = fingerprint(name, year=year, settings=settings, versions=versions,
                                   upstream=prints, as_of=_as_of(name, as_of, year))
        record = ws.run_record(name, year)
        fresh[name] = record is not None and record[0] == prints[name]
    return prints, fresh


def stale_stages(workspace: str | Path, *, year: int | None = None,
                 as_of: date | None = None, stages: tuple[str, ...] = STAGES) -> list[str]:
    """The stages whose stored results are missing or out of date (the app says so first)."""
    ws = open_workspace(workspace)
    ws.check()
    if not ws.may_store_results():  # a reader of a PostGIS workspace: computes, never stores
        return []
    year = year or default_year(workspace_years(ws))
    _, fresh = _plan(ws, stages, year=year, settings=load_settings(ws), as_of=as_of)
    return [name for name, ok in fresh.items() if not ok]


def analyse_workspace(
    workspace: str | Path,
    *,
    year: int | None = None,
    settings: Settings | None = None,
    as_of: date | None = None,
    stages: tuple[str, ...] = STAGES,
    store: bool | None = None,
    load: bool = True,
    progress: Callable[[str], None] | None = None,
    collect_errors: bool = False,
    layers: Mapping[str, pd.DataFrame] | None = None,
) -> Analysis:
    """
    Fresh results of a workspace: stored ones where still valid, the rest computed (and stored).

    Parameters
    ----------
    workspace
        The workspace.
    year
        Evaluation year (default: the latest with enterprise figures).
    settings
        Default: the workspace's own (:func:`load_settings`).
    as_of
        The day reclamation progress is measured at (default: today, or 31 December of a past
        year).
    stages
        The stages wanted (with those they need).
    store
        Store what was computed (default: when the settings are the workspace's own; a
        one-off run with other settings stores nothing).
    load
        Read back the stored results that are fresh (False: only compute what is stale, as
        :func:`output` does before reading one table).
    progress
        ``progress(label)`` as each stage starts (``"evaluation"``, ``"clusters (stored)"``).
    collect_errors
        Record a failing stage in :attr:`Analysis.errors` and go on (the app must open with
        what exists); by default the first failure raises.
    layers
        The workspace's layers when the caller has read them already (the app): they are
        not read again.
    """
    ws = open_workspace(workspace)
    ws.check()
    settings = settings or load_settings(ws)
    store = settings.source == "workspace" if store is None else store
    year = int(year or default_year(workspace_years(ws)))
    prints, fresh = _plan(ws, stages, year=year, settings=settings, as_of=as_of)
    run = Analysis(year=year, settings=settings, fingerprints=prints)
    geometry = plot_geometry_reader(ws, layers)
    layers = dict(layers or {})

    def stored(name: str) -> StageResult:
        record = ws.run_record(name, year)
        return from_items(name, ws.result_items(name, year), record[1] if record else {},
                          plot_geometry=geometry)

    for name in prints:
        needs = stage_module(name).NEEDS
        if fresh[name]:
            run.reused.append(name)
            if load:
                if progress is not None:
                    progress(f"{name} (stored)")
                run.results[name] = stored(name)
            continue
        failed = [n for n in needs if n in run.errors]
        if failed:
            run.errors[name] = f"needs {', '.join(failed)}, which failed"
            continue
        for need in needs:
            if need not in run.results:
                run.results[need] = stored(need)
        if not layers:
            layers = ws.read_all()
        if progress is not None:
            progress(name)
        try:
            result = _run_stage(name, layers, run.results, year=year, settings=settings,
                                as_of=_as_of(name, as_of, year))
        except Exception as exc:
            if not collect_errors:
                raise
            run.errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        if store:
            try:
                ws.write_results(name, year, fingerprint=prints[name], summary=result.summary,
                                 items=to_items(result))
            except WorkspaceError as exc:  # e.g. a read-only workspace: computed, not kept
                run.notes.append(f"{name}: results not stored ({exc})")
                store = False
        run.results[name] = result
        run.ran.append(name)
    return run


def output(workspace: str | Path, name: str, *, year: int | None = None,
           as_of: date | None = None) -> pd.DataFrame:
    """A workspace layer by name, or an analysis output from the workspace's fresh results.

    ``plots`` is the stored layer; the evaluated plots are ``plots_evaluated``. Other outputs
    go by the names of :data:`geoapp.outputs.OUTPUTS` (``park_ranking``, ``hotspots``,
    ``reclamation_progress`` …). Only the stage that makes the output, and what it needs, are
    re-run, and only when stale; then only that table is read back.

    Raises
    ------
    ValueError
        Naming every layer and output that exists.
    """
    ws = open_workspace(workspace)
    ws.check()
    if name in ws.layers():
        return ws.read(name)
    if name not in outputs.OUTPUT_BY_NAME:
        raise ValueError(f"no layer or analysis output named {name!r}; layers: {ws.layers()}; "
                         f"outputs: {sorted(outputs.OUTPUT_BY_NAME)}")
    out = outputs.OUTPUT_BY_NAME[name]
    run = analyse_workspace(ws.path, year=year, as_of=as_of, stages=(out.stage,), load=False)
    if out.stage in run.results:
        result = run.results[out.stage]
    else:
        items = ws.result_items(out.stage, run.year, name=out.attribute)
        result = from_items(out.stage, items, {}, plot_geometry=plot_geometry_reader(ws))
    frame = out.frame(result)
    if frame is None:
        raise ValueError(f"the analysis of {run.year} has no {name!r} table (its input layers "
                         "are missing or empty)")
    return frame


def analyze(workspace: str | Path, out_dir: str | Path, *, year: int | None = None,
            config_file: str | Path | None = None, as_of: date | None = None,
            public: bool = False, progress: Callable[[str], None] | None = None,
            compare: int | None = None) -> dict[str, Any]:
    """``geoapp analyze``: fresh results of the workspace, written as the output folder.

    With ``compare`` (a year) the folder also holds the year comparison
    (:func:`geoapp.comparison.comparison_tables`: ``plot_change``, ``park_trend``).

    With ``config_file`` the file's settings go over the workspace's for this run only:
    nothing is stored, and ``summary.json`` says so.

    Returns
    -------
    dict
        ``analysis`` (:class:`Analysis`), ``files`` written and the ``year``.
    """
    ws = open_workspace(workspace)
    ws.check()
    settings = load_settings(ws, config_file)
    run = analyse_workspace(workspace, year=year, settings=settings, as_of=as_of,
                            progress=progress)
    if progress is not None:
        progress("writing outputs")
    meta = ws.metadata()
    extra = {"workspace": str(workspace), "year": run.year,
             "synthetic": bool(meta.get("synthetic")),
             "settings": {"source": settings.source, "changed": settings.overrides,
                          "stored": settings.source == "workspace"},
             "stages_run": run.ran, "stages_reused": run.reused,
             "fingerprints": run.fingerprints, "notes": run.notes}
    from geoapp.export.folder import write_folder

    tables = None
    if compare is not None:
        from geoapp.comparison import comparison_tables

        tables = comparison_tables(workspace, year=run.year, base_year=compare,
                                   current=run.results["evaluation"].plots, settings=settings,
                                   as_of=as_of)
        extra["compare"] = int(compare)
    files = write_folder(run.results, out_dir, summary=extra, public=public, comparison=tables)
    return {"analysis": run, "files": files, "year": run.year}


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


