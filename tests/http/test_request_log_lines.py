"""`gateway serve` writes one line per request to stdout: the gateway's JSON request line, or uvicorn's access
line when the JSON request log is turned off (GATEWAY_REQUEST_LOG=0), never both."""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest

from tests.servers import REPO, GatewayServer, _server_env, _wait_healthy, free_port, stop_server


def served_lines(database_url: str, tmp_path: Path, env: dict[str, str]) -> tuple[str, list[str]]:
    """Run `gateway serve`, send one GraphQL request with a known request id, stop; its id and stdout lines."""
    port = free_port()
    log_path = tmp_path / f"serve-{port}.log"
    command = [sys.executable, "-m", "gateway.cli", "--database-url", database_url, "serve", "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=REPO, env=_server_env(database_url, env), stdout=log, stderr=subprocess.STDOUT
        )
    server = GatewayServer(name="serve", port=port, process=process, log_path=log_path)
    request_id = uuid.uuid4().hex
    try:
        _wait_healthy(server, 60)
        response = httpx.post(
            f"{server.base_url}/graphql",
            json={"query": "{ __typename }"},
            headers={"X-Request-Id": request_id},
            timeout=30,
        )
        assert response.status_code == 200, response.text
    finally:
        stop_server(server)
    return request_id, log_path.read_text().splitlines()


@pytest.mark.parametrize("request_log", ["1", "0"])
def test_one_line_per_request(database_url: str, tmp_path: Path, request_log: str) -> None:
    request_id, lines = served_lines(database_url, tmp_path, {"GATEWAY_REQUEST_LOG": request_log})
    json_lines = [line for line in lines if request_id in line]
    access_lines = [line for line in lines if '"POST /graphql' in line]
    if request_log == "1":
        assert len(json_lines) == 1, lines
        assert '"event":"graphql_request"' in json_lines[0]
        assert access_lines == [], "uvicorn's access line duplicates the JSON request line"
    else:
        assert json_lines == [], lines
        assert len(access_lines) == 1, lines
