"""The conversation around comments and document requests, written once for every
messenger (DESIGN.md §2, §5 Feedback; Luật 10/2022 Art. 48.4, 53–55).

A member writes a comment (góp ý) on a section or the whole document, named or anonymous;
the text is the next message. Leaders, union officers and inspectors (BTTND) list comments
(``/gopy``, filters: new, by section), open one and answer it as tiếp thu or giải trình; the
answer's text is the next message. Any member asks for a document (``/yeucau``); admins are
told and may answer in chat. A text that is refused (too long, empty) leaves the person in the
same step, so the corrected resend is taken.

Every entry point asks ``access.allowed`` first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import pending
from bot.chat.reply import Reply, Who
from bot.db.models import PendingInput, Staff
from bot.domain import actions
from bot.domain.actions import ALL_SECTIONS as ALL
from bot.domain.actions import PICK_SECTION as PICK
from bot.domain.actions import WHOLE_DOCUMENT as WHOLE
from bot.domain.dates import format_date_short_vi, format_datetime_vi
from bot.domain.enums import CampaignStatus, FeedbackStatus
from bot.domain.messages import Button, document_title
from bot.domain.text import fold
from bot.domain.texts import t
from bot.services import access, feedback, reading

PAGE = 5
COMMENT_KIND = "feedback"
KINDS = (COMMENT_KIND, "feedback_answer", "info_request", "request_answer")
PREVIEW = 300
CANCEL = (Button(t("btn.cancel"), actions.Cancel()),)


# --- writing a comment --------------------------------------------------------------------


async def begin(session: AsyncSession, staff: Staff, who: Who, campaign_id: int, ordinal: int | None, anonymous: bool,
                now: dt.datetime) -> Reply:
    """Ask for a comment on a section (or the whole document); the text is the next message."""
    campaign = await reading.member_campaign(session, staff.id, campaign_id)
    if campaign is None:
        return Reply(toast=t("ack.closed")).say(t("ack.closed"))
    section = await reading.section_of(session, campaign, ordinal) if ordinal else None
    if ordinal and section is None:
        return Reply(toast=t("read.not_found")).say(t("read.not_found"))
    await pending.expect(session, who.channel, who.user_id, COMMENT_KIND,
                         {"campaign_id": campaign_id, "ordinal": ordinal or None, "anonymous": anonymous}, now,
                         private=anonymous)
    where = section.heading if section else document_title(campaign.document)
    key = "feedback.ask_anonymous" if anonymous else "feedback.ask"
    other: actions.Action = (actions.Comment if anonymous else actions.CommentAnonymous)(campaign_id, ordinal or 0)
    switch = Button(t("btn.named") if anonymous else t("btn.anonymous"), other)
    return Reply(toast=t("feedback.toast")).say(t(key, where=where), (switch, Button(t("btn.cancel"), actions.Cancel())))


async def _comment(session: AsyncSession, staff: Staff, who: Who, data: dict[str, Any], body: str,
                   now: dt.datetime) -> Reply:
    try:
        await feedback.submit(
            session, staff_id=staff.id, campaign_id=int(data["campaign_id"]), ordinal=data.get("ordinal") or None,
            text=body, anonymous=bool(data.get("anonymous")), via=who.channel, now=now,
        )
    except feedback.FeedbackRefused as refused:
        return await _refused(session, who, refused.reason,
                              t(f"feedback.refused.{refused.reason}", limit=feedback.MAX_LENGTH, daily=feedback.DAILY_LIMIT))
    await pending.clear(session, who.channel, who.user_id)
    return Reply().say(t("feedback.thanks_anonymous" if data.get("anonymous") else "feedback.thanks"))


async def _refused(session: AsyncSession, who: Who, reason: str, text: str) -> Reply:
    """A refused text: when the person can mend it (too long, empty) they stay in the same
    step and the corrected resend is taken; otherwise the step ends."""
    if reason in feedback.RETRYABLE:
        return Reply().say(f"{text}\n\n{t('feedback.send_again')}", CANCEL)
    await pending.clear(session, who.channel, who.user_id)
    return Reply().say(text)


async def cancel(session: AsyncSession, who: Who) -> Reply:
    await pending.clear(session, who.channel, who.user_id)
    return Reply(toast=t("cancelled")).say(t("cancelled"))


# --- listing ------------------------------------------------------------------------------


async def gopy(session: AsyncSession, staff: Staff, who: Who, args: str, now: dt.datetime, tz: str) -> Reply | None:
    """``/gopy [mới] [số mục]`` for those who may list comments; None for everyone else
    (they write a comment instead)."""
    if not access.allowed(staff, access.Action.FEEDBACK_LIST):
        return None
    only_new, section = False, ALL
    for word in fold(args).split():
        if word in ("moi", "new", "chua"):
            only_new = True
        elif word in ("chung", "toanvan"):
            section = WHOLE
        elif word.isdigit():
            section = int(word)
    return await listing(session, staff, None, only_new, section, 0, now, tz)


async def listing(
    session: AsyncSession, staff: Staff, campaign_id: int | None, only_new: bool, section: int, page: int,
    now: dt.datetime, tz: str,
) -> Reply:
    if not access.allowed(staff, access.Action.FEEDBACK_LIST):
        return Reply(toast=t("feedback.list.denied")).say(t("feedback.list.denied"))
    campaigns = await feedback.feedback_campaigns(session)
    if campaign_id is None:
        campaign = next((c for c in campaigns if c.status is CampaignStatus.ACTIVE), campaigns[0] if campaigns else None)
    else:
        campaign = next((c for c in campaigns if c.id == campaign_id), None)
    if campaign is None:
        return Reply().say(t("feedback.list.no_campaign"))
    own = await reading.member_campaign(session, staff.id, campaign.id)
    own_row = (Button(t("feedback.btn.own"), actions.Comment(campaign.id, 0)),) if own is not None else ()
    if section == PICK:
        return _pick_section(campaign.id, only_new, await feedback.sections_with_comments(session, campaign.id, only_new=only_new))
    items = await feedback.list_feedback(
        session, campaign.id, only_new=only_new, ordinal=None if section == ALL else section
    )
    pages = max((len(items) + PAGE - 1) // PAGE, 1)
    page = min(max(page, 0), pages - 1)
    shown = items[page * PAGE : (page + 1) * PAGE]
    label = t("feedback.list.filter_new") if only_new else t("feedback.list.filter_all")
    if section != ALL:
        label += " · " + (t("feedback.list.filter_whole") if section == WHOLE else t("feedback.list.filter_section", ordinal=section))
    head = t("feedback.list.head", title=document_title(campaign.document), id=campaign.id, filter=label,
             count=len(items), page=page + 1, pages=pages)
    body = "\n\n".join(_line(item, tz) for item in shown) if shown else t("feedback.list.empty")
    rows: list[tuple[Button, ...]] = [
        (Button(t("feedback.btn.view", id=item.id, status=_mark(item)), actions.CommentView(item.id)),) for item in shown
    ]
    nav: list[Button] = []
    if page > 0:
        nav.append(Button(t("btn.prev_page"), actions.CommentList(campaign.id, int(only_new), section, page - 1)))
    if page < pages - 1:
        nav.append(Button(t("btn.next_page"), actions.CommentList(campaign.id, int(only_new), section, page + 1)))
    if nav:
        rows.append(tuple(nav))
    toggle = Button(t("feedback.btn.all") if only_new else t("feedback.btn.new"),
                    actions.CommentList(campaign.id, int(not only_new), section, 0))
    rows.append((toggle, Button(t("feedback.btn.by_section"), actions.CommentList(campaign.id, int(only_new), PICK, 0))))
    others = [c for c in campaigns if c.id != campaign.id][:3]
    if others:
        rows.append(tuple(Button(t("feedback.btn.campaign", id=c.id), actions.CommentList(c.id, int(only_new), ALL, 0)) for c in others))
    if own_row:
        rows.append(own_row)
    return Reply().say(f"{head}\n\n{body}", *rows)


def _pick_section(campaign_id: int, only_new: bool, sections: Sequence[tuple[int, str, int]]) -> Reply:
    rows = [
        (Button(_short(t("feedback.btn.section", ordinal=o, heading=h, count=n) if o else
                       t("feedback.btn.whole", count=n)), actions.CommentList(campaign_id, int(only_new), o, 0)),)
        for o, h, n in sections[:20]
    ]
    rows.append((Button(t("feedback.btn.all"), actions.CommentList(campaign_id, int(only_new), ALL, 0)),))
    text = t("feedback.list.pick") if sections else t("feedback.list.empty")
    return Reply().say(text, *rows)


def _short(label: str, limit: int = 60) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _mark(item: feedback.FeedbackItem) -> str:
    return {"received": "🆕", "accepted": "✅", "explained": "📝"}[item.status.value]


def _author(item: feedback.FeedbackItem) -> str:
    return t("summary.anonymous") if item.anonymous or not item.author else item.author


def _day(moment: dt.datetime, tz: str) -> str:
    from zoneinfo import ZoneInfo

    return format_date_short_vi(moment.astimezone(ZoneInfo(tz)).date())


def _line(item: feedback.FeedbackItem, tz: str) -> str:
    text = item.text if len(item.text) <= PREVIEW else item.text[: PREVIEW - 1] + "…"
    return t("feedback.list.item", mark=_mark(item), id=item.id, where=item.where, author=_author(item),
             day=_day(item.created_at, tz), status=feedback.decision_label(item.status) if item.answered else
             t("feedback.status.received"), text=text)


async def view(session: AsyncSession, staff: Staff, feedback_id: int, tz: str) -> Reply:
    if not access.allowed(staff, access.Action.FEEDBACK_LIST):
        return Reply(toast=t("feedback.list.denied")).say(t("feedback.list.denied"))
    item = await feedback.get_item(session, feedback_id)
    if item is None:
        return Reply(toast=t("feedback.not_found"))
    lines = [t("feedback.view", id=item.id, where=item.where, author=_author(item), day=_day(item.created_at, tz),
               text=item.text)]
    rows: list[tuple[Button, ...]] = []
    if item.answered:
        lines.append(t("feedback.view.answered", decision=feedback.decision_label(item.status),
                       by=item.answered_by or "—", at=format_datetime_vi(item.answered_at, tz) if item.answered_at else "",
                       answer=item.answer or ""))
    elif access.allowed(staff, access.Action.FEEDBACK_ANSWER):
        rows.append((Button(t("feedback.btn.accept"), actions.CommentAccept(item.id)),
                     Button(t("feedback.btn.explain"), actions.CommentExplain(item.id))))
    rows.append((Button(t("feedback.btn.back"), actions.CommentList(item.campaign_id, 0, ALL, 0)),))
    return Reply(toast=t("feedback.view.toast", id=item.id)).say("\n\n".join(lines), *rows)


# --- answering ----------------------------------------------------------------------------


async def answer_begin(
    session: AsyncSession, staff: Staff, who: Who, feedback_id: int, decision: FeedbackStatus, now: dt.datetime, tz: str
) -> Reply:
    if not access.allowed(staff, access.Action.FEEDBACK_ANSWER):
        return Reply(toast=t("feedback.answer.denied")).say(t("feedback.answer.denied"))
    item = await feedback.get_item(session, feedback_id)
    if item is None:
        return Reply(toast=t("feedback.not_found"))
    if item.answered:
        return Reply(toast=t("feedback.answer.refused.already"))
    await pending.expect(session, who.channel, who.user_id, "feedback_answer",
                              {"feedback_id": feedback_id, "decision": decision.value, "tz": tz}, now)
    key = "feedback.answer.ask_accept" if decision is FeedbackStatus.ACCEPTED else "feedback.answer.ask_explain"
    return Reply(toast=t("feedback.answer.toast")).say(t(key, id=feedback_id), CANCEL)


async def text(session: AsyncSession, staff: Staff, who: Who, waiting: PendingInput, body: str, now: dt.datetime) -> Reply:
    """The next message after a prompt of this module (``KINDS``). The step is cleared only
    when the text is taken."""
    data: dict[str, Any] = dict(waiting.data)
    tz = str(data.get("tz") or "Asia/Ho_Chi_Minh")
    if waiting.kind == COMMENT_KIND:
        return await _comment(session, staff, who, data, body, now)
    if waiting.kind == "feedback_answer":
        return await _answer(session, staff, who, int(data["feedback_id"]), FeedbackStatus(data["decision"]), body, now, tz)
    if waiting.kind == "info_request":
        return await _request(session, staff, who, body, now, tz)
    return await _request_answer(session, staff, who, int(data["request_id"]), body, now, tz)


async def _answer(session: AsyncSession, staff: Staff, who: Who, feedback_id: int, decision: FeedbackStatus, body: str,
                  now: dt.datetime, tz: str) -> Reply:
    try:
        item = await feedback.answer(session, staff=staff, feedback_id=feedback_id, decision=decision, text=body,
                                     now=now, tz=tz)
    except feedback.AnswerRefused as refused:
        return await _refused(session, who, refused.reason,
                              t(f"feedback.answer.refused.{refused.reason}", limit=feedback.MAX_LENGTH))
    await pending.clear(session, who.channel, who.user_id)
    key = "feedback.answer.done_anonymous" if item.anonymous else "feedback.answer.done"
    return Reply(wake=True).say(t(key, id=item.id, decision=feedback.decision_label(item.status)),
                                (Button(t("feedback.btn.next_new"), actions.CommentList(item.campaign_id, 1, ALL, 0)),))


# --- requests for a document (Art. 48.4) --------------------------------------------------


async def request_command(session: AsyncSession, staff: Staff, who: Who, args: str, now: dt.datetime, tz: str) -> Reply:
    """``/yeucau <nội dung>``, or ``/yeucau`` and the request in the next message."""
    if not access.allowed(staff, access.Action.READ):
        return Reply().say(t("access.denied"))
    if args.strip():
        return await _request(session, staff, who, args, now, tz)
    await pending.expect(session, who.channel, who.user_id, "info_request", {"tz": tz}, now)
    return Reply().say(t("request.ask"), CANCEL)


async def _request(session: AsyncSession, staff: Staff, who: Who, body: str, now: dt.datetime, tz: str) -> Reply:
    try:
        request_id, _ = await feedback.create_request(session, staff, body, now, tz)
    except feedback.RequestRefused as refused:
        return await _refused(session, who, refused.reason, t(f"request.refused.{refused.reason}", limit=feedback.MAX_LENGTH))
    await pending.clear(session, who.channel, who.user_id)
    return Reply(wake=True).say(t("request.thanks", id=request_id))


async def request_answer_begin(session: AsyncSession, staff: Staff, who: Who, request_id: int, now: dt.datetime, tz: str) -> Reply:
    if not access.allowed(staff, access.Action.INFO_REQUESTS):
        return Reply(toast=t("request.denied")).say(t("request.denied"))
    await pending.expect(session, who.channel, who.user_id, "request_answer", {"request_id": request_id, "tz": tz}, now)
    return Reply(toast=t("feedback.answer.toast")).say(t("request.answer_ask", id=request_id),
                                                       CANCEL)


async def _request_answer(session: AsyncSession, staff: Staff, who: Who, request_id: int, body: str, now: dt.datetime,
                          tz: str) -> Reply:
    try:
        await feedback.answer_request(session, request_id, body, now, tz, by=staff)
    except feedback.RequestRefused as refused:
        return await _refused(session, who, refused.reason,
                              t(f"request.refused.{refused.reason}", limit=feedback.MAX_LENGTH, id=request_id))
    await pending.clear(session, who.channel, who.user_id)
    return Reply(wake=True).say(t("request.answered_chat", id=request_id))


# --- buttons ------------------------------------------------------------------------------


async def press(session: AsyncSession, staff: Staff, who: Who, action: actions.Action, now: dt.datetime, tz: str) -> Reply | None:
    """The buttons of this module; None for any other action."""
    match action:
        case actions.Comment(campaign, ordinal) | actions.CommentAnonymous(campaign, ordinal):
            anonymous = isinstance(action, actions.CommentAnonymous)
            return await begin(session, staff, who, campaign, ordinal or None, anonymous, now)
        case actions.CommentList(campaign, only_new, section, page):
            return await listing(session, staff, campaign, bool(only_new), section, page, now, tz)
        case actions.CommentView(feedback_id):
            return await view(session, staff, feedback_id, tz)
        case actions.CommentAccept(feedback_id):
            return await answer_begin(session, staff, who, feedback_id, FeedbackStatus.ACCEPTED, now, tz)
        case actions.CommentExplain(feedback_id):
            return await answer_begin(session, staff, who, feedback_id, FeedbackStatus.EXPLAINED, now, tz)
        case actions.RequestAnswer(request_id):
            return await request_answer_begin(session, staff, who, request_id, now, tz)
    return None
