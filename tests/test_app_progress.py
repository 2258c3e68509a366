"""A year change reads only that year's stored results, and a long wait says what it does.

On a copy of the small synthetic demo workspace (``demo_workspace``, seed 0).
"""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from analysis.overlay import centroids_m
from geoapp import pipeline
from geoapp.app import loading, progress


@pytest.fixture
def ws(demo_workspace, tmp_path):
    from geoapp.workspace import Workspace

    path = tmp_path / "demo.gpkg"
    shutil.copy(demo_workspace, path)
    Workspace(path).clear_results()  # other tests may have analysed the session's demo
    return path


def test_wait_steps_and_their_labels():
    assert progress.wait_steps(read_layers=True, stale=("evaluation",), read_results=False) == [
        "layers", "evaluation", "results"]
    assert progress.wait_steps(read_layers=False, stale=(), read_results=False) == []
    assert progress.step_label("clusters (stored)", 2, 3, year=2022) == "正在读取：产业集聚 (2/3)"
    assert progress.step_label("results", 3, 3, year=2022, lang="en") == (
        "Reading: results of 2022 (3/3)")


def test_progress_says_which_stage_runs_and_how_far(ws):
    years = loading.workspace_years(ws)
    stale = pipeline.stale_stages(ws, year=years[-1])
    assert stale == list(pipeline.STAGES)  # nothing stored yet
    said: list[tuple[str, float]] = []
    bar = progress.Progress(progress.wait_steps(read_layers=False, stale=stale,
                                                read_results=True),
                            lambda text, done: said.append((text, done)), year=years[-1])
    pipeline.analyse_workspace(ws, year=years[-1], stages=tuple(stale), load=False,
                               progress=bar)
    bar("results")
    # the stages in the order they start (one may run in a child process beside another)
    assert [done for _, done in said] == [0.0, 0.25, 0.5, 0.75]
    assert said[0][0] == "正在计算：综合评价 (1/4)"  # the others need it
    assert {text for text, _ in said[1:3]} == {"正在计算：盘活进度 (2/4)",
                                               "正在计算：产业集聚 (3/4)"} or {
        text for text, _ in said[1:3]} == {"正在计算：产业集聚 (2/4)", "正在计算：盘活进度 (3/4)"}
    assert said[3][0] == f"正在读取：{years[-1]}年分析结果 (4/4)"
    assert pipeline.stale_stages(ws, year=years[-1]) == []


def test_storing_a_year_keeps_the_other_years_versions_and_a_layer_change_does_not(ws):
    years = loading.workspace_years(ws)
    assert len(years) >= 2
    first, last = years[0], years[-1]
    before = loading.versions(ws, first)
    assert before.stale == tuple(pipeline.STAGES)
    pipeline.analyse_workspace(ws, year=last, load=False)  # another year stored
    assert loading.versions(ws, first) == before
    assert loading.versions(ws, last).stale == ()
    assert loading.versions(ws, last).layers == before.layers
    from geoapp.workspace import Workspace

    w = Workspace(ws)
    w.write_layers({"projects": w.read("projects")})  # the same rows, written again
    after = loading.versions(ws, first)
    assert after.layers != before.layers and after.results != before.results
    assert loading.layers_part(after.key) == after.layers


def test_a_year_loaded_on_the_layers_read_once_is_the_full_load(ws):
    years = loading.workspace_years(ws)
    for y in years[-2:]:
        pipeline.analyse_workspace(ws, year=y, load=False)
    base = loading.load_layers(ws)
    assert base.years == years
    full = loading.load_app_data(str(ws), "v", years[-2])
    quick = loading.load_app_data(str(ws), "v", years[-2], base=base)
    assert quick.ran == () and quick.version == "v"
    assert quick.layers is base.layers  # nothing read again
    assert quick.plots.drop(columns="geometry").equals(full.plots.drop(columns="geometry"))
    assert quick.plots.geometry.geom_equals(full.plots.geometry).all()
    np.testing.assert_allclose(quick.centroids_xy, centroids_m(full.plots), rtol=0, atol=1e-6)
    assert "x_m" not in quick.plots
