"""scripts/bench: seed a data set, start the gateway, PostGraphile v5 (`--vs postgraphile`) and the no-GraphQL
floor, check that they answer the same (floor byte-identical, PostGraphile same values), then drive each with
`wrk` in alternating rounds (gateway, PostGraphile, floor; --rounds of them) and report per server: req/s,
server CPU ms/request, database CPU ms/request (--database-cpu), SQL statements per request counted by
PostgreSQL's pg_stat_statements (on a private throwaway cluster by default) next to the gateway's own count,
p50/p99, and the per-round ratios gateway/PostGraphile and gateway/floor with their spread (min-max).
Writes results.json and chart.png to --out."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

import httpx  # noqa: E402
import orjson  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from benchlib import checks, cluster, dataset, load, operations, postgraphile_ops  # noqa: E402
from gateway.app import create_app  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from gateway.storage import models as m  # noqa: E402
from gateway.storage.db import create_engine, normalise_url  # noqa: E402
from gateway.storage.migrate import upgrade  # noqa: E402

READS = ("checkout_page", "order_history")
POSTGRAPHILE_DIR = REPO / "scripts" / "benchlib" / "postgraphile"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument(
        "--database-url",
        default=None,
        help="SQLite file or PostgreSQL database (recreated!); default: a private PostgreSQL cluster "
        "(see --private-cluster), or SQLite .gateway/bench.db where PostgreSQL is not installed",
    )
    parser.add_argument(
        "--private-cluster",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run on a throwaway PostgreSQL cluster (initdb, pg_stat_statements preloaded, removed afterwards) "
        "so PostgreSQL counts the SQL statements; default on when no --database-url is given",
    )
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds (gateway, PostGraphile, floor)")
    parser.add_argument(
        "--load",
        choices=["auto", "wrk", "python"],
        default="auto",
        help="load generator: wrk (compiled; default when installed) or the Python fallback",
    )
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--checkouts", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=1, help="gateway worker processes")
    parser.add_argument("--concurrency", default="16", help="comma-separated list, e.g. 1,4,16")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--operations", default="checkout_page,order_history,consignment_writes,create_shipment")
    parser.add_argument("--no-floor", action="store_true", help="skip the no-GraphQL floor")
    parser.add_argument(
        "--vs",
        choices=["postgraphile"],
        help="also measure PostGraphile v5 on the read operations (PostgreSQL and node only)",
    )
    parser.add_argument(
        "--database-cpu",
        action="store_true",
        help="also measure the local PostgreSQL server's CPU per request (same machine only)",
    )
    parser.add_argument("--soak", type=float, default=0.0, help="seconds of order-history load sampling memory")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="reuse an already seeded database (createShipment then re-ships units: seed afresh for it)",
    )
    parser.add_argument("--out", default=str(REPO / "bench-results"))
    return parser.parse_args()


async def recreate_database(url: str) -> None:
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{parsed.database}{suffix}").unlink(missing_ok=True)
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        await conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    await admin.dispose()


async def prepare(args: argparse.Namespace) -> dict[str, Any]:
    state_file = Path(args.out) / "dataset.json"
    if args.reuse and state_file.exists():
        return json.loads(state_file.read_text())
    await recreate_database(args.database_url)
    await asyncio.to_thread(upgrade, args.database_url)
    engine = create_engine(args.database_url)
    started = time.perf_counter()
    data = await dataset.seed(engine, orders=args.orders, checkouts=args.checkouts)
    # Planner statistics for the freshly seeded tables, as autovacuum would gather them in a real deployment
    # (it may be off, or not have run yet): without them PostgreSQL plans every query for empty tables.
    async with engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))
    half = set(data["checkout_ids"][len(data["checkout_ids"]) // 2 :])
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(m.consignment.c.checkout_id, m.consignment.c.id))).all()
    data["write_targets"] = [(row[0], row[1]) for row in rows if row[0] in half]
    data["seed_seconds"] = time.perf_counter() - started
    await engine.dispose()
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(data))
    return data


async def statements_per_request(url: str, data: dict[str, Any], names: list[str], shipments: Any) -> dict[str, int]:
    """Run one request of each operation in-process and count the SQL statements it sends."""
    engine = create_engine(url)
    app = create_app(Settings(database_url=url, host="127.0.0.1", port=0, environment="bench"), engine=engine)
    counts: dict[str, int] = {}
    seen: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    factories = operations.request_factories(data, seed=99, shipments=shipments)
    tokens = {"storefront": data["storefront_token"], "server": data["server_token"]}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for kind in tokens.values():
            await client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Auth-Token": kind})
        for name in names:
            query, variables, kind = factories[name]()
            seen.clear()
            await client.post(
                "/graphql", json={"query": query, "variables": variables}, headers={"X-Auth-Token": tokens[kind]}
            )
            counts[name] = len(seen)
    await engine.dispose()
    return counts


def start(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    process = subprocess.Popen(cmd, env=env, stdout=handle, stderr=subprocess.STDOUT, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited early; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code in (200, 404):
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"server did not start; see {log}")


def start_postgraphile(url: str, out: Path) -> tuple[subprocess.Popen[bytes], int] | None:
    """PostGraphile v5 (scripts/benchlib/postgraphile) over the bench database, or None, saying why, where it
    cannot run. `node` is started directly (no npm wrapper), so there is no child process to leave behind."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql":
        print("  --vs postgraphile: skipped, PostGraphile needs PostgreSQL (pass --database-url postgresql://...)")
        return None
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("  --vs postgraphile: skipped, node and npm are not on PATH")
        return None
    if not (POSTGRAPHILE_DIR / "node_modules").is_dir():
        print(f"  installing PostGraphile: npm ci in {POSTGRAPHILE_DIR.relative_to(REPO)}")
        npm_ci = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        if subprocess.run(npm_ci, cwd=POSTGRAPHILE_DIR).returncode:
            raise SystemExit(f"npm ci failed in {POSTGRAPHILE_DIR}")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": parsed.set(drivername="postgresql").render_as_string(hide_password=False),
        "PORT": str(port),
        "POOL_SIZE": "20",
        "GRAPHILE_ENV": "production",
        "NODE_ENV": "production",
    }
    return start(["node", str(POSTGRAPHILE_DIR / "server.mjs")], env, port, out / "postgraphile.log"), port


def libpq_url(url: str) -> str:
    return make_url(normalise_url(url)).set(drivername="postgresql").render_as_string(hide_password=False)


def _psql(url: str, sql: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["psql", libpq_url(url), "-XAtqc", sql], capture_output=True, text=True)


def statement_counter(url: str) -> Any:
    """A callable returning the calls PostgreSQL's pg_stat_statements has counted in the bench database (every
    statement, BEGIN/ROLLBACK included), or None where the extension is not preloaded (say so)."""
    if make_url(normalise_url(url)).get_backend_name() != "postgresql" or shutil.which("psql") is None:
        return None
    probe = _psql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements; SELECT count(*) FROM pg_stat_statements")
    if probe.returncode:
        print(
            "  statements on the wire: not counted, pg_stat_statements is not loaded in this server "
            "(use --private-cluster): " + probe.stderr.strip().splitlines()[-1]
        )
        return None
    query = (
        "SELECT s.calls, CASE WHEN s.toplevel THEN '' ELSE 'nested: ' END "
        "|| regexp_replace(left(s.query, 120), '\\s+', ' ', 'g') FROM pg_stat_statements s "
        "JOIN pg_database d ON d.oid = s.dbid "
        "WHERE d.datname = current_database() AND s.query NOT LIKE '%pg_stat_statements%'"
    )

    def count() -> dict[str, int]:
        """Calls by statement (its first 120 characters)."""
        completed = subprocess.run(
            ["psql", libpq_url(url), "-XAtq", "-F", "\t", "-c", query], capture_output=True, text=True
        )
        if completed.returncode:
            raise SystemExit(f"reading pg_stat_statements failed: {completed.stderr}")
        calls: dict[str, int] = {}
        for line in completed.stdout.splitlines():
            number, _, text = line.partition("\t")
            calls[text] = calls.get(text, 0) + int(number)
        return calls

    return count


NESTED = "nested: "  # statements run inside another one (foreign-key checks), not sent by the client


def statements_delta(
    before: dict[str, int], after: dict[str, int], requests: int
) -> tuple[float, float, dict[str, float]]:
    """(statements the client sent per request, nested statements per request (foreign-key checks), the most
    frequent statements per request)."""
    delta = {text: calls - before.get(text, 0) for text, calls in after.items()}
    delta = {text: calls for text, calls in delta.items() if calls > 0}
    top = sorted(delta.items(), key=lambda item: -item[1])[:16]
    wire = sum(calls for text, calls in delta.items() if not text.startswith(NESTED))
    nested = sum(calls for text, calls in delta.items() if text.startswith(NESTED))
    return wire / requests, nested / requests, {text: round(calls / requests, 2) for text, calls in top}


def bodies(make: Any, count: int) -> tuple[list[bytes], str]:
    """`count` request bodies from a request factory, and the kind of token they go with."""
    out, kind = [], "storefront"
    for _ in range(max(1, count)):
        query, variables, kind = make()
        out.append(orjson.dumps({"query": query, "variables": variables}))
    return out, kind


async def measure_one(
    args: argparse.Namespace,
    context: dict[str, Any],
    name: str,
    level: int,
    server: str,
    port: int,
    path: str,
    make: Any,
    body_list: tuple[list[bytes], str, list[bytes] | None] | None,
    pid: int,
) -> dict[str, Any]:
    """One measured run (after its warm-up) of one server: wrk over `body_list`, or the Python fallback over
    `make`. Adds statements on the wire per request when PostgreSQL counts them."""
    counter = context["counter"]
    if context["load"] == "wrk":
        assert body_list is not None
        payloads, kind, warm_bodies = body_list
        run, numbers, (before, after) = await asyncio.to_thread(
            functools.partial(
                load.run_wrk,
                port=port,
                path=path,
                bodies=payloads,
                token=context["tokens"][kind],
                concurrency=level,
                duration=args.duration,
                warmup=args.warmup,
                server_pid=pid,
                database_cpu=args.database_cpu,
                postmaster=context["postmaster"],
                measured=counter,
                warmup_bodies=warm_bodies,
            )
        )
        summary = run.summary()
        summary.update(p50_ms=numbers["p50_us"] / 1000, p99_ms=numbers["p99_us"] / 1000)
        summary.pop("p95_ms", None)
        summary.update(non_2xx=numbers["non_2xx"], graphql_errors=numbers["graphql_errors"])
    else:
        if args.warmup > 0:  # warm up apart, so that the statement counts cover the measured run only
            await load.run_load(
                port=port,
                path=path,
                make=make,
                tokens=context["tokens"],
                concurrency=level,
                duration=args.warmup,
                warmup=0,
                server_pid=pid,
            )
        before = counter() if counter else None
        run = await load.run_load(
            port=port,
            path=path,
            make=make,
            tokens=context["tokens"],
            concurrency=level,
            duration=args.duration,
            warmup=0,
            server_pid=pid,
            database_cpu=args.database_cpu,
            postmaster=context["postmaster"],
        )
        after = counter() if counter else None
        summary = run.summary()
    row = {"server": server, "operation": name, "concurrency": level, "load": context["load"], **summary}
    if counter and run.requests:
        wire, nested, by_text = statements_delta(before, after, run.requests)
        row.update(statements_on_the_wire=wire, nested_statements=nested, statements_by_text=by_text)
        row["statement_calls"] = sum(after.values()) - sum(before.values())
    return row


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chart(results: list[dict[str, Any]], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    series: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        series.setdefault(f"{row['server']}:{row['operation']}", []).append(row)
    for label, rows in sorted(series.items()):
        rows.sort(key=lambda r: r["concurrency"])
        xs = [r["concurrency"] for r in rows]
        left.plot(xs, [r["rps"] for r in rows], marker="o", label=label)
        right.plot(xs, [r["p99_ms"] for r in rows], marker="o", label=label)
    left.set(title="throughput", xlabel="concurrency", ylabel="requests/s")
    right.set(title="p99 latency", xlabel="concurrency", ylabel="ms")
    left.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    return True


def spread(values: list[float]) -> dict[str, float] | None:
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    return {"min": values[0], "median": statistics.median(values), "max": values[-1]}


def combine(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The median of each figure over a server's rounds."""
    out = {key: rows[0][key] for key in ("server", "operation", "concurrency", "load")}
    for key in (
        "rps",
        "p50_ms",
        "p99_ms",
        "cpu_ms_per_request",
        "database_cpu_ms_per_request",
        "statements_on_the_wire",
        "nested_statements",
        "peak_rss_mb",
    ):
        values = [row.get(key) for row in rows if row.get(key) is not None]
        out[key] = statistics.median(values) if values else None
    out["requests"] = sum(row["requests"] for row in rows)
    out["errors"] = sum(row["errors"] for row in rows)
    out["rounds"] = rows
    return out


def fmt(value: Any, spec: str) -> str:
    return "-" if value is None else format(value, spec)


HEADER = (
    f"  {'':<14} {'req/s':>8} {'cpu ms/req':>10} {'db ms/req':>9} {'sql/req':>7} {'+fk':>4} {'own':>4} "
    f"{'p50 ms':>7} {'p99 ms':>7} {'errors':>6}"
)


def describe(row: dict[str, Any]) -> str:
    return (
        f"  {row['server']:<14} {row['rps']:8.1f} {row['cpu_ms_per_request']:10.2f} "
        f"{fmt(row['database_cpu_ms_per_request'], '9.2f')} {fmt(row['statements_on_the_wire'], '7.1f')} "
        f"{fmt(row['nested_statements'], '4.1f')} "
        f"{fmt(row.get('sql_statements'), '>4')} {row['p50_ms']:7.2f} {row['p99_ms']:7.2f} {row['errors']:6d}"
    )


def ratio_line(label: str, ratios: dict[str, dict[str, float] | None]) -> str:
    parts = [
        f"{what} x{r['median']:.2f} ({r['min']:.2f}-{r['max']:.2f})" for what, r in ratios.items() if r is not None
    ]
    return f"  gateway/{label:<12} " + "  ".join(parts)


def round_ratios(gateway: list[dict[str, Any]], other: list[dict[str, Any]]) -> dict[str, dict[str, float] | None]:
    """Per-round ratios (round i of the gateway against round i of the other server) and their spread."""

    def per_round(key: str, total: bool = False) -> list[float]:
        out = []
        for mine, theirs in zip(gateway, other, strict=False):
            a, b = mine.get(key), theirs.get(key)
            if total:
                db_a, db_b = mine.get("database_cpu_ms_per_request"), theirs.get("database_cpu_ms_per_request")
                if db_a is None or db_b is None:
                    continue
                a, b = a + db_a, b + db_b
            if a is not None and b:
                out.append(a / b)
        return out

    return {
        "req/s": spread(per_round("rps")),
        "cpu": spread(per_round("cpu_ms_per_request")),
        "cpu+db": spread(per_round("cpu_ms_per_request", total=True)),
    }


async def main() -> None:
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [name.strip() for name in args.operations.split(",") if name.strip()]
    levels = [int(level) for level in args.concurrency.split(",")]
    private = args.private_cluster if args.private_cluster is not None else args.database_url is None
    cluster_handle = None
    if private and cluster.available():
        cluster_handle = cluster.PrivateCluster().start()
        args.database_url = cluster_handle.url
        print(f"private PostgreSQL cluster on port {cluster_handle.port} ({cluster_handle.seconds:.1f}s to start)")
    elif private and args.private_cluster:
        raise SystemExit("--private-cluster: initdb/pg_ctl not found")
    if args.database_url is None:
        args.database_url = f"sqlite:///{REPO}/.gateway/bench.db"
    try:
        await run(args, out, names, levels, cluster_handle)
    finally:
        if cluster_handle is not None:
            cluster_handle.stop()


async def run(args: argparse.Namespace, out: Path, names: list[str], levels: list[int], cluster_handle: Any) -> None:
    where = make_url(normalise_url(args.database_url)).render_as_string()
    print(f"seeding {args.orders} orders and {args.checkouts} checkouts into {where}")
    data = await prepare(args)
    print(f"  data set: {data['counts']}, seeded in {data.get('seed_seconds', 0):.1f}s")
    shipments = iter(data["unshipped"])  # one walk through the unshipped units for the whole run
    sql = await statements_per_request(args.database_url, data, names, shipments)
    tokens = {"storefront": data["storefront_token"], "server": data["server_token"]}
    load_kind = args.load
    if load_kind in ("auto", "wrk"):
        if load.wrk_path() is not None:
            load_kind = "wrk"
        elif load_kind == "wrk":
            raise SystemExit("--load wrk: wrk is not on PATH (apt-get install wrk)")
        else:
            load_kind = "python"
    if load_kind == "python":
        print(
            "  LOAD: the Python fallback load generator"
            + (" (wrk is not installed)" if args.load == "auto" else " (--load python)")
            + ": it shares the cores with the servers and caps fast ones; install wrk for comparable numbers"
        )
    else:
        print(
            "  load: wrk " + subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("[")[0].strip()
        )
    context = {
        "tokens": tokens,
        "load": load_kind,
        "counter": statement_counter(args.database_url),
        "postmaster": cluster_handle.postmaster_pid() if cluster_handle is not None else None,
    }
    print(
        "  columns: cpu = server process CPU per request; db = PostgreSQL CPU per request (--database-cpu); "
        "sql/req = statements PostgreSQL counted (pg_stat_statements, BEGIN/ROLLBACK included; it does not see "
        "an empty statement such as the pool pre-ping's `;`) per request; +fk = statements they ran inside "
        "(foreign-key checks); "
        "own = the gateway's own count; ratios: per round, median (min-max)"
    )
    if args.database_cpu and cluster_handle is None:
        print("  database CPU: every local `postgres` process counts (the shared server's other clients too)")

    env = {
        **os.environ,
        "GATEWAY_DATABASE_URL": args.database_url,
        "GATEWAY_ENV": "production",
        "GATEWAY_DB_POOL_SIZE": "20",
        "PYTHONPATH": f"{REPO}:{REPO / 'scripts'}",
    }
    gateway_port, floor_port = free_port(), free_port()
    python = sys.executable
    # Started first, so that a failed install or start leaves nothing running; idle while the others are measured.
    postgraphile = start_postgraphile(args.database_url, out) if args.vs and set(names) & set(READS) else None
    gateway = floor = None
    results: list[dict[str, Any]] = []
    comparisons: list[dict[str, Any]] = []
    try:
        gateway = start(
            [
                python,
                "-m",
                "uvicorn",
                "gateway.app:create_app",
                "--factory",
                "--port",
                str(gateway_port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
            gateway_port,
            out / "gateway.log",
        )
        if not args.no_floor and set(names) & set(READS):
            floor = start(
                [
                    python,
                    "-m",
                    "uvicorn",
                    "benchlib.floor:create_app",
                    "--factory",
                    "--port",
                    str(floor_port),
                    "--log-level",
                    "warning",
                    "--no-access-log",
                ],
                env,
                floor_port,
                out / "floor.log",
            )
        await checks.verify(
            data,
            [n for n in names if n in READS],
            tokens,
            gateway_port,
            floor_port if floor is not None else None,
            postgraphile[1] if postgraphile is not None else None,
        )
        units = list(shipments)  # createShipment: each run (and warm-up) ships its own units
        python_units = iter(units)  # the Python fallback walks them once for the whole run
        # Split the unshipped units between the runs, each run's share between its warm-up and its measured part
        # in proportion to their durations; a run that ships them all cycles (the gateway refuses a re-ship,
        # counted as errors: seed more --orders).
        per_run = len(units) // max(1, args.rounds * len(levels))
        warm_share = int(per_run * args.warmup / (args.warmup + args.duration)) if args.warmup > 0 else 0
        chunks = iter(
            part
            for i in range(args.rounds * len(levels))
            for part in (
                units[i * per_run : i * per_run + warm_share],
                units[i * per_run + warm_share : (i + 1) * per_run],
            )
        )
        for name in names:
            for level in levels:
                servers: list[tuple[str, int, str, Any, Any, int]] = []
                gw_make = operations.request_factories(data, seed=level, shipments=python_units)[name]
                servers.append(("gateway", gateway_port, "/graphql", gw_make, None, gateway.pid))
                if postgraphile is not None and name in READS:
                    pg_make = postgraphile_ops.request_factories(data)[name]
                    servers.append(("postgraphile", postgraphile[1], "/graphql", pg_make, None, postgraphile[0].pid))
                if floor is not None and name in READS:
                    fl_make = operations.request_factories(data, seed=level)[name]
                    servers.append(("floor", floor_port, f"/{name}", fl_make, None, floor.pid))
                count = {"checkout_page": len(data["checkout_ids"]) // 2, "order_history": 1}.get(
                    name, len(data["write_targets"])
                )
                rounds: dict[str, list[dict[str, Any]]] = {server[0]: [] for server in servers}
                for number in range(args.rounds):
                    for server, port, path, make, _, pid in servers:
                        body_list = None
                        if load_kind == "wrk":
                            if name == "create_shipment":  # wrk sends the warm-up's bodies, then the measured run's
                                warm, measured_units = next(chunks, []), next(chunks, [])
                                measured_units = measured_units or units[-1:]  # none left: refused re-ships
                                make = operations.request_factories(
                                    data, seed=level, shipments=iter(warm + measured_units)
                                )[name]
                                warm_bodies = bodies(make, len(warm))[0] if warm else None
                                payloads, kind = bodies(make, len(measured_units))
                                body_list = (payloads, kind, warm_bodies)
                            else:
                                payloads, kind = bodies(make, count)
                                body_list = (payloads, kind, None)
                        row = await measure_one(args, context, name, level, server, port, path, make, body_list, pid)
                        row["round"] = number + 1
                        rounds[server].append(row)
                combined = {server: combine(rows) for server, rows in rounds.items()}
                combined["gateway"]["sql_statements"] = sql.get(name)
                print(f"{name} c={level} ({args.rounds} alternating rounds, medians; load: {load_kind})")
                print(HEADER)
                for server in ("gateway", "postgraphile", "floor"):
                    if server in combined:
                        print(describe(combined[server]))
                if name == "create_shipment" and combined["gateway"]["errors"]:
                    print(
                        "  (errors: the runs shipped every unshipped unit and re-ships are refused; seed more --orders)"
                    )
                for other in ("postgraphile", "floor"):
                    if other in rounds:
                        ratios = round_ratios(rounds["gateway"], rounds[other])
                        print(ratio_line(other, ratios))
                        comparisons.append({"operation": name, "concurrency": level, "versus": other, "ratios": ratios})
                results += list(combined.values())
        soak: list[dict[str, float]] = []
        if args.soak > 0:
            pids = load.process_tree(gateway.pid)
            factories = operations.request_factories(data, seed=1)
            end = time.monotonic() + args.soak
            while time.monotonic() < end:
                await load.run_load(
                    port=gateway_port,
                    path="/graphql",
                    make=factories["order_history"],
                    tokens=tokens,
                    concurrency=16,
                    duration=min(10.0, args.soak),
                    warmup=0,
                    server_pid=gateway.pid,
                )
                soak.append({"t": args.soak - (end - time.monotonic()), "rss_mb": load.current_rss_mb(pids)})
                print(f"  soak t={soak[-1]['t']:.0f}s rss {soak[-1]['rss_mb']:.1f} MB")
    finally:
        for process in (gateway, floor, postgraphile[0] if postgraphile else None):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(timeout=20)
    report = {
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "database": make_url(normalise_url(args.database_url)).get_backend_name(),
        "private_cluster": cluster_handle is not None,
        "load_generator": load_kind,
        "workers": args.workers,
        "rounds": args.rounds,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "data": data["counts"],
        "columns": {
            "cpu_ms_per_request": "server process CPU time delta / requests over a measured round",
            "database_cpu_ms_per_request": "PostgreSQL processes' CPU delta / requests (--database-cpu)",
            "statements_on_the_wire": "pg_stat_statements calls delta of top-level statements (BEGIN/ROLLBACK"
            " included; empty statements such as a pre-ping's `;` are not tracked) / requests",
            "nested_statements": "pg_stat_statements calls delta of nested statements (foreign-key checks) / requests",
            "sql_statements": "the gateway's own count (SQLAlchemy cursor hook), one in-process request",
        },
        "results": results,
        "comparisons": comparisons,
        "soak": soak,
    }
    (out / "results.json").write_text(json.dumps(report, indent=2, default=str))
    drew = chart(results, out / "chart.png")
    print(
        f"wrote {out / 'results.json'}"
        + (f" and {out / 'chart.png'}" if drew else " (install matplotlib for the chart)")
    )


if __name__ == "__main__":
    asyncio.run(main())
