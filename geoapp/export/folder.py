"""The analysis output folder of ``geoapp analyze``: every output, the report, README.txt.

Files are written into a scratch folder beside the target and moved into place at the end, so
a full disk or a read-only folder leaves the previous folder whole (:mod:`geoapp.atomic`).
In public mode the run's disclosure control (:mod:`geoapp.export.suppression`) applies to
every table before each file's own public rule.
"""

from __future__ import annotations

import functools
import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp import forked, outputs
from geoapp.atomic import staged_dir
from geoapp.export import formats, package, report
from geoapp.export.disclosure import (
    MIN_ENTERPRISES,
    PUBLIC_NOTE_ZH,
    public_summary,
    public_table,
)
from geoapp.results import Analysis, ClustersResult, ReclamationResult, StageResult


def published_tables(results: Mapping[str, StageResult], public: bool
                     ) -> dict[str, pd.DataFrame]:
    """
    The output tables by name, in public mode with the run's disclosure control applied.

    That is :func:`geoapp.export.suppression.public_tables`: primary and secondary suppression
    across plots, parks, towns and districts.
    """
    tables = outputs.output_tables(results)
    if not public:
        return tables
    from geoapp.export.suppression import public_tables

    evaluation = results.get("evaluation")
    return public_tables(tables, evaluation.enterprises if evaluation is not None else None)


def _gpkg_layers(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """``{layer: frame}`` of ``analysis.gpkg``: the ``place="gpkg"`` outputs.

    The plots come with their per-plot columns (:func:`geoapp.export.package.analysis_plots`).
    """
    layers: dict[str, pd.DataFrame] = {}
    for out in outputs.OUTPUTS:
        if out.place != "gpkg" or out.name not in tables:
            continue
        if out.name == "plots_evaluated":
            plots, unmatched = package.analysis_plots(tables)
            layers["plots"] = plots
            if unmatched is not None:
                layers[package.UNMATCHED_LEDGER] = unmatched
        else:
            layers[out.name] = tables[out.name]
    return layers


def write_outputs(results: Mapping[str, StageResult], out_dir: str | Path, *,
                  extra_summary: dict[str, Any] | None = None, public: bool = False,
                  tables: Mapping[str, pd.DataFrame] | None = None,
                  geojson: bool = False, csv: bool = False) -> list[Path]:
    """Write every stage's outputs through the one export path, plus summary.json.

    Layers with geometry go into ``analysis.gpkg`` (each geometry once, per-plot results as
    columns of its plots), long tables into Parquet, summaries into CSV
    (:attr:`geoapp.outputs.Output.place`); rasters and charts as they are.

    ``tables`` are the output tables to write (:func:`published_tables`, computed here when
    not given). ``geojson`` adds RFC 7946 copies of the layers (``plots.geojson`` with the
    per-plot columns, ``parks``, ``projects``, ``grid``); ``csv`` adds CSV copies of the long
    tables and the low-efficiency lists.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    summary: dict[str, Any] = dict(extra_summary or {})
    for stage, res in results.items():
        summary[stage] = res.summary
    clusters = results.get("clusters")
    weighted = clusters is not None and clusters.summary.get("density", {}).get(
        "weight", "count") != "count"
    if tables is None:
        tables = published_tables(results, public)
    note = ""
    layers = _gpkg_layers(tables)
    if public:
        layers = {name: public_table(frame)[0] for name, frame in layers.items()}
        note = public_table(pd.DataFrame())[1]
    if layers:
        written.append(package.write_gpkg(layers, out / outputs.GPKG_FILE, description=note))
    copies: dict[str, pd.DataFrame] = {}
    for spec in outputs.OUTPUTS:
        frame = tables.get(spec.name)
        if frame is None or spec.file is None or spec.place is None:
            continue
        if spec.place == "csv":
            copies[spec.file] = frame
        elif spec.place == "parquet":
            table = public_table(frame)[0] if public else frame
            written.append(package.write_parquet(
                table, out / spec.file.replace(".csv", ".parquet")))
            if csv:
                copies[spec.file] = frame
        elif spec.place == "plot_columns" and csv and spec.file.endswith(".csv"):
            copies[spec.file] = frame
    if geojson:
        for name, frame in layers.items():
            if isinstance(frame, gpd.GeoDataFrame):
                copies[f"{name}.geojson"] = frame
    files: dict[str, Any] = dict(copies)
    if isinstance(results.get("clusters"), ClustersResult):
        files.update(outputs.raster_files(results["clusters"]))
    if isinstance(results.get("reclamation"), ReclamationResult):
        files.update(outputs.chart_files(results["reclamation"]))
    for fname, obj in files.items():
        path = out / fname
        if public and weighted and fname.startswith("density_"):
            continue  # a surface weighted by tax or output gives single firms' figures back
        if isinstance(obj, bytes | bytearray):
            path.write_bytes(obj)
        else:
            path = formats.export_layer(obj, path, public=public)[0]
        written.append(path)
    if public:
        summary = public_summary(summary)
        summary["disclosure"] = "public: " + PUBLIC_NOTE_ZH.format(n=MIN_ENTERPRISES)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, ensure_ascii=False, indent=2, default=str,
                                       allow_nan=False), encoding="utf-8")
    written.append(summary_path)
    return written


REPORT_NICE = 10
"""Niceness of the child that writes report.xlsx beside the pending stages: they come first,
since the folder's other files wait for them, and the report takes the cores they leave."""


def report_stages(full_report: bool = False) -> set[str]:
    """The stages whose outputs report.xlsx shows (:data:`geoapp.export.report.REPORT_SHEETS`).

    ``full_report``: with the per-enterprise sheet.
    """
    names = [name for sheet, accepted in report.REPORT_SHEETS.items()
             if full_report or sheet != report.ENTERPRISE_SHEET for name in accepted]
    return {outputs.OUTPUT_BY_NAME[name].stage for name in names
            if name in outputs.OUTPUT_BY_NAME}


def write_folder(results: Mapping[str, StageResult], out_dir: str | Path, *,
                 summary: dict[str, Any], public: bool = False,
                 comparison: Mapping[str, pd.DataFrame] | None = None,
                 full_report: bool = False, geojson: bool = False, csv: bool = False,
                 analysis: Analysis | None = None) -> list[Path]:
    """
    Write the whole output folder: every output, summary.json, report.xlsx and README.txt.

    ``comparison``: the year comparison's tables (:mod:`geoapp.comparison`), written too.
    ``full_report``: report.xlsx also gets the per-enterprise sheet (at city scale a sheet of
    hundreds of thousands of rows; the table is always in ``enterprises.parquet``).
    ``geojson``, ``csv``: copies of the layers and long tables (:func:`write_outputs`).
    ``analysis``: the run whose ``results`` these are, when some of its stages may still run
    in a child (:attr:`geoapp.results.Analysis.pending`; :meth:`~geoapp.results.Analysis.finish`
    gives the complete results). report.xlsx is
    written by another child (:mod:`geoapp.forked`) while this process writes the other files,
    and, when none of its sheets comes from a pending stage (and not in public mode, whose
    disclosure control needs every table), it starts before waiting for them: at city scale
    its hundreds of thousands of cells take the time the pending stages still need.

    Returns
    -------
    list of Path
        The files written, in ``out_dir``.
    """
    with staged_dir(out_dir) as stage:  # all files written, or none (full disk, read-only)
        path = stage / "report.xlsx"
        job = None
        pending = set(analysis.pending) if analysis is not None else set()
        try:
            if not public and not pending & report_stages(full_report):
                job = forked.start(functools.partial(  # now, niced: the pending stages first
                    report.xlsx_report, published_tables(results, False), path,
                    enterprises=full_report), nice=REPORT_NICE)
            if pending:  # meanwhile, what the layer styles need (0.5 s to import)
                importlib.import_module("mapclassify")
            if analysis is not None:
                results = analysis.finish()
            tables = published_tables(results, public)  # once: suppression is costly
            if job is None:  # by a child, the rest here meanwhile
                job = forked.start(functools.partial(
                    report.xlsx_report, tables, path, public=public, enterprises=full_report))
            files = write_outputs(results, stage, extra_summary=summary, public=public,
                                  tables=tables, geojson=geojson, csv=csv)
            if comparison:
                from geoapp.comparison import write_comparison

                files += write_comparison(comparison, stage, public=public)
            files.append(job.result())
        except BaseException:
            if job is not None:
                job.cancel()
            raise
        files.append(report.write_readme(stage, {p.name: "" for p in files}))
    return [Path(out_dir) / p.relative_to(stage) for p in files]
