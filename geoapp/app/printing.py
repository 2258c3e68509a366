""""Print sheet" in the app: the current view's settings → a PDF from :func:`make_sheet`.

:func:`sheet_scope` reads the scope from the filters (exactly one park, else one town, else
one district chosen → that scope; anything else → the whole city); :func:`sheet_pdf` writes
the sheet into a temporary file with the same code as ``geoapp sheet`` and returns its bytes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from geoapp.app.filtering import Filters
from geoapp.app.loading import AppData

PAPER_SIZES: tuple[str, ...] = ("A3", "A4")
"""Paper the app offers, the default first (landscape)."""


def sheet_scope(filters: Filters) -> str | None:
    """The sheet's scope from the filters.

    ``"park:BS-P01"``, ``"town:310113101"`` or ``"district:310113"`` when exactly one of that
    kind is selected (the most specific kind wins), else None (every plot).
    """
    for kind, chosen in (("park", filters.parks), ("town", filters.towns),
                         ("district", filters.districts)):
        if len(chosen) == 1:
            return f"{kind}:{chosen[0]}"
    return None


def sheet_file_name(scope: str | None, year: int, metric: str, size: str) -> str:
    """``sheet_2023_tax_per_mu_park-BS-P01_A3.pdf``."""
    where = (scope or "all").replace(":", "-")
    return f"sheet_{year}_{metric}_{where}_{size}.pdf"


def sheet_pdf(data: AppData, *, filters: Filters, metric: str, scheme: str = "quantiles",
              lang: str = "zh", size: str = "A3", orient: str = "landscape",
              legend=None) -> bytes:
    """
    The printable sheet of the current view as PDF bytes.

    Parameters
    ----------
    data
        The app's data (its year, plots and context layers).
    filters
        The sidebar's filters: the scope is :func:`sheet_scope`.
    metric, scheme, legend
        The colours of the map (``legend``: the app's :class:`~geoapp.app.symbology.Legend`,
        so the sheet's classes are the screen's).
    lang, size, orient
        ``"zh"``/``"en"``; ``"A3"``/``"A4"``; ``"landscape"``/``"portrait"``.

    Returns
    -------
    bytes
        The PDF (text searchable).
    """
    from geoapp.sheets import make_sheet, sheet_inputs
    from geoapp.store import open_workspace

    ws = open_workspace(data.path)
    inputs = sheet_inputs(data.layers, metadata=ws.metadata(), provenance=ws.provenance())
    with tempfile.TemporaryDirectory(prefix="geoapp-sheet-") as tmp:
        out = Path(tmp) / "sheet.pdf"
        make_sheet(data.plots, out=out, size=size, orient=orient, scope=sheet_scope(filters),
                   metric=metric, scheme=scheme, legend=legend, year=data.year, lang=lang,
                   **inputs)
        return out.read_bytes()
