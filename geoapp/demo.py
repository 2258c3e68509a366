"""Deterministic synthetic demo data for Baoshan (310113) and Jinshan (310116).

:func:`build_demo` returns all nine canonical layers for a seed: the real district boundaries
and real town codes (from :mod:`geoapp.boundaries`), the real names of the featured industrial
parks, and everything else synthetic: town and park polygons, zoning, plots, enterprises,
projects, the reclamation ledger. Every synthetic layer says so (``synthetic`` = 1 where the
schema has the column, ``geometry_source`` = ``"synthetic"`` on towns, and the ``_metadata``
entry); enterprise names end in ``(合成)`` and their credit codes start with ``SYN``, which no
real 统一社会信用代码 can (S is not in its alphabet).

Magnitudes are calibrated to published district figures whatever ``n_plots`` is: Baoshan's
2022 above-scale industrial output (规上工业总产值 ≈ 2634 亿元), Jinshan's (≈ 2000 亿元,
approximate), district tax per mu in the tens of 万元, and reclamation close to, but short of,
the 2023 plans (Baoshan 2000 亩 in 2023; Jinshan 5000 亩 cumulative by 2027).

Geometry is built in metres in :data:`layers.crs.WORK_CRS` and stored in
:data:`layers.crs.STORE_CRS`. Plots are guillotine subdivisions of road blocks laid on each
zone's own rotated grid and clipped to the zone, so they never overlap. Everything is
vectorised with numpy and shapely; randomness comes from ``numpy.random.default_rng`` streams
keyed by ``(seed, purpose)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import box
from shapely.ops import nearest_points

from geoapp.boundaries import load_districts, load_town_codes
from layers.crs import STORE_CRS, WORK_CRS
from layers.schema import INDUSTRIES, LEDGER_STAGES, RECLAMATION_MODES
from layers.units import M2_PER_KM2, M2_PER_MU

BAOSHAN = "310113"
JINSHAN = "310116"
DISTRICT_PREFIX = {BAOSHAN: "BS", JINSHAN: "JS"}
YEARS = (2021, 2022, 2023)
"""Enterprise figures are generated for these years."""
AS_OF = "2024-06-30"
"""The ledger is generated up to this date."""

OUTPUT_2022_WAN = {BAOSHAN: 26_340_000.0, JINSHAN: 20_000_000.0}
"""District above-scale industrial output 2022 (万元) the demo is scaled to: Baoshan
规上工业总产值 2634 亿元 (published); Jinshan ≈ 2000 亿元 (approximate)."""

BUILD_STEPS = (
    "districts", "towns", "zones and parks", "plots", "ledger", "enterprises", "projects",
    "targets", "store",
)
"""The steps of :func:`build_demo`; ``progress(1)`` is called after each."""

LAYER_NAMES = (
    "districts", "towns", "zones", "parks", "plots", "enterprises", "projects", "ledger",
    "targets",
)

# Approximate town centres (WGS84 lon, lat): seeds of the synthetic Voronoi towns.
_TOWN_ANCHORS: dict[str, tuple[float, float]] = {
    "310113003": (121.482, 31.405), "310113007": (121.500, 31.380),
    "310113008": (121.440, 31.345), "310113101": (121.335, 31.415),
    "310113102": (121.400, 31.305), "310113103": (121.440, 31.385),
    "310113104": (121.425, 31.430), "310113106": (121.380, 31.480),
    "310113109": (121.375, 31.360), "310113111": (121.475, 31.320),
    "310113112": (121.440, 31.315), "310113113": (121.475, 31.345),
    "310113501": (121.380, 31.450),
    "310116001": (121.335, 30.715), "310116101": (121.165, 30.895),
    "310116102": (121.030, 30.880), "310116103": (121.290, 30.800),
    "310116104": (121.315, 30.880), "310116105": (121.120, 30.830),
    "310116107": (121.170, 30.790), "310116109": (121.270, 30.740),
    "310116112": (121.410, 30.795), "310116113": (121.370, 30.760),
    "310116503": (121.240, 30.860),
}

_DEFAULT_MIX = {
    BAOSHAN: {"equipment": 0.24, "new_materials": 0.14, "auto": 0.10, "robotics": 0.06,
              "biomed": 0.05, "digital": 0.08, "steel": 0.04, "logistics": 0.10, "food": 0.05,
              "ic": 0.02, "other": 0.12},
    JINSHAN: {"chemicals": 0.15, "new_materials": 0.20, "equipment": 0.19, "food": 0.10,
              "auto": 0.08, "biomed": 0.05, "digital": 0.04, "logistics": 0.08, "other": 0.11},
}


@dataclass(frozen=True)
class _Zone104:
    district: str
    name: str
    lon: float
    lat: float
    area_km2: float
    mix: dict[str, float] | None = None  # industry mix outside parks (None: district default)


_ZONES_104 = (
    _Zone104(BAOSHAN, "宝山工业园区区块", 121.380, 31.455, 9.0),
    _Zone104(BAOSHAN, "罗店区块", 121.340, 31.420, 5.0),
    _Zone104(BAOSHAN, "顾村北区块", 121.360, 31.392, 4.0),
    _Zone104(BAOSHAN, "城市工业园区区块", 121.400, 31.360, 6.0),
    _Zone104(BAOSHAN, "月杨区块", 121.440, 31.410, 8.0),
    _Zone104(BAOSHAN, "南大区块", 121.385, 31.315, 4.0),
    _Zone104(BAOSHAN, "吴淞区块", 121.485, 31.385, 5.0),
    _Zone104(BAOSHAN, "宝钢区块", 121.470, 31.440, 10.0,
             {"steel": 0.65, "logistics": 0.12, "equipment": 0.13, "energy": 0.05, "other": 0.05}),
    _Zone104(BAOSHAN, "罗泾区块", 121.400, 31.490, 3.0),
    _Zone104(JINSHAN, "漕泾区块", 121.405, 30.790, 7.0,
             {"chemicals": 0.5, "new_materials": 0.3, "logistics": 0.1, "other": 0.1}),
    _Zone104(JINSHAN, "金山卫区块", 121.290, 30.745, 5.0),
    _Zone104(JINSHAN, "湾区高新区区块", 121.245, 30.865, 12.0),
    _Zone104(JINSHAN, "第二工业区区块", 121.340, 30.780, 4.0),
    _Zone104(JINSHAN, "上海石化区块", 121.340, 30.718, 8.0,
             {"chemicals": 0.7, "new_materials": 0.15, "energy": 0.05, "logistics": 0.1}),
    _Zone104(JINSHAN, "朱泾区块", 121.160, 30.900, 4.0),
    _Zone104(JINSHAN, "枫泾区块", 121.020, 30.885, 4.0),
    _Zone104(JINSHAN, "张堰区块", 121.285, 30.810, 3.0),
    _Zone104(JINSHAN, "亭林区块", 121.320, 30.875, 3.0),
    _Zone104(JINSHAN, "吕巷区块", 121.120, 30.825, 2.5),
)


@dataclass(frozen=True)
class _Park:
    park_id: str
    name: str
    district: str
    level: str
    lead: str
    parts: tuple[tuple[str, float], ...]  # (104 zone name, part area km²)


_PARKS = (
    _Park("BS-P01", "北上海生物医药产业园", BAOSHAN, "municipal", "biomed",
          (("宝山工业园区区块", 2.6), ("罗店区块", 2.3), ("顾村北区块", 1.96))),
    _Park("BS-P02", "上海机器人产业园", BAOSHAN, "municipal", "robotics;equipment",
          (("城市工业园区区块", 3.0),)),
    _Park("BS-P03", "上海超能新材料科创园", BAOSHAN, "municipal", "new_materials",
          (("月杨区块", 2.0),)),
    _Park("BS-P04", "数智南大", BAOSHAN, "municipal", "digital", (("南大区块", 2.8),)),
    _Park("BS-P05", "宝武碳中和产业园", BAOSHAN, "municipal", "energy;new_materials",
          (("吴淞区块", 2.5),)),
    _Park("BS-P06", "月杨工业园区", BAOSHAN, "district", "equipment;new_materials",
          (("月杨区块", 1.5),)),
    _Park("JS-P01", "碳谷绿湾产业园", JINSHAN, "municipal", "new_materials;chemicals",
          (("漕泾区块", 2.8), ("金山卫区块", 2.0))),
    _Park("JS-P02", "上海湾区高新技术产业开发区", JINSHAN, "municipal",
          "digital;equipment;biomed", (("湾区高新区区块", 6.0),)),
    _Park("JS-P03", "金山第二工业区", JINSHAN, "district", "new_materials;chemicals",
          (("第二工业区区块", 2.0),)),
    _Park("JS-P04", "朱泾工业园区", JINSHAN, "district", "equipment;food",
          (("朱泾区块", 1.5),)),
)

# Small scattered zones per district: (zone type, count, area range km²).
_SMALL_ZONES = (("195", 12, (0.15, 0.6)), ("198", 12, (0.05, 0.3)))

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

_RECLAIMED_NOTES = {
    "vacate": "企业腾退完成,土地交回(合成)",
    "acquire": "签订收储协议并交地(合成)",
    "lease": "整体租赁协议生效(合成)",
    "codevelop": "合作开发协议签订(合成)",
    "upgrade": "转型提升方案获批(合成)",
}
_LEDGER_NOTES = {
    "identified": ("列入低效用地清单(合成)", "综合评价D类,启动摸排(合成)"),
    "in_progress": ("已约谈企业,协商处置方案(合成)", "评估作价中(合成)", "签订意向协议(合成)"),
    "reclaimed": ("完成交地(合成)",),
    "reused": ("新项目签约落地(合成)", "转型提升项目开工(合成)"),
}


def _rng(seed: int, *purpose: int) -> np.random.Generator:
    """Return an independent random stream for one purpose, fixed by the seed."""
    return np.random.default_rng([seed, *purpose])


# ---------------------------------------------------------------------------------------------
# geometry helpers (all in WORK_CRS metres)


@dataclass
class _Frame:
    """A zone's rotated road grid: local (u, v) metres → world (x, y)."""

    cx: float
    cy: float
    angle: float
    bounds: tuple[float, float, float, float]  # local bbox of the zone shape

    def to_world(self, u, v):
        c, s = np.cos(self.angle), np.sin(self.angle)
        return self.cx + u * c - v * s, self.cy + u * s + v * c

    def geometry(self, local):
        """Map a local shapely geometry to world coordinates."""

        def xy(coords):
            x, y = self.to_world(coords[:, 0], coords[:, 1])
            return np.column_stack([x, y])

        return shapely.transform(local, xy)


def _inside_anchor(point, area, margin_m: float):
    """``point`` if it lies ``margin_m`` inside ``area``, else the nearest point that does."""
    inner = area.buffer(-margin_m)
    if inner.is_empty:
        inner = area
    if inner.contains(point):
        return point
    strictly = inner.buffer(-1.0)
    return nearest_points(inner if strictly.is_empty else strictly, point)[0]


def _zone_shape_local(rng, area_m2: float, n_extra: int):
    """Draw a planning-like zone outline: a main rectangle plus smaller ones (local)."""
    main_area = area_m2 * (0.7 if n_extra else 1.0)
    aspect = rng.uniform(0.6, 1.7)
    w = np.sqrt(main_area * aspect)
    h = main_area / w
    rects = [box(-w / 2, -h / 2, w / 2, h / 2)]
    for _ in range(n_extra):
        ea = area_m2 * 0.3 / n_extra
        easp = rng.uniform(0.5, 2.0)
        ew, eh = np.sqrt(ea * easp), ea / np.sqrt(ea * easp)
        side = rng.integers(4)
        if side in (0, 1):  # east / west
            cx = (w / 2 + ew / 2 - 0.1 * ew) * (1 if side == 0 else -1)
            cy = rng.uniform(-1, 1) * max(h / 2 - eh / 2, 0.0)
        else:  # north / south
            cy = (h / 2 + eh / 2 - 0.1 * eh) * (1 if side == 2 else -1)
            cx = rng.uniform(-1, 1) * max(w / 2 - ew / 2, 0.0)
        rects.append(box(cx - ew / 2, cy - eh / 2, cx + ew / 2, cy + eh / 2))
    return shapely.union_all(rects), (w, h)


def _park_rects_local(rng, main_wh, areas_m2):
    """Disjoint park rectangles inside a zone's main rectangle (local coordinates)."""
    w, h = main_wh
    if len(areas_m2) == 1:
        cells = [(0.0, 0.0, w, h)]
    else:  # split the main rectangle into halves along its longer side
        if w >= h:
            cells = [(-w / 4, 0.0, w / 2, h), (w / 4, 0.0, w / 2, h)]
        else:
            cells = [(0.0, -h / 4, w, h / 2), (0.0, h / 4, w, h / 2)]
    rects = []
    for (cx, cy, cw, ch), a in zip(cells, areas_m2, strict=True):
        pw = np.sqrt(a * cw / ch)
        ph = a / pw
        k = min(1.0, 0.85 * cw / pw, 0.85 * ch / ph)
        pw, ph = pw * k, ph * k
        ox = cx + rng.uniform(-1, 1) * (cw - pw) / 2 * 0.8
        oy = cy + rng.uniform(-1, 1) * (ch - ph) / 2 * 0.8
        rects.append(box(ox - pw / 2, oy - ph / 2, ox + pw / 2, oy + ph / 2))
    return rects


@dataclass
class _Layout:
    """Zones, parks and the regions plots are cut from (WORK_CRS)."""

    zones: pd.DataFrame  # zone_id, zone_type, name, district, geometry (shapely), mix
    frames: list[_Frame]  # one per zone, same order
    parks: pd.DataFrame  # park_id, name, district_code, level, lead_industries, geometry
    regions: pd.DataFrame  # zone_idx, park_id (None outside parks), geometry


def _layout(seed: int, districts_work: dict[str, Any]) -> _Layout:
    """Place the 104 blocks with their parks, then the scattered 195 and 198 areas."""
    rng = _rng(seed, 1)
    to_work = Transformer.from_crs(STORE_CRS, WORK_CRS, always_xy=True)
    inner = {d: g.buffer(-100.0) for d, g in districts_work.items()}
    taken = {d: shapely.Polygon() for d in districts_work}
    zones, frames = [], []
    park_parts: dict[str, list] = {p.park_id: [] for p in _PARKS}
    region_rows = []
    count = dict.fromkeys(districts_work, 0)

    def add_zone(district, zone_type, name, frame, local, mix):
        world = frame.geometry(local)
        geom = world.intersection(inner[district]).difference(taken[district].buffer(60.0))
        geom = _polygonal(geom, min_area=2_000.0)
        if geom is None:
            return None
        taken[district] = taken[district].union(geom)
        count[district] += 1
        zid = f"{DISTRICT_PREFIX[district]}-{zone_type}-{count[district]:02d}"
        zones.append({"zone_id": zid, "zone_type": zone_type, "name": name,
                      "district": district, "geometry": geom, "mix": mix})
        frames.append(frame)
        return len(zones) - 1

    for z in _ZONES_104:
        x, y = to_work.transform(z.lon, z.lat)
        anchor = _inside_anchor(shapely.Point(x, y), inner[z.district], 800.0)
        local, main_wh = _zone_shape_local(rng, z.area_km2 * M2_PER_KM2, int(rng.integers(1, 4)))
        angle = np.deg2rad(rng.uniform(-25, 25))
        frame = _Frame(anchor.x, anchor.y, angle, local.bounds)
        zi = add_zone(z.district, "104", f"{z.name}(合成)", frame, local, z.mix)
        parts = [(p, a) for p in _PARKS for (zn, a) in p.parts if zn == z.name]
        pieces = []
        if zi is not None and parts:
            rects = _park_rects_local(rng, main_wh, [a * M2_PER_KM2 for _, a in parts])
            for (park, _), rect in zip(parts, rects, strict=True):
                piece = _polygonal(frame.geometry(rect).intersection(zones[zi]["geometry"]),
                                   min_area=10_000.0)
                if piece is not None:
                    park_parts[park.park_id].append(piece)
                    pieces.append((park.park_id, piece))
        if zi is not None:
            rest = zones[zi]["geometry"]
            for pid, piece in pieces:
                region_rows.append({"zone_idx": zi, "park_id": pid, "geometry": piece})
                rest = rest.difference(piece)
            rest = _polygonal(rest, min_area=1_000.0)
            if rest is not None:
                region_rows.append({"zone_idx": zi, "park_id": None, "geometry": rest})

    for district in districts_work:
        minx, miny, maxx, maxy = inner[district].bounds
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(20_000, 2))
        cand = cand[shapely.contains_xy(inner[district], cand[:, 0], cand[:, 1])]
        k = 0
        for zone_type, n, (lo, hi) in _SMALL_ZONES:
            made = 0
            while made < n and k < len(cand):
                x, y = cand[k]
                k += 1
                area = rng.uniform(lo, hi) * M2_PER_KM2
                if taken[district].distance(shapely.Point(x, y)) < 400.0 + np.sqrt(area):
                    continue
                local, _ = _zone_shape_local(rng, area, int(rng.integers(0, 2)))
                frame = _Frame(x, y, np.deg2rad(rng.uniform(-30, 30)), local.bounds)
                label = "195区域" if zone_type == "195" else "198区域"
                zi = add_zone(district, zone_type, f"{label}{made + 1:02d}(合成)", frame, local,
                              None)
                if zi is None:
                    continue
                region_rows.append({"zone_idx": zi, "park_id": None,
                                    "geometry": zones[zi]["geometry"]})
                made += 1

    park_rows = []
    for p in _PARKS:
        if not park_parts[p.park_id]:
            raise RuntimeError(f"demo layout: park {p.name} could not be placed")
        park_rows.append({
            "park_id": p.park_id, "name": p.name, "district_code": p.district, "level": p.level,
            "lead_industries": p.lead, "synthetic": 1,
            "geometry": shapely.union_all(park_parts[p.park_id]),
        })
    regions = pd.DataFrame(region_rows)
    return _Layout(pd.DataFrame(zones), frames, pd.DataFrame(park_rows), regions)


def _polygonal(geom, *, min_area: float):
    """Keep the polygonal parts of ``geom`` of at least ``min_area`` m² (None if none)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"
             and p.area >= min_area]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


# ---------------------------------------------------------------------------------------------
# plots: guillotine subdivision of road blocks


_GRAIN = {"104": 1.0, "195": 0.8, "198": 0.5}
_MIN_PLOT_M2 = 20.0


def _blocks(rng, layout: _Layout, mean_lot_m2: float):
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


def _lot_polygons(layout: _Layout, lots: pd.DataFrame) -> np.ndarray:
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


def _count_inside(layout: _Layout, lots: pd.DataFrame) -> int:
    cu = ((lots["u0"] + lots["u1"]) / 2).to_numpy()
    cv = ((lots["v0"] + lots["v1"]) / 2).to_numpy()
    zone = lots["zone_idx"].to_numpy()
    n = 0
    for zi, frame in enumerate(layout.frames):
        m = zone == zi
        x, y = frame.to_world(cu[m], cv[m])
        n += int(shapely.contains_xy(layout.zones.at[zi, "geometry"], x, y).sum())
    return n


def _cut_plots(seed: int, layout: _Layout, n_plots: int) -> pd.DataFrame:
    """Plot polygons (WORK_CRS) with the zone and park they were cut from.

    The mean lot size is calibrated (a few passes) so the count lands near ``n_plots``.
    """
    total = sum(g.area for g in layout.zones["geometry"])
    mean_lot = total * 0.85 / n_plots
    for it in range(4):
        lots = _subdivide(_rng(seed, 3), _blocks(_rng(seed, 2), layout, mean_lot), mean_lot)
        if it == 0:  # cheap first guess from lot centres, then exact counts
            mean_lot *= _count_inside(layout, lots) / n_plots
            continue
        cut = _clip(layout, lots)
        if abs(len(cut) / n_plots - 1) < 0.03:
            break
        mean_lot *= len(cut) / n_plots
    return cut


def _clip(layout: _Layout, lots: pd.DataFrame) -> pd.DataFrame:
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


def _plot_attributes(seed: int, cut: pd.DataFrame) -> pd.DataFrame:
    """Ids, land use, status, supply year, register area, floor area and contract figures."""
    rng = _rng(seed, 4)
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


# ---------------------------------------------------------------------------------------------
# ledger


def _days(date: str) -> int:
    return int(np.datetime64(date, "D").astype("int64"))


def _iso(days: np.ndarray) -> np.ndarray:
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype(str).astype(object)


def _reclaim_targets(rng, district: str) -> list[tuple[int, float]]:
    """(year, mu reclaimed that year) per cohort: short of the plans, as the real ones were."""
    if district == BAOSHAN:
        return [(2022, rng.uniform(600, 900)), (2023, rng.uniform(1600, 1800)),
                (2024, rng.uniform(400, 700))]
    total = rng.uniform(2000, 2600)  # 2023-2024, toward 5000 亩 by 2027
    share = rng.uniform(0.5, 0.6)
    return [(2022, rng.uniform(300, 600)), (2023, total * share), (2024, total * (1 - share))]


def _ledger(seed: int, plots: pd.DataFrame, district: np.ndarray):
    """Reclamation events, and per plot the year it was reclaimed (0: not) and if reused."""
    rng = _rng(seed, 5)
    n = len(plots)
    modes = np.array(list(RECLAMATION_MODES))
    mode = rng.choice(modes, n, p=[0.3, 0.2, 0.15, 0.15, 0.2])
    frac = np.where(np.isin(mode, ("vacate", "acquire")), 1.0, rng.uniform(0.4, 1.0, n))
    rmu = np.floor(plots["area_mu"].to_numpy() * frac * 100) / 100
    status = plots["status"].to_numpy()
    eff = plots["efficiency"].to_numpy()
    as_of = _days(AS_OF)
    reclaim_year = np.zeros(n, dtype="int64")
    reused = np.zeros(n, dtype=bool)
    rows = []  # (plot index, day, stage index, reclaimed_mu)
    for d in DISTRICT_PREFIX:
        in_d = district == d
        low = eff < np.quantile(eff[in_d], 0.3) if in_d.any() else in_d
        old = plots["supply_year"].to_numpy() < 2015
        cand = np.flatnonzero(in_d & np.isin(status, ("in_use", "idle")) & old
                              & (low | (status == "idle")) & (rmu >= 0.01))
        cand = rng.permutation(cand)
        pos = 0
        n_reclaimed = 0
        for year, target in _reclaim_targets(rng, d):
            cs = np.cumsum(rmu[cand[pos:]])
            if len(cs) == 0:
                break
            k = min(int(np.searchsorted(cs, target)), len(cs) - 1)
            take = cand[pos:pos + k + 1]
            pos += k + 1
            last = np.floor((target - (cs[k - 1] if k else 0.0)) * 100) / 100
            mu = rmu[take].copy()
            if last >= 0.01:
                mu[-1] = min(mu[-1], last)
            start = _days("2022-04-01" if year == 2022 else f"{year}-01-01")
            end = min(_days(f"{year}-12-31"), as_of - 10)
            d_r = start + rng.integers(0, end - start + 1, len(take))
            d_i = np.maximum(d_r - rng.integers(90, 421, len(take)), _days("2022-01-01"))
            d_p = d_i + ((d_r - d_i) * rng.uniform(0.3, 0.7, len(take))).astype("int64")
            room = as_of - d_r
            re = (rng.random(len(take)) < 0.45) & (room > 60)
            d_u = d_r + (60 + (np.maximum(np.minimum(room, 400) - 60, 1)
                               * rng.random(len(take)))).astype("int64")
            reclaim_year[take] = year
            reused[take] = re
            n_reclaimed += len(take)
            for stage, day, val in ((0, d_i, np.nan), (1, d_p, np.nan), (2, d_r, mu)):
                rows.append((take, day, np.full(len(take), stage),
                             np.broadcast_to(val, len(take)).astype(float)))
            n_re = int(re.sum())
            rows.append((take[re], d_u[re], np.full(n_re, 3), np.full(n_re, np.nan)))
        pend = cand[pos:pos + max(3, round(0.6 * n_reclaimed))]
        recent = rng.random(len(pend)) < 0.6
        ago = np.where(recent, rng.integers(30, 300, len(pend)), rng.integers(300, 900, len(pend)))
        d_i = as_of - ago
        d_p = d_i + rng.integers(20, 300, len(pend))
        prog = (rng.random(len(pend)) < 0.6) & (d_p <= as_of)
        rows.append((pend, d_i, np.zeros(len(pend), dtype=int), np.full(len(pend), np.nan)))
        rows.append((pend[prog], d_p[prog], np.ones(int(prog.sum()), dtype=int),
                     np.full(int(prog.sum()), np.nan)))
    idx = np.concatenate([r[0] for r in rows])
    day = np.concatenate([r[1] for r in rows])
    stage = np.concatenate([r[2] for r in rows])
    mu = np.concatenate([r[3] for r in rows])
    stages = np.array(LEDGER_STAGES, dtype=object)
    note = np.empty(len(idx), dtype=object)
    for s, texts in _LEDGER_NOTES.items():
        m = stages[stage] == s
        note[m] = np.array(texts, dtype=object)[rng.integers(0, len(texts), int(m.sum()))]
    is_reclaimed = stages[stage] == "reclaimed"
    note[is_reclaimed] = [_RECLAIMED_NOTES[m] for m in mode[idx][is_reclaimed]]
    events = pd.DataFrame({
        "plot_id": plots["plot_id"].to_numpy()[idx],
        "date": _iso(day),
        "stage": stages[stage],
        "mode": mode[idx].astype(object),
        "reclaimed_mu": mu,
        "note": note,
    })
    events = events.iloc[np.lexsort((stage, day, idx))].reset_index(drop=True)
    return events, reclaim_year, reused, np.unique(idx)


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


def _enterprises(seed: int, plots: pd.DataFrame, cut: pd.DataFrame, layout: _Layout,
                 status0: np.ndarray, reclaim_year: np.ndarray) -> gpd.GeoDataFrame:
    """One row per enterprise-year, scaled so district output matches the published totals."""
    rng = _rng(seed, 6)
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
    jitter = _rng(seed, 7).uniform(-0.015, 0.015, len(OUTPUT_2022_WAN))
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


def _projects(seed: int, plots: pd.DataFrame, cut: pd.DataFrame, layout: _Layout,
              ledger: pd.DataFrame, n_plots: int) -> gpd.GeoDataFrame:
    """Key projects (重点产业项目): on reused ledger plots, building sites and new plots."""
    rng = _rng(seed, 8)
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
    as_of = _days(AS_OF)
    supply = plots["supply_year"].to_numpy()[idx]
    reuse_day = np.array([_days(reused_on.get(p, AS_OF)) for p in pid[idx]], dtype="int64")
    lo2 = np.maximum(np.array([_days(f"{y}-01-01") for y in supply]), _days("2021-01-01"))
    lo3 = np.maximum(np.array([_days(f"{y}-01-01") for y in supply]), _days("2019-01-01"))
    start = np.select(
        [group == 1, group == 2],
        [reuse_day + rng.integers(5, 90, k),
         lo2 + (np.maximum(as_of - 30 - lo2, 1) * rng.random(k)).astype("int64")],
        lo3 + (np.maximum(_days("2022-06-30") - lo3, 1) * rng.random(k)).astype("int64"))
    start = np.minimum(start, as_of - 1)
    completion = start + rng.integers(365, 1100, k)
    completion = np.where(np.isin(stage, ("completed", "in_production")),
                          np.minimum(completion, as_of - 1), completion)
    start_iso = np.where(stage == "signed", None, _iso(start))
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
        "planned_completion": _iso(completion),
        "industry": industry,
        "synthetic": 1,
    })
    geom = shapely.point_on_surface(plots["geometry_store"].to_numpy()[idx])
    return gpd.GeoDataFrame(frame, geometry=geom, crs=STORE_CRS)


def _towns(seed: int, districts: gpd.GeoDataFrame, districts_work: dict) -> gpd.GeoDataFrame:
    """Real town codes and names on a synthetic Voronoi partition of each district."""
    rng = _rng(seed, 9)
    codes = load_town_codes()
    to_work = Transformer.from_crs(STORE_CRS, WORK_CRS, always_xy=True)
    frames = []
    for _, drow in districts.iterrows():
        d = str(drow["code"])
        t = codes[codes["district_code"].astype(str) == d].reset_index(drop=True)
        area = districts_work[d]
        pts = []
        for c in t["code"].astype(str):
            lon, lat = _TOWN_ANCHORS.get(c, (np.nan, np.nan))
            if np.isfinite(lon):
                x, y = to_work.transform(lon, lat)
            else:  # a code without an anchor: a random interior point
                x, y = shapely.get_coordinates(area.representative_point())[0]
            x, y = x + rng.normal(0, 300), y + rng.normal(0, 300)
            pts.append(_inside_anchor(shapely.Point(x, y), area, 300.0))
        cells = shapely.get_parts(shapely.voronoi_polygons(
            shapely.MultiPoint(pts), extend_to=area.envelope.buffer(10_000), ordered=True))
        cells_store = gpd.GeoSeries(cells, crs=WORK_CRS).to_crs(STORE_CRS).to_numpy()
        geoms = [_polygonal(g, min_area=0.0) for g in shapely.intersection(cells_store,
                                                                            drow.geometry)]
        frames.append(gpd.GeoDataFrame({
            "code": t["code"].astype(str), "name": t["name"].astype(str),
            "district_code": d, "geometry_source": "synthetic",
        }, geometry=geoms, crs=STORE_CRS))
    return pd.concat(frames, ignore_index=True)


def _targets(parks: pd.DataFrame) -> pd.DataFrame:
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


# ---------------------------------------------------------------------------------------------


def build_demo(
    *, seed: int = 0, n_plots: int = 4000, progress: Callable[[int], object] | None = None,
) -> dict[str, Any]:
    """Build the synthetic demo workspace: all nine layers, deterministic for a seed.

    Parameters
    ----------
    seed
        Seed of every random stream; the same seed and ``n_plots`` give identical layers.
    n_plots
        Approximate number of plots (within a few % from about 300 up; the fixed ≈ 110 km² of
        zoned land gives at least ~200 plots). Plots are a few to a few hundred mu at the
        default 4000 and smaller when ``n_plots`` is huge; district totals (output, tax, mu
        reclaimed) do not depend on it.
    progress
        Called as ``progress(1)`` after each of the ``len(BUILD_STEPS)`` steps (e.g. a
        ``tqdm(total=len(BUILD_STEPS)).update``).

    Returns
    -------
    dict
        ``{layer name: GeoDataFrame | DataFrame}`` for ``districts``, ``towns``, ``zones``,
        ``parks``, ``plots``, ``enterprises``, ``projects``, ``ledger``, ``targets`` in the
        canonical schema (:mod:`layers.schema`), geometry in EPSG:4326; plus ``"_metadata"``:
        ``{"synthetic": True, "seed", "n_plots", "description", "calibration"}``.
    """
    if n_plots < 100:
        raise ValueError(f"n_plots={n_plots} is too small for the demo: give at least 100")
    step = progress or (lambda _n: None)
    districts = load_districts()
    districts["code"] = districts["code"].astype(str)
    work = districts.to_crs(WORK_CRS)
    districts_work = dict(zip(work["code"], work.geometry, strict=True))
    step(1)

    towns = _towns(seed, districts, districts_work)
    step(1)

    layout = _layout(seed, districts_work)
    step(1)

    cut = _cut_plots(seed, layout, n_plots)
    store = gpd.GeoSeries(cut["geometry"].to_numpy(), crs=WORK_CRS).to_crs(STORE_CRS).to_numpy()
    ok = shapely.is_valid(store) & ~shapely.is_empty(store)
    cut = cut[ok].reset_index(drop=True)
    plots = _plot_attributes(seed, cut)
    plots["geometry_store"] = store[ok]
    step(1)

    status0 = plots["status"].to_numpy().copy()
    ledger, reclaim_year, reused, _ = _ledger(seed, plots, cut["district"].to_numpy())
    status = np.where(reclaim_year > 0, np.where(reused, "under_construction", "idle"), status0)
    plots["status"] = status.astype(object)
    step(1)

    enterprises = _enterprises(seed, plots, cut, layout, status0, reclaim_year)
    step(1)

    projects = _projects(seed, plots, cut, layout, ledger, n_plots)
    step(1)

    parks_frame = layout.parks.drop(columns="geometry")
    targets = _targets(parks_frame)
    step(1)

    plot_cols = ["plot_id", "land_use", "status", "register_area_m2", "floor_area_m2",
                 "supply_year", "contract_investment_wan", "contract_output_wan",
                 "contract_tax_wan"]
    out: dict[str, Any] = {
        "districts": districts[["code", "name", "geometry"]].reset_index(drop=True),
        "towns": towns,
        "zones": gpd.GeoDataFrame(
            layout.zones[["zone_id", "zone_type", "name"]].copy(),
            geometry=gpd.GeoSeries(layout.zones["geometry"].to_numpy(), crs=WORK_CRS)
            .to_crs(STORE_CRS).to_numpy(), crs=STORE_CRS),
        "parks": gpd.GeoDataFrame(
            parks_frame, geometry=gpd.GeoSeries(layout.parks["geometry"].to_numpy(),
                                                crs=WORK_CRS).to_crs(STORE_CRS).to_numpy(),
            crs=STORE_CRS),
        "plots": gpd.GeoDataFrame(plots[plot_cols], geometry=plots["geometry_store"].to_numpy(),
                                  crs=STORE_CRS),
        "enterprises": enterprises,
        "projects": projects,
        "ledger": ledger,
        "targets": targets,
    }
    out["_metadata"] = {
        "synthetic": True,
        "seed": seed,
        "n_plots": len(plots),
        "n_plots_requested": n_plots,
        "description": (
            "Synthetic demo data (合成数据) for Baoshan 310113 and Jinshan 310116. Real: the "
            "district boundaries (AMap, GCJ-02 converted to WGS84), the town codes and names "
            "(NBS 2023) and the featured parks' names and lead industries. Synthetic: every "
            "polygon but the districts (towns are a Voronoi partition, parks, zones and plots "
            "are generated shapes at plausible places), and every enterprise, project, ledger "
            "event and figure. Enterprise names end in (合成) and credit codes start with SYN; "
            "none is a real enterprise."
        ),
        "calibration": {
            BAOSHAN: "above-scale output 2022 scaled to 2634 亿元 (published 规上工业总产值) "
                     "±1.5 %; 2023 reclaimed ≈ 1600-1800 亩 against the 2000 亩 target",
            JINSHAN: "above-scale output 2022 scaled to ≈ 2000 亿元 (approximate) ±1.5 %; "
                     "reclaimed 2023-2024 ≈ 2000-2600 亩 toward 5000 亩 by 2027",
        },
    }
    step(1)
    return out
