"""Hot spots of per-mu yield: Getis-Ord Gi* and local Moran's I, computed by esda.

Plots are represented by their centroids in metres (:data:`layers.crs.WORK_CRS`): contiguity
breaks wherever a road separates two plots, so neighbours are defined by distance instead,
either a binary **distance band** (every plot within ``threshold_m``, libpysal
``Graph.build_distance_band``) or the **k nearest neighbours** (``Graph.build_knn``). Both
statistics use those weights row-standardised, as esda does by default; Gi* includes the
plot itself (self weight 1 before row standardisation, exactly as
``esda.G_Local(..., star=True)`` sets it on binary weights).

Choices, documented once:

- **p-values are esda's permutation pseudo p-values** (``p_sim``, conditional randomisation
  with ``permutations`` draws and a fixed ``seed``) for both Gi* and local Moran, as exact
  float64 fractions ``(count + 1) / (permutations + 1)``. This is esda's current
  ("directed") convention, also GeoDa's: the share of permutations at least as extreme as the
  observed statistic in the direction it lies, so the smallest possible value is
  ``1 / (permutations + 1)``. A class at 99 % therefore needs at least 99 permutations.
- **The permutations run here, vectorised** (:func:`conditional_p`), on esda's own draws
  (``esda.crand.vec_permutations`` with the same seed) and esda's own arithmetic for each
  random statistic, so the p-values are esda's, value for value (the tests compare them with
  ``G_Local``/``Moran_Local`` run directly, ties included). esda computes the statistics,
  z-scores and moments; its conditional randomisation is a Python loop over plots unless
  numba is installed (about 75 µs a plot: 15 s for the four runs at 50 000 plots), and numba
  would compile for about a minute in every fresh process. Here the loop runs over blocks of plots
  with the same number of neighbours, in threads (numpy releases the GIL). Each plot's
  random lags are one matrix-vector product, the one esda computes, so that a random draw
  that ties the observed statistic ties it here too.
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
  without them, so each statistic sees only plots that have neighbours (libpysal's
  ``Graph`` does not warn about islands or disconnected components: they are handled here).
  When fewer than three plots remain, or the values are all equal, no
  statistic is defined: NaN and ``not_significant`` / ``ns``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.overlay import centroids_m

if TYPE_CHECKING:  # esda and libpysal are imported where used: 1 s that most runs never need
    from libpysal.graph import Graph

LISA_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
"""esda's quadrant codes (``Moran_Local.q``, ``geoda_quads=False``) and their labels."""

GI_LEVELS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
"""p-value thresholds of the hot/cold classes, strictest first."""

BLOCK_DRAWS = 1 << 20
"""Drawn values per block of :func:`conditional_p` (8 MB): 131 plots of 8 neighbours × 999
draws, or 10 plots of 100 neighbours."""


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
) -> Graph:
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
    libpysal.graph.Graph
        Binary weights, ids ``0..n-1``; isolates (islands) possible with a distance band
        (``Graph.isolates``). libpysal's array-based ``Graph``, not the dict-based ``W``: the
        same neighbours and, through esda, the same statistics bit for bit, forty times
        faster (esda's ``G_Local`` and ``Moran_Local`` spend 3 s of 3.2 s at 50 000 plots in
        ``W``'s Python dictionaries) and a fraction of the memory.
    """
    from libpysal.graph import Graph

    xy = np.asarray(xy, dtype="float64")
    if settings.weights == "knn":
        k = int(min(settings.k, len(xy) - 1))
        return Graph.build_knn(xy, k=k)
    return Graph.build_distance_band(xy, threshold=settings.threshold_m, binary=True)


def _with_self(w: Graph) -> Graph:
    """``w`` with ones on the diagonal (what esda's Gi* does to binary weights)."""
    return w.assign_self_weight(1.0)


_LAST_WEIGHTS: dict[tuple, Graph] = {}


def _weights(xy: np.ndarray, settings: HotspotSettings) -> Graph:
    """:func:`spatial_weights`, remembered for the last points.

    The hot spots of two values on the same plots (tax and output per mu) build their
    neighbours once.
    """
    key = (settings.weights, settings.threshold_m, settings.k, xy.shape,
           hashlib.blake2b(np.ascontiguousarray(xy).tobytes(), digest_size=16).digest())
    if key not in _LAST_WEIGHTS:
        _LAST_WEIGHTS.clear()
        _LAST_STAR.clear()
        _LAST_WEIGHTS[key] = spatial_weights(xy, settings=settings)
    return _LAST_WEIGHTS[key]


_LAST_STAR: list[tuple[Graph, Graph]] = []


def _star_of(w: Graph) -> Graph:
    """:func:`_with_self` of ``w``, made once for the weights :func:`_weights` remembers."""
    if not _LAST_STAR or _LAST_STAR[0][0] is not w:
        _LAST_STAR[:] = [(w, _with_self(w))]
    return _LAST_STAR[0][1]


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
    p_values: Callable[..., np.ndarray] | None = None,
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
    p_values
        The pseudo p-value function, called as :func:`conditional_p` (the default; a cluster engine
        passes one that runs :func:`block_p_values` on its workers: the same numbers).

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
        w = _weights(xy[pos], settings)
        if len(w.isolates):
            islands = np.asarray(sorted(w.isolates), dtype=int)
            status.iloc[pos[islands]] = "island"
            pos = np.delete(pos, islands)
            w = _weights(xy[pos], settings) if len(pos) >= 3 else None
    else:
        w = None

    y = value.to_numpy()[pos]
    if w is not None and np.ptp(y) > 0:
        stats = _local_statistics(y, w, settings=settings, p_values=p_values)
        rows = plots.index[pos]
        out.loc[rows, "n_neighbours"] = w.cardinalities.to_numpy().astype("int64")
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


def gi_star_draws(zi: np.ndarray, lag: np.ndarray, self_weight: np.ndarray,
                  scaling: float) -> np.ndarray:
    """Gi* of random draws, as esda's ``_g_local_star_crand`` computes it.

    ``zi`` the plot's own value, ``lag`` the weighted sum of the drawn neighbours' values,
    ``self_weight`` the plot's weight on itself, ``scaling`` the sum of all values.
    """
    return (lag + self_weight * zi) / scaling


def moran_draws(zi: np.ndarray, lag: np.ndarray, self_weight: np.ndarray,
                scaling: float) -> np.ndarray:
    """Local Moran's I of random draws, as esda's ``_moran_local_crand`` computes it.

    ``zi`` and ``lag`` in standardised values, ``scaling`` = (n − 1) / Σ z².
    """
    return zi * (lag + self_weight * zi) * scaling


@lru_cache(maxsize=2)
def _draws(k: int, n: int, permutations: int, seed: int) -> np.ndarray:
    """Draw neighbour ids as esda does, once for Gi* and local Moran (the same k and n).

    ``vec_permutations`` draws each row from a full shuffle of n − 1 ids: 0.4 s a call at
    50 000 plots. The array is returned read-only, as it is shared.
    """
    from esda.crand import vec_permutations

    ids = vec_permutations(k, n, permutations, seed)
    ids.flags.writeable = False
    return ids


@dataclass(frozen=True, eq=False)
class PermutationInputs:
    """
    What the pseudo p-value of any plot needs: the same for every block of plots.

    Built once by :func:`permutation_inputs`; a block of plots is then independent of every
    other (:func:`block_p_values`), so blocks may run in threads or on other machines and
    give the same p-values. Every array is global (all plots): the draws pick neighbours
    among *all* other plots, and the statistic is scaled by sums over all plots.

    Attributes
    ----------
    z
        The values the statistic is computed on, one per plot.
    ids
        esda's draws of neighbour ids, ``(permutations, k)``, ids in ``0..n-2``.
    indptr, data
        The weights without the diagonal, CSR row pointers and values.
    cardinality
        Neighbours per plot.
    self_weight
        Each plot's weight on itself.
    observed
        The observed statistic per plot.
    draws
        :func:`gi_star_draws` or :func:`moran_draws`.
    scaling
        The statistic's scaling constant.
    permutations
        Number of draws.
    """

    z: np.ndarray
    ids: np.ndarray
    indptr: np.ndarray
    data: np.ndarray
    cardinality: np.ndarray
    self_weight: np.ndarray
    observed: np.ndarray
    draws: Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray]
    scaling: float
    permutations: int


def permutation_inputs(
    z: np.ndarray,
    w: Graph,
    observed: np.ndarray,
    draws: Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray],
    *,
    scaling: float,
    permutations: int,
    seed: int,
) -> PermutationInputs:
    """
    Gather what :func:`block_p_values` needs (see :func:`conditional_p` for the parameters).

    Returns
    -------
    PermutationInputs
    """
    z = np.asarray(z, dtype="float64")
    adj = w.sparse.tocsr(copy=True)
    self_weight = adj.diagonal().astype("float64")
    adj.setdiag(0)
    adj.eliminate_zeros()
    cardinality = np.diff(adj.indptr)
    k = max(int(cardinality.max()), 1)
    return PermutationInputs(
        z=z, ids=_draws(k, len(z), permutations, seed), indptr=adj.indptr, data=adj.data,
        cardinality=cardinality, self_weight=self_weight,
        observed=np.asarray(observed, dtype="float64"), draws=draws, scaling=float(scaling),
        permutations=int(permutations),
    )


def permutation_blocks(inputs: PermutationInputs) -> list[np.ndarray]:
    """
    Plots grouped in blocks of one cardinality, each about :data:`BLOCK_DRAWS` draws.

    Returns
    -------
    list of ndarray
        Plot positions per block; together every plot once.
    """
    cardinality = inputs.cardinality
    order = np.argsort(cardinality, kind="stable")
    edges = np.flatnonzero(np.diff(cardinality[order])) + 1
    blocks = []
    for part in np.split(order, edges):
        size = max(BLOCK_DRAWS // (inputs.permutations * max(int(cardinality[part[0]]), 1)), 1)
        blocks += [part[start:start + size] for start in range(0, len(part), size)]
    return blocks


def block_p_values(inputs: PermutationInputs, plots: np.ndarray) -> np.ndarray:
    """
    Pseudo p-values of a block of plots of one cardinality.

    Parameters
    ----------
    inputs
        From :func:`permutation_inputs`.
    plots
        Plot positions (one block of :func:`permutation_blocks`).

    Returns
    -------
    ndarray
        float64 p-values, in the order of ``plots``.
    """
    z, ids, permutations = inputs.z, inputs.ids, inputs.permutations
    c = int(inputs.cardinality[plots[0]])  # one cardinality per block, as esda's per-plot loop
    if c == 0:  # an island: no neighbour to draw, lag 0 (esda's island_weight=0)
        lag = np.zeros((len(plots), permutations))
    else:
        # the others seen from plot i: an id below i is that plot, an id at or above i the next
        below, above = z[ids[:, :c]], z[ids[:, :c] + 1]
        drawn = np.where(ids[None, :, :c] >= plots[:, None, None],
                         above[None, :, :], below[None, :, :])
        slots = inputs.indptr[plots][:, None] + np.arange(c)
        # one matrix-vector product per plot, the product esda computes (bit for bit)
        lag = np.matmul(drawn, inputs.data[slots][:, :, None])[:, :, 0]
    stat = inputs.draws(z[plots][:, None], lag, inputs.self_weight[plots][:, None],
                        inputs.scaling)
    larger = (stat >= inputs.observed[plots][:, None]).sum(axis=1)
    larger = np.minimum(larger, permutations - larger)
    return (larger + 1.0) / (permutations + 1.0)


def conditional_p(
    z: np.ndarray,
    w: Graph,
    observed: np.ndarray,
    draws: Callable[[np.ndarray, np.ndarray, np.ndarray, float], np.ndarray],
    *,
    scaling: float,
    permutations: int,
    seed: int,
    threads: int | None = None,
) -> np.ndarray:
    """
    Conditional-randomisation pseudo p-values, the same as ``esda.crand.crand`` computes.

    For each plot i and each of esda's ``permutations`` draws of neighbour ids (from the other
    n − 1 plots, plot i held fixed at its value), the random statistic ``draws(z_i, lag, w_ii,
    scaling)`` is compared with ``observed[i]``; the count at or above it, folded to the
    smaller tail, gives ``(count + 1) / (permutations + 1)`` (esda's "directed" rule).

    The blocks of plots run in threads here; a cluster engine runs the same
    :func:`block_p_values` on :func:`permutation_blocks` elsewhere, with the same draws.

    Parameters
    ----------
    z
        The values the statistic is computed on (raw values for Gi*, standardised for local
        Moran), one per plot.
    w
        The statistic's weights, already transformed (row-standardised); a diagonal entry is
        the plot's weight on itself (Gi*).
    observed
        The observed statistic per plot.
    draws
        :func:`gi_star_draws` or :func:`moran_draws`.
    scaling
        The statistic's scaling constant (see ``draws``).
    permutations, seed
        Number of draws and seed of ``esda.crand.vec_permutations``.
    threads
        Worker threads (default: one per CPU).

    Returns
    -------
    ndarray
        float64 p-values, one per plot.
    """
    inputs = permutation_inputs(z, w, observed, draws, scaling=scaling,
                                permutations=permutations, seed=seed)
    p = np.empty(len(inputs.z))

    def block(plots: np.ndarray) -> None:
        p[plots] = block_p_values(inputs, plots)

    with ThreadPoolExecutor(max_workers=threads or os.cpu_count() or 1) as pool:
        list(pool.map(block, permutation_blocks(inputs)))
    return p


def _local_statistics(
    y: np.ndarray, w: Graph, *, settings: HotspotSettings,
    p_values: Callable[..., np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Run esda's G_Local (star) and Moran_Local on ``y``; p-values by ``p_values``."""
    import esda

    star = _star_of(w)
    gi = esda.G_Local(y, star, transform="R", star=True, permutations=0)
    lisa = esda.Moran_Local(y, w, transformation="r", permutations=0)
    n = len(y)
    draws = {"permutations": settings.permutations, "seed": settings.seed}
    p_values = p_values or conditional_p
    gi_p = p_values(y, gi.w, gi.Gs, gi_star_draws, scaling=y.sum(), **draws)
    lisa_p = p_values(lisa.z, lisa.w, lisa.Is, moran_draws,
                           scaling=(n - 1) / (lisa.z * lisa.z).sum(), **draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        lisa_z = (lisa.Is - lisa.EI) / np.sqrt(lisa.VI)
    return {
        "gi": np.asarray(gi.Gs, dtype="float64"),
        "gi_z": np.asarray(gi.Zs, dtype="float64"),
        "gi_p": gi_p,
        "lisa_i": np.asarray(lisa.Is, dtype="float64"),
        "lisa_z": np.where(np.isfinite(lisa_z), lisa_z, np.nan),
        "lisa_p": lisa_p,
        "lisa_q": np.array([LISA_QUADRANTS[int(q)] for q in lisa.q], dtype=object),
    }
