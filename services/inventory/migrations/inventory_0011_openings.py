"""openings (开盘活动): released units, entrants and their order, households, selections

Revision ID: inventory_0011
Revises: inventory_0010
Create Date: 2026-11-30 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'inventory_0011'
down_revision: Union[str, Sequence[str], None] = 'inventory_0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('openings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('starts_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('slot_size', sa.Integer(), nullable=True),
    sa.Column('slot_minutes', sa.Integer(), nullable=True),
    sa.Column('limit_per_household', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=True),
    sa.Column('seed', sa.String(length=200), nullable=True),
    sa.Column('seed_announced_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('seed_announced_by', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('openings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openings_project_id'), ['project_id'], unique=False)
    op.create_table('opening_units',
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['opening_id'], ['openings.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('opening_id', 'unit_id')
    )
    with op.batch_alter_table('opening_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_units_unit_id'), ['unit_id'], unique=False)
    op.create_table('opening_entrants',
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('queue_number_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('household', sa.String(length=30), nullable=False),
    sa.Column('position', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['opening_id'], ['openings.id'], ),
    sa.PrimaryKeyConstraint('opening_id', 'queue_number_id'),
    sa.UniqueConstraint('opening_id', 'number', name='uq_opening_entrants_number')
    )
    op.create_table('opening_households',
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('household', sa.String(length=30), nullable=False),
    sa.Column('purchases', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.ForeignKeyConstraint(['opening_id'], ['openings.id'], ),
    sa.PrimaryKeyConstraint('opening_id', 'household')
    )
    op.create_table('opening_selections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('queue_number_id', sa.Integer(), nullable=False),
    sa.Column('queue_number', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.Column('requested_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('selected_by', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['opening_id'], ['openings.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('opening_selections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_selections_opening_id'), ['opening_id'],
                              unique=False)
        batch_op.create_index('uq_opening_selections_one_win_per_unit',
                              ['opening_id', 'unit_id'], unique=True,
                              postgresql_where=sa.text("outcome = 'won'"),
                              sqlite_where=sa.text("outcome = 'won'"))


def downgrade() -> None:
    op.drop_table('opening_selections')
    op.drop_table('opening_households')
    op.drop_table('opening_entrants')
    op.drop_table('opening_units')
    op.drop_table('openings')
