"""Linking a messenger account to one person on the roster.

Two ways in: the invite code (``/start <code>`` from the deep link, or the code
typed on Zalo) and, on Telegram, the person's own phone number shared through a
``request_contact`` button, which Telegram vouches for. A stranger learns nothing:
every refusal says only that the account is not linked and how to get a code.

A code that does not link (wrong, re-issued, of someone who left, of someone already
linked on this messenger) is one case: one query, one refusal (``BAD_CODE``), one audit
row with the same reason, so neither the reply, nor its timing, nor the database tells
which it was.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.db.engine import deployment_key_of
from bot.db.models import AuditEvent, ChannelIdentity, Staff
from bot.domain import invite
from bot.domain.enums import Channel
from bot.domain.roster import PhoneError, normalise_phone
from bot.services import audit

MAX_FAILED_LINKS_PER_HOUR = 5
TOUCH_EVERY = dt.timedelta(minutes=10)  # how stale "last seen" may get before it is written again


class LinkStatus(str, enum.Enum):
    LINKED = "linked"
    ALREADY = "already"  # this account is already linked (to this person)
    BAD_CODE = "bad_code"
    CODE_USED = "code_used"  # the phone's owner is linked on this channel with another account
    OTHER_CONTACT = "other_contact"  # a contact that is not the sender's own
    UNKNOWN_PHONE = "unknown_phone"
    TOO_MANY = "too_many"


@dataclass(frozen=True)
class LinkResult:
    status: LinkStatus
    staff: Staff | None = None


async def identify(session: AsyncSession, channel: Channel, external_user_id: str) -> Staff | None:
    """The active person behind a messenger account, or None for a stranger."""
    return await session.scalar(
        select(Staff)
        .join(ChannelIdentity, ChannelIdentity.staff_id == Staff.id)
        .where(
            ChannelIdentity.channel == channel,
            ChannelIdentity.external_user_id == external_user_id,
            Staff.active.is_(True),
        )
    )


# Built once: it runs for every update from a member.
_MEMBERS_AND_IDENTITIES = (
    select(
        Staff, ChannelIdentity.external_user_id, ChannelIdentity.id, ChannelIdentity.reachable,
        ChannelIdentity.last_seen_at,
    )
    .join(ChannelIdentity, ChannelIdentity.staff_id == Staff.id)
    .where(
        ChannelIdentity.channel == bindparam("channel"),
        ChannelIdentity.external_user_id.in_(bindparam("user_ids", expanding=True)),
        Staff.active.is_(True),
    )
)


# Core on the tables: no unit of work on the hot path
_IDENTITIES = cast(Table, ChannelIdentity.__table__)
_STAFF = cast(Table, Staff.__table__)
_SEEN = (
    update(_IDENTITIES)
    .where(_IDENTITIES.c.id == bindparam("identity_id"))
    .values(
        last_seen_at=bindparam("now", type_=_IDENTITIES.c.last_seen_at.type), reachable=True, unreachable_reason=None
    )
)
_LAST_CHANNEL = (
    update(_STAFF)
    .where(_STAFF.c.id == bindparam("staff_id"))
    .values(last_channel=bindparam("channel", type_=_STAFF.c.last_channel.type))
)


async def identify_and_touch(
    session: AsyncSession, channel: Channel, external_user_id: str, now: dt.datetime
) -> Staff | None:
    """``identify`` and ``touch`` in one query: every update of a member needs both."""
    return (await identify_and_touch_many(session, channel, [external_user_id], now)).get(external_user_id)


async def identify_and_touch_many(
    session: AsyncSession, channel: Channel, external_user_ids: list[str], now: dt.datetime
) -> dict[str, Staff]:
    """``identify_and_touch`` for several accounts of one channel at once: the people found,
    by account; strangers are left out."""
    found = (
        await session.execute(_MEMBERS_AND_IDENTITIES, {"channel": channel, "user_ids": list(set(external_user_ids))})
    ).all()
    seen: list[dict[str, object]] = []
    moved: list[dict[str, object]] = []
    people: dict[str, Staff] = {}
    for staff, user_id, identity_id, reachable, last_seen_at in found:
        people[user_id] = staff
        if not reachable or not last_seen_at or now - last_seen_at > TOUCH_EVERY:
            seen.append({"identity_id": identity_id, "now": now})
        if staff.last_channel != channel:
            moved.append({"staff_id": staff.id, "channel": channel})
            set_committed_value(staff, "last_channel", channel)
    await _touch(session, seen, moved)
    return people


async def _touch(session: AsyncSession, seen: list[dict[str, object]], moved: list[dict[str, object]]) -> None:
    """Note that people used a channel now: deliveries follow the channel used last, and
    writing to the bot again makes a blocked identity reachable.

    Written as small UPDATEs only where something changed, without the unit of work:
    this runs for nearly every update a member sends."""
    for statement, rows in ((_SEEN, seen), (_LAST_CHANNEL, moved)):
        if rows:
            await session.execute(statement, rows[0] if len(rows) == 1 else rows)


async def link_by_code(
    session: AsyncSession, channel: Channel, external_user_id: str, chat_id: str, code: str, now: dt.datetime
) -> LinkResult:
    existing = await identify(session, channel, external_user_id)
    if existing is not None:
        return LinkResult(LinkStatus.ALREADY, existing)
    if await _too_many_failures(session, channel, external_user_id, now):
        return LinkResult(LinkStatus.TOO_MANY)
    staff, taken = await _code_holder(session, channel, code)
    if staff is None or taken:
        _failed(session, channel, external_user_id, now, "code")
        return LinkResult(LinkStatus.BAD_CODE)
    return await _link(session, staff, channel, external_user_id, chat_id, now, via="code")


async def _code_holder(session: AsyncSession, channel: Channel, code: str) -> tuple[Staff | None, bool]:
    """The active person whose invite code ``code`` is, and whether they are linked on
    ``channel`` already: one query for any text, a code or not (the hash of what is not a
    code matches nothing), so a used code takes as long to refuse as a wrong one."""
    linked = exists().where(ChannelIdentity.staff_id == Staff.id, ChannelIdentity.channel == channel)
    row = (
        await session.execute(
            select(Staff, linked).where(
                Staff.invite_code_hash.in_(invite.code_hashes(code, deployment_key_of(session))), Staff.active.is_(True)
            )
        )
    ).first()
    return (None, False) if row is None else (row[0], bool(row[1]))


async def link_by_contact(
    session: AsyncSession,
    channel: Channel,
    external_user_id: str,
    chat_id: str,
    phone: str,
    contact_user_id: str | None,
    now: dt.datetime,
) -> LinkResult:
    existing = await identify(session, channel, external_user_id)
    if existing is not None:
        return LinkResult(LinkStatus.ALREADY, existing)
    if contact_user_id != external_user_id:
        _failed(session, channel, external_user_id, now, "other_contact")
        return LinkResult(LinkStatus.OTHER_CONTACT)
    if await _too_many_failures(session, channel, external_user_id, now):
        return LinkResult(LinkStatus.TOO_MANY)
    try:
        normalised = normalise_phone(phone)
    except PhoneError:
        normalised = ""
    staff = await session.scalar(select(Staff).where(Staff.phone == normalised, Staff.active.is_(True)))
    if staff is None:
        _failed(session, channel, external_user_id, now, "phone")
        return LinkResult(LinkStatus.UNKNOWN_PHONE)
    return await _link(session, staff, channel, external_user_id, chat_id, now, via="contact")


async def _link(
    session: AsyncSession,
    staff: Staff,
    channel: Channel,
    external_user_id: str,
    chat_id: str,
    now: dt.datetime,
    via: str,
) -> LinkResult:
    taken = await session.scalar(
        select(ChannelIdentity).where(ChannelIdentity.staff_id == staff.id, ChannelIdentity.channel == channel)
    )
    if taken is not None:  # a code: linked meanwhile by another account, refused as any code
        _failed(session, channel, external_user_id, now, "code" if via == "code" else "taken")
        return LinkResult(LinkStatus.BAD_CODE if via == "code" else LinkStatus.CODE_USED)
    session.add(
        ChannelIdentity(
            staff_id=staff.id,
            channel=channel,
            external_user_id=external_user_id,
            chat_id=chat_id,
            reachable=True,
            linked_at=now,
            last_seen_at=now,
        )
    )
    if via == "code":
        staff.invite_used_at = now
    staff.last_channel = channel
    audit.record(session, now, f"staff:{staff.id}", "identity.link", "staff", staff.id, channel=channel.value, via=via)
    await session.flush()
    await session.refresh(staff, ["department"])
    return LinkResult(LinkStatus.LINKED, staff)


def _failed(session: AsyncSession, channel: Channel, external_user_id: str, now: dt.datetime, why: str) -> None:
    audit.record(session, now, f"{channel.value}:{external_user_id}", "identity.link_failed", reason=why)


async def _too_many_failures(
    session: AsyncSession, channel: Channel, external_user_id: str, now: dt.datetime
) -> bool:
    """Guessing codes is slow: a few failed attempts an hour per account."""
    failures = await session.scalar(
        select(func.count(AuditEvent.id)).where(
            AuditEvent.actor == f"{channel.value}:{external_user_id}",
            AuditEvent.action == "identity.link_failed",
            AuditEvent.at >= now - dt.timedelta(hours=1),
        )
    )
    return (failures or 0) >= MAX_FAILED_LINKS_PER_HOUR


async def set_reachable(
    session: AsyncSession, channel: Channel, external_user_id: str, reachable: bool, reason: str, now: dt.datetime
) -> Staff | None:
    """The messenger said the person blocked the bot (or allowed it again): nothing is sent
    there while blocked. Returns the person, or None for a stranger."""
    identity = await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_user_id == external_user_id
        )
    )
    if identity is None:
        return None
    if identity.reachable != reachable:
        identity.reachable = reachable
        identity.unreachable_reason = None if reachable else reason[:200]
        audit.record(session, now, "system", "identity.reachable" if reachable else "identity.unreachable", "staff",
                     identity.staff_id, channel=channel.value)
    return await session.get(Staff, identity.staff_id)
