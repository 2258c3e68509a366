"""Plots: road blocks of each zone cut into lots (guillotine), clipped to it; plot attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geoapp.demo.common import DISTRICT_PREFIX, random_stream
from geoapp.demo.layout import Layout
from layers.units import M2_PER_MU

# ---------------------------------------------------------------------------------------------
# plots: guillotine subdivision of road blocks


_GRAIN = {"104": 1.0, "195": 0.8, "198": 0.5}
_MIN_PLOT_M2 = 20.0


def _blocks(rng, layout: Layout, mean_lot_m2: float):
    """Road blocks (local rectangles) of every zone's grid, with a target lot size each."""
    block_area = float(np.clip(6.0 * mean_lot_m2, 40_000.0, 900_000.0))
    out = []
    for zi, frame in enumerate(layout.frames):
        zone = layout.zones.at[zi, "geometry"]
        aspect = rng.uniform(1.0, 1.6)
        bx, by = np.sqrt(block_area * aspect), np.sqrt(block_area / aspect)
        road = float(np.clip(0.05 * min(bx, by), 5.0, 15.0))
        u0, v0, u1, v1 = frame.bounds
        ou, ov = rng.uniform(0, bx), rng.uniform(0, by)
        us = np.arange(u0 - ou, u1 + bx, bx)
        vs = np.arange(v0 - ov, v1 + by, by)
        gu, gv = np.meshgrid(us[:-1], vs[:-1], indexing="ij")
        gu, gv = gu.ravel(), gv.ravel()
        b = np.column_stack([gu + road, gv + road, gu + bx - road, gv + by - road])
        # keep blocks that touch the zone
        corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [2, 3]], b[:, [0, 3]],
                            b[:, [0, 1]]], axis=1)
        wx, wy = frame.to_world(corners[..., 0], corners[..., 1])
        polys = shapely.polygons(np.stack([wx, wy], axis=-1))
        hit = shapely.intersects(zone, polys)
        b = b[hit]
        grain = _GRAIN[layout.zones.at[zi, "zone_type"]] * rng.lognormal(0.0, 0.9, len(b))
        out.append(pd.DataFrame({"zone_idx": zi, "u0": b[:, 0], "v0": b[:, 1], "u1": b[:, 2],
                                 "v1": b[:, 3], "grain": grain}))
    return pd.concat(out, ignore_index=True)


def _subdivide(rng, blocks: pd.DataFrame, mean_lot_m2: float) -> pd.DataFrame:
    """Split blocks into lots by repeated random cuts across the longer side (vectorised)."""
    u0, v0, u1, v1 = (blocks[c].to_numpy() for c in ("u0", "v0", "u1", "v1"))
    target = blocks["grain"].to_numpy() * mean_lot_m2
    zone = blocks["zone_idx"].to_numpy()
    block = np.arange(len(blocks))
    done = []
    while len(u0):
        w, h = u1 - u0, v1 - v0
        split = w * h > target * rng.uniform(1.2, 2.2, len(w))
        keep = ~split
        done.append((zone[keep], block[keep], u0[keep], v0[keep], u1[keep], v1[keep]))
        u0, v0, u1, v1, w, h = u0[split], v0[split], u1[split], v1[split], w[split], h[split]
        zone, block, target = zone[split], block[split], target[split]
        along_u = w * rng.uniform(0.8, 1.25, len(w)) > h
        f = rng.uniform(0.3, 0.7, len(w))
        cut_u, cut_v = u0 + f * w, v0 + f * h
        a = (u0, v0, np.where(along_u, cut_u, u1), np.where(along_u, v1, cut_v))
        b = (np.where(along_u, cut_u, u0), np.where(along_u, v0, cut_v), u1, v1)
        u0, v0, u1, v1 = (np.concatenate([p, q]) for p, q in zip(a, b, strict=True))
        zone, block, target = (np.concatenate([x, x]) for x in (zone, block, target))
    cols = ("zone_idx", "block", "u0", "v0", "u1", "v1")
    lots = pd.DataFrame({c: np.concatenate([d[i] for d in done]) for i, c in enumerate(cols)})
    return lots.sort_values(["zone_idx", "block", "u0", "v0"], kind="stable",
                            ignore_index=True)


def _lot_polygons(layout: Layout, lots: pd.DataFrame) -> np.ndarray:
    x = np.empty((len(lots), 5))
    y = np.empty((len(lots), 5))
    u0, v0, u1, v1 = (lots[c].to_numpy() for c in ("u0", "v0", "u1", "v1"))
    us = np.stack([u0, u1, u1, u0, u0], axis=1)
    vs = np.stack([v0, v0, v1, v1, v0], axis=1)
    zone = lots["zone_idx"].to_numpy()
    for zi, frame in enumerate(layout.frames):
        m = zone == zi
        x[m], y[m] = frame.to_world(us[m], vs[m])
    return shapely.polygons(np.stack([x, y], axis=-1))


def _count_inside(layout: Layout, lots: pd.DataFrame) -> int:
    cu = ((lots["u0"] + lots["u1"]) / 2).to_numpy()
    cv = ((lots["v0"] + lots["v1"]) / 2).to_numpy()
    zone = lots["zone_idx"].to_numpy()
    n = 0
    for zi, frame in enumerate(layout.frames):
        m = zone == zi
        x, y = frame.to_world(cu[m], cv[m])
        n += int(shapely.contains_xy(layout.zones.at[zi, "geometry"], x, y).sum())
    return n


def cut_plots(seed: int, layout: Layout, n_plots: int) -> pd.DataFrame:
    """Plot polygons (WORK_CRS) with the zone and park they were cut from.

    The mean lot size is calibrated (a few passes) so the count lands near ``n_plots``.
    """
    total = sum(g.area for g in layout.zones["geometry"])
    mean_lot = total * 0.85 / n_plots
    for it in range(4):
        blocks = _blocks(random_stream(seed, 2), layout, mean_lot)
        lots = _subdivide(random_stream(seed, 3), blocks, mean_lot)
        if it == 0:  # cheap first guess from lot centres, then exact counts
            mean_lot *= _count_inside(layout, lots) / n_plots
            continue
        cut = _clip(layout, lots)
        if abs(len(cut) / n_plots - 1) < 0.03:
            break
        mean_lot *= len(cut) / n_plots
    return cut


def _clip(layout: Layout, lots: pd.DataFrame) -> pd.DataFrame:
    """Clip lots to the regions (park parts and the rest of each zone) of their own zone."""
    polys = _lot_polygons(layout, lots)
    lot_area = shapely.area(polys)
    zone_of = lots["zone_idx"].to_numpy()
    pieces, zidx, pidx, order = [], [], [], []
    for ri, region in layout.regions.iterrows():
        sel = np.flatnonzero(zone_of == region["zone_idx"])
        geom = region["geometry"]
        shapely.prepare(geom)
        cand = polys[sel]
        inside = shapely.contains_properly(geom, cand)
        cross = ~inside & shapely.intersects(geom, cand)
        keep_whole = sel[inside & (lot_area[sel] >= _MIN_PLOT_M2)]
        clipped = shapely.intersection(cand[cross], geom)
        parts, src = shapely.get_parts(clipped, return_index=True)
        src = sel[cross][src]
        area = shapely.area(parts)
        perim = shapely.length(parts)
        ok = ((shapely.get_type_id(parts) == 3)
              & (area >= np.maximum(0.2 * lot_area[src], _MIN_PLOT_M2))
              & (4 * np.pi * area >= 0.15 * perim**2))
        pieces += [polys[keep_whole], parts[ok]]
        n_new = len(keep_whole) + int(ok.sum())
        zidx.append(np.full(n_new, region["zone_idx"]))
        park_id = region["park_id"] if isinstance(region["park_id"], str) else ""
        pidx.append(np.full(n_new, park_id, dtype=object))
        order.append(np.concatenate([keep_whole, src[ok]]) + ri * 10**9)
    geoms = np.concatenate(pieces)
    order = np.concatenate(order)
    srt = np.argsort(order, kind="stable")
    out = pd.DataFrame({
        "geometry": geoms[srt],
        "zone_idx": np.concatenate(zidx)[srt],
        "park_id": np.concatenate(pidx)[srt],
    })
    out["district"] = layout.zones["district"].to_numpy()[out["zone_idx"].to_numpy()]
    out["zone_type"] = layout.zones["zone_type"].to_numpy()[out["zone_idx"].to_numpy()]
    return out.sort_values("district", kind="stable", ignore_index=True)


def _per_mu(mask, area_mu, wan_per_mu):
    return np.where(mask, np.round(area_mu * wan_per_mu, 1), np.nan)


def plot_attributes(seed: int, cut: pd.DataFrame) -> pd.DataFrame:
    """Ids, land use, status, supply year, register area, floor area and contract figures."""
    rng = random_stream(seed, 4)
    n = len(cut)
    area_m2 = shapely.area(cut["geometry"].to_numpy())
    district = cut["district"].to_numpy()
    ztype = cut["zone_type"].to_numpy()
    in_park = cut["park_id"].to_numpy() != ""
    ids = np.empty(n, dtype=object)
    for d, prefix in DISTRICT_PREFIX.items():
        m = district == d
        width = max(6, len(str(int(m.sum()))))
        ids[m] = [f"{prefix}-{i:0{width}d}" for i in range(1, int(m.sum()) + 1)]

    u = rng.random(n)
    land_use = np.where(u < 0.78, "M1", np.where(u < 0.93, "M2", "M0"))
    digital = np.isin(cut["park_id"].to_numpy(), ("BS-P04", "JS-P02"))
    land_use = np.where(digital & (rng.random(n) < 0.35), "M0", land_use)

    recent = rng.random(n) < np.where(in_park, 0.25, 0.12)
    supply = np.where(recent, rng.integers(2015, 2024, n), rng.integers(1993, 2015, n))
    supply = np.where(ztype == "198", rng.integers(1990, 2009, n), supply)
    supply = np.where(ztype == "195", np.minimum(supply, rng.integers(1992, 2016, n)), supply)

    status = np.full(n, "in_use", dtype=object)
    status[rng.random(n) < 0.07] = "idle"
    building = (supply >= 2022) & (rng.random(n) < 0.7) | (rng.random(n) < 0.02)
    status[building] = "under_construction"

    register = np.round(area_m2, 2)
    off = rng.random(n) < 0.04
    noise = rng.choice([-1.0, 1.0], n) * rng.uniform(0.005, 0.08, n)
    register = np.where(off, np.round(area_m2 * (1 + noise), 2), register)

    far = np.select([land_use == "M0", land_use == "M2"],
                    [rng.uniform(2.0, 3.5, n), rng.uniform(0.6, 1.2, n)], rng.uniform(0.8, 1.6, n))
    # Plots supplied before 2000 are often single-storey sheds: a low tail of plot ratios.
    old_shed = (supply < 2000) & (land_use != "M0") & (rng.random(n) < 0.3)
    far = np.where(old_shed, rng.uniform(0.3, 0.7, n), far)
    area_mu = area_m2 / M2_PER_MU
    contract = supply >= 2015
    return pd.DataFrame({
        "plot_id": ids,
        "land_use": land_use,
        "status": status,
        "register_area_m2": register,
        "floor_area_m2": np.round(area_m2 * far, 1),
        "supply_year": supply.astype("int64"),
        "contract_investment_wan": _per_mu(contract, area_mu, rng.uniform(400, 1200, n)),
        # contracted yields around the district's actual ones (≈400 万元/亩 output, ≈30 tax)
        "contract_output_wan": _per_mu(contract, area_mu, rng.uniform(300, 900, n)),
        "contract_tax_wan": _per_mu(contract, area_mu, rng.uniform(15, 60, n)),
        # internal
        "area_mu": area_mu,
        "efficiency": rng.lognormal(0.0, 0.6, n),
    })


