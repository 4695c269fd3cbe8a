"""Zalo: the Bot API through our own client; typed commands instead of buttons.

Zalo has no buttons and no edits, so a flow's buttons become a short hint of what to type
("Trả lời: 1 = Đã đọc · tiếp · mục lục · góp ý …") and the typed answer is parsed by
:mod:`bot.domain.commands` into the same flows the Telegram buttons call. "The section just
sent" is the person's last section on Zalo: the newest SECTION delivery sent here, or the
section the bot itself showed again on request, whichever came later.

Every update is survived: images, stickers and ``message.unsupported.received`` get a polite
hint; a redelivered update (same message id) is handled once (``processed_update``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels.base import BotContext, Rejected, SendError, Sent
from bot.channels.dashboard_command import dashboard_reply
from bot.channels.zalo_client import ZaloClient
from bot.db.models import Delivery, ProcessedUpdate, Staff
from bot.db.queries import insert_ignoring_duplicates
from bot.domain import chunking, invite
from bot.domain.commands import Command, Kind, parse
from bot.domain.enums import Channel, DeliveryKind, DeliveryStatus
from bot.domain.limits import ZALO_LAST_RESERVE, ZALO_TEXT_LIMIT
from bot.domain.render import to_plain
from bot.domain.text import nfc
from bot.domain.texts import t
from bot.services import announcing, conversation, flows, reading, registration
from bot.services.deliveries import Job
from bot.services.documents import SectionView
from bot.services.flows import Reply, Who
from bot.services.messages import Keyboard, Message

log = logging.getLogger(__name__)

TEXT_EVENT = "message.text.received"
CONTEXT_KIND = "zalo.context"  # pending input: what the person was last shown (toc, a section)
POLL_TIMEOUT = 30
POLL_BACKOFF_MAX = 30.0

# Called on "đã nhận": acknowledge the newest announcement the person got on Zalo. The
# announcement feature wires its service here; until then the person hears there is nothing to
# confirm. (session, staff, who, announcement_id or None, now) -> Reply
AnnouncementAck = Callable[[AsyncSession, Staff, Who, int | None, dt.datetime], Awaitable[Reply]]


# --- rendering ---------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _chunks(path: str, heading: str, body: str) -> tuple[str, ...]:
    return tuple(chunking.zalo_chunks(path, heading, body, limit=ZALO_TEXT_LIMIT, last_reserve=ZALO_LAST_RESERVE))


SECTION_HINT_ACTIONS = ("ack", "next", "toc", "fb")


def hint(actions: list[str]) -> str:
    """"Trả lời: 1 = Đã đọc · tiếp · mục lục · góp ý …" for the buttons' actions, in order, once each."""
    parts: list[str] = []
    for action in actions:
        name, *args = action.split(":")
        part = _hint_part(name, args)
        if part and part not in parts:
            parts.append(part)
    return t("zalo.hint", commands=" · ".join(parts)) if parts else ""


def _hint_part(name: str, args: list[str]) -> str | None:
    if name == "toc":
        page = int(args[1]) if len(args) > 1 and args[1].isdigit() else 0
        return t("zalo.hint.page", page=page + 1) if page else t("zalo.hint.toc")
    key = {
        "ack": "zalo.hint.ack",
        "next": "zalo.hint.next",
        "read": "zalo.hint.read",
        "fb": "zalo.hint.feedback",
        "fbanon": "zalo.hint.feedback_anonymous",
        "attest": "zalo.hint.attest",
        "cancel": "zalo.hint.cancel",
        "annack": "zalo.hint.announcement_ack",
    }.get(name)
    return t(key) if key else None


def _actions(buttons: Keyboard) -> list[str]:
    return [button.action for row in buttons for button in row]


def section_messages(path: str, heading: str, body: str) -> list[Message]:
    """A section as Zalo messages: plain chunks, the last one ending with the command hint."""
    chunks = list(_chunks(path, heading, body))
    chunks[-1] = f"{chunks[-1]}\n\n{hint(list(SECTION_HINT_ACTIONS))}"
    return [Message(chunk, rendered=True) for chunk in chunks]


def plain_messages(message: Message) -> list[Message]:
    """Any other message: plain text plus the hint of its buttons, within the 2000 characters."""
    text = to_plain(message.text)
    tail = hint(_actions(message.buttons))
    if tail:
        text = f"{text}\n\n{tail}"
    return [Message(piece, rendered=True) for piece in split_plain(text, ZALO_TEXT_LIMIT)]


def split_plain(text: str, limit: int) -> list[str]:
    """Cut a long plain text between lines (words, at worst) into pieces of at most ``limit``."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit + 1)
        if cut <= limit // 2:
            cut = rest.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].strip()
    if rest:
        pieces.append(rest)
    return pieces or [""]


def _zalo_wording(text: str) -> str:
    """The shared catalogue speaks of Telegram's commands and buttons in a few texts: say it the Zalo way."""
    if text == t("help.commands"):
        return t("zalo.help")
    if text == t("start.stranger"):
        return t("zalo.stranger")
    return text


# --- the update ------------------------------------------------------------------------------


def unwrap(data: Any) -> dict[str, Any] | None:
    """An update from either body Zalo sends: ``{ok, result: {...}}`` or the bare ``{event_name, message}``."""
    if not isinstance(data, dict):
        return None
    if "result" in data and isinstance(data["result"], dict):
        data = data["result"]
    return data if isinstance(data.get("message"), dict) or "event_name" in data else None


class ZaloChannel:
    channel = Channel.ZALO

    def __init__(self, client: ZaloClient, ctx: BotContext) -> None:
        self.client = client
        self.ctx = ctx
        self.sent_messages = 0
        self.announcement_ack: AnnouncementAck | None = announcing.typed_ack(ctx.tz)
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the delivery worker's side -------------------------------------------------

    def render(self, job: Job) -> list[Message]:
        if job.kind is DeliveryKind.SECTION and job.section is not None:
            s = job.section
            return section_messages(s.path, s.heading, s.body)
        return plain_messages(job.message) if job.message is not None else []

    async def send(self, chat_id: str, message: Message) -> Sent:
        pieces = [message] if message.rendered else plain_messages(message)
        sent: Sent | None = None
        for piece in pieces:
            text = piece.text
            if len(text) > ZALO_TEXT_LIMIT:
                raise Rejected(f"text longer than {ZALO_TEXT_LIMIT} characters")
            result = await self.client.send_message(chat_id, text)
            self.sent_messages += 1
            sent = Sent(str(result.get("message_id", "")))
        assert sent is not None
        return sent

    # --- updates --------------------------------------------------------------------------

    def accept(self, data: Any) -> None:
        """Take a webhook body and handle it in the background: the webhook answers at once."""
        task = asyncio.create_task(self.handle_update(data), name="zalo-update")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle_update(self, data: Any) -> None:
        """One update, whatever it holds; never raises (a bad update must not stop the loop)."""
        try:
            await self._handle(data)
        except Exception as error:  # noqa: BLE001 - logged by type, never the update's text
            log.error("zalo update failed: %s: %s", type(error).__name__, error)

    async def _handle(self, data: Any) -> None:
        update = unwrap(data)
        if update is None:
            return
        message = update.get("message") or {}
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        user_id = str(sender.get("id") or chat.get("id") or "")
        chat_id = str(chat.get("id") or user_id)
        if not user_id or sender.get("is_bot") or str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
            return  # our own messages echoed back, groups: not for us
        event = str(update.get("event_name") or "")
        who = Who(Channel.ZALO, user_id, chat_id)
        now = self.ctx.clock.now()
        again: tuple[SectionView, int] | None = None
        async with self.ctx.sessions() as session, session.begin():
            message_id = message.get("message_id")
            if message_id and not await self._first_time(session, f"{user_id}:{message_id}", now):
                return
            staff = await registration.identify_and_touch(session, who.channel, who.user_id, now)
            if event and event != TEXT_EVENT:
                # images, stickers, voice, and what Zalo withholds from protected users
                if staff is None:
                    reply = flows.stranger()
                elif event.endswith("unsupported.received"):
                    reply = Reply().say(t("zalo.unsupported"))
                else:
                    reply = Reply().say(t("zalo.not_text"))
            else:
                text = nfc(str(message.get("text") or ""))
                reply, again = await self._text(session, staff, who, text, now)
        if again is not None:
            section, _campaign_id = again
            for piece in section_messages(section.path, section.heading, section.body):
                await self._send_reply(who.chat_id, piece)
        await self._show(who.chat_id, reply)

    async def _first_time(self, session: AsyncSession, key: str, now: dt.datetime) -> bool:
        inserted = await insert_ignoring_duplicates(
            session, ProcessedUpdate, [{"channel": Channel.ZALO, "update_key": key[:100], "at": now}]
        )
        return inserted > 0

    # --- text -> flow -------------------------------------------------------------------

    async def _text(
        self, session: AsyncSession, staff: Staff | None, who: Who, text: str, now: dt.datetime
    ) -> tuple[Reply, tuple[SectionView, int] | None]:
        tz = self.ctx.tz
        context = await self._context(session, who, now)
        command = parse(text, after_toc=context.get("toc") is not None)
        if staff is None:
            code = command.text if command.kind is Kind.LINK else _code_like(text)
            if code:
                reply = await flows.start(session, who, code, now, tz)
                linked = await registration.identify(session, who.channel, who.user_id)
                if linked is not None and reply.messages and reply.messages[0].text == t("start.linked", name=linked.full_name):
                    reply.messages[0] = Message(t("zalo.linked", name=linked.full_name))
                return reply, None
            return flows.stranger(), None
        return await self._member(session, staff, who, command, context, now)

    async def _member(
        self, session: AsyncSession, staff: Staff, who: Who, command: Command, context: dict[str, Any], now: dt.datetime
    ) -> tuple[Reply, tuple[SectionView, int] | None]:
        tz = self.ctx.tz
        kind = command.kind
        if kind is Kind.CONFIRM:
            last = await self._last_section(session, staff, who, context, now)
            if last is None:
                return Reply().say(t("zalo.nothing_to_confirm")), None
            return await flows.confirm(session, staff, who, last[0], last[1], now, tz), None
        if kind is Kind.NEXT:
            return await flows.read_next(session, staff, None, now), None
        if kind is Kind.TOC:
            page = (command.number or 1) - 1
            reply = await flows.toc(session, staff, context.get("toc"), page)
            campaign_id = _campaign_of(reply)
            if campaign_id is not None:
                await self._remember(session, who, now, toc=campaign_id)
            return reply, None
        if kind is Kind.READ and command.number is not None:
            campaign_id = context.get("toc") or await _first_campaign(session, staff)
            if campaign_id is None:
                return Reply().say(t("read.no_campaign")), None
            reply, section = await flows.read(session, staff, campaign_id, command.number, now)
            if section is not None:  # already received: shown again here, at once
                await self._remember(session, who, now, shown=[campaign_id, section.ordinal])
                return Reply(), (section, campaign_id)
            if reply.toast and not reply.wake:
                reply.say(reply.toast)  # not found: say so
            await conversation.clear(session, who.channel, who.user_id)
            return reply, None
        if kind in (Kind.FEEDBACK, Kind.FEEDBACK_ANONYMOUS):
            last = await self._last_section(session, staff, who, context, now)
            campaign_id = last[0] if last else await _first_campaign(session, staff)
            if campaign_id is None:
                return Reply().say(t("read.no_campaign")), None
            anonymous = kind is Kind.FEEDBACK_ANONYMOUS
            asked = await flows.feedback_begin(session, staff, who, campaign_id, last[1] if last else None, anonymous, now)
            if not command.text or not asked.messages:
                return asked, None  # the comment comes in the next message
            return await flows.text(session, staff, who, command.text, now), None
        if kind is Kind.PROGRESS:
            return await flows.my_progress(session, staff, now, tz), None
        if kind is Kind.ATTEST:
            campaign_id = await _attestable_campaign(session, staff, now, tz)
            if campaign_id is None:
                return Reply().say(t("zalo.attest_nothing")), None
            return await flows.attest(session, staff, who, campaign_id, now, tz), None
        if kind is Kind.ANNOUNCEMENT_ACK:
            return await self._announcement_ack(session, staff, who, now), None
        if kind is Kind.CANCEL:
            return await flows.cancel(session, who), None
        if kind is Kind.REPORT:
            return await flows.report(session, staff, now), None
        if kind is Kind.DASHBOARD:
            return await dashboard_reply(session, staff, now, self.ctx.dashboard_url), None
        if kind is Kind.HELP:
            return Reply().say(t("zalo.help")), None
        if kind is Kind.LINK:
            return await flows.start(session, who, command.text, now, tz), None
        return await flows.text(session, staff, who, command.text, now), None

    async def _announcement_ack(self, session: AsyncSession, staff: Staff, who: Who, now: dt.datetime) -> Reply:
        announcement_id = await session.scalar(
            select(Delivery.announcement_id)
            .where(
                Delivery.staff_id == staff.id,
                Delivery.kind == DeliveryKind.ANNOUNCEMENT,
                Delivery.status == DeliveryStatus.SENT,
                Delivery.channel == Channel.ZALO,
            )
            .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
            .limit(1)
        )
        if self.announcement_ack is None or announcement_id is None:
            return Reply().say(t("zalo.announcement_none"))
        return await self.announcement_ack(session, staff, who, announcement_id, now)

    # --- what the person was shown last ------------------------------------------------------

    async def _context(self, session: AsyncSession, who: Who, now: dt.datetime) -> dict[str, Any]:
        pending = await conversation.peek(session, who.channel, who.user_id, now)
        return dict(pending.data) if pending is not None and pending.kind == CONTEXT_KIND else {}

    async def _remember(self, session: AsyncSession, who: Who, now: dt.datetime, **data: Any) -> None:
        """Keep the table of contents or the section just shown (never over a comment being written)."""
        pending = await conversation.peek(session, who.channel, who.user_id, now)
        if pending is not None and pending.kind != CONTEXT_KIND:
            return
        await conversation.expect(session, who.channel, who.user_id, CONTEXT_KIND, {**data, "at": now.isoformat()}, now)

    async def _last_section(
        self, session: AsyncSession, staff: Staff, who: Who, context: dict[str, Any], now: dt.datetime
    ) -> tuple[int, int] | None:
        """(campaign, ordinal) of the section the person got last on Zalo."""
        row = (
            await session.execute(
                select(Delivery.campaign_id, Delivery.item, Delivery.sent_at)
                .where(
                    Delivery.staff_id == staff.id,
                    Delivery.kind == DeliveryKind.SECTION,
                    Delivery.status == DeliveryStatus.SENT,
                    Delivery.channel == Channel.ZALO,
                )
                .order_by(Delivery.sent_at.desc(), Delivery.id.desc())
                .limit(1)
            )
        ).first()
        shown = context.get("shown")
        if shown and (row is None or row.sent_at is None or dt.datetime.fromisoformat(context["at"]) >= row.sent_at):
            return int(shown[0]), int(shown[1])
        if row is None or row.campaign_id is None:
            return None
        return int(row.campaign_id), int(row.item)

    # --- answering ------------------------------------------------------------------------------

    async def _show(self, chat_id: str, reply: Reply) -> None:
        """A reply as Zalo messages: no toasts and no edits here, so they become text too."""
        messages: list[Message] = []
        if reply.edit is not None:
            lines = [reply.toast] if reply.toast else []
            lines.append(reply.edit.text)
            messages.append(Message("\n".join(lines), reply.edit.buttons))
        elif reply.toast and not reply.messages and not reply.wake:
            messages.append(Message(reply.toast))
        messages.extend(reply.messages)
        for message in messages:
            for piece in plain_messages(Message(_zalo_wording(message.text), message.buttons)):
                await self._send_reply(chat_id, piece)
        if reply.wake:
            self.ctx.wake()

    async def _send_reply(self, chat_id: str, message: Message) -> None:
        try:
            await self.send(chat_id, message)
        except SendError as error:
            # The person's state is committed; the answer is lost, and they can ask again.
            log.warning("zalo reply not sent: %s", error)

    # --- polling (development: getUpdates, one update per call) ---------------------------------

    def start_polling(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll(), name="zalo-polling")

    async def _poll(self) -> None:
        backoff = 1.0
        while True:
            try:
                update = await self.client.get_updates(timeout=POLL_TIMEOUT)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - SendError or a broken answer: wait, poll again
                log.warning("zalo getUpdates failed: %s", error if isinstance(error, SendError) else type(error).__name__)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, POLL_BACKOFF_MAX)
                continue
            backoff = 1.0
            if update is not None:
                await self.handle_update(update)

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            try:
                await self._poller
            except asyncio.CancelledError:
                pass
            self._poller = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _code_like(text: str) -> str | None:
    """A stranger's mistyped code ("WRONG234") still gets the answer about codes, not the greeting."""
    code = invite.normalise_code(text)
    return code if len(code) == invite.LENGTH and len(text.strip()) <= invite.LENGTH + 2 else None


def _campaign_of(reply: Reply) -> int | None:
    for message in reply.messages:
        for action in _actions(message.buttons):
            name, *args = action.split(":")
            if name in ("read", "toc") and args and args[0].isdigit():
                return int(args[0])
    return None


async def _first_campaign(session: AsyncSession, staff: Staff) -> int | None:
    campaigns = await reading.member_campaigns(session, staff.id)
    return campaigns[0].id if campaigns else None


async def _attestable_campaign(session: AsyncSession, staff: Staff, now: dt.datetime, tz: str) -> int | None:
    """The campaign whose sections the person has all confirmed and not yet attested."""
    for item in await reading.progress(session, staff.id, now, tz):
        if item.confirmed >= item.total and not item.attested:
            return item.campaign.id
    return None
