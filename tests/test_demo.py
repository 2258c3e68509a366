"""The synthetic demo: deterministic, geometrically sound, calibrated, labelled synthetic."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geoapp.demo import BUILD_STEPS, LAYER_NAMES, build_demo
from layers.crs import WORK_CRS
from layers.schema import LEDGER_STAGES, SCHEMAS
from layers.units import M2_PER_MU
from layers.validate import validate

N = 800
BAOSHAN, JINSHAN = "310113", "310116"


@pytest.fixture(scope="module")
def demo():
    return build_demo(seed=0, n_plots=N)


def _district_of(ids: pd.Series) -> pd.Series:
    return ids.str[:2].map({"BS": BAOSHAN, "JS": JINSHAN})


def _assert_same(a, b):
    if hasattr(a, "geometry"):
        assert_geodataframe_equal(a, b, check_less_precise=False)
    else:
        pd.testing.assert_frame_equal(a, b)


# -- determinism ------------------------------------------------------------------------------

def test_same_seed_gives_identical_layers(demo):
    again = build_demo(seed=0, n_plots=N)
    for name in LAYER_NAMES:
        _assert_same(demo[name], again[name])
    assert again["_metadata"] == demo["_metadata"]


def test_another_seed_gives_other_data(demo):
    other = build_demo(seed=1, n_plots=N)
    a, b = demo["plots"].geometry.to_numpy(), other["plots"].geometry.to_numpy()
    k = min(len(a), len(b))
    assert not shapely.equals(a[:k], b[:k]).all()
    assert other["enterprises"]["tax_wan"].sum() != demo["enterprises"]["tax_wan"].sum()
    # the real layers do not depend on the seed
    _assert_same(other["districts"], demo["districts"])
    assert other["towns"]["code"].tolist() == demo["towns"]["code"].tolist()


def test_progress_is_called_once_per_step():
    calls = []
    build_demo(seed=3, n_plots=300, progress=calls.append)
    assert calls == [1] * len(BUILD_STEPS)


def test_too_few_plots_is_refused():
    with pytest.raises(ValueError, match="n_plots"):
        build_demo(n_plots=10)


# -- every layer is canonical and labelled synthetic ------------------------------------------

def test_every_layer_passes_schema_validation(demo):
    refs = {
        "plots": set(demo["plots"]["plot_id"]),
        "parks": set(demo["parks"]["park_id"]),
        "districts": set(demo["districts"]["code"]),
    }
    for name in LAYER_NAMES:
        frame = demo[name]
        assert set(SCHEMAS[name].required) <= set(frame.columns), name
        if hasattr(frame, "crs") and "geometry" in frame.columns:
            assert frame.crs.to_epsg() == 4326, name
        _, report = validate(frame, SCHEMAS[name], references=refs)
        assert report.ok, (name, [str(p) for p in report.problems[:5]])


def test_synthetic_layers_are_labelled(demo):
    for name in ("parks", "enterprises", "projects"):
        assert (demo[name]["synthetic"] == 1).all(), name
    assert (demo["towns"]["geometry_source"] == "synthetic").all()
    meta = demo["_metadata"]
    assert meta["synthetic"] is True and meta["seed"] == 0 and meta["n_plots"] == len(demo["plots"])
    assert "合成" in meta["description"]


def test_no_enterprise_or_project_pretends_to_be_real(demo):
    ent = demo["enterprises"]
    assert ent["name"].str.contains("合成", regex=False).all()
    assert demo["projects"]["name"].str.contains("合成", regex=False).all()
    assert ent["credit_code"].str.startswith("SYN").all()
    # a real 统一社会信用代码 has 18 characters from 0-9 and A-Z without I, O, Z, S, V
    real_alphabet = re.compile(r"^[0-9ABCDEFGHJKLMNPQRTUWXY]{18}$")
    assert not ent["credit_code"].str.match(real_alphabet).any()


def test_real_districts_towns_and_parks(demo):
    assert demo["districts"]["code"].tolist() == [BAOSHAN, JINSHAN]
    towns = demo["towns"]
    assert (towns["district_code"] == BAOSHAN).sum() == 13
    assert (towns["district_code"] == JINSHAN).sum() == 11
    assert {"310113501", "310116503"} <= set(towns["code"])
    parks = demo["parks"].set_index("name")
    assert parks.loc["北上海生物医药产业园", "lead_industries"] == "biomed"
    assert parks.loc["上海机器人产业园", "lead_industries"] == "robotics;equipment"
    assert parks.loc["碳谷绿湾产业园", "district_code"] == JINSHAN
    assert parks.loc["上海湾区高新技术产业开发区", "level"] == "municipal"
    area_km2 = parks.geometry.to_crs(WORK_CRS).area / 1e6
    assert area_km2["北上海生物医药产业园"] == pytest.approx(6.86, rel=0.1)
    assert area_km2.between(1.0, 8.0).all()


# -- geometry -----------------------------------------------------------------------------------

def test_plot_count_is_near_the_request(demo):
    assert abs(len(demo["plots"]) - N) <= 0.1 * N
    assert demo["plots"]["plot_id"].str.match(r"^(BS|JS)-\d{6}$").all()


def test_plots_do_not_overlap(demo):
    geoms = demo["plots"].geometry.to_crs(WORK_CRS)
    total = geoms.area.sum()
    union = shapely.union_all(geoms.to_numpy()).area
    assert union == pytest.approx(total, rel=1e-6)


def test_plots_are_valid_polygons_inside_their_district(demo):
    plots = demo["plots"]
    assert plots.geometry.is_valid.all()
    assert (plots.geometry.geom_type == "Polygon").all()
    districts = demo["districts"].set_index("code").geometry
    inside = plots.geometry.within(districts.loc[_district_of(plots["plot_id"])].set_axis(
        plots.index))
    assert inside.all()


def test_plot_sizes_look_real(demo):
    mu = demo["plots"].geometry.to_crs(WORK_CRS).area / M2_PER_MU
    assert mu.min() > 0.1
    assert 20 < mu.median() < 400  # n_plots=800 over ~140 000 mu of zoned land


def test_register_area_differs_on_a_few_plots_only(demo):
    plots = demo["plots"]
    area = plots.geometry.to_crs(WORK_CRS).area
    off = (plots["register_area_m2"] - area).abs() > 0.01 * area.clip(lower=1) / 100
    assert 0 < off.sum() < 0.15 * len(plots)


def test_towns_tile_their_district(demo):
    stored = demo["districts"].set_index("code").geometry
    towns = demo["towns"].to_crs(WORK_CRS)
    districts = demo["districts"].to_crs(WORK_CRS).set_index("code")
    for code, group in towns.groupby("district_code"):
        # cut in WGS84 from the stored district: nothing sticks out (beyond float noise)
        outside = demo["towns"].loc[group.index].geometry.difference(stored[code])
        assert (outside.to_crs(WORK_CRS).area < 1e-3).all()
        district = districts.geometry[code]
        union = shapely.union_all(group.geometry.to_numpy())
        assert group.area.sum() == pytest.approx(union.area, rel=1e-9)  # no overlaps
        # no gaps; the residue is the bending of long straight lon/lat edges in UTM (mm)
        assert union.area == pytest.approx(district.area, rel=1e-5)
        assert (group.area > 1e6).all()  # every town has land


def test_parks_and_zones_do_not_overlap_and_sit_in_their_district(demo):
    for name in ("parks", "zones"):
        geoms = demo[name].geometry.to_crs(WORK_CRS)
        assert shapely.union_all(geoms.to_numpy()).area == pytest.approx(geoms.area.sum(),
                                                                         rel=1e-9)
    districts = demo["districts"].set_index("code").geometry
    parks = demo["parks"]
    assert parks.geometry.within(
        districts.loc[parks["district_code"]].set_axis(parks.index)).all()
    zones = demo["zones"]
    assert zones.geometry.within(
        districts.loc[_district_of(zones["zone_id"])].set_axis(zones.index)).all()
    counts = zones["zone_type"].value_counts()
    assert set(counts.index) == {"104", "195", "198"}
    # the featured parks lie in the 104 blocks
    blocks = shapely.union_all(zones.loc[zones["zone_type"] == "104"].geometry.to_numpy())
    assert parks.geometry.within(blocks.buffer(1e-7)).all()


# -- enterprises ----------------------------------------------------------------------------------

def test_every_enterprise_point_is_inside_its_plot(demo):
    ent = demo["enterprises"]
    plots = demo["plots"].set_index("plot_id").geometry
    assert ent.geometry.within(plots.loc[ent["plot_id"]].set_axis(ent.index)).all()


def test_baoshan_2022_above_scale_output_matches_the_published_total(demo):
    ent = demo["enterprises"]
    sel = (_district_of(ent["plot_id"]) == BAOSHAN) & (ent["scale"] == "above") \
        & (ent["year"] == 2022)
    assert ent.loc[sel, "output_wan"].sum() == pytest.approx(26_340_000, rel=0.05)
    sel_js = (_district_of(ent["plot_id"]) == JINSHAN) & (ent["scale"] == "above") \
        & (ent["year"] == 2022)
    assert ent.loc[sel_js, "output_wan"].sum() == pytest.approx(20_000_000, rel=0.05)


def test_tax_per_mu_and_growth_are_plausible(demo):
    ent = demo["enterprises"]
    plots = demo["plots"]
    land_mu = (plots.geometry.to_crs(WORK_CRS).area / M2_PER_MU).groupby(
        _district_of(plots["plot_id"])).sum()
    tax = ent.groupby([_district_of(ent["plot_id"]), "year"])["tax_wan"].sum().unstack()
    per_mu = tax[2022] / land_mu
    assert per_mu.between(10, 99).all(), per_mu  # tens of 万元 per mu
    above = ent[ent["scale"] == "above"]
    out = above.groupby([_district_of(above["plot_id"]), "year"])["output_wan"].sum().unstack()
    growth = out[2022] / out[2021] - 1
    assert growth.between(0.0, 0.15).all(), growth
    va = above["value_added_wan"] / above["output_wan"]
    assert va.between(0.19, 0.31).all()


def test_enterprise_mix(demo):
    ent = demo["enterprises"]
    assert ent.duplicated(["ent_id", "year"]).sum() == 0
    assert set(ent["year"]) == {2021, 2022, 2023}
    y23 = ent[ent["year"] == 2023]
    tenants = y23.groupby("plot_id")["ent_id"].nunique()
    assert (tenants >= 2).any()  # 标准厂房 shared by several firms
    shared = y23[y23["plot_id"].isin(tenants[tenants >= 2].index)]
    assert shared["floor_area_m2"].notna().any()
    below = ent[ent["scale"] == "below"]
    assert len(below) > 0 and (below["output_wan"] < 2000).all()
    assert below["value_added_wan"].isna().all()
    assert (ent.groupby("ent_id")["utility"].max() == 1).sum() >= 4
    assert (ent.groupby("ent_id")["start_year"].max() >= 2022).any()  # recent, unrated


def test_park_firms_lean_to_the_lead_industry(demo):
    ent = demo["enterprises"]
    parks = demo["parks"]
    plots = demo["plots"]
    bio = parks.loc[parks["name"] == "北上海生物医药产业园"].geometry.iloc[0]
    in_bio = plots.loc[plots.geometry.representative_point().within(bio), "plot_id"]
    share = (ent.loc[ent["plot_id"].isin(in_bio), "industry"] == "biomed").mean()
    assert share > 0.5


# -- ledger, projects, targets ------------------------------------------------------------------

def _ledger(demo):
    led = demo["ledger"]
    return led.assign(district=_district_of(led["plot_id"]), year=led["date"].str[:4])


def test_baoshan_reclaimed_2023_is_short_of_the_target(demo):
    led = _ledger(demo)
    sel = (led["district"] == BAOSHAN) & (led["stage"] == "reclaimed") & (led["year"] == "2023")
    assert 1000 <= led.loc[sel, "reclaimed_mu"].sum() <= 1999


def test_jinshan_reclaimed_2023_2024_is_on_the_way_to_5000(demo):
    led = _ledger(demo)
    sel = (led["district"] == JINSHAN) & (led["stage"] == "reclaimed") \
        & led["year"].isin(["2023", "2024"])
    assert 1500 <= led.loc[sel, "reclaimed_mu"].sum() <= 3000


def test_ledger_stages_only_move_forward_with_increasing_dates(demo):
    led = demo["ledger"]
    rank = led["stage"].map({s: i for i, s in enumerate(LEDGER_STAGES)})
    for _, events in led.assign(rank=rank).groupby("plot_id"):
        assert events["rank"].is_monotonic_increasing and events["rank"].is_unique
        assert events["date"].is_monotonic_increasing and events["date"].is_unique
        assert events["rank"].iloc[0] == 0  # every plot starts identified
        assert events["mode"].nunique() == 1
    dates = pd.to_datetime(led["date"])
    assert dates.min() >= pd.Timestamp("2022-01-01")
    assert dates.max() <= pd.Timestamp("2024-06-30")


def test_reclaimed_mu_fits_the_plot_and_some_plots_are_stalled(demo):
    led = demo["ledger"]
    mu = (demo["plots"].set_index("plot_id").geometry.to_crs(WORK_CRS).area / M2_PER_MU)
    rec = led[led["stage"] == "reclaimed"]
    assert rec["reclaimed_mu"].notna().all()
    assert (rec["reclaimed_mu"].to_numpy() <= mu.loc[rec["plot_id"]].to_numpy()).all()
    assert (rec["reclaimed_mu"] > 0).all()
    last = led.groupby("plot_id").agg(date=("date", "max"), stage=("stage", "last"))
    stalled = last["stage"].isin(["identified", "in_progress"]) \
        & (pd.to_datetime(last["date"]) < pd.Timestamp("2024-06-30") - pd.Timedelta(days=180))
    assert stalled.any()
    assert set(led["mode"]) <= {"vacate", "acquire", "lease", "codevelop", "upgrade"}


def test_projects(demo):
    proj = demo["projects"]
    assert len(proj) == max(20, min(150, N // 25))
    assert proj["investment_wan"].between(1e4, 5e5).all()
    assert proj["plot_id"].isin(demo["ledger"]["plot_id"]).any()  # some on reclaimed land
    plots = demo["plots"].set_index("plot_id").geometry
    assert proj.geometry.within(plots.loc[proj["plot_id"]].set_axis(proj.index)).all()
    started = proj["start_date"].notna()
    assert (proj.loc[started, "planned_completion"] > proj.loc[started, "start_date"]).all()
    assert proj["park_id"].dropna().isin(demo["parks"]["park_id"]).all()


def test_targets(demo):
    t = demo["targets"].set_index(["scope_id", "year", "metric"])
    assert t.loc[(BAOSHAN, 2023, "reclaimed_mu"), "value"] == 2000
    assert t.loc[(BAOSHAN, 2023, "reclaimed_plots"), "value"] == 100
    assert t.loc[(BAOSHAN, 2023, "tax_per_mu_growth"), "value"] == pytest.approx(0.10)
    cum = t.loc[(JINSHAN, 2027, "reclaimed_mu_cumulative")]
    assert cum["value"] == 5000 and cum["since_year"] == 2023
    for year in (2022, 2023):
        assert t.loc[(JINSHAN, year, "output_per_mu_growth"), "value"] == pytest.approx(0.08)
        assert t.loc[(JINSHAN, year, "tax_per_mu_growth"), "value"] == pytest.approx(0.10)
    parks = demo["targets"].query("scope_type == 'park'")
    assert len(parks) >= 5 and parks["scope_id"].isin(demo["parks"]["park_id"]).all()
    assert demo["targets"]["source"].notna().all()


def test_district_totals_do_not_depend_on_plot_count(demo):
    small = build_demo(seed=0, n_plots=300)
    ent = small["enterprises"]
    sel = (_district_of(ent["plot_id"]) == BAOSHAN) & (ent["scale"] == "above") \
        & (ent["year"] == 2022)
    assert ent.loc[sel, "output_wan"].sum() == pytest.approx(26_340_000, rel=0.05)
    led = _ledger(small)
    rec = (led["district"] == BAOSHAN) & (led["stage"] == "reclaimed") & (led["year"] == "2023")
    assert 1000 <= led.loc[rec, "reclaimed_mu"].sum() <= 1999
    assert np.isclose(len(small["plots"]), 300, rtol=0.1)


# -- more plots than the fixed zones hold -----------------------------------------------------

def test_more_plots_than_the_fixed_zones_hold_grow_the_zones(demo):
    # the grown path, cheaply: the fixed layout "holds" 1500 plots here instead of 1.4 million
    grown = build_demo(seed=0, n_plots=2000, fixed_layout_plots=1500)
    zones, fixed = grown["zones"].to_crs(WORK_CRS), demo["zones"].to_crs(WORK_CRS)
    n_fixed = len(fixed)
    # the fixed layout comes first, unchanged; the added zones are synthetic 195 zones
    assert zones.geometry.iloc[:n_fixed].equals(fixed.geometry)
    assert zones["zone_id"].iloc[:n_fixed].tolist() == fixed["zone_id"].tolist()
    added = zones.iloc[n_fixed:]
    assert len(added) > 20 and (added["zone_type"] == "195").all()
    assert added["name"].str.endswith("(合成)").all()
    # zoned land grows as n_plots / (0.8 × 1500): 109 km² × 1.667 ≈ 182 km² (a zone over)
    zoned_m2, fixed_m2 = zones.area.sum(), fixed.area.sum()
    assert fixed_m2 == pytest.approx(108.95e6, rel=1e-3)
    assert zoned_m2 / fixed_m2 == pytest.approx(2000 / 1200, abs=0.04)
    # shared by the districts' areas: Jinshan (667 km²) gets about twice Baoshan's (316 km²)
    by_district = added.area.groupby(_district_of(added["zone_id"])).sum()
    assert by_district[JINSHAN] / by_district[BAOSHAN] == pytest.approx(667 / 316, rel=0.15)
    # no overlaps, every zone inside its district
    assert shapely.union_all(zones.geometry.to_numpy()).area == pytest.approx(zoned_m2, rel=1e-9)
    districts = grown["districts"].set_index("code").geometry
    assert grown["zones"].geometry.within(
        districts.loc[_district_of(grown["zones"]["zone_id"])].set_axis(zones.index)).all()

    plots = grown["plots"]
    assert abs(len(plots) - 2000) <= 0.05 * 2000
    assert plots["plot_id"].str.match(r"^(BS|JS)-\d{6}$").all()
    assert plots.geometry.is_valid.all()
    assert plots.geometry.within(districts.loc[_district_of(plots["plot_id"])].set_axis(
        plots.index)).all()
    # every plot lies in a zone (up to the lon/lat round trip), and many in the added ones
    work = plots.geometry.to_crs(WORK_CRS)
    union = shapely.union_all(zones.geometry.to_numpy())
    assert (shapely.area(shapely.intersection(work.to_numpy(), union)) / work.area
            > 0.999).all()
    assert work.intersects(shapely.union_all(added.geometry.to_numpy())).sum() > 600
    # areas in mu, measured in metres: lots of ≈ 80 000 m² fill ≈ 88 % of the zones
    mu = work.area / M2_PER_MU
    assert mu.sum() * M2_PER_MU / zoned_m2 == pytest.approx(0.88, abs=0.04)
    assert 50 < mu.median() < 110
    # district totals stay calibrated; the metadata says what was done
    ent = grown["enterprises"]
    sel = (_district_of(ent["plot_id"]) == BAOSHAN) & (ent["scale"] == "above") \
        & (ent["year"] == 2022)
    assert ent.loc[sel, "output_wan"].sum() == pytest.approx(26_340_000, rel=0.05)
    meta = grown["_metadata"]
    assert meta["synthetic"] is True
    assert f"{len(added)} more synthetic 195 zones" in meta["description"]
    assert "scale test" in meta["description"]
    assert "scale test" not in demo["_metadata"]["description"]
