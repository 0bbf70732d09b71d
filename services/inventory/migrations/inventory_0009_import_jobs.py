"""import jobs: uploads imported in the background, with their progress

Revision ID: inventory_0009
Revises: inventory_0008
Create Date: 2026-11-30 11:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'inventory_0009'
down_revision: Union[str, Sequence[str], None] = 'inventory_0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('import_jobs',
    sa.Column('id', BIG_ID, autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=200), nullable=False),
    sa.Column('bytes', sa.BigInteger(), server_default=sa.text('0'), nullable=False),
    sa.Column('chunks', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_jobs_status'), ['status'], unique=False)
    op.create_table('import_chunks',
    sa.Column('job_id', BIG_ID, nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_jobs.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'seq')
    )


def downgrade() -> None:
    op.drop_table('import_chunks')
    with op.batch_alter_table('import_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_jobs_status'))
    op.drop_table('import_jobs')
