"""Linking an account to the roster: ``/start`` with the invite code of the deep link, a
shared phone number (Telegram vouches for it), or the code typed (Zalo)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.reply import Reply, Who
from bot.db.models import Staff
from bot.domain import actions
from bot.domain.dates import format_date_vi
from bot.domain.enums import CampaignKind, Channel
from bot.domain.messages import Button, document_title
from bot.domain.texts import t
from bot.services import documents, reading, registration
from bot.services.registration import LinkStatus


async def start(session: AsyncSession, who: Who, payload: str, now: dt.datetime, tz: str) -> Reply:
    """``/start`` with or without the invite code of the deep link."""
    staff = await registration.identify_and_touch(session, who.channel, who.user_id, now)
    if staff is not None:
        return welcome_back(staff, who)
    if not payload:
        return Reply().say(t("start.stranger"), ask_contact=who.channel is Channel.TELEGRAM)
    result = await registration.link_by_code(session, who.channel, who.user_id, who.chat_id, payload, now)
    return await _after_link(session, result, who, now, tz)


async def contact(
    session: AsyncSession, who: Who, phone: str, contact_user_id: str | None, now: dt.datetime, tz: str
) -> Reply:
    result = await registration.link_by_contact(
        session, who.channel, who.user_id, who.chat_id, phone, contact_user_id, now
    )
    return await _after_link(session, result, who, now, tz)


async def _after_link(session: AsyncSession, result: registration.LinkResult, who: Who, now: dt.datetime, tz: str) -> Reply:
    if result.status is LinkStatus.LINKED and result.staff is not None:
        key = "start.linked" if who.channel is Channel.TELEGRAM else "zalo.linked"
        reply = Reply(wake=True).say(t(key, name=result.staff.full_name), remove_keyboard=True)
        for item in await reading.progress(session, result.staff.id, now, tz):
            consultation = item.campaign.kind is CampaignKind.CONSULTATION
            text = t("start.campaign.consultation" if consultation else "start.campaign",
                     title=document_title(item.campaign.document), total=item.total,
                     end=format_date_vi(item.campaign.end_on))
            context = documents.context_of(item.campaign.document)  # told once, never a section to confirm
            reply.say(f"{text}\n\n{context}" if context else text,
                      (Button(t("btn.next"), actions.Next(item.campaign.id)),),
                      (Button(t("btn.toc"), actions.Toc(item.campaign.id, 0)),))
        return reply
    if result.status is LinkStatus.ALREADY and result.staff is not None:
        return welcome_back(result.staff, who)
    key = {
        # a code: wrong, re-issued, someone else's, already used, all one reply (bot/services/registration.py)
        LinkStatus.BAD_CODE: "start.bad_code",
        LinkStatus.CODE_USED: "start.code_used",  # a shared phone whose owner is linked with another account
        LinkStatus.OTHER_CONTACT: "start.other_contact",
        LinkStatus.UNKNOWN_PHONE: "start.unknown_phone",
        LinkStatus.TOO_MANY: "start.too_many",
    }[result.status]
    return Reply().say(t(key), ask_contact=who.channel is Channel.TELEGRAM and result.status is not LinkStatus.TOO_MANY)


def welcome_back(staff: Staff, who: Who) -> Reply:
    reply = Reply().say(t("start.welcome_back", name=staff.full_name), remove_keyboard=True)
    return reply.say(t("help.commands") if who.channel is Channel.TELEGRAM else t("zalo.help"))


def stranger() -> Reply:
    """What anyone not on the roster hears, whatever they send: nothing about the agency."""
    return Reply().say(t("start.stranger"))
