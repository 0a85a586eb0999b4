"""shipping zones, methods, pickup, carrier connections and stored quotes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 23:29:14.040986
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import gateway.storage.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_connection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("carrier_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("credentials", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_carrier_connection_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_connection")),
        sa.UniqueConstraint("store_id", "carrier_id", name=op.f("uq_carrier_connection_store_id_carrier_id")),
    )
    op.create_table(
        "pickup_method",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("location_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("address", gateway.storage.types.RecordJSON(), nullable=False),
        sa.Column("instructions", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_pickup_method_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_method")),
    )
    with op.batch_alter_table("pickup_method", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pickup_method_store_id"), ["store_id"], unique=False)

    op.create_table(
        "shipping_zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("locations", gateway.storage.types.RecordJSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("free_shipping_enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "free_shipping_minimum_subtotal",
            gateway.storage.types.ExactDecimal(precision=18, scale=4),
            nullable=True,
        ),
        sa.Column("handling_fee_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("handling_fee_value", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("handling_fee_display_separately", sa.Boolean(), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_shipping_zone_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_zone")),
    )
    with op.batch_alter_table("shipping_zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipping_zone_store_id"), ["store_id"], unique=False)

    op.create_table(
        "shipping_method",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("settings", gateway.storage.types.RecordJSON(), nullable=False),
        sa.Column("handling_fee_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("handling_fee_value", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=True),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_shipping_method_store_id_store")),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["shipping_zone.id"], name=op.f("fk_shipping_method_zone_id_shipping_zone")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipping_method")),
    )
    with op.batch_alter_table("shipping_method", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipping_method_zone_id"), ["zone_id"], unique=False)

    op.create_table(
        "shipping_quote",
        sa.Column("consignment_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("checkout_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("option_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("method_id", sa.Integer(), nullable=True),
        sa.Column("type", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("currency_code", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("cost", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("handling_cost", gateway.storage.types.ExactDecimal(precision=18, scale=4), nullable=False),
        sa.Column("transit_time", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("image_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("created_at", gateway.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["checkout_id"], ["checkout.id"], name=op.f("fk_shipping_quote_checkout_id_checkout")),
        sa.ForeignKeyConstraint(
            ["consignment_id"], ["consignment.id"], name=op.f("fk_shipping_quote_consignment_id_consignment")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_shipping_quote_store_id_store")),
        sa.PrimaryKeyConstraint("consignment_id", "id", name=op.f("pk_shipping_quote")),
    )
    with op.batch_alter_table("shipping_quote", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipping_quote_checkout_id"), ["checkout_id"], unique=False)

    with op.batch_alter_table("consignment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("selected_option_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(sa.Column("quote_fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column("quote_config_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("shipping_zone_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("shipping_zone_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
        )
        batch_op.add_column(sa.Column("quote_warnings", gateway.storage.types.RecordJSON(), nullable=True))

    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipping_config_version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.add_column(sa.Column("origin_address", gateway.storage.types.RecordJSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("store", schema=None) as batch_op:
        batch_op.drop_column("origin_address")
        batch_op.drop_column("shipping_config_version")

    with op.batch_alter_table("consignment", schema=None) as batch_op:
        batch_op.drop_column("quote_warnings")
        batch_op.drop_column("shipping_zone_name")
        batch_op.drop_column("shipping_zone_id")
        batch_op.drop_column("quote_config_version")
        batch_op.drop_column("quote_fingerprint")
        batch_op.drop_column("selected_option_key")

    with op.batch_alter_table("shipping_quote", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipping_quote_checkout_id"))

    op.drop_table("shipping_quote")
    with op.batch_alter_table("shipping_method", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipping_method_zone_id"))

    op.drop_table("shipping_method")
    with op.batch_alter_table("shipping_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipping_zone_store_id"))

    op.drop_table("shipping_zone")
    with op.batch_alter_table("pickup_method", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pickup_method_store_id"))

    op.drop_table("pickup_method")
    op.drop_table("carrier_connection")
