"""The conversation, written once for every messenger (DESIGN.md §2).

Each flow takes what a person did (a command, a button, a text), calls the use
cases, and returns a channel-neutral ``Reply``: messages with buttons whose
actions are short strings (``ack:12:3``). Telegram shows the buttons; Zalo shows
the typed commands instead. Flows never send anything themselves; deliveries they
queue go through the delivery worker (``Reply.wake`` tells it to look now).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Staff
from bot.services.documents import SectionView
from bot.domain.dates import format_date_vi, format_datetime_vi
from bot.domain.enums import Channel
from bot.domain.texts import t
from bot.services import access, conversation, counts, feedback, reading, registration
from bot.services.messages import Button, Message, document_title, section_buttons
from bot.services.registration import LinkStatus

TOC_PAGE = 8


@dataclass(frozen=True)
class OutFile:
    """A file sent with a reply: a photo (shown in the chat) or a document (to download)."""

    name: str
    data: bytes
    photo: bool = False
    caption: str | None = None


@dataclass
class Reply:
    messages: list[Message] = field(default_factory=list)
    toast: str | None = None  # the short answer to a button press
    edit: Message | None = None  # replace the message whose button was pressed
    wake: bool = False  # deliveries were queued: the worker should look now
    files: list[OutFile] = field(default_factory=list)  # after the messages; channels without files skip them

    def say(self, text: str, *buttons: tuple[Button, ...], **flags: bool) -> Reply:
        self.messages.append(Message(text, tuple(buttons), **flags))
        return self


@dataclass(frozen=True)
class Who:
    channel: Channel
    user_id: str
    chat_id: str


# --- registration -----------------------------------------------------------------------


async def start(session: AsyncSession, who: Who, payload: str, now: dt.datetime, tz: str) -> Reply:
    """``/start`` with or without the invite code of the deep link."""
    staff = await registration.identify_and_touch(session, who.channel, who.user_id, now)
    if staff is not None:
        return await _welcome_back(session, staff, now, tz)
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
        reply = Reply(wake=True).say(t("start.linked", name=result.staff.full_name), remove_keyboard=True)
        for item in await reading.progress(session, result.staff.id, now, tz):
            reply.say(t("start.campaign", title=document_title(item.campaign.document), total=item.total,
                        end=format_date_vi(item.campaign.end_on)),
                      (Button(t("btn.next"), f"next:{item.campaign.id}"),),
                      (Button(t("btn.toc"), f"toc:{item.campaign.id}:0"),))
        return reply
    if result.status is LinkStatus.ALREADY and result.staff is not None:
        return await _welcome_back(session, result.staff, now, tz)
    key = {
        LinkStatus.BAD_CODE: "start.bad_code",
        LinkStatus.CODE_USED: "start.code_used",
        LinkStatus.OTHER_CONTACT: "start.other_contact",
        LinkStatus.UNKNOWN_PHONE: "start.unknown_phone",
        LinkStatus.TOO_MANY: "start.too_many",
    }[result.status]
    return Reply().say(t(key), ask_contact=who.channel is Channel.TELEGRAM and result.status is not LinkStatus.TOO_MANY)


async def _welcome_back(session: AsyncSession, staff: Staff, now: dt.datetime, tz: str) -> Reply:
    reply = Reply().say(t("start.welcome_back", name=staff.full_name), remove_keyboard=True)
    return reply.say(t("help.commands"))


def stranger() -> Reply:
    """What anyone not on the roster hears, whatever they send: nothing about the agency."""
    return Reply().say(t("start.stranger"))


# --- reading ------------------------------------------------------------------------------


async def confirm(session: AsyncSession, staff: Staff, who: Who, campaign_id: int, ordinal: int, now: dt.datetime, tz: str) -> Reply:
    result = await reading.confirm_section(session, staff.id, campaign_id, ordinal, who.channel, now)
    return _confirmed(result, campaign_id, ordinal, now, tz)


@dataclass(frozen=True)
class Press:
    """A "✅ Đã đọc" button pressed by whoever is behind ``who``."""

    who: Who
    campaign_id: int
    ordinal: int


async def confirm_presses(session: AsyncSession, presses: list[Press], now: dt.datetime, tz: str) -> list[Reply]:
    """``confirm`` for many presses, each from any account, in one transaction: a reply for
    each, in order (strangers hear what strangers hear)."""
    people: dict[tuple[Channel, str], Staff] = {}
    for channel in {p.who.channel for p in presses}:
        ids = [p.who.user_id for p in presses if p.who.channel is channel]
        found = await registration.identify_and_touch_many(session, channel, ids, now)
        people.update(((channel, user_id), staff) for user_id, staff in found.items())
    members = [(p, people.get((p.who.channel, p.who.user_id))) for p in presses]
    acks = [reading.MemberPress(staff.id, p.campaign_id, p.ordinal, p.who.channel) for p, staff in members if staff is not None]
    results = iter(await reading.confirm_sections(session, acks, now))
    return [
        _confirmed(next(results), p.campaign_id, p.ordinal, now, tz) if staff is not None else stranger()
        for p, staff in members
    ]


def _confirmed(result: reading.AckResult, campaign_id: int, ordinal: int, now: dt.datetime, tz: str) -> Reply:
    if result.status is reading.AckStatus.CLOSED:
        return Reply(toast=t("ack.closed"))
    at = format_datetime_vi(result.at or now, tz)
    reply = Reply(toast=t("ack.done", confirmed=result.confirmed, total=result.total), wake=result.attestation_queued)
    reply.edit = Message(t("ack.stamp", at=at), section_buttons(campaign_id, ordinal, confirmed=True))
    return reply


async def attest(session: AsyncSession, staff: Staff, who: Who, campaign_id: int, now: dt.datetime, tz: str) -> Reply:
    result = await reading.attest(session, staff.id, campaign_id, who.channel, now)
    if result.status is reading.AckStatus.CLOSED:
        return Reply(toast=t("ack.closed"))
    at = format_datetime_vi(result.at or now, tz)
    return Reply(toast=t("attest.done_toast"), edit=Message(t("attest.stamp", at=at)))


async def read_next(session: AsyncSession, staff: Staff, campaign_id: int | None, now: dt.datetime) -> Reply:
    result = await reading.read_next(session, staff.id, campaign_id, now)
    if result.status is reading.NextStatus.NO_CAMPAIGN:
        return Reply(toast=t("read.no_campaign")).say(t("read.no_campaign"))
    if result.status is reading.NextStatus.ALL_SENT:
        reply = Reply(toast=t("read.all_sent_toast"))
        if campaign_id is not None:
            reply.say(t("read.all_sent"), (Button(t("btn.toc"), f"toc:{campaign_id}:0"),))
        else:
            reply.say(t("read.all_sent"))
        return reply
    return Reply(toast=t("read.coming"), wake=True)


async def toc(session: AsyncSession, staff: Staff, campaign_id: int | None, page: int) -> Reply:
    campaigns = await reading.member_campaigns(session, staff.id)
    campaign = next((c for c in campaigns if campaign_id in (None, c.id)), None)
    if campaign is None:
        return Reply().say(t("read.no_campaign"))
    entries = await reading.table_of_contents(session, campaign, staff.id)
    pages = max((len(entries) + TOC_PAGE - 1) // TOC_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * TOC_PAGE : (page + 1) * TOC_PAGE]
    rows = [
        (Button(_toc_label(entry), f"read:{campaign.id}:{entry.ordinal}"),) for entry in shown
    ]
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(t("btn.prev_page"), f"toc:{campaign.id}:{page - 1}"))
    if page < pages - 1:
        nav.append(Button(t("btn.next_page"), f"toc:{campaign.id}:{page + 1}"))
    if nav:
        rows.append(tuple(nav))
    text = t("toc.head", title=document_title(campaign.document), page=page + 1, pages=pages,
             confirmed=sum(e.confirmed for e in entries), total=len(entries))
    listing = "\n".join(f"{e.ordinal}. {_mark(e)} {e.heading}" for e in shown)
    return Reply().say(f"{text}\n\n{listing}", *rows)


def _mark(entry: reading.TocEntry) -> str:
    return "✅" if entry.confirmed else ("📩" if entry.received else "▫️")


def _toc_label(entry: reading.TocEntry) -> str:
    label = f"{_mark(entry)} {entry.ordinal}. {entry.heading}"
    return label if len(label) <= 60 else label[:59] + "…"


async def read(session: AsyncSession, staff: Staff, campaign_id: int, ordinal: int, now: dt.datetime) -> tuple[Reply, SectionView | None]:
    """Open one section. A section not yet sent becomes the person's copy (the drip
    then skips it); one already received is shown again by the channel at once."""
    status, section = await reading.read_section(session, staff.id, campaign_id, ordinal, now)
    if status is reading.ReadStatus.NOT_FOUND:
        return Reply(toast=t("read.not_found")), None
    if status is reading.ReadStatus.QUEUED:
        return Reply(toast=t("read.coming"), wake=True), None
    return Reply(toast=t("read.again")), section


async def my_progress(session: AsyncSession, staff: Staff, now: dt.datetime, tz: str) -> Reply:
    items = await reading.progress(session, staff.id, now, tz)
    if not items:
        return Reply().say(t("read.no_campaign"))
    reply = Reply()
    for item in items:
        status = t("progress.attested") if item.attested else (
            t("progress.attest_pending") if item.confirmed >= item.total else ""
        )
        buttons: list[tuple[Button, ...]] = [(Button(t("btn.next"), f"next:{item.campaign.id}"),
                                             Button(t("btn.toc"), f"toc:{item.campaign.id}:0"))]
        if item.confirmed >= item.total and not item.attested:
            buttons.insert(0, (Button(t("btn.attest"), f"attest:{item.campaign.id}"),))
        reply.say(
            t("progress.line", title=document_title(item.campaign.document), received=item.received, total=item.total,
              confirmed=item.confirmed, days=item.days_left, end=format_date_vi(item.campaign.end_on), status=status),
            *buttons,
        )
    return reply


# --- feedback ---------------------------------------------------------------------------


async def feedback_begin(session: AsyncSession, staff: Staff, who: Who, campaign_id: int, ordinal: int | None, anonymous: bool, now: dt.datetime) -> Reply:
    campaign = await reading.member_campaign(session, staff.id, campaign_id)
    if campaign is None:
        return Reply(toast=t("ack.closed"))
    section = await reading.section_of(session, campaign, ordinal) if ordinal else None
    await conversation.expect(
        session, who.channel, who.user_id, "feedback",
        {"campaign_id": campaign_id, "ordinal": ordinal, "anonymous": anonymous}, now,
    )
    where = section.heading if section else document_title(campaign.document)
    key = "feedback.ask_anonymous" if anonymous else "feedback.ask"
    other = Button(t("btn.named") if anonymous else t("btn.anonymous"),
                   f"{'fb' if anonymous else 'fbanon'}:{campaign_id}:{ordinal or 0}")
    return Reply(toast=t("feedback.toast")).say(t(key, where=where), (other, Button(t("btn.cancel"), "cancel")))


async def text(session: AsyncSession, staff: Staff, who: Who, body: str, now: dt.datetime) -> Reply:
    """A free text: the comment we asked for, or a hint of what the bot understands."""
    pending = await conversation.peek(session, who.channel, who.user_id, now)
    if pending is not None and pending.kind in ("feedback_answer", "info_request", "request_answer"):
        from bot.services import feedback_flows  # it builds on this module

        return await feedback_flows.text(session, staff, who, pending, body, now)
    if pending is None or pending.kind != "feedback":
        return Reply().say(t("help.commands"))
    data = dict(pending.data)
    await conversation.clear(session, who.channel, who.user_id)
    try:
        await feedback.submit(
            session, staff_id=staff.id, campaign_id=int(data["campaign_id"]), ordinal=data.get("ordinal") or None,
            text=body, anonymous=bool(data.get("anonymous")), via=who.channel, now=now,
        )
    except feedback.FeedbackRefused as refused:
        return Reply().say(t(f"feedback.refused.{refused.reason}", limit=feedback.MAX_LENGTH,
                             daily=feedback.DAILY_LIMIT))
    return Reply().say(t("feedback.thanks_anonymous" if data.get("anonymous") else "feedback.thanks"))


async def cancel(session: AsyncSession, who: Who) -> Reply:
    await conversation.clear(session, who.channel, who.user_id)
    return Reply(toast=t("cancelled")).say(t("cancelled"))


# --- leadership -------------------------------------------------------------------------


async def report(session: AsyncSession, staff: Staff, now: dt.datetime) -> Reply:
    if not access.allowed(staff, access.Action.REPORT):
        return Reply().say(t("access.denied"))
    from bot.services.campaigns import list_campaigns
    from bot.domain.enums import CampaignStatus

    active = [c for c in await list_campaigns(session) if c.status is CampaignStatus.ACTIVE]
    if not active:
        return Reply().say(t("report.none"))
    reply = Reply()
    for campaign in active:
        sections = len(await reading.sections(session, campaign))
        data = await counts.campaign_counts(session, campaign, sections)
        reply.say(render_counts(data))
    return reply


def render_counts(data: counts.CampaignCounts) -> str:
    c = data.campaign
    lines = [t("report.head", id=c.id, title=document_title(c.document), start=format_date_vi(c.start_on),
               end=format_date_vi(c.end_on), sections=data.sections)]
    for row in data.rows + [data.total]:
        name = row.department or t("report.total")
        lines.append(t("report.row", department=name, members=row.members, linked=row.linked, sent=row.sent,
                       all_confirmed=row.all_confirmed, attested=row.attested, unreachable=row.unreachable))
        lines.append(t("report.channels", linked_telegram=row.linked_telegram, linked_zalo=row.linked_zalo,
                       linked_both=row.linked_both, acks_telegram=row.acks_telegram, acks_zalo=row.acks_zalo))
    lines.append(t("report.feedback", count=data.feedback))
    lines.append(t("report.legend"))
    return "\n".join(lines)
