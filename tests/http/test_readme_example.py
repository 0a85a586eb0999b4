"""The README's example session is the flow `scripts/demo-flow` runs, and it really ends in a shipped order.

- README.md's "Example session" shows gateway/demo_flow.graphql verbatim (the same file is GraphiQL's default
  tab), so the text a newcomer reads cannot drift from the operations that are tested.
- `scripts/demo-flow`, exactly as the README tells a newcomer to run it, drives a real gateway process over a
  store seeded as `scripts/serve` seeds it, from an empty cart to an order whose status is SHIPPED with the
  shipment's tracking number; it exits non-zero on a GraphQL error or a userError.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.demo_flow import FLOW_FILE, FlowError, load_flow, run_flow
from tests.servers import REPO, GatewayServer, seed_demo_store, start_server, stop_server

README = REPO / "README.md"
TRACKING_NUMBER = "1Z999AA10123456784"
LATEST_ORDER = """
query LatestOrder {
  orders(first: 1) {
    nodes { id status email itemsTotal itemsShipped dateShipped shipments { trackingNumber shippingProvider } }
  }
}
"""


def readme_section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


@pytest.fixture
def demo_server(database_url: str, tmp_path: Path) -> Iterator[tuple[GatewayServer, Path]]:
    tokens_file = tmp_path / "demo-tokens"
    seed_demo_store(database_url, tokens_file)
    server = start_server(database_url, tmp_path / "server-logs")
    try:
        yield server, tokens_file
    finally:
        stop_server(server)


def demo_flow(server: GatewayServer, tokens_file: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`scripts/demo-flow`, pointed at `server` through the environment the script documents."""
    environment = {key: value for key, value in os.environ.items() if key not in ("STOREFRONT_TOKEN", "SERVER_TOKEN")}
    environment.update(GATEWAY_URL=f"{server.base_url}/graphql", GATEWAY_TOKENS_FILE=str(tokens_file), **env)
    return subprocess.run(
        [str(REPO / "scripts" / "demo-flow"), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_readme_example_session_is_the_flow_document() -> None:
    blocks = re.findall(r"```graphql\n(.*?)```", readme_section("Example session"), re.S)
    assert blocks == [FLOW_FILE.read_text()], "README's Example session must show gateway/demo_flow.graphql verbatim"
    names = [operation.name for operation in load_flow().operations]
    assert names == [
        "CreateCheckout",
        "AddConsignments",
        "SetBillingAddress",
        "ShippingOptions",
        "SelectShippingOption",
        "CompleteCheckout",
        "CreateShipment",
        "OrderStatus",
    ]
    # No hand-copied ids: every variable of every operation comes from an earlier response.
    flow = load_flow()
    provided: set[str] = set()
    for operation in flow.operations:
        assert set(operation.variables) <= provided, operation.name
        provided |= {binding.variable for binding in flow.bindings if binding.operation == operation.name}
    assert "scripts/demo-flow" in readme_section("Example session")


def test_demo_flow_script_places_and_ships_an_order(demo_server: tuple[GatewayServer, Path]) -> None:
    server, tokens_file = demo_server
    result = demo_flow(server, tokens_file)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    # Each operation is printed, in order, with its variables and its response.
    steps = re.findall(r"^=== \d+\. (\w+) \((storefront|server) token\)$", result.stdout, re.M)
    assert steps == [(operation.name, operation.token) for operation in load_flow().operations]
    assert result.stdout.count("\nvariables: ") == len(steps) and result.stdout.count("\nresponse: ") == len(steps)

    tokens = dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())
    body = httpx.post(
        f"{server.base_url}/graphql",
        json={"query": LATEST_ORDER},
        headers={"X-Auth-Token": tokens["SERVER_TOKEN"]},
        timeout=30,
    ).json()
    assert "errors" not in body, body
    (order,) = body["data"]["orders"]["nodes"]
    assert order["email"] == "ada@example.com"
    assert order["status"] == "SHIPPED"
    assert order["itemsShipped"] == order["itemsTotal"] == 3 and order["dateShipped"]
    assert order["shipments"] == [{"trackingNumber": TRACKING_NUMBER, "shippingProvider": "UPS"}]
    # The ids the script printed are the ones it threaded: the order it read back last is this order.
    assert f'"id": "{order["id"]}"' in result.stdout.rsplit("=== 8. OrderStatus", 1)[1]


def test_demo_flow_script_stops_at_the_first_graphql_error(demo_server: tuple[GatewayServer, Path]) -> None:
    server, tokens_file = demo_server
    # The storefront steps pass; the back-office step is refused with this token.
    result = demo_flow(server, tokens_file, SERVER_TOKEN="gwsk_1_not-a-real-secret")
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr
    assert "=== 7. CreateShipment" in result.stdout and "=== 8." not in result.stdout
    assert "CreateShipment failed" in result.stderr and "UNAUTHENTICATED" in result.stderr

    missing = demo_flow(server, tokens_file.with_name("no-such-file"))
    assert missing.returncode == 2 and "run scripts/serve first" in missing.stderr


def test_demo_flow_stops_at_the_first_user_error(demo_server: tuple[GatewayServer, Path]) -> None:
    server, tokens_file = demo_server
    tokens = dict(line.split("=", 1) for line in tokens_file.read_text().splitlines())
    # The same flow with one more mug in the consignment than the checkout holds: OVER_ASSIGNED.
    text = FLOW_FILE.read_text().replace("{itemId: $mugItemId, quantity: 2}", "{itemId: $mugItemId, quantity: 3}")
    shown: list[str] = []
    with pytest.raises(FlowError, match="AddConsignments failed.*OVER_ASSIGNED"):
        run_flow(
            f"{server.base_url}/graphql",
            {"storefront": tokens["STOREFRONT_TOKEN"], "server": tokens["SERVER_TOKEN"]},
            flow=load_flow(text),
            show=shown.append,
        )
    assert not any(line.startswith("=== 3.") for line in shown)
