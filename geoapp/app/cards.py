"""What a click or a query shows: :func:`plot_card`, :func:`park_card`, :func:`search`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from analysis.concentration import lead_industry_list
from analysis.keys import isin
from geoapp import words
from geoapp.app.loading import AppData


def _num(value, digits: int = 2) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—"
    if not math.isfinite(x):
        return "—"
    return f"{x:,.{digits}f}"


def _pct(value) -> str:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return "—"
    return "—" if not math.isfinite(x) else f"{x * 100:+.1f}%"


def _text(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    return str(value)


CARD_FIELDS: tuple[tuple[str, str], ...] = (
    # column, kind
    ("area_mu", "num"),
    ("land_use", "text"),
    ("status", "status"),
    ("n_enterprises", "int"),
    ("output_wan", "num"),
    ("tax_wan", "num"),
    ("tax_per_mu", "num"),
    ("output_per_mu", "num"),
    ("value_added_per_mu", "num"),
    ("tax_per_mu_growth", "pct"),
    ("output_per_mu_growth", "pct"),
    ("score", "score"),
    ("grade", "text"),
    ("park_id", "park"),
    ("town_code", "town"),
    ("zone_type", "zone_type"),
    ("ledger_stage", "ledger_stage"),
)
"""Rows of a plot card: column and how to format it (labels from :mod:`geoapp.words`)."""

_NAMED = {"park": ("parks", "park_id"), "town": ("towns", "code"),
          "district": ("districts", "code")}


def scope_name(data: AppData, kind: str, code) -> str:
    """Name of a park, town or district with its id: ``"宝山工业园区 (BS-P01)"``.

    The id alone when the layer has no name for it, "—" when missing.
    """
    if _text(code) == "—":
        return "—"
    layer, key = _NAMED[kind]
    frame = data.layer(layer)
    if key in frame and "name" in frame:
        hit = frame.loc[frame[key].astype(str) == str(code), "name"]
        if len(hit) and _text(hit.iloc[0]) != "—":
            return f"{hit.iloc[0]} ({code})"
    return str(code)


def _fact_label(column: str, kind: str, lang: str) -> str:
    """Amounts carry their unit; counts, scores, growth and coded values need none."""
    if kind in ("park", "town"):
        return words.text(kind, lang)
    return words.label(column, lang) if kind == "num" else words.name(column, lang)


def _format(value, kind: str, lang: str, data: AppData | None = None) -> str:
    if kind == "num":
        return _num(value)
    if kind in ("int", "score"):
        return _num(value, 0 if kind == "int" else 1)
    if kind == "pct":
        return _pct(value)
    if kind in ("park", "town") and data is not None:
        return scope_name(data, kind, value)
    if kind in ("status", "ledger_stage", "zone_type", "level"):
        return words.value(kind, value, lang)
    return _text(value)


def _contributions(plot_id: str, data: AppData, lang: str) -> pd.DataFrame:
    """Each scoring item's points for one plot.

    A plot's score is the land-weighted mean of its rated firms' scores
    (:func:`analysis.grading.plot_scores`), and a firm's score is the sum of its items'
    contributions, so the plot's item points are the land-weighted means of its firms'
    ``contrib_*`` columns; they add up to the plot's score.
    """
    firms = data.table("evaluation", "enterprises")
    cols = [] if firms is None else [c for c in firms.columns if c.startswith("contrib_")]
    if firms is None or not cols or "plot_id" not in firms or "land_mu" not in firms:
        return pd.DataFrame(columns=["item", "points"])
    mine = firms[firms["plot_id"].astype(str) == str(plot_id)]
    if "score" in mine:
        mine = mine[mine["score"].notna()]
    land = pd.to_numeric(mine["land_mu"], errors="coerce")
    ok = land > 0
    if not ok.any():
        return pd.DataFrame(columns=["item", "points"])
    weights = land[ok] / land[ok].sum()
    rows = []
    for c in cols:
        v = pd.to_numeric(mine.loc[ok, c], errors="coerce")
        if v.notna().any():
            item = c.removeprefix("contrib_")
            points = float((v.fillna(0) * weights).sum())
            rows.append({"item": words.name(item, lang), "points": points})
    return pd.DataFrame(rows, columns=["item", "points"])


def plot_card(data: AppData, plot_id: str, lang: str = "zh") -> dict[str, Any] | None:
    """Everything the card of one plot shows.

    Parameters
    ----------
    data
        App data.
    plot_id
        The plot.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    dict or None
        ``title``; ``facts`` (list of ``(label, text)`` pairs: area in mu, enterprises,
        per-mu figures, score, grade, ...); ``reasons`` (low-efficiency reasons, list of
        str); ``low_efficiency`` (bool); ``contributions`` (DataFrame item/points);
        ``enterprises``, ``ledger``, ``projects`` (DataFrames); ``lon``/``lat``. None when
        there is no such plot.
    """
    p = data.plots
    hit = p.index[p["plot_id"].astype(str) == str(plot_id)]
    if len(hit) == 0:
        return None
    row = p.loc[hit[0]]
    facts = [(_fact_label(col, kind, lang), _format(row.get(col), kind, lang, data))
             for col, kind in CARD_FIELDS if col in row.index]
    reasons_raw = row.get("reasons")
    reasons = [] if _text(reasons_raw) == "—" else [
        words.value("reason", r.strip(), lang) for r in str(reasons_raw).split(";") if r.strip()]
    if not reasons and lang == "zh" and _text(row.get("reasons_zh")) != "—":
        reasons = [r.strip() for r in str(row["reasons_zh"]).split(words.text("list_sep_values"))
                   if r.strip()]
    graded = data.table("evaluation", "enterprises")
    firms = data.layer("enterprises") if graded is None else graded
    if "plot_id" in firms:
        firms = pd.DataFrame(firms.drop(columns="geometry", errors="ignore"))
        firms = firms[(firms["plot_id"].astype(str) == str(plot_id))
                      & (pd.to_numeric(firms["year"], errors="coerce") == data.year)]
        cols = [c for c in ("name", "credit_code", "industry", "scale", "land_mu", "output_wan",
                            "tax_wan", "tax_per_mu", "output_per_mu", "score", "grade",
                            "unrated_reason")
                if c in firms]
        firms = firms[cols].reset_index(drop=True)
    else:
        firms = pd.DataFrame()
    ledger = data.layer("ledger")
    if "plot_id" in ledger:
        ledger = ledger[ledger["plot_id"].astype(str) == str(plot_id)]
        ledger = ledger.sort_values("date", kind="stable").drop(columns="plot_id")
        ledger = ledger.reset_index(drop=True)
    projects = data.layer("projects")
    if "plot_id" in projects:
        projects = pd.DataFrame(projects.drop(columns="geometry", errors="ignore"))
        projects = projects[projects["plot_id"].astype(str) == str(plot_id)]
        projects = projects[[c for c in ("project_id", "name", "stage", "investment_wan",
                                         "land_mu", "start_date") if c in projects]]
        projects = projects.reset_index(drop=True)
    title = f"{words.text('card.plot', lang)} {plot_id}"
    return {
        "kind": "plot", "id": str(plot_id), "title": title, "facts": facts,
        "low_efficiency": bool(row.get("low_efficiency", False)), "reasons": reasons,
        "contributions": _contributions(str(plot_id), data, lang), "enterprises": firms,
        "ledger": ledger,
        "projects": projects, "lon": float(row["lon"]), "lat": float(row["lat"]),
        "area_mu": float(row["area_mu"]) if pd.notna(row.get("area_mu")) else float("nan"),
    }


def ranking_row(data: AppData, scope: str, scope_id: str) -> pd.Series | None:
    """One scope's row of the evaluation's ``<scope>_ranking`` table (None without it)."""
    key = {"park": "park_id", "town": "town_code", "district": "district_code"}[scope]
    table = data.table("evaluation", f"{scope}_ranking")
    if table is None:
        return None
    t = table.reset_index() if key not in table else table
    if key not in t:
        return None
    hit = t[t[key].astype(str) == str(scope_id)]
    return hit.iloc[0] if len(hit) else None


PARK_FIELDS: tuple[tuple[str, str], ...] = (
    # column of park_ranking, kind
    ("n_plots", "int"),
    ("land_mu", "num"),
    ("n_enterprises", "int"),
    ("tax_per_mu", "num"),
    ("output_per_mu", "num"),
    ("tax_per_mu_growth", "pct"),
    ("output_per_mu_growth", "pct"),
    ("n_low_efficiency_plots", "int"),
    ("rank", "int"),
)
"""Facts of a park card, read from the evaluation's park ranking."""


def park_card(data: AppData, park_id: str, lang: str = "zh") -> dict[str, Any] | None:
    """Build a park's card from its row of the evaluation's ``park_ranking``.

    Without the evaluation the card falls back to what the plot table alone gives (plots and
    land); per-mu figures, growth and rank then show "—".

    Returns
    -------
    dict or None
        ``title``, ``facts`` (label/text pairs), ``scorecard`` (the ranking row as a
        one-column DataFrame, or None). None when there is no such park.
    """
    parks = data.layer("parks")
    if "park_id" not in parks or not (parks["park_id"].astype(str) == str(park_id)).any():
        return None
    park = parks[parks["park_id"].astype(str) == str(park_id)].iloc[0]
    leads = lead_industry_list(park.get("lead_industries"))
    sep = words.text("list_sep", lang)
    facts = [
        (words.name("park_name", lang), _text(park.get("name"))),
        (words.name("level", lang), _format(park.get("level"), "level", lang)),
        (words.name("lead_industries", lang),
         sep.join(words.value("industry", i, lang) for i in leads) or "—"),
    ]
    row = ranking_row(data, "park", park_id)
    if row is None:
        mine = data.plots[data.plots["park_id"].astype(str) == str(park_id)]
        row = pd.Series({"n_plots": len(mine),
                         "land_mu": pd.to_numeric(mine["area_mu"], errors="coerce").sum(),
                         "n_low_efficiency_plots": int(mine["low_efficiency"].sum())})
        scorecard = None
    else:
        scorecard = row.to_frame(name=str(park_id))
    facts += [(_fact_label(col, kind, lang), _format(row.get(col), kind, lang))
              for col, kind in PARK_FIELDS]
    title = f"{words.text('park', lang)} {park.get('name')}"
    return {"kind": "park", "id": str(park_id), "title": title, "facts": facts,
            "scorecard": scorecard}


def _area_hits(data: AppData, ql: str) -> list[dict]:
    """Parks and towns whose name contains the query (lower-cased), with a point inside."""
    rows: list[dict] = []
    for kind, layer, key in (("park", "parks", "park_id"), ("town", "towns", "code")):
        frame = data.layer(layer)
        if key not in frame or "name" not in frame or len(frame) == 0:
            continue
        names = frame["name"].astype("string").fillna("")
        hit = frame[names.str.lower().str.contains(ql, regex=False).to_numpy(dtype=bool)
                    | (frame[key].astype(str).str.lower() == ql).to_numpy(dtype=bool)]
        if hit.empty:
            continue
        pts = (hit.geometry.representative_point() if hasattr(hit, "geometry")
               and hit.geometry.notna().all() else None)
        for i, (fid, name) in enumerate(zip(hit[key].astype(str), hit["name"], strict=True)):
            rows.append({"target": kind, "id": fid, "plot_id": None, "match": str(name),
                         "kind": kind,
                         "lon": float(pts.iloc[i].x) if pts is not None else float("nan"),
                         "lat": float(pts.iloc[i].y) if pts is not None else float("nan")})
    return rows


SEARCH_COLUMNS = ("target", "id", "plot_id", "match", "kind", "lon", "lat")
"""Columns of :func:`search`'s answer."""


def search(data: AppData, query: str, *, limit: int = 10) -> pd.DataFrame:
    """Find plots by plot id, enterprise name or 统一社会信用代码, and parks and towns by name.

    Exact plot id or credit code first, then parks and towns whose name contains the query
    (or whose id is the query), then plot ids starting with the query, then enterprise names
    containing it (case-insensitive).

    Returns
    -------
    DataFrame
        ``target`` (``"plot"``, ``"park"``, ``"town"``), ``id`` (what to select),
        ``plot_id`` (None for a park or town), ``match`` (what matched), ``kind``
        (``"plot_id"``, ``"credit_code"``, ``"name"``, ``"park"``, ``"town"``), ``lon``,
        ``lat`` (a point inside); at most ``limit`` rows, no duplicates.
    """
    q = (query or "").strip()
    cols = list(SEARCH_COLUMNS)
    if not q:
        return pd.DataFrame(columns=cols)
    p = data.plots
    ids = p["plot_id"].astype(str)
    ql = q.lower()
    rows: list[dict] = []
    exact = ids[ids.str.lower() == ql]
    rows += [{"plot_id": v, "match": v, "kind": "plot_id"} for v in exact]
    firms = data.layer("enterprises")
    if "plot_id" in firms:
        f = pd.DataFrame(firms.drop(columns="geometry", errors="ignore"))
        f = f[f["plot_id"].notna()]
        if "credit_code" in f:
            cc = f[f["credit_code"].astype(str).str.upper() == q.upper()]
            rows += [{"plot_id": str(r.plot_id), "match": str(r.credit_code), "kind": "credit_code"}
                     for r in cc.itertuples()]
    first = len(rows)
    prefix = ids[ids.str.lower().str.startswith(ql) & (ids.str.lower() != ql)].head(limit)
    rows += [{"plot_id": v, "match": v, "kind": "plot_id"} for v in prefix]
    if "plot_id" in firms and "name" in f:
        named = f[f["name"].astype(str).str.lower().str.contains(ql, regex=False)]
        named = named.drop_duplicates("plot_id")
        rows += [{"plot_id": str(r.plot_id), "match": str(r.name), "kind": "name"}
                 for r in named.head(limit * 2).itertuples()]
    plots = pd.DataFrame(rows, columns=["plot_id", "match", "kind"])
    plots["order"] = np.where(np.arange(len(plots)) < first, 0, 2)
    plots = plots.drop_duplicates("plot_id")
    where = p.set_index(ids)[["lon", "lat"]]
    plots = plots[isin(plots["plot_id"], where.index)]
    plots["lon"] = where["lon"].reindex(plots["plot_id"]).to_numpy()
    plots["lat"] = where["lat"].reindex(plots["plot_id"]).to_numpy()
    plots["target"], plots["id"] = "plot", plots["plot_id"]
    area = pd.DataFrame(_area_hits(data, ql), columns=cols)
    area["order"] = 1
    out = pd.concat([x for x in (plots, area) if len(x)], ignore_index=True) if (
        len(plots) or len(area)) else pd.DataFrame(columns=[*cols, "order"])
    out = out.sort_values("order", kind="stable").head(limit)
    return out.reset_index(drop=True)[cols]


def search_label(hit: pd.Series | dict, lang: str = "zh") -> str:
    """How a search match is listed.

    A plot by its id (and what matched, ``"P000123 · 甲公司(合成)"``), a park or town by its
    kind, name and id (``"园区 数智南大 (BS-P03)"``).
    """
    target, fid, match = hit["target"], str(hit["id"]), str(hit["match"])
    if target == "plot":
        return fid if match == fid else f"{fid} · {match}"
    return f"{words.text(target, lang)} {match} ({fid})"
