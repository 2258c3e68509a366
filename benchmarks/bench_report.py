"""The XLSX report of ``geoapp analyze`` on the SYNTHETIC demo: xlsxwriter against pandas+openpyxl.

Run (after ``make install``)::

    .venv/bin/python benchmarks/bench_report.py [--plots 50000] [--repeat 1]

Builds the demo (``geoapp.demo.build_demo``: synthetic firms and plots in the real district
outlines), runs the evaluation and reclamation stages in memory, then times writing
``report.xlsx`` from their tables (园区排名, 低效用地清单, 盘活进度, 综合评价):

- ``geoapp xlsx_report``: the report as ``geoapp analyze`` writes it (xlsxwriter,
  constant_memory, one ``write_row`` per row from per-column lists);
- the naive way, the previous writer: the same sheets through ``DataFrame.to_excel`` with
  ``engine="openpyxl"``, then header freeze, widths and the ``0.0%`` format set on openpyxl's
  cell objects.

Prints best-of-``repeat`` wall and CPU time, the ratio naive / method, the file size and
the cell count. Building the demo and the stages is not timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geoapp import export, pipeline, words
from geoapp.demo import build_demo
from geoapp.export import formats, report, sheets
from geoapp.outputs import output_tables


def report_tables(n_plots: int) -> dict[str, pd.DataFrame]:
    """The tables ``geoapp analyze`` hands to the report, for the demo of ``n_plots`` plots."""
    layers = build_demo(n_plots=n_plots)
    layers.pop("_metadata", None)
    results = pipeline.run_analysis(layers, stages=("evaluation", "reclamation"))
    return output_tables(results)


def naive_report(tables: dict[str, pd.DataFrame], path: Path) -> None:
    """The previous writer: pandas ``to_excel`` through openpyxl, formatting cell by cell."""
    about = pd.DataFrame([("报告 report", "geoapp 产业用地分析报告", "")],
                         columns=["项目/字段", "内容/表头", "说明"])
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        about.to_excel(writer, sheet_name="说明", index=False)
        for sheet in export.REPORT_SHEETS:
            table = report.report_table(tables, sheet)
            if table is None:
                pd.DataFrame({"说明": [export.NOT_COMPUTED]}).to_excel(
                    writer, sheet_name=sheet, index=False)
                continue
            table = formats.flat_table(table, wkt=False)
            for col in table.columns:
                table[col] = words.translate_values(str(col), table[col])
            heads = words.headers([str(c) for c in table.columns])
            fractions = [i for i, c in enumerate(table.columns)
                         if words.column_label(str(c)).fraction]
            table.columns = [heads[str(c)] for c in table.columns]
            table.to_excel(writer, sheet_name=sheet, index=False)
            ws = writer.sheets[sheet]
            ws.freeze_panes = "A2"
            for i, head in enumerate(table.columns):
                letter = ws.cell(row=1, column=i + 1).column_letter
                ws.column_dimensions[letter].width = min(max(sheets.text_width(head) + 2, 10), 40)
            for i in fractions:
                for (cell,) in ws.iter_rows(min_row=2, min_col=i + 1, max_col=i + 1):
                    cell.number_format = "0.0%"


def best_of(func, repeat: int) -> tuple[float, float]:
    """Best wall time and best CPU time (this process) in seconds over ``repeat`` runs.

    CPU time is printed too because the machine may be shared: wall time then includes
    waiting for a core.
    """
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        func()
        cpus.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - wall)
    return min(walls), min(cpus)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    tables = report_tables(args.plots)
    setup = time.perf_counter() - start
    sizes = {}
    for sheet in export.REPORT_SHEETS:
        table = report.report_table(tables, sheet)
        sizes[sheet] = (0, 0) if table is None else formats.flat_table(table, wkt=False).shape
    cells = sum(r * c for r, c in sizes.values())
    with tempfile.TemporaryDirectory() as tmp:
        naive_path, ours_path = Path(tmp) / "naive.xlsx", Path(tmp) / "report.xlsx"
        rows = [
            ("pandas to_excel, openpyxl (naive, before)",
             *best_of(lambda: naive_report(tables, naive_path), args.repeat),
             naive_path.stat().st_size),
            ("geoapp xlsx_report (xlsxwriter)",
             *best_of(lambda: export.xlsx_report(tables, ours_path), args.repeat),
             ours_path.stat().st_size),
        ]
    print(f"SYNTHETIC demo, {args.plots} plots (demo + stages built in {setup:.0f} s, not timed); "
          f"best of {args.repeat}")
    print("sheets (rows × columns): "
          + ", ".join(f"{s} {r}×{c}" for s, (r, c) in sizes.items()) + f"; {cells:,} cells")
    naive_wall, naive_cpu = rows[0][1], rows[0][2]
    print(f"{'method':<44} {'wall s':>7} {'ratio':>7} {'cpu s':>7} {'ratio':>7} {'MB':>6}")
    for name, wall, cpu, size in rows:
        print(f"{name:<44} {wall:>7.2f} {naive_wall / wall:>6.1f}x {cpu:>7.2f} "
              f"{naive_cpu / cpu:>6.1f}x {size / 1e6:>6.1f}")
    print("ratio = naive time / method time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
