"""Reading the regulation: confirm a section, read ahead, the table of contents, any section
on demand, progress, the final attestation. Written once for every messenger."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat.reply import Reply, ShownSection, Who
from bot.db.models import Staff
from bot.domain import actions
from bot.domain.dates import format_date_vi, format_datetime_vi
from bot.domain.messages import Button, Message, document_title, section_buttons
from bot.domain.render import escape
from bot.domain.texts import t
from bot.services import documents, reading

TOC_PAGE = 8


@dataclass(frozen=True)
class Press:
    """A "✅ Đã đọc" by whoever is behind ``who``."""

    who: Who
    campaign_id: int
    ordinal: int


def confirmed(result: reading.AckResult, campaign_id: int, ordinal: int, now: dt.datetime, tz: str) -> Reply:
    if result.status is reading.AckStatus.CLOSED:
        return Reply(toast=t("ack.closed"))
    if result.status is reading.AckStatus.NOT_SENT:
        return Reply(toast=t("ack.not_sent"))
    at = format_datetime_vi(result.at or now, tz)
    reply = Reply(toast=t("ack.done", confirmed=result.confirmed, total=result.total), wake=result.attestation_queued)
    reply.edit = Message(t("ack.stamp", at=at), section_buttons(campaign_id, ordinal, confirmed=True))
    return reply


async def attest(session: AsyncSession, staff: Staff, who: Who, campaign_id: int, now: dt.datetime, tz: str) -> Reply:
    result = await reading.attest(session, staff.id, campaign_id, who.channel, now)
    if result.status is reading.AckStatus.CLOSED:
        return Reply(toast=t("ack.closed"))
    if result.status is reading.AckStatus.NOT_SENT:
        return Reply(toast=t("attest.not_ready", confirmed=result.confirmed, total=result.total))
    at = format_datetime_vi(result.at or now, tz)
    return Reply(toast=t("attest.done_toast"), edit=Message(t("attest.stamp", at=at)))


async def read_next(session: AsyncSession, staff: Staff, campaign_id: int | None, now: dt.datetime) -> Reply:
    result = await reading.read_next(session, staff.id, campaign_id, now)
    if result.status is reading.NextStatus.NO_CAMPAIGN:
        return Reply(toast=t("read.no_campaign")).say(t("read.no_campaign"))
    if result.status is reading.NextStatus.ALL_SENT:
        reply = Reply(toast=t("read.all_sent_toast"))
        if result.campaign_id is not None:
            reply.say(t("read.all_sent"), (Button(t("btn.toc"), actions.Toc(result.campaign_id, 0)),))
        else:
            reply.say(t("read.all_sent"))
        return reply
    return Reply(toast=t("read.coming"), wake=True)


async def toc(session: AsyncSession, staff: Staff, campaign_id: int | None, page: int) -> Reply:
    campaigns = await reading.member_campaigns(session, staff.id)
    campaign = next((c for c in campaigns if campaign_id in (None, c.id)), None)
    if campaign is None:
        return Reply(toast=t("read.no_campaign")).say(t("read.no_campaign"))
    entries = await reading.table_of_contents(session, campaign, staff.id)
    pages = max((len(entries) + TOC_PAGE - 1) // TOC_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = entries[page * TOC_PAGE : (page + 1) * TOC_PAGE]
    rows = [(Button(_toc_label(entry), actions.Read(campaign.id, entry.ordinal)),) for entry in shown]
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(t("btn.prev_page"), actions.Toc(campaign.id, page - 1)))
    if page < pages - 1:
        nav.append(Button(t("btn.next_page"), actions.Toc(campaign.id, page + 1)))
    if nav:
        rows.append(tuple(nav))
    text = t("toc.head", title=document_title(campaign.document), page=page + 1, pages=pages,
             confirmed=sum(e.confirmed for e in entries), total=len(entries))
    context = documents.context_of(campaign.document) if page == 0 else None
    if context:  # the decision that enacts the regulation: told here, never a section to confirm
        text = f"{text}\n\n{context}"
    lines: list[str] = []
    for entry in shown:
        lines.extend(f"**{escape(title)}**" for title in documents.titles_opening_at(campaign.document, entry.ordinal))
        lines.append(f"{entry.ordinal}. {_mark(entry)} {escape(entry.heading)}")
    return Reply().say(f"{text}\n\n" + "\n".join(lines), *rows)


def _mark(entry: reading.TocEntry) -> str:
    return "✅" if entry.confirmed else ("📩" if entry.received else "▫️")


def _toc_label(entry: reading.TocEntry) -> str:
    label = f"{_mark(entry)} {entry.ordinal}. {entry.heading}"
    return label if len(label) <= 60 else label[:59] + "…"


async def read(session: AsyncSession, staff: Staff, campaign_id: int, ordinal: int, now: dt.datetime) -> Reply:
    """Open one section. A section not yet sent becomes the person's copy (the drip then
    skips it); one already received is shown again at once."""
    status, section = await reading.read_section(session, staff.id, campaign_id, ordinal, now)
    if status is reading.ReadStatus.NOT_FOUND or section is None:
        return Reply(toast=t("read.not_found"))
    if status is reading.ReadStatus.QUEUED:
        return Reply(toast=t("read.coming"), wake=True)
    document = await reading.document_label(session, staff.id, campaign_id)
    return Reply(toast=t("read.again"), section=ShownSection(campaign_id, section, document))


async def my_progress(session: AsyncSession, staff: Staff, now: dt.datetime, tz: str) -> Reply:
    items = await reading.progress(session, staff.id, now, tz)
    if not items:
        return Reply().say(t("read.no_campaign"))
    reply = Reply()
    for item in items:
        complete = item.confirmed >= item.total
        status = t("progress.attested") if item.attested else (t("progress.attest_pending") if complete else "")
        buttons: list[tuple[Button, ...]] = []
        if complete and not item.attested:
            buttons.append((Button(t("btn.attest"), actions.Attest(item.campaign.id)),))
        if item.received < item.total:  # "Đọc tiếp" only while something is left to receive
            buttons.append((Button(t("btn.next"), actions.Next(item.campaign.id)),
                            Button(t("btn.toc"), actions.Toc(item.campaign.id, 0))))
        else:
            buttons.append((Button(t("btn.toc"), actions.Toc(item.campaign.id, 0)),))
        reply.say(
            t("progress.line", title=document_title(item.campaign.document), received=item.received, total=item.total,
              confirmed=item.confirmed, days=item.days_left, end=format_date_vi(item.campaign.end_on), status=status,
              kind=t(f"campaign.kind.{item.campaign.kind.value}")),
            *buttons,
        )
    return reply

