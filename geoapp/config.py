"""Analysis configuration: one TOML file with a section per stage.

Example ``geoapp.toml``::

    [evaluation]
    preset = "zhejiang"          # or "huaian"
    [low_efficiency]
    tax_per_mu_floor_wan = 1.0
    [reclamation]
    stalled_days = 180
    [density]
    cell_m = 100
    bandwidth_m = 500

Each stage reads its own section (``config.section("density")``) and turns it into its own
frozen dataclass of policy numbers; unknown keys are reported, not ignored.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class AnalysisConfig:
    """Everything a run of ``geoapp analyze`` was told.

    Attributes
    ----------
    sections
        The parsed TOML, ``{section: {key: value}}``; empty means every default.
    as_of
        The date progress is measured at (default: today, or 31 December of ``year`` when that
        year is over).
    source
        Path of the file it came from, for the provenance in ``summary.json``.
    """

    sections: dict[str, dict[str, Any]] = field(default_factory=dict)
    as_of: date | None = None
    source: str | None = None

    def section(self, name: str) -> dict[str, Any]:
        """The settings of one stage (an empty dict when the file has none)."""
        return dict(self.sections.get(name, {}))


def load_config(path: str | Path | None = None, *, as_of: date | None = None) -> AnalysisConfig:
    """Read an analysis configuration file (TOML); None gives every default.

    Raises
    ------
    ValueError
        When the file is not valid TOML, naming the file and the line.
    """
    if path is None:
        return AnalysisConfig(as_of=as_of)
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"config file {path}: {exc}") from exc
    except FileNotFoundError:
        raise ValueError(f"config file {path} does not exist") from None
    bad = [k for k, v in data.items() if not isinstance(v, dict)]
    if bad:
        raise ValueError(
            f"config file {path}: top-level keys {bad} must be sections like [evaluation]"
        )
    return AnalysisConfig(sections=data, as_of=as_of, source=str(path))
