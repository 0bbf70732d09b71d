"""the clocks' pass reads due cases by (next_check_at, id): the partial indexes carry the id

Revision ID: complaints_0005
Revises: complaints_0004
Create Date: 2026-11-30 15:00:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'complaints_0005'
down_revision: Union[str, Sequence[str], None] = 'complaints_0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = (("complaints", "ix_complaints_next_check"),
           ("repair_orders", "ix_repair_orders_next_check"))


def _recreate(columns):
    for table, name in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name, postgresql_where=sa.text('watched'),
                                sqlite_where=sa.text('watched'))
            batch_op.create_index(name, columns, unique=False, postgresql_where=sa.text('watched'),
                                  sqlite_where=sa.text('watched'))


def upgrade() -> None:
    _recreate(['next_check_at', 'id'])


def downgrade() -> None:
    _recreate(['next_check_at'])
