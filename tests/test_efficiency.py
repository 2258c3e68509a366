import numpy as np
import pandas as pd
import pytest

from analysis.efficiency import (
    INDICATORS,
    enterprise_indicators,
    growth,
    growth_against_targets,
    per_mu,
    ratio,
    scope_indicators,
)
from analysis.overlay import land_area_mu


def test_tax_per_mu_of_a_100m_square(make_plots):
    plots = make_plots(100, 200)
    plots.index = [4, 9]
    tax = pd.Series([30.0, 30.0], index=plots.index, name="tax_wan")
    result = per_mu(tax, land_area_mu(plots))
    assert result.name == "tax_per_mu"
    assert list(result.index) == [4, 9]
    # 30 万元 / 15 mu = 2; 30 万元 / 60 mu = 0.5
    assert result.tolist() == pytest.approx([2.0, 0.5])


def test_zero_or_missing_denominator_gives_nan_never_inf():
    num = pd.Series([1.0, 1.0, 1.0, np.nan], index=list("abcd"))
    den = pd.Series([0.0, np.nan, -2.0, 4.0], index=list("abcd"))
    result = ratio(num, den, name="x")
    assert result.isna().all()
    assert not np.isinf(result).any()


def test_ratio_aligns_on_the_numerator_index():
    num = pd.Series([10.0, 20.0], index=["a", "b"])
    den = pd.Series([4.0, 5.0], index=["b", "a"])
    assert ratio(num, den, name="x").to_dict() == {"a": 2.0, "b": 5.0}


def test_enterprise_indicators_by_hand():
    ents = pd.DataFrame(
        {
            "output_wan": [3000.0, 500.0],
            "tax_wan": [150.0, 20.0],
            "value_added_wan": [900.0, np.nan],
            "revenue_wan": [3200.0, np.nan],
            "energy_tce": [300.0, np.nan],
            "emissions_t": [4.5, np.nan],
            "employees": [90, np.nan],
            "rd_wan": [96.0, np.nan],
        },
        index=[11, 12],
    )
    land = pd.Series([15.0, 0.0], index=[11, 12])
    ind = enterprise_indicators(ents, land)
    assert list(ind.columns) == list(INDICATORS)
    assert list(ind.index) == [11, 12]
    first = ind.loc[11]
    assert first["output_per_mu"] == pytest.approx(200.0)          # 3000 / 15
    assert first["tax_per_mu"] == pytest.approx(10.0)              # 150 / 15
    assert first["value_added_per_mu"] == pytest.approx(60.0)      # 900 / 15
    assert first["revenue_per_mu"] == pytest.approx(3200 / 15)
    assert first["value_added_per_tce"] == pytest.approx(3.0)      # 900 / 300
    assert first["tax_per_tce"] == pytest.approx(0.5)              # 150 / 300
    assert first["value_added_per_t_emissions"] == pytest.approx(200.0)  # 900 / 4.5
    assert first["labour_productivity"] == pytest.approx(10.0)     # 900 / 90 万元/人
    assert first["rd_intensity"] == pytest.approx(0.03)            # 96 / 3200
    assert ind.loc[12].isna().all()  # no land, no figures


def test_enterprise_indicators_without_optional_columns():
    ents = pd.DataFrame({"output_wan": [300.0], "tax_wan": [30.0]})
    ind = enterprise_indicators(ents, pd.Series([15.0]))
    assert ind.loc[0, "tax_per_mu"] == pytest.approx(2.0)
    assert np.isnan(ind.loc[0, "value_added_per_tce"])


@pytest.fixture
def scope_data(make_plots):
    plots = make_plots(
        100, 200, 100,
        park_id=["K1", "K1", "K2"],
        floor_area_m2=[15_000.0, np.nan, np.nan],
        supply_year=[2010, 2023, 2022],
        contract_investment_wan=[np.nan, 6000.0, 3000.0],
    )
    plots["area_mu"] = land_area_mu(plots)  # 15, 60, 15
    firms = pd.DataFrame({
        "ent_id": ["f1", "f2", "f1"],
        "plot_id": ["P1", "P2", "P1"],
        "park_id": ["K1", "K1", "K1"],
        "year": [2023, 2023, 2022],
        "output_wan": [300.0, 600.0, 100.0],
        "tax_wan": [30.0, 90.0, 10.0],
        "value_added_wan": [60.0, 120.0, np.nan],
        "energy_tce": [10.0, np.nan, np.nan],
    })
    return plots, firms


def test_aggregate_is_sum_over_sum_not_mean_of_ratios(scope_data):
    plots, firms = scope_data
    table = scope_indicators(firms, plots, "park_id", year=2023)
    assert list(table.index) == ["K1", "K2"]
    k1 = table.loc["K1"]
    assert k1["land_mu"] == pytest.approx(75.0)
    assert k1["n_plots"] == 2
    assert k1["n_enterprises"] == 2
    # Σ tax / Σ land = 120 / 75 = 1.6, not the mean of 2.0 and 1.5 (1.75)
    assert k1["tax_per_mu"] == pytest.approx(1.6)
    assert k1["output_per_mu"] == pytest.approx(900 / 75)
    # only f1 reports energy: 60 / 10, f2's value added stays out of the numerator
    assert k1["value_added_per_tce"] == pytest.approx(6.0)
    # floor area known on P1 only: 15 000 m² / 10 000 m²
    assert k1["plot_ratio"] == pytest.approx(1.5, rel=1e-6)
    # P2 supplied in 2023 with 6000 万元 contracted on 60 mu
    assert k1["new_land_investment_intensity"] == pytest.approx(100.0, rel=1e-6)
    k2 = table.loc["K2"]
    assert k2["n_enterprises"] == 0
    assert np.isnan(k2["tax_per_mu"])  # no firm reports there
    assert np.isnan(k2["new_land_investment_intensity"])  # supplied in 2022


def test_plot_level_uses_the_plot_land(scope_data):
    plots, firms = scope_data
    table = scope_indicators(firms, plots, "plot_id", year=2023)
    assert table.loc["P1", "tax_per_mu"] == pytest.approx(2.0, rel=1e-6)
    assert table.loc["P2", "tax_per_mu"] == pytest.approx(1.5, rel=1e-6)
    assert table.loc["P1", "plot_ratio"] == pytest.approx(1.5, rel=1e-6)
    previous = scope_indicators(firms, plots, "plot_id", year=2022)
    assert previous.loc["P1", "tax_per_mu"] == pytest.approx(10 / 15, rel=1e-6)
    assert previous.loc["P2", "n_enterprises"] == 0


def test_project_investment_intensity(scope_data):
    plots, firms = scope_data
    projects = pd.DataFrame({
        "park_id": ["K1", "K1", "K2"],
        "investment_wan": [5000.0, 3000.0, 1000.0],
        "land_mu": [20.0, np.nan, 10.0],
    })
    table = scope_indicators(firms, plots, "park_id", year=2023, projects=projects)
    # the project without land stays out of both sums
    assert table.loc["K1", "project_investment_intensity"] == pytest.approx(250.0)
    assert table.loc["K2", "project_investment_intensity"] == pytest.approx(100.0)


def test_growth_is_a_fraction_and_nan_without_a_base():
    cur = pd.Series([1.1, 2.0, 3.0, 1.0], index=list("abcd"), name="tax_per_mu")
    prev = pd.Series([0.0, 1.0, np.nan], index=list("bac"))
    g = growth(cur, prev)
    assert g.name == "tax_per_mu_growth"
    assert list(g.index) == list("abcd")
    assert g.loc["a"] == pytest.approx(0.1)
    assert np.isnan(g.loc["b"])  # from zero
    assert np.isnan(g.loc["c"])  # missing base
    assert np.isnan(g.loc["d"])  # not in last year's table


def test_growth_against_targets():
    cur = pd.DataFrame(
        {"tax_per_mu": [11.2, 10.5, 5.0, 8.0], "output_per_mu": [100.0, 108.0, 50.0, 80.0]},
        index=pd.Index(["K1", "K2", "K3", "K4"], name="park_id"),
    )
    prev = pd.DataFrame(
        {"tax_per_mu": [10.0, 10.0, 5.0], "output_per_mu": [100.0, 100.0, 50.0]},
        index=["K1", "K2", "K3"],
    )
    targets = pd.DataFrame({
        "scope_type": ["park", "park", "park", "park", "district"],
        "scope_id": ["K1", "K2", "K2", "K4", "K3"],
        "year": [2023, 2023, 2023, 2023, 2023],
        "metric": ["tax_per_mu_growth"] * 2 + ["output_per_mu_growth"] * 2 + ["tax_per_mu_growth"],
        "value": [0.10, 0.10, 0.08, 0.08, 0.10],
    })
    out = growth_against_targets(cur, prev, targets, scope_type="park", year=2023)
    assert list(out.index) == ["K1", "K2", "K3", "K4"]
    assert out.loc["K1", "tax_per_mu_growth"] == pytest.approx(0.12)
    assert out.loc["K1", "tax_per_mu_growth_target"] == pytest.approx(0.10)
    assert out["tax_per_mu_target_met"].dtype == "boolean"
    assert bool(out.loc["K1", "tax_per_mu_target_met"]) is True
    assert bool(out.loc["K2", "tax_per_mu_target_met"]) is False   # +5 % < +10 %
    assert bool(out.loc["K2", "output_per_mu_target_met"]) is True  # +8 % ≥ +8 %
    assert bool(out.loc["K2", "target_met"]) is False         # one of two missed
    assert bool(out.loc["K1", "target_met"]) is True
    assert pd.isna(out.loc["K3", "tax_per_mu_target_met"])    # district target not for parks
    assert pd.isna(out.loc["K3", "target_met"])
    assert np.isnan(out.loc["K4", "output_per_mu_growth"])     # no previous year
    assert pd.isna(out.loc["K4", "output_per_mu_target_met"])


def test_growth_without_previous_year_is_nan_not_an_error():
    cur = pd.DataFrame({"tax_per_mu": [1.0], "output_per_mu": [2.0]}, index=["K1"])
    out = growth_against_targets(cur, None, None, scope_type="park", year=2023)
    assert np.isnan(out.loc["K1", "tax_per_mu_growth"])
    assert pd.isna(out.loc["K1", "target_met"])
