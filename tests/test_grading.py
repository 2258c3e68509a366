import numpy as np
import pandas as pd
import pytest

from analysis.grading import (
    HUAIAN,
    PRESETS,
    ZHEJIANG,
    GradingPolicy,
    Item,
    classify,
    grade_enterprises,
    grade_plots,
    plot_scores,
    unrated_reason,
    with_overrides,
)

ZJ_ITEMS = [
    "tax_per_mu", "value_added_per_mu", "value_added_per_tce",
    "value_added_per_t_emissions", "labour_productivity", "rd_intensity",
]


def huangyan_example(extra: list[dict] | None = None):
    """Four 规上 firms under the zhejiang preset; f3 reports no energy (value added/tce missing).

    Benchmarks are the group means and contributions = weight × value / mean:

    item (weight)          f1     f2     f3     f4    mean   contributions f1, f2, f3, f4
    tax/mu (30)            10     20     30     40    25     12, 24, 36, 48
    value added/mu (20)    50    100    150    100   100     10, 20, 30, 20
    value added/tce (20)    2      4      -      6     4     10, 20, [20], 30  ← f3 gets the
                                                           mean item score (10+20+30)/3 = 20
    value added/t (10)    100    100    100    100   100     10, 10, 10, 10
    labour prod. (10)      10     20     30     20    20      5, 10, 15, 10
    R&D intensity (10)   0.01   0.02   0.03   0.06  0.03   3.333, 6.667, 10, 20

    scores: f1 50.333, f2 90.667, f3 121, f4 138 → ranks 4, 3, 2, 1 of n = 4;
    pct 1.0, 0.75, 0.5, 0.25 → D, C, B, B (no firm is in the top 20 %).
    """
    rows = [
        {"ent_id": e, "tax_per_mu": t, "value_added_per_mu": v, "value_added_per_tce": c,
         "value_added_per_t_emissions": 100, "labour_productivity": lp, "rd_intensity": rd}
        for e, t, v, c, lp, rd in [
            ("f1", 10, 50, 2, 10, 0.01),
            ("f2", 20, 100, 4, 20, 0.02),
            ("f3", 30, 150, np.nan, 30, 0.03),
            ("f4", 40, 100, 6, 20, 0.06),
        ]
    ]
    rows += extra or []
    frame = pd.DataFrame(rows)
    frame["year"] = frame.get("year", pd.Series(2023, index=frame.index)).fillna(2023)
    frame["scale"] = frame.get("scale", pd.Series("above", index=frame.index)).fillna("above")
    frame.index = [f"r{i}" for i in range(len(frame))]
    land = frame.get("land_mu", pd.Series(10.0, index=frame.index)).fillna(10.0)
    return frame, land


def test_huangyan_arithmetic_by_hand():
    firms, land = huangyan_example()
    out = grade_enterprises(firms, firms[ZJ_ITEMS], land, policy=ZHEJIANG)
    assert list(out.index) == list(firms.index)
    # 50 + 1/3 and 90 + 2/3, published to score_decimals = 2
    assert out["score"].tolist() == [50.33, 90.67, 121.0, 138.0]
    assert out["contrib_tax_per_mu"].tolist() == pytest.approx([12, 24, 36, 48])
    assert out["contrib_value_added_per_tce"].tolist() == pytest.approx([10, 20, 20, 30])
    assert out["bench_tax_per_mu"].tolist() == pytest.approx([25.0] * 4)
    assert out["bench_value_added_per_tce"].tolist() == pytest.approx([4.0] * 4)
    assert out["imputed_items"].tolist() == ["", "", "value_added_per_tce", ""]
    assert out["rank"].tolist() == [4, 3, 2, 1]
    assert out["n_rated"].tolist() == [4, 4, 4, 4]
    assert out["pct"].tolist() == pytest.approx([1.0, 0.75, 0.5, 0.25])
    assert out["grade"].tolist() == ["D", "C", "B", "B"]
    # what pulled f1 down most: R&D at 1/3 of the mean
    assert out.loc["r0", "weakest_item"] == "rd_intensity"
    contribs = out[[f"contrib_{i}" for i in ZJ_ITEMS]].sum(axis=1)
    assert contribs.round(2).tolist() == out["score"].tolist()  # Σ items, to 2 decimals


def test_missing_item_gets_the_mean_item_score_under_a_cap():
    # cap value added/tce at 1.2 × mean: f4 1.5 → 1.2, so contributions 10, 20, 24 and the
    # mean item score f3 gets is (10 + 20 + 24) / 3 = 18 — below the weight of 20.
    firms, land = huangyan_example()
    policy = with_overrides(ZHEJIANG, caps={"above": {"value_added_per_tce": 1.2}})
    out = grade_enterprises(firms, firms[ZJ_ITEMS], land, policy=policy)
    assert out["contrib_value_added_per_tce"].tolist() == pytest.approx([10, 20, 18, 24])


def test_fixed_benchmark_replaces_the_group_mean():
    firms, land = huangyan_example()
    policy = with_overrides(ZHEJIANG, benchmarks={"above": {"tax_per_mu": 20.0}})
    out = grade_enterprises(firms, firms[ZJ_ITEMS], land, policy=policy)
    # 30 × value / 20
    assert out["contrib_tax_per_mu"].tolist() == pytest.approx([15, 30, 45, 60])


def test_unrated_firms_are_class_t_and_left_out_of_n_and_benchmarks():
    extra = [
        # in production one year: huge figures that would move every mean
        {"ent_id": "new", "start_year": 2022, "tax_per_mu": 1000, "value_added_per_mu": 1000,
         "value_added_per_tce": 1000, "value_added_per_t_emissions": 1000,
         "labour_productivity": 1000, "rd_intensity": 1.0},
        {"ent_id": "util", "utility": 1, "tax_per_mu": 1000, "value_added_per_mu": 1000},
        {"ent_id": "nol", "land_mu": 0.0, "tax_per_mu": np.nan},
    ]
    firms, land = huangyan_example(extra)
    land.iloc[6] = 0.0
    out = grade_enterprises(firms, firms[ZJ_ITEMS], land, policy=ZHEJIANG)
    rated = out.iloc[:4]
    assert rated["score"].tolist() == [50.33, 90.67, 121.0, 138.0]
    assert rated["n_rated"].tolist() == [4, 4, 4, 4]
    assert rated["grade"].tolist() == ["D", "C", "B", "B"]
    t = out.iloc[4:]
    assert t["grade"].tolist() == ["T", "T", "T"]
    assert t["unrated_reason"].tolist() == ["new", "utility", "no_land"]
    assert t["score"].isna().all()
    assert t["rated"].tolist() == [False, False, False]


def test_two_years_of_production_is_rated():
    ents = pd.DataFrame({"year": [2023, 2023, 2023], "start_year": [2021, 2022, np.nan]})
    reason = unrated_reason(ents, pd.Series([1.0, 1.0, 1.0]))
    assert pd.isna(reason.iloc[0])      # 2023 - 2021 = 2: rated
    assert reason.iloc[1] == "new"      # 1 year
    assert pd.isna(reason.iloc[2])      # unknown start: rated


def test_below_scale_is_scored_on_tax_per_mu_alone_in_its_own_group():
    firms, land = huangyan_example([
        {"ent_id": "s1", "scale": "below", "tax_per_mu": 1.0},
        {"ent_id": "s2", "scale": "below", "tax_per_mu": 3.0, "value_added_per_mu": np.nan},
    ])
    out = grade_enterprises(firms, firms[ZJ_ITEMS], land, policy=ZHEJIANG)
    below = out.iloc[4:]
    # 100 × value / mean(1, 3) = 50 and 150; rank 2 and 1 of n = 2
    assert below["score"].tolist() == pytest.approx([50.0, 150.0])
    assert below["n_rated"].tolist() == [2, 2]
    assert below["grade"].tolist() == ["D", "B"]  # pct 1.0 and 0.5
    assert below["imputed_items"].tolist() == ["", ""]
    assert below["contrib_value_added_per_mu"].isna().all()  # not an item of their scheme
    # the 规上 group is unchanged by them
    assert out["score"].iloc[:4].tolist() == [50.33, 90.67, 121.0, 138.0]


def test_groups_are_per_year():
    firms, land = huangyan_example([{"ent_id": "f1", "year": 2022, "tax_per_mu": 5.0}])
    out = grade_enterprises(firms, firms[["tax_per_mu"]].assign(
        value_added_per_mu=np.nan, value_added_per_tce=np.nan,
        value_added_per_t_emissions=np.nan, labour_productivity=np.nan, rd_intensity=np.nan,
    ), land, policy=ZHEJIANG)
    last = out.iloc[4]
    # alone in 2022: at its own benchmark on tax, every other item imputed at full weight
    assert last["score"] == pytest.approx(100.0)
    assert last["n_rated"] == 1
    assert last["grade"] == "D"  # pct = 1 / 1: the formula puts a group of one in D
    assert out["n_rated"].iloc[:4].tolist() == [4, 4, 4, 4]


def test_huaian_preset():
    firms = pd.DataFrame({
        "year": [2023, 2023], "scale": ["above", "above"],
        "tax_per_mu": [10.0, 30.0], "revenue_per_mu": [100.0, 100.0], "tax_per_tce": [1.0, 3.0],
    })
    out = grade_enterprises(firms, firms, pd.Series([5.0, 5.0]), policy=HUAIAN)
    # f1: 45 × 10/20 + 35 × 1 + 20 × 1/2 = 22.5 + 35 + 10 = 67.5; f2: 67.5 + 35 + 30 = 132.5
    assert out["score"].tolist() == pytest.approx([67.5, 132.5])
    assert set(PRESETS) == {"zhejiang", "huaian"}


# --- classes -----------------------------------------------------------------------------


def test_class_cutoffs_on_ten_firms():
    score = pd.Series(np.arange(100.0, 0.0, -10.0), index=[f"e{i}" for i in range(10)])
    out = classify(score)
    assert list(out.index) == list(score.index)
    # pct 0.1 … 1.0: A ≤ 0.2 < B ≤ 0.6 < C ≤ 0.95 < D
    assert "".join(out["grade"]) == "AABBBBCCCD"
    assert out["n_rated"].tolist() == [10] * 10


def test_tied_scores_at_a_boundary_share_the_better_class():
    # firms 2 and 3 tied (ranks 2, 2 → pct 0.2 for both: A), firms 6 and 7 tied (pct 0.6: B)
    score = pd.Series([100, 90, 90, 70, 60, 50, 50, 30, 20, 10], dtype="float64")
    out = classify(score)
    assert out["rank"].tolist() == [1, 2, 2, 4, 5, 6, 6, 8, 9, 10]
    assert "".join(out["grade"]) == "AAABBBBCCD"


def test_tie_just_past_a_boundary_takes_the_worse_rank_for_all():
    # ranks 3 and 3 → pct 0.3: both B although one of them is "second-best two"
    score = pd.Series([100, 90, 80, 80, 60, 50, 40, 30, 20, 10], dtype="float64")
    assert "".join(classify(score)["grade"]) == "AABBBBCCCD"


def test_the_095_boundary_on_twenty_firms():
    score = pd.Series(np.arange(20.0, 0.0, -1.0))
    grades = classify(score)["grade"].tolist()
    assert grades[18] == "C"  # pct 19/20 = 0.95
    assert grades[19] == "D"  # pct 1.0


def test_missing_scores_are_left_out_of_n():
    score = pd.Series([3.0, np.nan, 2.0, 1.0, np.nan])
    out = classify(score)
    assert out["n_rated"].dropna().tolist() == [3, 3, 3]
    assert out["grade"].isna().tolist() == [False, True, False, False, True]


def test_classify_within_groups_and_custom_cutoffs():
    score = pd.Series([5.0, 4.0, 3.0, 2.0])
    groups = pd.Series(["x", "y", "x", "y"])
    out = classify(score, groups, cutoffs=(0.5,), classes=("good", "bad"))
    assert out["grade"].tolist() == ["good", "good", "bad", "bad"]


# --- policies ----------------------------------------------------------------------------


def test_zhejiang_weights_add_up_to_100():
    for policy in (ZHEJIANG, HUAIAN):
        for items in policy.schemes.values():
            assert sum(i.weight for i in items) == pytest.approx(100.0)
    weights = {i.indicator: i.weight for i in ZHEJIANG.schemes["above"]}
    assert weights == {
        "tax_per_mu": 30, "value_added_per_mu": 20, "value_added_per_tce": 20,
        "value_added_per_t_emissions": 10, "labour_productivity": 10, "rd_intensity": 10,
    }


def test_overrides_and_their_errors():
    p = with_overrides(ZHEJIANG, weights={"above": {"tax_per_mu": 40}}, cutoffs=[0.1, 0.5, 0.9])
    assert {i.indicator: i.weight for i in p.schemes["above"]}["tax_per_mu"] == 40
    assert p.cutoffs == (0.1, 0.5, 0.9)
    assert ZHEJIANG.schemes["above"][0].weight == 30  # the preset is untouched
    with pytest.raises(ValueError, match="not an item"):
        with_overrides(ZHEJIANG, caps={"below": {"rd_intensity": 2}})
    with pytest.raises(ValueError, match="unknown scale"):
        with_overrides(ZHEJIANG, benchmarks={"huge": {"tax_per_mu": 2}})
    with pytest.raises(ValueError, match="cut-offs"):
        GradingPolicy("x", {"above": (Item("tax_per_mu", 100),)}, cutoffs=(0.6, 0.2, 0.9))
    with pytest.raises(ValueError, match="benchmark"):
        Item("tax_per_mu", 30, benchmark=0)


def test_plot_score_is_land_weighted():
    plot_id = pd.Series(["P1", "P1", "P2", "P2"], index=[5, 6, 7, 8])
    score = pd.Series([50.0, 110.0, 80.0, np.nan], index=[5, 6, 7, 8])
    land = pd.Series([5.0, 10.0, 3.0, 12.0], index=[5, 6, 7, 8])
    result = plot_scores(plot_id, score, land)
    # P1: (50 × 5 + 110 × 10) / 15 = 90; P2: the unrated tenant is left out → 80
    assert result.to_dict() == pytest.approx({"P1": 90.0, "P2": 80.0})


def test_plot_grades_from_land_weighted_scores():
    plots = pd.DataFrame({"plot_id": ["P1", "P2", "P3", "P4", "P5"]}, index=list("abcde"))
    firms = pd.DataFrame({
        "plot_id": ["P1", "P1", "P2", "P3", "P4"],
        "score": [50.0, 110.0, 120.0, 60.0, np.nan],
        "land_mu": [5.0, 10.0, 7.0, 7.0, 7.0],
    })
    out = grade_plots(plots, firms, policy=ZHEJIANG)
    assert list(out.index) == list("abcde")
    # P1 90, P2 120, P3 60 → ranks 2, 1, 3 of n = 3 → pct 0.667 (C), 0.333 (B), 1.0 (D)
    assert out["score"].iloc[:3].tolist() == pytest.approx([90.0, 120.0, 60.0])
    assert out["grade"].tolist()[:3] == ["C", "B", "D"]
    assert out.loc["d", "grade"] == "T"   # only an unrated firm
    assert pd.isna(out.loc["e", "grade"])  # no firm at all


def test_equal_firms_on_reprojected_equal_plots_share_their_class():
    """Three identical firms on identical 15-亩 plots tie at the 60 % cut-off: all three B.

    The plots are drawn at different places, so their areas measured after the WGS84 round
    trip differ in the 10th decimal, and so do the firms' per-mu figures and raw scores;
    scores published to two decimals are equal, so the firms share rank 3 of 5 and class B
    (pct 3/5 = 0.6 ≤ 0.60), not B, C, C as a ranking of the noise would give.
    """
    from analysis.efficiency import enterprise_indicators
    from analysis.overlay import land_area_mu
    from tests.conftest import squares

    plots = squares([100, 100, 100, 100, 100], gap_m=1234.567)
    land = land_area_mu(plots)
    assert land.nunique() > 1  # the float noise is really there
    assert land.tolist() == pytest.approx([15.0] * 5, rel=1e-9)
    firms = pd.DataFrame({
        "ent_id": ["top1", "top2", "t1", "t2", "t3"], "year": 2023, "scale": "below",
        "tax_wan": [900.0, 600.0, 150.0, 150.0, 150.0], "output_wan": 1000.0,
    }, index=plots.index)
    ind = enterprise_indicators(firms, land)
    raw = ind["tax_per_mu"].iloc[2:]
    assert raw.nunique() > 1  # 10.000000000x: unequal before rounding
    out = grade_enterprises(firms, ind, land, policy=ZHEJIANG)
    assert out["score"].iloc[2:].nunique() == 1
    assert out["rank"].tolist() == [1, 2, 3, 3, 3]
    assert out["grade"].tolist() == ["A", "B", "B", "B", "B"]
    # ranked on the unrounded noise, the tie is broken: pct 0.6, 0.8, 1.0 → B, C, D
    noisy = grade_enterprises(firms, ind, land, policy=with_overrides(ZHEJIANG,
                                                                      score_decimals=12))
    assert sorted(noisy["grade"].iloc[2:].tolist()) == ["B", "C", "D"]


def test_score_decimals_is_the_published_precision():
    firms, land = huangyan_example()
    policy = with_overrides(ZHEJIANG, score_decimals=0)
    out = grade_enterprises(firms, firms[ZJ_ITEMS], land, policy=policy)
    assert out["score"].tolist() == [50.0, 91.0, 121.0, 138.0]
