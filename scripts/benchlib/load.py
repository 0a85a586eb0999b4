"""Load for scripts/bench: `wrk` (compiled, scripts/benchlib/post.lua POSTs the bodies) when it is installed,
else a closed-loop load generator over raw asyncio streams (the fallback: Python on the same cores caps fast
servers, so scripts/bench says when it is used); and process CPU / memory readings from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class RunResult:
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    #: CPU of the local PostgreSQL server's processes over the same window (None: not measured).
    database_cpu_seconds: float | None = None
    peak_rss_mb: float = 0.0

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies) or [0.0]

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

        return {
            "requests": self.requests,
            "errors": self.errors,
            "rps": self.requests / self.seconds if self.seconds else 0.0,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "cpu_ms_per_request": self.cpu_seconds * 1000 / self.requests if self.requests else 0.0,
            "database_cpu_ms_per_request": (
                self.database_cpu_seconds * 1000 / self.requests
                if self.requests and self.database_cpu_seconds is not None
                else None
            ),
            "peak_rss_mb": self.peak_rss_mb,
        }


def _stat(pid: int | str) -> tuple[str, list[str]] | None:
    """(command name, fields after it) from /proc/<pid>/stat, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            head, tail = handle.read().rsplit(")", 1)
        return head.split("(", 1)[1], tail.split()
    except (OSError, IndexError, ValueError):
        return None


def _cpu(fields: list[str]) -> float:
    """User + system CPU seconds (utime, stime)."""
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _pids() -> list[str]:
    return [entry for entry in os.listdir("/proc") if entry.isdigit()]


def process_tree(root: int) -> list[int]:
    """`root` and its descendants (uvicorn --workers forks children)."""
    parents = {int(pid): int(stat[1][1]) for pid in _pids() if (stat := _stat(pid)) is not None}
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def cpu_seconds(pids: list[int]) -> float:
    return sum(_cpu(stat[1]) for pid in pids if (stat := _stat(pid)) is not None)


def postgres_cpu(postmaster: int | None = None) -> dict[int, float]:
    """CPU seconds of every local `postgres` process (server, backends), by pid; with `postmaster`, only that
    server and its children (a private cluster, not the shared server other work uses)."""
    return {
        int(pid): _cpu(stat[1])
        for pid in _pids()
        if (stat := _stat(pid)) is not None
        and stat[0] == "postgres"
        and (postmaster is None or int(pid) == postmaster or int(stat[1][1]) == postmaster)
    }


def peak_rss_mb(pids: list[int]) -> float:
    peak = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peak


def current_rss_mb(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


async def _worker(
    port: int,
    path: str,
    make: Callable[[], tuple[str, dict[str, Any], str]],
    tokens: dict[str, str],
    deadline: float,
    result: RunResult,
    record: bool,
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < deadline:
            query, variables, kind = make()
            body = orjson.dumps({"query": query, "variables": variables})
            head = (
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"X-Auth-Token: {tokens[kind]}\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode()
            started = time.perf_counter()
            writer.write(head + body)
            await writer.drain()
            headers = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in headers.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            payload = await reader.readexactly(length)
            elapsed = time.perf_counter() - started
            if not record:
                continue
            result.requests += 1
            result.latencies.append(elapsed)
            if not headers.startswith(b"HTTP/1.1 200") or b'"errors":[{' in payload:
                result.errors += 1
    finally:
        writer.close()


async def run_load(
    *,
    port: int,
    path: str,
    make: Callable[[], tuple[str, dict[str, Any], str]],
    tokens: dict[str, str],
    concurrency: int,
    duration: float,
    warmup: float,
    server_pid: int,
    database_cpu: bool = False,
    postmaster: int | None = None,
) -> RunResult:
    """`database_cpu`: also measure the local PostgreSQL server's CPU (backends that exit mid-run are missed)."""
    result = RunResult()
    if warmup > 0:
        end = time.perf_counter() + warmup
        await asyncio.gather(*(_worker(port, path, make, tokens, end, result, False) for _ in range(concurrency)))
    pids = process_tree(server_pid)
    cpu_before = cpu_seconds(pids)
    database_before = postgres_cpu(postmaster) if database_cpu else {}
    started = time.perf_counter()
    end = started + duration
    await asyncio.gather(*(_worker(port, path, make, tokens, end, result, True) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = cpu_seconds(pids) - cpu_before
    if database_cpu:
        after = postgres_cpu(postmaster)
        result.database_cpu_seconds = sum(after[pid] - database_before.get(pid, 0.0) for pid in after)
    result.peak_rss_mb = peak_rss_mb(pids)
    return result


LUA = Path(__file__).with_name("post.lua")


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _wrk(port: int, path: str, bodies: Path, token: str, concurrency: int, seconds: float) -> dict[str, Any]:
    threads = max(1, min(2, concurrency))
    cmd = [
        "wrk", "-t", str(threads), "-c", str(concurrency), "-d", f"{max(1.0, seconds):.0f}s", "--timeout", "10s",
        "-s", str(LUA), f"http://127.0.0.1:{port}{path}", "--", str(bodies), token, str(threads),
    ]  # fmt: skip
    completed = subprocess.run(cmd, capture_output=True, text=True)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON ") :])
    raise SystemExit(f"wrk failed ({completed.returncode}):\n{completed.stdout}{completed.stderr}")


def run_wrk(
    *,
    port: int,
    path: str,
    bodies: Sequence[bytes],
    token: str,
    concurrency: int,
    duration: float,
    warmup: float,
    server_pid: int,
    database_cpu: bool = False,
    postmaster: int | None = None,
    measured: Callable[[], Any] | None = None,
    warmup_bodies: Sequence[bytes] | None = None,
) -> tuple[RunResult, dict[str, Any], Any]:
    """One warm-up (over `warmup_bodies` if given) and one measured wrk run over `bodies` (cycled; each thread
    takes every n-th body).
    `measured()` is called right before and right after the measured run (e.g. statement counters); returns
    (result, wrk's numbers, (before, after) of `measured`)."""

    def write(payloads: Sequence[bytes]) -> Path:
        with tempfile.NamedTemporaryFile("wb", suffix=".bodies", delete=False) as handle:
            handle.write(b"\n".join(payloads) + b"\n")
        return Path(handle.name)

    file = write(bodies)
    warm_file = write(warmup_bodies) if warmup_bodies else file
    try:
        if warmup > 0:
            _wrk(port, path, warm_file, token, concurrency, warmup)
        pids = process_tree(server_pid)
        before_mark = measured() if measured else None
        cpu_before = cpu_seconds(pids)
        database_before = postgres_cpu(postmaster) if database_cpu else {}
        numbers = _wrk(port, path, file, token, concurrency, duration)
        cpu_after = cpu_seconds(pids)
        database_after = postgres_cpu(postmaster) if database_cpu else {}
        after_mark = measured() if measured else None
    finally:
        file.unlink(missing_ok=True)
        warm_file.unlink(missing_ok=True)
    result = RunResult()
    result.requests = numbers["requests"]
    result.seconds = numbers["duration_us"] / 1e6
    errors = sum(numbers[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts", "non_2xx"))
    result.errors = errors + numbers["graphql_errors"]
    result.cpu_seconds = cpu_after - cpu_before
    if database_cpu:
        result.database_cpu_seconds = sum(database_after[pid] - database_before.get(pid, 0.0) for pid in database_after)
    result.peak_rss_mb = peak_rss_mb(pids)
    return result, numbers, (before_mark, after_mark)
