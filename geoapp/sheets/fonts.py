"""The CJK font a sheet's Chinese text is set in, found on disk by file path.

Nothing is fetched at run time: the font comes from a Debian package installed beforehand
(``scripts/ensure_fonts.sh``: ``fonts-wqy-zenhei``, or ``fonts-noto-cjk`` /
``fonts-wqy-microhei`` when those are what the machine has). Matplotlib is told about the
file with :meth:`matplotlib.font_manager.FontManager.addfont`, so no font cache rebuild and
no fontconfig lookup decides what a planner's PDF looks like.
"""

from __future__ import annotations

import os
from pathlib import Path

CJK_FONT_PACKAGE = "fonts-wqy-zenhei"
"""The Debian package ``scripts/ensure_fonts.sh`` installs when no CJK font is present."""

CJK_FONT_FILES: tuple[str, ...] = (
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
"""Where Debian's CJK font packages put their files, in order of preference."""

FONT_ENV = "GEOAPP_CJK_FONT"
"""Environment variable naming a CJK font file to use instead (e.g. on a non-Debian host)."""


class FontMissingError(RuntimeError):
    """No CJK font file exists; the message names the package that provides one."""


def find_cjk_font(candidates: tuple[str, ...] = CJK_FONT_FILES) -> Path:
    """
    The first CJK font file that exists: ``$GEOAPP_CJK_FONT``, then ``candidates``.

    Raises
    ------
    FontMissingError
        Naming :data:`CJK_FONT_PACKAGE` and ``scripts/ensure_fonts.sh``.
    """
    override = os.environ.get(FONT_ENV)
    paths = ([override] if override else []) + list(candidates)
    for p in paths:
        if Path(p).is_file():
            return Path(p)
    raise FontMissingError(
        f"no CJK font for the sheet's Chinese text: looked for {paths}. Install Debian's "
        f"{CJK_FONT_PACKAGE} (bash scripts/ensure_fonts.sh, or apt-get install "
        f"{CJK_FONT_PACKAGE}), or set {FONT_ENV} to a .ttf/.ttc/.otf file with CJK glyphs"
    )


def cjk_font_name(path: Path | None = None) -> str:
    """
    Register the CJK font file with matplotlib and return its family name.

    Parameters
    ----------
    path
        A font file; default :func:`find_cjk_font`.
    """
    from matplotlib import font_manager

    path = path or find_cjk_font()
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()
