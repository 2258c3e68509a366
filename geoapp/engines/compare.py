"""Do two engines give the same numbers? Every table, surface and summary, compared.

Used by the tests and the benchmark to hold the dask engine to the local one: numbers to
``rel`` (1e-9: per-mu figures), density surfaces to ``density_rel`` of the surface's
largest cell (1e-6), and everything else — classes, grades, flags, ranks, keys, counts,
hot-spot classes, geometry — identical.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.density import DensitySurface
from geoapp.results import StageResult


def _frame_differences(name: str, a: pd.DataFrame, b: pd.DataFrame, rel: float) -> list[str]:
    if list(a.columns) != list(b.columns):
        return [f"{name}: columns differ: {list(a.columns)} vs {list(b.columns)}"]
    if len(a) != len(b):
        return [f"{name}: {len(a)} rows vs {len(b)}"]
    out = []
    for col in a.columns:
        x, y = a[col], b[col]
        if isinstance(a, gpd.GeoDataFrame) and col == a.geometry.name:
            same = np.asarray(x.geom_equals_exact(y.set_axis(x.index), tolerance=0)
                              | (x.isna().to_numpy() & y.isna().to_numpy()))
            if not same.all():
                out.append(f"{name}.{col}: {int((~same).sum())} geometries differ")
            continue
        if pd.api.types.is_numeric_dtype(x) and pd.api.types.is_numeric_dtype(y) and not (
                pd.api.types.is_bool_dtype(x)):
            u = pd.to_numeric(x).to_numpy(dtype="float64", na_value=np.nan)
            v = pd.to_numeric(y).to_numpy(dtype="float64", na_value=np.nan)
            close = np.isclose(u, v, rtol=rel, atol=0.0) | (np.isnan(u) & np.isnan(v))
            if not close.all():
                i = int(np.flatnonzero(~close)[0])
                out.append(f"{name}.{col}: {int((~close).sum())} values differ beyond "
                           f"{rel:g} (row {i}: {u[i]!r} vs {v[i]!r})")
            continue
        left = x.astype("object").where(x.notna(), None).to_numpy()
        right = y.astype("object").where(y.notna(), None).to_numpy()
        same = np.array([p == q for p, q in zip(left, right, strict=True)], dtype=bool)
        if not same.all():
            i = int(np.flatnonzero(~same)[0])
            out.append(f"{name}.{col}: {int((~same).sum())} values differ "
                       f"(row {i}: {left[i]!r} vs {right[i]!r})")
    return out


def _value_differences(name: str, a: Any, b: Any, rel: float) -> list[str]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if set(a) != set(b):
            return [f"{name}: keys differ: {sorted(map(str, set(a) ^ set(b)))}"]
        return [d for k in a for d in _value_differences(f"{name}.{k}", a[k], b[k], rel)]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return [f"{name}: {len(a)} items vs {len(b)}"]
        return [d for i, (p, q) in enumerate(zip(a, b, strict=True))
                for d in _value_differences(f"{name}[{i}]", p, q, rel)]
    if isinstance(a, float) and isinstance(b, float | int):
        if math.isclose(a, b, rel_tol=rel) or (math.isnan(a) and math.isnan(float(b))):
            return []
        return [f"{name}: {a!r} vs {b!r}"]
    return [] if a == b else [f"{name}: {a!r} vs {b!r}"]


def _surface_differences(name: str, a: DensitySurface, b: DensitySurface,
                         rel: float) -> list[str]:
    if a.values.shape != b.values.shape or a.transform != b.transform or a.crs != b.crs:
        return [f"{name}: grids differ ({a.values.shape} vs {b.values.shape})"]
    scale = max(float(np.abs(a.values).max()), 1e-300)
    worst = float(np.abs(a.values.astype("float64") - b.values.astype("float64")).max())
    out = [] if worst <= rel * scale else [
        f"{name}: cells differ by {worst:g} (> {rel:g} of the largest, {scale:g})"]
    if not math.isclose(a.total, b.total, rel_tol=rel):
        out.append(f"{name}: total weight {a.total!r} vs {b.total!r}")
    return out


def differences(local: Mapping[str, StageResult], other: Mapping[str, StageResult], *,
                rel: float = 1e-9, density_rel: float = 1e-6) -> list[str]:
    """
    Every difference between two engines' results, as lines of text (empty: the same).

    Parameters
    ----------
    local, other
        ``{stage: result}`` of the two runs.
    rel
        Relative tolerance of every number of the tables and summaries.
    density_rel
        Tolerance of a density cell, relative to the surface's largest cell.

    Returns
    -------
    list of str
        One line per differing column, surface or summary value.
    """
    if set(local) != set(other):
        return [f"stages differ: {sorted(local)} vs {sorted(other)}"]
    out: list[str] = []
    for stage, a in local.items():
        b = other[stage]
        for f in dataclasses.fields(a):
            name = f"{stage}.{f.name}"
            x, y = getattr(a, f.name), getattr(b, f.name)
            if isinstance(x, pd.DataFrame) and isinstance(y, pd.DataFrame):
                out += _frame_differences(name, x, y, rel)
            elif f.name == "density":
                if set(x) != set(y):
                    out.append(f"{name}: surfaces differ: {sorted(x)} vs {sorted(y)}")
                    continue
                out += [d for k in x
                        for d in _surface_differences(f"{name}.{k}", x[k], y[k], density_rel)]
            elif f.name == "summary":
                out += _value_differences(name, x, y, rel)
            elif isinstance(x, dict):  # e.g. burn-up charts (PNG bytes): same keys
                if set(x) != set(y):
                    out.append(f"{name}: keys differ")
            elif (x is None) != (y is None):
                out.append(f"{name}: {type(x).__name__} vs {type(y).__name__}")
    return out
