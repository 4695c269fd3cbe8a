"""Zalo: the Bot API through our own client; typed commands instead of buttons.

Zalo has no buttons and no edits, so a reply's buttons become a short hint of what to type
("Trả lời: 1 = Đã đọc · tiếp · mục lục · góp ý …"), derived from their typed actions, and
toasts and edits become text. A text is handed to the chat layer as typed, which decides
what it means (``bot.chat.typed``) and reaches the same flows as the Telegram buttons.

Every update is survived: images, stickers and ``message.unsupported.received`` get a polite
hint; the message id lets the chat layer handle a redelivered update once.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from bot.channels.base import BotContext, section_shown
from bot.channels.zalo_client import ZaloClient
from bot.chat import events
from bot.chat.reply import Reply, Who
from bot.domain import chunking
from bot.domain.actions import Ack, Action, Comment, Next, Toc
from bot.domain.enums import Channel, DeliveryKind
from bot.domain.limits import ZALO_LAST_RESERVE, ZALO_TEXT_LIMIT
from bot.domain.messages import Button, Keyboard, Message
from bot.domain.text import nfc
from bot.domain.texts import t
from bot.outbox.protocol import Rejected, SendError, Sent

if TYPE_CHECKING:
    from bot.services.deliveries import Job

log = logging.getLogger(__name__)

TEXT_EVENT = "message.text.received"
POLL_TIMEOUT = 30
POLL_BACKOFF_MAX = 30.0


# --- rendering ---------------------------------------------------------------------------


@lru_cache(maxsize=2048)
def _chunks(path: str, heading: str, body: str) -> tuple[str, ...]:
    return tuple(chunking.zalo_chunks(path, heading, body, limit=ZALO_TEXT_LIMIT, last_reserve=ZALO_LAST_RESERVE))


def hint(keyboard: Keyboard) -> str:
    """"Trả lời: 1 = Đã đọc · tiếp · mục lục · góp ý …" for the buttons' actions, in order, once each."""
    parts: list[str] = []
    for action in _actions(keyboard):
        part = _hint_part(action)
        if part and part not in parts:
            parts.append(part)
    return t("zalo.hint", commands=" · ".join(parts)) if parts else ""


def _hint_part(action: Action) -> str | None:
    page = getattr(action, "page", 0)
    if action.hint == "zalo.hint.toc" and page:
        return t("zalo.hint.page", page=page + 1)
    return t(action.hint) if action.hint else None


def _actions(buttons: Keyboard) -> list[Action]:
    return [button.action for row in buttons for button in row]


@lru_cache(maxsize=1)
def section_hint() -> str:
    """What to type under a section: the hint of the buttons a section has on Telegram, and the contents."""
    return hint(((Button("", Ack(1, 1)), Button("", Next(1)), Button("", Toc(1, 0)), Button("", Comment(1, 1))),))


def section_messages(campaign_id: int, path: str, heading: str, body: str, ordinal: int, *,
                     document: str | None = None) -> list[Message]:
    """A section as Zalo messages: plain chunks, the last one ending with the command hint of
    the same buttons Telegram shows. ``document``: said first when several are open at once."""
    chunks = list(_chunks(f"{document} › {path}" if document else path, heading, body))
    chunks[-1] = f"{chunks[-1]}\n\n{section_hint()}"
    return [Message(chunk, rendered=True) for chunk in chunks]


def plain_messages(message: Message) -> list[Message]:
    """Any other message: plain text plus the hint of its buttons, within the 2000 characters."""
    tail = hint(message.buttons)
    text = f"{message.text}\n\n{tail}" if tail else message.text
    return [Message(piece, rendered=True) for piece in chunking.zalo_messages(text, limit=ZALO_TEXT_LIMIT)]


def unwrap(data: Any) -> dict[str, Any] | None:
    """An update from either body Zalo sends: ``{ok, result: {...}}`` or the bare ``{event_name, message}``."""
    if not isinstance(data, dict):
        return None
    if "result" in data and isinstance(data["result"], dict):
        data = data["result"]
    return data if isinstance(data.get("message"), dict) or "event_name" in data else None


def parse_update(data: Any) -> dict[str, Any] | None:
    """The update in a webhook body, or None when the body is not one: ``unwrap`` found
    nothing, or a part the handler reads (the event's name, the sender, the chat, the text,
    the message id) is of another type than Zalo sends. An update may still be one to
    ignore (a group, the bot's own message): that is the handler's call."""
    update = unwrap(data)
    if update is None or not isinstance(update.get("event_name", ""), str):
        return None
    message = update.get("message", {})
    if not isinstance(message, dict):
        return None
    sender, chat = message.get("from", {}), message.get("chat", {})
    if not isinstance(sender, dict) or not isinstance(chat, dict):
        return None
    if not all(_id_or_none(value) for value in (sender.get("id"), chat.get("id"), message.get("message_id"))):
        return None
    if not isinstance(message.get("text", ""), str | None) or not isinstance(chat.get("chat_type", ""), str | None):
        return None
    if not isinstance(sender.get("is_bot", False), bool | None):
        return None
    return update


def _id_or_none(value: Any) -> bool:
    """Zalo's ids are strings (some clients send numbers); anything else is not an id."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    return isinstance(value, str) and 0 < len(value) <= 128


class ZaloChannel:
    channel = Channel.ZALO

    def __init__(self, client: ZaloClient, ctx: BotContext) -> None:
        self.client = client
        self.ctx = ctx
        self.sent_messages = 0
        self._poller: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- the delivery worker's side -------------------------------------------------

    def render(self, job: Job) -> list[Message]:
        if job.kind is DeliveryKind.SECTION and job.section is not None:
            s = job.section
            return section_messages(job.campaign_id or 0, s.path, s.heading, s.body, s.ordinal,
                                    document=job.document)
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
        update = parse_update(data)
        if update is None:
            return
        message = update.get("message") or {}
        sender = message.get("from") or {}
        chat = message.get("chat") or {}
        user_id = str(sender.get("id") or chat.get("id") or "")
        chat_id = str(chat.get("id") or user_id)
        if not user_id or sender.get("is_bot") or str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
            return  # our own messages echoed back, groups: not for us
        name = str(update.get("event_name") or "")
        who = Who(Channel.ZALO, user_id, chat_id)
        message_id = message.get("message_id")
        key = f"{user_id}:{message_id}" if message_id else None
        event: events.Event
        if name and name != TEXT_EVENT:  # images, stickers, voice, and what Zalo withholds
            event = events.Other(who, update_key=key, unsupported=name.endswith("unsupported.received"))
        else:
            event = events.Text(who, update_key=key, text=nfc(str(message.get("text") or "")), typed=True)
        await self._show(who.chat_id, await self.ctx.chat.handle(event))

    # --- answering ------------------------------------------------------------------------------

    async def _show(self, chat_id: str, reply: Reply) -> None:
        """A reply as Zalo messages: no toasts and no edits here, so they become text too."""
        messages = section_shown(reply, section_messages)
        if reply.edit is not None:
            lines = [reply.toast] if reply.toast else []
            lines.append(reply.edit.text)
            messages.append(Message("\n".join(lines), reply.edit.buttons))
        elif reply.toast and not reply.messages and not reply.wake and reply.section is None:
            messages.append(Message(reply.toast))
        messages.extend(reply.messages)
        pieces: list[Message] = []
        for message in messages:
            if message.attachment is not None:
                continue  # Zalo's Bot API takes no uploads
            pieces.extend([message] if message.rendered else plain_messages(message))
        await self.ctx.send_reply(Channel.ZALO, chat_id, pieces)
        if reply.wake:
            self.ctx.wake()

    # --- polling (development: getUpdates, one update per call) ---------------------------------

    async def check(self) -> None:
        await self.client.get_me()

    def start_polling(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll(), name="zalo-polling")

    async def _poll(self) -> None:
        backoff = 1.0
        while True:  # getUpdates hears nothing while a webhook is set: remove a stale one first
            try:
                await self.client.delete_webhook()
                break
            except asyncio.CancelledError:
                raise
            except SendError as error:
                log.warning("zalo deleteWebhook failed: %s", error)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, POLL_BACKOFF_MAX)
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
