"""idempotency keys on deposits and payments, deposits' project from inventory's answer,
per-project approval chains

Revision ID: transactions_0009
Revises: transactions_0008
Create Date: 2026-11-30 11:40:00

Deposits taken so far named no project (NULL). Inventory's `unit_reserved` answer carried the
unit's project, and the order form made from it kept it: those deposits get it back from their
order form. A deposit with no order form (still pending, or refused by inventory) keeps NULL;
a pending one gets its project when inventory's answer arrives.
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'transactions_0009'
down_revision: Union[str, Sequence[str], None] = 'transactions_0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ('deposits', 'payments'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('idempotency_key', sa.String(length=255),
                                          nullable=True))
            batch_op.create_index(batch_op.f(f'ix_{table}_idempotency_key'), ['idempotency_key'],
                                  unique=True)
    op.execute("UPDATE deposits SET project_id = (SELECT MIN(order_forms.project_id) "
               "FROM order_forms WHERE order_forms.deposit_id = deposits.id "
               "AND order_forms.project_id <> 0) WHERE project_id IS NULL")
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_source', sa.String(length=20), nullable=True))
    op.create_table('approval_chains',
    sa.Column('project_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('chain', sa.JSON(), nullable=False),
    sa.Column('set_by', sa.String(length=100), nullable=False),
    sa.Column('set_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('project_id', 'kind')
    )


def downgrade() -> None:
    op.drop_table('approval_chains')
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('chain_source')
    for table in ('payments', 'deposits'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_idempotency_key'))
            batch_op.drop_column('idempotency_key')
