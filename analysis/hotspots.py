"""Hot spots of per-mu yield: Getis-Ord Gi* and local Moran's I, computed by esda.

Plots are represented by their centroids in metres (:data:`layers.crs.WORK_CRS`): contiguity
breaks wherever a road separates two plots, so neighbours are defined by distance instead,
either a binary **distance band** (every plot within ``threshold_m``, libpysal
``DistanceBand``) or the **k nearest neighbours** (libpysal ``KNN``). Both statistics use
those weights row-standardised, as esda does by default; Gi* includes the plot itself (self
weight 1 before row standardisation, exactly as ``esda.G_Local(..., star=True)`` sets it on
binary weights).

Choices, documented once:

- **p-values are esda's permutation pseudo p-values** (``p_sim``, conditional randomisation
  with ``permutations`` draws and a fixed ``seed``) for both Gi* and local Moran, as exact
  float64 fractions ``(count + 1) / (permutations + 1)`` (esda hands them over as float32
  when it does not keep the simulations, which 50 000 plots × 999 draws would need). This is
  esda's current ("directed") convention, also GeoDa's: the share of permutations at least as
  extreme as the observed statistic in the direction it lies, so the smallest possible value
  is ``1 / (permutations + 1)``. A class at 99 % therefore needs at least 99 permutations.
- Gi* **z** is esda's analytical ``Zs``; its sign says hot (> 0) or cold (< 0). The hot/cold
  class uses ``p_sim``: ``hot_99`` at p ≤ 0.01, ``hot_95`` at p ≤ 0.05, ``hot_90`` at
  p ≤ 0.10 (``cold_*`` alike), else ``not_significant``.
- Local Moran: ``lisa_i`` is esda's ``Is``, ``lisa_z`` is standardised with esda's own
  expectation and variance under total randomisation (``(Is - EI) / sqrt(VI)``, Sokal 1998),
  ``lisa_class`` is the quadrant (``HH``, ``LH``, ``LL``, ``HL``) where ``p_sim`` ≤
  ``lisa_alpha`` (default 0.05), else ``ns``.
- Plots **without a value** (NaN) are left out of the weights and the statistics and get the
  class ``no_value``. With distance-band weights, plots with **no neighbour** within the
  threshold ("islands") are left out too (class ``island``) and the weights are rebuilt
  without them, so each statistic sees only plots that have neighbours. libpysal's island and
  disconnected-component warnings are switched off (``silence_warnings=True``) because islands
  are handled here. When fewer than three plots remain, or the values are all equal, no
  statistic is defined: NaN and ``not_significant`` / ``ns``.
- esda 2.9 warns (DeprecationWarning) that the default of its permutation test will change;
  ``G_Local`` and ``Moran_Local`` give no way to pass the ``alternative`` argument, so that one
  warning is filtered around the two calls, by message, and nothing else.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd

from analysis.overlay import centroids_m

LISA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
"""esda's quadrant codes (``Moran_Local.q``, ``geoda_quads=False``) and their labels."""

GI_LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
"""p-value thresholds of the hot/cold classes, strictest first."""

_ESDA_ALTERNATIVE_WARNING = "The alternative hypothesis for conditional randomization"


@dataclass(frozen=True)
class HotspotSettings:
    """
    Policy numbers of the hot-spot analysis (the ``[hotspots]`` section of the config).

    Attributes
    ----------
    weights
        ``"knn"`` (k nearest neighbours, the default: it adapts to dense parks and sparse
        outskirts alike, and keeps the permutation cost at n × k) or ``"distance"``
        (binary distance band of ``threshold_m``).
    threshold_m
        Distance band in metres (``weights="distance"``).
    k
        Number of neighbours (``weights="knn"``); capped at n - 1.
    permutations
        Conditional permutations for the pseudo p-values (at least 99).
    seed
        Seed of the permutations, for reproducible p-values.
    lisa_alpha
        Significance level of the LISA quadrant classes.
    """

    weights: str = "knn"
    threshold_m: float = 1000.0
    k: int = 8
    permutations: int = 999
    seed: int = 12345
    lisa_alpha: float = 0.05

    def __post_init__(self):
        problems = []
        if self.weights not in ("distance", "knn"):
            problems.append(f"weights must be 'distance' or 'knn', got {self.weights!r}")
        if not self.threshold_m > 0:
            problems.append(f"threshold_m must be positive, got {self.threshold_m}")
        if int(self.k) != self.k or self.k < 1:
            problems.append(f"k must be a positive integer, got {self.k}")
        if int(self.permutations) != self.permutations or self.permutations < 99:
            problems.append(
                f"permutations must be an integer of at least 99 (the 99 % class needs a "
                f"p-value of 0.01), got {self.permutations}"
            )
        if not 0 < self.lisa_alpha < 1:
            problems.append(f"lisa_alpha must be between 0 and 1, got {self.lisa_alpha}")
        if problems:
            raise ValueError("hotspot settings: " + "; ".join(problems))


def spatial_weights(
    xy: np.ndarray,
    *,
    settings: HotspotSettings = HotspotSettings(),
) -> libpysal.weights.W:
    """
    Binary spatial weights of points in metres, as libpysal builds them.

    Parameters
    ----------
    xy
        ``(n, 2)`` coordinates in metres (no NaN).
    settings
        ``weights``, ``threshold_m`` and ``k``.

    Returns
    -------
    libpysal.weights.W
        Binary weights (transform ``"B"``), ids ``0..n-1``; islands possible with a distance
        band (see ``W.islands``).
    """
    xy = np.asarray(xy, dtype="float64")
    if settings.weights == "knn":
        k = int(min(settings.k, len(xy) - 1))
        w = libpysal.weights.KNN.from_array(xy, k=k, silence_warnings=True)
    else:
        w = libpysal.weights.DistanceBand.from_array(
            xy, threshold=settings.threshold_m, binary=True, silence_warnings=True
        )
    w.transform = "B"
    return w


def _with_self(w: libpysal.weights.W) -> libpysal.weights.W:
    """``w`` with ones on the diagonal (what esda's Gi* does to binary weights), quietly."""
    filled = libpysal.weights.fill_diagonal(w, 1.0, wsp=True)
    star = libpysal.weights.W.from_WSP(filled, silence_warnings=True)
    star.transform = "B"
    return star


def gi_class(z: pd.Series, p: pd.Series) -> pd.Series:
    """
    Hot/cold class at 99/95/90 % from Gi* z-scores and p-values.

    Returns
    -------
    Series
        ``gi_class``: ``hot_99``, ``hot_95``, ``hot_90``, ``cold_99``, ``cold_95``,
        ``cold_90`` or ``not_significant`` (also where z or p is NaN), indexed like ``z``.
    """
    out = pd.Series("not_significant", index=z.index, name="gi_class", dtype="string")
    for threshold, level in reversed(GI_LEVELS):
        sig = (p <= threshold).fillna(False)
        out = out.mask(sig & (z > 0).fillna(False), f"hot_{level}")
        out = out.mask(sig & (z < 0).fillna(False), f"cold_{level}")
    return out


def lisa_class(quadrant: pd.Series, p: pd.Series, *, alpha: float = 0.05) -> pd.Series:
    """
    LISA cluster class: the quadrant where ``p <= alpha``, else ``ns``.

    Parameters
    ----------
    quadrant
        Quadrant labels ``HH``, ``LH``, ``LL``, ``HL`` (see :data:`LISA_QUADRANTS`); missing
        where there is no statistic.
    p
        Pseudo p-values, indexed like ``quadrant``.
    alpha
        Significance level.

    Returns
    -------
    Series
        ``lisa_class`` (``HH``, ``LH``, ``LL``, ``HL`` or ``ns``), indexed like ``quadrant``.
    """
    labels = quadrant.astype("string")
    sig = (p <= alpha).fillna(False) & labels.notna()
    return labels.where(sig, "ns").rename("lisa_class")


def hot_spots(
    plots: gpd.GeoDataFrame,
    values: pd.Series,
    *,
    settings: HotspotSettings = HotspotSettings(),
    xy: np.ndarray | None = None,
) -> pd.DataFrame:
    """
    Getis-Ord Gi* and local Moran's I of a per-plot value (e.g. tax per mu), with classes.

    Parameters
    ----------
    plots
        Plot polygons with a CRS; centroids are taken in :data:`layers.crs.WORK_CRS`.
    values
        The value per plot, indexed like ``plots`` (万元/亩 for per-mu yields); NaN = no value.
    settings
        Weights (distance band or KNN), permutations, seed, LISA significance level.
    xy
        The plots' centroids in metres (:func:`analysis.overlay.centroids_m`), when the caller
        has them already (two values on the same plots need them once); default: computed.

    Returns
    -------
    DataFrame
        Indexed like ``plots``: ``value``, ``n_neighbours``, ``gi`` (Gi*), ``gi_z``, ``gi_p``,
        ``gi_class``, ``lisa_i``, ``lisa_z``, ``lisa_p``, ``lisa_q`` (quadrant label whatever
        the significance) and ``lisa_class``. See the module docstring for the choices.
    """
    if not values.index.equals(plots.index):
        raise ValueError("values must be indexed like plots")
    value = pd.to_numeric(values, errors="raise").astype("float64")
    if xy is None:
        xy = centroids_m(plots)
    elif np.shape(xy) != (len(plots), 2):
        raise ValueError("xy must hold one (x, y) row per plot")
    out = pd.DataFrame(
        {
            "value": value,
            "n_neighbours": pd.Series(pd.NA, index=plots.index, dtype="Int64"),
            "gi": np.nan,
            "gi_z": np.nan,
            "gi_p": np.nan,
            "lisa_i": np.nan,
            "lisa_z": np.nan,
            "lisa_p": np.nan,
            "lisa_q": pd.Series(pd.NA, index=plots.index, dtype="string"),
        },
        index=plots.index,
    )
    status = pd.Series("ok", index=plots.index, dtype="string")
    usable = value.notna().to_numpy() & ~np.isnan(xy).any(axis=1)
    status[~usable] = "no_value"
    pos = np.flatnonzero(usable)

    if len(pos) >= 3:
        w = spatial_weights(xy[pos], settings=settings)
        if w.islands:
            islands = np.asarray(sorted(w.islands), dtype=int)
            status.iloc[pos[islands]] = "island"
            pos = np.delete(pos, islands)
            w = spatial_weights(xy[pos], settings=settings) if len(pos) >= 3 else None
    else:
        w = None

    y = value.to_numpy()[pos]
    if w is not None and np.ptp(y) > 0:
        stats = _local_statistics(y, w, settings=settings)
        rows = plots.index[pos]
        out.loc[rows, "n_neighbours"] = np.diff(w.sparse.indptr).astype("int64")
        for column, data in stats.items():
            out.loc[rows, column] = data

    out["gi_class"] = gi_class(out["gi_z"], out["gi_p"])
    out["lisa_class"] = lisa_class(out["lisa_q"], out["lisa_p"], alpha=settings.lisa_alpha)
    excluded = status != "ok"
    out["gi_class"] = out["gi_class"].where(~excluded, status)
    out["lisa_class"] = out["lisa_class"].where(~excluded, status)
    columns = [
        "value", "n_neighbours", "gi", "gi_z", "gi_p", "gi_class",
        "lisa_i", "lisa_z", "lisa_p", "lisa_q", "lisa_class",
    ]
    return out[columns]


def _exact_p(p_sim: np.ndarray, permutations: int) -> np.ndarray:
    """
    Return esda's pseudo p-values as exact float64 ``(count + 1) / (permutations + 1)``.

    Without kept simulations esda returns them as float32 (0.05 becomes 0.0500000007), which
    would put a plot at exactly p = 0.05 outside the 95 % class. The count is an integer, so
    rounding recovers it exactly; the result is what esda itself returns when it keeps the
    simulations.
    """
    draws = permutations + 1.0
    return np.round(np.asarray(p_sim, dtype="float64") * draws) / draws


def _local_statistics(
    y: np.ndarray, w: libpysal.weights.W, *, settings: HotspotSettings
) -> dict[str, np.ndarray]:
    """Run esda's G_Local (star) and Moran_Local on ``y`` with binary weights ``w``."""
    star = _with_self(w)
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=_ESDA_ALTERNATIVE_WARNING, category=DeprecationWarning
        )
        gi = esda.G_Local(
            y, star, transform="R", star=True, permutations=settings.permutations,
            seed=settings.seed, n_jobs=1, keep_simulations=False,
        )
        lisa = esda.Moran_Local(
            y, w, transformation="r", permutations=settings.permutations,
            seed=settings.seed, n_jobs=1, keep_simulations=False,
        )
    with np.errstate(divide="ignore", invalid="ignore"):
        lisa_z = (lisa.Is - lisa.EI) / np.sqrt(lisa.VI)
    return {
        "gi": np.asarray(gi.Gs, dtype="float64"),
        "gi_z": np.asarray(gi.Zs, dtype="float64"),
        "gi_p": _exact_p(gi.p_sim, settings.permutations),
        "lisa_i": np.asarray(lisa.Is, dtype="float64"),
        "lisa_z": np.where(np.isfinite(lisa_z), lisa_z, np.nan),
        "lisa_p": _exact_p(lisa.p_sim, settings.permutations),
        "lisa_q": np.array([LISA_QUADRANTS[int(q)] for q in lisa.q], dtype=object),
    }
