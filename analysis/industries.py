"""Industry codes as planners write them: a park's ``lead_industries`` list.

``parks.lead_industries`` joins codes with ``;`` (``"biomed;ic"``); spreadsheets typed in
Chinese use the full-width ``；``, ``，`` or ``、`` as well, so every reader of that column
splits it here, one way.
"""

from __future__ import annotations

import re

import pandas as pd

_LEAD_SEPARATORS = re.compile(r"[;；,，、]")


def lead_industry_list(text) -> list[str]:
    """
    Split a ``lead_industries`` value such as ``"biomed;ic"`` into industry codes.

    Semicolons are canonical; full-width ``；``, commas (``,``, ``，``) and ``、`` are accepted
    as well. Missing values give an empty list; duplicates are dropped, order kept.
    """
    if text is None or (not isinstance(text, str) and pd.isna(text)):
        return []
    parts = [p.strip() for p in _LEAD_SEPARATORS.split(str(text))]
    return list(dict.fromkeys(p for p in parts if p))
