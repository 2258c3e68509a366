"""``geoapp app [WORKSPACE] [--port N]``: start the Streamlit map app on this machine.

The CLI calls :func:`launch`; it checks that the local web assets are installed (the map
page loads nothing from the internet), then runs ``streamlit run streamlit_app.py`` with
static serving on (Leaflet is served from ``static/vendor``) and usage statistics off.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from geoapp.offline import REPO_ROOT, missing_assets

APP_SCRIPT = REPO_ROOT / "streamlit_app.py"
"""The app's script (beside its ``static/`` folder)."""


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
    if not Path(workspace).exists():
        print(f"workspace {workspace} does not exist; create it with 'geoapp demo {workspace}'"
              " or 'geoapp import'", file=sys.stderr)
        return 2
    gone = missing_assets()
    if gone:
        print("the map's local web assets are missing (" + ", ".join(gone) + "); run: "
              "python -m geoapp.offline --install", file=sys.stderr)
        return 2
    print(f"geoapp: http://localhost:{int(port)}  (workspace {workspace})")
    try:
        return subprocess.call(streamlit_command(workspace, port), cwd=REPO_ROOT)
    except KeyboardInterrupt:
        return 0
