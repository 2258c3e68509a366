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
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geoapp.boundaries import load_districts
from geoapp.demo.common import BAOSHAN, JINSHAN
from geoapp.demo.economy import make_enterprises, make_projects, make_targets
from geoapp.demo.layout import grow_zones, make_layout, make_towns
from geoapp.demo.ledger import make_ledger
from geoapp.demo.plots import cut_plots, plot_attributes
from layers.crs import STORE_CRS, WORK_CRS

BUILD_STEPS = (
    "districts", "towns", "zones and parks", "plots", "ledger", "enterprises", "projects",
    "targets", "store",
)
"""The steps of :func:`build_demo`; ``progress(1)`` is called after each."""

FIXED_LAYOUT_PLOTS = 1_400_000
"""Up to this many requested plots the zones are the fixed layout's (≈ 109 km²); above it,
:func:`build_demo` adds zones (see its ``fixed_layout_plots``)."""
GROWN_LAND_SHARE = 0.8
"""Above :data:`FIXED_LAYOUT_PLOTS`, each requested plot gets the zoned land a plot gets at
``GROWN_LAND_SHARE × FIXED_LAYOUT_PLOTS`` requested plots (1.12 million: lots of ≈ 80 m², where
the fixed layout's calibration still lands on its count)."""

LAYER_NAMES = (
    "districts", "towns", "zones", "parks", "plots", "enterprises", "projects", "ledger",
    "targets",
)

# ---------------------------------------------------------------------------------------------


def build_demo(
    *, seed: int = 0, n_plots: int = 4000, progress: Callable[[int], object] | None = None,
    fixed_layout_plots: int = FIXED_LAYOUT_PLOTS,
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
        reclaimed) do not depend on it. Above ``fixed_layout_plots`` the two districts get
        more synthetic 195 zones (:func:`geoapp.demo.layout.grow_zones`) so the zoned land
        grows with ``n_plots`` (``n_plots / (0.8 fixed_layout_plots)`` times the fixed
        layout's): 2 000 000 plots cut ≈ 195 km² of zones into lots of ≈ 80 m², 3 000 000
        about 290 km² (of the districts' 856 km²).
    progress
        Called as ``progress(1)`` after each of the ``len(BUILD_STEPS)`` steps (e.g. a
        ``tqdm(total=len(BUILD_STEPS)).update``).
    fixed_layout_plots
        Requested plots up to which the zones are the fixed layout's (:data:`FIXED_LAYOUT_PLOTS`;
        tests lower it to exercise the grown layout cheaply).

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

    towns = make_towns(seed, districts, districts_work)
    step(1)

    layout = make_layout(seed, districts_work)
    n_fixed = len(layout.zones)
    fixed_m2 = sum(g.area for g in layout.zones["geometry"])
    grown = n_plots > fixed_layout_plots
    if grown:
        extra_m2 = fixed_m2 * (n_plots / (GROWN_LAND_SHARE * fixed_layout_plots) - 1)
        layout = grow_zones(seed, layout, districts_work, extra_m2)
    zoned_m2 = sum(g.area for g in layout.zones["geometry"])
    step(1)

    cut = cut_plots(seed, layout, n_plots)
    store = gpd.GeoSeries(cut["geometry"].to_numpy(), crs=WORK_CRS).to_crs(STORE_CRS).to_numpy()
    ok = shapely.is_valid(store) & ~shapely.is_empty(store)
    cut = cut[ok].reset_index(drop=True)
    plots = plot_attributes(seed, cut)
    plots["geometry_store"] = store[ok]
    step(1)

    status0 = plots["status"].to_numpy().copy()
    ledger, reclaim_year, reused, _ = make_ledger(seed, plots, cut["district"].to_numpy())
    status = np.where(reclaim_year > 0, np.where(reused, "under_construction", "idle"), status0)
    plots["status"] = status.astype(object)
    step(1)

    enterprises = make_enterprises(seed, plots, cut, layout, status0, reclaim_year)
    step(1)

    projects = make_projects(seed, plots, cut, layout, ledger, n_plots)
    step(1)

    parks_frame = layout.parks.drop(columns="geometry")
    targets = make_targets(parks_frame)
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
            + (f" At {n_plots} requested plots (more than the {fixed_layout_plots} the fixed "
               f"{fixed_m2 / 1e6:.0f} km² of zones hold), {len(layout.zones) - n_fixed} more "
               "synthetic 195 zones were placed at random inside the two districts "
               f"({zoned_m2 / 1e6:.0f} km² of zones in all, a plot per "
               f"{zoned_m2 / len(plots):.0f} m² of zone): a scale test, not a plausible layout."
               if grown else "")
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
