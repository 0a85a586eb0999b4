"""consignment pricing digest and unavailable selection

Revision ID: 0005
Revises: 0004

`quote_pricing_digest`: a digest of the configuration a consignment's quotes were priced from (matched
zone, its methods and fees, their carrier connections), so only a change to those makes the quote stale.
`unavailable_option`: the description of a selected option the merchant removed, shown as a problem until
the shopper chooses again.
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "consignment", sa.Column("quote_pricing_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
    )
    op.add_column(
        "consignment", sa.Column("unavailable_option", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("consignment") as batch:
        batch.drop_column("unavailable_option")
        batch.drop_column("quote_pricing_digest")
