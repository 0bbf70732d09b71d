"""registration forms, several mobiles, duty groups, phone order, manager assignments

Revision ID: leads_0004
Revises: leads_0003
Create Date: 2026-11-22 12:50:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'leads_0004'
down_revision: Union[str, Sequence[str], None] = 'leads_0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('offices') as batch_op:
        batch_op.add_column(sa.Column('alternate_groups', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('consultants') as batch_op:
        batch_op.add_column(sa.Column('duty_group', sa.Integer(), nullable=False,
                                      server_default='1'))
    with op.batch_alter_table('customers') as batch_op:
        batch_op.add_column(sa.Column('call_count', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('id_number', sa.String(length=18), nullable=True))
        batch_op.add_column(sa.Column('profile', sa.JSON(), nullable=False,
                                      server_default='{}'))
        batch_op.create_unique_constraint('uq_customers_id_number', ['id_number'])
    with op.batch_alter_table('visits') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False,
                                      server_default='visit'))
        batch_op.add_column(sa.Column('channel', sa.String(length=20), nullable=False,
                                      server_default='other'))
        batch_op.add_column(sa.Column('first', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('assisted_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('form', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.create_foreign_key('fk_visits_assisted_by', 'consultants', ['assisted_by'],
                                    ['id'])
    op.create_table('customer_mobiles',
    sa.Column('mobile', sa.String(length=11), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('mobile')
    )
    op.create_index('ix_customer_mobiles_customer_id', 'customer_mobiles', ['customer_id'])
    op.execute("INSERT INTO customer_mobiles (mobile, customer_id) "
               "SELECT mobile, id FROM customers")
    for table in ('phone_turns', 'phone_orders'):
        op.create_table(table,
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('consultant_id', sa.Integer(), nullable=False),
        sa.Column('turn' if table == 'phone_turns' else 'position', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['consultant_id'], ['consultants.id'], ),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('office_id', 'day', 'consultant_id')
        )
    op.create_table('assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('from_consultant_id', sa.Integer(), nullable=False),
    sa.Column('to_consultant_id', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('excluded_from_credit', sa.Boolean(), nullable=False),
    sa.Column('decided_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['from_consultant_id'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['to_consultant_id'], ['consultants.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_assignments_customer_id', 'assignments', ['customer_id'])


def downgrade() -> None:
    op.drop_index('ix_assignments_customer_id', table_name='assignments')
    op.drop_table('assignments')
    op.drop_table('phone_orders')
    op.drop_table('phone_turns')
    op.drop_index('ix_customer_mobiles_customer_id', table_name='customer_mobiles')
    op.drop_table('customer_mobiles')
    with op.batch_alter_table('visits') as batch_op:
        batch_op.drop_constraint('fk_visits_assisted_by', type_='foreignkey')
        for column in ('form', 'assisted_by', 'first', 'channel', 'kind'):
            batch_op.drop_column(column)
    with op.batch_alter_table('customers') as batch_op:
        batch_op.drop_constraint('uq_customers_id_number', type_='unique')
        for column in ('profile', 'id_number', 'call_count'):
            batch_op.drop_column(column)
    with op.batch_alter_table('consultants') as batch_op:
        batch_op.drop_column('duty_group')
    with op.batch_alter_table('offices') as batch_op:
        batch_op.drop_column('alternate_groups')
