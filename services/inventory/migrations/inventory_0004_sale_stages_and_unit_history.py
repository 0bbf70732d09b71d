"""sale stages after the deposit and the unit status history

Revision ID: inventory_0004
Revises: inventory_0003
Create Date: 2026-11-22 12:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'inventory_0004'
down_revision: Union[str, Sequence[str], None] = 'inventory_0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('unit_status_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=True),
    sa.Column('event_type', sa.String(length=60), nullable=True),
    sa.Column('changed_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('unit_status_changes', schema=None) as batch_op:
        batch_op.create_index('ix_unit_status_changes_unit', ['unit_id', 'id'], unique=False)

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', infra.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.drop_column('end_reason')
        batch_op.drop_column('ended_at')

    with op.batch_alter_table('unit_status_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_status_changes_unit')

    op.drop_table('unit_status_changes')
