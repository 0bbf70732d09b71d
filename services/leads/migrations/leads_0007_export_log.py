"""export log

Revision ID: leads_0007
Revises: leads_0006
Create Date: 2026-11-22 13:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'leads_0007'
down_revision: Union[str, Sequence[str], None] = 'leads_0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('export_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('exported_by', sa.String(length=100), nullable=False),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('filters', sa.JSON(), nullable=False),
    sa.Column('exported_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_export_logs_office_id', 'export_logs', ['office_id'])


def downgrade() -> None:
    op.drop_index('ix_export_logs_office_id', table_name='export_logs')
    op.drop_table('export_logs')
