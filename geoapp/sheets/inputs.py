"""What a sheet is made of: its scope (district, town, park) and the workspace's facts.

:func:`resolve_scope` turns ``"district:310113"`` into the plots and outline a sheet shows;
:func:`sheet_inputs` gathers the context layers, the synthetic flag, the data sources and the
as-of date that :func:`geoapp.sheets.make_sheet` prints.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely

from geoapp import words
from layers.crs import WORK_CRS

SCOPES: dict[str, tuple[str, str, str]] = {
    "district": ("district_code", "districts", "code"),
    "town": ("town_code", "towns", "code"),
    "park": ("park_id", "parks", "park_id"),
}
"""``{scope kind: (plot column, context layer, its id column)}``."""

@dataclass(frozen=True)
class Scope:
    """The part of the city a sheet shows."""

    kind: str | None
    id: str | None
    name: str
    column: str | None = None
    shape: Any = None  # shapely geometry in WORK_CRS, or None


def parse_scope(scope: str | None) -> tuple[str, str] | None:
    """
    ``"district:310113"`` → ``("district", "310113")``; None stays None.

    Raises
    ------
    ValueError
        Naming the accepted forms.
    """
    if scope is None or scope == "":
        return None
    kind, sep, ident = str(scope).partition(":")
    if not sep or kind not in SCOPES or not ident:
        raise ValueError(
            f"scope {scope!r}: expected 'district:CODE', 'town:CODE' or 'park:ID' "
            f"(e.g. 'district:310113')"
        )
    return kind, ident


def resolve_scope(scope: str | None, plots: pd.DataFrame,
                  context: dict[str, pd.DataFrame], lang: str = "zh") -> Scope:
    """
    The scope's kind, id, display name, plot column and outline (in WORK_CRS).

    Raises
    ------
    ValueError
        For a malformed scope or an id found neither in the plots nor in the context layer.
    """
    parsed = parse_scope(scope)
    if parsed is None:
        districts = context.get("districts")
        names: list[str] = []
        if districts is not None and len(districts) and "name" in districts:
            present = set(plots["district_code"].dropna().astype(str)) if (
                "district_code" in plots) else set()
            d = districts[districts["code"].astype(str).isin(present)] if present else districts
            names = [str(n) for n in d["name"].dropna().unique()]
        name = (words.text("list_sep", lang).join(names) if 0 < len(names) <= 3
                else words.text("sheet.all", lang))
        return Scope(kind=None, id=None, name=name)
    kind, ident = parsed
    column, layer_name, id_col = SCOPES[kind]
    frame = context.get(layer_name)
    shape = None
    name = ident
    if frame is not None and len(frame) and id_col in frame:
        rows = frame[frame[id_col].astype(str) == ident]
        if len(rows):
            if "name" in rows and pd.notna(rows["name"].iloc[0]):
                name = str(rows["name"].iloc[0])
            if isinstance(rows, gpd.GeoDataFrame) and rows.crs is not None:
                geoms = rows.geometry.to_crs(WORK_CRS)
                geoms = geoms[geoms.notna() & ~geoms.is_empty]
                if len(geoms):
                    shape = shapely.union_all(geoms.to_numpy())
    in_plots = column in plots and (plots[column].astype("string") == ident).any()
    if shape is None and not in_plots:
        known = sorted(set(plots[column].dropna().astype(str))) if column in plots else []
        raise ValueError(f"scope {scope!r}: no {kind} {ident!r} in the plots or the "
                         f"{layer_name} layer; known: {known[:20]}")
    return Scope(kind=kind, id=ident, name=name, column=column, shape=shape)


SOURCE_LAYERS: tuple[str, ...] = ("districts", "towns", "zones", "parks", "plots", "enterprises")
"""Layers whose provenance a sheet lists (what its map and numbers are made of)."""


def sheet_inputs(
    layers: Mapping[str, pd.DataFrame],
    *,
    metadata: Mapping[str, Any] | None = None,
    provenance: pd.DataFrame | Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """
    The ``context``, ``synthetic``, ``sources`` and ``as_of`` arguments of :func:`make_sheet`.

    Parameters
    ----------
    layers
        Workspace layers by name (``Workspace.read_all()``).
    metadata
        Workspace metadata (``Workspace.metadata()``); ``synthetic`` is read from it.
    provenance
        Import records (``Workspace.provenance()``: ``layer``, ``source``, ``details`` JSON,
        ``imported_at``); the latest record of each of :data:`SOURCE_LAYERS` is listed, layers
        with the same source on one line, with any recorded conversion.

    Returns
    -------
    dict
        Keyword arguments to pass on, e.g. ``make_sheet(plots, out=..., **sheet_inputs(...))``.
    """
    context = {n: layers[n] for n in ("districts", "towns", "zones", "parks")
               if n in layers and layers[n] is not None and len(layers[n])}
    synthetic = bool((metadata or {}).get("synthetic", False))
    sources: dict[str, list[str]] = {}
    as_of = None
    records = (provenance.to_dict("records") if isinstance(provenance, pd.DataFrame)
               else list(provenance or []))
    latest = {str(r.get("layer")): r for r in records}  # later records replace earlier ones
    for name in SOURCE_LAYERS:
        r = latest.get(name)
        if r is None or not r.get("source"):
            continue
        text = str(r["source"])
        details = r.get("details")
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except ValueError:
                details = None
        if isinstance(details, Mapping) and details.get("conversion"):
            text += f" ({details['conversion']})"
        sources.setdefault(text, []).append(name)
        stamp = str(r.get("imported_at") or "")[:10]
        as_of = max(as_of or stamp, stamp) if stamp else as_of
    lines = [f"{', '.join(names)}: {text}" for text, names in sources.items()]
    return {"context": context, "synthetic": synthetic, "sources": lines, "as_of": as_of}


