"""The dask engine: the analysis on a dask.distributed cluster, with the local engine's numbers.

What runs where, and why:

- **On the workers, partition by partition** (plots partitioned spatially, a Hilbert key:
  read from the parquet dataset by each worker, or partitioned here from a workspace):
  the plot-by-plot geometric work of the evaluation — areas in mu, the largest-share
  overlays onto parks, zones, towns and districts (:func:`geoapp.stages.evaluation.
  derive_plots`) — and the plots' centroids in metres. Every one of these is a function of
  the plot alone (and of the small boundary layers, sent to every worker once), so a
  partition gives exactly the rows the whole would.
- **Gathered, global** (on the client): the per-plot and per-firm numbers (a few floats per
  plot: 2 000 000 plots are a few hundred MB) go through the stage code unchanged —
  per-mu sums at every scope, the percentile classes (a rank is only defined against *all*
  plots, not within a partition), grades, low-efficiency rules, rankings, reclamation and
  concentration. The hot spots' spatial weights are built from all centroids (k nearest
  neighbours found across partition edges, libpysal's own KD-tree) and their observed Gi*
  and local Moran statistics use global sums; the density grid covers all points.
- **On the workers again, block by block**: the hot spots' permutation p-values (the costly
  part: plots × 999 draws × k neighbours) — every block gets the *global* values and the
  same esda draws (:class:`analysis.hotspots.PermutationInputs`), so each plot's p-value is
  the local engine's; and the density surfaces, in row bands each smoothed with a halo of
  ``truncate`` bandwidths (:func:`analysis.density.band_density`) and stitched, so each cell
  is the whole grid's value and the mass is conserved.

Plots keep their workspace order (``_row``): the permutation draws go by position.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import dask
import dask_geopandas
import geopandas as gpd
import numpy as np
import pandas as pd

from analysis.density import DensityGrid, band_density, halo_rows
from analysis.hotspots import (
    PermutationInputs,
    block_p_values,
    permutation_blocks,
    permutation_inputs,
)
from analysis.overlay import centroids_m
from geoapp import dataset
from geoapp.results import StageResult
from geoapp.settings import Settings
from geoapp.stages import clusters, evaluation, reclamation

SHAPE_LAYERS = ("parks", "zones", "towns", "districts")
"""The boundary layers every plot partition is overlaid with (sent to each worker once)."""
ROWS_PER_PARTITION = 50_000
"""Plots per partition when a workspace (not a dataset) is partitioned here."""
TASKS_PER_WORKER = 4
"""Tasks per worker thread for the density bands and the permutation blocks."""


@contextlib.contextmanager
def cluster(scheduler: str | None = None, *, workers: int = 2,
            memory_limit: str | float = "auto") -> Iterator[Any]:
    """
    A dask client: of the cluster at ``scheduler``, else of a local cluster started here.

    Parameters
    ----------
    scheduler
        ``tcp://host:8786``; its workers must be able to import geoapp (and, for a parquet
        dataset, read its path).
    workers
        Worker processes of a local cluster (one thread each).
    memory_limit
        Memory limit of each local worker (dask's ``memory_limit``, e.g. ``"4GiB"``).

    Yields
    ------
    distributed.Client
    """
    from distributed import Client, LocalCluster

    if scheduler:
        client = Client(scheduler, timeout="30s")
        try:
            yield client
        finally:
            client.close()
        return
    with (LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                       memory_limit=memory_limit, dashboard_address=None) as local,
          Client(local) as client):
        yield client


def _threads(client: Any) -> int:
    return max(sum(client.nthreads().values()), 1)


def _typed(part: pd.DataFrame) -> pd.DataFrame:
    """A partition as the dataset reader types it (text as ``str``), with its ``_row``."""
    rows = part[dataset.ROW].to_numpy()
    frame = dataset.normalise(part.reset_index(drop=True), "plots")
    if isinstance(part, gpd.GeoDataFrame) and not isinstance(frame, gpd.GeoDataFrame):
        frame = gpd.GeoDataFrame(frame, geometry=part.geometry.name, crs=part.crs)
    frame[dataset.ROW] = np.sort(rows)
    return frame


def derive_partition(part: gpd.GeoDataFrame, shapes: dict[str, pd.DataFrame]
                     ) -> gpd.GeoDataFrame:
    """
    One partition's plots derived (areas, overlays) and their centroids, on a worker.

    Parameters
    ----------
    part
        Plots with ``_row`` (workspace row number).
    shapes
        The boundary layers (:data:`SHAPE_LAYERS`).

    Returns
    -------
    GeoDataFrame
        :func:`geoapp.stages.evaluation.derive_plots` of the partition, with ``_row`` and the
        centroid ``_cx``, ``_cy`` in metres (:data:`layers.crs.WORK_CRS`).
    """
    part = _typed(part)
    rows = part.pop(dataset.ROW).to_numpy()
    derived = evaluation.derive_plots({"plots": part, **shapes})
    xy = centroids_m(part)
    return derived.assign(**{dataset.ROW: rows, "_cx": xy[:, 0], "_cy": xy[:, 1]})


def plot_partitions(layers: dict[str, pd.DataFrame], source: str | Path | None
                    ) -> dask_geopandas.GeoDataFrame:
    """
    The plots as a dask-geopandas frame, spatially partitioned, each row with its ``_row``.

    From the dataset's partitions when ``source`` is a parquet dataset (read by the
    workers), else the workspace's plots sorted by Hilbert key and cut in
    :data:`ROWS_PER_PARTITION`.
    """
    if source is not None and dataset.part_files(source, "plots"):
        with dask.config.set({"dataframe.convert-string": False}):
            return dask_geopandas.read_parquet(
                [str(p) for p in dataset.part_files(source, "plots")])
    plots = layers["plots"]
    x, y = dataset._centres(plots.geometry)
    key = dataset.hilbert_key(x, y, (np.nanmin(x), np.nanmin(y), np.nanmax(x), np.nanmax(y)))
    frame = plots.assign(**{dataset.ROW: np.arange(len(plots))}).iloc[
        np.argsort(key, kind="stable")]
    n = max(int(np.ceil(len(plots) / ROWS_PER_PARTITION)), 2)
    return dask_geopandas.from_geopandas(frame, npartitions=n, sort=False)


def derive_plots_dask(client: Any, layers: dict[str, pd.DataFrame],
                      source: str | Path | None = None) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """
    :func:`geoapp.stages.evaluation.derive_plots` of every plot, partition-wise on the cluster.

    Returns
    -------
    tuple
        The derived plots in workspace order (as the local engine derives them) and their
        centroids, ``(n, 2)`` metres.
    """
    shapes = {n: layers[n] for n in SHAPE_LAYERS if n in layers}
    shared = client.scatter(shapes, broadcast=True, hash=False)
    parts = plot_partitions(layers, source).to_delayed()
    tasks = [dask.delayed(derive_partition)(p, shared) for p in parts]
    frames = client.gather(client.compute(tasks))
    frames = [f for f in frames if len(f)] or frames[:1]
    derived = pd.concat(frames, ignore_index=True)
    derived = gpd.GeoDataFrame(derived, geometry=frames[0].geometry.name, crs=frames[0].crs)
    derived = derived.sort_values(dataset.ROW, kind="stable").reset_index(drop=True)
    xy = derived[["_cx", "_cy"]].to_numpy(dtype="float64")
    return derived.drop(columns=[dataset.ROW, "_cx", "_cy"]), xy


def p_of_blocks(inputs: PermutationInputs, blocks: list[np.ndarray]
                 ) -> tuple[np.ndarray, np.ndarray]:
    """p-values of some permutation blocks (a worker's task): plot positions and values."""
    return (np.concatenate(blocks),
            np.concatenate([block_p_values(inputs, b) for b in blocks]))


def p_values_on(client: Any) -> Callable[..., np.ndarray]:
    """
    A replacement for :func:`analysis.hotspots.conditional_p` running its blocks on workers.

    The inputs (global values, weights, the esda draws) are sent to every worker once; the
    blocks are shared out in :data:`TASKS_PER_WORKER` tasks per worker thread.
    """
    def p_values(z: np.ndarray, w: Any, observed: np.ndarray, draws: Callable, *,
                 scaling: float, permutations: int, seed: int) -> np.ndarray:
        inputs = permutation_inputs(z, w, observed, draws, scaling=scaling,
                                    permutations=permutations, seed=seed)
        blocks = permutation_blocks(inputs)
        shared = client.scatter(inputs, broadcast=True, hash=False)
        n_tasks = min(len(blocks), TASKS_PER_WORKER * _threads(client))
        groups = [g for g in np.array_split(np.arange(len(blocks)), n_tasks) if len(g)]
        # hash=False: the same blocks for tax and output would get one key, and the first
        # call's release could drop the data the second call is about to use
        parts = client.scatter([[blocks[i] for i in g] for g in groups], hash=False)
        futures = [client.submit(p_of_blocks, shared, part, pure=False) for part in parts]
        p = np.empty(len(inputs.z))
        for plots, values in client.gather(futures):
            p[plots] = values
        return p

    return p_values


def smooth_on(client: Any) -> Callable[..., list[np.ndarray]]:
    """
    The density smoothing in row bands on the workers, stitched.

    A ``smooth`` for :func:`analysis.density.density_by_industry`.

    Each band takes the points within it and its halo of :func:`analysis.density.halo_rows`
    rows (``truncate`` bandwidths); bands are at least four halos tall.
    """
    def smooth(x: np.ndarray, y: np.ndarray, w: np.ndarray, group: np.ndarray,
               n_groups: int, grid: DensityGrid, *, bandwidth_m: float,
               truncate: float) -> list[np.ndarray]:
        halo = halo_rows(cell_m=grid.cell_m, bandwidth_m=bandwidth_m, truncate=truncate)
        n_bands = max(min(grid.height // max(4 * halo, 1), TASKS_PER_WORKER * _threads(client)),
                      1)
        edges = np.linspace(0, grid.height, n_bands + 1).round().astype(int)
        r, _, inside = grid.cell_of(x, y)
        futures = []
        for a, b in itertools.pairwise(edges):
            near = inside & (r >= a - halo) & (r < b + halo)
            # the band's points go as data, not inside the task graph
            points = client.scatter([x[near], y[near], w[near], group[near]], hash=False)
            futures.append(client.submit(
                band_density, *points, n_groups, grid, rows=(int(a), int(b)),
                bandwidth_m=bandwidth_m, truncate=truncate, pure=False))
        stacked = np.concatenate(client.gather(futures), axis=1)
        return list(stacked)

    return smooth


def run_analysis_dask(client: Any, layers: dict[str, pd.DataFrame], *, year: int,
                      settings: Settings, as_of: date | None = None,
                      progress: Callable[[str], None] | None = None,
                      source: str | Path | None = None) -> dict[str, StageResult]:
    """
    Every stage on the cluster of ``client`` (see the module docstring for what runs where).

    Parameters
    ----------
    client
        A ``distributed.Client``.
    layers
        The layers by name; ``plots`` may be absent when ``source`` (a parquet dataset) is
        given: the workers read them.
    year, settings, as_of, progress
        As :func:`geoapp.pipeline.run_analysis`.
    source
        The parquet dataset the workers read the plots from.

    Returns
    -------
    dict
        ``{"evaluation", "reclamation", "clusters"}`` results, equal to the local engine's.
    """
    layers = dict(layers)
    if progress is not None:
        progress("evaluation")
    derived, xy = derive_plots_dask(client, layers, source)
    if layers.get("plots") is None:  # read by the workers only: the layer is the derived less
        layers["plots"] = derived.drop(columns=list(DERIVED_COLUMNS))  # what derive added
    results: dict[str, StageResult] = {}
    results["evaluation"] = evaluation.run(layers, year=year, settings=settings, plots=derived)
    if progress is not None:
        progress("reclamation")
    results["reclamation"] = reclamation.run(
        layers, year=year, evaluation=results["evaluation"], settings=settings,
        as_of=reclamation.as_of_date(as_of, year))
    if progress is not None:
        progress("clusters")
    results["clusters"] = clusters.run(
        layers, year=year, evaluation=results["evaluation"], settings=settings, xy=xy,
        smooth=smooth_on(client), p_values=p_values_on(client))
    return results


DERIVED_COLUMNS = ("geom_area_mu", "area_mu", "area_diff_share", "park_id", "zone_type",
                   "town_code", "district_code")
"""Columns :func:`geoapp.stages.evaluation.derive_plots` adds to the plots layer."""
