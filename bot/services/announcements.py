"""Announcements (thông báo) of the union and leadership: draft, audience, preview,
send now or at a set time, optional "Đã nhận" confirmations, and the counts.

An announcement goes out through the same delivery queue as a campaign (one row
per person, ``source = "announcement:<id>"``), so it shares the worker's rate,
retries and restart safety. A scheduled one is queued at once with ``due_at`` at
its time: the worker does not send a row before it is due, and cancelling marks
the rows cancelled.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Announcement,
    AnnouncementAck,
    ChannelIdentity,
    Delivery,
    Department,
    Staff,
)
from bot.db.queries import insert_ignoring_duplicates
from bot.domain.enums import (
    AnnouncementStatus,
    Channel,
    DeliveryKind,
    DeliveryStatus,
    Role,
)
from bot.domain.render import to_plain
from bot.domain.roster import ROLE_NAMES_VI
from bot.domain.texts import t
from bot.services import audit
from bot.services.campaigns import audience_filter
from bot.services.deliveries import queue_message

MAX_LENGTH = 3500  # leaves room in Telegram's 4096 for the heading and the stamp
SEND_FROM = dt.time(7, 0)  # working hours for a scheduled announcement (local time)
SEND_UNTIL = dt.time(18, 0)
ROLE_CHOICES = (Role.LEADER, Role.UNION, Role.INSPECTOR)


class AnnouncementRefused(Exception):
    """The announcement cannot be made as asked; ``message`` says why (Vietnamese)."""

    def __init__(self, key: str, **values: Any) -> None:
        self.message = t(key, **values)
        super().__init__(self.message)


def source_of(announcement_id: int) -> str:
    return f"announcement:{announcement_id}"


# --- composing ---------------------------------------------------------------------


def check_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise AnnouncementRefused("announce.refused.empty")
    if len(text) > MAX_LENGTH:
        raise AnnouncementRefused("announce.refused.too_long", limit=MAX_LENGTH, length=len(text))
    return text


async def create_draft(
    session: AsyncSession,
    *,
    author_id: int | None,
    text: str,
    now: dt.datetime,
    audience: dict[str, Any] | None = None,
    require_ack: bool = False,
) -> Announcement:
    announcement = Announcement(
        author_id=author_id, text=check_text(text), audience=dict(audience or {"departments": [], "roles": []}),
        require_ack=require_ack, status=AnnouncementStatus.DRAFT, created_at=now,
    )
    session.add(announcement)
    await session.flush()
    return announcement


async def load(session: AsyncSession, announcement_id: int) -> Announcement | None:
    return await session.get(Announcement, announcement_id)


def toggle(audience: dict[str, Any], choice: str) -> dict[str, Any]:
    """A new audience after one press: ``all`` (everyone), ``d<id>`` (a department), ``r<role>``."""
    departments = list(audience.get("departments") or [])
    roles = list(audience.get("roles") or [])
    if choice == "all":
        return {"departments": [], "roles": []}
    if choice.startswith("d") and choice[1:].isdigit():
        value: Any = int(choice[1:])
        departments = [d for d in departments if d != value] if value in departments else departments + [value]
    elif choice.startswith("r") and choice[1:] in {r.value for r in ROLE_CHOICES}:
        value = choice[1:]
        roles = [r for r in roles if r != value] if value in roles else roles + [value]
    return {"departments": sorted(departments), "roles": sorted(roles)}


async def departments(session: AsyncSession) -> list[Department]:
    return list((await session.scalars(select(Department).order_by(Department.name))).all())


async def describe_audience(session: AsyncSession, audience: dict[str, Any]) -> str:
    """The audience as people say it: "Toàn cơ quan", or the units and roles chosen."""
    parts: list[str] = []
    if audience.get("departments"):
        names = (
            await session.scalars(
                select(Department.name).where(Department.id.in_(audience["departments"])).order_by(Department.name)
            )
        ).all()
        parts.append(", ".join(names))
    if audience.get("roles"):
        parts.append(", ".join(ROLE_NAMES_VI[Role(r)] for r in audience["roles"]))
    return " · ".join(parts) if parts else t("announce.audience.everyone")


async def audience_ids(session: AsyncSession, audience: dict[str, Any]) -> list[int]:
    """Active staff the audience names (the campaigns' own audience rules)."""
    return list(
        (await session.scalars(select(Staff.id).where(*audience_filter(audience)).order_by(Staff.id))).all()
    )


async def reachable_ids(session: AsyncSession, staff_ids: Sequence[int]) -> list[int]:
    """Those of ``staff_ids`` who have linked a messenger that still reaches them."""
    if not staff_ids:
        return []
    return sorted(
        set(
            (
                await session.scalars(
                    select(ChannelIdentity.staff_id).where(
                        ChannelIdentity.staff_id.in_(list(staff_ids)), ChannelIdentity.reachable.is_(True)
                    )
                )
            ).all()
        )
    )


@dataclass(frozen=True)
class Preview:
    content: dict[str, Any]  # what each recipient gets, as data (worded by bot/chat/notices.py)
    audience: str  # described
    members: int  # people the audience names
    recipients: int  # of them, reachable on a messenger now


async def preview(session: AsyncSession, announcement: Announcement) -> Preview:
    members = await audience_ids(session, announcement.audience or {})
    reachable = await reachable_ids(session, members)
    return Preview(
        content=await recipient_content(session, announcement),
        audience=await describe_audience(session, announcement.audience or {}),
        members=len(members),
        recipients=len(reachable),
    )


async def recipient_content(session: AsyncSession, announcement: Announcement) -> dict[str, Any]:
    """What each recipient gets, as the data of a notice: the text, who signs it (a union
    officer who is not also a leader speaks for the union), whether it asks for "Đã nhận"."""
    author = await session.get(Staff, announcement.author_id) if announcement.author_id else None
    return {
        "notice": "announcement", "id": announcement.id, "text": announcement.text,
        "author": author.full_name if author is not None else None,
        "position": author.position if author is not None else None,
        "union": author is not None and Role.UNION in author.role_set and not author.role_set & {Role.LEADER, Role.ADMIN},
        "require_ack": announcement.require_ack,
    }


# --- sending -----------------------------------------------------------------------


def parse_when(value: str, now: dt.datetime, tz: str) -> dt.datetime:
    """A local time as people type it: "08:00 25/11", "25/11/2026 8h30", "2026-11-25 08:00",
    or "14:00" (today). Returned in UTC; refused when past or outside 07:00–18:00."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    text = value.strip().lower()
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})[ t](\d{1,2})[:h](\d{2})?", text)
    clock = re.search(r"(\d{1,2})\s*(?::|h|giờ)\s*(\d{2})?", text)
    date = re.search(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?", text)
    try:
        if iso:
            year, month, day, hour = (int(iso.group(i)) for i in range(1, 5))
            minute = int(iso.group(5) or 0)
        elif clock:
            rest = text[: clock.start()] + " " + text[clock.end():]
            date = re.search(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?", rest)
            hour, minute = int(clock.group(1)), int(clock.group(2) or 0)
            if date:
                day, month = int(date.group(1)), int(date.group(2))
                year = int(date.group(3)) if date.group(3) else today.year
            elif rest.strip():
                raise ValueError(value)
            else:
                year, month, day = today.year, today.month, today.day
        else:
            raise ValueError(value)
        local = dt.datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        raise AnnouncementRefused("announce.time.invalid", value=value) from None
    if not SEND_FROM <= local.time() <= SEND_UNTIL:
        raise AnnouncementRefused("announce.time.outside_hours", value=value,
                                  start=f"{SEND_FROM:%H:%M}", end=f"{SEND_UNTIL:%H:%M}")
    when = local.astimezone(dt.UTC)
    if when <= now:
        raise AnnouncementRefused("announce.time.past", value=value)
    return when


@dataclass(frozen=True)
class SendResult:
    announcement: Announcement
    queued: int  # rows made now (one per reachable recipient)
    due_at: dt.datetime


async def send(
    session: AsyncSession, announcement: Announcement, now: dt.datetime, at: dt.datetime | None = None, actor: str = "cli"
) -> SendResult:
    """Queue the announcement to everyone its audience names and a messenger reaches,
    now or at ``at``. Only a draft can be sent; a second press changes nothing."""
    if announcement.status is not AnnouncementStatus.DRAFT:
        raise AnnouncementRefused(f"announce.refused.{announcement.status.value}", id=announcement.id)
    if at is not None and at <= now:
        raise AnnouncementRefused("announce.time.past", value="")
    recipients = await reachable_ids(session, await audience_ids(session, announcement.audience or {}))
    if not recipients:
        raise AnnouncementRefused("announce.refused.nobody")
    due = at or now
    payload = await recipient_content(session, announcement)
    queued = await queue_message(
        session, source=source_of(announcement.id), kind=DeliveryKind.ANNOUNCEMENT, staff_ids=recipients,
        payload=payload, due_at=due, now=now, announcement_id=announcement.id,
    )
    if at is None:
        announcement.status, announcement.sent_at = AnnouncementStatus.SENT, now
    else:
        announcement.status, announcement.scheduled_at = AnnouncementStatus.SCHEDULED, at
    audit.record(session, now, actor, "announcement.send", "announcement", announcement.id,
                 recipients=queued, at=due.isoformat())
    return SendResult(announcement, queued, due)


async def cancel(session: AsyncSession, announcement: Announcement, now: dt.datetime, actor: str = "cli") -> int:
    """Cancel a draft, or a scheduled announcement before its time (its rows are
    cancelled). Returns the number of messages that will now not be sent."""
    if announcement.status not in (AnnouncementStatus.DRAFT, AnnouncementStatus.SCHEDULED):
        raise AnnouncementRefused(f"announce.refused.{announcement.status.value}", id=announcement.id)
    result = await session.execute(
        update(Delivery)
        .where(Delivery.announcement_id == announcement.id, Delivery.status == DeliveryStatus.PENDING,
               Delivery.chunk_index == 0)
        .values(status=DeliveryStatus.CANCELLED, last_error="announcement cancelled")
    )
    announcement.status = AnnouncementStatus.CANCELLED
    audit.record(session, now, actor, "announcement.cancel", "announcement", announcement.id)
    return int(result.rowcount or 0)


def effective_status(announcement: Announcement, now: dt.datetime) -> AnnouncementStatus:
    """A scheduled announcement whose time has come counts as sent."""
    if (announcement.status is AnnouncementStatus.SCHEDULED and announcement.scheduled_at is not None
            and announcement.scheduled_at <= now):
        return AnnouncementStatus.SENT
    return announcement.status


# --- "Đã nhận" -------------------------------------------------------------------------


class AckStatus(str, enum.Enum):
    DONE = "done"
    NOT_FOUND = "not_found"  # no such announcement, not sent to this person, or it asked for no "Đã nhận"


@dataclass(frozen=True)
class AckResult:
    status: AckStatus
    at: dt.datetime | None = None


async def acknowledge(
    session: AsyncSession, announcement_id: int, staff_id: int, via: Channel | None, now: dt.datetime
) -> AckResult:
    """Store "Đã nhận" once (a second press keeps the first time)."""
    owed = await session.scalar(
        select(Delivery.id)
        .join(Announcement, Announcement.id == Delivery.announcement_id)
        .where(
            Delivery.announcement_id == announcement_id,
            Delivery.staff_id == staff_id,
            Delivery.kind == DeliveryKind.ANNOUNCEMENT,
            (Delivery.status == DeliveryStatus.SENT)
            | ((Delivery.status == DeliveryStatus.PENDING) & (Delivery.due_at <= now)),
            Announcement.require_ack.is_(True),
        )
        .limit(1)
    )
    if owed is None:
        return AckResult(AckStatus.NOT_FOUND)
    await insert_ignoring_duplicates(
        session, AnnouncementAck,
        [{"announcement_id": announcement_id, "staff_id": staff_id, "at": now, "via": via}],
    )
    at = await session.scalar(
        select(AnnouncementAck.at).where(
            AnnouncementAck.announcement_id == announcement_id, AnnouncementAck.staff_id == staff_id
        )
    )
    return AckResult(AckStatus.DONE, at or now)


async def last_sent_to(session: AsyncSession, staff_id: int, channel: Channel) -> int | None:
    """The newest announcement asking for "Đã nhận" that reached this person on a channel."""
    return await session.scalar(
        select(Delivery.announcement_id)
        .join(Announcement, Announcement.id == Delivery.announcement_id)
        .where(
            Delivery.staff_id == staff_id,
            Delivery.kind == DeliveryKind.ANNOUNCEMENT,
            Delivery.status == DeliveryStatus.SENT,
            Delivery.channel == channel,
            Announcement.require_ack.is_(True),
        )
        .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
        .limit(1)
    )


# --- results ------------------------------------------------------------------------------


@dataclass
class Results:
    announcement: Announcement
    status: AnnouncementStatus
    audience: str
    recipients: int  # messages queued (reachable people at send time)
    sent: int
    failed: int  # blocked or failed after retries
    confirmed: int
    not_confirmed: list[str] = field(default_factory=list)  # names, of those it was sent to
    not_received: list[str] = field(default_factory=list)  # names, of those not (yet) reached
    not_linked: list[str] = field(default_factory=list)  # names, of the audience with no messenger linked


async def results(session: AsyncSession, announcement: Announcement, now: dt.datetime) -> Results:
    rows = (
        await session.execute(
            select(Staff.full_name, Delivery.status, AnnouncementAck.id)
            .join(Staff, Staff.id == Delivery.staff_id)
            .outerjoin(AnnouncementAck, and_(AnnouncementAck.announcement_id == Delivery.announcement_id,
                                             AnnouncementAck.staff_id == Delivery.staff_id))
            .where(Delivery.announcement_id == announcement.id, Delivery.status != DeliveryStatus.CANCELLED)
            .order_by(Staff.full_name)
        )
    ).all()
    sent = [r for r in rows if r[1] is DeliveryStatus.SENT]
    queued = select(Delivery.staff_id).where(Delivery.announcement_id == announcement.id)
    linked = select(ChannelIdentity.staff_id)
    not_linked = (
        await session.scalars(
            select(Staff.full_name)
            .where(*audience_filter(announcement.audience or {}), Staff.id.not_in(queued), Staff.id.not_in(linked))
            .order_by(Staff.full_name)
        )
    ).all() if announcement.status is not AnnouncementStatus.DRAFT else []
    return Results(
        announcement=announcement,
        status=effective_status(announcement, now),
        audience=await describe_audience(session, announcement.audience or {}),
        recipients=len(rows),
        sent=len(sent),
        failed=sum(r[1] in (DeliveryStatus.FAILED, DeliveryStatus.BLOCKED) for r in rows),
        confirmed=sum(r[2] is not None for r in rows),
        not_confirmed=[r[0] for r in sent if r[2] is None],
        not_received=[r[0] for r in rows if r[1] is not DeliveryStatus.SENT and r[2] is None],
        not_linked=list(not_linked),
    )


async def recent(session: AsyncSession, staff: Staff | None, limit: int = 10) -> list[Announcement]:
    """Announcements that left the draft stage, newest first: the author's own, or all
    of them for leadership and administrators (and the command line, ``staff=None``)."""
    query = (
        select(Announcement)
        .where(Announcement.status != AnnouncementStatus.DRAFT)
        .order_by(Announcement.created_at.desc(), Announcement.id.desc())
        .limit(limit)
    )
    if staff is not None and not staff.role_set & {Role.LEADER, Role.ADMIN}:
        query = query.where(Announcement.author_id == staff.id)
    return list((await session.scalars(query)).all())


async def count_confirmed(session: AsyncSession, announcement_id: int) -> int:
    return int(
        await session.scalar(
            select(func.count(AnnouncementAck.id)).where(AnnouncementAck.announcement_id == announcement_id)
        )
        or 0
    )


def short(text: str, limit: int = 40) -> str:
    """The start of an announcement, on one line, for lists and buttons."""
    line = " ".join(to_plain(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
