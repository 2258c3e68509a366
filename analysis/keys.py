"""Membership of keys (plot ids, park ids) in a set of keys, at hash-table speed.

pandas 3 stores strings in Arrow arrays, and ``Series.isin`` / ``Index.isin`` on them turns
every value of the *set* into an Arrow scalar in a Python loop: asking whether 50 000 plot ids
are among 50 000 others takes about 0.3 s. :func:`isin` asks the same question through one
hash table of Python objects (a few milliseconds), with pandas' own answer.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd


def isin(values: pd.Series | pd.Index | np.ndarray, keys: Iterable) -> np.ndarray:
    """
    Whether each of ``values`` is one of ``keys``: ``values.isin(keys)``, as a bool array.

    Parameters
    ----------
    values
        The keys to look up (any dtype). A missing value is never found (pandas would find
        it when ``keys`` holds one too; no caller here looks up missing keys).
    keys
        The set of keys (list, set, array, Series or Index).

    Returns
    -------
    ndarray of bool
        One per value, in the order of ``values``.
    """
    if isinstance(keys, set | frozenset | dict):
        keys = list(keys)
    left = pd.Series(np.asarray(values, dtype=object), dtype=object)
    found = left.isin(np.asarray(keys, dtype=object)).to_numpy(dtype=bool)
    return found & left.notna().to_numpy()
