"""What every part of the demo shares: the two districts, years, as-of date, random streams."""

from __future__ import annotations

import numpy as np

BAOSHAN = "310113"
JINSHAN = "310116"
DISTRICT_PREFIX = {BAOSHAN: "BS", JINSHAN: "JS"}
YEARS = (2021, 2022, 2023)
"""Enterprise figures are generated for these years."""
AS_OF = "2024-06-30"
"""The ledger is generated up to this date."""

OUTPUT_2022_WAN = {BAOSHAN: 26_340_000.0, JINSHAN: 20_000_000.0}
"""District above-scale industrial output 2022 (万元) the demo is scaled to: Baoshan
规上工业总产值 2634 亿元 (published); Jinshan ≈ 2000 亿元 (approximate)."""

def random_stream(seed: int, *purpose: int) -> np.random.Generator:
    """Return an independent random stream for one purpose, fixed by the seed."""
    return np.random.default_rng([seed, *purpose])


def day_number(date: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(date, "D").astype("int64"))


def iso_dates(days: np.ndarray) -> np.ndarray:
    """ISO dates (object array of str) of day numbers."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype(str).astype(object)


