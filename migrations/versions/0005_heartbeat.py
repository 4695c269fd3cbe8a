"""Heartbeat: a running bot's mark every few minutes, the evidence that a window was continuous;
app_secret: random keys kept per database.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 15:20:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

import bot.db.types


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('heartbeat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', bot.db.types.UTCDateTime(), nullable=False),
    sa.Column('instance', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_heartbeat'))
    )
    with op.batch_alter_table('heartbeat', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_heartbeat_at'), ['at'], unique=False)

    op.create_table('app_secret',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=128), nullable=False),
    sa.Column('created_at', bot.db.types.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_secret')),
    sa.UniqueConstraint('name', name=op.f('uq_app_secret_name'))
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('app_secret')
    with op.batch_alter_table('heartbeat', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_heartbeat_at'))

    op.drop_table('heartbeat')
