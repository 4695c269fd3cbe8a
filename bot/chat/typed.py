"""A messenger without buttons (Zalo): what a typed word means, given what the person was
shown last.

After the table of contents, a number opens that item; after a section, "1" or "đã đọc"
confirms that very section; "điều N" is the article labelled N, never the N-th item. "The
section shown last" is the newest of: the section sent on this channel, and what the bot
showed here on request (kept as pending input, so any process takes the next message).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import comments, joining, pending, reading, report
from bot.chat.reply import Reply, Who
from bot.db.models import PendingInput, Staff
from bot.domain import actions, invite
from bot.domain.commands import Command, Kind, parse
from bot.domain.texts import t
from bot.services import announcements
from bot.services import reading as reading_service

CONTEXT_KIND = "zalo.context"  # pending input: what the person was last shown (the contents, a section)


@dataclass(frozen=True)
class Shown:
    campaign_id: int
    ordinal: int | None  # None: the table of contents


async def stranger(session: AsyncSession, who: Who, text: str, now: dt.datetime, tz: str) -> Reply:
    """Someone not linked yet: a typed invite code links them; anything else hears the greeting."""
    command = parse(text)
    code = command.text if command.kind is Kind.LINK else _code_like(text)
    if code:
        return await joining.start(session, who, code, now, tz)
    return Reply().say(t("zalo.stranger"))


async def member(session: AsyncSession, staff: Staff, who: Who, text: str, now: dt.datetime,
                 tz: str, dashboard_url: str = "") -> actions.Action | Reply | None:
    """A member's typed text: an action (the same as a button), a ready reply, or None when it
    is a free text (maybe the comment we asked for)."""
    seen = await _seen(session, staff, who, now)
    shown = seen.shown
    command = parse(text, after_toc=shown is not None and shown.ordinal is None)
    kind = command.kind
    if kind is Kind.CONFIRM:
        if shown is not None and shown.ordinal is not None:
            return actions.Ack(shown.campaign_id, shown.ordinal)
        if seen.last is None:
            return Reply().say(t("zalo.nothing_to_confirm"))
        return actions.Ack(seen.last.campaign_id, seen.last.ordinal)  # after the contents: the section sent last
    if kind is Kind.NEXT:
        campaign_id = await _campaign(session, staff, shown)
        return actions.Next(campaign_id) if campaign_id is not None else Reply().say(t("read.no_campaign"))
    if kind is Kind.TOC:
        reply = await reading.toc(session, staff, shown.campaign_id if shown else None, (command.number or 1) - 1)
        campaign_id = _campaign_of(reply)
        if campaign_id is not None:
            await _remember(session, who, now, seen, toc=campaign_id)
        return reply
    if kind in (Kind.READ, Kind.ARTICLE) and command.number is not None:
        return await _open(session, staff, who, command, seen, now)
    if kind in (Kind.FEEDBACK, Kind.FEEDBACK_ANONYMOUS):
        return await _comment(session, staff, who, command, shown, now)
    if kind is Kind.PROGRESS:
        return await reading.my_progress(session, staff, now, tz)
    if kind is Kind.ATTEST:
        for item in await reading_service.progress(session, staff.id, now, tz):
            if item.confirmed >= item.total and not item.attested:
                return actions.Attest(item.campaign.id)
        return Reply().say(t("zalo.attest_nothing"))
    if kind is Kind.ANNOUNCEMENT_ACK:
        announcement_id = await announcements.last_sent_to(session, staff.id, who.channel)
        if announcement_id is None:
            return Reply().say(t("zalo.announcement_none"))
        return actions.AnnounceAck(announcement_id)
    if kind is Kind.CANCEL:
        return actions.Cancel()
    if kind is Kind.REPORT:
        return await report.report(session, staff, now)
    if kind is Kind.DASHBOARD:
        return await report.dashboard(session, staff, now, dashboard_url)
    if kind is Kind.HELP:
        return Reply().say(t("zalo.help"))
    if kind is Kind.LINK:
        return joining.welcome_back(staff, who)
    return None


async def _open(session: AsyncSession, staff: Staff, who: Who, command: Command, seen: Seen,
                now: dt.datetime) -> Reply:
    """"3" after the contents, "mục 3": the third item; "điều 3": the article labelled 3."""
    campaign_id = await _campaign(session, staff, seen.shown)
    if campaign_id is None:
        return Reply().say(t("read.no_campaign"))
    ordinal = command.number
    if command.kind is Kind.ARTICLE:
        campaign = await reading_service.member_campaign(session, staff.id, campaign_id)
        section = await reading_service.section_by_article(session, campaign, command.number or 0) if campaign else None
        if section is None:
            return Reply().say(t("read.article_not_found", number=command.number))
        ordinal = section.ordinal
    reply = await reading.read(session, staff, campaign_id, ordinal or 0, now)
    if reply.section is not None:  # already received: shown again here, at once
        await _remember(session, who, now, seen, shown=[campaign_id, reply.section.section.ordinal])
    elif reply.toast and not reply.wake:
        reply.say(reply.toast)  # not found: say so
    return reply


async def _comment(session: AsyncSession, staff: Staff, who: Who, command: Command, shown: Shown | None,
                   now: dt.datetime) -> Reply:
    """"góp ý …" on what was shown last (the whole document after the contents)."""
    campaign_id = await _campaign(session, staff, shown)
    if campaign_id is None:
        return Reply().say(t("read.no_campaign"))
    ordinal = shown.ordinal if shown else None
    anonymous = command.kind is Kind.FEEDBACK_ANONYMOUS
    asked = await comments.begin(session, staff, who, campaign_id, ordinal, anonymous, now)
    waiting = await pending.peek(session, who.channel, who.user_id, now)
    if not command.text or waiting is None or waiting.kind != comments.COMMENT_KIND:
        return asked  # the comment comes in the next message
    return await comments.text(session, staff, who, waiting, command.text, now)


# --- what the person was shown last ----------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What the person has before them, read once per typed text."""

    waiting: PendingInput | None  # their pending input, of whatever kind
    last: reading_service.LastSection | None  # the newest section sent on this channel
    shown: Shown | None  # the newest of that section and what was shown here on request


async def _seen(session: AsyncSession, staff: Staff, who: Who, now: dt.datetime) -> Seen:
    waiting = await pending.peek(session, who.channel, who.user_id, now)
    context = dict(waiting.data) if waiting is not None and waiting.kind == CONTEXT_KIND else {}
    last = await reading_service.last_section_sent(session, staff.id, who.channel)
    remembered: Shown | None = None
    if context.get("shown"):
        remembered = Shown(int(context["shown"][0]), int(context["shown"][1]))
    elif context.get("toc"):
        remembered = Shown(int(context["toc"]), None)
    if remembered is not None and (last is None or context.get("after") == last.delivery_id):
        return Seen(waiting, last, remembered)  # nothing was sent here since
    return Seen(waiting, last, Shown(last.campaign_id, last.ordinal) if last is not None else None)


async def _remember(session: AsyncSession, who: Who, now: dt.datetime, seen: Seen, **data: Any) -> None:
    """Keep the contents or the section just shown (never over a comment being written),
    with the newest section sent here so far: a section sent after it is newer."""
    if seen.waiting is not None and seen.waiting.kind != CONTEXT_KIND:
        return
    data["after"] = seen.last.delivery_id if seen.last is not None else None
    await pending.expect(session, who.channel, who.user_id, CONTEXT_KIND, data, now)


def _code_like(text: str) -> str | None:
    """A stranger's mistyped code ("WRONG234") still gets the answer about codes, not the greeting."""
    code = invite.normalise_code(text)
    return code if len(code) == invite.LENGTH and len(text.strip()) <= invite.LENGTH + 2 else None


def _campaign_of(reply: Reply) -> int | None:
    for message in reply.messages:
        for row in message.buttons:
            for button in row:
                if isinstance(button.action, actions.Read | actions.Toc):
                    return button.action.campaign
    return None


async def _campaign(session: AsyncSession, staff: Staff, shown: Shown | None) -> int | None:
    """The campaign of what was shown last, else the person's newest open one."""
    if shown is not None:
        return shown.campaign_id
    campaigns = await reading_service.member_campaigns(session, staff.id)
    return campaigns[0].id if campaigns else None
