"""users administered through the API: offices, the audit log, revocation generation, login
throttle

Revision ID: gateway_0004
Revises: gateway_0002
Create Date: 2026-11-30 11:45:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'gateway_0004'
down_revision: Union[str, Sequence[str], None] = 'gateway_0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('office_ids', sa.JSON(), nullable=False,
                                      server_default='[]'))
    generation = op.create_table(
        'auth_generation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('generation', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.bulk_insert(generation, [{'id': 1, 'generation': 0}])
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('occurred_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('username', sa.String(length=50), nullable=False),
        sa.Column('action', sa.String(length=50), nullable=False),
        sa.Column('subject', sa.String(length=100), nullable=False),
        sa.Column('purpose', sa.String(length=500), nullable=True),
        sa.Column('address', sa.String(length=64), nullable=True),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_occurred_at'), ['occurred_at'])
        batch_op.create_index(batch_op.f('ix_audit_log_user_id'), ['user_id'])
        batch_op.create_index(batch_op.f('ix_audit_log_subject'), ['subject'])
    op.create_table(
        'login_throttle',
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('window_started_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column('blocked_until', infra.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('key'))


def downgrade() -> None:
    op.drop_table('login_throttle')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_subject'))
        batch_op.drop_index(batch_op.f('ix_audit_log_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_log_occurred_at'))
    op.drop_table('audit_log')
    op.drop_table('auth_generation')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('office_ids')
