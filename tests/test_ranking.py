import numpy as np
import pandas as pd
import pytest

from analysis.overlay import land_area_mu
from analysis.ranking import (
    RankingWeights,
    composite_score,
    lead_industry_share,
    rank_scopes,
    scorecard,
)


def test_lead_industry_share():
    firms = pd.DataFrame({
        "park_id": ["K1", "K1", "K1", "K2", None],
        "industry": ["biomed", "robotics", "ic", "ic", "biomed"],
        "output_wan": [60.0, 20.0, 20.0, 50.0, 999.0],
    })
    lead = pd.Series({"K1": "biomed; robotics", "K2": "biomed", "K3": "ic"})
    share = lead_industry_share(firms, "park_id", lead)
    assert share.name == "lead_industry_share"
    assert list(share.index) == ["K1", "K2", "K3"]
    assert share.loc["K1"] == pytest.approx(0.8)  # (60 + 20) / 100
    assert share.loc["K2"] == pytest.approx(0.0)
    assert np.isnan(share.loc["K3"])  # no output there


def test_lead_industry_share_reads_full_width_separators():
    # "biomed；ic" (full-width semicolon, as typed in Chinese) is two lead industries.
    firms = pd.DataFrame({
        "park_id": ["K1", "K1", "K1", "K2"],
        "industry": ["biomed", "ic", "auto", "ic"],
        "output_wan": [50.0, 30.0, 20.0, 40.0],
    })
    lead = pd.Series({"K1": "biomed；ic", "K2": "auto、ic"})
    share = lead_industry_share(firms, "park_id", lead)
    assert share.index.equals(lead.index)
    assert share.loc["K1"] == pytest.approx(0.8)  # (50 + 30) / 100, not 0.0
    assert share.loc["K2"] == pytest.approx(1.0)  # 40 / 40


@pytest.fixture
def park_inputs(make_plots):
    plots = make_plots(
        100, 100, 200, park_id=["K1", "K1", "K2"], low_efficiency=[False, True, False],
    )
    plots["area_mu"] = land_area_mu(plots)  # 15, 15, 60
    firms = pd.DataFrame({
        "plot_id": ["P1", "P2", "P3", "P1", "P3"],
        "park_id": ["K1", "K1", "K2", "K1", "K2"],
        "industry": ["biomed", "ic", "biomed", "biomed", "biomed"],
        "year": [2023, 2023, 2023, 2022, 2022],
        "output_wan": [300.0, 300.0, 600.0, 300.0, 600.0],
        "tax_wan": [33.0, 33.0, 60.0, 60.0, 60.0],
        "grade": ["A", "D", "T", None, None],
    })
    projects = pd.DataFrame({
        "park_id": ["K1", "K1", "K2"],
        "stage": ["signed", "in_production", "signed"],
        "investment_wan": [100.0, 200.0, 50.0],
        "land_mu": [1.0, 2.0, np.nan],
    })
    targets = pd.DataFrame({
        "scope_type": ["park", "park"], "scope_id": ["K1", "K2"], "year": [2023, 2023],
        "metric": ["tax_per_mu_growth", "tax_per_mu_growth"], "value": [0.10, 0.0],
    })
    return plots, firms, projects, targets


def test_scorecard_by_hand(park_inputs):
    plots, firms, projects, targets = park_inputs
    card = scorecard(
        plots, firms, "park_id", year=2023, scope_type="park", targets=targets,
        projects=projects, lead_industries=pd.Series({"K1": "biomed", "K2": "biomed"}),
        scopes=pd.Index(["K1", "K2", "K3"]),
    )
    assert list(card.index) == ["K1", "K2", "K3"]
    k1 = card.loc["K1"]
    assert k1["land_mu"] == pytest.approx(30.0, rel=1e-6)
    assert k1["tax_per_mu"] == pytest.approx(66 / 30, rel=1e-6)       # 2.2
    # 2022: 60 / 30 = 2.0 → +10 % against a +10 % target: met
    assert k1["tax_per_mu_growth"] == pytest.approx(0.10, rel=1e-6)
    assert bool(k1["tax_per_mu_target_met"]) is True
    assert k1["lead_industry_share"] == pytest.approx(0.5)              # 300 of 600
    assert (k1["n_A"], k1["n_D"], k1["n_T"]) == (1, 1, 0)
    assert k1["low_efficiency_mu"] == pytest.approx(15.0, rel=1e-6)
    assert k1["low_efficiency_share"] == pytest.approx(0.5, rel=1e-6)
    assert k1["n_low_efficiency_plots"] == 1
    assert (k1["n_projects_signed"], k1["n_projects_in_production"], k1["n_projects"]) == (1, 1, 2)
    assert k1["investment_wan_in_production"] == pytest.approx(200.0)
    k2 = card.loc["K2"]
    assert k2["tax_per_mu_growth"] == pytest.approx(0.0)
    assert bool(k2["tax_per_mu_target_met"]) is True  # 0 ≥ 0
    assert k2["n_T"] == 1
    k3 = card.loc["K3"]  # a park without plots still has a row
    assert k3["n_plots"] == 0
    assert k3["land_mu"] == 0
    assert np.isnan(k3["tax_per_mu"])


def test_composite_score_by_hand():
    card = pd.DataFrame(
        {"tax_per_mu": [30.0, 10.0, 20.0], "low_efficiency_share": [0.5, 0.1, np.nan]},
        index=["K1", "K2", "K3"],
    )
    w = RankingWeights(weights={"tax_per_mu": 3, "low_efficiency_share": 1, "absent": 5})
    score = composite_score(card, weights=w)
    # tax pct ranks: K1 1, K2 1/3, K3 2/3; low-efficiency (lower better): K1 0.5, K2 1, K3 0.5
    # (missing → 0.5); the absent metric is dropped and the weights rescaled to 3 + 1
    assert score.name == "composite_score"
    assert list(score.index) == ["K1", "K2", "K3"]
    assert score.tolist() == pytest.approx([
        100 * (3 * 1 + 0.5) / 4, 100 * (3 / 3 + 1) / 4, 100 * (3 * 2 / 3 + 0.5) / 4,
    ])


def test_rank_ties_are_broken_by_tax_then_id():
    card = pd.DataFrame(
        {"output_per_mu": [5.0, 5.0, 5.0, 1.0], "tax_per_mu": [1.0, 2.0, 1.0, 9.0]},
        index=pd.Index(["K3", "K1", "K2", "K4"], name="park_id"),
    )
    w = RankingWeights(weights={"output_per_mu": 1})
    ranked = rank_scopes(card, weights=w)
    # equal composite for K1, K2, K3: K1 has more tax; K2 before K3 by id; K4 last
    assert list(ranked.index) == ["K1", "K2", "K3", "K4"]
    assert ranked["rank"].tolist() == [1, 2, 3, 4]
    assert ranked.index.name == "park_id"
    again = rank_scopes(card.iloc[::-1], weights=w)
    assert list(again.index) == ["K1", "K2", "K3", "K4"]


def test_ranking_weights_must_be_non_negative():
    with pytest.raises(ValueError, match=">= 0"):
        RankingWeights(weights={"tax_per_mu": -1})
