"""Public mode survives differencing: no published total minus its published members gives
back one firm's figure, on a crafted case where the old per-cell rule leaks and on the demo."""

import shutil

import pandas as pd
import pyogrio
import pytest

from geoapp import pipeline
from geoapp.cli import main
from geoapp.export.suppression import public_tables, withheld


def crafted_firms():
    # Park K: P1 has one firm (tax 50); P2 and P3 three firms each (100 and 120 each).
    rows = [("a", "P1", 50.0)] + [(f"b{i}", "P2", 100.0) for i in range(3)] + \
           [(f"c{i}", "P3", 120.0) for i in range(3)]
    return pd.DataFrame([{"ent_id": e, "plot_id": p, "park_id": "K", "town_code": "T",
                          "district_code": "D", "tax_wan": t} for e, p, t in rows])


def test_the_old_rule_leaks_and_the_run_rule_does_not():
    firms = crafted_firms()
    plots = firms.groupby("plot_id").agg(tax_wan=("tax_wan", "sum"),
                                         n_enterprises=("ent_id", "size")).reset_index()
    plots["park_id"] = "K"
    park = pd.DataFrame({"park_id": ["K"], "tax_wan": [plots["tax_wan"].sum()],
                         "n_enterprises": [7]})
    # per-cell rule alone: P1 hidden (1 firm), the park published: 710 - 300 - 360 = 50 = a's tax
    naive_p1 = park["tax_wan"][0] - plots.loc[plots["plot_id"] != "P1", "tax_wan"].sum()
    assert naive_p1 == 50.0
    hidden = withheld(firms)
    assert hidden["plots"] == {"P1", "P2"}  # P2, the smallest published plot, hides P1
    assert hidden["parks"] == set()
    out = public_tables({"plots_evaluated": plots, "park_ranking": park}, firms)
    shown = out["plots_evaluated"].set_index("plot_id")["tax_wan"]
    assert shown.isna().tolist() == [True, True, False]
    residual = out["park_ranking"]["tax_wan"][0] - shown.sum()
    assert residual == 350.0  # P1 + P2: four firms, none over 85 % of it


def test_other_aggregates_lose_their_confidential_columns():
    firms = crafted_firms()
    grid = pd.DataFrame({"cell": [1], "tax_wan": [710.0], "n_enterprises": [7], "n_plots": [3]})
    out = public_tables({"grid": grid}, firms)
    assert list(out["grid"].columns) == ["cell", "n_enterprises", "n_plots"]


def test_demo_public_folder_recovers_no_single_firm(demo_workspace, tmp_path):
    ws = tmp_path / "ws.gpkg"
    shutil.copy(demo_workspace, ws)
    out = tmp_path / "public"
    assert main(["analyze", str(ws), "--out", str(out), "--public", "--year", "2023",
                 "--as-of", "2023-12-31"]) == 0
    firms = pipeline.analyse_workspace(ws, year=2023).results["evaluation"].enterprises
    firms = firms[firms["plot_id"].notna() & firms["tax_wan"].notna()]
    plots = pyogrio.read_dataframe(out / "analysis.gpkg", layer="plots", read_geometry=False)
    published = {
        "park_id": pd.read_csv(out / "park_ranking.csv", dtype={"park_id": str}),
        "town_code": pd.read_csv(out / "town_ranking.csv", dtype={"town_code": str}),
        "district_code": pd.read_csv(out / "district_ranking.csv", dtype={"district_code": str}),
    }
    tax_of = plots.set_index("plot_id")["tax_wan"]
    assert tax_of.isna().sum() > 0  # something is suppressed on the demo
    checked = 0
    for key, totals in published.items():
        scope_of = firms.drop_duplicates("plot_id").set_index("plot_id")[key].astype(str)
        for row in totals.dropna(subset=["tax_wan"]).itertuples():
            members = scope_of.index[scope_of == str(getattr(row, key))]
            hidden = [p for p in members if pd.isna(tax_of.get(p))]
            residual = row.tax_wan - tax_of.reindex(members).sum()
            inside = firms[firms["plot_id"].isin(hidden)]
            per_firm = inside.groupby("ent_id")["tax_wan"].sum()
            if len(per_firm) == 0:
                assert residual == pytest.approx(0.0, abs=1e-6)
                continue
            checked += 1
            assert residual == pytest.approx(per_firm.sum(), rel=1e-6)
            assert len(per_firm) >= 3, (key, row)  # the residual is no firm's own figure
            assert per_firm.max() <= 0.85 * per_firm.sum() + 1e-9, (key, row)
    assert checked > 0
    # every published plot and park cell is safe on its own too
    for frame in (plots, published["park_id"]):
        shown = frame[frame["tax_wan"].notna()]
        assert (shown["n_enterprises"] >= 3).all()
