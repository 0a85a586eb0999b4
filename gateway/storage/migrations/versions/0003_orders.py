"""orders shipments idempotency

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 23:38:10.081888
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "idempotency_key",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("operation", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("result_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_idempotency_key_store_id_store")),
        sa.PrimaryKeyConstraint("store_id", "operation", "key", name=op.f("pk_idempotency_key")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("billing_address", gateway.storage.types.RecordJSON(), nullable=False),
        sa.Column("subtotal", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("shipping_cost_total", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("handling_cost_total", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("grand_total", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("items_total", sa.Integer(), nullable=False),
        sa.Column("items_shipped", sa.Integer(), nullable=False),
        sa.Column("date_shipped", gateway.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"], name=op.f("fk_orders_checkout_id_checkout")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_orders_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("checkout_id", name=op.f("uq_orders_checkout_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_store_id_created_at", ["store_id", "created_at"], unique=False)

    op.create_table(
        "order_shipping_address",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address", gateway.storage.types.RecordJSON(), nullable=False),
        sa.Column("shipping_method", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("shipping_cost", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("handling_cost", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("shipping_zone_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("pickup_method_id", sa.Integer(), nullable=True),
        sa.Column("items_total", sa.Integer(), nullable=False),
        sa.Column("items_shipped", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_shipping_address_order_id_orders")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_order_shipping_address_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_shipping_address")),
    )
    with op.batch_alter_table("order_shipping_address", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_shipping_address_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shipping_address_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("quantity_shipped", sa.Integer(), nullable=False),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("price", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("weight", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_order_product_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["shipping_address_id"],
            ["order_shipping_address.id"],
            name=op.f("fk_order_product_shipping_address_id_order_shipping_address"),
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_order_product_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_product")),
    )
    with op.batch_alter_table("order_product", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_product_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_product_shipping_address_id"), ["shipping_address_id"], unique=False)

    op.create_table(
        "shipment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shipping_address_id", sa.Integer(), nullable=False),
        sa.Column("tracking_number", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("shipping_provider", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("tracking_carrier", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("tracking_link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("tracking_link_generated", sa.Boolean(), nullable=False),
        sa.Column("shipping_method", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_shipment_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["shipping_address_id"],
            ["order_shipping_address.id"],
            name=op.f("fk_shipment_shipping_address_id_order_shipping_address"),
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_shipment_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment")),
    )
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_shipping_address_id"), ["shipping_address_id"], unique=False)

    op.create_table(
        "shipment_item",
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_product_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_shipment_item_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["order_product_id"],
            ["order_product.id"],
            name=op.f("fk_shipment_item_order_product_id_order_product"),
        ),
        sa.ForeignKeyConstraint(["shipment_id"], ["shipment.id"], name=op.f("fk_shipment_item_shipment_id_shipment")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_shipment_item_store_id_store")),
        sa.PrimaryKeyConstraint("shipment_id", "order_product_id", name=op.f("pk_shipment_item")),
    )
    with op.batch_alter_table("shipment_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_item_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipment_item_order_product_id"), ["order_product_id"], unique=False)

    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.add_column(sa.Column("order_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("completed_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:

    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_column("completed_at")
        batch_op.drop_column("order_id")

    with op.batch_alter_table("shipment_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_item_order_product_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_item_order_id"))

    op.drop_table("shipment_item")
    with op.batch_alter_table("shipment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_shipping_address_id"))
        batch_op.drop_index(batch_op.f("ix_shipment_order_id"))

    op.drop_table("shipment")
    with op.batch_alter_table("order_product", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_product_shipping_address_id"))
        batch_op.drop_index(batch_op.f("ix_order_product_order_id"))

    op.drop_table("order_product")
    with op.batch_alter_table("order_shipping_address", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_shipping_address_order_id"))

    op.drop_table("order_shipping_address")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_store_id_created_at")

    op.drop_table("orders")
    op.drop_table("idempotency_key")
