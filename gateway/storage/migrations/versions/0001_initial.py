"""checkouts, consignments, catalog, stores and tokens

Revision ID: 0001
Revises:
Create Date: 2026-11-21 23:25:40.077700
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("weight_unit", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
        sa.UniqueConstraint("slug", name=op.f("uq_store_slug")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_api_token_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_token_store_id"), ["store_id"], unique=False)

    op.create_table(
        "checkout",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("billing_address", gateway.storage.types.RecordJSON(), nullable=True),
        sa.Column("subtotal", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("shipping_cost_total", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("handling_cost_total", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("grand_total", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_checkout_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkout")),
    )
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkout_store_id"), ["store_id"], unique=False)

    op.create_table(
        "product",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("price", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("weight", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_product_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product")),
        sa.UniqueConstraint("store_id", "sku", name=op.f("uq_product_store_id_sku")),
    )
    op.create_table(
        "consignment",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("address", gateway.storage.types.RecordJSON(), nullable=True),
        sa.Column("pickup_method_id", sa.Integer(), nullable=True),
        sa.Column("selected_shipping_option_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("shipping_cost", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("handling_cost", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"], name=op.f("fk_consignment_checkout_id_checkout")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_consignment_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consignment")),
    )
    with op.batch_alter_table("consignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consignment_checkout_id"), ["checkout_id"], unique=False)

    op.create_table(
        "line_item",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sku", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("requires_shipping", sa.Boolean(), nullable=False),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("list_price", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("extended_list_price", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("weight", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"], name=op.f("fk_line_item_checkout_id_checkout")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"], name=op.f("fk_line_item_product_id_product")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_line_item_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_item")),
    )
    with op.batch_alter_table("line_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_item_checkout_id"), ["checkout_id"], unique=False)

    op.create_table(
        "consignment_line_item",
        sa.Column("consignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("line_item_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checkout_id"], ["checkout.id"], name=op.f("fk_consignment_line_item_checkout_id_checkout")
        ),
        sa.ForeignKeyConstraint(
            ["consignment_id"],
            ["consignment.id"],
            name=op.f("fk_consignment_line_item_consignment_id_consignment"),
        ),
        sa.ForeignKeyConstraint(
            ["line_item_id"], ["line_item.id"], name=op.f("fk_consignment_line_item_line_item_id_line_item")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_consignment_line_item_store_id_store")),
        sa.PrimaryKeyConstraint("consignment_id", "line_item_id", name=op.f("pk_consignment_line_item")),
    )
    with op.batch_alter_table("consignment_line_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consignment_line_item_checkout_id"), ["checkout_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_consignment_line_item_line_item_id"), ["line_item_id"], unique=False)

    # A new database has one store, slug "default".
    store = sa.table(
        "store",
        sa.column("slug", sa.String),
        sa.column("name", sa.String),
        sa.column("currency_code", sa.String),
        sa.column("weight_unit", sa.String),
        sa.column("created_at", gateway.storage.types.UTCDateTime()),
    )
    op.bulk_insert(
        store,
        [
            {
                "slug": "default",
                "name": "Default store",
                "currency_code": "USD",
                "weight_unit": "kg",
                "created_at": datetime.now(UTC),
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("consignment_line_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consignment_line_item_line_item_id"))
        batch_op.drop_index(batch_op.f("ix_consignment_line_item_checkout_id"))

    op.drop_table("consignment_line_item")
    with op.batch_alter_table("line_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_item_checkout_id"))

    op.drop_table("line_item")
    with op.batch_alter_table("consignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consignment_checkout_id"))

    op.drop_table("consignment")
    op.drop_table("product")
    with op.batch_alter_table("checkout", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkout_store_id"))

    op.drop_table("checkout")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_store_id"))

    op.drop_table("api_token")
    op.drop_table("store")
