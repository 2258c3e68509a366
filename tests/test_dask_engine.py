"""Past one machine: the parquet dataset, and the dask engine giving the local engine's numbers.

The demo (1 500 plots) is cut into small partitions (300 plots) so plots, overlays, density
bands and hot-spot neighbourhoods straddle partition edges. A local cluster checks the
engine in-process; a real ``dask scheduler`` and two ``dask worker`` processes check it
through the command line, as a user's cluster would run it.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal

from geoapp import dataset
from geoapp.cli import main
from geoapp.engines import load_input, run_engine, year_of
from geoapp.engines.compare import differences
from geoapp.workspace import Workspace

ROOT = Path(__file__).resolve().parents[1]
YEAR, AS_OF = "2023", "2023-12-31"
PARTITION_ROWS = 300


@pytest.fixture(scope="module")
def parquet_dataset(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds") / "demo.parquet"
    assert main(["export", str(demo_workspace), "--format", "parquet-dataset", "--out", str(out),
                 "--partition-rows", str(PARTITION_ROWS)]) == 0
    return out


@pytest.fixture(scope="module")
def local_folder(demo_workspace, tmp_path_factory):
    out = tmp_path_factory.mktemp("local")
    assert main(["analyze", str(demo_workspace), "--out", str(out), "--year", YEAR,
                 "--as-of", AS_OF]) == 0
    return out


@pytest.fixture(scope="module")
def local_results(parquet_dataset):
    layers, settings, _ = load_input(parquet_dataset)
    return run_engine(layers, year=int(YEAR), settings=settings,
                      as_of=pd.Timestamp(AS_OF).date())


def _same_files(a: Path, b: Path) -> list[str]:
    """Names of the data files of folder ``a`` that ``b`` lacks or holds different bytes of."""
    names = [p.name for p in a.iterdir() if p.suffix in (".csv", ".parquet", ".tif")]
    assert len(names) > 20
    differ = [n for n in names if not (b / n).exists() or (a / n).read_bytes()
              != (b / n).read_bytes()]
    # analysis.gpkg: a SQLite file stamps its write time, so its layers are compared instead
    for layer, _ in pyogrio.list_layers(a / "analysis.gpkg"):
        if layer == "layer_styles":  # stamped with its write time too
            continue
        left = pyogrio.read_dataframe(a / "analysis.gpkg", layer=layer)
        right = pyogrio.read_dataframe(b / "analysis.gpkg", layer=layer)
        try:
            pd.testing.assert_frame_equal(left, right, check_exact=True)
        except AssertionError:
            differ.append(f"analysis.gpkg:{layer}")
    return differ


def test_dataset_is_geoparquet_partitioned_spatially(parquet_dataset, demo_workspace):
    manifest = dataset.manifest(parquet_dataset)
    ws = Workspace(demo_workspace)
    n_plots = len(ws.read("plots", columns=["plot_id"], geometry=False))
    parts = manifest["layers"]["plots"]["partitions"]
    assert sum(parts) == n_plots and len(parts) == -(-n_plots // PARTITION_ROWS)
    assert sum(manifest["layers"]["enterprises"]["partitions"]) == len(ws.read("enterprises"))
    # GeoParquet: WKB geometry, CRS in the file's metadata
    geo = json.loads(pq.read_schema(dataset.part_files(parquet_dataset, "plots")[0])
                     .metadata[b"geo"])
    column = geo["columns"][geo["primary_column"]]
    assert column["encoding"] == "WKB"
    assert column["crs"]["id"] == {"authority": "EPSG", "code": 4326}
    # spatial: each partition covers a small part of the extent (a random cut covers it all)
    frames = [gpd.read_parquet(p) for p in dataset.part_files(parquet_dataset, "plots")]
    whole = gpd.GeoSeries(pd.concat([f.geometry for f in frames]))
    x0, y0, x1, y1 = whole.total_bounds
    shares = [(lambda b: (b[2] - b[0]) * (b[3] - b[1]))(f.total_bounds) / ((x1 - x0) * (y1 - y0))
              for f in frames]
    assert sum(shares) < 1.5
    # an enterprise lies in the partition of its plot
    plot_part = {pid: i for i, f in enumerate(frames) for pid in f["plot_id"]}
    for i, p in enumerate(dataset.part_files(parquet_dataset, "enterprises")):
        ents = pd.read_parquet(p, columns=["plot_id"])
        assert (ents["plot_id"].map(plot_part) == i).all()


def test_dataset_reads_back_every_layer_as_the_workspace(parquet_dataset, demo_workspace):
    ws = Workspace(demo_workspace)
    layers = dataset.read_all(parquet_dataset)
    for name in ws.layers():
        if name not in layers:
            continue
        stored, back = ws.read(name), layers[name]
        if isinstance(stored, gpd.GeoDataFrame):
            assert_geodataframe_equal(stored, back)
        else:
            pd.testing.assert_frame_equal(stored, back)


def test_analyze_reads_a_dataset_and_writes_the_same_files(parquet_dataset, local_folder,
                                                           tmp_path):
    before = sorted(p.name for p in parquet_dataset.rglob("*"))
    out = tmp_path / "out"
    assert main(["analyze", str(parquet_dataset), "--out", str(out), "--year", YEAR,
                 "--as-of", AS_OF]) == 0
    assert _same_files(local_folder, out) == []
    assert sorted(p.name for p in parquet_dataset.rglob("*")) == before  # read-only
    summary = json.loads((out / "summary.json").read_text())
    assert summary["engine"] == "local" and summary["settings"]["stored"] is False


def test_dask_engine_on_a_local_cluster_gives_the_local_numbers(parquet_dataset, local_results):
    layers, settings, _ = load_input(parquet_dataset, skip=("plots",))
    assert "plots" not in layers  # the workers read the plots' partitions themselves
    distributed = run_engine(layers, engine="dask", year=year_of(layers, int(YEAR)),
                             settings=settings, as_of=pd.Timestamp(AS_OF).date(),
                             source=parquet_dataset, workers=2)
    assert differences(local_results, distributed) == []
    ev = distributed["evaluation"]
    assert len(ev.plots) == sum(dataset.manifest(parquet_dataset)["layers"]["plots"]
                                ["partitions"])
    assert ev.plots["grade"].nunique() >= 4 and ev.plots["low_efficiency"].sum() > 0
    hot = distributed["clusters"].hotspots
    assert {"hot_99", "cold_99"} <= set(hot["gi_class"])
    density = distributed["clusters"].density
    n_located = int((layers["enterprises"]["year"] == int(YEAR)).sum())
    assert density["all"].total == pytest.approx(n_located, rel=1e-6)  # mass conserved
    assert sum(s.total for k, s in density.items() if k != "all") == pytest.approx(
        density["all"].total, rel=1e-9)


def test_dask_engine_partitions_a_workspace_itself(demo_workspace, local_results, tmp_path):
    layers, settings, _ = load_input(demo_workspace)
    from geoapp.engines import dask_engine

    old = dask_engine.ROWS_PER_PARTITION
    dask_engine.ROWS_PER_PARTITION = 400
    try:
        distributed = run_engine(layers, engine="dask", year=int(YEAR), settings=settings,
                                 as_of=pd.Timestamp(AS_OF).date(), workers=2)
    finally:
        dask_engine.ROWS_PER_PARTITION = old
    assert differences(local_results, distributed) == []


def test_comparison_sees_a_difference_of_one_per_mu_figure(local_results):
    import copy

    other = copy.deepcopy(local_results)
    plots = other["evaluation"].plots
    row = plots["tax_per_mu"].first_valid_index()
    plots.loc[row, "tax_per_mu"] *= 1 + 1e-8
    other["clusters"].hotspots.loc[0, "gi_class"] = "hot_42"
    found = differences(local_results, other)
    assert any("evaluation.plots.tax_per_mu" in d for d in found)
    assert any("clusters.hotspots.gi_class" in d for d in found)


# -- a real cluster: one `dask scheduler`, two `dask worker` processes ----------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_workers(address: str, n: int, timeout_s: float = 60.0) -> None:
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(n, timeout=timeout_s)


@pytest.fixture
def dask_cluster(request, tmp_path):
    """``tcp://127.0.0.1:PORT`` of a scheduler and two 1-thread workers (768 MiB each)."""
    dask_cli = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs: list[subprocess.Popen] = []

    def stop() -> None:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for p in procs:
            try:
                p.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    request.addfinalizer(stop)

    def start(*args: str, log: str) -> None:
        with open(tmp_path / log, "wb") as out:
            procs.append(subprocess.Popen([dask_cli, *args], env=env, cwd=tmp_path,
                                          stdout=out, stderr=subprocess.STDOUT,
                                          start_new_session=True))

    start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--dashboard-address",
          ":0", log="scheduler.log")
    for i in range(2):
        start("worker", address, "--nthreads", "1", "--nworkers", "1", "--memory-limit",
              "768MiB", "--name", f"w{i}", "--dashboard-address", ":0", log=f"worker{i}.log")
    _wait_for_workers(address, 2)
    return address


@pytest.mark.slow
def test_analyze_on_a_real_scheduler_and_two_workers(dask_cluster, parquet_dataset,
                                                     local_folder, tmp_path):
    out = tmp_path / "out"
    assert main(["analyze", str(parquet_dataset), "--out", str(out), "--year", YEAR,
                 "--as-of", AS_OF, "--engine", "dask", "--scheduler", dask_cluster]) == 0
    assert _same_files(local_folder, out) == []
    local = pyogrio.read_dataframe(local_folder / "analysis.gpkg", layer="plots")
    assert local["low_efficiency"].astype(bool).sum() > 0
    remote = pyogrio.read_dataframe(out / "analysis.gpkg", layer="plots")
    pd.testing.assert_frame_equal(local[local["low_efficiency"].astype(bool)],
                                  remote[remote["low_efficiency"].astype(bool)])
    # the work ran on both workers: the derive, density-band and p-value tasks
    from distributed import Client

    with Client(dask_cluster, timeout="30s") as client:
        prefixes = client.run_on_scheduler(
            lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        executed = client.run(lambda dask_worker: dask_worker.state.executed_count)
    assert {"derive_partition", "band_density", "p_of_blocks"} <= set(prefixes)
    assert len(executed) == 2 and all(n > 0 for n in executed.values())
