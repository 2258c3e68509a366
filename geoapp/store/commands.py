"""The ``geoapp push``, ``pull`` and ``users`` commands (argparse wiring for :mod:`geoapp.cli`)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from geoapp.store import display_name, workspace_arg

STORE_COMMANDS = ("push", "pull", "users")
PASSWORD_ENV = "GEOAPP_NEW_PASSWORD"


def store_parsers(sub) -> None:
    """Add the ``push``, ``pull`` and ``users`` subcommands to the ``geoapp`` parser."""
    p = sub.add_parser("push", help="copy a GeoPackage workspace whole into PostGIS")
    p.add_argument("workspace", type=Path, help="the .gpkg workspace")
    p.add_argument("url", help="postgresql://user:password@host:port/database")
    p.add_argument("--replace", action="store_true",
                   help="replace the workspace the database holds")

    p = sub.add_parser("pull", help="copy a PostGIS workspace whole into a new GeoPackage")
    p.add_argument("url", help="postgresql://user:password@host:port/database")
    p.add_argument("workspace", type=Path, help="the new .gpkg file")

    p = sub.add_parser("users", help="PostGIS workspace users and their roles")
    p.add_argument("workspace", type=workspace_arg, help="postgresql:// URL (an admin's)")
    u = p.add_subparsers(dest="action", required=True)
    a = u.add_parser("add", help="add a user (or change their role and password)")
    a.add_argument("name")
    a.add_argument("--role", required=True,
                   help="public, district:<code>, park:<id>, editor (with --scope) or admin")
    a.add_argument("--scope", help="park:<id> or district:<code> (for editor)")
    a.add_argument("--password-stdin", action="store_true",
                   help=f"read the password from stdin (default: ${PASSWORD_ENV}, "
                        "else asked for)")
    u.add_parser("list", help="users, roles and scopes")
    r = u.add_parser("remove", help="remove a user")
    r.add_argument("name")


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.name}: ")


def run_store_command(args: argparse.Namespace) -> int:
    """Carry out ``push``, ``pull`` or ``users``; errors are raised for :func:`geoapp.cli.main`."""
    from geoapp.store import transfer

    if args.command == "push":
        counts = transfer.push(args.workspace, args.url, replace=args.replace)
        print(f"pushed {args.workspace} to {display_name(args.url)}: "
              + ", ".join(f"{n} {c}" for n, c in counts.items()))
        return 0
    if args.command == "pull":
        counts = transfer.pull(args.url, args.workspace)
        print(f"pulled {display_name(args.url)} into {args.workspace}: "
              + ", ".join(f"{n} {c}" for n, c in counts.items()))
        return 0
    from geoapp.store import open_workspace, roles
    from layers.errors import WorkspaceError

    ws = open_workspace(args.workspace)
    if not hasattr(ws, "transaction"):
        raise WorkspaceError("users live in a PostGIS workspace: give a postgresql:// URL")
    ws.check()
    with ws.transaction() as con:
        if args.action == "add":
            user = roles.add_user(con, args.name, _password(args), args.role, args.scope)
            print(f"user {user.name}: {user.role}" + (f" {user.scope}" if user.scope else ""))
        elif args.action == "remove":
            roles.remove_user(con, args.name)
            print(f"removed user {args.name}")
        else:
            for user in roles.list_users(con):
                print(f"{user.name:<20} {user.role:<8} {user.scope or ''}")
    return 0
