"""The `gateway` command: serve, migrate, seed the demo store, manage stores and tokens, export the schema."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from gateway.settings import database_url_from_env, load_settings

T = TypeVar("T")
DEMO_FLOW_URL = "http://127.0.0.1:8000/graphql"
SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def _in_transaction(url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    from gateway.storage.db import create_engine, write_transaction

    async def run() -> T:
        engine = create_engine(url)
        try:
            async with write_transaction(engine) as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    host = args.host or os.environ.get("HOST", "127.0.0.1")
    port = args.port if args.port is not None else int(os.environ.get("PORT", "8000"))
    os.environ["GATEWAY_DATABASE_URL"] = args.database_url
    os.environ["HOST"], os.environ["PORT"] = host, str(port)
    settings = load_settings()
    forwarded_allow_ips = settings.forwarded_allow_ips
    uvicorn.run(
        "gateway.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=args.workers,
        log_level="info",
        # One line per request: uvicorn's access line only when the gateway's JSON request log is off.
        access_log=not settings.request_log,
        # Read timeouts and the connection limit (GATEWAY_HTTP_* and GATEWAY_MAX_CONNECTIONS).
        http="gateway.http_protocol:GatewayHttpProtocol",
        # X-Forwarded-For is believed only from the proxies GATEWAY_FORWARDED_ALLOW_IPS names.
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
    )
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway.storage.migrate import upgrade

    upgrade(args.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _create_tokens(conn: AsyncConnection, store: str) -> Awaitable[tuple[str, str]]:
    from gateway.domain.tokens import TokenKind, create_token

    async def work() -> tuple[str, str]:
        storefront = await create_token(conn, store, TokenKind.STOREFRONT, label="demo storefront")
        server = await create_token(conn, store, TokenKind.SERVER, label="demo server")
        return storefront, server

    return work()


def cmd_seed_demo(args: argparse.Namespace) -> int:
    from gateway.carriers import HttpCarrierTransport, carrier_registry
    from gateway.demo import seed_demo
    from gateway.storage import queries

    # The carriers `gateway serve` would register with these settings: only those may be connected.
    registry = HttpCarrierTransport(carrier_registry(load_settings()))

    async def work(conn: AsyncConnection) -> tuple[str, str] | None:
        store = await queries.store_by_slug(conn, args.store)
        if store is None:
            raise SystemExit(f"no store {args.store!r}: run `gateway migrate` first")
        if args.if_empty and await queries.count_products(conn, store.id) > 0:
            return None
        count = await seed_demo(conn, registry.is_registered, args.store)
        print(f"seeded {count} products into store {args.store!r}")
        return await _create_tokens(conn, args.store)

    tokens = _in_transaction(args.database_url, work)
    if tokens is None:
        print(f"store {args.store!r} already has products; nothing seeded")
        return 0
    storefront, server = tokens
    print(f"storefront token: {storefront}")
    print(f"server token:     {server}")
    if args.tokens_file:
        path = Path(args.tokens_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"STOREFRONT_TOKEN={storefront}\nSERVER_TOKEN={server}\n")
        path.chmod(0o600)
    return 0


def cmd_token_create(args: argparse.Namespace) -> int:
    from gateway.domain.errors import DomainError
    from gateway.domain.tokens import TokenKind, create_token

    scopes = tuple(args.scope) if args.scope else None
    try:
        token = _in_transaction(
            args.database_url,
            lambda conn: create_token(conn, args.store, TokenKind(args.kind), scopes, args.label),
        )
    except (DomainError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created {args.kind} token for store {args.store!r}; it is shown only once:")
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    import json

    from gateway.domain.errors import DomainError
    from gateway.domain.tokens import list_tokens

    try:
        rows = _in_transaction(args.database_url, lambda conn: list_tokens(conn, args.store))
    except DomainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'id':>5}  {'store':<16} {'kind':<11} {'status':<8} label / scopes")
    for row in rows:
        status = "revoked" if row["revoked_at"] else "active"
        scopes = ",".join(row["scopes"]) or "-"
        print(f"{row['id']:>5}  {row['store']:<16} {row['kind']:<11} {status:<8} {row['label'] or ''} [{scopes}]")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    from gateway.domain.errors import DomainError
    from gateway.domain.tokens import revoke_token

    try:
        _in_transaction(args.database_url, lambda conn: revoke_token(conn, args.id))
    except DomainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"revoked token {args.id}; every running gateway refuses it within seconds")
    return 0


def cmd_store_create(args: argparse.Namespace) -> int:
    from gateway.domain.errors import DomainError
    from gateway.domain.stores import create_store

    try:
        store_id = _in_transaction(
            args.database_url, lambda conn: create_store(conn, args.slug, args.name, args.currency)
        )
    except DomainError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"created store {args.slug!r} (id {store_id})")
    return 0


def cmd_export_schema(args: argparse.Namespace) -> int:
    from gateway.api.schema import schema

    text = str(schema) + "\n"
    if args.stdout:
        sys.stdout.write(text)
    else:
        Path(args.path).write_text(text)
        print(f"wrote {args.path}")
    return 0


def cmd_demo_flow(args: argparse.Namespace) -> int:
    from gateway.demo_flow import FlowError, read_tokens_file, run_flow

    tokens = {"storefront": args.storefront_token, "server": args.server_token}
    if not all(tokens.values()):
        try:
            stored = read_tokens_file(Path(args.tokens_file))
        except OSError as error:
            print(f"error: cannot read {args.tokens_file} ({error.strerror}); run scripts/serve first", file=sys.stderr)
            return 2
        tokens["storefront"] = tokens["storefront"] or stored.get("STOREFRONT_TOKEN")
        tokens["server"] = tokens["server"] or stored.get("SERVER_TOKEN")
    absent = [kind for kind, token in tokens.items() if not token]
    if absent:
        print(f"error: no {' or '.join(absent)} token (in {args.tokens_file} or the options)", file=sys.stderr)
        return 2
    try:
        run_flow(args.url, {kind: str(token) for kind, token in tokens.items()})
    except FlowError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("done: the checkout is an order, and the order has shipped")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gateway", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=database_url_from_env(),
        help="SQLAlchemy URL (default: $GATEWAY_DATABASE_URL, $DATABASE_URL, or SQLite in .gateway/)",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve GraphQL (and GraphiQL) over HTTP")
    serve.add_argument("--host", help="bind address (default $HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default $PORT or 8000)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.set_defaults(func=cmd_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--revision", default="head")
    migrate.set_defaults(func=cmd_migrate)

    seed = commands.add_parser("seed-demo", help="fill a store with the demo catalog and print tokens")
    seed.add_argument("--store", default="default")
    seed.add_argument("--if-empty", action="store_true", help="do nothing if the store has products")
    seed.add_argument("--tokens-file", help="also write the new tokens to this file (mode 600)")
    seed.set_defaults(func=cmd_seed_demo)

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(dest="token_command", required=True)
    create = token.add_parser("create", help="create a token; prints it as the last line")
    create.add_argument("--kind", choices=["storefront", "server"], required=True)
    create.add_argument("--store", default="default")
    create.add_argument("--scope", action="append", help="server token scope (repeatable; default: all)")
    create.add_argument("--label", help="what the token is for")
    create.set_defaults(func=cmd_token_create)
    listing = token.add_parser("list", help="list tokens (never their secrets)")
    listing.add_argument("--store", help="only this store")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(func=cmd_token_list)
    revoke = token.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id", type=int)
    revoke.set_defaults(func=cmd_token_revoke)

    store = commands.add_parser("store", help="manage stores").add_subparsers(dest="store_command", required=True)
    store_create = store.add_parser("create", help="create a store")
    store_create.add_argument("slug")
    store_create.add_argument("--name")
    store_create.add_argument("--currency", default="USD")
    store_create.set_defaults(func=cmd_store_create)

    demo_flow = commands.add_parser(
        "demo-flow", help="run the README's example session (gateway/demo_flow.graphql) against a running gateway"
    )
    demo_flow.add_argument("--url", default=DEMO_FLOW_URL, help=f"GraphQL endpoint (default {DEMO_FLOW_URL})")
    demo_flow.add_argument(
        "--tokens-file",
        default=".gateway/demo-tokens",
        help="STOREFRONT_TOKEN= and SERVER_TOKEN= lines, as scripts/serve writes them (default .gateway/demo-tokens)",
    )
    demo_flow.add_argument("--storefront-token", help="instead of the tokens file's STOREFRONT_TOKEN")
    demo_flow.add_argument("--server-token", help="instead of the tokens file's SERVER_TOKEN")
    demo_flow.set_defaults(func=cmd_demo_flow)

    export = commands.add_parser("export-schema", help="rewrite schema.graphql from the running schema")
    export.add_argument("--stdout", action="store_true", help="print instead of writing the file")
    export.add_argument("--path", default=str(SCHEMA_FILE))
    export.set_defaults(func=cmd_export_schema)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
