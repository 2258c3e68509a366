"""Static charts as PNG bytes (matplotlib, Agg backend, no pyplot global state).

Labels are Chinese when a CJK font is installed (see :func:`cjk_font`), English otherwise, so
a machine without one still draws every chart without missing-glyph boxes.
"""

from __future__ import annotations

import io
import logging
from datetime import date
from functools import lru_cache

import pandas as pd

from geoapp.words import text

CJK_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Sarasa Gothic SC",
    "AR PL UMing CN",
    "Droid Sans Fallback",
)
"""Font families with simplified Chinese glyphs, in order of preference."""



def _one_weight(record: logging.LogRecord) -> bool:
    """False for matplotlib's warning that a font has no "normal" weight.

    WenQuanYi Zen Hei, the CJK font of Debian's ``fonts-wqy-zenhei``, has one weight (500);
    matplotlib draws with it and says so on every chart.
    """
    return not str(record.msg).startswith("findfont: Failed to find font weight")


def _figure():
    """An 8 × 4.5 inch figure drawn by Agg (matplotlib is imported here, when needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fonts = logging.getLogger("matplotlib.font_manager")
    if _one_weight not in fonts.filters:
        fonts.addFilter(_one_weight)

    fig = Figure(figsize=(8, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    return fig


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Find an installed font family that draws Chinese (as ``fc-list :lang=zh``), or None."""
    from matplotlib import font_manager  # matplotlib where charts are drawn: 0.5 s to import

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in installed:
            return family
    return None


def burnup_png(
    series: pd.DataFrame,
    *,
    target: float,
    title_zh: str,
    title_en: str,
    unit_zh: str,
    unit_en: str,
    as_of: date,
    lang: str | None = None,
) -> bytes:
    """Draw a burn-up chart: achieved so far (steps) against the straight-line schedule.

    Parameters
    ----------
    series
        ``date``, ``achieved`` (NaN after ``as_of``), ``schedule``, as from
        :func:`analysis.reclamation.burnup`.
    target
        The target value (drawn as a horizontal line).
    title_zh, title_en
        Chart title; the Chinese one is used only when a CJK font is installed.
    unit_zh, unit_en
        Unit of the y axis (``亩``/``mu``, ``块``/``plots``).
    as_of
        The day progress was measured (a vertical line).
    lang
        ``"zh"`` or ``"en"``; None picks Chinese when a CJK font is installed. Chinese asked
        for without a CJK font falls back to English.

    Returns
    -------
    bytes
        PNG image (800 × 450 px).
    """
    family = cjk_font()
    if lang is None or family is None:
        lang = "zh" if family else "en"
    words = {k: text(f"chart.{k}", lang) for k in ("achieved", "schedule", "target", "as_of")}
    rc = {"font.family": [family, "DejaVu Sans"]} if lang == "zh" else {}
    fig = _figure()
    with _rc(rc):
        ax = fig.add_subplot()
        days = pd.to_datetime(series["date"])
        done = series["achieved"].notna()
        ax.step(days[done], series["achieved"][done], where="post", color="#1b7837",
                linewidth=2.2, label=words["achieved"])
        ax.plot(days, series["schedule"], color="#762a83", linestyle="--",
                label=words["schedule"])
        ax.axhline(target, color="#b2182b", linewidth=1.2, label=f"{words['target']} {target:g}")
        ax.axvline(pd.Timestamp(as_of), color="grey", linewidth=0.8, linestyle=":")
        ax.set_title(title_zh if lang == "zh" else title_en)
        ax.set_ylabel(unit_zh if lang == "zh" else unit_en)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", frameon=False)
        ax.grid(alpha=0.3)
        fig.autofmt_xdate()
        fig.text(0.99, 0.01, f"{words['as_of']} {as_of.isoformat()}", ha="right", fontsize=8,
                 color="grey")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()


def _rc(params: dict):
    import matplotlib as mpl

    return mpl.rc_context(params)


def scenario_burnup_png(
    lines: dict[str, pd.Series],
    *,
    target: pd.Series,
    ledger: pd.Series | None = None,
    title_zh: str,
    title_en: str,
    unit_zh: str,
    unit_en: str,
    lang: str | None = None,
) -> bytes:
    """Draw scenarios against a target year by year: one line per scenario, the target as steps.

    Parameters
    ----------
    lines
        ``{scenario name: achieved by year}`` (ledger and scenario together).
    target
        The target by year (NaN in a year without one).
    ledger
        What the ledger alone achieves by year (a dotted line), or None.
    title_zh, title_en, unit_zh, unit_en, lang
        As :func:`burnup_png`.

    Returns
    -------
    bytes
        PNG image (800 × 450 px).
    """
    family = cjk_font()
    if lang is None or family is None:
        lang = "zh" if family else "en"
    rc = {"font.family": [family, "DejaVu Sans"]} if lang == "zh" else {}
    fig = _figure()
    with _rc(rc):
        ax = fig.add_subplot()
        shown = target.dropna()
        if len(shown):
            ax.step(shown.index, shown.to_numpy(), where="mid", color="#b2182b", linewidth=1.4,
                    label=text("chart.target", lang))
        if ledger is not None:
            ax.plot(ledger.index, ledger.to_numpy(), color="grey", linestyle=":", marker=".",
                    label=text("scenario.ledger", lang))
        for i, (name, series) in enumerate(lines.items()):
            # a name the font cannot draw (Chinese without a CJK font) is numbered instead
            label = str(name) if lang == "zh" or str(name).isascii() \
                else f"{text('scenario.in_scenario', lang)} {i + 1}"
            ax.plot(series.index, series.to_numpy(), marker="o", linewidth=2.0, label=label)
        ax.set_title(title_zh if lang == "zh" else title_en)
        ax.set_ylabel(unit_zh if lang == "zh" else unit_en)
        ax.set_xlabel(text("scenario.year", lang))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_ylim(bottom=0)
        ax.legend(loc="upper left", frameon=False)
        ax.grid(alpha=0.3)
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
    return buf.getvalue()
