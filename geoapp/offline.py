"""Local web assets: the map page loads nothing from the internet.

folium's default page pulls Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs; on a
government intranet with no internet that is a blank map. The maps geoapp draws need only
Leaflet's script, its stylesheet and the two images its stylesheet names (the layer-control
icon), so the app replaces folium's CDN lists with Leaflet from the npm registry, installed at
set-up time (``python -m geoapp.offline --install``) into ``static/vendor/`` beside
``streamlit_app.py``. That folder is git-ignored: the assets are a dependency, never a copy in
the repository. Streamlit serves it at ``/app/static/`` when ``server.enableStaticServing`` is
on (``geoapp app`` turns it on).

The app's draw and measure toolbar is Leaflet.draw, the npm package ``leaflet-draw``, installed
the same way beside Leaflet (:func:`draw_assets`, used by :mod:`geoapp.maps.draw`).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import folium

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The folder holding ``streamlit_app.py``; Streamlit serves its ``static/`` subfolder."""

ASSET_ROOT = REPO_ROOT / "static" / "vendor"
"""Where ``--install`` puts the npm packages (git-ignored)."""

NPM_PACKAGES: dict[str, str] = {"leaflet": "1.9.4", "leaflet-draw": "1.0.4"}
"""npm packages the page needs, pinned to exact versions."""

REQUIRED_FILES: tuple[str, ...] = (
    "node_modules/leaflet/dist/leaflet.js",
    "node_modules/leaflet/dist/leaflet.css",
    "node_modules/leaflet/dist/images/layers.png",
    "node_modules/leaflet/dist/images/layers-2x.png",
    "node_modules/leaflet-draw/dist/leaflet.draw.js",
    "node_modules/leaflet-draw/dist/leaflet.draw.css",
    "node_modules/leaflet-draw/dist/images/spritesheet.png",
    "node_modules/leaflet-draw/dist/images/spritesheet-2x.png",
    "node_modules/leaflet-draw/dist/images/spritesheet.svg",
)
"""Files under :data:`ASSET_ROOT` the page loads (paths relative to it)."""

STATIC_ROUTE = "app/static"
"""Where Streamlit serves the ``static/`` folder (``server.enableStaticServing``)."""

_URL = re.compile(r"""(?:src|href)\s*=\s*["'](https?:)?//([^"'/]+)""", re.IGNORECASE)


def missing_assets(root: Path = ASSET_ROOT) -> list[str]:
    """List the required asset files that are not installed (empty: the page can load).

    Parameters
    ----------
    root
        The asset folder (default :data:`ASSET_ROOT`).
    """
    return [rel for rel in REQUIRED_FILES if not (root / rel).is_file()]


def install(root: Path = ASSET_ROOT, *, npm: str = "npm", force: bool = False) -> Path:
    """Install the pinned npm packages into ``root`` (idempotent).

    Parameters
    ----------
    root
        Target folder; a ``package.json`` naming :data:`NPM_PACKAGES` is written there.
    npm
        The npm executable.
    force
        Reinstall even when every required file is present.

    Returns
    -------
    Path
        ``root``.

    Raises
    ------
    RuntimeError
        When npm is missing or fails, with its output.
    """
    root = Path(root)
    manifest = {"name": "geoapp-web-assets", "private": True, "version": "0.0.0",
                "description": "Leaflet for geoapp's offline map page (installed, not committed)",
                "dependencies": dict(NPM_PACKAGES)}
    manifest_path = root / "package.json"
    same_manifest = (manifest_path.is_file()
                     and json.loads(manifest_path.read_text(encoding="utf-8")) == manifest)
    if same_manifest and not missing_assets(root) and not force:
        return root
    exe = shutil.which(npm)
    if exe is None:
        raise RuntimeError(
            f"'{npm}' not found: install Node.js and npm (Debian: apt-get install nodejs npm), "
            "then run 'python -m geoapp.offline --install'"
        )
    root.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    cmd = [exe, "install", "--prefix", str(root), "--no-audit", "--no-fund", "--ignore-scripts",
           "--no-package-lock", "--loglevel=error"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"npm install failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    gone = missing_assets(root)
    if gone:
        raise RuntimeError(f"npm install finished but these files are missing: {gone}")
    return root


def asset_url(relative: str, *, base_url_path: str = "") -> str:
    """Return the URL the browser loads an asset from, e.g. ``/app/static/vendor/...``.

    Parameters
    ----------
    relative
        Path under :data:`ASSET_ROOT`.
    base_url_path
        Streamlit's ``server.baseUrlPath`` (empty when the app is served at the root).
    """
    base = "/".join(p for p in (base_url_path.strip("/"), STATIC_ROUTE, "vendor") if p)
    return f"/{base}/{relative}"


def leaflet_assets(*, base_url_path: str = "") -> tuple[list[tuple[str, str]],
                                                        list[tuple[str, str]]]:
    """folium-style ``(default_js, default_css)`` lists pointing at the local Leaflet.

    Returns
    -------
    tuple of list
        ``[("leaflet", url)]`` and ``[("leaflet_css", url)]``.
    """
    dist = "node_modules/leaflet/dist"
    return (
        [("leaflet", asset_url(f"{dist}/leaflet.js", base_url_path=base_url_path))],
        [("leaflet_css", asset_url(f"{dist}/leaflet.css", base_url_path=base_url_path))],
    )


def draw_assets(*, base_url_path: str = "") -> tuple[list[tuple[str, str]],
                                                      list[tuple[str, str]]]:
    """folium-style ``(default_js, default_css)`` lists pointing at the local Leaflet.draw.

    Leaflet.draw (npm ``leaflet-draw``) draws the rectangle or polygon a planner summarises
    and measures; its stylesheet names the toolbar sprites beside it in ``dist/images``.
    """
    dist = "node_modules/leaflet-draw/dist"
    return (
        [("leaflet_draw_js", asset_url(f"{dist}/leaflet.draw.js", base_url_path=base_url_path))],
        [("leaflet_draw_css", asset_url(f"{dist}/leaflet.draw.css",
                                        base_url_path=base_url_path))],
    )


def use_local_assets(m: folium.Map, *, base_url_path: str = "") -> folium.Map:
    """Make a folium map load only the local Leaflet (no jQuery, Bootstrap or icon fonts).

    The lists are replaced on this instance only; folium's class defaults are untouched.
    geoapp's maps use nothing but Leaflet (no awesome-markers, no Bootstrap popups), and
    legends are drawn by the app, not by branca (whose colormaps pull d3 from a CDN).

    Returns
    -------
    folium.Map
        ``m`` itself.
    """
    m.default_js, m.default_css = leaflet_assets(base_url_path=base_url_path)
    return m


def external_urls(html: str) -> list[str]:
    """Hosts of every ``src=``/``href=`` in ``html`` that is not relative or on this machine.

    Used by tests and by the app to prove a rendered page loads nothing from outside.
    """
    hosts = []
    for _, host in _URL.findall(html):
        name = host.split(":")[0].lower()
        if name not in ("127.0.0.1", "localhost", "[::1]"):
            hosts.append(host)
    return sorted(set(hosts))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m geoapp.offline --install | --check``.

    Returns
    -------
    int
        0 when the assets are (now) installed, 1 when ``--check`` finds files missing, 2 when
        the install fails.
    """
    parser = argparse.ArgumentParser(prog="python -m geoapp.offline",
                                     description="Install or check the map page's local assets.")
    parser.add_argument("--install", action="store_true", help="npm-install the pinned packages")
    parser.add_argument("--check", action="store_true", help="list missing files")
    parser.add_argument("--force", action="store_true", help="reinstall even when present")
    parser.add_argument("--root", type=Path, default=ASSET_ROOT, help="asset folder")
    args = parser.parse_args(argv)
    if args.install:
        try:
            root = install(args.root, force=args.force)
        except RuntimeError as exc:
            print(str(exc), file=sys.stderr)
            return 2
        print(f"web assets ready in {root}")
        return 0
    gone = missing_assets(args.root)
    if gone:
        print("missing: " + ", ".join(gone) + "\nrun: python -m geoapp.offline --install",
              file=sys.stderr)
        return 1
    print(f"web assets ready in {args.root}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
