"""a user's sales channel

Revision ID: gateway_0002
Revises: gateway_0001
Create Date: 2026-11-22 13:25:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'gateway_0002'
down_revision: Union[str, Sequence[str], None] = 'gateway_0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('channel_id')
