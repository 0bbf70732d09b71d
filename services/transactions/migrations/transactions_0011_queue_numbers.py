"""queue numbers (排号) with their 诚意金 and gap-free counters

Revision ID: transactions_0011
Revises: transactions_0010
Create Date: 2026-11-30 15:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'transactions_0011'
down_revision: Union[str, Sequence[str], None] = 'transactions_0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('queue_counters',
    sa.Column('project_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.Column('last_receipt_number', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('project_id')
    )
    op.create_table('queue_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('customer_name', sa.String(length=100), nullable=False),
    sa.Column('customer_id_number', sa.String(length=30), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('agreement_number', sa.String(length=50), nullable=True),
    sa.Column('receipt_number', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('taken_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deposit_id', sa.Integer(), nullable=True),
    sa.Column('ended_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=200), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'number', name='uq_queue_numbers_number'),
    sa.UniqueConstraint('project_id', 'receipt_number', name='uq_queue_numbers_receipt')
    )
    with op.batch_alter_table('queue_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_queue_numbers_customer_id'), ['customer_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_queue_numbers_idempotency_key'),
                              ['idempotency_key'], unique=True)


def downgrade() -> None:
    op.drop_table('queue_numbers')
    op.drop_table('queue_counters')
