"""Stopping ``geoapp app`` stops the Streamlit server it started: the port is freed at once."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from geoapp.offline import missing_assets

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (read from /proc)."""
    kids: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            kids.setdefault(int(fields[1]), []).append(int(d.name))
    out, todo = [], [pid]
    while todo:
        for k in kids.get(todo.pop(), []):
            out.append(k)
            todo.append(k)
    return out


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


@pytest.fixture(scope="module")
def tiny_ws(tmp_path_factory):
    ws = tmp_path_factory.mktemp("app") / "demo.gpkg"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "geoapp", "demo", str(ws), "--plots", "300"],
                   check=True, env=env, cwd=REPO, capture_output=True, timeout=300)
    return ws


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_to_geoapp_app_frees_the_port_and_leaves_no_server(tiny_ws, sig, tmp_path):
    if missing_assets():
        pytest.skip("local web assets not installed")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    log = (tmp_path / "app.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "geoapp", "app", str(tiny_ws),
                             "--port", str(port)], env=env, cwd=REPO, stdout=log,
                            stderr=subprocess.STDOUT)
    servers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            assert proc.poll() is None, (tmp_path / "app.log").read_text()
            assert time.monotonic() < deadline, "the app never answered"
            time.sleep(0.2)
        servers = children(proc.pid)
        assert servers, "geoapp app started no child process"
        t0 = time.monotonic()
        proc.send_signal(sig)
        while answers(port) and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        freed_s = time.monotonic() - t0
        assert not answers(port), "the port still answers 5 s after the signal"
        print(f"{sig.name}: port free after {freed_s:.2f} s")
        assert proc.wait(timeout=5) == 0
        time.sleep(0.2)
        assert [p for p in servers if alive(p)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
        for p in servers:  # only if the test failed: the processes this test started
            if alive(p):
                os.kill(p, signal.SIGKILL)
