"""The analysis output folder of ``geoapp analyze``: every output, the report, README.txt.

Files are written into a scratch folder beside the target and moved into place at the end, so
a full disk or a read-only folder leaves the previous folder whole (:mod:`geoapp.atomic`).
In public mode the run's disclosure control (:mod:`geoapp.export.suppression`) applies to
every table before each file's own public rule.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from geoapp import outputs
from geoapp.atomic import staged_dir
from geoapp.export import formats, report
from geoapp.export.disclosure import MIN_ENTERPRISES, PUBLIC_NOTE_ZH, public_summary
from geoapp.results import StageResult


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


def write_outputs(results: Mapping[str, StageResult], out_dir: str | Path, *,
                  extra_summary: dict[str, Any] | None = None, public: bool = False,
                  tables: Mapping[str, pd.DataFrame] | None = None) -> list[Path]:
    """Write every stage's outputs through the one export path, plus summary.json.

    ``tables`` are the output tables to write (:func:`published_tables`, computed here when
    not given).
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
    for fname, obj in outputs.output_files(results, tables).items():
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


def write_folder(results: Mapping[str, StageResult], out_dir: str | Path, *,
                 summary: dict[str, Any], public: bool = False,
                 comparison: Mapping[str, pd.DataFrame] | None = None) -> list[Path]:
    """
    Write the whole output folder: every output, summary.json, report.xlsx and README.txt.

    ``comparison``: the year comparison's tables (:mod:`geoapp.comparison`), written too.

    Returns
    -------
    list of Path
        The files written, in ``out_dir``.
    """
    tables = published_tables(results, public)  # once: public mode's suppression is costly
    with staged_dir(out_dir) as stage:  # all files written, or none (full disk, read-only)
        files = write_outputs(results, stage, extra_summary=summary, public=public,
                              tables=tables)
        if comparison:
            from geoapp.comparison import write_comparison

            files += write_comparison(comparison, stage, public=public)
        path = stage / "report.xlsx"
        report.xlsx_report(tables, path, public=public)
        files.append(path)
        files.append(report.write_readme(stage, {p.name: "" for p in files}))
    return [Path(out_dir) / p.relative_to(stage) for p in files]
