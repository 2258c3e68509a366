"""The map's legend shows what is drawn, one group per layer, with distinct symbols.

Hand-made plots (three 100 m squares, the first low-efficiency) as in ``test_maps``.
"""

from __future__ import annotations

import json

import folium
import numpy as np
import pandas as pd
import pytest
import shapely

from analysis.density import DensitySurface
from geoapp import maps, words
from geoapp.app import symbology, viewing
from geoapp.maps import vector
from geoapp.rasters import geotiff_bytes
from tests.test_maps import _data


def _views(data):
    legend = symbology.make_legend(data.plots, "tax_per_mu", "quantiles", k=3)
    w, s, e, n = data.plots.total_bounds
    near = viewing.Viewport(w, s, e, n, 16)
    far = viewing.Viewport(w - 0.1, s - 0.1, e + 0.1, n + 0.1, 10)
    return legend, near, far


def _groups(view, legend, **kw):
    return maps.legend_groups(view.drawn, legend=legend, metric="tax_per_mu", lod=view.lod,
                              density=view.density, **kw)


def test_one_group_per_layer_drawn_with_the_metric_and_its_unit():
    data = _data(3)
    legend, near, _ = _views(data)
    view = maps.overlays(data, np.ones(3, bool), near, layers=("plots", "low_efficiency"),
                         legend=legend, metric="tax_per_mu")
    assert view.drawn == {"plots": (0, 1, 2), "low_efficiency": ()}
    groups = _groups(view, legend)
    assert [g.layer for g in groups] == ["plots", "low_efficiency"]
    plots, low = groups
    assert plots.title == "亩均税收(万元/亩)"
    assert [s.label for s in plots.swatches] == list(legend.labels)  # every plot has a value
    assert [s.color for s in plots.swatches] == list(legend.colors)
    assert low.title == "低效地块"
    assert low.swatches == (
        maps.Swatch("低效地块（斜线、虚线框）", symbology.LOW_EFFICIENCY_COLOR, "hatch"),)
    html = maps.legend_html(groups, title="图例")
    assert "geoapp-legend-plots" in html and "geoapp-legend-low_efficiency" in html
    assert "dashed" in html and "repeating-linear-gradient" in html


def test_the_plot_legend_disappears_when_plots_are_off():
    data = _data(3)
    legend, near, _ = _views(data)
    view = maps.overlays(data, np.ones(3, bool), near, layers=("low_efficiency",),
                         legend=legend, metric="tax_per_mu")
    groups = _groups(view, legend)
    assert [g.layer for g in groups] == ["low_efficiency"]
    assert "亩均税收" not in maps.legend_html(groups, title="图例")


def test_no_data_is_listed_only_when_a_plot_without_a_value_is_drawn():
    data = _data(3)
    data.plots.loc[2, "tax_per_mu"] = np.nan
    legend = symbology.make_legend(data.plots, "tax_per_mu", "quantiles", k=3)
    _, near, _ = _views(data)
    view = maps.overlays(data, np.ones(3, bool), near, layers=("plots",), legend=legend,
                         metric="tax_per_mu")
    assert -1 in view.drawn["plots"]
    assert _groups(view, legend)[0].swatches[-1].label == "无数据"


def test_zoomed_out_low_efficiency_shows_on_the_grid_cells_and_the_legend_says_so():
    data = _data(3)
    legend, _, far = _views(data)
    view = maps.overlays(data, np.ones(3, bool), far, layers=("plots", "low_efficiency"),
                         legend=legend, metric="tax_per_mu")
    assert view.lod == "grid"
    assert set(view.drawn) == {"plot_grid", "low_efficiency_grid"}
    # one hatched square in the cell, its area the low-efficiency share of the cell's land:
    # one 15-mu plot of three → a third of the cell
    cells = viewing.grid_aggregate(data, np.arange(3), far.zoom, "tax_per_mu")
    assert len(cells) == 1 and cells["area_mu"].iloc[0] == pytest.approx(45.0, rel=1e-6)
    group = next(g for g in view.groups if g.layer_name == "low_efficiency_grid")
    fc = json.loads(next(iter(group._children.values())).data)
    assert len(fc["features"]) == 1
    square = shapely.geometry.shape(fc["features"][0]["geometry"])
    assert square.area / cells.geometry.iloc[0].area == pytest.approx(1 / 3, rel=1e-3)
    assert fc["features"][0]["properties"]["t"] == "低效: 1 块 · 15.0 亩 (33%)"
    groups = _groups(view, legend)
    assert [g.layer for g in groups] == ["plot_grid", "low_efficiency_grid"]
    assert groups[0].title == "亩均税收(万元/亩)（网格汇总）"
    assert groups[0].note == words.text("legend.grid_note")
    assert groups[1].swatches[0].label.startswith("含低效地块的网格")
    assert groups[1].note == "缩放较小：低效地块按网格显示，放大后显示地块"


def test_hot_spots_name_their_variable_and_projects_are_diamonds_of_other_colours():
    legend = symbology.make_legend(_data(3).plots, "tax_per_mu", "quantiles", k=3)
    drawn = {"hotspots": (0, 5), "projects": (1, 4), "zones": (2,)}
    groups = {g.layer: g for g in maps.legend_groups(drawn, legend=legend, metric="tax_per_mu")}
    assert list(groups) == ["projects", "hotspots", "zones"]  # nothing else was drawn
    hot = groups["hotspots"].swatches
    assert [s.label for s in hot] == ["热点（亩均税收）99%", "冷点（亩均税收）99%"]
    assert {s.shape for s in hot} == {"dot"}
    proj = groups["projects"].swatches
    assert [s.label for s in proj] == [words.value("project_stage", "started"),
                                       words.value("project_stage", "in_production")]
    assert {s.shape for s in proj} == {"diamond"}
    assert not {s.color for s in proj} & set(symbology.HOTSPOT_COLORS)
    assert [s.label for s in groups["zones"].swatches] == [words.value("zone_type", "198")]
    en = maps.legend_groups(drawn, legend=legend, metric="tax_per_mu", lang="en")
    assert en[1].swatches[0].label == "hot spot (Tax per mu) 99%"


def _rendered(*elements) -> str:
    m = folium.Map(tiles=None)
    for el in elements:
        el.add_to(m)
    return m.get_root().render()


def test_the_map_hatches_low_efficiency_plots_and_draws_projects_as_diamonds(make_points):
    data = _data(3)
    legend, near, _ = _views(data)
    low = maps.overlays(data, np.ones(3, bool), near, layers=("low_efficiency",),
                        legend=legend, metric="tax_per_mu").groups[0]
    html = _rendered(low)
    assert '"hatch":true' in html and "createPattern" in html and '"dashArray":"6 4"' in html
    data.layers["projects"] = make_points([(350_050, 3_470_050), (350_200, 3_470_050)],
                                          project_id=["J1", "J2"], name=["甲(合成)", "乙(合成)"],
                                          stage=["signed", "completed"], investment_wan=[1.0, 2.0],
                                          plot_id=["P1", "P2"])
    el = vector.projects_layer(data)
    assert el.classes == (0, 3)
    html = _rendered(el)
    assert '"shape":"diamond"' in html and "geoapp-diamond" in html and "L.divIcon" in html


def test_density_legend_is_in_enterprises_per_km2():
    values = np.zeros((20, 20), dtype="float32")
    values[5:10, 5:10] = np.linspace(1, 50, 25, dtype="float32").reshape(5, 5)
    from rasterio.transform import Affine

    surface = DensitySurface(values=values, transform=Affine(250, 0, 350_000, 0, -250,
                                                             3_475_000),
                             crs="EPSG:32651", units="enterprises per km2")
    image = maps.density_overlay(geotiff_bytes(surface))
    assert image.units == "enterprises per km2"
    lo, hi = image.values
    assert 0 < lo < hi <= 50
    legend = symbology.make_legend(_data(3).plots, "tax_per_mu", "quantiles", k=3)
    (group,) = maps.legend_groups({"density": ()}, legend=legend, metric="tax_per_mu",
                                  density=image, density_industry="biomed")
    assert group.title == "企业密度：生物医药（家/km²）"
    assert group.swatches[0].shape == "ramp"
    assert lo < 1 < hi < 100  # bilinear warping smooths the edges below the smallest cell
    assert group.swatches[0].label == f"{lo:.2g} – {hi:.1f} 家/km²"


def test_the_change_legend_keeps_its_own_class():
    from geoapp.app import yearchange

    leg = yearchange.change_legend(pd.Series([-1.0, 0.0, 2.0]), indicator="tax_per_mu",
                                   relative=False)
    html = maps.legend_html([maps.change_group(leg)], title="变化图例",
                            extra_class="geoapp-change-legend")
    assert html.startswith("<div class='geoapp-legend geoapp-change-legend'>")
    assert html.count("geoapp-swatch-fill") == len(leg.labels) + 1  # and "no data"


def test_a_one_symbol_layer_is_named_once_with_its_own_line_style():
    legend = symbology.make_legend(_data(3).plots, "tax_per_mu", "quantiles", k=3)
    groups = maps.legend_groups({"districts": (), "towns": (), "parks": ()}, legend=legend,
                                metric="tax_per_mu")
    assert [(g.layer, g.swatches[0].shape) for g in groups] == [
        ("parks", "outline"), ("towns", "dashed"), ("districts", "outline")]
    html = maps.legend_html(groups, title="图例")
    assert html.count("区界") == 1 and "geoapp-legend-title" not in html
