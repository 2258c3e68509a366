"""``geoapp analyze --compare YEAR``: plot_change.csv and park_trend.csv beside the others."""

from __future__ import annotations

import pandas as pd
import pytest

from geoapp import comparison
from geoapp.cli import main
from geoapp.export.disclosure import is_confidential


@pytest.fixture(scope="module")
def compared(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "out"
    assert main(["analyze", str(demo_workspace), "--out", str(out), "--year", "2023",
                 "--compare", "2022"]) == 0
    return out


def test_compare_writes_the_change_and_the_trend(compared, demo_workspace):
    change = pd.read_csv(compared / "plot_change.csv", encoding="utf-8-sig",
                         dtype={"plot_id": str})
    trend = pd.read_csv(compared / "park_trend.csv", encoding="utf-8-sig")
    assert set(change["base_year"]) == {2022} and set(change["year"]) == {2023}
    row = change.dropna(subset=["tax_per_mu", "tax_per_mu_base"]).iloc[0]
    assert row["tax_per_mu_change"] == pytest.approx(row["tax_per_mu"] - row["tax_per_mu_base"])
    assert row["tax_per_mu_growth"] == pytest.approx(
        row["tax_per_mu"] / row["tax_per_mu_base"] - 1)
    base_plots, _ = comparison.evaluated(demo_workspace, 2022)
    base = base_plots.set_index(base_plots["plot_id"].astype(str))
    assert row["tax_per_mu_base"] == pytest.approx(base.loc[row["plot_id"], "tax_per_mu"])
    assert row["grade_move"] == f"{row['grade_base']}→{row['grade']}"
    assert sorted(trend["year"].unique()) == [2021, 2022, 2023]
    one = trend[trend["park_id"] == trend["park_id"].iloc[0]].set_index("year")
    assert one.loc[2023, "tax_per_mu"] == pytest.approx(one.loc[2023, "tax_wan"]
                                                        / one.loc[2023, "land_mu"])
    assert "plot_change.csv" in (compared / "README.txt").read_text(encoding="utf-8-sig")


def test_public_compare_withholds_the_confidential_columns(demo_workspace, tmp_path):
    out = tmp_path / "pub"
    assert main(["analyze", str(demo_workspace), "--out", str(out), "--year", "2023",
                 "--compare", "2022", "--public"]) == 0
    for name in ("plot_change", "park_trend"):
        cols = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig", nrows=2).columns
        assert [c for c in cols if is_confidential(c)] == []
    assert "grade_move" in pd.read_csv(out / "plot_change.csv", encoding="utf-8-sig",
                                       nrows=1).columns


def test_comparing_a_year_with_itself_is_a_usage_error(demo_workspace, tmp_path, capsys):
    assert main(["analyze", str(demo_workspace), "--out", str(tmp_path / "x"), "--year", "2023",
                 "--compare", "2023"]) == 2
    assert "--compare 2023" in capsys.readouterr().err
