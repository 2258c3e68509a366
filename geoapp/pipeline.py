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
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp import forked, memory, outputs
from geoapp.intake import (  # noqa: F401 -- loading and checking live there; named here too
    Checked,
    build_demo_workspace,
    check_file,
    import_file,
    workspace_report,
)
from geoapp.results import (
    Analysis,
    StageResult,
    attach_plot_geometry,
    detach_plot_geometry,
    from_items,
    to_items,
)
from geoapp.settings import Settings
from geoapp.store import open_workspace
from geoapp.workspace import Workspace
from layers.errors import WorkspaceError
from layers.schema import SCHEMAS

STAGES: tuple[str, ...] = ("evaluation", "reclamation", "clusters")
"""Analysis stages in the order they run (a later one may take an earlier one's result)."""
BACKGROUND_STAGES: frozenset[str] = frozenset({"clusters"})
"""Stages run in a child process (:mod:`geoapp.forked`) while the others go on: the hot spots'
permutations make clusters the longest stage. Such a stage needs one stage, and its module has
``prepare`` (its work on the layers alone, done in the child while this process computes what
it needs) and ``handover(plots)`` (what the child is sent of the per-plot figures of the stage
it needs, as soon as that stage's ``run`` hands them to ``plots_ready``)."""


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
               year: int, settings: Settings, as_of: date | None, **hooks: Any) -> StageResult:
    module = stage_module(stage)
    kwargs: dict[str, Any] = {"year": year, "settings": settings, **hooks}
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


def analysis_layers(ws: Workspace, year: int) -> dict[str, pd.DataFrame]:
    """The layers the stages read for ``year``: the enterprises of two years, the rest whole.

    Only the enterprises' rows of ``year`` and ``year - 1`` are read (the evaluation's growth
    looks one year back; nothing looks further): at city scale the other years are most of
    the memory a run would take.
    """
    return {name: ws.read(name, where=f"year IN ({int(year) - 1}, {int(year)})"
                          if name == "enterprises" else None)
            for name in SCHEMAS}


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


def plan(workspace: str | Path, *, year: int | None = None, as_of: date | None = None,
         stages: tuple[str, ...] = STAGES) -> tuple[dict[str, str], dict[str, bool]]:
    """Fingerprints of ``year``'s stages and whether each stored result is fresh (cheap)."""
    ws = open_workspace(workspace)
    ws.check()
    year = year or default_year(workspace_years(ws))
    return _plan(ws, stages, year=year, settings=load_settings(ws), as_of=as_of)


def stale_stages(workspace: str | Path, *, year: int | None = None,
                 as_of: date | None = None, stages: tuple[str, ...] = STAGES) -> list[str]:
    """The stages whose stored results are missing or out of date (the app says so first).

    None for a reader of a PostGIS workspace: their analysis is computed, never stored.
    """
    if not open_workspace(workspace).may_store_results():
        return []
    return [n for n, ok in plan(workspace, year=year, as_of=as_of, stages=stages)[1].items()
            if not ok]


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
    wait: bool = True,
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
    wait
        False: return while the stages run in a child process are still running
        (:attr:`Analysis.pending`); the caller gets them with :meth:`Analysis.finish`.
        ``geoapp analyze`` writes the report meanwhile.
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

    def write(name: str, result: StageResult) -> str | None:
        """Store a result (here or in a child); what to note when it could not be."""
        try:
            ws.write_results(name, year, fingerprint=prints[name], summary=result.summary,
                             items=to_items(result))
        except WorkspaceError as exc:  # e.g. a read-only workspace: computed, not kept
            return f"{name}: results not stored ({exc})"
        return None

    def noted(note: str | None) -> None:
        nonlocal store
        if note is not None:
            run.notes.append(note)
            store = False

    def keep(name: str, result: StageResult) -> None:
        if store:
            noted(write(name, result))

    todo = [name for name in prints if not fresh[name]]
    for name in prints:
        if fresh[name]:
            run.reused.append(name)
            if load:
                if progress is not None:
                    progress(f"{name} (stored)")
                run.results[name] = stored(name)
    background: dict[str, forked.Pending] = {}

    def failed(name: str, exc: Exception) -> None:  # raised, or recorded to go on
        if not collect_errors:
            raise exc
        run.errors[name] = f"{type(exc).__name__}: {exc}"
        run.ran.remove(name)

    handed: set[str] = set()

    def hand(name: str, plots: pd.DataFrame) -> None:  # to a stage waiting in its child
        background[name].send(stage_module(name).handover(plots))
        handed.add(name)

    def collect(name: str) -> None:  # a stage that ran in a child, and stored its result
        try:
            result, columns, note = background.pop(name).result()
        except Exception as exc:
            failed(name, exc)
            return
        noted(note)
        run.results[name] = attach_plot_geometry(result, columns, geometry)

    remaining = list(todo)
    unstored: list[str] = []  # computed here, stored once a child (if any) is under way
    if todo and not layers:
        layers = analysis_layers(ws, year)
        geometry = plot_geometry_reader(ws, layers)  # the plots read now, not read again
        memory.release()
    # A heavy stage runs in a child while stages that do not need it go on here: the child
    # starts at once on its own preparation, and is handed the results it needs when ready.
    for name in todo:
        if (name in BACKGROUND_STAGES and forked.can_fork()
                and any(name not in with_needs((m,)) for m in todo if m != name)):
            background[name] = forked.start(functools.partial(
                _prepare_run_store, name, layers, year=year, settings=settings,
                as_of=_as_of(name, as_of, year), write=write if store else None), inbox=True)
    try:
        while remaining:
            ready = [n for n in remaining
                     if not any(need in remaining for need in stage_module(n).NEEDS)]
            name = next((n for n in ready if n in background), ready[0])
            remaining.remove(name)
            module = stage_module(name)
            for need in module.NEEDS:
                if need in background:
                    collect(need)
            broken = [n for n in module.NEEDS if n in run.errors]
            if broken:
                run.errors[name] = f"needs {', '.join(broken)}, which failed"
                if name in background:
                    background.pop(name).cancel()
                continue
            for need in module.NEEDS:
                if need not in run.results:
                    run.results[need] = stored(need)
            if progress is not None:
                progress(name)
            run.ran.append(name)
            if name in background:  # its child has prepared: hand it what it needs
                if name not in handed:  # (its need was stored, not computed now)
                    hand(name, run.results[module.NEEDS[0]].plots)
                for done in unstored:  # stored while the child computes, not before
                    keep(done, run.results[done])
                unstored.clear()
                continue
            waiting = [b for b in background if b not in handed
                       and name in stage_module(b).NEEDS]

            def ready(plots: pd.DataFrame, waiting: list[str] = waiting) -> None:
                for b in waiting:  # handed over before this stage's rankings are made
                    hand(b, plots)
            try:
                result = _run_stage(name, layers, run.results, year=year, settings=settings,
                                    as_of=_as_of(name, as_of, year),
                                    **({"plots_ready": ready} if waiting else {}))
            except Exception as exc:
                failed(name, exc)
                continue
            unstored.append(name)
            run.results[name] = result
            memory.release()
    except BaseException:
        for job in background.values():
            job.cancel()
        raise
    for done in unstored:
        keep(done, run.results[done])
    run.ran.sort(key=list(prints).index)

    def finish() -> None:
        for name in list(background):
            collect(name)
    if background and not wait:
        run.pending, run._finish = tuple(background), finish
    else:
        finish()
    return run


def _prepare_run_store(stage: str, layers, receive: Callable[[], dict[str, Any]], *,
                       year: int, settings: Settings, as_of: date | None,
                       write: Callable[[str, StageResult], str | None] | None
                       ) -> tuple[StageResult, dict[str, str], str | None]:
    """A background stage in its child: ``prepare``, then ``run`` on what ``receive`` hands.

    ``receive()`` gives the stage's ``handover`` of the results it needs. The child stores its
    result itself (``write``, unless None). Returns the result without the plots' geometry
    (:func:`geoapp.results.detach_plot_geometry`: the parent has it), and the note ``write``
    made, if any.
    """
    module = stage_module(stage)
    prepared = module.prepare(layers, year=year, settings=settings)
    kwargs: dict[str, Any] = {"year": year, "settings": settings, "prepared": prepared,
                              **receive()}
    if as_of is not None:
        kwargs["as_of"] = as_of
    result = module.run(layers, **kwargs)
    note = None if write is None else write(stage, result)
    return (*detach_plot_geometry(result), note)


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
            compare: int | None = None, full_report: bool = False, geojson: bool = False,
            csv: bool = False) -> dict[str, Any]:
    """``geoapp analyze``: fresh results of the workspace, written as the output folder.

    ``full_report``, ``geojson``, ``csv``: see :func:`geoapp.export.folder.write_folder`.

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
                            progress=progress, wait=False)
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
    files = write_folder(run.results, out_dir, summary=extra, public=public, comparison=tables,
                         full_report=full_report, geojson=geojson, csv=csv, analysis=run)
    return {"analysis": run, "files": files, "year": run.year}
