"""Hot spots: Gi* and local Moran equal esda's own run; a planted cluster is found (synthetic)."""

from __future__ import annotations

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from analysis import hotspots
from analysis.hotspots import (
    BLOCK_DRAWS,
    HotspotSettings,
    conditional_p,
    gi_class,
    gi_star_draws,
    hot_spots,
    lisa_class,
)
from layers.crs import STORE_CRS, WORK_CRS
from tests.conftest import BASE_E, BASE_N

ESDA_WARNING = "alternative hypothesis for conditional randomization"


def lattice(n_side, *, spacing=100.0, size=80.0, extra=()):
    """n_side × n_side plots of ``size`` m on a ``spacing`` m lattice (+ extra origins)."""
    origins = [(BASE_E + i * spacing, BASE_N + j * spacing)
               for j in range(n_side) for i in range(n_side)]
    origins += list(extra)
    geoms = [box(x, y, x + size, y + size) for x, y in origins]
    ids = [f"P{k:03d}" for k in range(len(geoms))]
    return gpd.GeoDataFrame({"plot_id": ids}, geometry=geoms, crs=WORK_CRS).to_crs(STORE_CRS)


def centroid_xy(plots):
    c = plots.geometry.to_crs(WORK_CRS).centroid
    return np.column_stack([c.x.to_numpy(), c.y.to_numpy()])


def esda_direct(y, xy, *, weights, permutations, seed, threshold=150.0, k=8):
    """esda run the documented way: binary weights, Gi* star, both row-standardised."""

    def w():
        if weights == "knn":
            built = libpysal.weights.KNN.from_array(xy, k=k)
        else:
            built = libpysal.weights.DistanceBand.from_array(xy, threshold=threshold)
        built.transform = "B"
        return built

    with pytest.warns(DeprecationWarning, match=ESDA_WARNING):
        g = esda.G_Local(y, w(), transform="R", star=True, permutations=permutations,
                         seed=seed, n_jobs=1)
    with pytest.warns(DeprecationWarning, match=ESDA_WARNING):
        m = esda.Moran_Local(y, w(), permutations=permutations, seed=seed)
    return g, m


@pytest.mark.parametrize("weights", ["distance", "knn"])
def test_numbers_equal_esda_run_directly(weights):
    plots = lattice(8)
    plots.index = pd.RangeIndex(500, 564)
    y = np.random.default_rng(3).lognormal(1.0, 0.6, len(plots))
    values = pd.Series(y, index=plots.index, name="tax_per_mu")
    settings = HotspotSettings(weights=weights, threshold_m=150.0, k=8, permutations=199, seed=7)
    result = hot_spots(plots, values, settings=settings)
    g, m = esda_direct(y, centroid_xy(plots), weights=weights, permutations=199, seed=7)

    assert result.index.equals(plots.index)
    np.testing.assert_allclose(result["gi"], g.Gs, rtol=1e-12)
    np.testing.assert_allclose(result["gi_z"], g.Zs, rtol=1e-12)
    # esda's G_Local p_sim is float32; ours is the same fraction k/200 in float64.
    np.testing.assert_allclose(result["gi_p"], g.p_sim, rtol=1e-6)
    np.testing.assert_array_equal(result["gi_p"], np.round(result["gi_p"] * 200) / 200)
    np.testing.assert_allclose(result["lisa_i"], m.Is, rtol=1e-12)
    np.testing.assert_allclose(result["lisa_p"], m.p_sim, rtol=1e-12)
    np.testing.assert_allclose(result["lisa_z"], (m.Is - m.EI) / np.sqrt(m.VI), rtol=1e-12)
    quads = pd.Series(m.q).map({1: "HH", 2: "LH", 3: "LL", 4: "HL"})
    assert result["lisa_q"].tolist() == quads.tolist()
    expected = np.where(m.p_sim <= 0.05, quads, "ns")
    assert result["lisa_class"].tolist() == expected.tolist()
    # 8 neighbours inside the lattice (queen within 150 m), 3 at a corner; KNN always 8.
    if weights == "distance":
        assert result["n_neighbours"].min() == 3 and result["n_neighbours"].max() == 8
    else:
        assert (result["n_neighbours"] == 8).all()


def esda_counts(p_sim, permutations):
    """esda's p-values as counts of draws (its float32 p_sim rounds back exactly)."""
    return np.round(np.asarray(p_sim, dtype="float64") * (permutations + 1)).astype(int)


@pytest.mark.parametrize("weights", ["distance", "knn"])
def test_p_values_equal_esda_with_ties_and_many_blocks(weights):
    # 400 plots: several blocks of conditional_p, run in threads; a third of the plots at
    # exactly 0 (idle land) and the rest on five levels, so random draws tie the observed
    # statistic all the time: the counts must still be esda's, draw for draw
    assert 2 * (BLOCK_DRAWS // (999 * 8)) < 400
    plots = lattice(20)
    rng = np.random.default_rng(8)
    y = np.where(rng.random(400) < 1 / 3, 0.0, rng.choice([2.5, 5.0, 7.5, 10.0, 40.0], 400))
    values = pd.Series(y, index=plots.index)
    settings = HotspotSettings(weights=weights, threshold_m=150.0, permutations=999, seed=21)
    result = hot_spots(plots, values, settings=settings)
    g, m = esda_direct(y, centroid_xy(plots), weights=weights, permutations=999, seed=21)
    np.testing.assert_array_equal(esda_counts(result["gi_p"], 999), esda_counts(g.p_sim, 999))
    np.testing.assert_array_equal(esda_counts(result["lisa_p"], 999), esda_counts(m.p_sim, 999))
    np.testing.assert_array_equal(result["gi_p"], esda_counts(g.p_sim, 999) / 1000)
    assert result["gi_p"].min() <= 0.01 and result["gi_p"].max() > 0.3  # not all one value
    # one thread or many: the same numbers
    gi = esda.G_Local(y, hotspots._with_self(hotspots.spatial_weights(centroid_xy(plots),
                                                                       settings=settings)),
                      transform="R", star=True, permutations=0)
    one = conditional_p(y, gi.w, gi.Gs, gi_star_draws, scaling=y.sum(), permutations=999,
                        seed=21, threads=1)
    np.testing.assert_array_equal(one, result["gi_p"])


def test_seed_makes_p_values_reproducible():
    plots = lattice(6)
    values = pd.Series(np.random.default_rng(5).lognormal(size=36), index=plots.index)
    settings = HotspotSettings(threshold_m=150.0, permutations=99, seed=11)
    a = hot_spots(plots, values, settings=settings)
    b = hot_spots(plots, values, settings=settings)
    pd.testing.assert_frame_equal(a, b)


def test_centroids_computed_once_may_be_handed_in():
    plots = lattice(5)
    values = pd.Series(np.random.default_rng(2).lognormal(size=25), index=plots.index)
    settings = HotspotSettings(weights="distance", threshold_m=150.0, permutations=99, seed=3)
    xy = centroid_xy(plots)
    pd.testing.assert_frame_equal(hot_spots(plots, values, settings=settings, xy=xy),
                                  hot_spots(plots, values, settings=settings))
    far = xy.copy()
    far[0] += 10_000.0  # the first plot handed in far away: an island, so xy is what counts
    assert hot_spots(plots, values, settings=settings, xy=far)["gi_class"].iloc[0] == "island"
    with pytest.raises(ValueError, match="one"):
        hot_spots(plots, values, settings=settings, xy=xy[:3])


def test_planted_cluster_is_found_hot():
    plots = lattice(15)
    rng = np.random.default_rng(0)
    y = rng.uniform(1.0, 3.0, len(plots))  # background: 1–3 万元/亩
    grid = y.reshape(15, 15)
    grid[6:9, 6:9] = 30.0  # a 3 × 3 block of high-yield plots in the middle
    values = pd.Series(grid.ravel(), index=plots.index, name="tax_per_mu")
    result = hot_spots(plots, values,
                       settings=HotspotSettings(threshold_m=150.0, permutations=999, seed=1))
    block = [j * 15 + i for j in range(6, 9) for i in range(6, 9)]
    centre = 7 * 15 + 7
    assert result["gi_class"].iloc[centre] == "hot_99"
    assert result["gi_class"].iloc[block].str.startswith("hot_").all()
    assert (result["gi_z"].iloc[block] > 1.96).all()
    assert result["gi_z"].iloc[centre] > 2.576
    assert result["lisa_class"].iloc[centre] == "HH"
    corner = 0
    assert not result["gi_class"].iloc[corner].startswith("hot_")
    assert (result["gi_class"].str.startswith("hot_")).sum() < 30


def test_missing_values_and_islands_are_left_out():
    far = [(BASE_E + 10_000, BASE_N + 10_000)]  # 10 km away: no neighbour within 150 m
    plots = lattice(6, extra=far)
    y = np.random.default_rng(2).lognormal(size=len(plots))
    values = pd.Series(y, index=plots.index)
    values.iloc[4] = np.nan
    result = hot_spots(plots, values,
                       settings=HotspotSettings(weights="distance", threshold_m=150.0,
                                                permutations=99, seed=3))
    assert result["gi_class"].iloc[4] == "no_value" and result["lisa_class"].iloc[4] == "no_value"
    assert result["gi_class"].iloc[-1] == "island" and result["lisa_class"].iloc[-1] == "island"
    assert np.isnan(result["gi_z"].iloc[-1]) and np.isnan(result["gi_z"].iloc[4])
    # The rest equals esda on the weights of the remaining plots.
    keep = [k for k in range(len(plots) - 1) if k != 4]
    g, m = esda_direct(y[keep], centroid_xy(plots)[keep], weights="distance",
                       permutations=99, seed=3)
    np.testing.assert_allclose(result["gi_z"].iloc[keep], g.Zs, rtol=1e-12)
    np.testing.assert_allclose(result["gi_p"].iloc[keep], g.p_sim, rtol=1e-6)
    np.testing.assert_allclose(result["lisa_p"].iloc[keep], m.p_sim, rtol=1e-12)


def test_disconnected_groups_do_not_warn():
    # Two separate lattices 5 km apart: libpysal would warn about 2 components.
    plots = lattice(5, extra=[(BASE_E + 5000 + 100 * i, BASE_N) for i in range(5)])
    values = pd.Series(np.random.default_rng(4).lognormal(size=len(plots)), index=plots.index)
    result = hot_spots(plots, values,
                       settings=HotspotSettings(weights="distance", threshold_m=150.0,
                                                permutations=99, seed=3))
    assert result["gi_z"].notna().all()


def test_too_few_or_constant_values_give_no_statistic():
    plots = lattice(3)
    flat = hot_spots(plots, pd.Series(2.0, index=plots.index),
                     settings=HotspotSettings(threshold_m=150.0, permutations=99))
    assert flat["gi_z"].isna().all()
    assert (flat["gi_class"] == "not_significant").all() and (flat["lisa_class"] == "ns").all()
    two = pd.Series([1.0, 2.0] + [np.nan] * 7, index=plots.index)
    few = hot_spots(plots, two, settings=HotspotSettings(threshold_m=150.0, permutations=99))
    assert few["gi_class"].tolist()[:2] == ["not_significant"] * 2
    assert (few["gi_class"].iloc[2:] == "no_value").all()


def test_gi_class_thresholds():
    z = pd.Series([3.0, 2.0, 1.7, 1.0, -3.0, -2.0, -1.7, np.nan, 0.0], index=list("abcdefghi"))
    p = pd.Series([0.001, 0.03, 0.08, 0.2, 0.01, 0.05, 0.1, 0.001, 0.001], index=z.index)
    cls = gi_class(z, p)
    assert cls.index.equals(z.index)
    assert cls.tolist() == [
        "hot_99", "hot_95", "hot_90", "not_significant",
        "cold_99", "cold_95", "cold_90", "not_significant", "not_significant",
    ]


def test_lisa_class_threshold():
    q = pd.Series(["HH", "LL", "HL", None], index=[3, 2, 1, 0], dtype="string")
    p = pd.Series([0.01, 0.05, 0.06, 0.01], index=q.index)
    cls = lisa_class(q, p, alpha=0.05)
    assert cls.index.equals(q.index)
    assert cls.tolist() == ["HH", "LL", "ns", "ns"]


def test_settings_are_checked():
    with pytest.raises(ValueError, match="permutations"):
        HotspotSettings(permutations=10)
    with pytest.raises(ValueError, match="weights"):
        HotspotSettings(weights="queen")


def test_blocks_of_plots_give_conditional_p_wherever_they_run():
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 5_000, (300, 2))
    y = rng.gamma(2.0, 3.0, 300)
    w = hotspots.spatial_weights(xy, settings=HotspotSettings(k=6))
    w.transform = "R"
    observed = rng.uniform(0, 0.05, 300)
    whole = hotspots.conditional_p(y, w, observed, hotspots.gi_star_draws, scaling=y.sum(),
                                   permutations=199, seed=7)
    inputs = hotspots.permutation_inputs(y, w, observed, hotspots.gi_star_draws,
                                         scaling=y.sum(), permutations=199, seed=7)
    blocks = hotspots.permutation_blocks(inputs)
    assert np.array_equal(np.sort(np.concatenate(blocks)), np.arange(300))
    p = np.empty(300)
    for block in reversed(blocks):  # any order, any grouping
        p[block] = hotspots.block_p_values(inputs, block)
    assert np.array_equal(p, whole)
    assert p.min() >= 0.005 and p.max() <= 0.5
