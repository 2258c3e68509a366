"""Recording reclamation events in the workspace ledger: one event, or a planner's spreadsheet.

Every write is one SQLite transaction (:meth:`geoapp.workspace.Workspace.append_rows`): the
rules of :func:`analysis.reclamation.check_events` run inside it against the ledger as last
committed, so two processes recording at once are serialised, and either every row of a file
is written or none. Events are never edited; a correction is a new event whose note starts
with ``更正:`` (see :mod:`analysis.reclamation`).

Spreadsheets are read through :func:`layers.io.read_layer` (CSV in UTF-8 or GBK, XLSX), so the
planners' headers work: 地块编号, 日期, 当前状态, 处置方式, 处置面积(亩), 备注, 详细进展. Chinese
stage and mode words are mapped with :data:`geoapp.words.STAGE_WORDS` and
:data:`~geoapp.words.MODE_WORDS`; other columns (企业名称, 剩余面积, 困难原因 …) are not stored.

``reclaimed_mu`` is stored as given; left empty it means the whole plot (its area in mu,
measured in :data:`layers.crs.WORK_CRS`), which the analysis fills in.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.overlay import land_area_mu, register_mu
from analysis.reclamation import LAYER, check_events, is_correction, parse_date, unique_problems
from geoapp.store import open_workspace
from geoapp.words import MODE_WORDS, NOTE_HEADERS, STAGE_WORDS
from layers.errors import LayerError, Problem
from layers.io import read_layer
from layers.schema import LEDGER, LEDGER_STAGES, RECLAMATION_MODES

_STAGE_LOOKUP = {w: s for s, words in STAGE_WORDS.items() for w in (s, *words)}
_MODE_LOOKUP = {w: m for m, words in MODE_WORDS.items() for w in (m, *words)}
_COLUMNS = LEDGER.columns


class _RecordedError(Exception):
    """Raised inside the write lock when some rows turn out to be recorded already."""

    def __init__(self, keep: pd.Series):
        super().__init__("some rows are already recorded")
        self.keep = keep


def _word(value, lookup: dict[str, str]):
    """Canonical code for a stage/mode word; the stripped original when unknown; None if empty."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    if text == "":
        return None
    return lookup.get(text, lookup.get(text.lower(), text))


def normalise_stage(value) -> str | None:
    """Map an English code or a Chinese word (:data:`STAGE_WORDS`) to a stage code."""
    return _word(value, _STAGE_LOOKUP)


def normalise_mode(value) -> str | None:
    """Map an English code or a Chinese name (:data:`MODE_WORDS`) to a mode code."""
    return _word(value, _MODE_LOOKUP)


def plot_area_limits(plots: pd.DataFrame) -> pd.Series:
    """Give the largest ``reclaimed_mu`` each plot can take: measured or register area.

    Parameters
    ----------
    plots
        Plots layer (WGS84), ``register_area_m2`` optional.

    Returns
    -------
    Series
        Mu indexed by ``plot_id`` (text): the larger of the area measured in WORK_CRS and the
        register area (registered and drawn areas differ slightly).
    """
    if len(plots) == 0:
        return pd.Series(dtype="float64", index=pd.Index([], dtype="str", name="plot_id"))
    area = pd.concat([land_area_mu(plots), register_mu(plots)], axis=1).max(axis=1)
    area.index = pd.Index(plots["plot_id"].astype(str), name="plot_id")
    return area.rename("area_mu")


def _signature(frame: pd.DataFrame) -> list[tuple]:
    """Make events comparable, to find rows that are recorded already."""
    def text(v):
        return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v).strip()

    def mu(v):
        try:
            return None if v is None or pd.isna(v) else round(float(v), 6)
        except (TypeError, ValueError):
            return text(v)

    out = []
    for rec in frame.to_dict("records"):
        try:
            when = parse_date(rec.get("date"))
        except ValueError:
            when = text(rec.get("date"))
        out.append((text(rec.get("plot_id")), str(when), text(rec.get("stage")),
                    text(rec.get("mode")), mu(rec.get("reclaimed_mu")), text(rec.get("note"))))
    return out


def _canonical(events: pd.DataFrame) -> pd.DataFrame:
    """Events with the ledger's columns and types; dates as ISO text where readable."""
    n = len(events)

    def column(name):
        return events[name].astype("object").tolist() if name in events.columns else [None] * n

    def text(v):
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        return str(v).strip() or None

    def iso(v):
        try:
            d = parse_date(v)
        except ValueError:
            return str(v)
        return None if d is None else d.isoformat()

    data = {
        "plot_id": pd.array([text(v) for v in column("plot_id")], dtype="string"),
        "date": pd.array([iso(v) for v in column("date")], dtype="string"),
        "stage": pd.array([text(v) for v in column("stage")], dtype="string"),
        "mode": pd.array([text(v) for v in column("mode")], dtype="string"),
        "reclaimed_mu": pd.to_numeric(pd.Series(column("reclaimed_mu"), dtype="object"),
                                      errors="coerce").astype("float64").to_numpy(),
        "note": pd.array([text(v) for v in column("note")], dtype="string"),
    }
    return pd.DataFrame(data, index=events.index)[list(_COLUMNS)]


def append_events(
    workspace: str | Path,
    events: pd.DataFrame,
    *,
    rows: list[int] | None = None,
    today: date | None = None,
    skip_recorded: bool = False,
    problems: list[Problem] | None = None,
) -> int:
    """Check events and append them to the ledger in one transaction (all or none).

    Parameters
    ----------
    workspace
        The workspace file.
    events
        Canonical columns (``plot_id, date, stage, mode?, reclaimed_mu?, note?``), stages and
        modes as English codes.
    rows
        The row number a planner sees for each event (Excel row); default 1, 2, …
    today
        Events dated later are rejected; default: today.
    skip_recorded
        Leave out rows identical to an event already in the ledger (re-importing a
        spreadsheet then adds only its new rows).
    problems
        Problems already found while reading; reported together with the rule checks.

    Returns
    -------
    int
        Events written.

    Raises
    ------
    LayerError
        Every problem at once (row, plot, column); nothing is written.
    """
    return _append(workspace, events, rows=rows, today=today, skip_recorded=skip_recorded,
                   problems=problems)[0]


def current_stage(existing: pd.DataFrame, plot_id: str) -> str | None:
    """The stage a plot is at in a ledger (its latest event by date, then recording order)."""
    mine = existing[existing["plot_id"].astype(str) == str(plot_id)]
    if mine.empty:
        return None
    order = pd.to_datetime(mine["date"], errors="coerce").reset_index(drop=True)
    last = order.index[order == order.max()][-1] if order.notna().any() else len(mine) - 1
    return str(mine["stage"].iloc[last])


def _expect_problem(existing: pd.DataFrame, new: pd.DataFrame, expect: str) -> Problem | None:
    plot_id = str(new["plot_id"].iloc[0])
    now = current_stage(existing, plot_id)
    if now == expect:
        return None
    return Problem(LAYER, f"plot {plot_id} is at stage {now!r} now, not {expect!r}: someone "
                          "recorded an event meanwhile; nothing written (look again, then record)",
                   row=1, key=plot_id, column="stage")


def _append(workspace, events, *, rows, today, skip_recorded, problems, expect=None):
    """:func:`append_events`, also returning the area limits and the events as stored."""
    today = today or date.today()
    ws = open_workspace(workspace)
    ws.check()
    rows = list(rows) if rows is not None else list(range(1, len(events) + 1))
    events = events.reset_index(drop=True)
    frame = _canonical(events)
    areas = plot_area_limits(ws.read("plots"))
    earlier = list(problems or [])

    def run_checks(existing: pd.DataFrame, new: pd.DataFrame, new_rows: list[int]) -> None:
        # the values as given (not as parsed) make the clearest messages
        raw = events.loc[new.index].reset_index(drop=True)
        found = check_events(existing, raw, areas, today=today)
        found = [dataclasses.replace(p, row=new_rows[p.row - 1] if p.row else None)
                 for p in found]
        allp = unique_problems(earlier + found)
        if allp:
            raise LayerError(LAYER, sorted(allp, key=lambda p: (p.row or 0)))

    if earlier:  # reading failed somewhere: report it with every rule problem, write nothing
        run_checks(ws.read("ledger"), frame, rows)

    keep = pd.Series(True, index=frame.index)
    while True:
        todo = frame[keep]
        if todo.empty:
            return 0, areas, frame
        todo_rows = [r for r, k in zip(rows, keep, strict=True) if k]

        def check(existing: pd.DataFrame, new: pd.DataFrame, todo=todo, todo_rows=todo_rows):
            stale = expect and _expect_problem(existing, todo, expect)
            if stale:
                raise LayerError(LAYER, [stale])
            if skip_recorded:
                recorded = set(_signature(existing))
                mask = pd.Series([s not in recorded for s in _signature(todo)], index=todo.index)
                if not mask.all():
                    raise _RecordedError(mask)
            run_checks(existing, todo, todo_rows)

        try:
            n = ws.append_rows("ledger", todo.reset_index(drop=True), check=check)
            return n, areas, frame
        except _RecordedError as exc:
            keep = keep & exc.keep.reindex(keep.index, fill_value=True)


def record_event(
    workspace: str | Path,
    *,
    plot_id: str,
    stage: str,
    date: str | date,
    mode: str | None = None,
    mu: float | None = None,
    note: str | None = None,
    today: date | None = None,
    expect_stage: str | None = None,
) -> dict[str, Any]:
    """Record one event: ``geoapp ledger WORKSPACE record --plot ID --stage STAGE --date …``.

    Parameters
    ----------
    workspace
        The workspace file.
    plot_id
        The plot (must be in the plots layer).
    stage
        ``identified``, ``in_progress``, ``reclaimed`` or ``reused`` (or a Chinese word of
        :data:`STAGE_WORDS`). Stages move forward only; repeating the current one is a progress
        update.
    date
        ``YYYY-MM-DD`` (not in the future).
    mode
        ``vacate``, ``acquire``, ``lease``, ``codevelop``, ``upgrade`` (or 低效腾退, 收储收购,
        整体租赁, 合作开发, 转型提升); required when the plot reaches ``reclaimed`` unless an
        earlier event gave it.
    mu
        Reclaimed area in mu; empty means the whole plot.
    note
        Free text; start it with ``更正:`` to record a correction.
    today
        The day future dates are judged against (default: today).
    expect_stage
        The stage the recorder saw the plot at (``None`` for a plot without events is not
        checked). Checked inside the write transaction: if another writer moved the plot
        meanwhile, nothing is written and the error says where the plot is now.

    Returns
    -------
    dict
        The event as stored (``plot_id, date, stage, mode, reclaimed_mu, note``), plus
        ``correction`` (bool) and ``plot_area_mu`` (the plot's limit in mu).

    Raises
    ------
    LayerError
        Naming every problem; nothing is written.
    """
    event = {
        "plot_id": None if plot_id is None else str(plot_id).strip(),
        "date": date,
        "stage": normalise_stage(stage),
        "mode": normalise_mode(mode),
        "reclaimed_mu": mu,
        "note": note,
    }
    frame = pd.DataFrame([event])
    _, areas, stored = _append(workspace, frame, rows=None, today=today, skip_recorded=False,
                               problems=None, expect=normalise_stage(expect_stage))
    stored = stored.iloc[0].to_dict()
    out = {k: (None if not isinstance(v, str) and pd.isna(v) else v) for k, v in stored.items()}
    out["correction"] = is_correction(note)
    out["plot_area_mu"] = float(areas.get(out["plot_id"], float("nan")))
    return out


def read_events(
    file: str | Path,
    *,
    sheet: str | int | None = None,
    default_date: str | date | None = None,
) -> tuple[pd.DataFrame, list[int], list[Problem]]:
    """Read a planner's events spreadsheet onto the ledger's columns.

    Parameters
    ----------
    file
        CSV (UTF-8 or GBK) or XLSX with headers such as 地块编号, 日期, 当前状态, 处置方式,
        处置面积(亩), 备注, 详细进展.
    sheet
        XLSX sheet (default: the first).
    default_date
        Date for rows without one (a status spreadsheet without a date column: the day it
        describes).

    Returns
    -------
    events
        Canonical columns; stages and modes mapped to English codes (unknown words kept as
        written, so the checks name them).
    rows
        The Excel row number of each event (header is row 1).
    problems
        What could not be read (numbers, dates, stage and mode words, missing columns).
    """
    loaded = read_layer(file, "ledger", sheet=sheet)
    frame = loaded.frame.copy()
    has_date = "date" in frame.columns
    problems = list(loaded.problems)
    rows = [loaded.row_number(i) for i in frame.index]
    layer_name = LAYER

    # notes: 备注 and 详细进展 both go into note (a correction marker first)
    note_cols = [c for c in frame.columns
                 if c == "note" or str(c).strip() in NOTE_HEADERS]
    if note_cols:
        columns = [frame[c].astype("object").tolist() for c in note_cols]
        notes = []
        for values in zip(*columns, strict=True):
            parts = [str(v).strip() for v in values
                     if v is not None and not pd.isna(v) and str(v).strip()]
            parts.sort(key=lambda p: not is_correction(p))
            notes.append("; ".join(parts) or None)
        frame["note"] = pd.Series(notes, index=frame.index, dtype="object")

    if "date" not in frame.columns:
        frame["date"] = None
    if default_date is not None:
        filled = parse_date(default_date).isoformat()
        frame["date"] = frame["date"].astype("object").where(frame["date"].notna(), filled)

    missing = [c for c in ("plot_id", "stage") if c not in frame.columns]
    if not has_date and default_date is None:
        missing.append("date")
    if missing:
        labels = LEDGER.labels_zh()
        names = ", ".join(f"{c} ({labels[c]})" for c in missing)
        problems.append(Problem(layer_name, f"missing columns: {names}"))
        raise LayerError(layer_name, problems)

    unread = dict(zip(frame.index, rows, strict=True))
    for column, lookup, domain in (("stage", _STAGE_LOOKUP, LEDGER_STAGES),
                                   ("mode", _MODE_LOOKUP, tuple(RECLAMATION_MODES))):
        if column not in frame.columns:
            continue
        raws = frame[column].astype("object").tolist()
        mapped = [_word(v, lookup) for v in raws]
        for i, (raw, code) in enumerate(zip(raws, mapped, strict=True)):
            if code is not None and code not in domain:
                words = STAGE_WORDS if column == "stage" else MODE_WORDS
                accepted = "; ".join(f"{k}: {'/'.join(v)}" for k, v in words.items())
                problems.append(Problem(
                    layer_name, f"unknown {column} {raw!r}: use one of {accepted}",
                    row=unread[frame.index[i]], key=_key(frame, i), column=column,
                ))
        frame[column] = pd.Series(mapped, index=frame.index, dtype="object")
    events = frame[[c for c in _COLUMNS if c in frame.columns]].copy()
    return events, rows, problems


def _key(frame: pd.DataFrame, i: int) -> str | None:
    if "plot_id" not in frame.columns:
        return None
    v = frame["plot_id"].iloc[i]
    return None if v is None or pd.isna(v) else str(v)


def import_events(
    workspace: str | Path,
    file: str | Path,
    *,
    sheet: str | int | None = None,
    default_date: str | date | None = None,
    today: date | None = None,
) -> int:
    """Import a spreadsheet of events into the ledger: every row or none, in one transaction.

    Rows identical to an event already recorded are skipped, so importing the same, growing
    spreadsheet every month adds only its new rows.

    Parameters
    ----------
    workspace
        The workspace file.
    file
        CSV or XLSX (see :func:`read_events` for the headers and words understood).
    sheet
        XLSX sheet (default: the first).
    default_date
        Date for rows without one.
    today
        The day future dates are judged against (default: today).

    Returns
    -------
    int
        Events written.

    Raises
    ------
    LayerError
        Every problem, each naming its Excel row, plot and column; nothing is written.
    """
    events, rows, problems = read_events(file, sheet=sheet, default_date=default_date)
    return append_events(workspace, events, rows=rows, today=today, skip_recorded=True,
                         problems=problems)
