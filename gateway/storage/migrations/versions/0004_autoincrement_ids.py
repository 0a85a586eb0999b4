"""autoincrement ids: a deleted highest row's id is never handed out again on SQLite

Rebuilds every table with an integer surrogate key as AUTOINCREMENT on SQLite, keeping rows, ids, foreign
keys, indexes and unique constraints (batch recreate from the reflected table). PostgreSQL's SERIAL
sequences never reuse ids already: a no-op there.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = (
    "store",
    "api_token",
    "product",
    "shipping_zone",
    "shipping_method",
    "pickup_method",
    "carrier_connection",
    "orders",
    "order_shipping_address",
    "order_product",
    "shipment",
)


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for table in TABLES:
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}):
            pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
