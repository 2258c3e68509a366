"""Stage ``reclamation``: the ledger against the plans' targets, and the key project sites.

Returns a :class:`geoapp.results.ReclamationResult`: progress per target, the breakdown by
mode, town and park, every ledger plot and its state, projects and whether they sit on
reclaimed land, low-efficiency plots not yet in the ledger, and a burn-up chart per target.
Settings: ``[reclamation] stalled_days``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd

from analysis.efficiency import ratio
from analysis.keys import isin
from analysis.overlay import locate_points
from analysis.projects import (
    aggregate_intensity,
    investment_intensity,
    on_reclaimed_land,
    project_land_mu,
    projects_by_stage,
)
from analysis.reclamation import (
    RECLAIMED_RANK,
    burnup,
    days_since_event,
    plot_states,
    progress_breakdown,
    reclamation_progress,
    stalled,
    target_period,
)
from geoapp import words
from geoapp.charts import burnup_png
from geoapp.outputs import rounded_progress
from geoapp.results import EvaluationResult, ReclamationResult
from geoapp.settings import DEFAULT_SETTINGS, Settings
from geoapp.stages import jsonable, layer, polygons
from layers.crs import STORE_CRS
from layers.schema import LEDGER_STAGES, RECLAMATION_MODES

UNITS = {m: (words.unit(m, "zh"), words.unit(m, "en"))
         for m in ("reclaimed_mu", "reclaimed_plots", "reclaimed_mu_cumulative")}
METRIC_ZH = {m: words.value("target_metric", m) for m in UNITS}
_LOW_EFF_COLUMNS = ("plot_id", "area_mu", "district_code", "town_code", "park_id", "zone_type",
                    "grade", "reasons", "reasons_zh")


LAYERS = ("plots", "ledger", "targets", "projects", "parks", "towns", "districts")
"""Layers this stage reads."""
SETTINGS = ("reclamation",)
"""Settings sections this stage reads."""
NEEDS = ("evaluation",)
"""Stages whose results this stage takes."""


def as_of_date(as_of: date | None, year: int, *, today: date | None = None) -> date:
    """Give the day progress is measured at: ``as_of``, else today or 31 Dec of ``year``."""
    if as_of is not None:
        return as_of
    return min(today or date.today(), date(int(year), 12, 31))


def plot_scopes(evaluated: pd.DataFrame, layers: dict) -> tuple[pd.DataFrame, list[str]]:
    """District, town and park of each plot, indexed by ``plot_id``, as the evaluation found.

    Returns
    -------
    scopes
        ``district_code``, ``town_code``, ``park_id`` (a scope whose layer has no geometry
        is unknown, so its targets count nothing).
    notes
        What could not be known, for the summary.
    """
    notes: list[str] = []
    ids = evaluated["plot_id"].astype(str) if len(evaluated) else pd.Series(dtype=str)
    scopes = pd.DataFrame(index=pd.Index(ids, name="plot_id"))
    for column, name in (("district_code", "districts"), ("town_code", "towns"),
                         ("park_id", "parks")):
        key = "park_id" if name == "parks" else "code"
        if polygons(layers, name, key) is None:
            notes.append(f"no {name} geometry: {column} unknown, {name} targets count nothing")
        if column in evaluated.columns:
            scopes[column] = pd.Series(evaluated[column].to_numpy(), index=scopes.index
                                       ).astype("string")
    return scopes, notes


def _names(layers: dict) -> dict[tuple[str, str], str]:
    names = {}
    for scope_type, name, key in (("district", "districts", "code"), ("town", "towns", "code"),
                                  ("park", "parks", "park_id")):
        frame = layer(layers, name)
        if key in frame.columns and "name" in frame.columns:
            for k, n in zip(frame[key].astype(str), frame["name"], strict=True):
                names[(scope_type, k)] = "" if pd.isna(n) else str(n)
    return names


def _ledger_plots(plots, states, scopes, area, *, as_of, stalled_days, low_ids) -> gpd.GeoDataFrame:
    out = states.copy()
    out["stage_zh"] = out["stage"].map({s: words.value("stage", s) for s in LEDGER_STAGES})
    out["mode_zh"] = out["mode"].map(lambda m: RECLAMATION_MODES.get(m) if isinstance(m, str)
                                     else None)
    out["area_mu"] = area.reindex(out.index)
    out["days_since_event"] = days_since_event(states, as_of=as_of)
    out["stalled"] = stalled(states, as_of=as_of, days=stalled_days)
    for c in ("first_date", "last_date", "reclaimed_date"):
        out[c] = out[c].map(lambda d: d.isoformat() if isinstance(d, date) else None)
    for c in scopes.columns:
        out[c] = scopes[c].reindex(out.index)
    out["in_plots_layer"] = isin(out.index, scopes.index)
    out["on_low_efficiency_list"] = isin(out.index, low_ids)
    geom = plots.set_index(plots["plot_id"].astype(str)).geometry
    geom = geom[~geom.index.duplicated()].reindex(out.index)
    out = out.reset_index()
    return gpd.GeoDataFrame(out, geometry=geom.to_numpy(), crs=STORE_CRS)


def _projects(layers, plots, states, scopes, area) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    projects = layer(layers, "projects")
    parks = layer(layers, "parks")
    park_shapes = polygons(layers, "parks", "park_id")
    district_shapes = polygons(layers, "districts", "code")
    if len(projects) == 0:
        empty = gpd.GeoDataFrame(projects.copy()) if isinstance(projects, gpd.GeoDataFrame) \
            else gpd.GeoDataFrame(projects.copy(), geometry=[], crs=STORE_CRS)
        return empty, pd.DataFrame()
    out = projects.copy()
    if not isinstance(out, gpd.GeoDataFrame):
        out = gpd.GeoDataFrame(out, geometry=[None] * len(out), crs=STORE_CRS)
    # park: as given, else the park the project lies in
    given = out["park_id"] if "park_id" in out.columns else pd.Series(pd.NA, index=out.index)
    given = given.astype("string")
    located = (locate_points(out.geometry, park_shapes, "park_id").astype("string")
               if park_shapes is not None
               else pd.Series(pd.NA, index=out.index, dtype="string"))
    out["park_located"] = given.isna() & located.notna()
    out["park_id"] = given.fillna(located)
    # district: the park's, else the plot's, else the district the project lies in
    park_district = (parks.set_index(parks["park_id"].astype(str))["district_code"].astype(str)
                     if "district_code" in parks.columns else pd.Series(dtype="str"))
    district = out["park_id"].map(park_district.to_dict()).astype("string")
    if "plot_id" in out.columns and "district_code" in scopes.columns:
        by_plot = out["plot_id"].astype("string").map(scopes["district_code"].to_dict())
        district = district.fillna(by_plot.astype("string"))
    if district.isna().any() and district_shapes is not None:
        district = district.fillna(locate_points(out.geometry, district_shapes, "code")
                                   .astype("string"))
    out["district_code"] = district
    land = project_land_mu(out, plot_area_mu=area)
    out["land_mu"] = land
    invest = pd.to_numeric(out["investment_wan"], errors="coerce").astype("float64")
    out["investment_intensity"] = investment_intensity(invest, land)
    park_int = aggregate_intensity(invest, land, out["park_id"])
    dist_int = aggregate_intensity(invest, land, out["district_code"])
    out["park_investment_intensity"] = out["park_id"].map(
        lambda p: park_int.get(p, float("nan")) if isinstance(p, str) else float("nan")
    ).astype("float64")
    out["district_investment_intensity"] = out["district_code"].map(
        lambda d: dist_int.get(d, float("nan")) if isinstance(d, str) else float("nan")
    ).astype("float64")
    out["intensity_vs_park"] = ratio(out["investment_intensity"],
                                     out["park_investment_intensity"], name="intensity_vs_park")
    out["intensity_vs_district"] = ratio(out["investment_intensity"],
                                         out["district_investment_intensity"],
                                         name="intensity_vs_district")
    reclaimed_ids = states.index[states["stage"].map(LEDGER_STAGES.index) >= RECLAIMED_RANK]
    reclaimed = plots[isin(plots["plot_id"].astype(str), reclaimed_ids)][["plot_id", "geometry"]]
    link = on_reclaimed_land(out, reclaimed)
    out["on_reclaimed_land"] = link["on_reclaimed_land"]
    out["reclaimed_plot_id"] = link["reclaimed_plot_id"]
    by_park = projects_by_stage(out, by="park_id")
    by_park["investment_intensity"] = park_int.reindex(by_park.index)
    names = _names(layers)
    by_park.insert(0, "park_name", [names.get(("park", str(p)), "") for p in by_park.index])
    by_park["on_reclaimed_land"] = out.groupby(
        out["park_id"].fillna("(none)"))["on_reclaimed_land"].sum().reindex(by_park.index)
    return out, by_park.reset_index()


def _charts(targets, states, scopes, names, as_of) -> dict[str, bytes]:
    """A burn-up chart per target that has started, keyed ``scope_type:scope_id:metric:year``."""
    charts = {}
    for rec in targets.to_dict("records"):
        metric = str(rec["metric"])
        if metric not in UNITS:
            continue
        since = rec.get("since_year")
        since = None if since is None or pd.isna(since) else int(since)
        period = target_period(metric, int(rec["year"]), since)
        if period.start is not None and period.start > as_of:
            continue  # not started: nothing to draw yet
        scope_type, scope_id, year = str(rec["scope_type"]), str(rec["scope_id"]), int(rec["year"])
        series = burnup(rec, states, scopes, as_of=as_of)
        name = names.get((scope_type, scope_id), "") or scope_id
        span = f"{since}–{year}" if since else str(year)
        unit_zh, unit_en = UNITS[metric]
        png = burnup_png(
            series, target=float(rec["value"]), as_of=as_of,
            title_zh=f"{name} {span} {METRIC_ZH[metric]}", unit_zh=unit_zh, unit_en=unit_en,
            title_en=f"{scope_type} {scope_id} {span} {metric}",
        )
        charts[f"{scope_type}:{scope_id}:{metric}:{year}"] = png
    return charts


def run(
    layers: dict[str, pd.DataFrame],
    *,
    year: int,
    evaluation: EvaluationResult,
    settings: Settings = DEFAULT_SETTINGS,
    as_of: date | None = None,
) -> ReclamationResult:
    """Measure reclamation progress against the targets and link projects to reclaimed land.

    Parameters
    ----------
    layers
        Workspace layers by name (``plots``, ``ledger``, ``targets``, ``projects``, ``parks``,
        ``towns``, ``districts``); missing ones count as empty.
    year
        Evaluation year; progress is measured as of ``as_of``, else today or 31 December
        of ``year``, whichever is earlier.
    evaluation
        The evaluation of ``year``: each plot's area in 亩 (a plot reclaimed whole counts its
        register area, else its drawn area) and scopes, and the low-efficiency list (marks
        ledger plots ``on_low_efficiency_list`` and lists listed plots not yet in the ledger).
    settings
        Reads ``settings.reclamation`` (``stalled_days``).
    as_of
        The day progress is measured at.

    Returns
    -------
    ReclamationResult
    """
    stalled_days = settings.reclamation.stalled_days
    as_of = as_of_date(as_of, year)
    plots = layer(layers, "plots")
    if not isinstance(plots, gpd.GeoDataFrame):
        plots = gpd.GeoDataFrame(plots, geometry=[], crs=STORE_CRS)
    ledger = layer(layers, "ledger")
    targets = layer(layers, "targets")
    if len(targets) == 0:
        targets = pd.DataFrame(columns=["scope_type", "scope_id", "year", "metric", "value"])

    evaluated = evaluation.plots
    area = pd.Series(dtype="float64")
    if len(evaluated):
        area = pd.Series(pd.to_numeric(evaluated["area_mu"], errors="coerce").to_numpy(),
                         index=pd.Index(evaluated["plot_id"].astype(str), name="plot_id"),
                         dtype="float64")
    scopes, notes = plot_scopes(evaluated, layers)
    states = plot_states(ledger, as_of=as_of, area_mu=area)
    names = _names(layers)

    progress = reclamation_progress(targets, states, scopes, as_of=as_of, names=names)
    breakdown = progress_breakdown(targets, states, scopes, as_of=as_of)
    low_table = evaluation.low_efficiency
    low_ids = set(low_table["plot_id"].astype(str)) if "plot_id" in low_table else set()
    ledger_plots = _ledger_plots(plots, states, scopes, area, as_of=as_of,
                                 stalled_days=stalled_days, low_ids=low_ids)
    projects, by_park = _projects(layers, plots, states, scopes, area)
    listed = set(states.index)
    missing = low_table[~isin(low_table["plot_id"].astype(str), listed)] \
        if "plot_id" in low_table else low_table
    missing = pd.DataFrame(missing[[c for c in _LOW_EFF_COLUMNS if c in missing.columns]]
                           ).reset_index(drop=True)

    summary: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "stalled_days": stalled_days,
        "ledger_events": len(ledger),
        "ledger_plots": len(states),
        "reclaimed_plots": int((states["stage"].map(LEDGER_STAGES.index)
                                >= RECLAIMED_RANK).sum()),
        "stalled_plots": int(ledger_plots["stalled"].sum()) if len(ledger_plots) else 0,
        "ledger_plots_not_in_plots_layer": int((~ledger_plots["in_plots_layer"]).sum())
        if len(ledger_plots) else 0,
        "progress": [
            {k: r[k] for k in ("scope_type", "scope_id", "scope_name", "year", "metric",
                               "since_year", "target", "achieved", "pct", "expected_by_date",
                               "forecast")}
            for r in rounded_progress(progress).to_dict("records")
        ],
        "headline": [_headline(r) for r in progress.to_dict("records")],
        "projects": len(projects),
        "projects_on_reclaimed_land": int(projects["on_reclaimed_land"].sum())
        if "on_reclaimed_land" in projects.columns else 0,
        "low_efficiency_plots": len(low_table),
        "low_efficiency_not_in_ledger": len(missing),
    }
    if notes:
        summary["notes"] = notes
    return ReclamationResult(
        progress=progress, breakdown=breakdown, ledger_plots=ledger_plots, projects=projects,
        projects_by_park=by_park, low_efficiency_not_in_ledger=missing,
        burnups=_charts(targets, states, scopes, names, as_of), summary=jsonable(summary),
    )


def _headline(r: dict) -> str:
    unit = UNITS[r["metric"]][0]
    name = r["scope_name"] or r["scope_id"]
    span = f"{int(r['since_year'])}–{r['year']}" if not pd.isna(r["since_year"]) else r["year"]
    digits = 0 if r["metric"] == "reclaimed_plots" else 1

    def num(v):
        return "—" if pd.isna(v) else f"{v:.{digits}f}"

    pct = "—" if pd.isna(r["pct"]) else f"{r['pct']:.1%}"
    return (f"{name} {span} {METRIC_ZH[r['metric']]}: {num(r['achieved'])} / {r['target']:g} "
            f"{unit} ({pct}); {words.text('reclamation.expected')} {num(r['expected_by_date'])}, "
            f"{words.text('reclamation.forecast')} {num(r['forecast'])}")
