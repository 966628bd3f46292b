"""Command line: ``python -m marketplace COMMAND`` (``--help`` lists them)."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from marketplace.settings import Settings, SettingsError


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        print(f"tradeyard: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_check_settings(_: argparse.Namespace) -> None:
    _settings()
    print("settings ok")


def cmd_serve(args: argparse.Namespace) -> None:
    _settings()  # fail with one clear line before any worker process starts
    from granian import Granian
    from granian.constants import Interfaces, Loops

    Granian(
        target="marketplace.app:create_app",
        factory=True,
        interface=Interfaces.ASGI,
        address=args.host,
        port=args.port,
        workers=args.workers,
        loop=Loops.uvloop,
        respawn_failed_workers=True,
        log_access=False,
    ).serve()


async def _seed() -> None:
    from marketplace.core.db import connect
    from marketplace.demo import seed

    conn = await connect(_settings().database_url)
    try:
        accounts = await seed(conn)
    finally:
        await conn.close()
    print(f"demo data loaded ({len(accounts)} demo accounts)")


def cmd_seed(_: argparse.Namespace) -> None:
    asyncio.run(_seed())


async def _demo_accounts(url: str) -> None:
    from marketplace.core.db import connect
    from marketplace.demo import seed

    conn = await connect(_settings().database_url)
    try:
        accounts = await seed(conn)  # idempotent: returns the accounts without duplicating anything
    finally:
        await conn.close()
    print(f"\n  Tradeyard is running at {url}\n")
    if accounts:
        print("  Demo accounts (development only):")
        width = max(len(a.role) for a in accounts)
        for a in accounts:
            print(f"    {a.role:<{width}}  {a.email}  /  {a.password}")
    else:
        print("  No demo accounts yet.")
    print("\n  Press Ctrl-C to stop.\n", flush=True)


def cmd_demo_accounts(args: argparse.Namespace) -> None:
    asyncio.run(_demo_accounts(args.url))


async def _create_operator(email: str) -> None:
    from marketplace.accounts.verification import create_operator
    from marketplace.core.db import connect

    settings = _settings()
    conn = await connect(settings.database_url)
    try:
        async with conn.transaction():
            password = await create_operator(conn, email, settings)
    finally:
        await conn.close()
    if password:
        print(f"operator {email} created; one-time password: {password}\n(sign in and change it at /account/password)")
    else:
        print(f"{email} is now an operator")


def cmd_create_operator(args: argparse.Namespace) -> None:
    email = args.email.strip()
    if "@" not in email or len(email) > 254:
        print("tradeyard: give an email address", file=sys.stderr)
        raise SystemExit(2)
    asyncio.run(_create_operator(email))


def cmd_ensure_app_role(_: argparse.Namespace) -> None:
    from marketplace.dbroles import ensure_app_role

    owner_url = os.environ.get("TRADEYARD_OWNER_DATABASE_URL", "")
    if not owner_url:
        print("tradeyard: configuration error: TRADEYARD_OWNER_DATABASE_URL is required but not set", file=sys.stderr)
        raise SystemExit(2)
    try:
        user = asyncio.run(ensure_app_role(owner_url, _settings().database_url))
    except ValueError as exc:
        print(f"tradeyard: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(f"database role {user} ready")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m marketplace", description="Tradeyard command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("check-settings", help="validate TRADEYARD_* settings and exit").set_defaults(fn=cmd_check_settings)
    serve = sub.add_parser("serve", help="run the web server (granian)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=int(os.environ.get("TRADEYARD_WEB_WORKERS", "1")))
    serve.set_defaults(fn=cmd_serve)
    sub.add_parser("seed", help="load demo data (idempotent)").set_defaults(fn=cmd_seed)
    demo = sub.add_parser("demo-accounts", help="print the demo sign-ins")
    demo.add_argument("--url", default="http://127.0.0.1:8000")
    demo.set_defaults(fn=cmd_demo_accounts)
    sub.add_parser(
        "ensure-app-role", help="create the database login role the app uses (after migrations)"
    ).set_defaults(fn=cmd_ensure_app_role)
    op = sub.add_parser("create-operator", help="make EMAIL a platform operator (creating the account if needed)")
    op.add_argument("email")
    op.set_defaults(fn=cmd_create_operator)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
