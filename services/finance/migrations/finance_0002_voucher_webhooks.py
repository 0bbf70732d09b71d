"""voucher webhooks: a delivery carries a feed event or a voucher

Revision ID: finance_0002
Revises: finance_0001
Create Date: 2026-11-30 14:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'finance_0002'
down_revision: Union[str, Sequence[str], None] = 'finance_0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.alter_column('event_id', existing_type=sa.String(length=36),
                              type_=sa.String(length=80), existing_nullable=False)
        batch_op.alter_column('feed_id', existing_type=sa.BigInteger().with_variant(
            sa.Integer(), 'sqlite'), nullable=True)
        batch_op.add_column(sa.Column('voucher_id', sa.BigInteger().with_variant(
            sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key('fk_webhook_deliveries_voucher_id', 'vouchers',
                                    ['voucher_id'], ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM webhook_attempts WHERE delivery_id IN "
               "(SELECT id FROM webhook_deliveries WHERE voucher_id IS NOT NULL)")
    op.execute("DELETE FROM webhook_deliveries WHERE voucher_id IS NOT NULL")
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint('fk_webhook_deliveries_voucher_id', type_='foreignkey')
        batch_op.drop_column('voucher_id')
        batch_op.alter_column('feed_id', existing_type=sa.BigInteger().with_variant(
            sa.Integer(), 'sqlite'), nullable=False)
        batch_op.alter_column('event_id', existing_type=sa.String(length=80),
                              type_=sa.String(length=36), existing_nullable=False)
