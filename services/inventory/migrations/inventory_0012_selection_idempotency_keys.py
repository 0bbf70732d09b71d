"""a selection keeps the caller's Idempotency-Key: a retry after a lost answer gets the first

Revision ID: inventory_0012
Revises: inventory_0011
Create Date: 2026-11-30 18:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'inventory_0012'
down_revision: Union[str, Sequence[str], None] = 'inventory_0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('opening_selections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_opening_selections_idempotency_key'),
                              ['idempotency_key'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('opening_selections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_selections_idempotency_key'))
        batch_op.drop_column('idempotency_key')
