"""Configuration, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///.gateway/gateway.db"


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    host: str
    port: int
    environment: str
    #: GATEWAY_CARRIERS: JSON {"carrier_id": {"url": "...", "name": "..."}} of real-time rate endpoints.
    carriers_json: str | None = None
    carrier_timeout_s: float = 2.0
    #: How long a process trusts a token it has checked; a revoked token is refused within this time.
    token_cache_ttl_s: float = 2.0

    @property
    def is_production(self) -> bool:
        return self.environment == "production"


def database_url_from_env() -> str:
    return os.environ.get("GATEWAY_DATABASE_URL") or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def load_settings() -> Settings:
    return Settings(
        database_url=database_url_from_env(),
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "8000")),
        environment=os.environ.get("GATEWAY_ENV", "development"),
        carriers_json=os.environ.get("GATEWAY_CARRIERS"),
        carrier_timeout_s=float(os.environ.get("GATEWAY_CARRIER_TIMEOUT_S", "2")),
        token_cache_ttl_s=float(os.environ.get("GATEWAY_TOKEN_CACHE_TTL_S", "2")),
    )
