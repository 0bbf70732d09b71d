"""the log of reads of personal data (contact details, ID numbers)

Revision ID: leads_0010
Revises: leads_0009
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'leads_0010'
down_revision: Union[str, Sequence[str], None] = 'leads_0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'personal_data_reads',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True,
                  nullable=False),
        sa.Column('read_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('subject_id', sa.BigInteger(), nullable=False),
        sa.Column('reader', sa.String(length=100), nullable=False),
        sa.Column('reader_id', sa.Integer(), nullable=True),
        sa.Column('reader_role', sa.String(length=30), nullable=True),
        sa.Column('purpose', sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('personal_data_reads', schema=None) as batch_op:
        batch_op.create_index('ix_personal_data_reads_read_at', ['read_at'])
        batch_op.create_index('ix_personal_data_reads_subject', ['kind', 'subject_id'])


def downgrade() -> None:
    with op.batch_alter_table('personal_data_reads', schema=None) as batch_op:
        batch_op.drop_index('ix_personal_data_reads_subject')
        batch_op.drop_index('ix_personal_data_reads_read_at')
    op.drop_table('personal_data_reads')
