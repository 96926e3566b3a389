"""Credentials from the command line, for operators (the first admin key) and local development.

    python -m shared.auth issue-key --tenant acme --user ops --scopes admin [--name bootstrap]
        stores a new API key (like POST /api/auth/keys, without needing one first) and prints it;
    python -m shared.auth token --user me [--tenant local] [--scopes voice chat ...]
        prints a JWT signed with AUTH_JWT_SECRET (1 hour).

The settings are the app's (local.settings.json locally, via scripts/local_env.py in `make`).
"""

from __future__ import annotations

import argparse
import sys

from shared.auth.principal import Scope, checked_identity
from shared.errors import PlatformError

SCOPE_NAMES = [scope.value for scope in Scope]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.auth", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    issue = commands.add_parser("issue-key", help="store and print a new API key")
    token = commands.add_parser("token", help="print a JWT signed with AUTH_JWT_SECRET")
    for command, tenant in ((issue, None), (token, "local")):
        command.add_argument("--tenant", required=tenant is None, default=tenant)
        command.add_argument("--user", required=True)
        command.add_argument("--scopes", nargs="+", choices=SCOPE_NAMES, default=SCOPE_NAMES)
    issue.add_argument("--name", default="issued from the command line")
    token.add_argument("--lifetime-seconds", type=int, default=3600)
    args = parser.parse_args(argv)
    try:
        tenant, user = checked_identity(args.tenant, args.user)
        if args.command == "token":
            from shared.auth.dev_tokens import mint_jwt

            print(
                mint_jwt(
                    user, tenant=tenant, scopes=args.scopes, lifetime_seconds=args.lifetime_seconds
                )
            )
        else:
            from shared.auth.authenticate import get_api_key_store

            record, key = get_api_key_store().issue(
                tenant=tenant,
                user=user,
                name=args.name,
                scopes=[Scope(s) for s in args.scopes],
                created_by="cli",
            )
            print(key)
            print(
                f"[auth] issued key {record.id} for {record.tenant}/{record.user}", file=sys.stderr
            )
    except (PlatformError, RuntimeError) as exc:
        print(f"[auth] {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
