"""Each member's progress kept on their campaign_member row (sections sent, confirmed in all, on
Telegram, on Zalo; the attestation; the latest confirmation), computed here once from the
delivery and ack rows and kept since by the transactions that change them
(``bot.services.tallies``): the reports read one row per person instead of every row.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 21:10:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_ACKS = "FROM ack a WHERE a.campaign_id = campaign_member.campaign_id AND a.staff_id = campaign_member.staff_id"

# The backfill, one statement for both databases (each figure from its index: ix_delivery_campaign,
# ix_ack_campaign_via). bench/reports_scale.py builds its generated campaign's figures with it.
BACKFILL = (
    "UPDATE campaign_member SET "
    "sections_sent = (SELECT count(*) FROM delivery d WHERE d.campaign_id = campaign_member.campaign_id "
    "AND d.kind = 'section' AND d.status = 'sent' AND d.staff_id = campaign_member.staff_id), "
    f"sections_confirmed = (SELECT count(*) {_ACKS} AND a.item <> 0), "
    f"confirmed_telegram = (SELECT count(*) {_ACKS} AND a.item <> 0 AND a.via = 'telegram'), "
    f"confirmed_zalo = (SELECT count(*) {_ACKS} AND a.item <> 0 AND a.via = 'zalo'), "
    f"attested_at = (SELECT max(a.at) {_ACKS} AND a.item = 0), "
    f"last_confirmed_at = (SELECT max(a.at) {_ACKS})"
)


def upgrade() -> None:
    with op.batch_alter_table('campaign_member', schema=None) as batch_op:
        for name in ('sections_sent', 'sections_confirmed', 'confirmed_telegram', 'confirmed_zalo'):
            batch_op.add_column(sa.Column(name, sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('attested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('last_confirmed_at', sa.DateTime(), nullable=True))
    op.execute(BACKFILL)


def downgrade() -> None:
    with op.batch_alter_table('campaign_member', schema=None) as batch_op:
        for name in ('last_confirmed_at', 'attested_at', 'confirmed_zalo', 'confirmed_telegram',
                     'sections_confirmed', 'sections_sent'):
            batch_op.drop_column(name)
