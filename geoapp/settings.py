"""Analysis settings: one typed object, validated once, stored in the workspace.

A district's policy numbers (the evaluation preset and cut-offs, the low-efficiency floors,
the density bandwidth, the hot-spot neighbours …) live in the workspace's ``geoapp_settings``
table as the keys it changed (``evaluation.preset = "huaian"``); everything else is the
documented default. ``geoapp config WS show | set | import | export`` reads and writes them;
``analyze``, ``export`` and the app all read the same :class:`Settings`.

Sections and their keys are the fields of frozen dataclasses (most of them the analysis
modules' own policy objects, so a default is written once, where it is used)::

    [evaluation]      preset, cutoffs, min_years_in_production, group_by, weights, benchmarks,
                      caps, ranking_weights, score_decimals
    [low_efficiency]  tax_per_mu_floor_wan, contract_fraction, plot_ratio_floor,
                      plot_ratio_floors, zone_types, grades, contract_grace_years, rules
    [reclamation]     stalled_days
    [density]         cell_m, bandwidth_m, weight, truncate, pad_bandwidths
    [hotspots]        weights, threshold_m, k, permutations, seed, lisa_alpha
    [grid]            cell_m, shape
    [concentration]   measure, top_n
    [scenario]        lead_years, cost_per_mu_wan, relet_share, ramp_years, relet_yield,
                      benchmark_grade, plot_ratio_factor, tax_growth_target,
                      output_growth_target

An unknown section or key is an error naming the closest valid one; a value of the wrong type
or outside its range is an error naming the key and what it accepts.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analysis import efficiency, grading, low_efficiency, ranking
from analysis.density import DensitySettings
from analysis.grid import GridSettings
from analysis.hotspots import HotspotSettings
from analysis.scenario import MODES, RELET_MODES, YIELD_BASES, ScenarioSettings


class SettingsError(ValueError):
    """A settings file or value that cannot be used; the message names the key and the fix."""


@dataclass(frozen=True)
class EvaluationSettings:
    """
    The ``[evaluation]`` section: which comprehensive-evaluation policy grades firms and plots.

    Attributes
    ----------
    preset
        ``"zhejiang"`` or ``"huaian"`` (:data:`analysis.grading.PRESETS`).
    cutoffs
        Upper bounds of the rank percentile of classes A, B, C (empty: the preset's).
    min_years_in_production
        Firms in production for fewer years are unrated (0: the preset's).
    group_by
        Columns that define an evaluated group besides the year (empty: the preset's).
    weights, benchmarks, caps
        ``{scale: {indicator: number}}`` overriding the preset's items.
    ranking_weights
        ``{scorecard column: weight}`` of the park/town/district composite rank.
    score_decimals
        Scores are rounded to this many decimals before ranking, so firms whose scores differ
        only by floating-point noise share their rank and class (0–6).
    """

    preset: str = "zhejiang"
    cutoffs: tuple[float, ...] = ()
    min_years_in_production: int = 0
    group_by: tuple[str, ...] = ()
    weights: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    benchmarks: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    caps: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    ranking_weights: Mapping[str, float] = field(default_factory=dict)
    score_decimals: int = 2

    def __post_init__(self):
        if self.preset not in grading.PRESETS:
            raise SettingsError(_choice_message("evaluation.preset", self.preset,
                                                sorted(grading.PRESETS)))
        if not 0 <= self.score_decimals <= 6:
            raise SettingsError("evaluation.score_decimals must be an integer from 0 to 6, "
                                f"got {self.score_decimals}")
        if self.min_years_in_production < 0:
            raise SettingsError("evaluation.min_years_in_production must be 0 or more, "
                                f"got {self.min_years_in_production}")
        known = set(efficiency.INDICATORS)
        for what in ("weights", "benchmarks", "caps"):
            for scale, values in getattr(self, what).items():
                for indicator in values:
                    if indicator not in known:
                        raise SettingsError(_choice_message(
                            f"evaluation.{what}.{scale}", indicator, sorted(known)))
        rankable = set(ranking.RankingWeights().weights)
        for column in self.ranking_weights:
            if column not in rankable:
                raise SettingsError(_choice_message("evaluation.ranking_weights", column,
                                                    sorted(rankable)))
        try:
            self.policy()
        except ValueError as exc:
            raise SettingsError(f"evaluation: {exc}") from None

    def policy(self) -> grading.GradingPolicy:
        """The grading policy: the preset with this section's overrides."""
        return grading.with_overrides(
            grading.PRESETS[self.preset],
            weights=self.weights or None,
            benchmarks=self.benchmarks or None,
            caps=self.caps or None,
            cutoffs=self.cutoffs or None,
            min_years_in_production=self.min_years_in_production or None,
            group_by=self.group_by or None,
            score_decimals=self.score_decimals,
        )

    def ranking(self) -> ranking.RankingWeights:
        """The composite-rank weights: the defaults, changed by ``ranking_weights``."""
        weights = dict(ranking.RankingWeights().weights)
        weights.update({k: float(v) for k, v in self.ranking_weights.items()})
        return ranking.RankingWeights(weights=weights)


@dataclass(frozen=True)
class LowEfficiencySettings(low_efficiency.LowEfficiencyThresholds):
    """
    The ``[low_efficiency]`` section: the thresholds, and which rules list a plot.

    Attributes
    ----------
    rules
        Rule codes applied, in the order their reasons are listed (default: every rule).
    """

    rules: tuple[str, ...] = tuple(r.code for r in low_efficiency.DEFAULT_RULES)

    def __post_init__(self):
        super().__post_init__()
        object.__setattr__(self, "rules", tuple(str(r) for r in self.rules))
        known = [r.code for r in low_efficiency.DEFAULT_RULES]
        for code in self.rules:
            if code not in known:
                raise SettingsError(_choice_message("low_efficiency.rules", code, known))

    def selected_rules(self) -> tuple[low_efficiency.Rule, ...]:
        """The rules to apply, as :func:`analysis.low_efficiency.low_efficiency_list` takes."""
        return low_efficiency.select_rules(list(self.rules))


@dataclass(frozen=True)
class ReclamationSettings:
    """
    The ``[reclamation]`` section.

    Attributes
    ----------
    stalled_days
        A plot not yet reclaimed with no event for this many days is stalled (1–3650).
    """

    stalled_days: int = 180

    def __post_init__(self):
        if not 1 <= self.stalled_days <= 3650:
            raise SettingsError("reclamation.stalled_days must be from 1 to 3650 days, "
                                f"got {self.stalled_days}")


@dataclass(frozen=True)
class ConcentrationSettings:
    """
    The ``[concentration]`` section.

    Attributes
    ----------
    measure
        ``"output_wan"``, ``"tax_wan"`` or ``"count"``: what an industry's share is of.
    top_n
        A lead industry ranked at most this in its park counts as "in the top" (≥ 1).
    """

    measure: str = "output_wan"
    top_n: int = 3

    def __post_init__(self):
        if self.measure not in ("output_wan", "tax_wan", "count"):
            raise SettingsError(_choice_message("concentration.measure", self.measure,
                                                ["output_wan", "tax_wan", "count"]))
        if self.top_n < 1:
            raise SettingsError(f"concentration.top_n must be 1 or more, got {self.top_n}")


@dataclass(frozen=True)
class ScenarioSection(ScenarioSettings):
    """
    The ``[scenario]`` section: the scenario planner's per-mode assumptions.

    The fields of :class:`analysis.scenario.ScenarioSettings` (lead years, cost per 亩, share
    re-let, ramp years, what re-let land yields, benchmark class, plot-ratio factor, growth
    targets); per-mode tables may name only the modes a district sets
    (``cost_per_mu_wan = {acquire = 200}``). A mode that is not one names the closest.
    """

    def __post_init__(self):
        for name in ("lead_years", "cost_per_mu_wan", "relet_share", "ramp_years",
                     "relet_yield"):
            allowed = list(RELET_MODES if name == "relet_yield" else MODES)
            for key in getattr(self, name) if isinstance(getattr(self, name), dict) else ():
                if key not in allowed:
                    raise SettingsError(_choice_message(f"scenario.{name}", key, allowed,
                                                        what="mode", prefix=f"scenario.{name}."))
        for key, basis in (self.relet_yield.items() if isinstance(self.relet_yield, dict)
                           else ()):
            if basis not in YIELD_BASES:
                raise SettingsError(_choice_message(f"scenario.relet_yield.{key}", basis,
                                                    list(YIELD_BASES)))
        try:
            super().__post_init__()
        except ValueError as exc:
            raise SettingsError(str(exc)) from None


SECTIONS: dict[str, type] = {
    "evaluation": EvaluationSettings,
    "low_efficiency": LowEfficiencySettings,
    "reclamation": ReclamationSettings,
    "density": DensitySettings,
    "hotspots": HotspotSettings,
    "grid": GridSettings,
    "concentration": ConcentrationSettings,
    "scenario": ScenarioSection,
}
"""Every settings section and the dataclass that holds it."""


@dataclass(frozen=True)
class Settings:
    """
    Every analysis setting, typed and validated.

    Attributes
    ----------
    evaluation, low_efficiency, reclamation, density, hotspots, grid, concentration, scenario
        One object per section (see :data:`SECTIONS`).
    overrides
        ``{section: {key: value}}``: what differs from the defaults, as given.
    source
        Where the overrides came from (``"workspace"``, a file, or ``"defaults"``).
    """

    evaluation: EvaluationSettings = field(default_factory=EvaluationSettings)
    low_efficiency: LowEfficiencySettings = field(default_factory=LowEfficiencySettings)
    reclamation: ReclamationSettings = field(default_factory=ReclamationSettings)
    density: DensitySettings = field(default_factory=DensitySettings)
    hotspots: HotspotSettings = field(default_factory=HotspotSettings)
    grid: GridSettings = field(default_factory=GridSettings)
    concentration: ConcentrationSettings = field(default_factory=ConcentrationSettings)
    scenario: ScenarioSection = field(default_factory=ScenarioSection)
    overrides: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, compare=False)
    source: str = field(default="defaults", compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "defaults") -> Settings:
        """
        Validate ``{section: {key: value}}`` (parsed TOML) into settings.

        Raises
        ------
        SettingsError
            For an unknown section or key (naming the closest valid one), a value of the wrong
            type, or a value out of range (naming the key and the allowed values).
        """
        built: dict[str, Any] = {}
        clean: dict[str, dict[str, Any]] = {}
        for name, values in data.items():
            if name not in SECTIONS:
                raise SettingsError(_choice_message("section", name, list(SECTIONS),
                                                    what="settings section"))
            if not isinstance(values, Mapping):
                raise SettingsError(f"{name} must be a section like [{name}] with keys, "
                                    f"got {values!r}")
            clean[name] = dict(values)
        for name, cls_ in SECTIONS.items():
            values = clean.get(name, {})
            hints = typing.get_type_hints(cls_)
            known = [f.name for f in dataclasses.fields(cls_)]
            kwargs = {}
            for key, value in values.items():
                if key not in known:
                    raise SettingsError(_choice_message(name, key, known, what="key",
                                                        prefix=f"{name}."))
                kwargs[key] = _coerce(value, hints[key], f"{name}.{key}")
            try:
                built[name] = cls_(**kwargs)
            except SettingsError:
                raise
            except (ValueError, TypeError) as exc:
                raise SettingsError(f"{name}: {exc}") from None
        return cls(**built, overrides=clean, source=source)

    @classmethod
    def from_toml(cls, path: str | Path) -> Settings:
        """
        Read a settings file (TOML with a section per stage).

        Raises
        ------
        SettingsError
            When the file is missing, is not TOML (naming the line) or has a bad setting.
        """
        path = Path(path)
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"settings file {path}: {exc}") from exc
        except FileNotFoundError:
            raise SettingsError(f"settings file {path} does not exist") from None
        try:
            return cls.from_dict(data, source=str(path))
        except SettingsError as exc:
            raise SettingsError(f"settings file {path}: {exc}") from None

    def section(self, name: str) -> dict[str, Any]:
        """One section's effective values as plain JSON-able data (for fingerprints, show)."""
        obj = getattr(self, name)
        return {f.name: _plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """Every section's effective values."""
        return {name: self.section(name) for name in SECTIONS}

    def with_value(self, dotted: str, value: Any) -> Settings:
        """A copy with ``section.key[.subkey…]`` set (validated like everything else)."""
        parts = dotted.split(".")
        if len(parts) < 2 or not all(parts):
            raise SettingsError(f"{dotted!r}: give SECTION.KEY, e.g. evaluation.preset")
        data = json.loads(json.dumps(_plain(self.overrides)))
        node = data.setdefault(parts[0], {}) if parts[0] in SECTIONS else None
        if node is None:
            raise SettingsError(_choice_message("section", parts[0], list(SECTIONS),
                                                what="settings section"))
        for part in parts[1:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SettingsError(f"{dotted}: {part} is not a table")
        node[parts[-1]] = value
        return Settings.from_dict(data, source=self.source)

    def without(self, dotted: str) -> Settings:
        """A copy with ``section.key`` back at its default."""
        data = json.loads(json.dumps(_plain(self.overrides)))
        parts = dotted.split(".")
        node = data
        for part in parts[:-1]:
            node = node.get(part, {})
        node.pop(parts[-1], None)
        return Settings.from_dict({k: v for k, v in data.items() if v}, source=self.source)


def parse_value(text: str) -> Any:
    """
    Read a value given on the command line.

    TOML values are read as such (``3``, ``0.5``, ``[0.2, 0.6, 0.95]``, ``true``, ``"x"``);
    anything that is not TOML is taken as text (``huaian``).
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def to_toml(data: Mapping[str, Mapping[str, Any]]) -> str:
    """Write ``{section: {key: value}}`` as TOML (nested tables become ``[a.b]`` headers)."""
    lines: list[str] = []

    def table(path: list[str], values: Mapping[str, Any]) -> None:
        scalars = {k: v for k, v in values.items() if not isinstance(v, Mapping)}
        tables = {k: v for k, v in values.items() if isinstance(v, Mapping)}
        if scalars or not tables:
            lines.append(f"[{'.'.join(path)}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
            lines.append("")
        for k, v in tables.items():
            table([*path, k], v)

    for name, values in data.items():
        table([name], values)
    return "\n".join(lines)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _choice_message(where: str, got: Any, valid: list[str], *, what: str = "value",
                    prefix: str = "") -> str:
    """Say that ``got`` is not one of ``valid``, suggesting the closest."""
    close = difflib.get_close_matches(str(got), valid, n=1, cutoff=0.5)
    hint = f"; did you mean {prefix}{close[0]}?" if close else ""
    listed = ", ".join(prefix + v for v in valid)
    if what == "value":
        return f"{where}: unknown value {got!r}{hint} (valid: {listed})"
    return f"unknown {what} {prefix}{got}{hint} (valid: {listed})"


def _coerce(value: Any, hint: Any, key: str) -> Any:
    """Check a value against a field's annotation; return it in the field's type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, key)
            except SettingsError:
                continue
        raise SettingsError(f"{key}: {value!r} is not a {hint}")
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise SettingsError(f"{key} must be true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise SettingsError(f"{key} must be a whole number, got {value!r}")
        return int(value)
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SettingsError(f"{key} must be a number, got {value!r}")
        return float(value)
    if hint is str:
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise SettingsError(f"{key} must be text, got {value!r}")
        return str(value)
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise SettingsError(f"{key} must be a list, e.g. [0.2, 0.6, 0.95], got {value!r}")
        return tuple(_coerce(v, args[0], f"{key}[{i}]") for i, v in enumerate(value))
    if origin in (Mapping, dict, typing.Mapping) or hint in (dict, Mapping):
        if not isinstance(value, Mapping):
            raise SettingsError(f"{key} must be a table of key = value, got {value!r}")
        inner = args[1] if len(args) == 2 else Any
        return {str(k): _coerce(v, inner, f"{key}.{k}") for k, v in value.items()}
    return value


DEFAULT_SETTINGS = Settings()
"""Every default (what a workspace that changed nothing uses)."""
