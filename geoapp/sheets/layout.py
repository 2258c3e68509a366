"""Page geometry of a map sheet and the furniture drawn on it: frame, scale, scale bar, arrow.

Everything here is paper arithmetic in millimetres and metres, testable without drawing:

- :func:`page_size_mm` and :func:`frames` cut a page (A4/A3, portrait/landscape) into a title
  band, a map frame and a side (or bottom) panel for the legend and notes.
- :func:`map_scale` picks a round scale (1:25 000, 1:50 000 …) at which an extent fits the map
  frame, and :func:`map_limits` the axes limits (metres, projected CRS) that give exactly that
  scale, so one paper millimetre is the same number of metres in x and y.
- :func:`scale_bar_length` picks a round bar length (1, 2 or 5 × 10ⁿ m).
- :func:`draw_scale_bar`, :func:`draw_north_arrow` and :func:`draw_legend` draw on matplotlib
  axes; the scale bar is drawn in data coordinates, so its printed length *is* its label at
  the map's scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

PAGES_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
"""ISO 216 page sizes, portrait (width, height) in millimetres."""

ORIENTS: tuple[str, ...] = ("landscape", "portrait")

NICE_SCALE_STEPS: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.5)
"""Mantissas of the map scales a sheet is printed at (1:10 000, 1:12 500, 1:15 000 … 1:75 000)."""

NICE_LENGTH_STEPS: tuple[float, ...] = (1.0, 2.0, 5.0)
"""Mantissas of scale-bar lengths in metres (100, 200, 500, 1000 … m)."""


def page_size_mm(size: str = "A3", orient: str = "landscape") -> tuple[float, float]:
    """
    Width and height of a page in millimetres.

    Raises
    ------
    ValueError
        For a size other than A4/A3 or an orientation other than landscape/portrait.
    """
    if size not in PAGES_MM:
        raise ValueError(f"size {size!r}: expected one of {sorted(PAGES_MM)}")
    if orient not in ORIENTS:
        raise ValueError(f"orient {orient!r}: expected one of {list(ORIENTS)}")
    w, h = PAGES_MM[size]
    return (h, w) if orient == "landscape" else (w, h)


@dataclass(frozen=True)
class Box:
    """A rectangle on the page in millimetres from the bottom-left corner."""

    x: float
    y: float
    w: float
    h: float

    def fraction(self, page: tuple[float, float]) -> tuple[float, float, float, float]:
        """The rectangle as figure fractions ``(left, bottom, width, height)``."""
        pw, ph = page
        return (self.x / pw, self.y / ph, self.w / pw, self.h / ph)


@dataclass(frozen=True)
class Frames:
    """Where the parts of a sheet go (millimetres).

    Attributes
    ----------
    page
        Page (width, height).
    title
        Title band across the top.
    map
        The map frame.
    legend, notes
        Legend and notes (year, CRS, sources…): stacked in a side panel on a landscape page,
        side by side under the map on a portrait page.
    font_scale
        Text size relative to an A3 sheet (A4 is 1/√2).
    """

    page: tuple[float, float]
    title: Box
    map: Box
    legend: Box
    notes: Box
    font_scale: float


def frames(size: str = "A3", orient: str = "landscape") -> Frames:
    """
    Cut a page into title band, map frame, legend and notes.

    Margins, gaps and text scale with the page (an A4 sheet is an A3 sheet shrunk by 1/√2).
    """
    pw, ph = page_size_mm(size, orient)
    k = min(pw, ph) / PAGES_MM["A3"][0]
    margin, gap, title_h = 10.0 * k, 5.0 * k, 22.0 * k
    top = ph - margin - title_h
    title = Box(margin, top, pw - 2 * margin, title_h)
    if orient == "landscape":
        panel_w = 0.26 * (pw - 2 * margin)
        map_box = Box(margin, margin, pw - 2 * margin - panel_w - gap, top - gap - margin)
        px = map_box.x + map_box.w + gap
        legend_h = 0.55 * map_box.h
        legend = Box(px, margin + map_box.h - legend_h, panel_w, legend_h)
        notes = Box(px, margin, panel_w, map_box.h - legend_h - gap)
    else:
        panel_h = 0.24 * (top - gap - margin)
        map_box = Box(margin, margin + panel_h + gap, pw - 2 * margin,
                      top - gap - margin - panel_h - gap)
        half = (map_box.w - gap) / 2
        legend = Box(margin, margin, half, panel_h)
        notes = Box(margin + half + gap, margin, half, panel_h)
    return Frames(page=(pw, ph), title=title, map=map_box, legend=legend, notes=notes,
                  font_scale=k)


def _nice_ceil(value: float, steps: Sequence[float]) -> float:
    """The smallest ``step × 10ⁿ`` at least ``value``."""
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"expected a positive finite number, got {value!r}")
    exp = math.floor(math.log10(value))
    for e in (exp - 1, exp, exp + 1):
        for s in steps:
            candidate = s * 10.0**e
            if candidate >= value * (1 - 1e-12):
                return candidate
    return steps[0] * 10.0 ** (exp + 2)  # pragma: no cover - unreachable with steps ≤ 10


def _nice_floor(value: float, steps: Sequence[float]) -> float:
    """The largest ``step × 10ⁿ`` at most ``value``."""
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"expected a positive finite number, got {value!r}")
    exp = math.floor(math.log10(value))
    best = steps[0] * 10.0 ** (exp - 1)
    for e in (exp - 1, exp):
        for s in steps:
            candidate = s * 10.0**e
            if candidate <= value * (1 + 1e-12):
                best = max(best, candidate)
    return best


def map_scale(extent_m: tuple[float, float, float, float], frame: Box, *,
              margin: float = 0.04) -> float:
    """
    The round scale denominator at which an extent fits a map frame.

    Parameters
    ----------
    extent_m
        ``(minx, miny, maxx, maxy)`` in metres of a projected CRS.
    frame
        The map frame (millimetres).
    margin
        Extra room around the extent, as a fraction of its size on each side.

    Returns
    -------
    float
        ``N`` of the scale 1:N, one of :data:`NICE_SCALE_STEPS` × 10ⁿ (at least 1:1 000).
    """
    minx, miny, maxx, maxy = extent_m
    dx = max(maxx - minx, 1.0) * (1 + 2 * margin)
    dy = max(maxy - miny, 1.0) * (1 + 2 * margin)
    needed = max(dx / (frame.w / 1000.0), dy / (frame.h / 1000.0), 1000.0)
    return _nice_ceil(needed, NICE_SCALE_STEPS)


def map_limits(extent_m: tuple[float, float, float, float], frame: Box,
               scale: float) -> tuple[float, float, float, float]:
    """
    Axes limits ``(xmin, xmax, ymin, ymax)`` in metres centred on an extent at scale 1:``scale``.

    The limits span exactly ``frame.w × scale`` by ``frame.h × scale`` (frame in mm), so the
    map's scale is the same in x and y and equals the printed one.
    """
    cx = (extent_m[0] + extent_m[2]) / 2
    cy = (extent_m[1] + extent_m[3]) / 2
    half_w = frame.w / 1000.0 * scale / 2
    half_h = frame.h / 1000.0 * scale / 2
    return (cx - half_w, cx + half_w, cy - half_h, cy + half_h)


def scale_bar_length(frame_width_mm: float, scale: float, *, share: float = 0.2) -> float:
    """
    A round scale-bar length in metres, at most ``share`` of the frame's width on paper.

    Returns
    -------
    float
        1, 2 or 5 × 10ⁿ metres.
    """
    return _nice_floor(frame_width_mm / 1000.0 * scale * share, NICE_LENGTH_STEPS)


def paper_mm(length_m: float, scale: float) -> float:
    """Printed length in millimetres of ``length_m`` metres at 1:``scale``."""
    return length_m / scale * 1000.0


def format_scale(scale: float) -> str:
    """``"1:50,000"``."""
    return f"1:{scale:,.0f}"


def format_metres(value: float) -> str:
    """A round number of metres without a trailing ``.0`` (``500``, ``2500``, ``12.5``)."""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


# -- drawing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleBar:
    """A drawn scale bar: its length in metres and where it starts (data coordinates)."""

    length_m: float
    x0: float
    y0: float
    height: float
    labels: tuple[str, ...]


def draw_scale_bar(ax, *, length_m: float, scale: float, fontsize: float,
                   segments: int = 4, unit: str = "m") -> ScaleBar:
    """
    Draw an alternating black/white scale bar in the lower left of a map axes.

    The bar is drawn in data coordinates (metres), so on paper it is exactly ``length_m /
    scale`` long. Labels: ``0``, the half length and the length, then ``unit``.
    """
    from matplotlib.patches import Rectangle

    xmin = ax.get_xlim()[0]
    ymin = ax.get_ylim()[0]
    mm = scale / 1000.0  # metres per paper millimetre
    x0, y0 = xmin + 8 * mm, ymin + 8 * mm
    height = 1.6 * mm
    pad = 3 * mm
    ax.add_patch(Rectangle((x0 - pad, y0 - pad), length_m + 2 * pad + 10 * mm,
                           height + 2 * pad + fontsize * 0.5 * mm, facecolor="white",
                           edgecolor="none", alpha=0.85, zorder=20))
    seg = length_m / segments
    for i in range(segments):
        ax.add_patch(Rectangle((x0 + i * seg, y0), seg, height, linewidth=0.5,
                               facecolor="black" if i % 2 == 0 else "white",
                               edgecolor="black", zorder=21))
    labels = ("0", format_metres(length_m / 2), format_metres(length_m))
    for x, text in zip((x0, x0 + length_m / 2, x0 + length_m), labels, strict=True):
        ax.text(x, y0 + height + 0.8 * mm, text, ha="center", va="bottom", fontsize=fontsize,
                zorder=22)
    ax.text(x0 + length_m + 3.0 * mm, y0 + height / 2, unit, ha="left", va="center",
            fontsize=fontsize, zorder=22)
    return ScaleBar(length_m=length_m, x0=x0, y0=y0, height=height, labels=labels)


def draw_north_arrow(ax, *, label: str = "N", fontsize: float = 10.0,
                     size: float = 0.06) -> None:
    """
    Draw a north arrow in the top right of a map axes (grid north of the projected CRS).

    ``size`` is the arrow's height as a fraction of the axes height.
    """
    from matplotlib.patches import Polygon

    x, top = 0.95, 0.96
    h = size
    w = h * 0.35 * ax.bbox.height / ax.bbox.width
    left = Polygon([(x, top - 0.15 * h), (x - w, top - h), (x, top - 0.8 * h)],
                   closed=True, transform=ax.transAxes, facecolor="black", edgecolor="black",
                   linewidth=0.6, zorder=22)
    right = Polygon([(x, top - 0.15 * h), (x + w, top - h), (x, top - 0.8 * h)],
                    closed=True, transform=ax.transAxes, facecolor="white", edgecolor="black",
                    linewidth=0.6, zorder=22)
    ax.add_patch(left)
    ax.add_patch(right)
    ax.text(x, top - h - 0.01, label, transform=ax.transAxes, ha="center", va="top",
            fontsize=fontsize, zorder=22)


@dataclass(frozen=True)
class Swatch:
    """One legend entry: a filled box, an outline or a line."""

    label: str
    face: str = "none"
    edge: str = "none"
    linewidth: float = 0.0
    linestyle: str = "-"
    alpha: float | None = None


def draw_legend(ax, *, title: str, swatches: Sequence[Swatch], fontsize: float,
                width_mm: float, height_mm: float) -> int:
    """
    Draw a legend on a panel axes whose data coordinates are millimetres (y up).

    Returns
    -------
    int
        How many swatches fitted (the rest are dropped rather than drawn off the panel).
    """
    from matplotlib.patches import Rectangle

    pt = MM_PER_INCH / PT_PER_INCH  # mm per point
    line = fontsize * pt * 1.9
    y = height_mm - fontsize * pt * 1.4
    ax.text(0, y, title, ha="left", va="center", fontsize=fontsize * 1.15)
    y -= line * 1.3
    box_w, box_h = fontsize * pt * 2.2, fontsize * pt * 1.2
    drawn = 0
    for sw in swatches:
        if y < box_h:
            break
        ax.add_patch(Rectangle((0, y - box_h / 2), box_w, box_h, facecolor=sw.face,
                               edgecolor=sw.edge, linewidth=sw.linewidth,
                               linestyle=sw.linestyle, alpha=sw.alpha))
        ax.text(box_w + 2.5, y, sw.label, ha="left", va="center", fontsize=fontsize)
        y -= line
        drawn += 1
    return drawn


def text_width_mm(text: str, fontsize: float) -> float:
    """Rough printed width of ``text``: CJK characters 1 em, others 0.6 em."""
    em = fontsize * MM_PER_INCH / PT_PER_INCH
    return sum(em if ord(c) > 0x2E80 else 0.6 * em for c in text)


def wrap(text: str, width_mm: float, fontsize: float) -> list[str]:
    """Break ``text`` into lines no wider than ``width_mm`` (at spaces when it can)."""
    lines: list[str] = []
    current = ""
    for word in _tokens(text):
        trial = current + word
        if current and text_width_mm(trial.rstrip(), fontsize) > width_mm:
            lines.append(current.rstrip())
            current = word.lstrip()
        else:
            current = trial
    if current.strip():
        lines.append(current.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    """Words with their trailing space; each CJK character is a word of its own."""
    out: list[str] = []
    buf = ""
    for c in text:
        if ord(c) > 0x2E80:
            if buf:
                out.append(buf)
                buf = ""
            out.append(c)
        else:
            buf += c
            if c == " ":
                out.append(buf)
                buf = ""
    if buf:
        out.append(buf)
    return out
