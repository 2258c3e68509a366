"""Concentration: lead share, LQ and Herfindahl on a hand-built case (synthetic parks and firms)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from analysis.concentration import (
    assign_parks,
    herfindahl_index,
    lead_industry_outside_parks,
    location_quotient,
    park_concentration_summary,
    park_industry_concentration,
)
from analysis.density import enterprise_points
from analysis.industries import lead_industry_list
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N

# Two 1 km square parks in one district, 1 km apart:
#   P1 [E, E+1000]      lead "biomed;ic"
#   P2 [E+2000, E+3000] lead "auto;robotics"
# Enterprises (output 万元, synthetic):
#   in P1 at x=E+500:   E1 biomed 60, E2 ic 30, E3 auto 10          → P1 total 100
#   in P2 at x=E+2500:  E4 auto 50, E5 biomed 50                    → P2 total 100
#   outside at x=E+5000: E6 auto 90, E7 biomed 10
# District totals: biomed 60+50+10 = 120, ic 30, auto 10+50+90 = 150, all 300.


@pytest.fixture
def parks():
    geoms = [
        box(BASE_E, BASE_N, BASE_E + 1000, BASE_N + 1000),
        box(BASE_E + 2000, BASE_N, BASE_E + 3000, BASE_N + 1000),
    ]
    return gpd.GeoDataFrame(
        {
            "park_id": ["P1", "P2"],
            "name": ["合成园区一", "合成园区二"],
            "district_code": ["310113", "310113"],
            "level": ["district", "district"],
            "lead_industries": ["biomed;ic", "auto；robotics"],  # full-width ； accepted
        },
        geometry=geoms,
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)


@pytest.fixture
def firms(make_points):
    coords = [(BASE_E + 500, BASE_N + 500)] * 3 + [(BASE_E + 2500, BASE_N + 500)] * 2
    coords += [(BASE_E + 5000, BASE_N + 500), (BASE_E + 5000, BASE_N + 600)]
    return make_points(
        coords,
        ent_id=[f"E{i}" for i in range(1, 8)],
        name=[f"合成企业{i}" for i in range(1, 8)],
        industry=["biomed", "ic", "auto", "auto", "biomed", "auto", "biomed"],
        output_wan=[60.0, 30.0, 10.0, 50.0, 50.0, 90.0, 10.0],
        tax_wan=[6.0, 3.0, 1.0, 5.0, 5.0, 9.0, 1.0],
        year=[2023] * 7,
    )


def row(table, park, industry):
    found = table[(table["park_id"] == park) & (table["industry"] == industry)]
    assert len(found) == 1
    return found.iloc[0]


def test_location_quotient_by_hand_and_alignment():
    idx = pd.Index(["a", "b", "c"])
    lq = location_quotient(
        pd.Series([60.0, 0.0, 5.0], index=idx),
        pd.Series([100.0, 100.0, 0.0], index=idx),
        pd.Series([120.0, 0.0, 5.0], index=idx),
        pd.Series([300.0, 300.0, 10.0], index=idx),
    )
    assert lq.name == "location_quotient"
    assert lq.index.equals(idx)
    assert lq["a"] == pytest.approx(1.5)  # (60/100) / (120/300) = 0.6 / 0.4
    assert np.isnan(lq["b"])  # reference share 0 → NaN, never inf
    assert np.isnan(lq["c"])  # local total 0 → NaN


def test_herfindahl_by_hand():
    amounts = pd.DataFrame(
        {"biomed": [60.0, 50.0, 0.0], "ic": [30.0, 0.0, 0.0], "auto": [10.0, 50.0, np.nan]},
        index=["P1", "P2", "P3"],
    )
    hhi = herfindahl_index(amounts)
    assert hhi.name == "hhi"
    assert hhi.index.equals(amounts.index)
    assert hhi["P1"] == pytest.approx(0.46)  # 0.6² + 0.3² + 0.1² = 0.36 + 0.09 + 0.01
    assert hhi["P2"] == pytest.approx(0.5)  # 0.5² + 0.5²
    assert np.isnan(hhi["P3"])  # nothing in the park


def test_lead_industry_list():
    assert lead_industry_list("biomed; ic;;biomed") == ["biomed", "ic"]
    assert lead_industry_list("auto；robotics、ic") == ["auto", "robotics", "ic"]
    assert lead_industry_list(None) == []
    assert lead_industry_list(np.nan) == []


def test_concentration_table_by_hand(parks, firms):
    table = park_industry_concentration(firms, parks)
    p1_bio = row(table, "P1", "biomed")
    assert p1_bio["amount"] == 60.0 and p1_bio["park_amount"] == 100.0
    assert p1_bio["share"] == pytest.approx(0.6)
    assert p1_bio["lq_district"] == pytest.approx(1.5)  # 0.6 / (120/300)
    assert row(table, "P1", "ic")["lq_district"] == pytest.approx(3.0)  # 0.3 / (30/300)
    assert row(table, "P1", "auto")["lq_district"] == pytest.approx(0.2)  # 0.1 / (150/300)
    assert row(table, "P2", "auto")["lq_district"] == pytest.approx(1.0)  # 0.5 / 0.5
    assert row(table, "P2", "biomed")["lq_district"] == pytest.approx(1.25)  # 0.5 / 0.4
    assert table["lq_city"].isna().all()  # one district only
    # Herfindahl and lead share are park-level, repeated on the park's rows.
    assert table.loc[table["park_id"] == "P1", "hhi"].tolist() == pytest.approx([0.46] * 3)
    assert table.loc[table["park_id"] == "P2", "hhi"].tolist() == pytest.approx([0.5] * 3)
    assert p1_bio["lead_share"] == pytest.approx(0.9)  # biomed 0.6 + ic 0.3
    assert row(table, "P2", "auto")["lead_share"] == pytest.approx(0.5)  # auto 0.5 + robotics 0
    # Ranks: P1 biomed 1, ic 2, auto 3; P2 auto and biomed tie at 1; robotics absent.
    assert [row(table, "P1", i)["rank"] for i in ("biomed", "ic", "auto")] == [1, 2, 3]
    assert row(table, "P2", "auto")["rank"] == 1 and row(table, "P2", "biomed")["rank"] == 1
    robotics = row(table, "P2", "robotics")
    assert robotics["is_lead"] and robotics["amount"] == 0.0 and robotics["n_enterprises"] == 0
    assert pd.isna(robotics["rank"]) and not robotics["in_top"]
    assert row(table, "P1", "ic")["is_lead"] and not row(table, "P1", "auto")["is_lead"]
    assert len(table) == 6


def test_park_summary_and_top_n(parks, firms):
    summary = park_concentration_summary(park_industry_concentration(firms, parks))
    assert summary.loc["P1", "leads_in_top"]  # biomed 1, ic 2 ≤ 3
    assert not summary.loc["P2", "leads_in_top"]  # robotics absent
    assert summary.loc["P2", "lead_ranks"] == "auto:1;robotics:-"
    assert summary.loc["P2", "top_industry"] == "auto;biomed"
    strict = park_concentration_summary(park_industry_concentration(firms, parks, top_n=1))
    assert not strict.loc["P1", "leads_in_top"]  # ic ranks 2


def test_city_lq_when_two_districts(parks, firms):
    # District 310113 holds both parks; 310116 (x ≥ E+4000) holds E6 and E7.
    districts = gpd.GeoDataFrame(
        {"code": ["310113", "310116"], "name": ["宝山区", "金山区"]},
        geometry=[
            box(BASE_E - 100, BASE_N - 100, BASE_E + 4000, BASE_N + 1100),
            box(BASE_E + 4000, BASE_N - 100, BASE_E + 6000, BASE_N + 1100),
        ],
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    table = park_industry_concentration(firms, parks, districts=districts)
    # District 310113: biomed 110, ic 30, auto 60 → 200. City: as before, 300.
    p1_bio = row(table, "P1", "biomed")
    assert p1_bio["lq_district"] == pytest.approx(0.6 / (110 / 200))
    assert p1_bio["lq_city"] == pytest.approx(1.5)
    assert row(table, "P2", "auto")["lq_city"] == pytest.approx(1.0)
    assert row(table, "P2", "auto")["lq_district"] == pytest.approx(0.5 / (60 / 200))


def test_count_measure(parks, firms):
    table = park_industry_concentration(firms, parks, measure="count")
    # P1 has 3 firms, one per industry; district has 3 biomed, 1 ic, 3 auto of 7.
    assert row(table, "P1", "ic")["share"] == pytest.approx(1 / 3)
    assert row(table, "P1", "ic")["lq_district"] == pytest.approx((1 / 3) / (1 / 7))
    assert row(table, "P1", "ic")["hhi"] == pytest.approx(3 * (1 / 3) ** 2)


def test_plot_park_ids_win_over_points(parks, firms, make_plots):
    plots = gpd.GeoDataFrame(
        {"plot_id": ["L1"], "park_id": ["P2"]},
        geometry=[box(BASE_E + 400, BASE_N + 400, BASE_E + 600, BASE_N + 600)],
        crs=WORK_CRS,
    ).to_crs(STORE_CRS)
    ents = firms.assign(plot_id=["L1", None, None, None, None, None, None])
    ents.index = range(100, 107)
    park = assign_parks(ents, parks, plots=plots)
    assert park.index.equals(ents.index)
    assert park.tolist()[:7] == ["P2", "P1", "P1", "P2", "P2", pd.NA, pd.NA]


def test_lead_industry_outside_parks(parks, firms):
    out = lead_industry_outside_parks(firms, parks)
    assert list(out.columns) == [
        "ent_id", "name", "industry", "park_id", "nearest_park_id", "nearest_park_name",
        "distance_m",
    ]
    got = {(r.ent_id, r.industry): (r.park_id, r.nearest_park_id, r.distance_m)
           for r in out.itertuples()}
    assert set(got) == {("E3", "auto"), ("E6", "auto"), ("E5", "biomed"), ("E7", "biomed")}
    assert got[("E3", "auto")][:2] == ("P1", "P2")
    assert got[("E3", "auto")][2] == pytest.approx(1500.0, abs=0.01)  # x 500 → P2 edge 2000
    assert pd.isna(got[("E6", "auto")][0])
    assert got[("E6", "auto")][2] == pytest.approx(2000.0, abs=0.01)  # 5000 → 3000
    assert got[("E5", "biomed")][1:] == ("P1", pytest.approx(1500.0, abs=0.01))
    assert got[("E7", "biomed")][2] == pytest.approx(4000.0, abs=0.01)  # 5000 → 1000
    assert out["industry"].tolist() == ["auto", "auto", "biomed", "biomed"]


def test_points_located_once_are_used_and_checked(parks, firms):
    points = enterprise_points(firms)
    pd.testing.assert_frame_equal(
        park_industry_concentration(firms, parks, points=points),
        park_industry_concentration(firms, parks),
    )
    # E6 (auto, x 5000: outside) placed inside P2 by the points handed in: no longer listed.
    moved = points.copy()
    moved.iloc[5] = gpd.GeoSeries(
        [Point(BASE_E + 2500, BASE_N + 500)], crs=WORK_CRS
    ).to_crs(STORE_CRS).iloc[0]
    out = lead_industry_outside_parks(firms, parks, points=moved)
    assert "E6" not in out["ent_id"].tolist() and "E7" in out["ent_id"].tolist()
    assert assign_parks(firms, parks, points=moved).iloc[5] == "P2"
    with pytest.raises(ValueError, match="indexed like enterprises"):
        assign_parks(firms, parks, points=points.set_axis(range(10, 17)))
