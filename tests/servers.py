"""Real gateway server processes for tests that need true concurrency (races) or process-level faults.

Each server is `python -m uvicorn gateway.app:create_app --factory` on a free local port, configured only
through its environment (`GATEWAY_DATABASE_URL`), exactly as in production. Every wait is bounded, and
`running_servers` always stops what it started, even when startup or the test fails.

    with running_servers(database_url, tmp_path, count=2) as (a, b):
        async with a.client() as client_a, b.client() as client_b:
            status, body = await post_graphql(client_a, QUERY, {...}, token=token)
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parent.parent

#: How long a server may take to answer /health after it was started.
STARTUP_TIMEOUT_S = 60.0
#: How long a server may take to exit after SIGTERM before it is killed.
SHUTDOWN_TIMEOUT_S = 15.0
#: Attempts at starting one server (a freshly picked port can be taken by someone else in between).
START_ATTEMPTS = 3
#: Per-request timeout of `GatewayServer.client()`; generous because racing requests queue on one lock.
REQUEST_TIMEOUT_S = 120.0


class ServerError(RuntimeError):
    """A server did not start or misbehaved; the message carries its log."""


def free_ports(count: int) -> list[int]:
    """`count` distinct ports that were free a moment ago (all held open together, so no duplicates)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def free_port() -> int:
    return free_ports(1)[0]


@dataclass
class GatewayServer:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An async client for this server; use it as `async with server.client() as client`."""
        kwargs.setdefault("timeout", REQUEST_TIMEOUT_S)
        kwargs.setdefault("limits", httpx.Limits(max_connections=200, max_keepalive_connections=50))
        return httpx.AsyncClient(base_url=self.base_url, **kwargs)

    def is_running(self) -> bool:
        return self.process.poll() is None


def _server_env(database_url: str, extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "HOST", "PORT")}
    env.update(
        GATEWAY_DATABASE_URL=database_url,
        GATEWAY_ENV="test",
        PYTHONUNBUFFERED="1",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    env.update(extra or {})
    return env


def _wait_healthy(server: GatewayServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if not server.is_running():
                code = server.process.returncode
                raise ServerError(f"{server.name} exited with {code} before it was healthy:\n{server.log()}")
            try:
                response = client.get(f"{server.base_url}/health")
                if response.status_code == 200 and server.is_running():
                    return
                last_error = ServerError(f"/health answered {response.status_code}")
            except httpx.TransportError as error:
                last_error = error
            time.sleep(0.1)
    raise ServerError(f"{server.name} was not healthy after {timeout}s ({last_error!r}):\n{server.log()}")


def stop_server(server: GatewayServer, timeout: float = SHUTDOWN_TIMEOUT_S) -> None:
    """SIGTERM, then SIGKILL if it has not exited in time. Safe to call twice."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def _launch(
    database_url: str, log_dir: Path, name: str, port: int, attempt: int, env: Mapping[str, str] | None
) -> GatewayServer:
    log_path = log_dir / f"{name}-{attempt}.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "gateway.app:create_app",
        "--factory",
        "--http",  # the gateway's read timeouts and connection limit, as `gateway serve` runs it
        "gateway.http_protocol:GatewayHttpProtocol",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=_server_env(database_url, env), stdout=log, stderr=subprocess.STDOUT
        )
    return GatewayServer(name=name, port=port, process=process, log_path=log_path)


def start_servers(
    database_url: str,
    log_dir: Path,
    *,
    count: int = 1,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> list[GatewayServer]:
    """Start `count` servers at once; return when all answer /health, or stop them all and raise."""
    log_dir.mkdir(parents=True, exist_ok=True)
    names = [f"gateway{index}" for index in range(count)]
    ready: dict[str, GatewayServer] = {}
    started: list[GatewayServer] = []  # everything launched, so that a failure stops it all
    pending = list(names)
    try:
        for attempt in range(START_ATTEMPTS):
            launched: list[GatewayServer] = []
            for name, port in zip(pending, free_ports(len(pending)), strict=True):
                launched.append(_launch(database_url, log_dir, name, port, attempt, env))
                started.append(launched[-1])
            retry: list[str] = []
            failure: ServerError | None = None
            for server in launched:
                try:
                    _wait_healthy(server, startup_timeout)
                    ready[server.name] = server
                except ServerError as error:
                    stop_server(server)
                    if "address already in use" in server.log().lower():
                        retry.append(server.name)
                    else:
                        failure = failure or error
            if failure is not None:
                raise failure
            pending = retry
            if not pending:
                return [ready[name] for name in names]
        raise ServerError(f"could not find a free port for {', '.join(pending)} in {START_ATTEMPTS} attempts")
    except BaseException:
        for server in started:
            stop_server(server)
        raise


def start_server(
    database_url: str,
    log_dir: Path,
    *,
    env: Mapping[str, str] | None = None,
    startup_timeout: float = STARTUP_TIMEOUT_S,
) -> GatewayServer:
    """Start one server and return once it answers /health (or raise `ServerError`)."""
    (server,) = start_servers(database_url, log_dir, count=1, env=env, startup_timeout=startup_timeout)
    return server


@contextmanager
def running_servers(
    database_url: str,
    log_dir: Path,
    *,
    count: int = 2,
    env: Mapping[str, str] | None = None,
) -> Iterator[list[GatewayServer]]:
    """`count` servers sharing one database; all of them are stopped on exit, whatever happened."""
    servers = start_servers(database_url, log_dir, count=count, env=env)
    try:
        yield servers
    finally:
        for server in servers:
            stop_server(server)


async def post_graphql(
    client: httpx.AsyncClient, query: str, variables: Mapping[str, Any] | None = None, *, token: str | None
) -> tuple[int, Any]:
    """POST one operation; return the status code and the decoded body (the text if it is not JSON)."""
    headers = {"X-Auth-Token": token} if token else {}
    response = await client.post("/graphql", json={"query": query, "variables": dict(variables or {})}, headers=headers)
    try:
        body = response.json()
    except ValueError:
        body = response.text
    return response.status_code, body


def seed_demo_store(database_url: str, tokens_file: Path, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """What `scripts/serve` does on a first run: the demo catalog, shipping setup and a storefront and a server
    token, written to `tokens_file` as STOREFRONT_TOKEN= / SERVER_TOKEN= lines (returned as a dict). Seeding
    again gives new tokens, as after `scripts/serve` on a fresh database. `env`: the seeding process's whole
    environment (default: this process's)."""
    result = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "--database-url", database_url]
        + ["seed-demo", "--tokens-file", str(tokens_file)],
        cwd=REPO,
        env=None if env is None else dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())
