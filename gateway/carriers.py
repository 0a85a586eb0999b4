"""The HTTP side of real-time carrier quotes: one rate endpoint per registered carrier.

Carriers are registered by the operator (`GATEWAY_CARRIERS`), not by API callers, so a token can never
point the gateway at an arbitrary URL. Every call has a timeout; any failure becomes
`CarrierUnavailable`, which drops only that carrier's options. Request bodies carry credentials and are
never logged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson

from gateway.domain.carriers import CarrierUnavailable
from gateway.settings import Settings

log = logging.getLogger("gateway.carriers")
MAX_RESPONSE_BYTES = 1_000_000
#: Where the app serves the built-in demo carrier's rate endpoint (development only).
DEMO_CARRIER_PATH = "/_demo/carrier/rates"


@dataclass(frozen=True, slots=True)
class CarrierEndpoint:
    carrier_id: str
    name: str
    rate_url: str


class HttpCarrierTransport:
    def __init__(self, endpoints: Mapping[str, CarrierEndpoint], timeout_s: float = 2.0) -> None:
        self.endpoints = dict(endpoints)
        self.timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    def registered_carriers(self) -> list[str]:
        return sorted(self.endpoints)

    def is_registered(self, carrier_id: str) -> bool:
        return carrier_id in self.endpoints

    def display_name(self, carrier_id: str) -> str:
        endpoint = self.endpoints.get(carrier_id)
        return endpoint.name if endpoint else carrier_id

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_s), follow_redirects=False)
        return self._client

    async def request_rates(self, carrier_id: str, payload: dict[str, Any]) -> Any:
        endpoint = self.endpoints.get(carrier_id)
        if endpoint is None:
            raise CarrierUnavailable("carrier is not registered")
        try:
            response = await self._http().post(
                endpoint.rate_url,
                content=orjson.dumps(payload),
                headers={"content-type": "application/json", "accept": "application/json"},
            )
        except httpx.TimeoutException:
            log.warning("carrier %s timed out after %ss", carrier_id, self.timeout_s)
            raise CarrierUnavailable(f"timed out after {self.timeout_s}s") from None
        except httpx.HTTPError as error:
            log.warning("carrier %s unreachable: %s", carrier_id, type(error).__name__)
            raise CarrierUnavailable("unreachable") from None
        if response.status_code != 200:
            log.warning("carrier %s answered HTTP %s", carrier_id, response.status_code)
            raise CarrierUnavailable(f"HTTP {response.status_code}")
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise CarrierUnavailable("answer too large")
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            log.warning("carrier %s answered with invalid JSON", carrier_id)
            raise CarrierUnavailable("answer is not JSON") from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def parse_registry(text: str | None) -> dict[str, CarrierEndpoint]:
    """`GATEWAY_CARRIERS`: a JSON object {"carrier_id": {"url": "...", "name": "..."}}."""
    if not text:
        return {}
    document = orjson.loads(text)
    return {
        carrier_id: CarrierEndpoint(carrier_id, str(spec.get("name") or carrier_id), str(spec["url"]))
        for carrier_id, spec in document.items()
    }


def carrier_registry(settings: Settings) -> dict[str, CarrierEndpoint]:
    """Carriers from GATEWAY_CARRIERS; in development without it, the built-in demo carrier.

    What the gateway process registers, and so what `gateway seed-demo` may connect."""
    if settings.carriers_json is not None or settings.environment != "development":
        return parse_registry(settings.carriers_json)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    url = f"http://{host}:{settings.port}{DEMO_CARRIER_PATH}"
    return {"demo": CarrierEndpoint("demo", "Demo Parcel", url)}
