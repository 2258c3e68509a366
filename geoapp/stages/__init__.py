"""Analysis stages: each turns workspace layers (and earlier stages' results) into a typed result.

A stage is a module with

- ``LAYERS``: the layers it reads; ``SETTINGS``: the settings sections it reads; ``NEEDS``:
  the stages whose results it takes — together what its stored result's fingerprint covers
  (:mod:`geoapp.pipeline`), so a change re-runs exactly the stages it reaches;
- ``run(layers, *, year, settings, [as_of,] [evaluation]) -> result``, where the result is one
  of the classes of :mod:`geoapp.results`.

Stages never import one another (they share results through :mod:`geoapp.results`), and none
names a file: :mod:`geoapp.outputs` does.

Helpers shared by the stages: :func:`layer` and :func:`polygons` (reading the ``layers``
dict), :func:`jsonable` (making a summary JSON-safe).
"""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd


def layer(layers: dict[str, Any], name: str) -> pd.DataFrame:
    """
    A workspace layer by name, or an empty DataFrame when it is absent.

    Parameters
    ----------
    layers
        ``{layer name: (Geo)DataFrame}`` as handed to a stage's ``run``.
    name
        Canonical layer name, e.g. ``"plots"``.

    Returns
    -------
    DataFrame or GeoDataFrame
        The layer as given (not copied); ``len() == 0`` says it is absent or empty.
    """
    frame = layers.get(name)
    return frame if frame is not None else pd.DataFrame()


def polygons(layers: dict[str, Any], name: str, key: str) -> gpd.GeoDataFrame | None:
    """
    A polygon layer usable for overlays: rows, a ``key`` column and some geometry; else None.

    Parameters
    ----------
    layers
        ``{layer name: (Geo)DataFrame}`` as handed to a stage's ``run``.
    name
        Layer name, e.g. ``"parks"``.
    key
        The column the overlay assigns, e.g. ``"park_id"`` or ``"code"``.
    """
    frame = layers.get(name)
    if (
        not isinstance(frame, gpd.GeoDataFrame)
        or len(frame) == 0
        or key not in frame
        or frame.geometry.name not in frame
        or not frame.geometry.notna().any()
    ):
        return None
    return frame


def jsonable(value: Any) -> Any:
    """
    Turn a summary value into plain JSON types, recursively.

    Dicts (keys become text), lists and tuples are walked; numpy integers, floats and booleans
    become Python ones; NaN, ±inf, ``None``, ``pd.NA`` and ``pd.NaT`` become ``None``; text and
    anything else is returned as it is.
    """
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value
