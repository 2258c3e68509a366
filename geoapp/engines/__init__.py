"""Engines: where the analysis of ``geoapp analyze`` runs.

- ``local`` (the default): this machine, :func:`geoapp.pipeline.run_analysis` — on a
  workspace through :func:`geoapp.pipeline.analyze` (stored results reused and kept), on a
  parquet dataset (:mod:`geoapp.dataset`) computed afresh.
- ``dask``: a dask.distributed cluster (:mod:`geoapp.engines.dask_engine`), given by its
  scheduler address or started on this machine. The same stage functions, with the heavy
  plot-by-plot work (overlays, areas, centroids), the density bands and the hot spots'
  permutation blocks run on the workers; the same numbers as ``local``.

A run here stores nothing: a dataset is read-only input, and a cluster run on a workspace
writes only its output folder (the workspace's stored results stay the local engine's).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from geoapp import dataset
from geoapp.results import StageResult
from geoapp.settings import Settings
from layers.schema import SCHEMAS

ENGINES = ("local", "dask")
"""The engines ``geoapp analyze --engine`` offers."""


def dataset_settings(path: str | Path, config_file: str | Path | None = None) -> Settings:
    """
    The settings stored in a dataset's manifest; with ``config_file``, that file's on top.

    Raises
    ------
    SettingsError
        Naming the key and the fix.
    """
    stored = dataset.manifest(path).get("settings") or {}
    if config_file is None:
        return Settings.from_dict(stored, source="workspace")
    merged = json.loads(json.dumps(stored))
    for section, values in Settings.from_toml(config_file).overrides.items():
        merged.setdefault(section, {}).update(values)
    return Settings.from_dict(merged, source=f"workspace + {config_file} (one-off)")


def load_input(workspace: str | Path, config_file: str | Path | None = None, *,
               skip: tuple[str, ...] = ()) -> tuple[dict[str, pd.DataFrame], Settings,
                                                    dict[str, Any]]:
    """
    The layers, settings and metadata of a workspace or a parquet dataset.

    ``skip``: layers of a dataset not read here (the dask workers read the plots
    themselves).

    Returns
    -------
    tuple
        ``(layers, settings, metadata)``.
    """
    if dataset.is_dataset(workspace):
        meta = dataset.manifest(workspace).get("metadata") or {}
        layers = {name: dataset.read_layer(workspace, name) for name in SCHEMAS
                  if name not in skip}
        return layers, dataset_settings(workspace, config_file), meta
    from geoapp.pipeline import load_settings
    from geoapp.workspace import Workspace

    ws = Workspace(workspace)
    ws.check()
    return ws.read_all(), load_settings(ws, config_file), ws.metadata()


def year_of(layers: dict[str, pd.DataFrame], year: int | None) -> int:
    """``year``, else the latest year with enterprise figures."""
    from geoapp.pipeline import default_year

    if year is not None:
        return int(year)
    ents = layers.get("enterprises", pd.DataFrame())
    years = pd.to_numeric(ents.get("year", pd.Series(dtype=float)), errors="coerce")
    return int(default_year(sorted(set(years.dropna().astype(int).tolist()))))


def run_engine(layers: dict[str, pd.DataFrame], *, engine: str = "local",
               scheduler: str | None = None, year: int, settings: Settings,
               as_of: date | None = None, progress: Callable[[str], None] | None = None,
               workers: int = 2, source: str | Path | None = None,
               ) -> dict[str, StageResult]:
    """
    Run every stage on ``layers`` with ``engine``; nothing stored.

    Parameters
    ----------
    layers
        The layers by name.
    engine
        ``"local"`` or ``"dask"``.
    scheduler
        A dask scheduler address (``tcp://host:8786``); None starts a local cluster of
        ``workers`` processes.
    year, settings, as_of, progress
        As :func:`geoapp.pipeline.run_analysis`.
    workers
        Worker processes of a local cluster.
    source
        The parquet dataset the layers came from, if any: dask workers read the plots'
        partitions from it themselves (the path must be reachable by them).

    Returns
    -------
    dict
        ``{stage: result}``.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {list(ENGINES)}, got {engine!r}")
    if engine == "local":
        from geoapp.pipeline import run_analysis

        return run_analysis(layers, year=year, settings=settings, as_of=as_of,
                            progress=progress)
    from geoapp.engines.dask_engine import cluster, run_analysis_dask

    with cluster(scheduler, workers=workers) as client:
        return run_analysis_dask(client, layers, year=year, settings=settings, as_of=as_of,
                                 progress=progress, source=source)


def analyze(workspace: str | Path, out_dir: str | Path, *, engine: str = "local",
            scheduler: str | None = None, year: int | None = None,
            config_file: str | Path | None = None, as_of: date | None = None,
            public: bool = False, progress: Callable[[str], None] | None = None,
            workers: int = 2) -> dict[str, Any]:
    """
    ``geoapp analyze`` on a parquet dataset, or with ``--engine dask``: computed, not stored.

    Returns
    -------
    dict
        ``results`` (``{stage: result}``), ``files`` written and the ``year``.
    """
    source = workspace if dataset.is_dataset(workspace) else None
    skip = ("plots",) if source is not None and engine == "dask" else ()
    layers, settings, meta = load_input(workspace, config_file, skip=skip)
    year = year_of(layers, year)
    results = run_engine(layers, engine=engine, scheduler=scheduler, year=year,
                         settings=settings, as_of=as_of, progress=progress, workers=workers,
                         source=source)
    if progress is not None:
        progress("writing outputs")
    from geoapp.export.folder import write_folder

    extra = {"workspace": str(workspace), "year": year, "engine": engine,
             "synthetic": bool(meta.get("synthetic")),
             "settings": {"source": settings.source, "changed": settings.overrides,
                          "stored": False},
             "stages_run": list(results), "stages_reused": [], "notes": []}
    files = write_folder(results, out_dir, summary=extra, public=public)
    return {"results": results, "files": files, "year": year}
