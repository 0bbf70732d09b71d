"""call center: agents, distribution, call attempts, invitations, recall interval

Revision ID: leads_0006
Revises: leads_0005
Create Date: 2026-11-22 13:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'leads_0006'
down_revision: Union[str, Sequence[str], None] = 'leads_0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('offices') as batch_op:
        batch_op.add_column(sa.Column('recall_days', sa.Integer(), nullable=False,
                                      server_default='30'))
    with op.batch_alter_table('consultants') as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False,
                                      server_default='sales'))
    with op.batch_alter_table('call_leads') as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('recall_after', infra.tables.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_foreign_key('fk_call_leads_agent_id', 'consultants', ['agent_id'],
                                    ['id'])
        batch_op.create_index('ix_call_leads_agent_id', ['agent_id'])
    op.create_table('call_attempts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('call_lead_id', BIG_ID, nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('connected', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=1), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('called_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['call_lead_id'], ['call_leads.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    for column in ('call_lead_id', 'agent_id', 'called_at'):
        op.create_index(f'ix_call_attempts_{column}', 'call_attempts', [column])
    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_lead_id', BIG_ID, nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('appointment_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agent_id'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['call_lead_id'], ['call_leads.id'], ),
    sa.ForeignKeyConstraint(['confirmed_by'], ['consultants.id'], ),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_invitations_call_lead_id', 'invitations', ['call_lead_id'])
    op.create_index('ix_invitations_agent_id', 'invitations', ['agent_id'])


def downgrade() -> None:
    op.drop_index('ix_invitations_agent_id', table_name='invitations')
    op.drop_index('ix_invitations_call_lead_id', table_name='invitations')
    op.drop_table('invitations')
    for column in ('call_lead_id', 'agent_id', 'called_at'):
        op.drop_index(f'ix_call_attempts_{column}', table_name='call_attempts')
    op.drop_table('call_attempts')
    with op.batch_alter_table('call_leads') as batch_op:
        batch_op.drop_index('ix_call_leads_agent_id')
        batch_op.drop_constraint('fk_call_leads_agent_id', type_='foreignkey')
        for column in ('recall_after', 'outcome', 'agent_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('consultants') as batch_op:
        batch_op.drop_column('kind')
    with op.batch_alter_table('offices') as batch_op:
        batch_op.drop_column('recall_days')
