"""analysis.keys.isin: pandas' own membership answer, for Arrow strings, ints and missing keys."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.keys import isin


def test_arrow_strings_against_a_large_index_give_pandas_answer():
    values = pd.Series([f"P{i:05d}" for i in range(2000)], dtype="str")
    keys = pd.Index([f"P{i:05d}" for i in range(0, 4000, 3)], dtype="str")
    expected = values.isin(keys).to_numpy()
    found = isin(values, keys)
    assert found.dtype == bool and (found == expected).all()
    assert found.sum() == 667  # multiples of 3 below 2000: 0, 3, ..., 1998


def test_sets_lists_and_integer_keys():
    assert isin(pd.Index(["a", "b", "c"]), {"c", "a"}).tolist() == [True, False, True]
    assert isin(np.array([1, 2, 3]), [3, 4]).tolist() == [False, False, True]


def test_a_missing_value_is_never_found():
    values = pd.Series(["K1", None, "K2"], dtype="str")
    assert isin(values, ["K1", None]).tolist() == [True, False, False]
