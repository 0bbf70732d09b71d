"""weekly sales plans and the sales counted from the events (季度全案进度掌控表)

Revision ID: inventory_0008
Revises: inventory_0007
Create Date: 2026-11-22 13:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'inventory_0008'
down_revision: Union[str, Sequence[str], None] = 'inventory_0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('weekly_plans',
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('quarter', sa.Integer(), nullable=False),
    sa.Column('week', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('set_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('project_id', 'year', 'quarter', 'week')
    )
    op.create_table('sale_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('occurred_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_id')
    )
    with op.batch_alter_table('sale_records', schema=None) as batch_op:
        batch_op.create_index('ix_sale_records_project_time', ['project_id', 'occurred_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sale_records', schema=None) as batch_op:
        batch_op.drop_index('ix_sale_records_project_time')
    op.drop_table('sale_records')
    op.drop_table('weekly_plans')
