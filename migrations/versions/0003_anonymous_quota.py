"""The anonymous-comment quota kept in the database under a keyed hash.

Revision ID: 0003
Revises: 0002_document_context
Create Date: 2026-11-26 15:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002_document_context'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('anonymous_quota',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_anonymous_quota')),
    sa.UniqueConstraint('token', 'day', name=op.f('uq_anonymous_quota_token_day'))
    )
    with op.batch_alter_table('anonymous_quota', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_anonymous_quota_day'), ['day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('anonymous_quota', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_anonymous_quota_day'))
    op.drop_table('anonymous_quota')
