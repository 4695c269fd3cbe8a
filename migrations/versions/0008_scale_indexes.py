"""Indexes for a province-sized audience: the claim reads the queue in index order, the rows
someone asked for are found without a scan, and the reports count a campaign's sent sections and
confirmations from the indexes alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 18:40:00

"""
from typing import Sequence, Union

from alembic import op


revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_due')
        batch_op.create_index('ix_delivery_queue', ['status', 'due_at', 'id'], unique=False)
        batch_op.create_index('ix_delivery_asked', ['asked', 'status', 'due_at'], unique=False)
        batch_op.create_index('ix_delivery_person', ['staff_id', 'status', 'due_at', 'id'], unique=False)
        batch_op.drop_index('ix_delivery_campaign_id')
        batch_op.create_index('ix_delivery_campaign', ['campaign_id', 'kind', 'status', 'staff_id'], unique=False)
    with op.batch_alter_table('ack', schema=None) as batch_op:
        batch_op.create_index('ix_ack_campaign_via', ['campaign_id', 'staff_id', 'item', 'via'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ack', schema=None) as batch_op:
        batch_op.drop_index('ix_ack_campaign_via')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_campaign')
        batch_op.create_index('ix_delivery_campaign_id', ['campaign_id'], unique=False)
        batch_op.drop_index('ix_delivery_person')
        batch_op.drop_index('ix_delivery_asked')
        batch_op.drop_index('ix_delivery_queue')
        batch_op.create_index('ix_delivery_due', ['status', 'due_at'], unique=False)
