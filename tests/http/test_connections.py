"""Client connections are bounded, against a real uvicorn process (tests/servers.py).

Half-open connections (nothing sent, half a request line, headers without their body) are closed by the
server within the configured read timeouts while a normal request still succeeds; a request that arrives while
the process holds more than GATEWAY_MAX_CONNECTIONS connections is refused with a GraphQL JSON 503 and
`Retry-After`, and served again once the connections are gone.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.servers import GatewayServer, start_server, stop_server

#: Configured read timeouts of the server under test.
HEADER_TIMEOUT_S = 1.0
BODY_TIMEOUT_S = 1.0
#: How long a test waits for the server to close a socket: generous, so a slow machine never flakes;
#: without the timeouts the server never closes them at all.
CLOSE_WITHIN_S = 20.0
SILENT = 100
PARTIAL_LINE = 100
PARTIAL_BODY = 20


@contextmanager
def gateway(database_url: str, tmp_path: Path, **env: str) -> Iterator[GatewayServer]:
    server = start_server(database_url, tmp_path / "logs", env=env)
    try:
        yield server
    finally:
        stop_server(server)


def open_sockets(port: int, count: int, payload: bytes) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if payload:
            sock.sendall(payload)
        sockets.append(sock)
    return sockets


def closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """True once the server has closed `sock` (EOF or reset); False if it is still open at `deadline`."""
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        while True:
            data = sock.recv(65536)
            if data == b"":
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    finally:
        sock.close()


def health(server: GatewayServer) -> httpx.Response:
    return httpx.get(f"{server.base_url}/health", timeout=10)


def test_half_open_connections_are_closed_while_requests_are_served(database_url, tmp_path):
    env = {"GATEWAY_HTTP_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S), "GATEWAY_HTTP_BODY_TIMEOUT_S": str(BODY_TIMEOUT_S)}
    with gateway(database_url, tmp_path, **env) as server:
        held = (
            open_sockets(server.port, SILENT, b"")
            + open_sockets(server.port, PARTIAL_LINE, b"POST /gra")
            + open_sockets(
                server.port,
                PARTIAL_BODY,
                b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
            )
        )
        assert health(server).status_code == 200  # served while every half-open socket is held

        deadline = time.monotonic() + CLOSE_WITHIN_S
        still_open = sum(not closed_by_server(sock, deadline) for sock in held)
        assert still_open == 0, f"{still_open} of {len(held)} half-open connections were still held"
        assert health(server).status_code == 200
        assert server.is_running()


def test_idle_keep_alive_connections_are_closed(database_url, tmp_path):
    with gateway(database_url, tmp_path, GATEWAY_HTTP_KEEPALIVE_S="1") as server:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = sock.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        # Then half of a second request: uvicorn alone cancels its keep-alive timer on the first byte.
        sock.sendall(b"GET /hea")
        assert closed_by_server(sock, time.monotonic() + CLOSE_WITHIN_S)


def test_requests_over_the_connection_limit_get_a_graphql_503(database_url, tmp_path):
    env = {"GATEWAY_MAX_CONNECTIONS": "20", "GATEWAY_HTTP_HEADER_TIMEOUT_S": "60"}
    with gateway(database_url, tmp_path, **env) as server:
        held = open_sockets(server.port, 25, b"")
        try:
            refused = httpx.post(
                f"{server.base_url}/graphql",
                json={"query": "{ __typename }"},
                headers={"X-Request-Id": "over-the-limit"},
                timeout=10,
            )
        finally:
            for sock in held:
                sock.close()
        assert refused.status_code == 503
        assert refused.headers["content-type"] == "application/json"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-request-id"] == "over-the-limit"
        body = refused.json()
        assert "data" not in body  # nothing ran
        assert body["errors"][0]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "requestId": "over-the-limit"}

        assert served_again(server)  # once the idle sockets are gone


def still_open(sock: socket.socket) -> bool:
    sock.setblocking(False)
    try:
        return sock.recv(1) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def test_connections_beyond_the_limit_are_dropped_quickly(database_url, tmp_path):
    limit = 10
    env = {"GATEWAY_MAX_CONNECTIONS": str(limit), "GATEWAY_HTTP_HEADER_TIMEOUT_S": "600"}
    with gateway(database_url, tmp_path, **env) as server:
        within = open_sockets(server.port, limit, b"")
        beyond = open_sockets(server.port, 30, b"")
        deadline = time.monotonic() + CLOSE_WITHIN_S
        held = sum(not closed_by_server(sock, deadline) for sock in beyond)
        assert held == 0, f"{held} connections beyond the limit were still held"
        # Those within the limit keep their full header timeout.
        assert sum(still_open(sock) for sock in within) == limit
        assert health(server).status_code == 503
        for sock in within:
            sock.close()
        assert served_again(server)


def served_again(server: GatewayServer) -> bool:
    """The process serves again once idle sockets are gone (it notices the closes at once; bounded retries)."""
    for _ in range(100):
        if health(server).status_code == 200:
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx must talk to the local server directly."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
