"""Stage ``reclamation``: the ledger against the plans' targets, and the key project sites.

Outputs: ``reclamation_progress.csv`` (one row per target), ``reclamation_breakdown.csv`` (by
mode, town and park), ``ledger_plots.geojson`` (every listed plot and its state),
``projects.geojson`` and ``projects_by_park.csv``, ``low_efficiency_not_in_ledger.csv`` (when
the evaluation ran), and a burn-up chart ``burnup_<scope>_<metric>_<year>.png`` per target.

Settings (``[reclamation]`` in the config file): ``stalled_days`` (default 180).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import geopandas as gpd
import pandas as pd

from analysis.efficiency import ratio
from analysis.overlay import assign_largest_share, locate_points
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
from geoapp.charts import burnup_png
from geoapp.config import AnalysisConfig
from geoapp.ledger import STAGE_LABELS_ZH
from geoapp.stages import StageResult, jsonable, layer, polygons
from geoapp.stages.evaluation import plot_area_mu
from layers.crs import STORE_CRS
from layers.schema import LEDGER_STAGES, RECLAMATION_MODES

UNITS = {"reclaimed_mu": ("亩", "mu"), "reclaimed_plots": ("宗", "plots"),
         "reclaimed_mu_cumulative": ("亩", "mu")}
METRIC_ZH = {"reclaimed_mu": "盘活面积", "reclaimed_plots": "盘活地块数",
             "reclaimed_mu_cumulative": "累计盘活面积"}
_LOW_EFF_COLUMNS = ("plot_id", "area_mu", "district_code", "town_code", "park_id", "zone_type",
                    "grade", "reasons", "reasons_zh")


@dataclass(frozen=True)
class ReclamationSettings:
    """Policy numbers of the reclamation stage.

    Attributes
    ----------
    stalled_days
        A plot not yet reclaimed with no event for this many days is stalled.
    """

    stalled_days: int = 180

    @classmethod
    def from_section(cls, section: dict[str, Any]) -> ReclamationSettings:
        """Read the ``[reclamation]`` config section; unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(section) - known)
        if unknown:
            raise ValueError(
                f"[reclamation] has unknown keys {unknown}: expected some of {sorted(known)}"
            )
        return cls(**section)


def as_of_date(config: AnalysisConfig, year: int, *, today: date | None = None) -> date:
    """Give the day progress is measured at: ``config.as_of``, else today or 31 Dec."""
    if config.as_of is not None:
        return config.as_of
    return min(today or date.today(), date(int(year), 12, 31))


def plot_scopes(
    plots: gpd.GeoDataFrame, layers: dict, results: dict
) -> tuple[pd.DataFrame, list[str]]:
    """District, town and park of each plot, indexed by ``plot_id``.

    Taken from the evaluation stage's plots table when it carries them, else from the plots
    layer's own columns, else assigned here by largest share of area
    (:func:`analysis.overlay.assign_largest_share`).

    Returns
    -------
    scopes
        ``district_code``, ``town_code``, ``park_id`` (missing columns where they cannot be
        known, e.g. towns without geometry).
    notes
        What was done, for the summary.
    """
    notes: list[str] = []
    scopes = pd.DataFrame(index=pd.Index(plots["plot_id"].astype(str), name="plot_id"))
    evaluated = None
    if "evaluation" in results:
        evaluated = results["evaluation"].tables.get("plots")
    sources = {"district_code": ("districts", "code"), "town_code": ("towns", "code"),
               "park_id": ("parks", "park_id")}
    for column, (name, key) in sources.items():
        source = None
        if evaluated is not None and column in evaluated.columns and "plot_id" in evaluated:
            source = evaluated.set_index(evaluated["plot_id"].astype(str))[column]
            source = source[~source.index.duplicated()]
        elif column in plots.columns:
            source = pd.Series(plots[column].to_numpy(), index=scopes.index)
        elif (shapes := polygons(layers, name, key)) is not None and len(plots):
            assigned = assign_largest_share(plots, shapes, key)
            source = pd.Series(assigned.to_numpy(), index=scopes.index)
            notes.append(f"{column} assigned by largest share of area in {name}")
        else:
            notes.append(f"no {name} geometry: {column} unknown, {name} targets count nothing")
            continue
        scopes[column] = source.reindex(scopes.index).astype("string")
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


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "_", str(text)).strip("_") or "x"


def _low_efficiency_ids(results: dict) -> tuple[set[str] | None, pd.DataFrame | None]:
    evaluation = results.get("evaluation")
    if evaluation is None:
        return None, None
    table = evaluation.tables.get("low_efficiency")
    if table is None:
        return None, None
    if "plot_id" in table.columns:
        ids = table["plot_id"].astype(str)
    else:
        ids = pd.Series(table.index.astype(str), index=table.index)
        table = table.assign(plot_id=ids.to_numpy())
    return set(ids), table


def _ledger_plots(plots, states, scopes, area, *, as_of, settings, low_ids) -> gpd.GeoDataFrame:
    out = states.copy()
    out["stage_zh"] = out["stage"].map(STAGE_LABELS_ZH)
    out["mode_zh"] = out["mode"].map(lambda m: RECLAMATION_MODES.get(m) if isinstance(m, str)
                                     else None)
    out["area_mu"] = area.reindex(out.index)
    out["days_since_event"] = days_since_event(states, as_of=as_of)
    out["stalled"] = stalled(states, as_of=as_of, days=settings.stalled_days)
    for c in ("first_date", "last_date", "reclaimed_date"):
        out[c] = out[c].map(lambda d: d.isoformat() if isinstance(d, date) else None)
    for c in scopes.columns:
        out[c] = scopes[c].reindex(out.index)
    out["in_plots_layer"] = out.index.isin(scopes.index)
    if low_ids is not None:
        out["on_low_efficiency_list"] = out.index.isin(list(low_ids))
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
    reclaimed = plots[plots["plot_id"].astype(str).isin(reclaimed_ids)][["plot_id", "geometry"]]
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
            title_en=f"{scope_type} {_safe(scope_id)} {span} {metric}",
        )
        charts[f"burnup_{scope_type}-{_safe(scope_id)}_{metric}_{year}.png"] = png
    return charts


def run(
    layers: dict[str, pd.DataFrame],
    *,
    year: int,
    config: AnalysisConfig,
    results: dict[str, StageResult],
) -> StageResult:
    """Measure reclamation progress against the targets and link projects to reclaimed land.

    Parameters
    ----------
    layers
        Workspace layers by name (``plots``, ``ledger``, ``targets``, ``projects``, ``parks``,
        ``towns``, ``districts``); missing ones count as empty.
    year
        Evaluation year; progress is measured as of ``config.as_of``, else today or 31 December
        of ``year``, whichever is earlier.
    config
        Analysis configuration (``[reclamation] stalled_days``).
    results
        Earlier stages; the evaluation's ``low_efficiency`` table, when present, marks ledger
        plots ``on_low_efficiency_list`` and lists the low-efficiency plots not yet in the
        ledger.

    Returns
    -------
    StageResult
        Outputs, summary (headline progress per target, counts) and tables.
    """
    settings = ReclamationSettings.from_section(config.section("reclamation"))
    as_of = as_of_date(config, year)
    plots = layer(layers, "plots")
    if not isinstance(plots, gpd.GeoDataFrame):
        plots = gpd.GeoDataFrame(plots, geometry=[], crs=STORE_CRS)
    ledger = layer(layers, "ledger")
    targets = layer(layers, "targets")
    if len(targets) == 0:
        targets = pd.DataFrame(columns=["scope_type", "scope_id", "year", "metric", "value"])

    # a plot reclaimed whole counts its register area (宗地面积), else its drawn area
    # (as the evaluation measured it when it ran: not measured twice)
    area = pd.Series(dtype="float64")
    if len(plots):
        evaluation = results.get("evaluation")
        evaluated = evaluation.tables.get("plots") if evaluation is not None else None
        area = plot_area_mu(plots, evaluated).set_axis(
            pd.Index(plots["plot_id"].astype(str), name="plot_id"))
    scopes, notes = plot_scopes(plots, layers, results)
    states = plot_states(ledger, as_of=as_of, area_mu=area)
    names = _names(layers)

    progress = reclamation_progress(targets, states, scopes, as_of=as_of, names=names)
    breakdown = progress_breakdown(targets, states, scopes, as_of=as_of)
    low_ids, low_table = _low_efficiency_ids(results)
    ledger_plots = _ledger_plots(plots, states, scopes, area, as_of=as_of, settings=settings,
                                 low_ids=low_ids)
    projects, by_park = _projects(layers, plots, states, scopes, area)

    outputs: dict[str, Any] = {
        "reclamation_progress.csv": _rounded(progress),
        "reclamation_breakdown.csv": breakdown.round({"achieved": 2}),
        "ledger_plots.geojson": ledger_plots,
        "projects.geojson": projects,
    }
    if len(by_park):
        outputs["projects_by_park.csv"] = by_park
    summary: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "stalled_days": settings.stalled_days,
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
            for r in outputs["reclamation_progress.csv"].to_dict("records")
        ],
        "headline": [_headline(r) for r in progress.to_dict("records")],
        "projects": len(projects),
        "projects_on_reclaimed_land": int(projects["on_reclaimed_land"].sum())
        if "on_reclaimed_land" in projects.columns else 0,
    }
    if notes:
        summary["notes"] = notes
    tables: dict[str, Any] = {
        "reclamation_progress": progress,
        "reclamation_breakdown": breakdown,
        "ledger_plots": ledger_plots,
        "projects": projects,
        "projects_by_park": by_park,
    }
    if low_table is not None:
        listed = set(states.index)
        missing = low_table[~low_table["plot_id"].astype(str).isin(listed)]
        cols = [c for c in _LOW_EFF_COLUMNS if c in missing.columns]
        missing = pd.DataFrame(missing[cols]).reset_index(drop=True)
        outputs["low_efficiency_not_in_ledger.csv"] = missing
        tables["low_efficiency_not_in_ledger"] = missing
        summary["low_efficiency_plots"] = len(low_table)
        summary["low_efficiency_not_in_ledger"] = len(missing)
    outputs.update(_charts(targets, states, scopes, names, as_of))
    return StageResult(outputs=outputs, summary=jsonable(summary), tables=tables)


def _rounded(progress: pd.DataFrame) -> pd.DataFrame:
    out = progress.copy()
    for c in ("target", "achieved", "expected_by_date", "forecast"):
        out[c] = out[c].round(2)
    out["pct"] = out["pct"].round(4)
    out["elapsed_fraction"] = out["elapsed_fraction"].round(4)
    return out


def _headline(r: dict) -> str:
    unit = UNITS[r["metric"]][0]
    name = r["scope_name"] or r["scope_id"]
    span = f"{int(r['since_year'])}–{r['year']}" if not pd.isna(r["since_year"]) else r["year"]
    digits = 0 if r["metric"] == "reclaimed_plots" else 1

    def num(v):
        return "—" if pd.isna(v) else f"{v:.{digits}f}"

    pct = "—" if pd.isna(r["pct"]) else f"{r['pct']:.1%}"
    return (f"{name} {span} {METRIC_ZH[r['metric']]}: {num(r['achieved'])} / {r['target']:g} "
            f"{unit} ({pct}); 按计划应达 {num(r['expected_by_date'])}, "
            f"按当前速度预计 {num(r['forecast'])}")
