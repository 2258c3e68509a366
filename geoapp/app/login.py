"""Logging in to a PostGIS workspace from the app (the widgets are in ``streamlit_app.py``).

The operator starts the app on a ``postgresql://`` URL; without a password in it, each
browser session logs in with the database's own credentials, and from then on reads with
that user's rights (row-level security decides which enterprises it sees). A URL that carries
a password (e.g. the ``public`` user of the district's website) opens without a login.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from geoapp.store import display_name, is_url
from layers.errors import WorkspaceError


@dataclass(frozen=True)
class Login:
    """The outcome of a login: the URL to read with, who that is, or why it failed."""

    ok: bool
    url: str | None = None
    who: str = ""
    reason: str = ""  # "failed" (wrong name or password) or "unreachable"


def needs_login(workspace: str) -> bool:
    """Whether the app must ask for a login: a PostGIS URL without a password."""
    return is_url(workspace) and urlsplit(workspace).password is None


def with_credentials(workspace: str, user: str, password: str) -> str:
    """The operator's URL with a user's name and password in it."""
    parts = urlsplit(workspace)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    netloc = f"{quote(user, safe='')}:{quote(password, safe='')}@{host}"
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def log_in(workspace: str, user: str, password: str) -> Login:
    """
    Check a user's credentials against the workspace's database.

    Parameters
    ----------
    workspace
        The operator's ``postgresql://`` URL (without credentials).
    user, password
        What the person typed.

    Returns
    -------
    Login
        ``ok`` with the URL to read with and ``who`` (``name · role scope``); otherwise
        ``reason`` is ``"failed"`` for a wrong name or password (nothing is read), else
        ``"unreachable"``.
    """
    from geoapp.store import open_workspace

    if not user or not password:
        return Login(False, reason="failed")
    url = with_credentials(workspace, user.strip(), password)
    try:
        who = open_workspace(url).whoami()
    except WorkspaceError as exc:
        failed = "authentication failed" in str(exc) or "does not exist" in str(exc)
        return Login(False, reason="failed" if failed else "unreachable")
    return Login(True, url=url, who=who.removeprefix("user ").replace(", role ", " · "))


def workspace_label(workspace: str) -> str:
    """How the sidebar names the workspace: a file's name, or a URL without credentials."""
    if is_url(workspace):
        parts = urlsplit(display_name(workspace))
        return f"{parts.hostname}{parts.path}"
    return workspace.replace("\\", "/").rsplit("/", 1)[-1]
