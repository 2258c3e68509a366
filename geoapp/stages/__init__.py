"""Analysis stages run by ``geoapp analyze``: each turns workspace layers into output files.

A stage is a module with ``run(layers, *, year, config, results) -> StageResult``:

- ``layers``: ``{layer name: (Geo)DataFrame}`` as read from the workspace (WGS84, validated).
- ``year``: the evaluation year (e.g. 2023).
- ``config``: :class:`geoapp.config.AnalysisConfig` (policy numbers, paths given by the user).
- ``results``: the :class:`StageResult` of the stages that ran before, by stage name, so a later
  stage may use an earlier one's tables (reclamation uses the low-efficiency list when present).

The pipeline writes each output through one path: GeoDataFrames as RFC 7946 GeoJSON
(``.geojson``), DataFrames as UTF-8 CSV (``.csv``), ``bytes`` as-is (``.tif``, ``.png``), and
merges every stage's ``summary`` into ``summary.json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class StageResult:
    """What one stage produced.

    Attributes
    ----------
    outputs
        ``{file name: GeoDataFrame | DataFrame | bytes}``, e.g. ``{"plots.geojson": gdf}``.
    summary
        Headline numbers for ``summary.json`` (JSON-serialisable: plain floats, ints, str).
    tables
        In-memory results other stages, the report and the app use (e.g. ``"plots"`` with
        grade and low_efficiency columns), by name.
    """

    outputs: dict[str, Any] = field(default_factory=dict)
    summary: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Any] = field(default_factory=dict)
