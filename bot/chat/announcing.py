"""The announcement conversation (``/thongbao``, ``/thongbao_ketqua``), written once for
every messenger: compose → audience → preview → send now, at a time, or cancel; recipients
press "Đã nhận" (or type it); the author sees the counts. What the next text means ("the
announcement", "the time") is kept as pending input under the kinds in ``PENDING_KINDS``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import notices, pending
from bot.chat.reply import Reply, Who
from bot.db.models import Announcement, PendingInput, Staff
from bot.domain import actions
from bot.domain.dates import format_datetime_vi
from bot.domain.enums import AnnouncementStatus, Role
from bot.domain.messages import Button, Message
from bot.domain.render import escape
from bot.domain.roster import ROLE_NAMES_VI
from bot.domain.texts import t
from bot.services import access
from bot.services import announcements as service

TEXT_KIND = "announce_text"
TIME_KIND = "announce_time"
PENDING_KINDS = frozenset({TEXT_KIND, TIME_KIND})
DEPARTMENT_PAGE = 6
LABEL_LIMIT = 30
RECENT = 10


# --- /thongbao: compose -------------------------------------------------------------


async def begin(session: AsyncSession, staff: Staff, who: Who, now: dt.datetime) -> Reply:
    if not access.allowed(staff, access.Action.ANNOUNCE):
        return Reply().say(t("announce.denied"))
    await pending.expect(session, who.channel, who.user_id, TEXT_KIND, {}, now)
    return Reply().say(t("announce.ask_text", limit=service.MAX_LENGTH), (Button(t("btn.cancel"), actions.AnnounceCancel(0)),))


async def text(session: AsyncSession, staff: Staff, who: Who, waiting: PendingInput, body: str, markup: str | None,
               now: dt.datetime, tz: str) -> Reply:
    """The text we asked for: the announcement (with the messenger's bold and italics,
    ``markup``), or its time (as typed) (``PENDING_KINDS``)."""
    if not access.allowed(staff, access.Action.ANNOUNCE):
        await pending.clear(session, who.channel, who.user_id)
        return Reply().say(t("announce.denied"))
    if waiting.kind == TEXT_KIND:
        # a messenger without formatting (Zalo): the stars typed are stars
        return await _composed(session, staff, who, markup if markup is not None else escape(body), now)
    return await _timed(session, staff, who, int(dict(waiting.data).get("id", 0)), body, now, tz)


async def _composed(session: AsyncSession, staff: Staff, who: Who, body: str, now: dt.datetime) -> Reply:
    try:
        draft = await service.create_draft(session, author_id=staff.id, text=body, now=now)
    except service.AnnouncementRefused as refused:
        return Reply().say(refused.message, (Button(t("btn.cancel"), actions.AnnounceCancel(0)),))
    await pending.clear(session, who.channel, who.user_id)
    return Reply().say(*await _chooser(session, draft, 0))


async def _timed(session: AsyncSession, staff: Staff, who: Who, draft_id: int, body: str, now: dt.datetime, tz: str) -> Reply:
    draft = await _own_draft(session, staff, draft_id)
    if draft is None:
        await pending.clear(session, who.channel, who.user_id)
        return Reply().say(t("announce.gone"))
    try:
        at = service.parse_when(body, now, tz)
        result = await service.send(session, draft, now, at, actor=f"staff:{staff.id}")
    except service.AnnouncementRefused as refused:
        return Reply().say(refused.message + "\n" + t("announce.ask_time_again"),
                           (Button(t("btn.cancel"), actions.AnnounceCancel(draft_id)),))
    await pending.clear(session, who.channel, who.user_id)
    return Reply(wake=True).say(
        t("announce.scheduled", id=draft.id, at=format_datetime_vi(at, tz), count=result.queued),
        (Button(t("btn.ann_cancel_scheduled"), actions.AnnounceCancel(draft.id)),),
    )


# --- the audience ----------------------------------------------------------------------


async def _chooser(session: AsyncSession, draft: Announcement, page: int) -> tuple[Any, ...]:
    """The audience message: what is chosen, how many people, and a button for each choice."""
    audience = draft.audience or {}
    preview = await service.preview(session, draft)
    chosen_departments = set(audience.get("departments") or [])
    chosen_roles = set(audience.get("roles") or [])
    everyone = not chosen_departments and not chosen_roles
    rows: list[tuple[Button, ...]] = [
        (Button(_check(everyone) + t("btn.ann_everyone"), actions.AnnounceAudience(draft.id, "all")),)
    ]
    departments = await service.departments(session)
    pages = max((len(departments) + DEPARTMENT_PAGE - 1) // DEPARTMENT_PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = departments[page * DEPARTMENT_PAGE : (page + 1) * DEPARTMENT_PAGE]
    buttons = [
        Button(_label(_check(d.id in chosen_departments) + d.name), actions.AnnounceAudience(draft.id, f"d{d.id}")) for d in shown
    ]
    rows.extend(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(t("btn.prev_page"), actions.AnnounceAudience(draft.id, f"p{page - 1}")))
    if page < pages - 1:
        nav.append(Button(t("btn.next_page"), actions.AnnounceAudience(draft.id, f"p{page + 1}")))
    if nav:
        rows.append(tuple(nav))
    rows.append(tuple(
        Button(_check(role.value in chosen_roles) + ROLE_NAMES_VI[role].capitalize(), actions.AnnounceAudience(draft.id, f"r{role.value}"))
        for role in service.ROLE_CHOICES
    ))
    ack_label = t("btn.ann_require_ack_on") if draft.require_ack else t("btn.ann_require_ack_off")
    rows.append((Button(ack_label, actions.AnnounceAudience(draft.id, "ack")),))
    rows.append((Button(t("btn.ann_preview"), actions.AnnouncePreview(draft.id)), Button(t("btn.cancel"), actions.AnnounceCancel(draft.id))))
    body = t(
        "announce.choose", id=draft.id, audience=preview.audience, members=preview.members,
        recipients=preview.recipients,
        ack=t("announce.ack_yes") if draft.require_ack else t("announce.ack_no"),
    )
    return (body, *rows)


def _check(on: bool) -> str:
    return "✔ " if on else ""


def _label(text: str) -> str:
    return text if len(text) <= LABEL_LIMIT else text[: LABEL_LIMIT - 1] + "…"


async def _audience_choice(session: AsyncSession, staff: Staff, draft_id: int, choice: str) -> Reply:
    draft = await _own_draft(session, staff, draft_id)
    if draft is None:
        return Reply(toast=t("announce.gone"))
    page = 0
    if choice.startswith("p") and choice[1:].isdigit():
        page = int(choice[1:])
        stamp = t("announce.stamp.page", page=page + 1)
    elif choice == "ack":
        draft.require_ack = not draft.require_ack
        stamp = t("announce.ack_yes") if draft.require_ack else t("announce.ack_no")
        stamp = t("announce.stamp.ack", ack=stamp)
    else:
        draft.audience = service.toggle(draft.audience or {}, choice)
        if choice.startswith("d"):  # stay on the page of the department pressed
            ids = [f"d{d.id}" for d in await service.departments(session)]
            page = ids.index(choice) // DEPARTMENT_PAGE if choice in ids else 0
        stamp = t("announce.stamp.audience", audience=await service.describe_audience(session, draft.audience))
    await session.flush()
    reply = Reply(toast=t("announce.toast.updated"), edit=Message(stamp))
    return reply.say(*await _chooser(session, draft, page))


# --- preview, send, time, cancel ------------------------------------------------------


async def _preview(session: AsyncSession, staff: Staff, draft_id: int) -> Reply:
    draft = await _own_draft(session, staff, draft_id)
    if draft is None:
        return Reply(toast=t("announce.gone"))
    preview = await service.preview(session, draft)
    if preview.recipients == 0:
        return Reply(toast=t("announce.refused.nobody")).say(t("announce.refused.nobody"))
    message = notices.announcement(preview.content)
    shown = Message(
        message.text,
        tuple(tuple(Button(b.label, actions.AnnouncePreviewOnly(draft.id)) for b in row) for row in message.buttons),
    )
    reply = Reply(toast=t("announce.toast.preview"), edit=Message(t("announce.stamp.previewed")))
    reply.say(t("announce.preview_head"))
    reply.messages.append(shown)
    return reply.say(
        t("announce.preview_summary", audience=preview.audience, members=preview.members,
          recipients=preview.recipients, ack=t("announce.ack_yes") if draft.require_ack else t("announce.ack_no")),
        (Button(t("btn.ann_send_now"), actions.AnnounceSend(draft.id)), Button(t("btn.ann_schedule"), actions.AnnounceSchedule(draft.id))),
        (Button(t("btn.ann_edit_audience"), actions.AnnounceAudience(draft.id, "p0")), Button(t("btn.cancel"), actions.AnnounceCancel(draft.id))),
    )


async def _send_now(session: AsyncSession, staff: Staff, draft_id: int, now: dt.datetime, tz: str) -> Reply:
    draft = await _own_draft(session, staff, draft_id)
    if draft is None:
        return Reply(toast=t("announce.gone"))
    try:
        result = await service.send(session, draft, now, actor=f"staff:{staff.id}")
    except service.AnnouncementRefused as refused:
        return Reply(toast=refused.message)
    return Reply(
        toast=t("announce.toast.sent", count=result.queued),
        edit=Message(t("announce.sent", id=draft.id, count=result.queued, at=format_datetime_vi(now, tz))),
        wake=True,
    )


async def _ask_time(session: AsyncSession, staff: Staff, who: Who, draft_id: int, now: dt.datetime) -> Reply:
    draft = await _own_draft(session, staff, draft_id)
    if draft is None:
        return Reply(toast=t("announce.gone"))
    await pending.expect(session, who.channel, who.user_id, TIME_KIND, {"id": draft.id}, now)
    return Reply(toast=t("announce.toast.ask_time")).say(
        t("announce.ask_time", start=f"{service.SEND_FROM:%H:%M}", end=f"{service.SEND_UNTIL:%H:%M}"),
        (Button(t("btn.cancel"), actions.AnnounceCancel(draft.id)),),
    )


async def _cancel(session: AsyncSession, staff: Staff, who: Who, announcement_id: int, now: dt.datetime) -> Reply:
    await pending.clear(session, who.channel, who.user_id)
    if announcement_id:
        announcement = await service.load(session, announcement_id)
        if announcement is None or not _may_manage(staff, announcement):
            return Reply(toast=t("announce.gone"))
        try:
            await service.cancel(session, announcement, now, actor=f"staff:{staff.id}")
        except service.AnnouncementRefused as refused:
            return Reply(toast=refused.message)
    return Reply(toast=t("announce.cancelled"), edit=Message(t("announce.cancelled")))


# --- recipients: "Đã nhận" ------------------------------------------------------------


async def acknowledge(session: AsyncSession, staff: Staff, who: Who, announcement_id: int, now: dt.datetime, tz: str) -> Reply:
    result = await service.acknowledge(session, announcement_id, staff.id, who.channel, now)
    if result.status is service.AckStatus.NOT_FOUND:
        return Reply(toast=t("announce.gone"))
    return Reply(toast=t("announce.toast.acked"),
                 edit=Message(t("announce.ack_stamp", at=format_datetime_vi(result.at or now, tz))))


# --- /thongbao_ketqua ---------------------------------------------------------------------


async def results(session: AsyncSession, staff: Staff, now: dt.datetime, tz: str) -> Reply:
    if not access.allowed(staff, access.Action.ANNOUNCE_RESULTS):
        return Reply().say(t("announce.denied"))
    announcements = await service.recent(session, staff, RECENT)
    if not announcements:
        return Reply().say(t("announce.results.none"))
    lines = [t("announce.results.head", count=len(announcements))]
    buttons: list[tuple[Button, ...]] = []
    for announcement in announcements:
        counts = await service.results(session, announcement, now)
        lines.append(_result_line(counts, tz))
        buttons.append((Button(t("btn.ann_who", id=announcement.id), actions.AnnounceResults(announcement.id)),))
    lines.append(t("announce.results.legend"))
    return Reply().say("\n\n".join(lines), *buttons)


def _result_line(counts: service.Results, tz: str) -> str:
    a = counts.announcement
    when = a.scheduled_at if counts.status is not AnnouncementStatus.SENT or a.sent_at is None else a.sent_at
    confirmed = (
        t("announce.results.confirmed", confirmed=counts.confirmed, total=counts.recipients)
        if a.require_ack else t("announce.results.no_ack")
    )
    status = counts.status.value
    if counts.status is AnnouncementStatus.SENT and counts.sent + counts.failed < counts.recipients:
        status = "sending"  # queued, not all sent yet: "đã gửi" only of what was sent
    line = t(
        "announce.results.line", id=a.id, text=service.short(a.text), status=t(f"announce.status.{status}"),
        at=format_datetime_vi(when or a.created_at, tz), audience=counts.audience, sent=counts.sent,
        total=counts.recipients, confirmed=confirmed,
    )
    if counts.not_linked:
        line += "\n" + t("announce.results.not_linked_count", count=len(counts.not_linked))
    return line


async def _who(session: AsyncSession, staff: Staff, announcement_id: int, now: dt.datetime, tz: str) -> Reply:
    if not access.allowed(staff, access.Action.ANNOUNCE_RESULTS):
        return Reply(toast=t("announce.denied"))
    announcement = await service.load(session, announcement_id)
    if announcement is None or not _may_see(staff, announcement):
        return Reply(toast=t("announce.gone"))
    counts = await service.results(session, announcement, now)
    lines = [_result_line(counts, tz)]
    if announcement.require_ack:
        lines.append(t("announce.results.not_confirmed", count=len(counts.not_confirmed),
                       names=", ".join(counts.not_confirmed) or t("announce.results.nobody")))
    lines.append(t("announce.results.not_received", count=len(counts.not_received),
                   names=", ".join(counts.not_received) or t("announce.results.nobody")))
    lines.append(t("announce.results.not_linked", count=len(counts.not_linked),
                   names=", ".join(counts.not_linked) or t("announce.results.nobody")))
    return Reply(toast=t("announce.toast.results")).say("\n".join(lines))


# --- buttons ----------------------------------------------------------------------------------


async def press(session: AsyncSession, staff: Staff, who: Who, action: actions.Action, now: dt.datetime, tz: str) -> Reply | None:
    """Every announcement button; None for any other action."""
    match action:
        case actions.AnnounceAck(announcement_id):
            return await acknowledge(session, staff, who, announcement_id, now, tz)
        case actions.AnnouncePreviewOnly():
            return Reply(toast=t("announce.toast.preview_only"))
        case actions.AnnounceResults(announcement_id):
            return await _who(session, staff, announcement_id, now, tz)
    if not isinstance(action, (actions.AnnounceAudience, actions.AnnouncePreview, actions.AnnounceSend,
                               actions.AnnounceSchedule, actions.AnnounceCancel)):
        return None
    if not access.allowed(staff, access.Action.ANNOUNCE):
        return Reply(toast=t("announce.denied"))
    match action:
        case actions.AnnounceAudience(draft_id, choice):
            return await _audience_choice(session, staff, draft_id, choice)
        case actions.AnnouncePreview(draft_id):
            return await _preview(session, staff, draft_id)
        case actions.AnnounceSend(draft_id):
            return await _send_now(session, staff, draft_id, now, tz)
        case actions.AnnounceSchedule(draft_id):
            return await _ask_time(session, staff, who, draft_id, now)
        case actions.AnnounceCancel(announcement_id):
            return await _cancel(session, staff, who, announcement_id, now)
    return None


# --- who may touch what ------------------------------------------------------------------------


async def _own_draft(session: AsyncSession, staff: Staff, draft_id: int) -> Announcement | None:
    """The person's own draft; None when it is someone else's or has left the draft stage."""
    draft = await service.load(session, draft_id)
    if draft is None or draft.status is not AnnouncementStatus.DRAFT or draft.author_id != staff.id:
        return None
    return draft


def _may_manage(staff: Staff, announcement: Announcement) -> bool:
    return announcement.author_id == staff.id or bool(staff.role_set & {Role.ADMIN})


def _may_see(staff: Staff, announcement: Announcement) -> bool:
    return announcement.author_id == staff.id or bool(staff.role_set & {Role.LEADER, Role.ADMIN})
