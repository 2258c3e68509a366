"""Summarise an area and measure what was drawn (geoapp.app.areas), by hand on squares."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, box, mapping

from geoapp.app import areas
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N


def _wgs84(geom):
    return gpd.GeoSeries([geom], crs=WORK_CRS).to_crs(STORE_CRS).iloc[0]


@pytest.fixture
def plots(make_plots):
    # 100 m (15 亩), 200 m (60 亩), 100 m (15 亩) squares, 50 m apart, from BASE_E
    p = make_plots(100, 200, 100, tax_wan=[30.0, 60.0, 15.0], output_wan=[300.0, 900.0, 0.0],
                   low_efficiency=[False, True, True])
    p["area_mu"] = [15.0, 60.0, 15.0]
    return p


def test_a_rectangle_over_the_first_two_squares_sums_them(plots):
    rect = _wgs84(box(BASE_E - 10, BASE_N - 10, BASE_E + 360, BASE_N + 210))
    mask = areas.plots_within(plots, rect)
    assert mask.tolist() == [True, True, False]
    reclaimed = pd.DataFrame({"plot_id": ["P2", "P3"], "reclaimed_mu": [40.0, 15.0]})
    projects = pd.DataFrame({"plot_id": ["P1", "P1", "P3", None],
                             "investment_wan": [1000.0, 500.0, 7.0, 9.0]})
    s = areas.area_summary(plots, mask, reclaimed=reclaimed, projects=projects)
    assert s.n_plots == 2
    assert s.land_mu == pytest.approx(75.0)
    assert s.tax_wan == pytest.approx(90.0)
    assert s.tax_per_mu == pytest.approx(90.0 / 75.0)      # 1.2 万元/亩, Σ/Σ, not mean of ratios
    assert s.output_per_mu == pytest.approx(1200.0 / 75.0)  # 16 万元/亩
    assert (s.n_low_efficiency, s.low_efficiency_mu) == (1, pytest.approx(60.0))
    assert (s.n_reclaimed, s.reclaimed_mu) == (1, pytest.approx(40.0))
    assert (s.n_projects, s.project_investment_wan) == (2, pytest.approx(1500.0))
    assert s.plot_ids == ("P1", "P2")
    assert [f for f, _ in s.facts()] == list(areas.SUMMARY_FIELDS)


def test_an_empty_area_has_no_land_and_no_ratio(plots):
    s = areas.area_summary(plots, np.zeros(3, dtype=bool))
    assert s.n_plots == 0 and s.land_mu == 0.0
    assert math.isnan(s.tax_per_mu)
    assert areas.plots_within(plots, None).tolist() == [False, False, False]


def test_town_and_park_masks(plots):
    plots["park_id"] = ["A", "B", "A"]
    plots["town_code"] = ["t1", "t1", None]
    assert areas.scope_mask(plots, "park", "A").tolist() == [True, False, True]
    assert areas.scope_mask(plots, "town", "t1").tolist() == [True, True, False]


def test_measure_a_100m_square_and_a_300m_line():
    sq = areas.measure(_wgs84(box(BASE_E, BASE_N, BASE_E + 100, BASE_N + 100)))
    assert sq.kind == "area"
    assert sq.area_m2 == pytest.approx(10_000.0, rel=1e-6)
    assert sq.area_mu == pytest.approx(15.0, rel=1e-6)           # 10 000 m² / 666.67
    assert sq.length_m == pytest.approx(400.0, rel=1e-6)
    line = areas.measure(_wgs84(LineString([(BASE_E, BASE_N), (BASE_E + 300, BASE_N)])))
    assert (line.kind, line.area_m2) == ("line", 0.0)
    assert line.length_m == pytest.approx(300.0, rel=1e-6)


def test_the_last_drawn_area_is_summarised():
    a = _wgs84(box(BASE_E, BASE_N, BASE_E + 10, BASE_N + 10))
    b = _wgs84(box(BASE_E, BASE_N, BASE_E + 20, BASE_N + 20))
    line = _wgs84(LineString([(BASE_E, BASE_N), (BASE_E + 1, BASE_N)]))
    feats = [{"type": "Feature", "geometry": mapping(g), "properties": {}} for g in (a, b, line)]
    feats.append({"type": "Feature", "geometry": None})
    assert areas.last_area(feats).equals(b)
    assert len(areas.drawn_shapes(feats)) == 3
    assert areas.last_area([]) is None and areas.last_area(None) is None


def test_the_card_rows_and_the_measurement_read_in_both_languages(plots):
    s = areas.area_summary(plots, np.array([True, True, False]))
    facts = dict(areas.summary_facts(s, "zh"))
    assert facts["地块数(块)"] == "2"
    assert facts["亩均税收(万元/亩)"] == "1.20"
    assert dict(areas.summary_facts(s, "en"))["Land (mu)"] == "75.00"
    sq = areas.measure(_wgs84(box(BASE_E, BASE_N, BASE_E + 100, BASE_N + 100)))
    assert areas.measure_text(sq, "zh") == "面积 10,000 m² = 15.00 亩 · 长度 400 m"
    line = areas.measure(_wgs84(LineString([(BASE_E, BASE_N), (BASE_E + 300, BASE_N)])))
    assert areas.measure_text(line, "en") == "Length 300 m"
