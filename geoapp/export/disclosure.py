"""Public mode: the statistical-disclosure rule.

Enterprise figures are confidential (统计法: 单个调查对象的资料). With ``public=True``:

1. Enterprise-level tables (with ``ent_id`` or ``credit_code``) lose every confidential
   column (:func:`is_confidential`: output, tax, value added, revenue, energy, emissions,
   R&D, employees and anything derived from them) and the identity columns ``name`` and
   ``credit_code``.
2. Aggregate tables (one row per plot, park, grid cell, town...) must carry the number of
   distinct enterprises each row's figures were summed from: the convention is a column
   ``n_enterprises``. In every row built from fewer
   than ``min_enterprises`` (3) enterprises the confidential columns are set to null.
3. A table with confidential columns but no enterprise count cannot be checked, so those
   columns are removed.
4. Filters (``where``) run after the rule, so they can only use what is public.

The file says it was made public: GeoJSON member ``disclosure``, a first XLSX sheet 说明,
a ``<name>.notes.txt`` beside CSV and Shapefile, GeoPackage layer metadata.
Not covered: secondary suppression (a park total minus its public plots) and dominance
rules; publish aggregates at one level at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geoapp.words import text

MIN_ENTERPRISES = 3
"""Aggregates built from fewer enterprises than this are suppressed in public mode."""

COUNT_COLUMNS = ("n_enterprises",)
"""The enterprise-count column every aggregate table of geoapp carries (the analyses write it)."""

CONFIDENTIAL_TOKENS = (
    "output", "tax", "value_added", "revenue", "energy", "emissions", "rd", "employees",
)
"""Enterprise figures: a column whose name contains one of these as whole ``_``-separated
words (``tax_wan``, ``tax_per_mu``, ``value_added_per_tce``, ``rd_intensity``) is confidential."""

CONFIDENTIAL_DERIVED = (
    "labour_productivity", "score", "composite_score", "hhi", "amount", "park_amount", "total",
    "share", "lead_share", "lead_industry_share", "target_met", "note", "last_note",
)
"""Further columns computed from enterprise figures whose names do not say so."""

CONFIDENTIAL_PREFIXES = ("contrib_", "bench_", "lq_", "gi_", "lisa_")
"""Column families derived from enterprise figures (item contributions, benchmarks, location
quotients, hot-spot statistics of per-mu tax/output)."""

PUBLIC_ENTERPRISE_COLUMNS = (
    "ent_id", "industry", "year", "scale", "plot_id", "park_id", "town_code", "district_code",
    "start_year", "utility", "synthetic",
)
"""The only columns an enterprise-level table keeps in public mode (an allow-list: whatever an
analysis adds to an enterprise row — grade, score, rank — is left out)."""

ENTERPRISE_KEYS = ("ent_id", "credit_code")
"""A table with one of these columns is enterprise-level."""
PUBLIC_NOTE_ZH = text("export.public_note", "zh")
"""Note of a public export (``{n}``: the smallest number of enterprises shown)."""


def is_confidential(column: str) -> bool:
    """Whether a column holds enterprise figures (or numbers derived from them).

    Parameters
    ----------
    column
        Column name, e.g. ``"tax_per_mu"`` (True) or ``"area_mu"`` (False).
    """
    name = str(column).lower()
    if name in CONFIDENTIAL_DERIVED or name.startswith(CONFIDENTIAL_PREFIXES):
        return True
    if "_" in name and name.split("_", 1)[1].startswith(("gi_", "lisa_")):
        return True  # output_gi_z, tax_lisa_p …
    words = name.split("_")
    for token in CONFIDENTIAL_TOKENS:
        parts = token.split("_")
        for i in range(len(words) - len(parts) + 1):
            if words[i:i + len(parts)] == parts:
                return True
    return False


def _count_column(frame: pd.DataFrame) -> str | None:
    return next((c for c in COUNT_COLUMNS if c in frame.columns), None)


def public_table(frame: pd.DataFrame, min_enterprises: int = MIN_ENTERPRISES
                 ) -> tuple[pd.DataFrame, str]:
    """Apply the public-mode rule; return the public frame and the note saying what was done."""
    if int(min_enterprises) < 1:
        raise ValueError(f"min_enterprises={min_enterprises!r}: expected 1 or more")
    geom = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) and \
        frame._geometry_column_name in frame else None
    secret = [c for c in frame.columns if c != geom and is_confidential(c)]
    count = _count_column(frame)
    parts = [f"public: made public by geoapp; no enterprise-level figures; aggregates of fewer "
             f"than {min_enterprises} enterprises suppressed"]
    if any(k in frame.columns for k in ENTERPRISE_KEYS):
        drop = [c for c in frame.columns if c != geom and c not in PUBLIC_ENTERPRISE_COLUMNS]
        out = frame.drop(columns=drop)
        if drop:
            parts.append(f"enterprise-level table: removed columns {drop}")
    elif count is not None:
        n = pd.to_numeric(frame[count], errors="coerce").fillna(0)
        small = n < min_enterprises
        out = frame.copy()
        for col in secret:
            out[col] = out[col].mask(small)
        if secret:
            parts.append(f"{int(small.sum())} of {len(frame)} rows have {count} < "
                         f"{min_enterprises}: set to null in {secret}")
    else:
        out = frame.drop(columns=secret)
        if secret:
            parts.append(f"no enterprise count column ({COUNT_COLUMNS[0]}): removed {secret}")
    note = "; ".join(parts) + " / " + PUBLIC_NOTE_ZH.format(n=min_enterprises)
    return out, note


def public_summary(value: Any, *, min_enterprises: int = MIN_ENTERPRISES) -> Any:
    """Apply the public-mode rule to nested headline numbers (``summary.json``).

    A mapping that says how many enterprises it sums (``n_enterprises``) keeps its figures
    when there are at least ``min_enterprises``; any other mapping loses its confidential
    keys (:func:`is_confidential`). Lists and nested mappings are treated alike.
    """
    if isinstance(value, Mapping):
        n = value.get("n_enterprises")
        enough = isinstance(n, int | float) and n >= min_enterprises
        return {k: public_summary(v, min_enterprises=min_enterprises) for k, v in value.items()
                if enough or not is_confidential(k)}
    if isinstance(value, list):
        return [public_summary(v, min_enterprises=min_enterprises) for v in value]
    return value


def publicize(df: pd.DataFrame, *, min_enterprises: int = MIN_ENTERPRISES) -> pd.DataFrame:
    """Apply the public-mode rule to one table (see the module docstring).

    Parameters
    ----------
    df
        Enterprise-level table (has ``ent_id`` or ``credit_code``), aggregate table (has
        ``n_enterprises``: distinct enterprises summed into each row), or any
        other table.
    min_enterprises
        Rows built from fewer enterprises have their confidential figures set to null.

    Returns
    -------
    DataFrame
        A new frame of the same type (GeoDataFrame stays one); ``attrs["disclosure"]`` says
        what was done. The input is not modified.
    """
    out, note = public_table(df, min_enterprises)
    out.attrs["disclosure"] = note
    return out

