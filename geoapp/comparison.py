"""Year comparison of a workspace: two evaluated years side by side, and every park's trend.

:func:`comparison_tables` reads the stored (or freshly computed) evaluation of the current and
the base year through :func:`geoapp.pipeline.analyse_workspace` and lines them up with
:mod:`analysis.comparison`: ``plot_change`` (per plot 亩均税收/亩均产值 in both years, the
change absolute and relative, the grade move) and ``park_trend`` (Σ / Σ per park in every
year). ``geoapp analyze --compare 2022`` writes them as ``plot_change.csv`` and
``park_trend.csv`` (:func:`write_comparison`); the app draws the change map from the same
tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from analysis.comparison import park_trend, per_mu_change

COMPARISON_FILES: tuple[str, ...] = ("plot_change", "park_trend")
"""The tables written beside the other outputs (``.csv``)."""


def evaluated(workspace: str | Path, year: int, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The evaluation's plots and enterprise-years of one year (stored results when fresh)."""
    from geoapp.pipeline import analyse_workspace

    run = analyse_workspace(workspace, year=year, stages=("evaluation",), **kw)
    ev = run.results["evaluation"]
    return ev.plots, ev.enterprises


def plot_change(current: pd.DataFrame, base: pd.DataFrame, *, year: int,
                base_year: int) -> pd.DataFrame:
    """
    Per plot change between two evaluated plot tables (:func:`per_mu_change`), as a table.

    Returns
    -------
    DataFrame
        ``plot_id``, ``year``, ``base_year`` and per indicator ``{m}_base``, ``{m}``,
        ``{m}_change`` (万元/亩), ``{m}_growth`` (fraction); ``grade_base``, ``grade``,
        ``grade_move``, ``grade_steps``. Plots of the current year first.
    """
    change = per_mu_change(current, base, key="plot_id").reset_index()
    change.insert(1, "year", int(year))
    change.insert(2, "base_year", int(base_year))
    return change


def trend(workspace: str | Path, plots: pd.DataFrame, years: Sequence[int], **kw
          ) -> pd.DataFrame:
    """Every park's per-mu figures in each of ``years``.

    :func:`analysis.comparison.park_trend` of each year's evaluated enterprise-years, on
    today's plots and their mu.
    """
    firms = [evaluated(workspace, int(y), **kw)[1] for y in sorted(set(years))]
    firms = [f for f in firms if len(f)]
    if not firms:
        return park_trend(pd.DataFrame(columns=["plot_id", "year", "tax_wan", "output_wan"]),
                          plots, years=[])
    frame = pd.concat(firms, ignore_index=True)
    frame = frame.drop(columns=[c for c in ("park_id", "town_code", "district_code")
                                if c in frame])
    return park_trend(frame, plots, key="park_id", years=sorted(set(years)))


def comparison_tables(workspace: str | Path, *, year: int, base_year: int,
                      years: Sequence[int] | None = None,
                      current: pd.DataFrame | None = None, **kw) -> dict[str, pd.DataFrame]:
    """
    ``{"plot_change": ..., "park_trend": ...}`` of a workspace.

    Parameters
    ----------
    workspace
        The workspace file.
    year, base_year
        The year shown and the year compared with.
    years
        Years of the park trend (default: every year with enterprise figures).
    current
        The current year's evaluated plots when the caller has them (the analysis it just
        ran); else they are read like the base year's.
    kw
        Passed to :func:`geoapp.pipeline.analyse_workspace` (``settings``, ``as_of``).

    Raises
    ------
    ValueError
        When ``base_year`` equals ``year``.
    """
    if int(base_year) == int(year):
        raise ValueError(f"--compare {base_year}: choose a year other than the analysed {year}")
    if current is None:
        current = evaluated(workspace, year, **kw)[0]
    base = evaluated(workspace, base_year, **kw)[0]
    if years is None:
        from geoapp.pipeline import workspace_years

        years = workspace_years(workspace) or [base_year, year]
    return {"plot_change": plot_change(current, base, year=year, base_year=base_year),
            "park_trend": trend(workspace, current, years, **kw)}


def write_comparison(tables: Mapping[str, pd.DataFrame], out_dir: str | Path, *,
                     public: bool = False) -> list[Path]:
    """
    Write the comparison tables as CSV into ``out_dir``.

    In public mode the tables follow the rule of every other aggregate table
    (:func:`geoapp.export.suppression.public_tables`): confidential columns (tax, output and
    everything computed from them) are withheld.

    Returns
    -------
    list of Path
        The files written.
    """
    from geoapp.export import formats

    if public:
        from geoapp.export.suppression import public_tables

        tables = public_tables(tables, None)
    out = Path(out_dir)
    return [formats.export_layer(frame, out / f"{name}.csv", public=public)[0]
            for name, frame in tables.items()]
