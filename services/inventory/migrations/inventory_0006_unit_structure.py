"""entrances (单元) and the attributes of a room from the forms

Revision ID: inventory_0006
Revises: inventory_0005
Create Date: 2026-11-22 13:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'inventory_0006'
down_revision: Union[str, Sequence[str], None] = 'inventory_0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# names the first migration's unnamed unique constraint on SQLite too
NAMING = {"uq": "%(table_name)s_%(column_0_name)s_building_number_key"}


def upgrade() -> None:
    with op.batch_alter_table('units', schema=None, naming_convention=NAMING) as batch_op:
        batch_op.add_column(sa.Column('entrance', sa.String(length=20), server_default='', nullable=False))
        batch_op.add_column(sa.Column('garden_area', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('other_area', sa.Numeric(precision=14, scale=2), nullable=True))
        batch_op.add_column(sa.Column('property_type', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('orientation', sa.String(length=20), nullable=True))
        batch_op.drop_constraint('units_project_id_building_number_key', type_='unique')
        batch_op.create_unique_constraint('uq_units_place', ['project_id', 'building', 'entrance', 'number'])


def downgrade() -> None:
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_constraint('uq_units_place', type_='unique')
        batch_op.create_unique_constraint('units_project_id_building_number_key', ['project_id', 'building', 'number'])
        batch_op.drop_column('orientation')
        batch_op.drop_column('property_type')
        batch_op.drop_column('other_area')
        batch_op.drop_column('garden_area')
        batch_op.drop_column('entrance')
