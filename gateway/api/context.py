"""What every resolver can reach: the caller, the engine, and this request's DataLoaders."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.api.loaders import Loaders
from gateway.domain.carriers import CarrierTransport
from gateway.domain.quotes import SetupCache, ShippingSetup
from gateway.domain.tokens import Principal
from gateway.storage.db import RequestReads


@dataclass(slots=True)
class Context:
    request: Any
    response: Any
    engine: AsyncEngine
    carriers: CarrierTransport
    request_id: str
    #: The caller, once `authenticate` resolved the presented token (access control awaits it).
    principal: Principal | None = None
    #: True when a token was presented but is unknown or revoked.
    token_rejected: bool = False
    #: Looks up the presented token (None: no token was presented). Run only after the document parsed
    #: and validated, so an invalid or over-limit document never touches the database.
    lookup: Callable[[], Awaitable[Principal | None]] | None = field(default=None, repr=False)
    #: Cost of the request's operations admitted so far (a batch shares one budget).
    cost_spent: int = 0
    #: The process's shipping setups by configuration version (the app's; a fresh one when none is given).
    shipping_setups: SetupCache = field(default_factory=SetupCache, repr=False)
    _loaders: Loaders | None = field(default=None, repr=False)
    _reads: RequestReads | None = field(default=None, repr=False)
    _authentication: asyncio.Future[Principal | None] | None = field(default=None, repr=False)

    async def authenticate(self) -> Principal | None:
        """The caller for the presented token, looked up once per request (a batch's operations share it)."""
        if self.lookup is None:
            return self.principal
        if self._authentication is None:
            self._authentication = asyncio.ensure_future(self.lookup())
        principal = await self._authentication
        self.principal = principal
        self.token_rejected = principal is None
        return principal

    @property
    def reads(self) -> RequestReads:
        """This request's shared read connection (opened on first use, released by the view)."""
        if self._reads is None:
            self._reads = RequestReads(self.engine)
        return self._reads

    @property
    def store_id(self) -> int:
        assert self.principal is not None, "resolvers run only for authenticated callers"
        return self.principal.store_id

    async def shipping_setup(self, version: int) -> ShippingSetup:
        """The store's shipping configuration at `version`: from the process cache, or read once per request."""
        setup = self.shipping_setups.get(self.store_id, version)
        if setup is None:
            setup = await self.loaders.shipping_setup_by_store_id.load(self.store_id)  # type: ignore[attr-defined]
            self.shipping_setups.put(setup)
        return setup

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.reads, self.store_id)
        return self._loaders
