"""The text of ``geoapp info``: layers, counts, CRS and provenance of a workspace."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio

from geoapp.store import display_name, is_url, open_workspace
from layers.schema import SCHEMAS


def describe(workspace: str | Path) -> str:
    """A planner-readable description of a workspace."""
    ws = open_workspace(workspace)
    ws.check()
    meta = ws.metadata()
    counts = ws.counts()
    if is_url(ws.path):
        lines = [f"workspace {display_name(ws.path)} (PostGIS; {ws.whoami()})"]
    else:
        lines = [f"workspace {ws.path} ({ws.path.stat().st_size / 1e6:.1f} MB)"]
    if meta.get("synthetic"):
        lines.append("  ** contains SYNTHETIC demo data — not real enterprises or plots **")
    lines.append(f"  {'layer':<12} {'rows':>8}  {'geometry':<14} {'crs':<10} label")
    for name in ws.layers():
        info = (ws.layer_info(name) if is_url(ws.path)
                else pyogrio.read_info(ws.path, layer=name))
        geom = info.get("geometry_type") or "table"
        crs = info.get("crs") or "-"
        label = SCHEMAS[name].label_zh if name in SCHEMAS else ""
        lines.append(f"  {name:<12} {counts.get(name, 0):>8}  {geom:<14} {crs:<10} {label}")
    missing = [n for n in SCHEMAS if n not in counts]
    if missing:
        lines.append(f"  not yet imported: {', '.join(missing)}")
    prov = ws.provenance()
    if len(prov):
        lines.append("  provenance (latest import per layer):")
        for _, row in prov.groupby("layer").tail(1).iterrows():
            details = json.loads(row["details"] or "{}")
            conv = details.get("conversion") or details.get("source_crs") or ""
            lines.append(f"    {row['layer']:<12} {row['imported_at']}  {row['source']}"
                         + (f"  [{conv}]" if conv else ""))
    return "\n".join(lines)
