"""Year comparison: hand-worked per-mu changes, grade moves, park trends, diverging scales."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.comparison import (
    DIVERGING,
    diverging_scale,
    move,
    park_trend,
    per_mu_change,
    plot_change,
    target_scale,
    trend_table,
)
from tests.conftest import enterprises_frame


def _plots(rows):
    return pd.DataFrame(rows, columns=["plot_id", "tax_per_mu", "output_per_mu", "grade"])


def test_per_mu_change_by_hand():
    prev = _plots([
        ("P1", 10.0, 100.0, "A"),
        ("P2", 0.0, 50.0, "D"),     # zero base: growth NaN, change still known
        ("P3", None, None, None),   # no figure last year
        ("P4", 8.0, 80.0, "B"),     # gone this year
    ])
    cur = _plots([
        ("P3", 4.0, 40.0, "C"),
        ("P2", 5.0, 25.0, "C"),
        ("P1", 12.0, 90.0, "C"),
        ("P5", 1.0, 10.0, "T"),     # new plot, unrated
    ])
    out = per_mu_change(cur, prev)
    assert list(out.index) == ["P3", "P2", "P1", "P5", "P4"]  # current order, then base-only
    assert out.index.name == "plot_id"
    p1 = out.loc["P1"]
    assert p1["tax_per_mu_base"] == 10.0 and p1["tax_per_mu"] == 12.0
    assert p1["tax_per_mu_change"] == pytest.approx(2.0)
    assert p1["tax_per_mu_growth"] == pytest.approx(0.2)          # 12 / 10 - 1
    assert p1["output_per_mu_change"] == pytest.approx(-10.0)
    assert p1["output_per_mu_growth"] == pytest.approx(-0.1)      # 90 / 100 - 1
    assert p1["grade_move"] == "A→C" and p1["grade_steps"] == -2
    p2 = out.loc["P2"]
    assert p2["tax_per_mu_change"] == 5.0
    assert np.isnan(p2["tax_per_mu_growth"])                      # from 0: NaN, not inf
    assert p2["output_per_mu_growth"] == pytest.approx(-0.5)
    assert p2["grade_move"] == "D→C" and p2["grade_steps"] == 1
    p3 = out.loc["P3"]
    assert np.isnan(p3["tax_per_mu_change"]) and np.isnan(p3["tax_per_mu_growth"])
    assert pd.isna(p3["grade_move"]) and np.isnan(p3["grade_steps"])
    assert np.isnan(out.loc["P4", "tax_per_mu"]) and np.isnan(out.loc["P4", "tax_per_mu_growth"])
    assert out.loc["P5", "grade_move"] is pd.NA or pd.isna(out.loc["P5", "grade_move"])
    numbers = out.select_dtypes("number").to_numpy(dtype="float64")
    assert not np.isinf(numbers).any()


def test_per_mu_change_refuses_repeated_ids():
    t = _plots([("P1", 1.0, 1.0, "A"), ("P1", 2.0, 2.0, "B")])
    with pytest.raises(ValueError, match="repeated"):
        per_mu_change(t, t)


def test_move_counts_steps_and_keeps_unrated_text():
    b = pd.Series(["A", "D", "T", None], index=[10, 11, 12, 13])
    a = pd.Series(["C", "B", "A", "A"], index=[13, 12, 11, 10])  # aligned on the index
    out = move(b, a)
    assert list(out.index) == [10, 11, 12, 13]
    assert out["move"].tolist()[:3] == ["A→A", "D→A", "T→B"]
    assert pd.isna(out["move"].iloc[3])
    assert out["steps"].tolist()[:2] == [0.0, 3.0]
    assert np.isnan(out["steps"].iloc[2])                         # unrated: no steps


def test_plot_change_from_firms_and_areas(make_plots):
    plots = make_plots(100, 200)                                  # 15 mu and 60 mu
    plots["area_mu"] = [15.0, 60.0]
    firms = enterprises_frame([
        {"ent_id": "E1", "plot_id": "P1", "year": 2022, "tax_wan": 30.0, "output_wan": 300.0},
        {"ent_id": "E1", "plot_id": "P1", "year": 2023, "tax_wan": 45.0, "output_wan": 300.0},
        {"ent_id": "E2", "plot_id": "P2", "year": 2022, "tax_wan": 0.0, "output_wan": 600.0},
        {"ent_id": "E3", "plot_id": "P2", "year": 2023, "tax_wan": 60.0, "output_wan": 300.0},
        {"ent_id": "E4", "plot_id": "P2", "year": 2023, "tax_wan": 60.0, "output_wan": 300.0},
    ])
    out = plot_change(firms, plots, year=2023, base_year=2022)
    # P1: 30/15 = 2 → 45/15 = 3 万元/亩: +1, +50 %; output 20 → 20: 0 %.
    assert out.loc["P1", "tax_per_mu_base"] == pytest.approx(2.0)
    assert out.loc["P1", "tax_per_mu"] == pytest.approx(3.0)
    assert out.loc["P1", "tax_per_mu_change"] == pytest.approx(1.0)
    assert out.loc["P1", "tax_per_mu_growth"] == pytest.approx(0.5)
    assert out.loc["P1", "output_per_mu_growth"] == pytest.approx(0.0)
    # P2: tax 0 → (60 + 60) / 60 = 2: change +2, growth NaN; output 10 → 10.
    assert out.loc["P2", "tax_per_mu_change"] == pytest.approx(2.0)
    assert np.isnan(out.loc["P2", "tax_per_mu_growth"])
    assert out.loc["P2", "output_per_mu"] == pytest.approx(10.0)
    assert "grade_move" not in out


def _trend_data():
    plots = pd.DataFrame({
        "plot_id": ["P1", "P2", "P3", "P4"],
        "park_id": ["K1", "K1", "K2", None],
        "area_mu": [10.0, 30.0, 20.0, 5.0],     # P2 is idle: its land still counts
    })
    firms = enterprises_frame([
        {"ent_id": "E1", "plot_id": "P1", "year": 2021, "tax_wan": 40.0, "output_wan": 400.0},
        {"ent_id": "E1", "plot_id": "P1", "year": 2022, "tax_wan": 80.0, "output_wan": 400.0},
        {"ent_id": "E1", "plot_id": "P1", "year": 2023, "tax_wan": 88.0, "output_wan": 800.0},
        {"ent_id": "E2", "plot_id": "P3", "year": 2021, "tax_wan": 20.0, "output_wan": 100.0},
        {"ent_id": "E2", "plot_id": "P3", "year": 2023, "tax_wan": 30.0, "output_wan": 100.0},
        {"ent_id": "E3", "plot_id": "P4", "year": 2023, "tax_wan": 99.0, "output_wan": 9.0},
    ])
    return firms, plots


def test_park_trend_is_sum_over_sum_every_year():
    firms, plots = _trend_data()
    trend = park_trend(firms, plots)
    assert list(zip(trend["park_id"], trend["year"], strict=True)) == [
        ("K1", 2021), ("K1", 2022), ("K1", 2023), ("K2", 2021), ("K2", 2022), ("K2", 2023)]
    k1 = trend[trend["park_id"] == "K1"].set_index("year")
    # K1 land 10 + 30 = 40 mu: tax 40, 80, 88 → 1.0, 2.0, 2.2 万元/亩.
    assert k1["land_mu"].tolist() == [40.0, 40.0, 40.0]
    assert k1["tax_per_mu"].tolist() == pytest.approx([1.0, 2.0, 2.2])
    assert np.isnan(k1.loc[2021, "tax_per_mu_growth"])
    assert k1.loc[2022, "tax_per_mu_growth"] == pytest.approx(1.0)   # 2.0 / 1.0 - 1
    assert k1.loc[2023, "tax_per_mu_growth"] == pytest.approx(0.1)   # 2.2 / 2.0 - 1
    assert k1.loc[2023, "output_per_mu"] == pytest.approx(20.0)      # 800 / 40
    k2 = trend[trend["park_id"] == "K2"].set_index("year")
    # K2: no figure in 2022, so 2022 is NaN and 2023's growth (on 2022) is NaN too.
    assert k2["tax_per_mu"].tolist()[0] == pytest.approx(1.0)        # 20 / 20
    assert np.isnan(k2.loc[2022, "tax_per_mu"])
    assert k2.loc[2023, "tax_per_mu"] == pytest.approx(1.5)
    assert np.isnan(k2.loc[2023, "tax_per_mu_growth"])
    assert not np.isinf(trend.select_dtypes("number").to_numpy(dtype="float64")).any()
    wide = trend_table(trend)
    assert list(wide.columns) == [2021, 2022, 2023]
    assert wide.loc["K1"].tolist() == pytest.approx([1.0, 2.0, 2.2])


def test_park_trend_takes_the_firms_own_scope_and_chosen_years():
    firms, plots = _trend_data()
    firms = firms.assign(park_id=["K2"] * 3 + ["K2"] * 2 + [None])   # moved by the caller
    trend = park_trend(firms, plots, years=[2023])
    assert trend["year"].unique().tolist() == [2023]
    k2 = trend.set_index("park_id").loc["K2"]
    assert k2["tax_per_mu"] == pytest.approx((88.0 + 30.0) / 20.0)
    assert np.isnan(k2["tax_per_mu_growth"])                        # 2022 not listed


def test_diverging_scale_centred_on_zero_by_hand():
    s = diverging_scale(step=0.1)
    assert s.edges == pytest.approx((-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3))
    assert s.colors == DIVERGING[3] and len(s.labels) == 6
    assert s.labels[0] == "< -20%" and s.labels[-1] == "≥ +20%"
    assert s.labels[2] == "-10% – 0%"
    got = s.classify([-0.5, -0.15, -0.0000000001, 0.0, 0.05, 0.25, np.nan, np.inf])
    assert got.tolist() == [0, 1, 3, 3, 3, 5, -1, -1]


def test_diverging_scale_step_from_the_values():
    values = pd.Series([-0.07, 0.02, 0.31, 0.12, np.nan, -0.2])
    s = diverging_scale(values, n_side=2, quantile=1.0)
    # max |v| = 0.31; 0.31 / 2 = 0.155 → round step 0.2.
    assert s.edges == pytest.approx((-0.4, -0.2, 0.0, 0.2, 0.4))
    assert s.bins == s.edges[1:]
    plain = diverging_scale([-30.0, 12.0], n_side=3, quantile=1.0, fraction=False)
    assert plain.edges == pytest.approx((-30, -20, -10, 0, 10, 20, 30))
    assert plain.labels[0] == "< -20"
    with pytest.raises(ValueError, match="step="):
        diverging_scale([np.nan])
    with pytest.raises(ValueError, match="n_side"):
        diverging_scale(step=0.1, n_side=7)


def test_target_scale_puts_the_target_between_red_and_blue():
    s = target_scale([0.0, 0.25, -0.05], target=0.10, step=0.05)
    assert s.centre == 0.10
    assert s.edges == pytest.approx((-0.05, 0.0, 0.05, 0.10, 0.15, 0.20, 0.25))
    growths = [0.10, 0.0999, 0.08 + 0.02, 0.30, -0.9]
    # exactly the target (even as 0.08 + 0.02 in floats) is "met": first blue class (3).
    assert s.classify(growths).tolist() == [3, 2, 3, 5, 0]
    assert s.labels[2] == "+5% – +10%" and s.labels[3] == "+10% – +15%"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    from geoapp.pipeline import build_demo_workspace, run_analysis
    from geoapp.workspace import Workspace

    path = tmp_path_factory.mktemp("comparison") / "demo.gpkg"
    build_demo_workspace(path, n_plots=600)
    layers = Workspace(path).read_all()
    by_year = {y: vars(run_analysis(layers, year=y, stages=("evaluation",))["evaluation"])
               for y in (2022, 2023)}
    return layers, by_year


def test_demo_change_agrees_with_the_evaluations_own_growth(evaluated):
    _, by_year = evaluated
    cur, prev = by_year[2023]["plots"], by_year[2022]["plots"]
    change = per_mu_change(cur, prev)
    own = cur.set_index(cur["plot_id"].astype(str))
    for m in ("tax_per_mu", "output_per_mu"):
        np.testing.assert_allclose(change[f"{m}_growth"].reindex(own.index).to_numpy(),
                                   own[f"{m}_growth"].to_numpy(dtype="float64"), rtol=1e-12)
    moves = change["grade_move"].dropna()
    assert len(moves) > len(change) / 2  # plots without firms have no grade
    assert moves.str.fullmatch(r"[A-DT]→[A-DT]").all()


def test_demo_park_trend_agrees_with_the_park_ranking(evaluated):
    layers, by_year = evaluated
    firms = pd.DataFrame(layers["enterprises"].drop(columns="geometry"))
    trend = park_trend(firms, by_year[2023]["plots"])
    assert sorted(trend["year"].unique()) == [2021, 2022, 2023]
    for year in (2022, 2023):
        ranking = by_year[year]["park_ranking"].set_index("park_id")
        got = trend[trend["year"] == year].set_index("park_id")
        for m in ("tax_per_mu", "output_per_mu"):
            np.testing.assert_allclose(got[m].reindex(ranking.index).to_numpy(),
                                       ranking[m].to_numpy(dtype="float64"), rtol=1e-12)
