"""``geoapp app [WORKSPACE] [--port N]``: start the Streamlit map app on this machine.

The CLI calls :func:`launch`; it checks that the local web assets are installed (the map
page loads nothing from the internet), then runs ``streamlit run streamlit_app.py`` with
static serving on (Leaflet is served from ``static/vendor``) and usage statistics off.

Stopping ``geoapp app`` stops the server: SIGTERM, SIGINT and SIGHUP received by geoapp are
passed on to the Streamlit child, which is waited for (and killed if it has not exited
within :data:`STOP_GRACE_S`); on Linux the child also gets SIGTERM from the kernel if geoapp
itself dies without handling a signal (``PR_SET_PDEATHSIG``), so no server is left holding
the port.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from geoapp.offline import REPO_ROOT, missing_assets
from geoapp.store import display_name, is_url

APP_SCRIPT = REPO_ROOT / "streamlit_app.py"
"""The app's script (beside its ``static/`` folder)."""

STOP_GRACE_S = 5.0
"""Seconds the server is given to exit after a forwarded signal before it is killed."""

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
"""Signals passed on from geoapp to the Streamlit server."""

_PR_SET_PDEATHSIG = 1


def streamlit_command(workspace: str | Path, port: int = 8501, *, headless: bool = True,
                      address: str | None = None) -> list[str]:
    """Build the ``streamlit run`` command line for a workspace.

    Parameters
    ----------
    workspace
        The workspace (GeoPackage) to open.
    port
        Port to serve on.
    headless
        Do not try to open a browser on the server.
    address
        Interface to listen on (Streamlit's default: all).
    """
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT),
           "--server.port", str(int(port)),
           "--server.headless", "true" if headless else "false",
           "--server.enableStaticServing", "true",
           "--browser.gatherUsageStats", "false"]
    if address:
        cmd += ["--server.address", address]
    if is_url(workspace):  # given by environment, not on a command line others can read
        return cmd
    cmd += ["--", "--workspace", str(Path(workspace).resolve())]
    return cmd


def launch(workspace: str | Path = "demo.gpkg", port: int = 8501) -> int:
    """Run the app until it is stopped (Ctrl-C).

    Parameters
    ----------
    workspace
        The workspace to open.
    port
        Port to serve on.

    Returns
    -------
    int
        Streamlit's exit code; 2 when the workspace or the web assets are missing (the
        message says how to fix it).
    """
    if is_url(workspace):
        return _launch_url(str(workspace), port)
    if not Path(workspace).exists():
        print(f"workspace {workspace} does not exist; create it with 'geoapp demo {workspace}'"
              " or 'geoapp import'", file=sys.stderr)
        return 2
    gone = missing_assets()
    if gone:
        print("the map's local web assets are missing (" + ", ".join(gone) + "); run: "
              "python -m geoapp.offline --install", file=sys.stderr)
        return 2
    print(f"geoapp: http://localhost:{int(port)}  (workspace {workspace})", flush=True)
    return run_until_stopped(streamlit_command(workspace, port), cwd=REPO_ROOT)


def _launch_url(url: str, port: int) -> int:
    """Serve a PostGIS workspace; without a password in the URL, every visitor logs in."""
    gone = missing_assets()
    if gone:
        print("the map's local web assets are missing (" + ", ".join(gone) + "); run: "
              "python -m geoapp.offline --install", file=sys.stderr)
        return 2
    print(f"geoapp: http://localhost:{int(port)}  (workspace {display_name(url)})", flush=True)
    env = {**os.environ, "GEOAPP_WORKSPACE": url}
    return run_until_stopped(streamlit_command(url, port), cwd=REPO_ROOT, env=env)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to send the child SIGTERM when its parent dies (no-op elsewhere)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def run_until_stopped(cmd: list[str], *, cwd: str | Path | None = None,
                      grace_s: float = STOP_GRACE_S, env: dict[str, str] | None = None) -> int:
    """Run a server command, passing SIGTERM/SIGINT/SIGHUP on to it, until it exits.

    Parameters
    ----------
    cmd
        The command line (e.g. :func:`streamlit_command`).
    cwd
        Its working directory.
    grace_s
        After a forwarded signal, how long the server may take to exit before SIGKILL.
    env
        Its environment (default: this process's).

    Returns
    -------
    int
        The server's exit code; 0 when it was stopped by a signal geoapp passed on.
    """
    proc = subprocess.Popen(cmd, cwd=cwd, env=env,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    stopped: list[float] = []  # when each forwarded signal arrived

    def forward(signum, _frame):
        stopped.append(time.monotonic())
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signum)

    previous = {}
    for sig in FORWARDED_SIGNALS:
        with contextlib.suppress(ValueError, OSError):  # not the main thread: leave as is
            previous[sig] = signal.signal(sig, forward)
    try:
        while True:
            try:
                code = proc.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if stopped and time.monotonic() - stopped[0] > grace_s:
                    proc.kill()
            except KeyboardInterrupt:  # SIGINT arriving while no handler could be installed
                forward(signal.SIGINT, None)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopped else code
