"""What a scenario shows a planner: comparison table, burn-up charts, exports, CLI text.

Every number comes from :func:`geoapp.scenarios.run_scenario` (:func:`analysis.scenario.
simulate`); this module shapes it. The ``geoapp scenario`` command's logic is
:func:`run_cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

from analysis.scenario import ScenarioResult, simulate
from geoapp import scenarios as sc
from geoapp import words
from geoapp.charts import scenario_burnup_png

PLOT_COLUMNS = ["plot_id", "mode", "start_year", "reclaimed_year", "area_mu", "cost_wan",
                "tax_before_wan", "tax_after_wan", "output_before_wan", "output_after_wan",
                "tax_at_horizon_wan", "relet_mu", "yield_source", "district_code", "town_code",
                "park_id"]
"""Columns of a scenario's plot table (export, app)."""


def run_all(inputs: sc.PlannerInputs, scenarios: Mapping[str, pd.DataFrame]
            ) -> dict[str, ScenarioResult]:
    """Simulate several scenarios over the same years (so their lines compare)."""
    spans = [sc.horizon_of(inputs, sc.normalise_actions(a)) for a in scenarios.values()]
    start = min((s for s, _ in spans), default=inputs.year + 1)
    horizon = max((h for _, h in spans), default=inputs.year + sc.HORIZON_YEARS)
    out = {}
    for name, actions in scenarios.items():
        actions = sc.normalise_actions(actions)
        sc.check_plots(inputs, actions["plot_id"])
        out[name] = simulate(actions[["plot_id", "mode", "year"]], inputs.plots,
                             ledger_states=inputs.states, targets=inputs.targets,
                             benchmarks=inputs.benchmarks, settings=inputs.settings,
                             start_year=start, horizon=horizon)
    return out


def summary_row(name: str, result: ScenarioResult) -> dict:
    """One scenario's headline numbers (a row of :func:`compare_table`)."""
    p = result.plots
    eff = result.efficiency[result.efficiency["scope_type"] == "district"]
    first, last = result.start_year - 1, result.horizon

    def overall(year):
        rows = eff[eff["year"] == year]
        land = rows["land_mu"].sum()
        return float(rows["tax_wan"].sum() / land) if land > 0 else float("nan")

    met = result.progress.dropna(subset=["target"])
    met = met[met["year"] >= result.start_year]
    return {
        "scenario": name, "n_actions": len(p), "area_mu": float(p["area_mu"].sum()),
        "cost_wan": float(p["cost_wan"].sum()),
        "tax_gain_wan": float(result.yearly["tax_wan"].iloc[-1]
                              - eff[eff["year"] == first]["tax_wan"].sum()),
        "tax_per_mu_base": overall(first), "tax_per_mu_end": overall(last),
        "targets_met": int(met["met"].fillna(False).astype(bool).sum()),
        "targets": len(met), "horizon": last,
    }


def compare_table(results: Mapping[str, ScenarioResult]) -> pd.DataFrame:
    """One row per scenario: plots, 亩, cost, tax gain, 亩均税收 now and later, targets met."""
    return pd.DataFrame([summary_row(n, r) for n, r in results.items()])


def target_series(progress: pd.DataFrame) -> list[tuple]:
    """The target series ``(scope_type, scope_id, metric, since_year)`` with a target."""
    with_target = progress.dropna(subset=["target"])
    keys = with_target[["scope_type", "scope_id", "metric", "since_year"]].drop_duplicates()
    return [tuple(r) for r in keys.itertuples(index=False)]


def _series(progress: pd.DataFrame, key: tuple, column: str) -> pd.Series:
    st, sid, metric, since = key
    rows = progress[(progress["scope_type"] == st) & (progress["scope_id"] == sid)
                    & (progress["metric"] == metric)]
    rows = rows[rows["since_year"].isna()] if pd.isna(since) else \
        rows[rows["since_year"] == since]
    return pd.Series(rows[column].to_numpy(dtype="float64"), index=rows["year"].to_numpy())


def burnups(results: Mapping[str, ScenarioResult], *, lang: str | None = None,
            scope: str | None = None) -> dict[str, bytes]:
    """
    One PNG per target series: ``{"scope_type:scope_id:metric": PNG}``.

    Every scenario's line (ledger and scenario together), the ledger alone, the target.
    ``scope`` keeps the series of one ``scope_type:scope_id``.
    """
    if not results:
        return {}
    first = next(iter(results.values()))
    out = {}
    for key in target_series(first.progress):
        st, sid, metric, _ = key
        if scope is not None and f"{st}:{sid}" != scope:
            continue
        title = {lang_: f"{words.value('scope_type', st, lang_)} {sid} "
                        f"{words.value('target_metric', metric, lang_)}" for lang_ in ("zh", "en")}
        out[f"{st}:{sid}:{metric}"] = scenario_burnup_png(
            {n: _series(r.progress, key, "achieved") for n, r in results.items()},
            target=_series(first.progress, key, "target"),
            ledger=_series(first.progress, key, "achieved_ledger"),
            title_zh=title["zh"], title_en=title["en"], unit_zh=words.unit(metric, "zh"),
            unit_en=words.unit(metric, "en"), lang=lang)
    return out


def effect_table(result: ScenarioResult) -> pd.DataFrame:
    """亩均税收 and its growth by year and district, against the growth target."""
    eff = result.efficiency[result.efficiency["scope_type"] == "district"]
    return eff[["year", "scope_id", "tax_per_mu", "tax_per_mu_growth",
                "tax_per_mu_growth_target", "tax_per_mu_target_met"]].reset_index(drop=True)


def plot_table(inputs: sc.PlannerInputs, result: ScenarioResult) -> gpd.GeoDataFrame:
    """The scenario's plots with their geometry (WGS84): mode, years, before and after."""
    table = result.plots[[c for c in PLOT_COLUMNS if c in result.plots]].copy()
    geometry = inputs.plots.geometry.reindex(table["plot_id"].astype(str))
    return gpd.GeoDataFrame(table, geometry=geometry.to_numpy(), crs=inputs.plots.crs)


def export_scenario(inputs: sc.PlannerInputs, name: str, actions: pd.DataFrame,
                    out: str | Path) -> list[Path]:
    """Write one scenario's plots as GeoJSON or XLSX (by the suffix of ``out``)."""
    from geoapp.export import export_layer

    suffix = Path(out).suffix.lower()
    if suffix not in (".geojson", ".json", ".xlsx"):
        raise sc.ScenarioError(f"{out}: export a scenario as F.geojson or F.xlsx")
    result = sc.run_scenario(inputs, actions)
    frame = plot_table(inputs, result)
    row = summary_row(name, result)
    about = [(words.label("scenario"), name),
             (words.text("year"), f"{result.start_year}–{result.horizon}"),
             (words.label("n_actions"), str(row["n_actions"])),
             (words.label("area_mu"), f"{row['area_mu']:.2f}"),
             (words.label("cost_wan"), f"{row['cost_wan']:.1f}"),
             (words.label("tax_per_mu_base"), f"{row['tax_per_mu_base']:.3f}"),
             (words.label("tax_per_mu_end"), f"{row['tax_per_mu_end']:.3f}")]
    return export_layer(frame, out, about=about, names=True)


# ---------------------------------------------------------------------------------------------
# the command line


def _n(x: float, digits: int = 1) -> str:
    return f"{x:,.{digits}f}"


def show_text(name: str, actions: pd.DataFrame, result: ScenarioResult) -> str:
    """What ``geoapp scenario WS show NAME`` prints."""
    row = summary_row(name, result)
    lines = [f"scenario {name}: {row['n_actions']} plots, {_n(row['area_mu'])} mu, "
             f"cost {_n(row['cost_wan'])} wan (simulated {result.start_year}-{result.horizon})",
             f"tax per mu (all plots): {row['tax_per_mu_base']:.3f} -> "
             f"{row['tax_per_mu_end']:.3f} wan/mu by {result.horizon} "
             f"(tax {row['tax_gain_wan']:+,.1f} wan a year)"]
    for r in result.plots.itertuples(index=False):
        lines.append(f"  {r.plot_id:<12} {r.mode:<10} start {r.start_year} reclaimed "
                     f"{r.reclaimed_year} {_n(r.area_mu, 2):>9} mu cost {_n(r.cost_wan):>10} "
                     f"tax {_n(r.tax_before_wan)} -> {_n(r.tax_after_wan)} wan")
    progress = result.progress.dropna(subset=["target"])
    progress = progress[progress["year"] >= result.start_year]
    for r in progress.itertuples(index=False):
        unit = "plots" if r.metric == "reclaimed_plots" else "mu"
        lines.append(f"target {r.scope_type} {r.scope_id} {r.metric} {r.year}: "
                     f"{_n(r.achieved)} of {r.target:g} {unit} (ledger {_n(r.achieved_ledger)})"
                     f" {'met' if r.met else 'not met'}")
    lines += [f"note: {n}" for n in result.notes]
    lines += [f"skipped {r.plot_id}: {r.reason}" for r in result.skipped.itertuples()]
    return "\n".join(lines)


def plan_text(p: sc.Plan) -> str:
    """What ``geoapp scenario WS optimise`` prints: the plan, the baseline, the saving."""
    o, b = p.optimised, p.baseline
    lines = [f"optimised plan for {p.year} ({o.objective}, {p.n_candidates} candidates): "
             f"{len(o.chosen)} plots, {_n(o.reclaimed_mu)} mu, cost {_n(o.cost_wan)} wan "
             f"[{o.status}]"]
    for c in o.constraints.itertuples(index=False):
        lines.append(f"  {c.name}: {_n(c.value)} (bound {_n(c.bound)})")
    if b.status == "met":
        lines.append(f"largest plots first: {len(b.chosen)} plots, {_n(b.reclaimed_mu)} mu, "
                     f"cost {_n(b.cost_wan)} wan")
        saving = p.saving_wan
        if saving == saving:
            share = saving / b.cost_wan if b.cost_wan > 0 else 0.0
            lines.append(f"the optimised plan costs {_n(saving)} wan ({share:.1%}) less than "
                         "largest plots first")
    else:
        lines.append(f"largest plots first does not meet the targets: {b.explanation}")
    lines.append(f"tax per mu gain at full yield: {o.tax_per_mu_gain:+.4f} wan/mu")
    lines += [f"note: {n}" for n in o.notes]
    return "\n".join(lines)


def run_cli(args) -> int:
    """``geoapp scenario WS …``: returns the exit code (1: infeasible targets)."""
    ws, action = args.workspace, args.action
    if action == "list":
        table = sc.list_scenarios(ws)
        if table.empty:
            print("no scenarios yet: create one with `geoapp scenario WS new NAME`")
        for r in table.itertuples(index=False):
            print(f"{r.name}\t{r.n_actions} plots\tupdated {r.updated_at}")
        return 0
    if action == "new":
        sc.new_scenario(ws, args.name)
        print(f"created scenario {args.name}")
        return 0
    if action == "delete":
        sc.delete_scenario(ws, args.name)
        print(f"deleted scenario {args.name}")
        return 0
    if action == "remove":
        actions = sc.remove_actions(sc.read_scenario(ws, args.name), args.plot)
        sc.save_scenario(ws, args.name, actions)
        print(f"scenario {args.name}: removed {len(args.plot)} plots, {len(actions)} left")
        return 0
    names = args.names if action == "compare" else [] if action == "optimise" else [args.name]
    stored = {n: sc.read_scenario(ws, n) for n in names}
    inputs = sc.planner_inputs(ws, year=getattr(args, "eval_year", None))
    for note in inputs.notes:
        print(f"note: {note}", file=sys.stderr)
    if action == "add":
        actions = sc.add_actions(inputs, stored[args.name], args.plot, mode=args.mode,
                                 year=args.year)
        sc.save_scenario(ws, args.name, actions)
        print(f"scenario {args.name}: {len(args.plot)} plots set to {args.mode} from "
              f"{args.year}, {len(actions)} in all")
        return 0
    if action == "show":
        print(show_text(args.name, stored[args.name], sc.run_scenario(inputs, stored[args.name])))
        return 0
    if action == "optimise":
        p = sc.plan(inputs, year=args.year, objective=args.objective, budget_wan=args.budget,
                    district=args.district, include=args.include, exclude=args.exclude,
                    target_mu=args.target_mu, target_plots=args.target_plots)
        if p.optimised.status not in ("optimal", "feasible"):
            print(f"no plan for {args.year} meets the targets ({p.optimised.status}): "
                  f"{p.optimised.explanation}", file=sys.stderr)
            return 1
        sc.save_scenario(ws, args.name, p.optimised.actions)
        print(plan_text(p))
        print(f"saved as scenario {args.name} ({len(p.optimised.chosen)} actions)")
        return 0
    if action == "compare":
        results = run_all(inputs, stored)
        print(compare_table(results).to_string(index=False, float_format=lambda x: f"{x:,.3f}"))
        if args.charts:
            Path(args.charts).mkdir(parents=True, exist_ok=True)
            for key, png in burnups(results).items():
                path = Path(args.charts) / f"burnup_{key.replace(':', '_')}.png"
                path.write_bytes(png)
                print(f"wrote {path}")
        return 0
    if action == "export":
        for path in export_scenario(inputs, args.name, stored[args.name], args.out):
            print(f"wrote {path}")
        return 0
    return 2  # pragma: no cover - argparse rejects unknown actions
