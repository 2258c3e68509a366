"""Load a workspace for the app: :class:`AppData`, the years it covers, and the plot table.

Two loads, cached separately by the app with ``st.cache_resource`` (the frames are big and
never mutated; ``st.cache_data`` would copy them on every rerun):

- :func:`load_layers` reads the layers once per :attr:`Versions.layers` (the layers' version
  tokens: storing results does not change it), with what the plots' geometry gives whatever
  the year (a point inside each plot, centroids in metres);
- :func:`load_app_data` adds one year's fresh results (stored ones read back, stale ones
  re-run, as ``geoapp analyze`` would), once per :attr:`Versions.key` and year, so a year
  change reads that year's stored results and nothing else.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from analysis.overlay import centroids_m, register_or_measured_mu
from geoapp import pipeline
from geoapp.results import StageResult
from layers.crs import STORE_CRS


@dataclass
class AppData:
    """Everything the app shows for one workspace and year (never mutated once built).

    Attributes
    ----------
    path
        Workspace file.
    year
        Evaluation year.
    years
        Years with enterprise figures.
    layers
        Canonical layers as read (``{name: frame}``).
    results
        ``{stage: result}`` (:mod:`geoapp.results`), the workspace's fresh stored results.
    errors
        ``{stage: message}`` of the stages that are missing or failed.
    plots
        One row per plot (WGS84): the evaluation's plot table (``area_mu``, overlays,
        ``industry``, sums, per-mu figures and growth, ``score``, ``grade``,
        ``low_efficiency``, ``reasons`` …) plus ``ledger_stage``/``ledger_mode`` from the
        reclamation stage and ``lon``/``lat`` (a point inside the plot), in a RangeIndex.
    ran
        The stages that were stale and computed for this load (the rest were read back).
    synthetic
        Whether the workspace says its data are synthetic.
    version
        The version it was loaded for (:attr:`Versions.key`, or the modification time): the
        app keys every cache built on this data with ``(path, version, year)``.
    """

    path: str
    year: int
    years: list[int]
    layers: dict[str, pd.DataFrame]
    results: dict[str, StageResult]
    errors: dict[str, str]
    plots: gpd.GeoDataFrame
    synthetic: bool = False
    ran: tuple[str, ...] = ()
    version: str = ""
    _tree: Any = field(default=None, repr=False)
    _centroids: Any = field(default=None, repr=False)

    @property
    def tree(self) -> shapely.STRtree:
        """Spatial index of the plot geometries (built on first use)."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.plots.geometry.array)
        return self._tree

    @property
    def centroids_xy(self) -> np.ndarray:
        """Plot centroids in metres (:func:`analysis.overlay.centroids_m`), by row.

        Computed on first use and kept: :func:`analysis.grid.aggregate_to_grid` takes them
        (``xy=``) instead of reprojecting every polygon on each view.
        """
        if self._centroids is None:
            self._centroids = centroids_m(self.plots)
        return self._centroids

    def table(self, stage: str, name: str) -> pd.DataFrame | None:
        """Return a stage's result table by attribute (None when the stage did not run)."""
        value = getattr(self.results.get(stage), name, None)
        return value if isinstance(value, pd.DataFrame) else None

    def layer(self, name: str) -> pd.DataFrame:
        """Return a workspace layer (an empty frame when absent)."""
        return self.layers.get(name, pd.DataFrame())


@dataclass(frozen=True)
class WorkspaceLayers:
    """A workspace's layers as read once per version, whatever the year (never mutated).

    Attributes
    ----------
    path
        Workspace file.
    years
        Years with enterprise figures.
    layers
        Canonical layers as read (``{name: frame}``).
    points
        One row per plot, indexed by ``plot_id``: ``lon``, ``lat`` (a point inside the plot,
        WGS84 degrees) and ``x_m``, ``y_m`` (the centroid in metres,
        :func:`analysis.overlay.centroids_m`), computed once instead of on every year.
    synthetic
        Whether the workspace says its data are synthetic.
    """

    path: str
    years: list[int]
    layers: dict[str, pd.DataFrame]
    points: pd.DataFrame
    synthetic: bool = False


def plot_points(plots: pd.DataFrame | None) -> pd.DataFrame:
    """``lon``, ``lat``, ``x_m``, ``y_m`` of every plot, indexed by ``plot_id`` (see above)."""
    cols = ["lon", "lat", "x_m", "y_m"]
    if not isinstance(plots, gpd.GeoDataFrame) or plots.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], dtype="string", name="plot_id"))
    plots = plots[plots.geometry.notna() & ~plots.geometry.is_empty]
    pts = shapely.point_on_surface(plots.geometry.array)
    xy = centroids_m(plots)
    out = pd.DataFrame({"lon": shapely.get_x(pts), "lat": shapely.get_y(pts),
                        "x_m": xy[:, 0], "y_m": xy[:, 1]},
                       index=pd.Index(plots["plot_id"].astype("string"), name="plot_id"))
    return out[~out.index.duplicated()]


def load_layers(path: str | Path) -> WorkspaceLayers:
    """Read a workspace's layers once (the app caches this per :attr:`Versions.layers`).

    A ``postgresql://`` workspace gives what its user's role may read.
    """
    from geoapp.store import open_workspace

    ws = open_workspace(path)
    ws.check()
    layers = ws.read_all()
    ents = layers.get("enterprises", pd.DataFrame())
    years = pd.to_numeric(ents.get("year", pd.Series(dtype="float64")), errors="coerce")
    return WorkspaceLayers(path=str(path), years=sorted(set(years.dropna().astype(int))),
                           layers=layers, points=plot_points(layers.get("plots")),
                           synthetic=bool(ws.metadata().get("synthetic")))


@dataclass(frozen=True)
class Versions:
    """What the app keys its caches on, for one workspace and year.

    Attributes
    ----------
    layers
        Changes whenever a layer changes (the layers' version tokens,
        :meth:`geoapp.workspace.Workspace.layer_versions`), not when results are stored.
    results
        Changes whenever the year's fresh results would differ: the fingerprints of its stages
        (:func:`geoapp.pipeline.plan`: code, year, as-of date, settings, layer versions).
        Storing another year's results leaves it as it is.
    stale
        The year's stages whose stored results are missing or out of date.
    """

    layers: str
    results: str
    stale: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """``"<layers>/<results>"``: the version part of the cache key of a year's data."""
        return f"{self.layers}/{self.results}"


def _token(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def versions(path: str | Path, year: int) -> Versions:
    """The :class:`Versions` of a workspace and year (cheap: no layer is read)."""
    from geoapp.store import open_workspace

    prints, fresh = pipeline.plan(path, year=year)
    return Versions(layers=_token(open_workspace(path).layer_versions()), results=_token(prints),
                    stale=tuple(name for name, ok in fresh.items() if not ok))


def layers_part(key: str) -> str:
    """The layers' version in :attr:`Versions.key`."""
    return str(key).partition("/")[0]


def workspace_mtime(path: str | Path) -> float:
    """Return the cache-key part that changes whenever the workspace is written.

    For a PostGIS workspace: a number derived from its layer versions and settings.
    """
    from geoapp.store import is_url, open_workspace

    if is_url(path):
        return open_workspace(path).change_token()
    p = Path(path)
    return p.stat().st_mtime if p.exists() else 0.0


def workspace_years(path: str | Path) -> list[int]:
    """Years with enterprise figures (:func:`geoapp.pipeline.workspace_years`).

    The app resolves the evaluation year with this before it loads anything, so the load is
    cached under the same year the legend and the density surface ask for.
    """
    return pipeline.workspace_years(path)


def resolve_year(years: list[int], chosen: int | None = None) -> int:
    """The evaluation year: ``chosen`` when the data have it, else the latest (else this year)."""
    if chosen is not None and int(chosen) in years:
        return int(chosen)
    return years[-1] if years else date.today().year


def load_app_data(path: str, mtime: float | str, year: int | None = None, *,
                  base: WorkspaceLayers | None = None) -> AppData:
    """Read a workspace and its fresh results: what the app shows.

    Parameters
    ----------
    path
        Workspace: GeoPackage file or ``postgresql://`` URL (whose user decides what is read).
    mtime
        A version of the workspace (:attr:`Versions.key`, or :func:`workspace_mtime`): part
        of the cache key only.
    year
        Evaluation year; None takes the latest year with enterprise figures
        (:func:`resolve_year`).
    base
        The workspace's layers when already read (:func:`load_layers`): then only the
        year's results are read.

    Returns
    -------
    AppData
        A stage that fails is recorded in :attr:`AppData.errors`, not raised: the app opens
        with what exists.
    """
    base = base or load_layers(path)
    year = resolve_year(base.years) if year is None else int(year)
    run = pipeline.analyse_workspace(path, year=year, collect_errors=True, layers=base.layers)
    plots = plot_table(base.layers, run.results, points=base.points)
    xy = plots[["x_m", "y_m"]].to_numpy(dtype="float64")
    plots = plots.drop(columns=["x_m", "y_m"])
    return AppData(path=str(path), year=int(year), years=list(base.years), layers=base.layers,
                   results=run.results, errors=run.errors, plots=plots,
                   synthetic=base.synthetic, ran=tuple(run.ran), version=str(mtime),
                   _centroids=xy)


def plot_table(layers: dict[str, pd.DataFrame], results: dict[str, StageResult], *,
               points: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """One row per plot with every attribute the map, filters and cards use.

    Every plot figure is the evaluation's (one owner per number); the ledger stage and mode
    are the reclamation stage's. When the evaluation failed, the plots still draw with their
    area in 亩 (:func:`analysis.overlay.register_or_measured_mu`) and no figures.

    Parameters
    ----------
    layers
        Workspace layers.
    results
        Stage results (may lack a stage that failed).
    points
        :attr:`WorkspaceLayers.points` when at hand: ``lon``/``lat`` are taken from it, and
        ``x_m``/``y_m`` (centroids in metres) are added, instead of computed again.

    Returns
    -------
    GeoDataFrame
        See :attr:`AppData.plots` (plus ``x_m``, ``y_m`` with ``points``).
    """
    evaluation = results.get("evaluation")
    if evaluation is not None:
        plots = evaluation.plots.copy()
    else:
        plots = layers.get("plots")
        if not isinstance(plots, gpd.GeoDataFrame) or plots.empty:
            return gpd.GeoDataFrame({"plot_id": pd.Series(dtype="string")},
                                    geometry=gpd.GeoSeries([], crs=STORE_CRS), crs=STORE_CRS)
        plots = plots.copy()
        plots["area_mu"] = register_or_measured_mu(plots).to_numpy()
    plots = plots[plots.geometry.notna() & ~plots.geometry.is_empty].reset_index(drop=True)
    plots["plot_id"] = plots["plot_id"].astype("string")
    for col, dtype in (("score", "float64"), ("grade", "string"), ("reasons", "string"),
                       ("industry", "string"), ("district_code", "string"),
                       ("town_code", "string"), ("park_id", "string"), ("zone_type", "string")):
        if col not in plots:
            plots[col] = pd.Series(pd.NA if dtype == "string" else np.nan,
                                   index=plots.index, dtype=dtype)
    if "low_efficiency" not in plots:
        plots["low_efficiency"] = False
    plots["low_efficiency"] = plots["low_efficiency"].fillna(False).astype(bool)
    reclamation = results.get("reclamation")
    ledger = reclamation.ledger_plots if reclamation is not None else pd.DataFrame()
    for col in ("stage", "mode"):
        known = (pd.Series(ledger[col].to_numpy(), index=ledger["plot_id"].astype(str))
                 if col in ledger and len(ledger) else pd.Series(dtype="string"))
        plots[f"ledger_{col}"] = known.reindex(plots["plot_id"].astype(str)).astype(
            "string").to_numpy()
    known = (points.reindex(plots["plot_id"].to_numpy()) if points is not None
             else pd.DataFrame(index=plots.index, columns=["lon"], dtype="float64"))
    missing = known["lon"].isna().to_numpy()
    if points is None or missing.any():  # a plot whose geometry is not the layer's
        pts = shapely.point_on_surface(plots.geometry.array[missing])
        known.loc[missing, "lon"] = shapely.get_x(pts)
        known.loc[missing, "lat"] = shapely.get_y(pts)
        if points is not None:
            xy = centroids_m(plots.geometry[missing])
            known.loc[missing, "x_m"], known.loc[missing, "y_m"] = xy[:, 0], xy[:, 1]
    for col in known.columns:
        plots[col] = known[col].to_numpy(dtype="float64")
    return gpd.GeoDataFrame(plots, geometry=plots.geometry.name, crs=STORE_CRS)
