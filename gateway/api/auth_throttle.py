"""Slow down token guessing: after too many failed token checks from one client address, stop checking.

Per process and in memory: each address has a fixed window (GATEWAY_AUTH_FAILURES_WINDOW_S) in which it may
fail authentication GATEWAY_AUTH_FAILURES_MAX times (unknown, revoked or malformed tokens). Once it has, every
further request from that address presenting a token that is not known valid is refused with 429 and
`Retry-After` (the rest of the window), without a database lookup, until the window ends.

Valid tokens are never held back: the throttle remembers (as SHA-256 digests) the tokens that authenticated
in this process, and a remembered token is always checked normally, throttled address or not. Checking every
token and refusing only the invalid ones would not slow guessing at all (a 429 would then mean "wrong guess"
and anything else "right guess"), so a token never seen valid in this process waits out the window like a
guess. A revoked token that was once remembered is still checked normally, and refused as always.

Both maps are LRUs bounded by GATEWAY_AUTH_THROTTLE_ADDRESSES entries, so no client can grow them without
bound. The client address is the ASGI scope's `client`: the TCP peer, or the address uvicorn takes from
X-Forwarded-For when the peer is a proxy named in `--forwarded-allow-ips` (GATEWAY_FORWARDED_ALLOW_IPS for
`gateway serve`); the gateway itself never reads that header.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any


class AuthThrottled(Exception):
    """The client address failed authentication too often; it may retry after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = retry_after
        super().__init__(f"too many failed authentication attempts; retry after {retry_after:.0f} s")


@dataclass(slots=True)
class _Window:
    started: float
    failures: int


def client_address(scope: Any) -> str:
    """The client's address as uvicorn saw it (after its trusted-proxy handling)."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class AuthThrottle:
    def __init__(
        self,
        max_failures: int,
        window_s: float,
        max_addresses: int = 10_000,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.max_addresses = max_addresses
        self._clock = clock or (lambda: monotonic())
        self._windows: OrderedDict[str, _Window] = OrderedDict()
        self._valid: OrderedDict[bytes, None] = OrderedDict()

    def __len__(self) -> int:
        return len(self._windows)

    def record_failure(self, address: str) -> None:
        now = self._clock()
        window = self._windows.get(address)
        if window is None or now - window.started >= self.window_s:
            window = self._windows[address] = _Window(now, 0)
        window.failures += 1
        self._windows.move_to_end(address)
        while len(self._windows) > self.max_addresses:
            self._windows.popitem(last=False)

    def retry_after(self, address: str) -> float | None:
        """Seconds until `address` may present unknown tokens again, or None when it is not throttled."""
        window = self._windows.get(address)
        if window is None or window.failures < self.max_failures:
            return None
        remaining = window.started + self.window_s - self._clock()
        return remaining if remaining > 0 else None

    def remember_valid(self, token: str) -> None:
        key = _digest(token)
        self._valid[key] = None
        self._valid.move_to_end(key)
        while len(self._valid) > self.max_addresses:
            self._valid.popitem(last=False)

    def is_known_valid(self, token: str) -> bool:
        return _digest(token) in self._valid

    # --- the two calls authentication makes ----------------------------------------------------------
    def check(self, address: str, token: str) -> None:
        """Before a token is looked up: raise `AuthThrottled` if `address` is throttled and `token` is not
        known valid."""
        if self.max_failures <= 0:
            return
        wait = self.retry_after(address)
        if wait is not None and not self.is_known_valid(token):
            raise AuthThrottled(wait)

    def record(self, address: str, token: str, valid: bool) -> None:
        """After a token was looked up."""
        if self.max_failures <= 0:
            return
        if valid:
            self.remember_valid(token)
        else:
            self.record_failure(address)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
