"""Which plots are selected: :class:`Filters`, :func:`filter_mask`, the filter widgets' options."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geoapp import words
from geoapp.app.loading import AppData


@dataclass(frozen=True)
class Filters:
    """What the user selected; an empty tuple means no restriction.

    Attributes
    ----------
    districts, towns, parks
        District codes, town codes, park ids.
    industries
        Industry codes (the plot's largest-output industry).
    grades
        Grades A-D.
    ledger_stages
        Reclamation stages (plots with no ledger entry are excluded when set).
    """

    districts: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    parks: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    grades: tuple[str, ...] = ()
    ledger_stages: tuple[str, ...] = ()


_FILTER_COLUMNS = (("districts", "district_code"), ("towns", "town_code"), ("parks", "park_id"),
                   ("industries", "industry"), ("grades", "grade"),
                   ("ledger_stages", "ledger_stage"))


def filter_mask(plots: pd.DataFrame, filters: Filters) -> np.ndarray:
    """Boolean array: which plots pass every filter."""
    mask = np.ones(len(plots), dtype=bool)
    for attr, column in _FILTER_COLUMNS:
        wanted = getattr(filters, attr)
        if wanted and column in plots:
            mask &= plots[column].isin(list(wanted)).fillna(False).to_numpy(dtype=bool)
        elif wanted:
            mask[:] = False
    return mask


def filter_options(data: AppData) -> dict[str, list[str]]:
    """Values each filter may take, from the data (``{filter attribute: values}``)."""
    p = data.plots
    out = {}
    for attr, column in _FILTER_COLUMNS:
        values = p[column].dropna().astype(str).unique().tolist() if column in p else []
        out[attr] = sorted(values)
    return out


def option_label(attr: str, value: str, data: AppData, lang: str = "zh") -> str:
    """Human name of a filter value: district/town/park names, industry and stage labels."""
    names = {"districts": ("districts", "code"), "towns": ("towns", "code"),
             "parks": ("parks", "park_id")}
    if attr in names:
        layer, key = names[attr]
        frame = data.layer(layer)
        if key in frame and "name" in frame:
            hit = frame.loc[frame[key].astype(str) == value, "name"]
            if len(hit):
                return f"{hit.iloc[0]} ({value})"
        return value
    kind = {"industries": "industry", "ledger_stages": "ledger_stage"}.get(attr)
    return words.value(kind, value, lang) if kind else value


