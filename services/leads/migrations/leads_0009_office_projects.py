"""the projects each office sells

Revision ID: leads_0009
Revises: leads_0008
Create Date: 2026-11-30 11:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'leads_0009'
down_revision: Union[str, Sequence[str], None] = 'leads_0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('office_projects',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('office_id', 'project_id')
    )
    op.create_index(op.f('ix_office_projects_project_id'), 'office_projects', ['project_id'],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_office_projects_project_id'), table_name='office_projects')
    op.drop_table('office_projects')
