import numpy as np
import pandas as pd
import pytest

from analysis.low_efficiency import (
    DEFAULT_RULES,
    REASON_LABELS_ZH,
    LowEfficiencyThresholds,
    low_efficiency_list,
    select_rules,
)


def plot(**kw) -> dict:
    """A healthy plot: graded B, 20 万元/亩, in use, one firm, plot ratio 1.5, zone 104."""
    base = {
        "grade": "B", "tax_per_mu": 20.0, "status": "in_use", "n_enterprises": 1,
        "n_projects": 0, "zone_type": "104", "output_wan": 1000.0, "tax_wan": 100.0,
        "project_investment_wan": np.nan, "contract_investment_wan": np.nan,
        "contract_output_wan": np.nan, "contract_tax_wan": np.nan,
        "plot_ratio": 1.5, "land_use": "M1",
    }
    return {**base, **kw}


def reasons_of(**kw) -> str:
    frame = pd.DataFrame([plot(**kw)])
    return low_efficiency_list(frame)["reasons"].iloc[0]


def test_a_healthy_plot_is_not_listed():
    out = low_efficiency_list(pd.DataFrame([plot()], index=["P1"]))
    assert list(out.index) == ["P1"]
    assert out.loc["P1", "reasons"] == ""
    assert not out.loc["P1", "low_efficiency"]


def test_grade_d():
    assert reasons_of(grade="D") == "grade_d"
    assert reasons_of(grade="C") == ""
    assert reasons_of(grade=None) == ""


def test_tax_floor_is_strict_and_needs_a_firm():
    assert reasons_of(tax_per_mu=0.99) == "low_tax"
    assert reasons_of(tax_per_mu=1.0) == ""             # at the floor: not below it
    assert reasons_of(tax_per_mu=np.nan) == ""          # unknown is not low
    # an empty plot with a project (under construction) is not "low tax"
    assert reasons_of(tax_per_mu=0.0, n_enterprises=0, n_projects=1) == ""


def test_idle_by_status_or_by_emptiness():
    assert reasons_of(status="idle") == "idle"
    assert reasons_of(n_enterprises=0, n_projects=0, tax_per_mu=np.nan) == "idle"
    assert reasons_of(n_enterprises=0, n_projects=1, tax_per_mu=np.nan) == ""


def test_zone_198():
    assert reasons_of(zone_type="198") == "zone_198"
    assert reasons_of(zone_type="195") == ""
    assert reasons_of(zone_type=None) == ""


def test_contract_investment_below_half():
    assert reasons_of(n_projects=1, project_investment_wan=4999.0,
                      contract_investment_wan=10_000.0) == "contract_investment"
    assert reasons_of(n_projects=1, project_investment_wan=5000.0,
                      contract_investment_wan=10_000.0) == ""
    # no project on the plot: the investment is unknown, not zero
    assert reasons_of(n_projects=0, contract_investment_wan=10_000.0) == ""


def test_contracts_are_judged_only_after_the_ramp_up_period():
    # supplied 2 years ago: still ramping up (达产期 3 years by default), not judged
    assert reasons_of(output_wan=100.0, contract_output_wan=1000.0, years_since_supply=2) == ""
    assert reasons_of(output_wan=100.0, contract_output_wan=1000.0,
                      years_since_supply=3) == "contract_output"
    t = LowEfficiencyThresholds(contract_grace_years=1)
    frame = pd.DataFrame([plot(output_wan=100.0, contract_output_wan=1000.0, years_since_supply=2)])
    assert low_efficiency_list(frame, thresholds=t)["reasons"].tolist() == ["contract_output"]


def test_contract_output_and_tax_below_half():
    assert reasons_of(output_wan=499.0, contract_output_wan=1000.0) == "contract_output"
    assert reasons_of(output_wan=500.0, contract_output_wan=1000.0) == ""
    assert reasons_of(tax_wan=49.0, contract_tax_wan=100.0) == "contract_tax"
    assert reasons_of(output_wan=0.0, contract_output_wan=0.0) == ""  # no contract value


def test_plot_ratio_floor_default_and_by_land_use():
    assert reasons_of(plot_ratio=0.59) == "low_plot_ratio"
    assert reasons_of(plot_ratio=0.6) == ""
    assert reasons_of(plot_ratio=np.nan) == ""
    frame = pd.DataFrame([plot(plot_ratio=1.1, land_use="M1"), plot(plot_ratio=1.1, land_use="M2")])
    t = LowEfficiencyThresholds(plot_ratio_floors={"M1": 1.2})
    assert low_efficiency_list(frame, thresholds=t)["reasons"].tolist() == ["low_plot_ratio", ""]


def test_every_triggered_rule_is_listed_in_rule_order():
    frame = pd.DataFrame(
        [plot(grade="D", tax_per_mu=0.5, zone_type="198", plot_ratio=0.4, status="idle")],
        index=[42],
    )
    out = low_efficiency_list(frame)
    assert out.loc[42, "reasons"] == "grade_d; low_tax; idle; zone_198; low_plot_ratio"
    assert out.loc[42, "reasons_zh"] == (
        "综合评价D类；亩均税收低于下限；闲置；位于198区域；容积率低于下限"
    )
    assert out.loc[42, "low_efficiency"]
    assert out.loc[42, "rule_zone_198"]
    assert not out.loc[42, "rule_contract_output"]


def test_thresholds_and_rule_selection_are_configurable():
    frame = pd.DataFrame([plot(tax_per_mu=3.0, zone_type="198")])
    t = LowEfficiencyThresholds(tax_per_mu_floor_wan=5.0)
    rules = select_rules(["low_tax"])
    out = low_efficiency_list(frame, thresholds=t, rules=rules)
    assert out["reasons"].tolist() == ["low_tax"]
    assert [c for c in out.columns if c.startswith("rule_")] == ["rule_low_tax"]
    with pytest.raises(ValueError, match="unknown low-efficiency rules"):
        select_rules(["low_tax", "ugly"])
    with pytest.raises(ValueError, match="contract_fraction"):
        LowEfficiencyThresholds(contract_fraction=1.5)


def test_absent_columns_never_trigger_a_rule():
    frame = pd.DataFrame({"plot_id": ["P1"], "n_enterprises": [2], "n_projects": [0]})
    assert low_efficiency_list(frame)["reasons"].tolist() == [""]


def test_idle_needs_the_counts_to_judge_emptiness():
    # Without n_enterprises / n_projects nothing says the plot is empty: not idle.
    frame = pd.DataFrame({"plot_id": ["P1", "P2"], "status": ["in_use", "idle"]},
                         index=[5, 9])
    out = low_efficiency_list(frame)
    assert out.index.equals(frame.index)
    assert out["reasons"].tolist() == ["", "idle"]  # the status still counts
    only_firms = pd.DataFrame({"plot_id": ["P1"], "n_enterprises": [0]})
    assert low_efficiency_list(only_firms)["reasons"].tolist() == [""]
    unknown = pd.DataFrame({"plot_id": ["P1"], "n_enterprises": [np.nan], "n_projects": [0]})
    assert low_efficiency_list(unknown)["reasons"].tolist() == [""]


def test_labels_cover_every_rule():
    assert set(REASON_LABELS_ZH) == {r.code for r in DEFAULT_RULES}
