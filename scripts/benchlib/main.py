"""scripts/bench: seed a data set, start the gateway and the no-GraphQL floor, drive closed-loop load,
and report req/s, latency percentiles, server CPU per request, SQL statements per request, peak memory
and the ratio to the floor. `--vs postgraphile` also measures PostGraphile v5 on the read operations.
Writes results.json and chart.png to --out."""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "scripts")]

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlalchemy.pool import NullPool  # noqa: E402

from benchlib import dataset, load, operations, postgraphile_ops  # noqa: E402
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
        default=f"sqlite:///{REPO}/.gateway/bench.db",
        help="SQLite file or PostgreSQL database (recreated!)",
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


async def measure_one(
    args: argparse.Namespace,
    tokens: dict[str, str],
    name: str,
    level: int,
    server: str,
    port: int,
    path: str,
    make: Any,
    pid: int,
) -> dict[str, Any]:
    run = await load.run_load(
        port=port,
        path=path,
        make=make,
        tokens=tokens,
        concurrency=level,
        duration=args.duration,
        warmup=args.warmup,
        server_pid=pid,
        database_cpu=args.database_cpu,
    )
    return {"server": server, "operation": name, "concurrency": level, **run.summary()}


def describe(label: str, row: dict[str, Any]) -> str:
    database = row.get("database_cpu_ms_per_request")
    return (
        f"  {label:<20} c={row['concurrency']:<3} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:6.2f} ms  "
        f"p99 {row['p99_ms']:7.2f} ms  cpu {row['cpu_ms_per_request']:6.2f} ms/req"
        + (f" +db {database:5.2f}" if database is not None else "")
        + f"  sql {row.get('sql_statements') or '-'}  errors {row['errors']}"
    )


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


async def main() -> None:
    args = parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    names = [name.strip() for name in args.operations.split(",") if name.strip()]
    levels = [int(level) for level in args.concurrency.split(",")]
    where = make_url(normalise_url(args.database_url)).render_as_string()
    print(f"seeding {args.orders} orders and {args.checkouts} checkouts into {where}")
    data = await prepare(args)
    print(f"  data set: {data['counts']}, seeded in {data.get('seed_seconds', 0):.1f}s")
    shipments = iter(data["unshipped"])  # one walk through the unshipped units for the whole run
    sql = await statements_per_request(args.database_url, data, names, shipments)
    tokens = {"storefront": data["storefront_token"], "server": data["server_token"]}

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
        if not args.no_floor:
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
        for name in names:
            for level in levels:
                measure = functools.partial(measure_one, args, tokens, name, level)
                make = operations.request_factories(data, seed=level, shipments=shipments)[name]
                row = await measure("gateway", gateway_port, "/graphql", make, gateway.pid)
                row["sql_statements"] = sql.get(name)
                floor_row = postgraphile_row = None
                if floor is not None and name in READS:
                    make = operations.request_factories(data, seed=level)[name]
                    floor_row = await measure("floor", floor_port, f"/{name}", make, floor.pid)
                if postgraphile is not None and name in READS:
                    make, (pg_process, pg_port) = postgraphile_ops.request_factories(data)[name], postgraphile
                    postgraphile_row = await measure("postgraphile", pg_port, "/graphql", make, pg_process.pid)
                compared = [other for other in (floor_row, postgraphile_row) if other is not None]
                for other in compared:  # throughput_vs_floor, cpu_vs_floor, ..._vs_postgraphile
                    rps, cpu = other["rps"], other["cpu_ms_per_request"]
                    row[f"throughput_vs_{other['server']}"] = row["rps"] / rps if rps else None
                    row[f"cpu_vs_{other['server']}"] = row["cpu_ms_per_request"] / cpu if cpu else None
                    if row.get("database_cpu_ms_per_request") is not None:  # gateway + database vs theirs
                        total = other["cpu_ms_per_request"] + other["database_cpu_ms_per_request"]
                        own = row["cpu_ms_per_request"] + row["database_cpu_ms_per_request"]
                        row[f"total_cpu_vs_{other['server']}"] = own / total if total else None
                results += [result for result in (floor_row, row, postgraphile_row) if result is not None]
                ratios = [
                    f"  cpu x{row[f'cpu_vs_{other}']:.2f} {other}"
                    for other in ("floor", "postgraphile")
                    if row.get(f"cpu_vs_{other}")
                ]
                ratios += [
                    f"  cpu+db x{row[f'total_cpu_vs_{other}']:.2f} {other}"
                    for other in ("floor", "postgraphile")
                    if row.get(f"total_cpu_vs_{other}")
                ]
                print(describe(name, row) + "".join(ratios))
                for other in compared:
                    print(describe(f"  {other['server']}", other))
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
        "workers": args.workers,
        "duration_s": args.duration,
        "data": data["counts"],
        "results": results,
        "soak": soak,
    }
    (out / "results.json").write_text(json.dumps(report, indent=2))
    drew = chart(results, out / "chart.png")
    print(
        f"wrote {out / 'results.json'}"
        + (f" and {out / 'chart.png'}" if drew else " (install matplotlib for the chart)")
    )


if __name__ == "__main__":
    asyncio.run(main())
