"""The app's year comparison (geoapp.app.yearchange) on hand-made tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoapp.app import yearchange


def test_absolute_scale_is_centred_on_zero_and_relative_can_centre_on_the_target():
    values = pd.Series([-3.0, -1.0, 0.0, 0.5, 2.0, 3.0])
    leg = yearchange.change_legend(values, indicator="tax_per_mu", relative=False)
    assert leg.metric == "tax_per_mu_change"
    assert leg.centre == 0.0 and len(leg.colors) == len(leg.labels) == 6
    assert leg.edges[3] == 0.0
    # 0 is "not fallen": the class just above the centre; a fall below it; missing → -1
    assert leg.classify(pd.Series([0.0, -0.1, np.nan])).tolist() == [3, 2, -1]
    rel = yearchange.change_legend(pd.Series([0.0, 0.3, -0.2]), indicator="tax_per_mu",
                                   relative=True, on_target=True, years=2)
    assert rel.metric == "tax_per_mu_growth"
    assert rel.centre == pytest.approx(0.21)          # 10 % a year over two years
    assert rel.classify(pd.Series([0.21, 0.20])).tolist() == [3, 2]   # met / not met
    assert yearchange.target_over("output_per_mu", 1) == pytest.approx(0.08)


def test_moved_plots_lists_only_moves_worst_first():
    change = pd.DataFrame({"plot_id": ["a", "b", "c", "d"],
                           "grade_base": ["A", "B", "C", None], "grade": ["C", "B", "B", "A"],
                           "grade_move": ["A→C", "B→B", "C→B", None],
                           "grade_steps": [-2.0, 0.0, 1.0, np.nan]})
    moved = yearchange.moved_plots(change)
    assert moved["plot_id"].tolist() == ["a", "c"]
    assert moved["grade_move"].tolist() == ["A→C", "C→B"]


def test_park_series_is_one_park_by_year():
    trend = pd.DataFrame({"park_id": ["P1", "P1", "P2"], "year": [2023, 2022, 2023],
                          "tax_per_mu": [2.0, 1.0, 9.0], "output_per_mu": [20.0, 10.0, 90.0]})
    s = yearchange.park_series(trend, "P1")
    assert s.index.tolist() == [2022, 2023]
    assert s["tax_per_mu"].tolist() == [1.0, 2.0]


def test_with_change_joins_on_plot_id(demo_workspace):
    from geoapp import comparison
    from geoapp.app import loading

    data = loading.load_app_data(str(demo_workspace), loading.workspace_mtime(demo_workspace),
                                 2023)
    change = comparison.plot_change(data.plots, data.plots.iloc[::-1], year=2023,
                                    base_year=2023)
    joined = yearchange.with_change(data, change)
    assert joined.plots["tax_per_mu_change"].fillna(0).abs().max() == 0.0
    assert len(joined.plots) == len(data.plots) and joined.year == data.year
    assert "tax_per_mu_change" not in data.plots
