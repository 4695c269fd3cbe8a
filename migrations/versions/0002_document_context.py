"""Document context: the adoption line, the enacting decision and the outline of titled headings.

Revision ID: 0002_document_context
Revises: 0001
Create Date: 2026-11-26 15:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0002_document_context'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('adopted_by', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('decision', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('outline', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.alter_column('outline', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_column('outline')
        batch_op.drop_column('decision')
        batch_op.drop_column('adopted_by')
