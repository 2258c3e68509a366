"""The ``geoapp`` command: a thin shell over :mod:`geoapp.pipeline`.

Exit codes: 0 success; 1 the input has problems (each printed, nothing stored); 2 usage
errors (bad arguments, missing workspace).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from geoapp.settings import SettingsError
from geoapp.store import display_name, workspace_arg
from geoapp.store.commands import STORE_COMMANDS, run_store_command, store_parsers
from layers.errors import LayerError, WorkspaceError
from layers.schema import SCHEMAS

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


def _err(msg: str) -> None:
    print(msg, file=sys.stderr)


def _input_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--layer", required=True, choices=sorted(SCHEMAS), help="canonical layer")
    p.add_argument("--crs",
                   help="input coordinates: EPSG code (4326, 4549, 4490 …), gcj02 or bd09")
    p.add_argument("--encoding",
                   help="Shapefile attribute encoding (UTF-8, GBK); sniffed if omitted")
    p.add_argument("--sheet", help="XLSX sheet name (default: the first)")
    p.add_argument("--money-unit", choices=("wan", "yuan", "yi"),
                   help="unit of money columns whose header names none (default wan, 10,000 CNY)")
    p.add_argument("--repair", action="store_true",
                   help="repair invalid polygons with make_valid and report what changed")


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="geoapp", description=(
        "Industrial land and park analyzer for Shanghai planners (per-mu efficiency, "
        "reclamation, industrial clusters)."))
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="build the SYNTHETIC demo workspace inside real boundaries")
    p.add_argument("workspace", type=workspace_arg)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--plots", type=int, default=4000,
                   help="number of plots, about (above 1.4 million zones are added; "
                        "up to ~3.5 million)")

    p = sub.add_parser("validate", help="check a file against a layer schema; store nothing")
    p.add_argument("file", type=Path)
    p.add_argument("--workspace", type=workspace_arg,
                   help="check references against this workspace")
    _input_options(p)

    p = sub.add_parser("import", help="validate a file and replace that layer (or append events)")
    p.add_argument("workspace", type=workspace_arg)
    p.add_argument("file", type=Path)
    _input_options(p)

    p = sub.add_parser("info", help="layers, counts, CRS and provenance of a workspace")
    p.add_argument("workspace", type=workspace_arg)

    p = sub.add_parser("analyze", help="run every analysis and write the output folder")
    p.add_argument("workspace", type=workspace_arg)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--year", type=int)
    p.add_argument("--config", type=Path,
                   help="one-off run: a TOML with [evaluation], [low_efficiency] … sections "
                        "over the workspace's settings (results are then not stored)")
    p.add_argument("--as-of", type=date.fromisoformat, help="date progress is measured at")
    p.add_argument("--public", action="store_true",
                   help="public mode: no enterprise figures; aggregates of < 3 firms suppressed")
    p.add_argument("--compare", type=int, metavar="YEAR",
                   help="also write plot_change.csv (per-mu change and grade moves against "
                        "YEAR) and park_trend.csv (every park in every year)")
    p.add_argument("--full-report", action="store_true",
                   help="report.xlsx also gets the per-enterprise sheet (always in "
                        "enterprises.parquet)")
    p.add_argument("--geojson", action="store_true",
                   help="also write GeoJSON copies of analysis.gpkg's layers (RFC 7946)")
    p.add_argument("--csv", action="store_true",
                   help="also write CSV copies of the long tables (enterprises, "
                        "low-efficiency lists, lead-industry firms outside parks)")
    p.add_argument("--engine", choices=("local", "dask"), default="local",
                   help="where the analysis runs: this machine (default) or a dask cluster "
                        "(same numbers; nothing stored in the workspace)")
    p.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="with --engine dask: an existing cluster's scheduler (default: a "
                        "local cluster); a dataset's path must be readable by its workers")
    p.add_argument("--workers", type=int, default=2,
                   help="with --engine dask and no --scheduler: local worker processes")

    p = sub.add_parser("config", help="show or change the analysis settings stored in a workspace")
    p.add_argument("workspace", type=workspace_arg)
    csub = p.add_subparsers(dest="action", required=True)
    csub.add_parser("show", help="every setting, its value and whether the workspace set it")
    r = csub.add_parser("set", help="set SECTION.KEY to VALUE (a TOML value or text)")
    r.add_argument("key")
    r.add_argument("value")
    r = csub.add_parser("unset", help="put SECTION.KEY back to its default")
    r.add_argument("key")
    r = csub.add_parser("import", help="replace the workspace's settings with a TOML file's")
    r.add_argument("file", type=Path)
    r = csub.add_parser("export", help="write the workspace's settings as TOML")
    r.add_argument("file", type=Path)

    p = sub.add_parser("export", help="export a layer or an analysis output for planners")
    p.add_argument("workspace", type=workspace_arg)
    p.add_argument("--layer",
                   help="a workspace layer, or an analysis output "
                        "(plots_evaluated, park_ranking …); not with parquet-dataset")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format",
                   choices=("geojson", "gpkg", "shp", "csv", "xlsx", "parquet-dataset"),
                   help="parquet-dataset: every layer as GeoParquet in the directory --out, "
                        "plots and enterprises partitioned spatially (input of analyze)")
    p.add_argument("--partition-rows", type=int, default=100_000,
                   help="parquet-dataset: plots per partition")
    p.add_argument("--coords", choices=("wgs84", "gcj02"), default="wgs84")
    p.add_argument("--crs-out", default="EPSG:4326", help="GeoPackage CRS: EPSG:4326 or EPSG:4490")
    p.add_argument("--encoding", default="UTF-8", help="Shapefile encoding: UTF-8 or GBK")
    p.add_argument("--public", action="store_true")
    p.add_argument("--where",
                   help="pandas query, e.g. \"tax_per_mu < 5 and town_code == '310113101'\"")
    p.add_argument("--codes-only", action="store_true",
                   help="XLSX/GeoJSON: write coded values (status, stage …) without their names")
    p.add_argument("--year", type=int)

    p = sub.add_parser("ledger", help="record reclamation events")
    p.add_argument("workspace", type=workspace_arg)
    lsub = p.add_subparsers(dest="action", required=True)
    r = lsub.add_parser("record", help="record one event (one transaction)")
    r.add_argument("--plot", required=True)
    r.add_argument("--stage", required=True)
    r.add_argument("--date", required=True)
    r.add_argument("--mode")
    r.add_argument("--mu", type=float)
    r.add_argument("--note")
    r.add_argument("--from", dest="expect",
                   help="the stage the plot is at now; refused if someone moved it meanwhile")
    r = lsub.add_parser("import", help="append a CSV/XLSX of events (all or nothing)")
    r.add_argument("file", type=Path)
    r.add_argument("--sheet")
    r.add_argument("--date", type=date.fromisoformat,
                   help="date for rows without one (a status sheet with no date column)")

    p = sub.add_parser("sheet", help="a printable map sheet (PDF or 300 dpi PNG)")
    p.add_argument("workspace", type=workspace_arg)
    p.add_argument("--out", type=Path, required=True, help="F.pdf (vector) or F.png (300 dpi)")
    p.add_argument("--size", choices=("A4", "A3"), default="A3")
    p.add_argument("--orient", choices=("landscape", "portrait"), default="landscape")
    p.add_argument("--scope", help="district:310113, town:310113101 or park:BS-P01 "
                                   "(default: every district)")
    p.add_argument("--metric", default="tax_per_mu",
                   help="plot colour: tax_per_mu, output_per_mu, grade, tax_per_mu_growth …")
    p.add_argument("--layers", default="districts,towns,parks,plots,low_efficiency",
                   help="comma-separated: districts,towns,zones,parks,plots,low_efficiency")
    p.add_argument("--year", type=int)
    p.add_argument("--lang", choices=("zh", "en"), default="zh")

    _scenario_parser(sub)
    store_parsers(sub)

    p = sub.add_parser("app", help="start the map app in the browser")
    p.add_argument("workspace", type=workspace_arg, nargs="?", default=Path("demo.gpkg"))
    p.add_argument("--port", type=int, default=8501)
    return ap


def _scenario_parser(sub) -> None:
    p = sub.add_parser("scenario", help="plan reclamation scenarios (named, saved actions)")
    p.add_argument("workspace", type=workspace_arg)
    p.add_argument("--eval-year", type=int, help="evaluated year (default: the latest)")
    s = p.add_subparsers(dest="action", required=True)
    for action, what in (("new", "create an empty scenario"), ("show", "simulate and print"),
                         ("delete", "delete a scenario")):
        s.add_parser(action, help=what).add_argument("name")
    s.add_parser("list", help="saved scenarios")
    r = s.add_parser("add", help="add plots with a mode and a start year")
    r.add_argument("name")
    r.add_argument("--plot", action="append", required=True)
    r.add_argument("--mode", required=True, help="vacate, acquire, lease, codevelop, upgrade")
    r.add_argument("--year", type=int, required=True, help="start year")
    r = s.add_parser("remove", help="remove plots")
    r.add_argument("name")
    r.add_argument("--plot", action="append", required=True)
    r = s.add_parser("optimise", help="choose the plots reclaimed in YEAR (replaces NAME)")
    r.add_argument("name")
    r.add_argument("--year", type=int, required=True, help="year the plots are reclaimed")
    r.add_argument("--objective", choices=("min_cost", "max_tax_gain"), default="min_cost")
    r.add_argument("--budget", type=float, help="budget, 10k CNY (wan)")
    r.add_argument("--district", help="plan one district (its targets, its plots)")
    r.add_argument("--include", nargs="+", default=[], help="plots that must be chosen")
    r.add_argument("--exclude", nargs="+", default=[], help="plots that must not be chosen")
    r.add_argument("--target-mu", type=float, help="the district's mu target of YEAR")
    r.add_argument("--target-plots", type=int, help="the district's plot target of YEAR")
    r = s.add_parser("compare", help="compare scenarios (table; burn-up PNGs with --charts)")
    r.add_argument("names", nargs="+")
    r.add_argument("--charts", type=Path, help="folder for one burn-up PNG per target")
    r = s.add_parser("export", help="one scenario's plots as GeoJSON or XLSX")
    r.add_argument("name")
    r.add_argument("--out", type=Path, required=True, help="F.geojson or F.xlsx")


def _print_report(checked) -> None:
    for line in checked.report.repairs:
        print(f"repaired: {line}")
    for p in checked.report.problems:
        _err(f"{checked.layer}: {p}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geoapp`` command line; returns the exit code (no ``sys.exit`` inside)."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or usage error (2)
        return int(exc.code or 0)
    try:
        return _run(args)
    except LayerError as exc:
        _err(str(exc))
        return EXIT_PROBLEMS
    except (WorkspaceError, SettingsError, ValueError, OSError) as exc:  # OSError: disk full …
        _err(f"geoapp {args.command}: {exc}")
        return EXIT_USAGE


def script() -> int:
    """The ``geoapp`` script and ``python -m geoapp``: :func:`main`, then a quick exit.

    The interpreter's last garbage collections would walk every object a command left (half
    a second after an analysis of 50 000 plots); frozen, they are left to the exiting
    process (exit handlers still run).
    """
    code = main()
    gc.freeze()
    return code


def _run(args) -> int:
    from geoapp import intake, pipeline

    if args.command == "demo":
        from tqdm import tqdm

        from geoapp.demo import BUILD_STEPS

        with tqdm(total=len(BUILD_STEPS), desc="building demo", unit="step",
                  file=sys.stderr) as bar:
            counts = intake.build_demo_workspace(args.workspace, seed=args.seed,
                                                   n_plots=args.plots,
                                                   progress=lambda *a, **k: bar.update(1))
        print(f"demo workspace {args.workspace} (SYNTHETIC data inside real district boundaries):")
        for name, n in counts.items():
            print(f"  {name:<12} {n:>8}")
        return EXIT_OK

    if args.command in ("validate", "import"):
        kw = {"crs": args.crs, "encoding": args.encoding, "sheet": args.sheet,
              "money_unit": args.money_unit, "repair": args.repair}
        if args.command == "validate":
            from geoapp.store import open_workspace

            ws = open_workspace(args.workspace) if args.workspace else None
            checked = intake.check_file(args.file, args.layer, workspace=ws, **kw)
            _print_report(checked)
            if not checked.ok:
                _err(f"{args.file}: {len(checked.report.problems)} problem(s); nothing stored")
                return EXIT_PROBLEMS
            print(f"{args.file}: valid {args.layer} layer, {len(checked.frame)} rows")
            return EXIT_OK
        checked = intake.import_file(args.workspace, args.file, args.layer, **kw)
        _print_report(checked)
        conv = checked.provenance.get("conversion")
        print(f"imported {len(checked.frame)} rows into layer '{args.layer}' of "
              f"{display_name(args.workspace)}" + (f" ({conv})" if conv else ""))
        return EXIT_OK

    if args.command == "info":
        from geoapp.info import describe

        print(describe(args.workspace))
        return EXIT_OK

    if args.command == "analyze":
        return _analyze(args, pipeline)

    if args.command == "config":
        from geoapp.config import run_config

        return run_config(args)

    if args.command == "scenario":
        from geoapp.scenario_report import run_cli
        return run_cli(args)
    if args.command == "export":
        from geoapp.export import export_layer

        if args.format == "parquet-dataset":
            from geoapp.dataset import write_dataset

            written = write_dataset(args.workspace, args.out, partition_rows=args.partition_rows)
            print(f"wrote {args.out}: " + ", ".join(
                f"{n} ({len(v['partitions'])} partitions)" if "partitions" in v else n
                for n, v in written["layers"].items()))
            return EXIT_OK
        if not args.layer:
            raise ValueError("--layer is required (except with --format parquet-dataset)")

        frame = pipeline.output(args.workspace, args.layer, year=args.year)
        paths = export_layer(frame, args.out, fmt=args.format, coords=args.coords,
                             public=args.public, crs_out=args.crs_out, encoding=args.encoding,
                             layer_name=args.layer, where=args.where,
                             names=not args.codes_only)
        for p in paths:
            print(f"wrote {p}")
        return EXIT_OK

    if args.command == "ledger":
        from geoapp import ledger

        if args.action == "record":
            ev = ledger.record_event(args.workspace, plot_id=args.plot, stage=args.stage,
                                     date=args.date, mode=args.mode, mu=args.mu, note=args.note,
                                     expect_stage=args.expect)
            print(f"recorded: {ev}")
        else:
            n = ledger.import_events(args.workspace, args.file, sheet=args.sheet,
                                     default_date=args.date)
            print(f"appended {n} events to the ledger of {display_name(args.workspace)}")
        return EXIT_OK

    if args.command == "sheet":
        from geoapp.sheets import FontMissingError, make_sheet, sheet_inputs
        from geoapp.store import open_workspace

        run = pipeline.analyse_workspace(args.workspace, year=args.year, stages=("evaluation",))
        ws = open_workspace(args.workspace)
        context = {name: ws.read(name) for name in ("districts", "towns", "zones", "parks")}
        try:
            path = make_sheet(
                run.results["evaluation"].plots, out=args.out, size=args.size,
                orient=args.orient, scope=args.scope, metric=args.metric,
                layers=tuple(x.strip() for x in args.layers.split(",") if x.strip()),
                year=run.year, lang=args.lang,
                **sheet_inputs(context, metadata=ws.metadata(), provenance=ws.provenance()))
        except FontMissingError as exc:
            _err(f"geoapp sheet: {exc}")
            return EXIT_USAGE
        print(f"wrote {path}")
        return EXIT_OK

    if args.command in STORE_COMMANDS:
        return run_store_command(args)

    if args.command == "app":
        from geoapp.app_launch import launch

        return launch(args.workspace, args.port)
    return EXIT_USAGE  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

def _analyze(args, pipeline) -> int:
    import tqdm as tqdm_module
    from tqdm import tqdm

    from geoapp import dataset

    tqdm_module.tqdm.monitor_interval = 0  # no monitor thread: stages may run in a fork
    other = args.engine != "local" or dataset.is_dataset(args.workspace)
    if other and args.compare is not None:
        raise ValueError("--compare needs a workspace (not a dataset) and the local engine")
    started: list[str] = []
    with tqdm(total=len(pipeline.STAGES) + 1, desc="analyse", unit="step",
              file=sys.stderr) as bar:
        def step(name: str) -> None:  # called as each step starts: the previous one is done
            bar.update(1 if started else 0)
            bar.set_postfix_str(name)
            started.append(name)

        if other:
            from geoapp.engines import analyze

            out = analyze(args.workspace, args.out, engine=args.engine,
                          scheduler=args.scheduler, year=args.year, config_file=args.config,
                          as_of=args.as_of, public=args.public, progress=step,
                          workers=args.workers)
        else:
            out = pipeline.analyze(args.workspace, args.out, year=args.year,
                                   config_file=args.config, as_of=args.as_of,
                                   public=args.public, progress=step, compare=args.compare,
                                   full_report=args.full_report, geojson=args.geojson,
                                   csv=args.csv)
        bar.update(1)
    if other:
        print(f"analysis of {out['year']} written to {args.out} (engine {args.engine}; "
              "computed afresh, nothing stored):")
    else:
        run = out["analysis"]
        print(f"analysis of {out['year']} written to {args.out} "
              f"(computed: {', '.join(run.ran) or 'nothing'}; "
              f"stored results reused: {', '.join(run.reused) or 'none'}; "
              f"settings: {run.settings.source}):")
    for f in out["files"]:
        print(f"  {f.name}")
    return EXIT_OK
