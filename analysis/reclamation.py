"""Reclamation ledger: validating events, each plot's state, progress against the targets.

The ledger is a table of dated events per plot (``plot_id, date, stage, mode, reclaimed_mu,
note``). Rules, decided once here and used by recording, analysis and the app:

- **Order.** A plot's events are read in date order, then in the order they were recorded.
  Its current state is its latest event.
- **Forward only.** Stages follow :data:`layers.schema.LEDGER_STAGES`
  (identified → in_progress → reclaimed → reused). Repeating the current stage is a progress
  update and is allowed; moving back is an error.
- **Corrections** are new events, never edits. An event whose note starts with ``更正:``
  (or ``更正：``, ``correction:``) restates the plot's state: it may repeat the stage with a new
  ``reclaimed_mu`` or ``mode`` (the latest one counts), or move the stage back when an earlier
  event was a mistake (a plot corrected back before ``reclaimed`` no longer counts as reclaimed
  until a new ``reclaimed`` event).
- **Mode.** A plot reaching ``reclaimed`` or ``reused`` must have a mode, on that event or on an
  earlier one (the latest mode recorded counts).
- **Reclaimed when.** A plot counts as reclaimed on the date of its first ``reclaimed`` (or
  ``reused``) event; a plot reclaimed on 31 December 2023 counts for 2023, not 2024.
- **How much.** Its mu is the ``reclaimed_mu`` of its latest reclaimed/reused event that gives
  one, else the plot's area in mu (the caller passes it: geoapp uses the register area where
  given, else the polygon measured in WORK_CRS).

Dates are whole days; a date means the end of that day (as of 31 December, the year is over).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from layers.errors import Problem
from layers.schema import LEDGER_STAGES, RECLAMATION_MODES

LAYER = "ledger"

CORRECTION_PREFIXES: tuple[str, ...] = ("更正:", "更正：", "correction:")
"""A note starting with one of these (case-insensitive) marks the event as a correction."""

RECLAIMED_RANK = LEDGER_STAGES.index("reclaimed")
_RANK = {s: i for i, s in enumerate(LEDGER_STAGES)}

RECLAMATION_METRICS: tuple[str, ...] = (
    "reclaimed_mu",
    "reclaimed_plots",
    "reclaimed_mu_cumulative",
)
"""Target metrics this module measures (the growth metrics belong to the evaluation)."""

SCOPE_COLUMNS: dict[str, str] = {
    "district": "district_code",
    "town": "town_code",
    "park": "park_id",
}
"""Target ``scope_type`` → the plot column that says which scope a plot is in."""

NONE_GROUP = "(none)"
"""Group id of plots without a town, park or mode in the breakdowns."""

_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


# ---------------------------------------------------------------------------------------------
# small parsers shared with recording


def parse_date(value) -> date | None:
    """Read one ledger date.

    Parameters
    ----------
    value
        ``date``, ``datetime``/``Timestamp`` (time of day dropped), or text ``YYYY-MM-DD``,
        ``YYYY/M/D``, ``YYYY.M.D`` or ``YYYY年M月D日`` (a trailing ``00:00:00`` is allowed).

    Returns
    -------
    date or None
        None when the value is missing (None, NaN, NaT, empty text).

    Raises
    ------
    ValueError
        When the value is present but not a valid date.
    """
    if _missing(value):
        return None
    if isinstance(value, datetime):  # includes pd.Timestamp
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    for suffix in (" 00:00:00", "T00:00:00"):
        if text.endswith(suffix):
            text = text[: -len(suffix)]
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"date {value!r} is not YYYY-MM-DD")
    y, mo, d = (int(g) for g in m.groups())
    try:
        return date(y, mo, d)
    except ValueError:
        raise ValueError(f"date {value!r} does not exist") from None


def is_correction(note) -> bool:
    """Whether an event's note marks it as a correction (starts with ``更正:``/``correction:``)."""
    if _missing(note):
        return False
    text = str(note).strip().lower()
    return text.startswith(CORRECTION_PREFIXES)


def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _text(value) -> str | None:
    return None if _missing(value) else str(value).strip()


def _number(value) -> float | None:
    """Read a float: None when missing; ValueError when present but not a number."""
    if _missing(value):
        return None
    out = float(value)
    if math.isnan(out):
        return None
    return out


# ---------------------------------------------------------------------------------------------
# validation


@dataclass(frozen=True)
class _Event:
    seq: int  # recording order: existing rows first, then new rows
    row: int | None  # 1-based row of a new event; None for an existing one
    plot_id: str
    date: date
    rank: int
    mode: str | None
    mu: float | None
    correction: bool


def _existing_events(existing: pd.DataFrame, plots: set[str] | None = None) -> list[_Event]:
    """Readable events of the recorded ledger (rows that cannot be placed are skipped).

    ``seq`` is each row's position in ``existing`` (its recording order); ``plots`` limits the
    events to those plots.
    """
    out: list[_Event] = []
    if existing is None or len(existing) == 0:
        return out
    n = len(existing)

    def column(name):
        return existing[name].astype("object").tolist() if name in existing.columns \
            else [None] * n

    ids = column("plot_id")
    positions = range(n) if plots is None else [
        i for i, v in enumerate(ids) if not _missing(v) and str(v).strip() in plots
    ]
    dates, stages, modes = column("date"), column("stage"), column("mode")
    mus, notes = column("reclaimed_mu"), column("note")
    for seq in positions:
        plot_id, stage = _text(ids[seq]), _text(stages[seq])
        try:
            when = parse_date(dates[seq])
            mu = _number(mus[seq])
        except (TypeError, ValueError):
            continue
        if plot_id is None or when is None or stage not in _RANK:
            continue
        out.append(_Event(seq, None, plot_id, when, _RANK[stage], _text(modes[seq]), mu,
                          is_correction(notes[seq])))
    return out


def check_events(
    existing: pd.DataFrame,
    new: pd.DataFrame,
    plot_area_mu: pd.Series,
    *,
    today: date,
    area_tolerance: float = 0.01,
) -> list[Problem]:
    """Every problem with recording ``new`` events after the ``existing`` ledger.

    Parameters
    ----------
    existing
        The ledger as recorded (columns of :data:`layers.schema.LEDGER`), in recording order.
    new
        Events to record, in order; ``row`` in the problems is the 1-based position in ``new``.
        Stages and modes must already be canonical English codes; dates may be ``date`` objects
        or text (see :func:`parse_date`).
    plot_area_mu
        Area of each known plot in mu, indexed by ``plot_id``.
    today
        Events dated after this day are errors.
    area_tolerance
        Fraction by which ``reclaimed_mu`` may exceed the plot's measured area (registered and
        drawn areas differ slightly); default 1 %.

    Returns
    -------
    list of Problem
        Empty when every new event may be recorded. Checked: missing or unknown plot, missing,
        malformed or future date, unknown stage or mode, a stage behind the plot's current one
        (unless the note marks a correction), no mode when a plot reaches ``reclaimed``, and
        ``reclaimed_mu`` that is not a number, not positive or larger than the plot.
    """
    problems: list[Problem] = []

    def problem(row, key, column, message):
        problems.append(Problem(layer=LAYER, message=message, row=row, key=key, column=column))

    known = set(plot_area_mu.index.astype(str))
    records = new.astype("object").to_dict("records")
    mentioned = {str(r.get("plot_id")).strip() for r in records if not _missing(r.get("plot_id"))}
    events = _existing_events(existing, mentioned)
    n_existing = 0 if existing is None else len(existing)
    for i, rec in enumerate(records):
        row = i + 1
        plot_id = _text(rec.get("plot_id"))
        ok = True
        if plot_id is None:
            problem(row, None, "plot_id", "plot_id is missing")
            ok = False
        elif plot_id not in known:
            problem(row, plot_id, "plot_id",
                    f"unknown plot {plot_id!r}: it is not in the workspace's plots layer")
        try:
            when = parse_date(rec.get("date"))
        except (TypeError, ValueError) as exc:
            problem(row, plot_id, "date", f"{exc}; write dates as YYYY-MM-DD")
            when, ok = None, False
        else:
            if when is None:
                problem(row, plot_id, "date", "date is missing")
                ok = False
            elif when > today:
                problem(row, plot_id, "date",
                        f"date {when.isoformat()} is in the future (today is {today.isoformat()})")
        stage = _text(rec.get("stage"))
        if stage is None:
            problem(row, plot_id, "stage",
                    f"stage is missing: expected one of {list(LEDGER_STAGES)}")
            ok = False
        elif stage not in _RANK:
            problem(row, plot_id, "stage",
                    f"unknown stage {stage!r}: expected one of {list(LEDGER_STAGES)}")
            ok = False
        mode = _text(rec.get("mode"))
        if mode is not None and mode not in RECLAMATION_MODES:
            problem(row, plot_id, "mode",
                    f"unknown mode {mode!r}: expected one of {list(RECLAMATION_MODES)}")
        try:
            mu = _number(rec.get("reclaimed_mu"))
        except (TypeError, ValueError):
            problem(row, plot_id, "reclaimed_mu",
                    f"reclaimed_mu {rec.get('reclaimed_mu')!r} is not a number (mu)")
            mu = None
        if mu is not None:
            if mu <= 0:
                problem(row, plot_id, "reclaimed_mu", f"reclaimed_mu {mu:g} must be positive")
            elif plot_id in known:
                area = float(plot_area_mu.loc[plot_id])
                if mu > area * (1 + area_tolerance):
                    problem(row, plot_id, "reclaimed_mu",
                            f"reclaimed_mu {mu:g} is larger than the plot ({area:.2f} mu)")
        if ok:
            events.append(
                _Event(n_existing + i, row, plot_id, when, _RANK[stage], mode, mu,
                       is_correction(rec.get("note")))
            )
    problems += _order_problems(events)
    return sorted(problems, key=lambda p: (p.row or 0))


def _order_problems(events: list[_Event]) -> list[Problem]:
    """Forward-only and mode-at-reclaimed problems, found by replaying each plot's timeline."""
    out = []
    by_plot: dict[str, list[_Event]] = {}
    for e in events:
        by_plot.setdefault(e.plot_id, []).append(e)
    for plot_id, timeline in by_plot.items():
        if all(e.row is None for e in timeline):
            continue
        timeline.sort(key=lambda e: (e.date, e.seq))
        state, source = -1, None
        mode = None
        for e in timeline:
            if e.mode is not None:
                mode = e.mode
            if e.correction or e.rank >= state:
                if e.row is not None and e.rank >= RECLAIMED_RANK and mode is None:
                    out.append(Problem(
                        layer=LAYER, row=e.row, key=plot_id, column="mode",
                        message=(f"mode is required when a plot reaches {LEDGER_STAGES[e.rank]!r}:"
                                 f" one of {list(RECLAMATION_MODES)}"),
                    ))
                state, source = e.rank, e
                continue
            # a step back without a correction
            if e.row is not None:
                out.append(Problem(
                    layer=LAYER, row=e.row, key=plot_id, column="stage",
                    message=(f"stage {LEDGER_STAGES[e.rank]!r} on {e.date.isoformat()} is behind "
                             f"{LEDGER_STAGES[state]!r} recorded on {source.date.isoformat()}: "
                             "stages move forward only (to correct a mistake, start the note "
                             "with '更正:')"),
                ))
            elif source is not None and source.row is not None:
                out.append(Problem(
                    layer=LAYER, row=source.row, key=plot_id, column="date",
                    message=(f"stage {LEDGER_STAGES[source.rank]!r} on "
                             f"{source.date.isoformat()} comes before the recorded "
                             f"{LEDGER_STAGES[e.rank]!r} on {e.date.isoformat()}: "
                             "stages move forward only"),
                ))
    return unique_problems(out)


def unique_problems(problems: list[Problem]) -> list[Problem]:
    """
    Keep the first problem of each (row, column): one message per cell is enough.

    Problems without a row (a missing column, a file that cannot be read) are all kept.
    Order is preserved.
    """
    seen, unique = set(), []
    for p in problems:
        key = (p.row, p.column)
        if p.row is not None and key in seen:
            continue
        seen.add(key)
        unique.append(p)
    return unique


# ---------------------------------------------------------------------------------------------
# each plot's state


PLOT_STATE_COLUMNS = (
    "stage", "mode", "first_date", "last_date", "reclaimed_date", "reclaimed_mu", "n_events",
    "corrected", "last_note",
)


def plot_states(
    ledger: pd.DataFrame,
    *,
    as_of: date | None = None,
    area_mu: pd.Series | None = None,
) -> pd.DataFrame:
    """Each listed plot's state as of a date, replayed from its events.

    Parameters
    ----------
    ledger
        Ledger events in recording order. Rows without a readable plot, date or stage are
        skipped (recording never writes them).
    as_of
        Ignore events dated after this day; None uses every event.
    area_mu
        Plot area in mu by ``plot_id``: the ``reclaimed_mu`` of a reclaimed plot whose events
        give none.

    Returns
    -------
    DataFrame
        Indexed by ``plot_id`` (sorted): ``stage`` (current), ``mode`` (latest recorded),
        ``first_date``, ``last_date``, ``reclaimed_date`` (first reclaimed/reused event, None if
        not reclaimed), ``reclaimed_mu`` (mu, NaN if not reclaimed), ``n_events``, ``corrected``
        (any correction event), ``last_note``.
    """
    events = [e for e in _existing_events(ledger) if as_of is None or e.date <= as_of]
    notes = {}
    if len(events):
        raw_notes = ledger["note"].tolist() if "note" in ledger.columns else [None] * len(ledger)
        notes = {e.seq: _text(raw_notes[e.seq]) for e in events}
    by_plot: dict[str, list[_Event]] = {}
    for e in events:
        by_plot.setdefault(e.plot_id, []).append(e)
    rows = {}
    for plot_id in sorted(by_plot):
        timeline = sorted(by_plot[plot_id], key=lambda e: (e.date, e.seq))
        state, mode, reclaimed_on, mu, note = -1, None, None, None, None
        for e in timeline:
            if e.mode is not None:
                mode = e.mode
            if e.correction:
                state = e.rank
                if state < RECLAIMED_RANK:
                    reclaimed_on, mu = None, None
            else:
                state = max(state, e.rank)
            if e.rank >= RECLAIMED_RANK and state >= RECLAIMED_RANK:
                if reclaimed_on is None:
                    reclaimed_on = e.date
                if e.mu is not None:
                    mu = e.mu
            if notes.get(e.seq) is not None:
                note = notes[e.seq]
        if state >= RECLAIMED_RANK and mu is None and area_mu is not None:
            mu = area_mu.get(plot_id)
        rows[plot_id] = {
            "stage": LEDGER_STAGES[state],
            "mode": mode,
            "first_date": timeline[0].date,
            "last_date": timeline[-1].date,
            "reclaimed_date": reclaimed_on,
            "reclaimed_mu": float("nan") if state < RECLAIMED_RANK or mu is None else float(mu),
            "n_events": len(timeline),
            "corrected": any(e.correction for e in timeline),
            "last_note": note,
        }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=list(PLOT_STATE_COLUMNS))
    out.index = pd.Index(list(rows), name="plot_id", dtype="str")
    out["reclaimed_mu"] = out["reclaimed_mu"].astype("float64")
    out["n_events"] = out["n_events"].astype("int64")
    out["corrected"] = out["corrected"].astype(bool)
    return out


def stalled(states: pd.DataFrame, *, as_of: date, days: int = 180) -> pd.Series:
    """Whether each listed plot is stalled: not yet reclaimed and no event for ``days`` days.

    Parameters
    ----------
    states
        Output of :func:`plot_states` (``stage``, ``last_date``).
    as_of
        The day of the check.
    days
        A plot whose last event is ``days`` or more days before ``as_of`` is stalled.

    Returns
    -------
    Series of bool
        Named ``stalled``, indexed like ``states``.
    """
    waited = pd.Series(
        [(as_of - d).days for d in states["last_date"]], index=states.index, dtype="int64"
    )
    open_ = states["stage"].map(_RANK) < RECLAIMED_RANK
    return ((waited >= days) & open_).rename("stalled")


def days_since_event(states: pd.DataFrame, *, as_of: date) -> pd.Series:
    """Days from each plot's last event to ``as_of``, named ``days_since_event``."""
    return pd.Series(
        [(as_of - d).days for d in states["last_date"]], index=states.index, dtype="int64",
        name="days_since_event",
    )


# ---------------------------------------------------------------------------------------------
# progress against targets


@dataclass(frozen=True)
class Period:
    """The days a target counts (both ends included)."""

    start: date | None
    end: date

    def elapsed_fraction(self, as_of: date) -> float:
        """Share of the period over at the end of ``as_of`` (0 before it starts, 1 after)."""
        if self.start is None:
            return float("nan")
        total = (self.end - self.start).days + 1
        done = (min(as_of, self.end) - self.start).days + 1
        return min(max(done / total, 0.0), 1.0)


def target_period(metric: str, year: int, since_year: int | None = None) -> Period:
    """Give the days a target counts.

    Annual metrics count 1 January to 31 December of ``year``; ``reclaimed_mu_cumulative``
    counts from 1 January of ``since_year`` (no start when it is missing) to 31 December of
    ``year``.
    """
    end = date(int(year), 12, 31)
    if metric.endswith("_cumulative"):
        start = None if since_year is None else date(int(since_year), 1, 1)
        return Period(start, end)
    return Period(date(int(year), 1, 1), end)


def _in_scope(
    states: pd.DataFrame, scopes: pd.DataFrame, scope_type: str, scope_id: str
) -> np.ndarray:
    """Whether each plot of ``states`` lies in the scope (a lookup, not a scan of all plots)."""
    column = SCOPE_COLUMNS[scope_type]
    if column not in scopes.columns:
        return np.zeros(len(states), dtype=bool)
    ids = scopes[column]
    ids = ids[~ids.index.duplicated()].reindex(states.index).astype("str")
    return (ids == str(scope_id)).fillna(False).to_numpy(dtype=bool)


def _reclaimed_in(states: pd.DataFrame, period: Period, as_of: date) -> pd.DataFrame:
    last = min(as_of, period.end)
    when = states["reclaimed_date"]
    keep = when.map(
        lambda d: d is not None and not _missing(d)
        and (period.start is None or d >= period.start) and d <= last
    ).astype(bool)
    return states[keep]


def _target_scope(
    target: dict, states: pd.DataFrame, scopes: pd.DataFrame, as_of: date
) -> tuple[Period, pd.DataFrame]:
    """The period one targets row counts, and its scope's plots reclaimed in it by ``as_of``."""
    period = target_period(
        str(target["metric"]), int(target["year"]), _since_year(target.get("since_year"))
    )
    inside = _in_scope(states, scopes, str(target["scope_type"]), str(target["scope_id"]))
    return period, _reclaimed_in(states[inside], period, as_of)


def _achieved(reclaimed: pd.DataFrame, metric: str) -> float:
    if metric == "reclaimed_plots":
        return float(len(reclaimed))
    return float(reclaimed["reclaimed_mu"].fillna(0.0).sum())


def _since_year(value) -> int | None:
    return None if _missing(value) else int(value)


def reclamation_progress(
    targets: pd.DataFrame,
    states: pd.DataFrame,
    scopes: pd.DataFrame,
    *,
    as_of: date,
    names: dict[tuple[str, str], str] | None = None,
) -> pd.DataFrame:
    """Progress of every reclamation target as of a date.

    Parameters
    ----------
    targets
        Targets layer rows (``scope_type, scope_id, year, metric, value, since_year?``); rows
        whose metric is not in :data:`RECLAMATION_METRICS` are left out.
    states
        Output of :func:`plot_states` as of ``as_of``.
    scopes
        Plot → scope, indexed by ``plot_id``: ``district_code``, ``town_code``, ``park_id``
        (missing columns mean no plot is in any scope of that type).
    as_of
        The day progress is measured at.
    names
        ``{(scope_type, scope_id): name}`` for the ``scope_name`` column.

    Returns
    -------
    DataFrame
        One row per target: ``scope_type, scope_id, scope_name, year, metric, since_year,
        target, achieved`` (mu, or plots for ``reclaimed_plots``), ``pct`` (achieved / target
        as a fraction, 0.83 = 83 %, like every share in geoapp), ``expected_by_date`` (target
        × elapsed share of the period: a straight-line schedule), ``forecast`` (achieved /
        elapsed share: the end-of-period result at the current rate; NaN before the period
        starts), ``elapsed_fraction``, ``as_of``, ``note``.
    """
    names = names or {}
    rows = []
    for rec in targets.to_dict("records"):
        metric = str(rec["metric"])
        if metric not in RECLAMATION_METRICS:
            continue
        scope_type, scope_id = str(rec["scope_type"]), str(rec["scope_id"])
        year, value = int(rec["year"]), float(rec["value"])
        since = _since_year(rec.get("since_year"))
        period, reclaimed = _target_scope(rec, states, scopes, as_of)
        notes = []
        if metric.endswith("_cumulative") and since is None:
            notes.append("since_year missing: counts every reclaimed plot up to the year's end")
        column = SCOPE_COLUMNS.get(scope_type)
        if column not in scopes.columns:
            notes.append(f"plots carry no {column}: nothing can be counted for this scope")
        achieved = _achieved(reclaimed, metric)
        fraction = period.elapsed_fraction(as_of)
        rows.append({
            "scope_type": scope_type,
            "scope_id": scope_id,
            "scope_name": names.get((scope_type, scope_id), ""),
            "year": year,
            "metric": metric,
            "since_year": since,
            "target": value,
            "achieved": achieved,
            "pct": achieved / value if value > 0 else float("nan"),
            "expected_by_date": value * fraction,
            "forecast": achieved / fraction if fraction > 0 else float("nan"),
            "elapsed_fraction": fraction,
            "as_of": as_of.isoformat(),
            "note": "; ".join(notes),
        })
    columns = ["scope_type", "scope_id", "scope_name", "year", "metric", "since_year", "target",
               "achieved", "pct", "expected_by_date", "forecast", "elapsed_fraction", "as_of",
               "note"]
    out = pd.DataFrame(rows, columns=columns)
    out["since_year"] = out["since_year"].astype("Int64")
    for c in ("target", "achieved", "pct", "expected_by_date", "forecast", "elapsed_fraction"):
        out[c] = out[c].astype("float64")
    return out


def progress_breakdown(
    targets: pd.DataFrame,
    states: pd.DataFrame,
    scopes: pd.DataFrame,
    *,
    as_of: date,
) -> pd.DataFrame:
    """Break each reclamation target's achievement down by mode, by town and by park.

    Parameters
    ----------
    targets, states, scopes, as_of
        As for :func:`reclamation_progress`.

    Returns
    -------
    DataFrame
        Long table ``scope_type, scope_id, year, metric, group`` (``mode``, ``town`` or
        ``park``), ``group_id`` (:data:`NONE_GROUP` for plots with none), ``achieved``. A scope
        is not broken down by its own type (a town target has no town rows). Rows sum to the
        target's ``achieved`` within each group.
    """
    groups = {"mode": None, "town": "town_code", "park": "park_id"}
    rows = []
    for rec in targets.to_dict("records"):
        metric = str(rec["metric"])
        if metric not in RECLAMATION_METRICS:
            continue
        scope_type, scope_id, year = str(rec["scope_type"]), str(rec["scope_id"]), int(rec["year"])
        _, reclaimed = _target_scope(rec, states, scopes, as_of)
        for group, column in groups.items():
            if group == scope_type:
                continue
            if column is None:
                keys = reclaimed["mode"]
            elif column in scopes.columns:
                keys = scopes[column].reindex(reclaimed.index)
            else:
                continue
            keys = keys.map(lambda v: NONE_GROUP if _missing(v) else str(v))
            for key in sorted(set(keys)):
                part = reclaimed[keys == key]
                rows.append({
                    "scope_type": scope_type, "scope_id": scope_id, "year": year,
                    "metric": metric, "group": group, "group_id": key,
                    "achieved": _achieved(part, metric),
                })
    columns = ["scope_type", "scope_id", "year", "metric", "group", "group_id", "achieved"]
    out = pd.DataFrame(rows, columns=columns)
    out["achieved"] = out["achieved"].astype("float64")
    return out


def burnup(
    target: dict,
    states: pd.DataFrame,
    scopes: pd.DataFrame,
    *,
    as_of: date,
) -> pd.DataFrame:
    """Build the burn-up series of one target: achieved so far and the straight-line schedule.

    Parameters
    ----------
    target
        One targets row as a dict (``scope_type, scope_id, year, metric, value, since_year?``).
    states, scopes, as_of
        As for :func:`reclamation_progress`.

    Returns
    -------
    DataFrame
        Columns ``date``, ``achieved`` (cumulative at the end of that day; NaN after
        ``as_of``), ``schedule`` (target × elapsed share). Rows: the period's start, every day a
        plot was reclaimed, ``as_of`` (if inside the period) and the period's end. A
        cumulative target without ``since_year`` starts at its first reclaimed plot.
    """
    metric = str(target["metric"])
    value = float(target["value"])
    period, reclaimed = _target_scope(target, states, scopes, as_of)
    start = period.start
    if start is None:
        dates = [d for d in reclaimed["reclaimed_date"] if d is not None]
        start = min(dates) if dates else date(period.end.year, 1, 1)
        period = Period(start, period.end)
    days = {start, period.end, *reclaimed["reclaimed_date"]}
    if start <= as_of <= period.end:
        days.add(as_of)
    rows = []
    when = pd.to_datetime(reclaimed["reclaimed_date"]).to_numpy()  # compared as numbers
    for d in sorted(days):
        upto = reclaimed[when <= np.datetime64(d)]
        rows.append({
            "date": d,
            "achieved": _achieved(upto, metric) if d <= as_of else float("nan"),
            "schedule": value * period.elapsed_fraction(d),
        })
    # the schedule starts from zero at the beginning of the first day
    rows.insert(0, {"date": start - timedelta(days=1), "achieved": 0.0, "schedule": 0.0})
    return pd.DataFrame(rows, columns=["date", "achieved", "schedule"])
