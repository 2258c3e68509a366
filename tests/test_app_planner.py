"""A selection zooms the map and is summarised; search finds parks and towns; tile errors."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely

from geoapp import maps
from geoapp.app import areas, cards, filtering, selection, stage_results, tables, viewing
from layers.crs import STORE_CRS
from tests.conftest import BASE_E, BASE_N
from tests.test_app_data import _data, analysed, firms, three_plots  # noqa: F401  (fixtures)


def _park_town():
    park = gpd.GeoDataFrame(
        {"park_id": ["K1"], "name": ["测试园区(合成)"], "district_code": ["310113"],
         "level": ["district"], "lead_industries": ["biomed"]},
        geometry=[shapely.box(BASE_E - 10, BASE_N - 10, BASE_E + 400, BASE_N + 300)],
        crs="EPSG:32651").to_crs(STORE_CRS)
    town = gpd.GeoDataFrame(
        {"code": ["310113101"], "name": ["测试镇(合成)"], "district_code": ["310113"]},
        geometry=[shapely.box(BASE_E - 100, BASE_N - 100, BASE_E + 700, BASE_N + 400)],
        crs="EPSG:32651").to_crs(STORE_CRS)
    return park, town


def test_selection_view_fits_the_selected_plots(three_plots, firms):  # noqa: F811
    data = _data(three_plots, enterprises=firms)
    mask = np.array([True, True, False])
    center, zoom = selection.selection_view(data, mask, width_px=900, height_px=620)
    w, s, e, n = data.plots[mask].total_bounds
    assert center == pytest.approx([(s + n) / 2, (w + e) / 2])
    assert zoom == min(selection.MAX_FLY_ZOOM, viewing.fit_zoom((w, s, e, n), width_px=900,
                                                                height_px=620))
    assert selection.selection_view(data, np.zeros(3, dtype=bool)) is None
    one = selection.selected_mask(data, ("plot", "P2"))
    assert one.tolist() == [False, True, False]
    assert selection.selection_view(data, one)[1] <= selection.MAX_FLY_ZOOM
    assert not selection.selected_mask(data, None).any()


def test_selection_summary_is_the_area_summary(three_plots, firms):  # noqa: F811
    data = _data(three_plots, enterprises=firms)
    mask = filtering.filter_mask(data.plots, filtering.Filters())
    mask[2] = False
    facts = dict(selection.selection_facts(data, mask))
    assert facts == dict(areas.summary_facts(areas.data_summary(data, mask)))
    assert facts["地块数(块)"] == "2"
    assert facts["用地面积(亩)"] == "75.00"
    assert selection.filtered_ids(data, np.ones(3, dtype=bool)) is None
    assert selection.filtered_ids(data, mask) == {"P1", "P2"}


def test_projects_honour_the_filters(three_plots, make_points):  # noqa: F811
    pts = make_points([(BASE_E + 50, BASE_N + 50), (BASE_E + 450, BASE_N + 50)],
                      project_id=["J1", "J2"], name=["一(合成)", "二(合成)"],
                      stage=["construction", "signed"], plot_id=["P1", "P3"],
                      investment_wan=[100.0, 200.0])
    data = _data(three_plots, projects=pts)
    everything = maps.vector.projects_layer(data)
    assert everything.data.count('"k":"project"') == 2
    one = maps.vector.projects_layer(data, keep={"P1"})
    assert one.data.count('"k":"project"') == 1 and '"J1"' in one.data
    assert maps.vector.projects_layer(data, keep={"P2"}) is None


def test_search_finds_parks_and_towns_by_name(three_plots, firms):  # noqa: F811
    park, town = _park_town()
    data = _data(three_plots, enterprises=firms, parks=park, towns=town)
    hits = cards.search(data, "测试园区")
    assert hits["target"].tolist() == ["park"] and hits["id"].tolist() == ["K1"]
    assert park.geometry.iloc[0].contains(shapely.Point(hits["lon"].iloc[0], hits["lat"].iloc[0]))
    assert cards.search_label(hits.iloc[0]) == "园区 测试园区(合成) (K1)"
    both = cards.search(data, "(合成)")
    assert set(both["target"]) == {"park", "town", "plot"}
    assert both["target"].tolist()[:2] == ["park", "town"]
    assert cards.search(data, "测试镇")["id"].tolist() == ["310113101"]
    plot = cards.search(data, "P2")
    assert plot["target"].tolist() == ["plot"] and plot["id"].tolist() == ["P2"]
    assert cards.search_label(plot.iloc[0]) == "P2"
    assert cards.search(data, "nothing-like-this").empty


def test_a_ranking_row_picks_its_park(analysed):  # noqa: F811
    view = tables.ranking_view(analysed, "park", "zh")
    raw = analysed.table("evaluation", "park_ranking")
    for pos in (0, len(view) - 1):
        kind, pid = stage_results.ranking_pick(analysed, "park", pos)
        assert kind == "park"
        # the row the planner clicked: same id in the table as shown
        assert str(view.iloc[pos, 0]) == pid
        assert pid in set(raw["park_id"].astype(str))
    assert stage_results.ranking_pick(analysed, "park", len(view)) is None
    kind, code = stage_results.ranking_pick(analysed, "town", 0)
    assert kind == "town" and selection.selected_mask(analysed, (kind, code)).any()


def test_unreachable_tiles_say_so_once_and_a_new_basemap_keeps_the_view():
    home = viewing.Viewport(121.0, 30.7, 121.9, 31.5, 10)
    html = maps.base_map(home, maps.Basemap("osm")).get_root().render()
    assert "tileerror" in html and "geoapp-tile-note" in html
    assert "_geoappTileNote" in html  # one note per map, however many tiles fail
    import json

    from geoapp import words

    assert json.dumps(words.text("map.tiles_unreachable", "zh")) in html
    en = maps.base_map(home, maps.Basemap("osm"), lang="en").get_root().render()
    assert json.dumps(words.text("map.tiles_unreachable", "en")) in en
    # no tiles, nothing to fail
    assert "tileerror" not in maps.base_map(home).get_root().render()
    here = viewing.Viewport(121.40, 31.30, 121.45, 31.35, 15)
    osm, none = maps.Basemap("osm"), maps.NO_TILES
    assert maps.start_view(none, osm, here, home, home) == here  # switched: keep the view
    assert maps.start_view(osm, osm, here, None, home) == home  # panning: script unchanged
    assert maps.start_view(osm, osm, here, here, home) == here
    assert maps.start_view(None, osm, here, None, home) == home  # first run
