"""``geoapp config WS show | set KEY VALUE | unset KEY | import FILE | export FILE``.

The analysis settings a workspace keeps (:mod:`geoapp.settings`): every change is validated
into a whole :class:`~geoapp.settings.Settings` before anything is stored, so a misspelled
key or an out-of-range value changes nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geoapp.settings import DEFAULT_SETTINGS, SECTIONS, Settings, parse_value, to_toml
from geoapp.store import display_name, open_workspace


def show(settings: Settings) -> str:
    """
    Every setting as TOML, marking the ones the workspace changed.

    Parameters
    ----------
    settings
        The workspace's settings.

    Returns
    -------
    str
        One ``[section]`` block each; a key the workspace set ends with
        ``# set here (default …)``.
    """
    lines = [f"# settings of this workspace ({settings.source}); "
             "change with: geoapp config WS set SECTION.KEY VALUE", ""]
    policy = settings.evaluation.policy()
    from_preset = {"cutoffs": list(policy.cutoffs),
                   "min_years_in_production": policy.min_years_in_production,
                   "group_by": list(policy.group_by)}
    for name in SECTIONS:
        lines.append(f"[{name}]")
        changed = settings.overrides.get(name, {})
        defaults = DEFAULT_SETTINGS.section(name)
        for key, value in settings.section(name).items():
            line = f"{key} = {_inline(value)}"
            if key in changed:
                line += f"   # set here (default {_inline(defaults[key])})"
            elif name == "evaluation" and key in from_preset and not value:
                line += f"   # the preset's: {_inline(from_preset[key])}"
            lines.append(line)
        lines.append("")
    return "\n".join(lines)


def _inline(value) -> str:
    """A value as inline TOML (``{ a = 1 }``, ``[0.2, 0.6]``, ``"huaian"``)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {_inline(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    text = to_toml({"x": {"v": value}}).splitlines()
    return text[1].removeprefix("v = ") if len(text) > 1 else repr(value)


def run_config(args: argparse.Namespace) -> int:
    """Carry out a ``geoapp config`` command (see the module docstring); returns 0."""
    from geoapp.pipeline import load_settings

    ws = open_workspace(args.workspace)
    ws.check()
    settings = load_settings(ws)
    if args.action == "show":
        print(show(settings))
        return 0
    if args.action == "export":
        Path(args.file).write_text(to_toml(settings.overrides) or "# every default\n",
                                   encoding="utf-8")
        print(f"wrote the settings of {display_name(args.workspace)} to {args.file}")
        return 0
    if args.action == "set":
        new = settings.with_value(args.key, parse_value(args.value))
        what = f"{args.key} = {args.value}"
    elif args.action == "unset":
        new = settings.without(args.key)
        what = f"{args.key} back to its default"
    else:  # import
        new = Settings.from_toml(args.file)
        what = f"settings from {args.file}"
    ws.write_settings(new.overrides)
    print(f"{display_name(args.workspace)}: {what}; "
          "the next analysis re-runs the stages that read it")
    return 0
