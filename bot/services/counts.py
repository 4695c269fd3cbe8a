"""Acknowledgment counts for leadership (/baocao), by department.

Honest words: "đã gửi" counts messages that reached the messenger, "đã xác nhận"
counts people who pressed "Đã đọc"; nothing here claims anyone read anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Ack,
    Campaign,
    CampaignMember,
    ChannelIdentity,
    Delivery,
    Department,
    Feedback,
    Staff,
)
from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
from bot.services.reading import ATTESTATION_ITEM


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
    """One statement: each table is first reduced to one row per person (sent sections and
    confirmations from their indexes alone, ``ix_delivery_campaign`` and ``ix_ack_campaign_via``),
    then the members are counted by department with those rows beside them. A campaign of
    100,000 people × 40 sections is millions of rows: joining each of them to its member, as
    one query per figure did, took seconds (``bench/reports_scale.py``)."""
    dept = func.coalesce(Department.name, "—").label("department")
    members = (
        select(CampaignMember.staff_id, dept)
        .join(Staff, Staff.id == CampaignMember.staff_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None))
        .subquery()
    )
    identity = (
        select(
            ChannelIdentity.staff_id,
            func.max(case((ChannelIdentity.reachable.is_(True), 1), else_=0)).label("reachable"),
            func.max(case((ChannelIdentity.channel == Channel.TELEGRAM, 1), else_=0)).label("telegram"),
            func.max(case((ChannelIdentity.channel == Channel.ZALO, 1), else_=0)).label("zalo"),
        )
        .where(ChannelIdentity.staff_id.in_(select(members.c.staff_id)))
        .group_by(ChannelIdentity.staff_id)
        .subquery()
    )
    sent = (
        select(Delivery.staff_id, func.count().label("sent"))
        .where(
            Delivery.campaign_id == campaign.id,
            Delivery.kind == DeliveryKind.SECTION,
            Delivery.status == DeliveryStatus.SENT,
        )
        .group_by(Delivery.staff_id)
        .subquery()
    )
    section_ack = Ack.item != ATTESTATION_ITEM
    per_person = (
        select(
            Ack.staff_id,
            func.sum(case((section_ack, 1), else_=0)).label("acks"),
            func.max(case((Ack.item == ATTESTATION_ITEM, 1), else_=0)).label("attested"),
            func.sum(case((section_ack & (Ack.via == Channel.TELEGRAM), 1), else_=0)).label("telegram"),
            func.sum(case((section_ack & (Ack.via == Channel.ZALO), 1), else_=0)).label("zalo"),
        )
        .where(Ack.campaign_id == campaign.id)
        .group_by(Ack.staff_id)
        .subquery()
    )
    query = (
        select(
            members.c.department,
            func.count(),
            func.count(identity.c.staff_id),
            func.sum(case((identity.c.reachable == 0, 1), else_=0)),
            func.sum(sent.c.sent),
            func.sum(identity.c.telegram),
            func.sum(identity.c.zalo),
            func.sum(case(((identity.c.telegram == 1) & (identity.c.zalo == 1), 1), else_=0)),
            func.sum(per_person.c.acks),
            func.sum(case((per_person.c.acks >= sections, 1), else_=0)),
            func.sum(per_person.c.attested),
            func.sum(per_person.c.telegram),
            func.sum(per_person.c.zalo),
        )
        .select_from(
            members.outerjoin(identity, identity.c.staff_id == members.c.staff_id)
            .outerjoin(sent, sent.c.staff_id == members.c.staff_id)
            .outerjoin(per_person, per_person.c.staff_id == members.c.staff_id)
        )
        .group_by(members.c.department)
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



