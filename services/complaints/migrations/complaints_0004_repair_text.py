"""repair text stored before input was checked: no NUL, control character or lone surrogate

Revision ID: complaints_0004
Revises: complaints_0003
Create Date: 2026-11-30 12:00:00

"""
from typing import Sequence, Union

from alembic import op

from infra.text_repair import repair_text_columns


revision: str = 'complaints_0004'
down_revision: Union[str, Sequence[str], None] = 'complaints_0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    repair_text_columns(op.get_bind())


def downgrade() -> None:
    pass  # the removed characters were never valid text; nothing to put back
