"""Reads and writes as plain SQLAlchemy Core statements, every one filtered on the store.

Batch reads take lists of keys and return rows; callers (DataLoaders, domain functions) group them.
Nothing here decides anything: the rules live in `gateway.domain`. One module per area; all names are
re-exported here so callers write `queries.<name>`.
"""

from gateway.storage.queries.catalog import *  # noqa: F403
from gateway.storage.queries.checkouts import *  # noqa: F403
from gateway.storage.queries.orders import *  # noqa: F403
from gateway.storage.queries.shipping import *  # noqa: F403
from gateway.storage.queries.stores import *  # noqa: F403
