"""Where things are: synthetic towns, 104/195/198 zones, parks and their road grids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import box
from shapely.ops import nearest_points

from geoapp.boundaries import load_town_codes
from geoapp.demo.common import BAOSHAN, DISTRICT_PREFIX, JINSHAN, random_stream
from layers.crs import STORE_CRS, WORK_CRS
from layers.units import M2_PER_KM2

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
class Layout:
    """Zones, parks and the regions plots are cut from (WORK_CRS)."""

    zones: pd.DataFrame  # zone_id, zone_type, name, district, geometry (shapely), mix
    frames: list[_Frame]  # one per zone, same order
    parks: pd.DataFrame  # park_id, name, district_code, level, lead_industries, geometry
    regions: pd.DataFrame  # zone_idx, park_id (None outside parks), geometry


class _Placer:
    """Zones placed so far, 100 m inside their district and 60 m apart (WORK_CRS)."""

    def __init__(self, districts_work: dict[str, Any], zones=(), frames=()):
        self.inner = {d: g.buffer(-100.0) for d, g in districts_work.items()}
        self.zones: list[dict] = list(zones)
        self.frames: list[_Frame] = list(frames)
        self.taken = {d: shapely.Polygon() for d in districts_work}
        for z in self.zones:
            self.taken[z["district"]] = self.taken[z["district"]].union(z["geometry"])
        self.count = {d: sum(z["district"] == d for z in self.zones) for d in districts_work}

    def add(self, district, zone_type, name, frame, local, mix):
        """Add the zone ``frame.geometry(local)`` minus what is taken; its index, or None."""
        world = frame.geometry(local)
        geom = world.intersection(self.inner[district]).difference(
            self.taken[district].buffer(60.0))
        geom = _polygonal(geom, min_area=2_000.0)
        if geom is None:
            return None
        self.taken[district] = self.taken[district].union(geom)
        self.count[district] += 1
        zid = f"{DISTRICT_PREFIX[district]}-{zone_type}-{self.count[district]:02d}"
        self.zones.append({"zone_id": zid, "zone_type": zone_type, "name": name,
                           "district": district, "geometry": geom, "mix": mix})
        self.frames.append(frame)
        return len(self.zones) - 1


def make_layout(seed: int, districts_work: dict[str, Any]) -> Layout:
    """Place the 104 blocks with their parks, then the scattered 195 and 198 areas."""
    rng = random_stream(seed, 1)
    to_work = Transformer.from_crs(STORE_CRS, WORK_CRS, always_xy=True)
    placer = _Placer(districts_work)
    inner, taken, zones, add_zone = placer.inner, placer.taken, placer.zones, placer.add
    park_parts: dict[str, list] = {p.park_id: [] for p in _PARKS}
    region_rows = []

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
    return Layout(pd.DataFrame(zones), placer.frames, pd.DataFrame(park_rows), regions)


# Zones added when more plots are asked for than the fixed layout holds: (area range km²).
_GROWTH_ZONE_KM2 = (0.4, 1.6)


def grow_zones(seed: int, layout: Layout, districts_work: dict[str, Any],
               extra_m2: float) -> Layout:
    """Add synthetic 195 zones to ``layout`` until ``extra_m2`` more land is zoned.

    The new zones (``0.4–1.6 km²``, outside parks, the district's default industry mix) are
    placed at random in each district, ``extra_m2`` shared in proportion to the districts'
    areas, at least ``150 m + 0.6 √area`` from every zone and clipped like the others (100 m
    inside the district, 60 m from other zones). The given layout's zones, parks and regions
    come first, unchanged.

    Parameters
    ----------
    seed
        Seed of the placement's own random stream (the layout's stream is not touched).
    layout
        The layout of :func:`make_layout`.
    districts_work
        District polygons in WORK_CRS (metres).
    extra_m2
        Land to add, m².

    Returns
    -------
    Layout
        The grown layout (a new object).

    Raises
    ------
    ValueError
        When the districts cannot hold ``extra_m2`` more zoned land.
    """
    rng = random_stream(seed, 1, 1)
    placer = _Placer(districts_work, layout.zones.to_dict("records"), layout.frames)
    region_rows = layout.regions.to_dict("records")
    free = {d: g.area for d, g in placer.inner.items()}
    made = 0
    for district, inner in placer.inner.items():
        goal = extra_m2 * free[district] / sum(free.values())
        minx, miny, maxx, maxy = inner.bounds
        cand = rng.uniform((minx, miny), (maxx, maxy), size=(40_000, 2))
        cand = cand[shapely.contains_xy(inner, cand[:, 0], cand[:, 1])]
        placed, k = 0.0, 0
        while placed < goal:
            if k == len(cand):
                raise ValueError(f"demo: district {district} cannot hold "
                                 f"{goal / M2_PER_KM2:.0f} km² more of zones")
            x, y = cand[k]
            k += 1
            area = rng.uniform(*_GROWTH_ZONE_KM2) * M2_PER_KM2
            taken = placer.taken[district]
            if shapely.dwithin(taken, shapely.Point(x, y), 150.0 + 0.6 * np.sqrt(area)):
                continue
            local, _ = _zone_shape_local(rng, area, int(rng.integers(0, 2)))
            frame = _Frame(x, y, np.deg2rad(rng.uniform(-30, 30)), local.bounds)
            zi = placer.add(district, "195", f"195区域扩展{made + 1:03d}(合成)", frame, local,
                            None)
            if zi is None:
                continue
            made += 1
            geom = placer.zones[zi]["geometry"]
            placed += geom.area
            region_rows.append({"zone_idx": zi, "park_id": None, "geometry": geom})
    return Layout(pd.DataFrame(placer.zones), placer.frames, layout.parks,
                  pd.DataFrame(region_rows))


def _polygonal(geom, *, min_area: float):
    """Keep the polygonal parts of ``geom`` of at least ``min_area`` m² (None if none)."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"
             and p.area >= min_area]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def make_towns(seed: int, districts: gpd.GeoDataFrame, districts_work: dict) -> gpd.GeoDataFrame:
    """Real town codes and names on a synthetic Voronoi partition of each district."""
    rng = random_stream(seed, 9)
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


