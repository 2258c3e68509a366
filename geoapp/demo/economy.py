"""Enterprises and their yearly figures, projects and plan targets, calibrated to the districts."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from geoapp.demo.common import (
    AS_OF,
    BAOSHAN,
    DISTRICT_PREFIX,
    JINSHAN,
    OUTPUT_2022_WAN,
    YEARS,
    day_number,
    iso_dates,
    random_stream,
)
from geoapp.demo.layout import Layout
from layers.crs import STORE_CRS, WORK_CRS
from layers.schema import INDUSTRIES

_DEFAULT_MIX = {
    BAOSHAN: {"equipment": 0.24, "new_materials": 0.14, "auto": 0.10, "robotics": 0.06,
              "biomed": 0.05, "digital": 0.08, "steel": 0.04, "logistics": 0.10, "food": 0.05,
              "ic": 0.02, "other": 0.12},
    JINSHAN: {"chemicals": 0.15, "new_materials": 0.20, "equipment": 0.19, "food": 0.10,
              "auto": 0.08, "biomed": 0.05, "digital": 0.04, "logistics": 0.08, "other": 0.11},
}


# Per industry: relative output per mu, tax / output, tce per 万元 output, R&D / output,
# output per employee (万元).
_INDUSTRY = pd.DataFrame.from_records(
    [
        ("biomed", 1.10, 0.090, 0.015, 0.080, 260.0),
        ("new_materials", 1.00, 0.060, 0.080, 0.030, 220.0),
        ("robotics", 1.00, 0.070, 0.015, 0.050, 200.0),
        ("ic", 1.30, 0.080, 0.030, 0.100, 250.0),
        ("digital", 0.90, 0.100, 0.010, 0.060, 150.0),
        ("chemicals", 1.60, 0.080, 0.200, 0.020, 450.0),
        ("auto", 1.40, 0.060, 0.020, 0.030, 300.0),
        ("equipment", 1.00, 0.060, 0.020, 0.030, 180.0),
        ("steel", 1.50, 0.050, 0.150, 0.015, 500.0),
        ("energy", 1.20, 0.070, 0.400, 0.010, 400.0),
        ("food", 0.70, 0.070, 0.030, 0.010, 120.0),
        ("logistics", 0.50, 0.050, 0.020, 0.005, 100.0),
        ("other", 0.60, 0.050, 0.030, 0.010, 120.0),
    ],
    columns=["industry", "output_rel", "tax_rate", "tce_per_wan", "rd_rate", "output_per_head"],
).set_index("industry")

# ---------------------------------------------------------------------------------------------
# enterprises


def _choose_industry(rng, mix: dict[str, float], n: int) -> np.ndarray:
    names = np.array(list(mix), dtype=object)
    p = np.array(list(mix.values()), dtype=float)
    return names[rng.choice(len(names), n, p=p / p.sum())]


def _points_in(rng, geoms_work: np.ndarray, geoms_store: np.ndarray, to_store) -> np.ndarray:
    """Draw a random point strictly inside each polygon, checked in the stored CRS."""
    n = len(geoms_work)
    bounds = shapely.bounds(geoms_work)
    x = np.full(n, np.nan)
    y = np.full(n, np.nan)
    todo = np.arange(n)
    for _ in range(8):
        if not len(todo):
            break
        b = bounds[todo]
        px = b[:, 0] + (b[:, 2] - b[:, 0]) * rng.uniform(0.1, 0.9, len(todo))
        py = b[:, 1] + (b[:, 3] - b[:, 1]) * rng.uniform(0.1, 0.9, len(todo))
        ok = shapely.contains_xy(geoms_work[todo], px, py)
        x[todo[ok]], y[todo[ok]] = px[ok], py[ok]
        todo = todo[~ok]
    lon, lat = to_store.transform(x, y)
    pts = shapely.points(lon, lat)
    bad = ~np.isfinite(lon) | ~shapely.contains(geoms_store, pts)
    pts[bad] = shapely.point_on_surface(geoms_store[bad])
    return pts


def make_enterprises(seed: int, plots: pd.DataFrame, cut: pd.DataFrame, layout: Layout,
                     status0: np.ndarray, reclaim_year: np.ndarray) -> gpd.GeoDataFrame:
    """One row per enterprise-year, scaled so district output matches the published totals."""
    rng = random_stream(seed, 6)
    n = len(plots)
    district = cut["district"].to_numpy()
    park = cut["park_id"].to_numpy()
    u = rng.random(n)
    kind = np.where(u < 0.12, "shared", np.where(u < 0.22, "small", "single"))
    kind = np.where(status0 == "under_construction", "none", kind)
    idle = status0 == "idle"
    kind = np.where(idle, np.where(rng.random(n) < 0.4, "single", "none"), kind)
    n_firms = np.select([kind == "shared", kind == "none"], [rng.integers(2, 9, n), 0], 1)
    plot = np.repeat(np.arange(n), n_firms)
    m = len(plot)
    fkind = kind[plot]

    weight = rng.uniform(0.2, 1.2, m)
    share = weight / np.bincount(plot, weights=weight, minlength=n)[plot]
    occupancy = rng.uniform(0.7, 0.95, m)
    share = np.where(fkind == "shared", share * occupancy, 1.0)
    above = np.select([fkind == "shared", fkind == "small"],
                      [rng.random(m) < 0.35, np.zeros(m, dtype=bool)], rng.random(m) < 0.8)
    plot_floor = plots["floor_area_m2"].to_numpy()[plot]
    floor = np.select(
        [fkind == "shared", (fkind == "small") & (rng.random(m) < 0.5)],
        [np.round(plot_floor * share, 1),
         np.round(np.minimum(plot_floor * rng.uniform(0.3, 1.0, m), rng.uniform(800, 12_000, m)),
                  1)],
        np.nan)

    # industry: parks lean to their lead industries, zones to their mix
    industry = np.empty(m, dtype=object)
    zone_of = cut["zone_idx"].to_numpy()[plot]
    mixes = [z if isinstance(z, dict) else _DEFAULT_MIX[d]
             for z, d in zip(layout.zones["mix"], layout.zones["district"], strict=True)]
    for zi, mix in enumerate(mixes):
        sel = np.flatnonzero(zone_of == zi)
        industry[sel] = _choose_industry(rng, mix, len(sel))
    leads = dict(zip(layout.parks["park_id"], layout.parks["lead_industries"], strict=True))
    fpark = park[plot]
    lead_pick = rng.random(m) < 0.75
    for pid, lead in leads.items():
        sel = np.flatnonzero((fpark == pid) & lead_pick)
        options = np.array(lead.split(";"), dtype=object)
        industry[sel] = options[rng.integers(0, len(options), len(sel))]

    utility = np.zeros(m, dtype="int64")
    fdist = district[plot]
    for d in DISTRICT_PREFIX:
        pool = np.flatnonzero((fdist == d) & (fkind == "single") & above
                              & (reclaim_year[plot] == 0) & (status0[plot] == "in_use"))
        k = min(len(pool), max(2, round(0.001 * int((district == d).sum()))))
        pick = rng.choice(pool, k, replace=False)
        utility[pick] = 1
        industry[pick] = "energy"

    supply = plots["supply_year"].to_numpy()[plot]
    start = np.minimum(supply + rng.integers(0, 4, m), 2020)
    start = np.where(supply >= 2020, np.minimum(supply + 1, 2023), start)
    recent = (rng.random(m) < 0.04) & (reclaim_year[plot] == 0) & (status0[plot] == "in_use")
    start = np.where(recent, rng.integers(2022, 2024, m), start)
    end = np.full(m, 2023)
    end = np.where(status0[plot] == "idle", rng.integers(2021, 2023, m), end)
    ry = reclaim_year[plot]
    end = np.where(ry > 0, np.minimum(end, ry - 1), end)
    alive = start <= end
    firm = np.flatnonzero(alive)

    # firm-level levels and ratios (relative units, scaled per district below)
    params = _INDUSTRY.loc[industry[firm]]
    eff = plots["efficiency"].to_numpy()[plot[firm]] * rng.lognormal(0.0, 0.3, len(firm))
    mu = plots["area_mu"].to_numpy()[plot[firm]] * share[firm]
    base = params["output_rel"].to_numpy() * mu * eff * np.where(above[firm], 1.0, 0.15)
    group = np.where(fpark[firm] != "", fpark[firm], zone_of[firm].astype(str))
    groups, ginv = np.unique(group, return_inverse=True)
    g_group = rng.uniform(0.02, 0.10, len(groups))[ginv]
    tax_ratio = params["tax_rate"].to_numpy() * rng.lognormal(0.0, 0.25, len(firm)) \
        * np.minimum(eff, 2.0) ** 0.3
    tax_ratio = np.where(above[firm], tax_ratio, 0.05 * rng.lognormal(0.0, 0.3, len(firm)))
    va_ratio = rng.uniform(0.2, 0.3, len(firm))
    rev_ratio = rng.uniform(0.95, 1.25, len(firm))
    tce = params["tce_per_wan"].to_numpy() * rng.lognormal(0.0, 0.3, len(firm))
    emis = rng.uniform(0.001, 0.006, len(firm))
    rd = params["rd_rate"].to_numpy() * rng.uniform(0.5, 1.5, len(firm))
    per_head = params["output_per_head"].to_numpy() * rng.uniform(0.6, 1.4, len(firm))

    level = {2021: base}
    level[2022] = base * (1 + g_group + rng.normal(0, 0.05, len(firm)))
    level[2023] = level[2022] * (1 + g_group + rng.normal(0, 0.05, len(firm)))
    long = []
    for year in YEARS:
        there = (start[firm] <= year) & (end[firm] >= year)
        long.append(pd.DataFrame({"f": np.flatnonzero(there), "year": year,
                                  "output": np.maximum(level[year][there], 0.0)}))
    rows = pd.concat(long, ignore_index=True)
    f = rows["f"].to_numpy()
    fi = firm[f]
    row_dist = fdist[fi]
    row_above = above[fi]
    factor = np.ones(len(rows))
    jitter = random_stream(seed, 7).uniform(-0.015, 0.015, len(OUTPUT_2022_WAN))
    for (d, target), j in zip(OUTPUT_2022_WAN.items(), jitter, strict=True):
        ref = (row_dist == d) & row_above & (rows["year"].to_numpy() == 2022)
        total = rows["output"].to_numpy()[ref].sum()
        factor[row_dist == d] = target * (1 + j) / total if total > 0 else 1.0
    output = rows["output"].to_numpy() * factor * rng.lognormal(0.0, 0.02, len(rows))
    cap = rng.uniform(200.0, 1_900.0, len(firm))[f]  # 规下: below the 2000 万元 threshold
    output = np.where(row_above | (output <= cap), output, cap)
    tax = output * tax_ratio[f]
    scale = np.where(row_above, "above", "below").astype(object)

    # names, ids and codes per firm
    width = max(6, len(str(len(firm))))
    prefix = np.array([DISTRICT_PREFIX[d] for d in fdist[firm]], dtype=object)
    seq = np.arange(1, len(firm) + 1)
    ent_id = prefix + np.array([f"-E{i:0{width}d}" for i in seq], dtype=object)
    label = np.array([INDUSTRIES[i] for i in industry[firm]], dtype=object)
    label = np.where(utility[firm] == 1, "公用事业", label)
    name = np.array([f"示例{lab}企业{i:0{width}d}(合成)"
                     for lab, i in zip(label, seq, strict=True)], dtype=object)
    code = np.array([f"SYN{d}{i:09d}" for d, i in zip(fdist[firm], seq, strict=True)], dtype=object)

    to_store = Transformer.from_crs(WORK_CRS, STORE_CRS, always_xy=True)
    pts = _points_in(rng, cut["geometry"].to_numpy()[plot[firm]],
                     plots["geometry_store"].to_numpy()[plot[firm]], to_store)

    below = ~row_above
    ent = pd.DataFrame({
        "ent_id": ent_id[f],
        "name": name[f],
        "credit_code": code[f],
        "plot_id": plots["plot_id"].to_numpy()[plot[fi]],
        "industry": industry[fi],
        "year": rows["year"].to_numpy().astype("int64"),
        "scale": scale,
        "start_year": start[fi].astype("int64"),
        "output_wan": np.round(output, 2),
        "tax_wan": np.round(tax, 2),
        "value_added_wan": np.where(below, np.nan, np.round(output * va_ratio[f], 2)),
        "revenue_wan": np.round(output * rev_ratio[f], 2),
        "energy_tce": np.where(below, np.nan, np.round(output * tce[f], 2)),
        "emissions_t": np.where(below, np.nan, np.round(output * tce[f] * emis[f], 3)),
        "employees": np.maximum(1, np.round(output / per_head[f])).astype("int64"),
        "rd_wan": np.where(below, np.nan, np.round(output * rd[f], 2)),
        "floor_area_m2": floor[fi],
        "utility": utility[fi],
        "synthetic": 1,
    })
    return gpd.GeoDataFrame(ent, geometry=pts[f], crs=STORE_CRS)


# ---------------------------------------------------------------------------------------------
# projects, towns, targets


def make_projects(seed: int, plots: pd.DataFrame, cut: pd.DataFrame, layout: Layout,
                  ledger: pd.DataFrame, n_plots: int) -> gpd.GeoDataFrame:
    """Key projects (重点产业项目): on reused ledger plots, building sites and new plots."""
    rng = random_stream(seed, 8)
    n_proj = int(np.clip(n_plots // 25, 20, 150))
    status = plots["status"].to_numpy()
    reused_on = ledger.loc[ledger["stage"] == "reused"].set_index("plot_id")["date"]
    pid = plots["plot_id"].to_numpy()
    p1 = rng.permutation(np.flatnonzero(pd.Series(pid).isin(reused_on.index).to_numpy()))
    in_ledger = pd.Series(pid).isin(ledger["plot_id"]).to_numpy()
    p2 = rng.permutation(np.flatnonzero((status == "under_construction") & ~in_ledger))
    p3 = rng.permutation(np.flatnonzero((status == "in_use") & ~in_ledger
                                        & (plots["supply_year"].to_numpy() >= 2019)))
    n1 = min(len(p1), round(0.25 * n_proj))
    n2 = min(len(p2), round(0.4 * n_proj))
    n3 = min(len(p3), n_proj - n1 - n2)
    idx = np.concatenate([p1[:n1], p2[:n2], p3[:n3]])
    group = np.repeat([1, 2, 3], [n1, n2, n3])
    k = len(idx)
    stage = np.select(
        [group == 1, group == 2],
        [rng.choice(["signed", "started", "under_construction"], k),
         rng.choice(["started", "under_construction"], k)],
        rng.choice(["completed", "in_production"], k)).astype(object)
    as_of = day_number(AS_OF)
    supply = plots["supply_year"].to_numpy()[idx]
    reuse_day = np.array([day_number(reused_on.get(p, AS_OF)) for p in pid[idx]], dtype="int64")
    lo2 = np.maximum(np.array([day_number(f"{y}-01-01") for y in supply]), day_number("2021-01-01"))
    lo3 = np.maximum(np.array([day_number(f"{y}-01-01") for y in supply]), day_number("2019-01-01"))
    start = np.select(
        [group == 1, group == 2],
        [reuse_day + rng.integers(5, 90, k),
         lo2 + (np.maximum(as_of - 30 - lo2, 1) * rng.random(k)).astype("int64")],
        lo3 + (np.maximum(day_number("2022-06-30") - lo3, 1) * rng.random(k)).astype("int64"))
    start = np.minimum(start, as_of - 1)
    completion = start + rng.integers(365, 1100, k)
    completion = np.where(np.isin(stage, ("completed", "in_production")),
                          np.minimum(completion, as_of - 1), completion)
    start_iso = np.where(stage == "signed", None, iso_dates(start))
    area_mu = plots["area_mu"].to_numpy()[idx]
    land_mu = np.floor(area_mu * np.where(rng.random(k) < 0.7, 1.0, rng.uniform(0.5, 1.0, k))
                       * 100) / 100
    invest = np.clip(area_mu * rng.uniform(300, 1500, k) * rng.lognormal(0, 0.4, k), 1e4, 5e5)
    park = cut["park_id"].to_numpy()[idx]
    leads = dict(zip(layout.parks["park_id"], layout.parks["lead_industries"], strict=True))
    mixes = [z if isinstance(z, dict) else _DEFAULT_MIX[d]
             for z, d in zip(layout.zones["mix"], layout.zones["district"], strict=True)]
    industry = np.array([
        rng.choice(leads[p].split(";")) if p else
        _choose_industry(rng, mixes[z], 1)[0]
        for p, z in zip(park, cut["zone_idx"].to_numpy()[idx], strict=True)], dtype=object)
    district = cut["district"].to_numpy()[idx]
    prefix = np.array([DISTRICT_PREFIX[d] for d in district], dtype=object)
    seq = np.arange(1, k + 1)
    names = [f"示例{INDUSTRIES[i]}重点项目{s:03d}(合成)"
             for i, s in zip(industry, seq, strict=True)]
    frame = pd.DataFrame({
        "project_id": prefix + np.array([f"-XM{s:03d}" for s in seq], dtype=object),
        "name": names,
        "stage": stage,
        "investment_wan": np.round(invest, 1),
        "park_id": np.where(park == "", None, park),
        "plot_id": pid[idx],
        "land_mu": land_mu,
        "start_date": start_iso,
        "planned_completion": iso_dates(completion),
        "industry": industry,
        "synthetic": 1,
    })
    geom = shapely.point_on_surface(plots["geometry_store"].to_numpy()[idx])
    return gpd.GeoDataFrame(frame, geometry=geom, crs=STORE_CRS)


def make_targets(parks: pd.DataFrame) -> pd.DataFrame:
    """Build the plan targets progress is measured against (growth as fractions)."""
    bs_plan = "宝山区2023年盘活低效产业用地工作目标: 盘活2000亩、100个存量低效地块"
    bs_tax = "宝山区重点产业园区亩均税收增长10%"
    js_plan = "金山区低效产业用地腾退提升: 2023年起至2027年累计超过5000亩"
    js_yield = "金山区工业园区单位土地产值/税收年均增长8%/10%"
    rows = [
        ("district", BAOSHAN, 2023, "reclaimed_mu", 2000.0, None, bs_plan),
        ("district", BAOSHAN, 2023, "reclaimed_plots", 100.0, None, bs_plan),
        ("district", BAOSHAN, 2023, "tax_per_mu_growth", 0.10, None, bs_tax),
        ("district", JINSHAN, 2027, "reclaimed_mu_cumulative", 5000.0, 2023, js_plan),
    ]
    for year in (2022, 2023):
        rows.append(("district", JINSHAN, year, "output_per_mu_growth", 0.08, None, js_yield))
        rows.append(("district", JINSHAN, year, "tax_per_mu_growth", 0.10, None, js_yield))
    featured = parks[(parks["district_code"] == BAOSHAN) & (parks["level"] == "municipal")]
    for park_id in featured["park_id"]:
        rows.append(("park", park_id, 2023, "tax_per_mu_growth", 0.10, None, bs_tax))
    out = pd.DataFrame(rows, columns=["scope_type", "scope_id", "year", "metric", "value",
                                      "since_year", "source"])
    out["year"] = out["year"].astype("int64")
    out["since_year"] = out["since_year"].astype("Int64")
    return out


