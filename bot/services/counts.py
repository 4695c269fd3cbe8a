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
    dept = func.coalesce(Department.name, "—").label("department")
    members = (
        select(CampaignMember.staff_id, dept)
        .join(Staff, Staff.id == CampaignMember.staff_id)
        .outerjoin(Department, Department.id == Staff.department_id)
        .where(CampaignMember.campaign_id == campaign.id, CampaignMember.removed_at.is_(None))
        .subquery()
    )
    rows: dict[str, Row] = {}
    for department, count in (await session.execute(select(members.c.department, func.count()).group_by(members.c.department))).all():
        rows[department] = Row(department, members=count)

    identity = (
        select(
            ChannelIdentity.staff_id,
            func.max(case((ChannelIdentity.reachable.is_(True), 1), else_=0)).label("reachable"),
        )
        .group_by(ChannelIdentity.staff_id)
        .subquery()
    )
    for department, linked, unreachable in (
        await session.execute(
            select(
                members.c.department,
                func.count(identity.c.staff_id),
                func.sum(case((identity.c.reachable == 0, 1), else_=0)),
            )
            .join(identity, identity.c.staff_id == members.c.staff_id)
            .group_by(members.c.department)
        )
    ).all():
        rows[department].linked = int(linked or 0)
        rows[department].unreachable = int(unreachable or 0)

    for department, sent in (
        await session.execute(
            select(members.c.department, func.count(Delivery.id))
            .join(Delivery, Delivery.staff_id == members.c.staff_id)
            .where(
                Delivery.campaign_id == campaign.id,
                Delivery.kind == DeliveryKind.SECTION,
                Delivery.status == DeliveryStatus.SENT,
            )
            .group_by(members.c.department)
        )
    ).all():
        rows[department].sent = int(sent)

    by_channel = (
        select(
            ChannelIdentity.staff_id,
            func.max(case((ChannelIdentity.channel == Channel.TELEGRAM, 1), else_=0)).label("telegram"),
            func.max(case((ChannelIdentity.channel == Channel.ZALO, 1), else_=0)).label("zalo"),
        )
        .group_by(ChannelIdentity.staff_id)
        .subquery()
    )
    for department, telegram, zalo, both in (
        await session.execute(
            select(
                members.c.department,
                func.sum(by_channel.c.telegram),
                func.sum(by_channel.c.zalo),
                func.sum(case(((by_channel.c.telegram == 1) & (by_channel.c.zalo == 1), 1), else_=0)),
            )
            .join(by_channel, by_channel.c.staff_id == members.c.staff_id)
            .group_by(members.c.department)
        )
    ).all():
        rows[department].linked_telegram = int(telegram or 0)
        rows[department].linked_zalo = int(zalo or 0)
        rows[department].linked_both = int(both or 0)

    for department, via, count in (
        await session.execute(
            select(members.c.department, Ack.via, func.count(Ack.id))
            .join(Ack, Ack.staff_id == members.c.staff_id)
            .where(Ack.campaign_id == campaign.id, Ack.item != ATTESTATION_ITEM)
            .group_by(members.c.department, Ack.via)
        )
    ).all():
        if via is Channel.TELEGRAM:
            rows[department].acks_telegram = int(count)
        elif via is Channel.ZALO:
            rows[department].acks_zalo = int(count)

    per_person = (
        select(
            Ack.staff_id,
            func.sum(case((Ack.item != ATTESTATION_ITEM, 1), else_=0)).label("acks"),
            func.max(case((Ack.item == ATTESTATION_ITEM, 1), else_=0)).label("attested"),
        )
        .where(Ack.campaign_id == campaign.id)
        .group_by(Ack.staff_id)
        .subquery()
    )
    for department, acks, complete, attested in (
        await session.execute(
            select(
                members.c.department,
                func.sum(per_person.c.acks),
                func.sum(case((per_person.c.acks >= sections, 1), else_=0)),
                func.sum(per_person.c.attested),
            )
            .join(per_person, per_person.c.staff_id == members.c.staff_id)
            .group_by(members.c.department)
        )
    ).all():
        rows[department].acks = int(acks or 0)
        rows[department].all_confirmed = int(complete or 0)
        rows[department].attested = int(attested or 0)

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



