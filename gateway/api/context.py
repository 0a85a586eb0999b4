"""What every resolver can reach: the caller, the engine, and this request's DataLoaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from gateway.api.loaders import Loaders
from gateway.domain.carriers import CarrierTransport
from gateway.domain.tokens import Principal
from gateway.storage.db import RequestReads


@dataclass(slots=True)
class Context:
    request: Any
    response: Any
    engine: AsyncEngine
    carriers: CarrierTransport
    request_id: str
    principal: Principal | None
    #: True when a token was presented but is unknown or revoked.
    token_rejected: bool = False
    _loaders: Loaders | None = field(default=None, repr=False)
    _reads: RequestReads | None = field(default=None, repr=False)

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

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.reads, self.store_id)
        return self._loaders
