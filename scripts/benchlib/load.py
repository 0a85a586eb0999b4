"""A closed-loop HTTP load generator over raw asyncio streams (keep-alive, no client library overhead),
and process CPU / memory readings from /proc."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
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


def postgres_cpu() -> dict[int, float]:
    """CPU seconds of every local `postgres` process (server, backends), by pid."""
    return {int(pid): _cpu(stat[1]) for pid in _pids() if (stat := _stat(pid)) is not None and stat[0] == "postgres"}


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
) -> RunResult:
    """`database_cpu`: also measure the local PostgreSQL server's CPU (backends that exit mid-run are missed)."""
    result = RunResult()
    if warmup > 0:
        end = time.perf_counter() + warmup
        await asyncio.gather(*(_worker(port, path, make, tokens, end, result, False) for _ in range(concurrency)))
    pids = process_tree(server_pid)
    cpu_before = cpu_seconds(pids)
    database_before = postgres_cpu() if database_cpu else {}
    started = time.perf_counter()
    end = started + duration
    await asyncio.gather(*(_worker(port, path, make, tokens, end, result, True) for _ in range(concurrency)))
    result.seconds = time.perf_counter() - started
    result.cpu_seconds = cpu_seconds(pids) - cpu_before
    if database_cpu:
        after = postgres_cpu()
        result.database_cpu_seconds = sum(after[pid] - database_before.get(pid, 0.0) for pid in after)
    result.peak_rss_mb = peak_rss_mb(pids)
    return result
