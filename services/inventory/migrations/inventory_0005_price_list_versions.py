"""price lists as versions, the current prices on the units, the price pinned by a reservation

Revision ID: inventory_0005
Revises: inventory_0004
Create Date: 2026-11-22 13:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import infra.tables


revision: str = 'inventory_0005'
down_revision: Union[str, Sequence[str], None] = 'inventory_0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

PRICES = ('unit_price', 'total_price', 'floor_total_price')


def upgrade() -> None:
    op.create_table('price_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', infra.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', infra.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'version')
    )
    with op.batch_alter_table('price_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_lists_effective_from'), ['effective_from'], unique=False)

    op.create_table('price_list_items',
    sa.Column('price_list_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('unit_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('total_price', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('floor_total_price', sa.Numeric(precision=14, scale=2), nullable=True),
    sa.ForeignKeyConstraint(['price_list_id'], ['price_lists.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], ),
    sa.PrimaryKeyConstraint('price_list_id', 'unit_id')
    )
    with op.batch_alter_table('price_list_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_list_items_unit_id'), ['unit_id'], unique=False)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.alter_column('list_price', existing_type=sa.Numeric(precision=14, scale=2), nullable=True)
        batch_op.add_column(sa.Column('list_unit_price', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('floor_total_price', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('price_list_version', sa.Integer(), nullable=True))

    with op.batch_alter_table('reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_list_version', sa.Integer(), nullable=True))
        for name in PRICES:
            batch_op.add_column(sa.Column(name, sa.Numeric(precision=14, scale=2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reservations', schema=None) as batch_op:
        for name in PRICES + ('price_list_version',):
            batch_op.drop_column(name)

    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('price_list_version')
        batch_op.drop_column('floor_total_price')
        batch_op.drop_column('list_unit_price')
        batch_op.alter_column('list_price', existing_type=sa.Numeric(precision=14, scale=2), nullable=False)

    op.drop_table('price_list_items')
    op.drop_table('price_lists')
