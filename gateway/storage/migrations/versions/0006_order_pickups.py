"""order pickups: a pickup destination records when it was collected and freezes its location

Adds to `order_shipping_address` (the row of every order destination, shipping or pickup):
`picked_up_at` (null until collected), `pickup_location_name` and `pickup_instructions` (the pickup
location as it was at purchase). Existing pickup rows get the location name from their frozen
`shipping_method` ("Pickup: <name>") and the instructions of their pickup method as it is now.

Existing orders are brought to the new counting: an order's `items_total` / `items_shipped` count units to
ship, so units of pickup destinations leave them, and a non-cancelled order with a (necessarily still
uncollected) pickup gets the status the rules give it: AWAITING_PICKUP once nothing is left to ship.
Plain SQL that SQLite and PostgreSQL both run. Downgrade puts the units back and drops the columns.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.storage.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PICKUP_UNITS = (
    "(SELECT COALESCE(SUM(a.{column}), 0) FROM order_shipping_address a"
    " WHERE a.order_id = orders.id AND a.pickup_method_id IS NOT NULL)"
)
_HAS_PICKUP = (
    "EXISTS (SELECT 1 FROM order_shipping_address a WHERE a.order_id = orders.id AND a.pickup_method_id IS NOT NULL)"
)


def upgrade() -> None:
    op.add_column(
        "order_shipping_address",
        sa.Column("pickup_location_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    )
    op.add_column(
        "order_shipping_address",
        sa.Column("pickup_instructions", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
    )
    op.add_column(
        "order_shipping_address",
        sa.Column("picked_up_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.execute(
        "UPDATE order_shipping_address SET"
        " pickup_location_name = CASE WHEN shipping_method LIKE 'Pickup: %'"
        " THEN substr(shipping_method, 9) ELSE shipping_method END,"
        " pickup_instructions = (SELECT p.instructions FROM pickup_method p"
        " WHERE p.id = order_shipping_address.pickup_method_id)"
        " WHERE pickup_method_id IS NOT NULL"
    )
    op.execute(
        "UPDATE orders SET"
        f" items_total = items_total - {_PICKUP_UNITS.format(column='items_total')},"
        f" items_shipped = items_shipped - {_PICKUP_UNITS.format(column='items_shipped')}"
        f" WHERE {_HAS_PICKUP}"
    )
    op.execute(
        "UPDATE orders SET status = CASE"
        " WHEN items_shipped >= items_total THEN 'AWAITING_PICKUP'"
        " WHEN items_shipped > 0 THEN 'PARTIALLY_SHIPPED'"
        " ELSE 'AWAITING_FULFILLMENT' END"
        f" WHERE status <> 'CANCELLED' AND {_HAS_PICKUP}"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE orders SET"
        f" items_total = items_total + {_PICKUP_UNITS.format(column='items_total')},"
        f" items_shipped = items_shipped + {_PICKUP_UNITS.format(column='items_shipped')}"
        f" WHERE {_HAS_PICKUP}"
    )
    op.execute(
        "UPDATE orders SET status = CASE"
        " WHEN items_total <= 0 THEN 'COMPLETED'"
        " WHEN items_shipped <= 0 THEN 'AWAITING_FULFILLMENT'"
        " WHEN items_shipped >= items_total THEN 'SHIPPED'"
        " ELSE 'PARTIALLY_SHIPPED' END"
        f" WHERE status <> 'CANCELLED' AND {_HAS_PICKUP}"
    )
    # SQLite drops columns by rebuilding the table; keep 0004's AUTOINCREMENT when it does.
    with op.batch_alter_table("order_shipping_address", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("picked_up_at")
        batch.drop_column("pickup_instructions")
        batch.drop_column("pickup_location_name")
