"""Where a workspace lives: a GeoPackage file (the default) or a PostGIS database.

:func:`open_workspace` is the one seam: a ``postgresql://`` URL gives a
:class:`geoapp.store.postgis.PostgisWorkspace`, anything else a GeoPackage
:class:`geoapp.workspace.Workspace`. Both have the same public methods (layers, read,
write_layers, append_rows, settings, versions and stored results). The PostGIS module and its
driver are imported only for a URL, so the GeoPackage path loads nothing more than before.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from geoapp.workspace import Workspace

if TYPE_CHECKING:
    from geoapp.store.postgis import PostgisWorkspace

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(target: Any) -> bool:
    """Whether ``target`` names a PostGIS workspace (a ``postgresql://`` URL)."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def workspace_arg(text: str) -> str | Path:
    """Parse a command-line workspace: a URL stays text (``Path`` would fold its ``//``)."""
    return text if is_url(text) else Path(text)


def open_workspace(target: Any) -> Workspace | PostgisWorkspace:
    """
    Open a workspace: a GeoPackage path, a ``postgresql://`` URL, or an open workspace.

    Parameters
    ----------
    target
        ``str`` or ``Path`` of a ``.gpkg`` file, a ``postgresql://user:password@host:port/db``
        URL, or a workspace object (returned as it is).

    Returns
    -------
    Workspace or PostgisWorkspace
        Nothing is connected or created until the first read or write.
    """
    if is_workspace(target):
        return target
    if is_url(target):
        from geoapp.store.postgis import PostgisWorkspace

        return PostgisWorkspace(target)
    return Workspace(target)


def is_workspace(obj: Any) -> bool:
    """Whether ``obj`` is an open workspace of either kind."""
    if isinstance(obj, Workspace):
        return True
    return type(obj).__name__ == "PostgisWorkspace" and hasattr(obj, "write_layers")


def display_name(target: Any) -> str:
    """A workspace's name for messages: a URL without its password."""
    text = str(getattr(target, "path", target))
    if is_url(text) and "@" in text:
        scheme, rest = text.split("://", 1)
        cred, host = rest.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        return f"{scheme}://{user}@{host}"
    return text
