"""Stage ``evaluation``: per-mu efficiency, grades, the low-efficiency list and league tables.

Reads the layers, derives plot areas and overlays, evaluates enterprise-years of the
evaluation year, grades plots, lists low-efficiency plots and ranks parks, towns and districts.
Every number comes from :mod:`analysis`; this module only wires layers and settings
(``[evaluation]`` and ``[low_efficiency]``, see :mod:`geoapp.settings`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import geopandas as gpd
import pandas as pd

from analysis import efficiency, grading, low_efficiency, overlay, ranking
from geoapp.results import EvaluationResult
from geoapp.settings import DEFAULT_SETTINGS, Settings
from geoapp.stages import jsonable, layer, polygons
from layers.crs import STORE_CRS, WORK_CRS
from layers.schema import PROJECT_STAGES

LAYERS = ("plots", "parks", "zones", "towns", "districts", "enterprises", "projects", "targets")
"""Layers this stage reads."""
SETTINGS = ("evaluation", "low_efficiency")
"""Settings sections this stage reads."""
NEEDS: tuple[str, ...] = ()
"""Stages whose results this stage takes."""

ENTERPRISE_COLUMNS = [
    "ent_id", "name", "credit_code", "plot_id", "park_id", "town_code", "district_code",
    "industry", "year", "scale", "start_year", "land_mu", "utility", *efficiency.AMOUNTS,
]
"""The enterprise-year's own columns kept beside its indicators, grade and score (the amounts
too: public mode's disclosure control needs each firm's share of every published cell)."""


def derive_plots(layers: dict[str, pd.DataFrame], *, crs: str = WORK_CRS) -> gpd.GeoDataFrame:
    """
    Derive each plot's areas and overlays.

    Adds ``area_mu``, ``geom_area_mu``, ``area_diff_share``, ``park_id``, ``zone_type``,
    ``town_code`` and ``district_code``. ``area_mu`` is the register area where given, else
    the drawn polygon's (both in 亩); ``area_diff_share`` is drawn / registered - 1, so a
    disagreement is shown, not hidden. Overlays go by largest area share measured in ``crs``.
    A plot outside every district polygon takes its town's, then its park's district code.
    """
    plots = layers["plots"].copy()
    plots = plots.drop(
        columns=[c for c in ("park_id", "zone_type", "town_code", "district_code") if c in plots]
    )
    work = plots.to_crs(crs) if len(plots) else plots
    measured = overlay.land_area_mu(work, crs=crs)
    plots["geom_area_mu"] = measured
    plots["area_mu"] = overlay.register_or_measured_mu(work, crs=crs, measured=measured)
    register_mu = overlay.register_mu(plots)
    plots["area_diff_share"] = efficiency.ratio(
        measured - register_mu, register_mu, name="area_diff_share"
    )
    for name, src, dst in (
        ("parks", "park_id", "park_id"),
        ("zones", "zone_type", "zone_type"),
        ("towns", "code", "town_code"),
        ("districts", "code", "district_code"),
    ):
        shapes = polygons(layers, name, src)
        if shapes is None:
            plots[dst] = pd.Series(pd.NA, index=plots.index, dtype="string")
            continue
        shapes = shapes.to_crs(crs)
        plots[dst] = overlay.assign_largest_share(work, shapes, src, crs=crs).astype("string")
    district = plots["district_code"]
    towns = layer(layers, "towns")
    if len(towns) and "district_code" in towns:
        t = towns.drop_duplicates("code")
        by_town = pd.Series(t["district_code"].astype(str).to_numpy(), index=t["code"].astype(str))
        district = district.fillna(plots["town_code"].map(by_town).astype("string"))
    parks = layer(layers, "parks")
    if len(parks) and "district_code" in parks:
        park_district = parks.drop_duplicates("park_id").set_index("park_id")["district_code"]
        park_district.index = park_district.index.astype(str)
        district = district.fillna(plots["park_id"].map(park_district.astype(str)).astype("string"))
    plots["district_code"] = district.astype("string")
    return plots


_PLOT_KEYS = ["park_id", "town_code", "district_code", "zone_type"]

FIGURES = ("plot_id", "area_mu", "park_id", "tax_per_mu", "output_per_mu")
"""The per-plot figures ``run`` hands out early (``plots_ready``): 亩, 万元/亩."""


def locate_firms(
    enterprises: pd.DataFrame, plots: gpd.GeoDataFrame
) -> pd.DataFrame:
    """
    Enterprise-years with ``plot_id`` (given or by location), their plot's keys and ``land_mu``.

    ``land_mu`` is each tenant's share of its plot (by floor area, else even: see
    :func:`analysis.overlay.apportion_land_mu`).
    """
    firms = pd.DataFrame(enterprises.drop(columns="geometry", errors="ignore"))
    firms = firms.drop(columns=[c for c in _PLOT_KEYS if c in firms])
    firms["plot_id"] = overlay.locate_enterprises(enterprises, plots).to_numpy()
    keys = plots.set_index("plot_id")[_PLOT_KEYS]
    joined = keys.reindex(firms["plot_id"].to_numpy())
    for c in _PLOT_KEYS:
        firms[c] = joined[c].to_numpy()
    area = plots.set_index("plot_id")["area_mu"]
    firms["land_mu"] = overlay.apportion_land_mu(firms, area)
    return firms


def locate_projects(layers: dict[str, pd.DataFrame], plots: gpd.GeoDataFrame) -> pd.DataFrame:
    """
    Projects with ``plot_id``, ``park_id``, ``town_code`` and ``district_code``.

    A given plot or park id wins; otherwise the project's geometry (its representative
    point) is located in the plots, then parks, towns, districts.
    """
    projects = layers.get("projects")
    if projects is None or len(projects) == 0:
        return pd.DataFrame(columns=["project_id", "stage", "investment_wan", "land_mu",
                                     "plot_id", *_PLOT_KEYS])
    out = pd.DataFrame(projects.drop(columns="geometry", errors="ignore"))
    geo = projects.geometry if isinstance(projects, gpd.GeoDataFrame) else None

    def given(col: str) -> pd.Series:
        if col in out:
            return out[col].astype("string")
        return pd.Series(pd.NA, index=out.index, dtype="string")

    plot_id = given("plot_id")
    if geo is not None and plot_id.isna().any():
        found = overlay.locate_points(geo[plot_id.isna()], plots, "plot_id").astype("string")
        plot_id = plot_id.fillna(found)
    out["plot_id"] = plot_id
    keys = plots.set_index("plot_id")[_PLOT_KEYS].reindex(plot_id.to_numpy())
    for col, name, src in (
        ("park_id", "parks", "park_id"),
        ("town_code", "towns", "code"),
        ("district_code", "districts", "code"),
    ):
        if col == "park_id":
            value = given(col)
        else:
            value = pd.Series(pd.NA, index=out.index, dtype="string")
        value = value.fillna(pd.Series(keys[col].to_numpy(), index=out.index).astype("string"))
        shapes = polygons(layers, name, src)
        if geo is not None and shapes is not None and value.isna().any():
            found = overlay.locate_points(geo[value.isna()], shapes, src).astype("string")
            value = value.fillna(found)
        out[col] = value
    out["zone_type"] = pd.Series(keys["zone_type"].to_numpy(), index=out.index).astype("string")
    return out


def _plot_table(
    plots: gpd.GeoDataFrame,
    firms: pd.DataFrame,
    ind: pd.DataFrame,
    *,
    year: int,
    policy: grading.GradingPolicy,
    thresholds: low_efficiency.LowEfficiencyThresholds,
    rules: tuple[low_efficiency.Rule, ...],
) -> gpd.GeoDataFrame:
    """
    Join each plot's sums, per-mu indicators, growth, score, grade and low-efficiency reasons.

    ``ind``: the plots' :func:`analysis.efficiency.scope_indicators` of ``year``.

    ``tax_per_mu_growth`` and ``output_per_mu_growth`` compare ``year`` with ``year - 1`` on
    the same plot (Σ / plot area each year, as for a park): a fraction, NaN where last year
    has no figure (or a zero one).
    """
    previous = efficiency.scope_indicators(firms, plots, "plot_id", year=year - 1)
    for indicator in ("tax_per_mu", "output_per_mu"):
        ind[f"{indicator}_growth"] = efficiency.growth(ind[indicator], previous[indicator])
    # The plot's own floor area stays; the indicator's copy (Σ over known) is the same number.
    ind = ind.drop(columns=["n_plots", "land_mu", "floor_area_m2"])
    table = plots.join(ind, on="plot_id")
    this_year = firms[firms["year"] == year]
    located = this_year[this_year["plot_id"].notna()]
    table["industry"] = efficiency.main_industry(located).reindex(
        table["plot_id"].astype(str)).to_numpy()
    table["industry"] = table["industry"].astype("string")
    grades = grading.grade_plots(table, this_year, policy=policy)
    table["score"] = grades["score"]
    table["grade"] = grades["grade"]
    if "supply_year" in table:
        table["years_since_supply"] = year - pd.to_numeric(table["supply_year"], errors="coerce")
    flags = low_efficiency.low_efficiency_list(table, thresholds=thresholds, rules=rules)
    return table.join(flags)


def _card(
    key: str,
    scope_type: str,
    ids: pd.Index | None,
    *,
    plots: pd.DataFrame,
    firms: pd.DataFrame,
    year: int,
    targets: pd.DataFrame,
    projects: pd.DataFrame,
    weights: ranking.RankingWeights,
    lead: pd.Series | None = None,
) -> pd.DataFrame:
    card = ranking.scorecard(
        plots, firms, key, year=year, scope_type=scope_type, targets=targets,
        projects=projects, lead_industries=lead, scopes=ids,
    )
    card.insert(0, "year", year)
    return ranking.rank_scopes(card, weights=weights)


def run(
    layers: dict[str, pd.DataFrame],
    *,
    year: int,
    settings: Settings = DEFAULT_SETTINGS,
    plots: gpd.GeoDataFrame | None = None,
    plots_ready: Callable[[gpd.GeoDataFrame], None] | None = None,
) -> EvaluationResult:
    """
    Evaluate ``year``: efficiency, grades, low-efficiency list, park/town/district rankings.

    Parameters
    ----------
    layers
        Workspace layers by name (WGS84, validated); absent layers may be missing or empty.
    year
        The evaluation year; growth compares it with ``year - 1`` (NaN where that year has
        no figures).
    settings
        Reads ``settings.evaluation`` and ``settings.low_efficiency``.
    plots
        :func:`derive_plots` of ``layers`` when the caller derived them already (a cluster
        engine derives them partition by partition: the function is plot by plot); default:
        derived here.
    plots_ready
        Called with the plots' per-mu figures as soon as they are final, before grading and
        rankings (a stage waiting for them in another process starts seconds sooner):
        :data:`FIGURES` of every plot, in the plots layer's order, the values of the result's
        ``plots``.

    Returns
    -------
    EvaluationResult
    """
    policy = settings.evaluation.policy()
    weights = settings.evaluation.ranking()
    thresholds = settings.low_efficiency
    rules = settings.low_efficiency.selected_rules()

    plots = derive_plots(layers) if plots is None else plots
    enterprises = layer(layers, "enterprises")
    if len(enterprises) == 0:
        enterprises = pd.DataFrame(
            columns=["ent_id", "name", "plot_id", "industry", "year", "scale", "output_wan",
                     "tax_wan"]
        )
    enterprises = enterprises.reset_index(drop=True)
    firms = locate_firms(enterprises, plots)
    projects = locate_projects(layers, plots)
    targets = layer(layers, "targets")

    ind = efficiency.scope_indicators(firms, plots, "plot_id", year=year, projects=projects)
    if plots_ready is not None:
        plots_ready(pd.DataFrame(plots[[c for c in FIGURES if c in plots]]).join(
            ind[[c for c in FIGURES if c in ind]], on="plot_id"))

    current = firms[firms["year"] == year]
    indicators = efficiency.enterprise_indicators(current, current["land_mu"])
    graded = grading.grade_enterprises(current, indicators, current["land_mu"], policy=policy)
    firms = firms.join(graded[["score", "grade"]])

    table = _plot_table(
        plots, firms, ind, year=year, policy=policy, thresholds=thresholds, rules=rules,
    )

    cols = [c for c in ENTERPRISE_COLUMNS if c in current]
    enterprises_out = pd.concat([current[cols], indicators, graded], axis=1)
    enterprises_out = enterprises_out.sort_values(["scale", "rank", "ent_id"], na_position="last",
                                                  kind="stable").reset_index(drop=True)

    common = {"plots": table, "firms": firms, "year": year, "targets": targets,
              "projects": projects, "weights": weights}
    parks = layers.get("parks")
    park_ids = None
    lead = None
    if parks is not None and len(parks):
        park_ids = pd.Index(parks["park_id"].astype("string").unique())
        if "lead_industries" in parks:
            lead = parks.drop_duplicates("park_id").set_index("park_id")["lead_industries"]
    park_card = _card("park_id", "park", park_ids, lead=lead, **common)
    towns = layer(layers, "towns")
    town_ids = pd.Index(towns["code"].astype("string").unique()) if len(towns) else None
    town_card = _card("town_code", "town", town_ids, **common)
    districts = layer(layers, "districts")
    district_ids = (
        pd.Index(districts["code"].astype("string").unique()) if len(districts) else None
    )
    district_card = _card("district_code", "district", district_ids, **common)

    def named(card: pd.DataFrame, frame: pd.DataFrame, id_col: str, key: str) -> pd.DataFrame:
        out = card.reset_index()
        if len(frame) and "name" in frame:
            names = frame.drop_duplicates(id_col).set_index(id_col)["name"]
            names.index = names.index.astype(str)
            out.insert(1, "name", out[key].astype(str).map(names).to_numpy())
        return out

    park_ranking = named(park_card, layer(layers, "parks"), "park_id", "park_id")
    town_ranking = named(town_card, towns, "code", "town_code")
    district_ranking = named(district_card, districts, "code", "district_code")

    low = table[table["low_efficiency"]]
    low_cols = [
        "plot_id", "park_id", "town_code", "district_code", "zone_type", "land_use", "status",
        "area_mu", "n_enterprises", "n_projects", "tax_per_mu", "output_per_mu", "plot_ratio",
        "score", "grade", "reasons", "reasons_zh",
    ]
    low_list = pd.DataFrame(low[[c for c in low_cols if c in low]]).sort_values(
        ["district_code", "town_code", "park_id", "plot_id"], na_position="last", kind="stable"
    ).reset_index(drop=True)

    parks_geo = None
    if parks is not None and len(parks) and isinstance(parks, gpd.GeoDataFrame):
        base = parks.drop_duplicates("park_id")[["park_id", "geometry"]].copy()
        base["park_id"] = base["park_id"].astype("string")
        ranking_ = park_ranking.copy()
        ranking_["park_id"] = ranking_["park_id"].astype("string")
        parks_geo = gpd.GeoDataFrame(
            base.merge(ranking_, on="park_id", how="left"), geometry="geometry", crs=parks.crs
        ).to_crs(STORE_CRS)

    summary = _summary(
        district_ranking, enterprises_out, table, firms, projects, year=year, policy=policy
    )
    return EvaluationResult(
        plots=table, enterprises=enterprises_out, park_ranking=park_ranking,
        town_ranking=town_ranking, district_ranking=district_ranking, low_efficiency=low_list,
        parks=parks_geo, summary=summary,
    )


def _summary(
    district_ranking: pd.DataFrame,
    enterprises_out: pd.DataFrame,
    table: pd.DataFrame,
    firms: pd.DataFrame,
    projects: pd.DataFrame,
    *,
    year: int,
    policy: grading.GradingPolicy,
) -> dict[str, Any]:
    districts = {}
    fields = ["name", "land_mu", "tax_per_mu", "output_per_mu", "value_added_per_mu",
              "tax_per_mu_growth", "tax_per_mu_growth_target", "tax_per_mu_target_met",
              "output_per_mu_growth", "output_per_mu_growth_target", "output_per_mu_target_met",
              "low_efficiency_mu", "n_low_efficiency_plots", "rank"]
    for row in district_ranking.to_dict("records"):
        districts[str(row["district_code"])] = {k: row.get(k) for k in fields if k in row}
    grades = enterprises_out["grade"].value_counts()
    current = firms[firms["year"] == year]
    low = table["low_efficiency"]
    summary = {
        "year": year,
        "preset": policy.name,
        "districts": districts,
        "grade_counts": {g: int(grades.get(g, 0)) for g in (*policy.classes, grading.UNRATED)},
        "plot_grade_counts": {
            g: int((table["grade"] == g).sum()) for g in (*policy.classes, grading.UNRATED)
        },
        "enterprises": len(current),
        "enterprises_without_plot": int(current["plot_id"].isna().sum()),
        "enterprises_imputed": int((enterprises_out["imputed_items"].fillna("") != "").sum()),
        "plots": len(table),
        "plots_mu": float(table["area_mu"].sum()),
        "low_efficiency_plots": int(low.sum()),
        "low_efficiency_mu": float(table.loc[low, "area_mu"].sum()),
        "low_efficiency_reasons": {
            r: int(table[f"rule_{r}"].sum())
            for r in (c.removeprefix("rule_") for c in table.columns if c.startswith("rule_"))
        },
        "projects_by_stage": {
            s: int((projects["stage"].astype("string") == s).sum()) if len(projects) else 0
            for s in PROJECT_STAGES
        },
    }
    return jsonable(summary)
