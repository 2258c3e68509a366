"""Disclosure control that survives differencing: no firm's figure from published totals."""

from itertools import chain, combinations

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure import (
    COUNT,
    LARGEST,
    PRIMARY_DOMINANCE,
    PRIMARY_N,
    SECONDARY,
    VALUE,
    Link,
    cell_table,
    naive_suppress,
    primary,
    suppress,
)

HIERARCHY = [Link("plots", "parks", "park_id"), Link("plots", "towns", "town_code"),
             Link("towns", "districts", "district_code")]


def build_tables(firms: pd.DataFrame, plots: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Cell tables of tax per plot, park, town, district from firm records (one plot each)."""
    f = firms.join(plots, on="plot_id")
    tax, ent = f["tax_wan"], f["ent_id"]
    t_plots = cell_table(tax, ent, f["plot_id"]).join(plots)
    in_park = f["park_id"].notna()
    t_parks = cell_table(tax[in_park], ent[in_park], f.loc[in_park, "park_id"])
    t_towns = cell_table(tax, ent, f["town_code"]).join(
        plots.groupby("town_code")["district_code"].first())
    t_districts = cell_table(tax, ent, f["district_code"])
    return {"plots": t_plots, "parks": t_parks, "towns": t_towns, "districts": t_districts}


def firms_of(firms, plots):
    """Firm values behind each cell of each table (for the auditor only)."""
    f = firms.join(plots, on="plot_id")
    town_district = plots.groupby("town_code")["district_code"].first()
    return {
        "plots": f.groupby("plot_id")["tax_wan"].apply(list).to_dict(),
        "parks": f.dropna(subset=["park_id"]).groupby("park_id")["tax_wan"].apply(list).to_dict(),
        "towns": f.groupby("town_code")["tax_wan"].apply(list).to_dict(),
        "districts": f.groupby(f["town_code"].map(town_district))["tax_wan"].apply(list)
        .to_dict(),
    }


def relations(tables):
    """(parent table, parent key, child table, [child keys]) for every link."""
    for link in HIERARCHY:
        child = tables[link.child]
        for key, members in child.groupby(link.by).groups.items():
            yield link.parent, key, link.child, list(members)


def differencing_leaks(tables, mask, behind, *, dominance=0.85, max_subsets=5000):
    """Every total minus any subset of its published members: what each remainder reveals.

    A remainder is a leak when the firms behind it are fewer than three, one of them holds
    more than ``dominance`` of it, or it equals one firm's figure.
    """
    all_firm_values = np.array([v for cells in behind["plots"].values() for v in cells])
    leaks = []
    for ptable, pkey, ctable, members in relations(tables):
        if mask[ptable][pkey]:
            continue
        total = tables[ptable].loc[pkey, VALUE]
        published = [m for m in members if not mask[ctable][m]]
        hidden = [m for m in members if mask[ctable][m]]
        subsets = chain.from_iterable(combinations(published, k)
                                      for k in range(len(published), -1, -1))
        for i, sub in enumerate(subsets):
            if i >= max_subsets:
                break
            remainder = total - sum(tables[ctable].loc[m, VALUE] for m in sub)
            rest = [m for m in members if m not in sub]
            firms = [v for m in rest for v in behind[ctable][m]]
            if not rest:
                continue
            if (len(firms) < 3 or max(firms) > dominance * sum(firms)
                    or np.isclose(remainder, all_firm_values, rtol=0, atol=1e-6).any()):
                leaks.append((ptable, pkey, tuple(sub), hidden, remainder))
    return leaks


def determined_cells(tables, mask):
    """Suppressed cells the published totals pin down, found by an independent rank test."""
    unknown = [(t, k) for t in tables for k in tables[t].index if mask[t][k]]
    col = {u: j for j, u in enumerate(unknown)}
    rows = []
    for ptable, pkey, ctable, members in relations(tables):
        row = np.zeros(len(unknown))
        if mask[ptable][pkey]:
            row[col[(ptable, pkey)]] = -1
        for m in members:
            if mask[ctable][m]:
                row[col[(ctable, m)]] = 1
        if row.any():
            rows.append(row)
    a = np.array(rows).reshape(-1, len(unknown))
    rank = np.linalg.matrix_rank(a) if a.size else 0
    out = []
    for j, u in enumerate(unknown):
        e = np.zeros(len(unknown))
        e[j] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == rank:
            out.append(u)
    return out


def crafted():
    """One park of three plots: P1 has a single firm (tax 50), P2 four firms, P3 five."""
    plots = pd.DataFrame({"park_id": ["K1"] * 3, "town_code": ["T1"] * 3,
                          "district_code": ["D1"] * 3}, index=pd.Index(["P1", "P2", "P3"],
                                                                       name="plot_id"))
    taxes = {"P1": [50.0], "P2": [11.0, 12.5, 13.25, 14.125], "P3": [20.5, 21.25, 22.0,
                                                                      23.75, 24.5]}
    firms = pd.DataFrame([{"ent_id": f"E{p}{i}", "plot_id": p, "tax_wan": v}
                          for p, vs in taxes.items() for i, v in enumerate(vs)])
    return firms, plots


def test_naive_threshold_suppression_leaks_by_differencing_and_ours_does_not():
    firms, plots = crafted()
    tables = build_tables(firms, plots)
    behind = firms_of(firms, plots)
    naive = naive_suppress(tables)
    assert naive["plots"].tolist() == [True, False, False]
    # the attack: park total minus the published plots gives P1's single firm's tax
    park = tables["parks"].loc["K1", VALUE]
    recovered = park - tables["plots"].loc[["P2", "P3"], VALUE].sum()
    assert recovered == pytest.approx(50.0)
    assert differencing_leaks(tables, naive, behind)

    result = suppress(tables, HIERARCHY)
    assert result.reason["plots"].tolist() == [PRIMARY_N, SECONDARY, None]  # P2 is smaller
    assert np.isnan(result.tables["plots"].loc["P1", VALUE])
    assert differencing_leaks(tables, result.mask, behind) == []
    assert determined_cells(tables, result.mask) == []


def test_primary_rules_threshold_and_dominance():
    t = pd.DataFrame({VALUE: [10.0, 100.0, 100.0, 0.0], COUNT: [2, 5, 5, 0],
                      LARGEST: [6.0, 90.0, 40.0, 0.0]}, index=list("abcd"))
    assert primary(t).tolist() == [PRIMARY_N, PRIMARY_DOMINANCE, None, None]
    assert primary(t, dominance=0.95)["b"] is None
    assert primary(t, min_firms=6)["c"] == PRIMARY_N


def test_dominated_complement_is_not_enough():
    """Hiding one 1-firm plot with a tiny complement still gives that firm's tax ±1 %."""
    firms, plots = crafted()
    firms.loc[firms.plot_id == "P2", "tax_wan"] = [0.1, 0.1, 0.1, 0.2]
    tables = build_tables(firms, plots)
    result = suppress(tables, HIERARCHY)
    # P1 + P2 is 50.5, 99 % of it one firm: P3 must go too (or the park total)
    assert result.mask["plots"].sum() + result.mask["parks"].sum() >= 3
    assert differencing_leaks(tables, result.mask, firms_of(firms, plots)) == []


def test_every_differencing_fails_on_a_crossing_park_and_town_hierarchy():
    """Parks cut across towns; towns sum to districts; every total published unless hidden."""
    plots = pd.DataFrame({
        "park_id": ["K1", "K1", "K1", "K2", "K2", "K2", None, None],
        "town_code": ["T1", "T1", "T2", "T2", "T3", "T3", "T1", "T3"],
        "district_code": ["D1", "D1", "D1", "D1", "D2", "D2", "D1", "D2"],
    }, index=pd.Index([f"P{i}" for i in range(1, 9)], name="plot_id"))
    counts = {"P1": 1, "P2": 3, "P3": 4, "P4": 2, "P5": 5, "P6": 3, "P7": 6, "P8": 4}
    rng = np.random.default_rng(7)
    firms = pd.DataFrame([{"ent_id": f"E{p}_{i}", "plot_id": p,
                           "tax_wan": float(np.round(rng.lognormal(3, 0.5), 3))}
                          for p, n in counts.items() for i in range(n)])
    tables = build_tables(firms, plots)
    behind = firms_of(firms, plots)
    assert differencing_leaks(tables, naive_suppress(tables), behind)
    result = suppress(tables, HIERARCHY)
    assert set(result.reason["plots"].dropna().index) >= {"P1", "P4"}
    assert differencing_leaks(tables, result.mask, behind) == []
    assert determined_cells(tables, result.mask) == []


def demo_like(seed: int):
    """Three districts, eight towns, six parks crossing towns, 120 plots, ~400 firms."""
    rng = np.random.default_rng(seed)
    n = 120
    town = rng.integers(0, 8, n)
    park = np.where(rng.random(n) < 0.7, rng.integers(0, 6, n), -1)
    plots = pd.DataFrame({
        "park_id": [f"K{k}" if k >= 0 else None for k in park],
        "town_code": [f"T{t}" for t in town],
        "district_code": [f"D{t // 3}" for t in town],
    }, index=pd.Index([f"P{i:03d}" for i in range(n)], name="plot_id"))
    sizes = rng.choice([1, 2, 3, 4, 6, 10], n, p=[0.07, 0.05, 0.28, 0.3, 0.2, 0.1])
    firms = pd.DataFrame([{"ent_id": f"E{i}_{j}", "plot_id": pid,
                           "tax_wan": float(np.round(rng.lognormal(4, 1.2), 4))}
                          for i, (pid, k) in enumerate(zip(plots.index, sizes, strict=True))
                          for j in range(k)])
    return firms, plots


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_demo_like_hierarchy_publishes_no_recoverable_firm(seed):
    firms, plots = demo_like(seed)
    tables = build_tables(firms, plots)
    behind = firms_of(firms, plots)
    result = suppress(tables, HIERARCHY)
    for name, t in tables.items():
        sensitive = primary(t).notna()
        assert result.mask[name][sensitive].all(), name
        assert result.tables[name][VALUE][result.mask[name]].isna().all()
        shown = ~result.mask[name]
        assert (result.tables[name][VALUE][shown] == t[VALUE][shown]).all()
    assert differencing_leaks(tables, naive_suppress(tables), behind, max_subsets=200)
    assert differencing_leaks(tables, result.mask, behind, max_subsets=1000) == []
    assert determined_cells(tables, result.mask) == []
    # secondary suppression is not everything: most of the plot cells with >= 3 firms survive
    safe = tables["plots"][COUNT] >= 3
    assert (~result.mask["plots"][safe]).mean() > 0.5


def test_bad_arguments_are_refused():
    firms, plots = crafted()
    tables = build_tables(firms, plots)
    with pytest.raises(ValueError, match="min_firms"):
        suppress(tables, HIERARCHY, min_firms=0)
    with pytest.raises(ValueError, match="dominance"):
        suppress(tables, HIERARCHY, dominance=1.5)
    with pytest.raises(ValueError, match="no column 'zone'"):
        suppress(tables, [Link("plots", "parks", "zone")])
