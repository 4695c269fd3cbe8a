"""Acknowledgment counts for leadership (/baocao), by department.

Honest words: "đã gửi" counts messages that reached the messenger, "đã xác nhận"
counts people who pressed "Đã đọc"; nothing here claims anyone read anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Campaign,
    CampaignMember,
    ChannelIdentity,
    Department,
    Feedback,
    Staff,
)
from bot.domain.enums import Channel


@dataclass
class Row:
    department: str
    members: int = 0
    linked: int = 0
    sent: int = 0  # section messages sent
    all_confirmed: int = 0  # people who confirmed every section
    attested: int = 0  # people who confirmed the whole document
    unreachable: int = 0
    acks: int = 0  # section confirmations
    linked_telegram: int = 0  # people with a Telegram account linked (those on both count here too)
    linked_zalo: int = 0
    linked_both: int = 0
    acks_telegram: int = 0  # section confirmations made on Telegram (``Ack.via``)
    acks_zalo: int = 0


@dataclass
class CampaignCounts:
    campaign: Campaign
    sections: int
    rows: list[Row] = field(default_factory=list)
    feedback: int = 0
    total: Row = field(default_factory=lambda: Row(""))


async def campaign_counts(session: AsyncSession, campaign: Campaign, sections: int) -> CampaignCounts:
    """One statement over one row per member: the sections sent and confirmed are kept on
    the member's row (``tallies``), the linked accounts are reduced to one row per person. A
    campaign of 100,000 people × 40 sections is millions of delivery and acknowledgment rows:
    counting them at each call took more than a second on PostgreSQL
    (``bench/reports_scale.py``)."""
    member = CampaignMember
    dept = func.coalesce(Department.name, "—").label("department")
    active = (member.campaign_id == campaign.id) & member.removed_at.is_(None)
    identity = (
        select(
            ChannelIdentity.staff_id,
            func.max(case((ChannelIdentity.reachable.is_(True), 1), else_=0)).label("reachable"),
            func.max(case((ChannelIdentity.channel == Channel.TELEGRAM, 1), else_=0)).label("telegram"),
            func.max(case((ChannelIdentity.channel == Channel.ZALO, 1), else_=0)).label("zalo"),
        )
        .where(ChannelIdentity.staff_id.in_(select(member.staff_id).where(active)))
        .group_by(ChannelIdentity.staff_id)
        .subquery()
    )
    # as many sections confirmed as the document has (someone who confirmed nothing of a
    # document without sections has not confirmed it all)
    complete = (member.sections_confirmed >= sections) & (
        (member.sections_confirmed > 0) | member.attested_at.is_not(None)
    )
    query = (
        select(
            dept,
            func.count(),
            func.count(identity.c.staff_id),
            func.sum(case((identity.c.reachable == 0, 1), else_=0)),
            func.sum(member.sections_sent),
            func.sum(identity.c.telegram),
            func.sum(identity.c.zalo),
            func.sum(case(((identity.c.telegram == 1) & (identity.c.zalo == 1), 1), else_=0)),
            func.sum(member.sections_confirmed),
            func.sum(case((complete, 1), else_=0)),
            func.count(member.attested_at),
            func.sum(member.confirmed_telegram),
            func.sum(member.confirmed_zalo),
        )
        .select_from(member)
        .join(Staff, Staff.id == member.staff_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .outerjoin(identity, identity.c.staff_id == member.staff_id)
        .where(active)
        .group_by(dept)
    )
    rows: dict[str, Row] = {}
    for (department, count, linked, unreachable, sent_count, telegram, zalo, both, acks, complete, attested,
         acks_telegram, acks_zalo) in (await session.execute(query)).all():
        rows[department] = Row(
            department, members=int(count), linked=int(linked or 0), sent=int(sent_count or 0),
            all_confirmed=int(complete or 0), attested=int(attested or 0), unreachable=int(unreachable or 0),
            acks=int(acks or 0), linked_telegram=int(telegram or 0), linked_zalo=int(zalo or 0),
            linked_both=int(both or 0), acks_telegram=int(acks_telegram or 0), acks_zalo=int(acks_zalo or 0),
        )

    result = CampaignCounts(campaign, sections, sorted(rows.values(), key=lambda r: r.department))
    result.feedback = int(
        await session.scalar(select(func.count(Feedback.id)).where(Feedback.campaign_id == campaign.id)) or 0
    )
    for row in result.rows:
        for name in (
            "members", "linked", "sent", "all_confirmed", "attested", "unreachable", "acks",
            "linked_telegram", "linked_zalo", "linked_both", "acks_telegram", "acks_zalo",
        ):
            setattr(result.total, name, getattr(result.total, name) + getattr(row, name))
    return result



