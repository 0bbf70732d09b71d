"""grades with history, outcomes, follow-ups, non-deal analyses, customer profiles

Revision ID: leads_0005
Revises: leads_0004
Create Date: 2026-11-22 13:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'leads_0005'
down_revision: Union[str, Sequence[str], None] = 'leads_0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('customers') as batch_op:
        batch_op.add_column(sa.Column('grade', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('hopeless_kind', sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column('outcome_at', infra.tables.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('archive', sa.JSON(), nullable=False,
                                      server_default='{}'))
    op.create_table('grade_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('from_grade', sa.String(length=1), nullable=True),
    sa.Column('to_grade', sa.String(length=1), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('changed_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('changed_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultant_id'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_grade_changes_customer_id', 'grade_changes', ['customer_id'])
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('reaction', sa.Text(), nullable=False),
    sa.Column('next_appointment', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recorded_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultant_id'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_follow_ups_customer_id', 'follow_ups', ['customer_id'])
    op.create_table('non_deal_analyses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('consultant_id', sa.Integer(), nullable=False),
    sa.Column('hopeless_kind', sa.String(length=30), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('days_to_give_up', sa.Integer(), nullable=False),
    sa.Column('recorded_by', sa.String(length=100), nullable=False),
    sa.Column('recorded_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['consultant_id'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_non_deal_analyses_customer_id', 'non_deal_analyses', ['customer_id'])
    op.create_table('family_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('relation', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('birthday', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_family_members_customer_id', 'family_members', ['customer_id'])


def downgrade() -> None:
    for table in ('family_members', 'non_deal_analyses', 'follow_ups', 'grade_changes'):
        op.drop_index(f'ix_{table}_customer_id', table_name=table)
        op.drop_table(table)
    with op.batch_alter_table('customers') as batch_op:
        for column in ('archive', 'outcome_at', 'hopeless_kind', 'outcome', 'grade'):
            batch_op.drop_column(column)
