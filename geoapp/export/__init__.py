"""Exports for planners: one path used by the CLI, ``geoapp analyze`` and the app.

- :func:`geojson_bytes` / :func:`write_geojson`: RFC 7946 GeoJSON (see :mod:`geoapp.geojson`).
- :func:`export_layer`: one layer or analysis table as GeoJSON, GeoPackage, Shapefile, CSV or
  XLSX, in WGS84 or GCJ-02, optionally filtered (``where``) and made public (``public``);
  coordinates and CSV/XLSX geometry are described in :mod:`~geoapp.export.formats`.
- :func:`xlsx_report`: the XLSX report with Chinese headers (园区排名, 低效用地清单, 盘活进度,
  综合评价), units in the headers; :func:`write_readme`: ``README.txt`` describing every file,
  column and unit of a folder (:mod:`~geoapp.export.report`).
- :func:`publicize`: the public-mode rule (:mod:`~geoapp.export.disclosure`).
- :mod:`~geoapp.export.sheets` and :mod:`~geoapp.export.xlsx`: how XLSX sheets are written.
"""

from geoapp.export.disclosure import (
    COUNT_COLUMNS,
    MIN_ENTERPRISES,
    PUBLIC_NOTE_ZH,
    is_confidential,
    public_summary,
    publicize,
)
from geoapp.export.formats import (
    FORMATS,
    SUFFIXES,
    export_layer,
    export_path_for,
    geojson_bytes,
    shapefile_field_names,
    write_geojson,
)
from geoapp.export.report import (
    NOT_COMPUTED,
    REPORT_SHEETS,
    about_rows,
    write_readme,
    xlsx_report,
)
from geoapp.geojson import COORDS

__all__ = [
    "COORDS",
    "COUNT_COLUMNS",
    "FORMATS",
    "MIN_ENTERPRISES",
    "NOT_COMPUTED",
    "PUBLIC_NOTE_ZH",
    "REPORT_SHEETS",
    "SUFFIXES",
    "about_rows",
    "export_layer",
    "export_path_for",
    "geojson_bytes",
    "is_confidential",
    "public_summary",
    "publicize",
    "shapefile_field_names",
    "write_geojson",
    "write_readme",
    "xlsx_report",
]
