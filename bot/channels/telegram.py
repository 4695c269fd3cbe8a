"""Telegram: python-telegram-bot's Application on our aiohttp transport.

Handlers stay thin: parse the update, run one flow in one transaction, show the
reply. The flow's buttons become inline keyboards (their actions are the
``callback_data``); acknowledgments are committed before the button is answered.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from html import escape
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson
from telegram import BotCommand, InputFile, MessageEntity, Update
from telegram import Message as TgMessage
from telegram._utils.entities import parse_message_entities
from telegram import error as tg_error
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.aiohttp_request import AiohttpRequest, JsonCall
from bot.channels.base import BotContext, section_shown
from bot.chat import events
from bot.chat.core import COMMANDS
from bot.chat.reply import Reply, Who
from bot.domain import actions, chunking
from bot.domain.enums import Channel, DeliveryKind
from bot.domain.limits import TELEGRAM_LAST_RESERVE, TELEGRAM_TEXT_LIMIT
from bot.domain.messages import Attachment, Keyboard, Message, section_buttons
from bot.domain.render import markdown_from_html, to_html
from bot.domain.texts import t
from bot.outbox.protocol import (
    Rejected,
    RetryAfter,
    Sent,
    Transient,
    Unauthorized,
    Unreachable,
)

if TYPE_CHECKING:
    from bot.services.deliveries import Job

log = logging.getLogger(__name__)

NO_PREVIEW = {"is_disabled": True}
CONCURRENT_UPDATES = 256  # handled at once: python-telegram-bot's updates, and the presses beside them


@lru_cache(maxsize=2048)
def _chunks(path: str, heading: str, body: str) -> tuple[str, ...]:
    """Sections never change once imported: split each once, not once per person."""
    return tuple(chunking.telegram_chunks(path, heading, body, limit=TELEGRAM_TEXT_LIMIT, last_reserve=TELEGRAM_LAST_RESERVE))


def section_messages(campaign_id: int, path: str, heading: str, body: str, ordinal: int, *, confirmed: bool = False,
                     document: str | None = None) -> list[Message]:
    """A section as Telegram messages: HTML chunks, the buttons on the last one. ``document``:
    its document's name, said first when several documents are open at once."""
    chunks = _chunks(f"{document} › {path}" if document else path, heading, body)
    last = len(chunks) - 1
    return [
        Message(chunk, section_buttons(campaign_id, ordinal, confirmed=confirmed) if i == last else (), rendered=True)
        for i, chunk in enumerate(chunks)
    ]


def chat_messages(message: Message) -> list[Message]:
    """Any other message as HTML pieces within Telegram's limit; the buttons go on the last."""
    if message.rendered or message.attachment is not None:  # a file's caption is short
        return [message]
    pieces = chunking.telegram_messages(message.text, limit=TELEGRAM_TEXT_LIMIT)
    last = len(pieces) - 1
    return [replace(message, text=piece, rendered=True) if i == last else Message(piece, rendered=True)
            for i, piece in enumerate(pieces)]


def keyboard(message: Message) -> dict[str, Any] | None:
    """The Bot API's ``reply_markup`` for a message, as JSON: inline buttons, the contact
    request, or the keyboard taken away."""
    if message.buttons:
        return _inline_keyboard(message.buttons)
    if message.ask_contact:
        return {
            "keyboard": [[{"text": t("btn.share_phone"), "request_contact": True}]],
            "resize_keyboard": True,
            "one_time_keyboard": True,
        }
    if message.remove_keyboard:
        return {"remove_keyboard": True}
    return None


@lru_cache(maxsize=4096)
def _inline_keyboard(buttons: Keyboard) -> dict[str, Any]:
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.action.encode()} for b in row] for row in buttons]}


# --- webhook bodies -------------------------------------------------------------------------

MAX_UPDATE_ID = 2**63 - 1


def parse_update(data: Any, bot: Any) -> Update | None:
    """A webhook body as python-telegram-bot's Update, or None when it is not one: no integer
    ``update_id``, a part PTB cannot build, or the parts the handlers read (the user, the
    chat, the text, the button's data, the contact) of another type than the Bot API's.
    Telegram sends only real updates, so None means someone else posted the body."""
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        return None
    try:
        update = Update.de_json(dict(data), bot)
        return update if _well_typed(update) else None
    except Exception:  # noqa: BLE001 - PTB raises KeyError, TypeError, ValueError… on a malformed part
        return None


def _well_typed(update: Update) -> bool:
    user, chat, message = update.effective_user, update.effective_chat, update.effective_message
    if user is not None and not (_int_id(user.id) and isinstance(user.first_name, str)):
        return False
    if chat is not None and not (_int_id(chat.id) and isinstance(chat.type, str)):
        return False
    if message is not None:
        if not _int_id(message.message_id) or not isinstance(message.text or "", str):
            return False
        if message.contact is not None and not (
            isinstance(message.contact.phone_number, str) and (message.contact.user_id is None or _int_id(message.contact.user_id))
        ):
            return False
        if message.text and (message.text_html is None or not isinstance(message.text_html, str)):
            return False
    query = update.callback_query
    if query is not None and not (isinstance(query.id, str) and isinstance(query.data or "", str)):
        return False
    change = update.my_chat_member
    if change is not None and not isinstance(change.new_chat_member.status, str):
        return False
    return True


def _int_id(value: Any) -> bool:
    return type(value) is int and -MAX_UPDATE_ID <= value <= MAX_UPDATE_ID


@dataclass(frozen=True, slots=True)
class Press:
    """A button press read straight from its JSON. Presses are most of what a bot in a
    disclosure period receives, and python-telegram-bot's ``Update`` for one builds the whole
    pressed message (a section: its text, its entities, its keyboard), which was a fifth of the
    bot's CPU while people read and confirmed (``bench/simulate.py``). Everything else still
    goes through python-telegram-bot's handlers."""

    update_id: int
    query_id: str
    user_id: int
    chat_id: int  # the pressed message's chat; the person's own id when it is not there
    data: str | None
    message_id: int | None
    message: dict[str, Any] | None  # the pressed message as sent, for the stamp
    html: str | None = None  # its text as HTML, when python-telegram-bot has already read the message


_QUERY_KEYS = frozenset({"id", "from", "chat_instance", "data", "message"})


def parse_press(data: Any) -> Press | None:
    """``data`` as a :class:`Press` when it is exactly a callback query with the parts the
    Bot API always gives, each of its own type; otherwise None, and the update takes the
    general path (python-telegram-bot's ``Update``, checked by :func:`parse_update`)."""
    if not isinstance(data, dict) or len(data) != 2:
        return None
    update_id, query = data.get("update_id"), data.get("callback_query")
    if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
        return None
    if not isinstance(query, dict) or not query.keys() <= _QUERY_KEYS:
        return None
    query_id, person, instance, pressed = query.get("id"), query.get("from"), query.get("chat_instance"), query.get("data")
    if type(query_id) is not str or type(instance) is not str or not (pressed is None or type(pressed) is str):
        return None
    if not isinstance(person, dict) or not _int_id(person.get("id")) or type(person.get("first_name")) is not str:
        return None
    if type(person.get("is_bot")) is not bool:
        return None
    message = query.get("message")
    chat_id, message_id = person["id"], None
    if message is not None:
        chat = message.get("chat") if isinstance(message, dict) else None
        if not isinstance(chat, dict) or not _int_id(chat.get("id")) or type(chat.get("type")) is not str:
            return None
        if not _int_id(message.get("message_id")) or type(message.get("date")) is not int or message["date"] <= 0:
            return None  # date 0: a message the bot can no longer reach (PTB's InaccessibleMessage)
        if not (message.get("text") is None or type(message.get("text")) is str):
            return None
        chat_id, message_id = chat["id"], message["message_id"]
    return Press(update_id, query_id, person["id"], chat_id, pressed, message_id, message)


def pressed_html(message: dict[str, Any]) -> str:
    """The pressed message's text as HTML: what python-telegram-bot's ``Message.text_html``
    gives, made from the text and its entities alone, without building the whole message
    (``tests/unit/test_press_parse.py`` holds the two equal). Everyone presses the same few
    section texts, so each is worked out once."""
    text = message.get("text")
    if not text or type(text) is not str:
        return ""
    entities = message.get("entities") or []
    try:
        key = orjson.dumps(entities)
    except TypeError:  # an integer past 64 bits: not from Telegram, not worth keeping
        return _html_of.__wrapped__(text, entities)
    return _html_of(text, key)


@lru_cache(maxsize=1024)
def _html_of(text: str, entities: bytes | list[Any]) -> str:
    try:
        parsed = MessageEntity.de_list(orjson.loads(entities) if isinstance(entities, bytes) else entities, None)
        return TgMessage._parse_html(text, parse_message_entities(text, parsed), urled=False) or ""
    except Exception:  # noqa: BLE001 - entities of another shape: the text as it is
        return escape(text)


class _UpdatesRequest(AiohttpRequest):
    """The transport of ``getUpdates``: each press is taken out as it arrives and handled on
    the press path; python-telegram-bot gets the other updates, and, when the answer ends with
    a press, that press's ``update_id`` alone, so that its Updater still confirms everything
    with the next offset (the last update's id + 1), and no handler matches it."""

    def __init__(self, session: aiohttp.ClientSession | None, take: Callable[[Any], bool], **timeouts: Any) -> None:
        super().__init__(session, **timeouts)
        self._take = take

    async def post(self, url: str, request_data: Any = None, *args: Any, **kwargs: Any) -> Any:
        result = await super().post(url, request_data, *args, **kwargs)
        if not isinstance(result, list) or not result:
            return result
        kept = [update for update in result if not self._take(update)]
        if not kept or kept[-1] is not result[-1]:
            kept.append({"update_id": result[-1]["update_id"]})
        return kept


class TelegramChannel:
    channel = Channel.TELEGRAM

    def __init__(self, token: str, base_url: str, ctx: BotContext, session: aiohttp.ClientSession | None = None) -> None:
        self.ctx = ctx
        self.sent_messages = 0  # every message this bot sent successfully (deliveries and replies)
        self.application: Application = (
            ApplicationBuilder()
            .token(token)
            .base_url(base_url)
            .request(AiohttpRequest(session))
            .get_updates_request(_UpdatesRequest(session, self.take_press, read_timeout=40))
            .concurrent_updates(CONCURRENT_UPDATES)
            .build()
        )
        # Answers to a pressed button and the stamp on its message, on connections of their own:
        # a broadcast holds up to a quarter of a second's sends on the shared pool, and a person
        # waiting for the button's answer must not queue behind them.
        self._interactive = AiohttpRequest()
        self._presses: set[asyncio.Task[None]] = set()
        self._pressing = asyncio.Semaphore(CONCURRENT_UPDATES)
        self._register()

    @property
    def bot(self) -> Any:
        return self.application.bot

    # --- the delivery worker's side -------------------------------------------------

    def render(self, job: Job) -> list[Message]:
        if job.kind is DeliveryKind.SECTION and job.section is not None:
            s = job.section
            return section_messages(job.campaign_id or 0, s.path, s.heading, s.body, s.ordinal, document=job.document)
        return chat_messages(job.message) if job.message is not None else []

    async def send(self, chat_id: str, message: Message) -> Sent:
        text = message.text if message.rendered else to_html(message.text)
        try:
            if message.attachment is not None:
                message_id = await self._upload(int(chat_id), message.attachment, text)
            else:
                sent = await self._call(
                    "sendMessage", chat_id=int(chat_id), text=text, parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(message), link_preview_options=NO_PREVIEW,
                )
                message_id = sent["message_id"]
        except tg_error.Forbidden as error:
            raise Unreachable(error.message) from None
        except tg_error.InvalidToken as error:
            raise Unauthorized(error.message) from None
        except tg_error.RetryAfter as error:
            raise RetryAfter(_seconds(error.retry_after)) from None
        except tg_error.BadRequest as error:
            if "chat not found" in error.message.lower():
                raise Unreachable(error.message) from None
            raise Rejected(error.message) from None
        except (tg_error.TimedOut, tg_error.NetworkError) as error:
            raise Transient(type(error).__name__) from None
        self.sent_messages += 1
        return Sent(str(message_id))

    async def _upload(self, chat_id: int, attachment: Attachment, caption: str) -> int:
        """A file as a photo or a document (multipart, through PTB's own request layer)."""
        upload = InputFile(attachment.data, filename=attachment.name)
        send = self.bot.send_photo if attachment.photo else self.bot.send_document
        sent = await send(chat_id, upload, caption=caption or None, parse_mode=ParseMode.HTML)
        return int(sent.message_id)

    async def check(self) -> None:
        try:
            await self._call("getMe")
        except tg_error.InvalidToken as error:
            raise Unauthorized(error.message) from None
        except (tg_error.TimedOut, tg_error.NetworkError) as error:
            raise Transient(type(error).__name__) from None

    async def _call(self, method: str, *, interactive: bool = False, **params: Any) -> Any:
        """One Bot API call through python-telegram-bot's request layer (its transport, its
        errors: Forbidden, RetryAfter, BadRequest…), the answer left as JSON. Sends and edits
        need only the message id back, and building PTB's Message for each was a large share
        of the CPU a broadcast took. ``interactive``: on the connections kept for answering
        people (button answers, stamps), never shared with the broadcast."""
        request = self.bot.request
        if interactive:
            request = self._interactive
            await request.initialize()  # once: its own session, made on the first answer
        return await request.post(f"{self.bot.base_url}/{method}", JsonCall(params))  # type: ignore[arg-type]

    async def close(self) -> None:
        """Let the presses being handled finish, then close the connections kept for answering
        people. python-telegram-bot's ``post_shutdown`` runs only under its own
        ``run_polling``/``run_webhook``, not under the ``initialize``/``shutdown`` the runtime
        calls, so the runtime closes them itself."""
        if self._presses:
            await asyncio.wait(set(self._presses), timeout=10)
        await self._interactive.shutdown()

    # --- taking updates: the press path, and python-telegram-bot's for the rest -----------------

    def accept(self, data: Any) -> bool:
        """A webhook body: a press is handled on the press path, anything else that is an update
        goes to python-telegram-bot's queue. False when the body is not an update."""
        if self.take_press(data):
            return True
        update = parse_update(data, self.bot)
        if update is None:
            return False
        self.application.update_queue.put_nowait(update)
        return True

    def take_press(self, data: Any) -> bool:
        press = parse_press(data)
        if press is None:
            return False
        task = asyncio.get_running_loop().create_task(self._handle_press(press))
        self._presses.add(task)
        task.add_done_callback(self._presses.discard)
        return True

    async def settled(self) -> None:
        """Every update taken so far has been handled (tests wait on this)."""
        await self.application.update_queue.join()
        while self._presses:
            await asyncio.wait(set(self._presses))

    async def _handle_press(self, press: Press) -> None:
        async with self._pressing:
            try:
                await self._on_press(press)
            except Exception as error:  # noqa: BLE001 - as python-telegram-bot's error handler would
                log.error("update failed: %s: %s", type(error).__name__, error)

    # --- updates -> events; replies -> API calls ---------------------------------------------

    def _register(self) -> None:
        app = self.application
        app.add_handler(CommandHandler(list(COMMANDS), self._on_command))
        app.add_handler(MessageHandler(filters.CONTACT, self._on_contact))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._on_text))
        app.add_handler(ChatMemberHandler(self._on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
        app.add_handler(MessageHandler(filters.ALL, self._on_other))
        app.add_error_handler(self._on_error)

    async def set_commands(self) -> None:
        await self.bot.set_my_commands([BotCommand(c, t(f"commands.{c}")) for c in COMMANDS])

    @staticmethod
    def _who(update: Update) -> Who | None:
        """The account and private chat behind an update; None outside private chats (the bot
        works in private chats only)."""
        user, chat = update.effective_user, update.effective_chat
        if user is None or chat is None or chat.type != "private":
            return None
        return Who(Channel.TELEGRAM, str(user.id), str(chat.id))

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who = self._who(update)
        if who is None or message is None or not message.text:
            return
        name = message.text.split(maxsplit=1)[0][1:].split("@", 1)[0].lower()
        args = " ".join(context.args or [])
        event = events.Command(who, update_key=_key(update), name=name, args=args)
        await self._show(who, await self.ctx.chat.handle(event))

    async def _on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who = self._who(update)
        if who is None or message is None or message.contact is None:
            return
        owner = str(message.contact.user_id) if message.contact.user_id else None
        event = events.Contact(who, update_key=_key(update), phone=message.contact.phone_number, owner=owner)
        await self._show(who, await self.ctx.chat.handle(event))

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        who = self._who(update)
        if who is None or message is None or not message.text:
            return
        # the messenger's bold and italics, for an announcement being composed
        markup = markdown_from_html(message.text_html)
        event = events.Text(who, update_key=_key(update), text=message.text, markup=markup)
        await self._show(who, await self.ctx.chat.handle(event))

    async def _on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        who = self._who(update)
        if who is None or update.effective_message is None:
            return
        await self._show(who, await self.ctx.chat.handle(events.Other(who, update_key=_key(update))))

    async def _on_my_chat_member(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Blocked: unreachable at once; allowed again: reachable, and what is owed goes out."""
        change = update.my_chat_member
        who = self._who(update)
        if change is None or who is None:
            return
        status = change.new_chat_member.status
        key = _key(update)
        event: events.Event = (
            events.Blocked(who, update_key=key) if status in ("kicked", "left") else events.Unblocked(who, update_key=key)
        )
        reply = await self.ctx.chat.handle(event)
        if reply.wake:
            self.ctx.wake()

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press that did not fit the press path (an unusual shape python-telegram-bot still reads)."""
        query = update.callback_query
        if query is None or update.effective_user is None:
            return
        chat = update.effective_chat
        user_id = update.effective_user.id
        message = query.message if isinstance(query.message, TgMessage) else None
        await self._on_press(Press(
            update.update_id, query.id, user_id, chat.id if chat else user_id, query.data,
            message.message_id if message is not None else None, None,
            html=(message.text_html if message.text else "") if message is not None else None,
        ))

    async def _on_press(self, press: Press) -> None:
        who = Who(Channel.TELEGRAM, str(press.user_id), str(press.chat_id))
        reply = await self.ctx.chat.handle(events.Press(who, update_key=str(press.update_id), action=actions.decode(press.data)))
        # Committed: now answer the button, then show the rest.
        try:
            await self._call("answerCallbackQuery", interactive=True, callback_query_id=press.query_id, text=reply.toast)
        except tg_error.BadRequest:
            pass  # too old: the write above already counted
        if reply.edit is not None and press.message_id is not None:
            await self._edit(press, reply.edit)
        await self._show(who, reply)

    async def _edit(self, press: Press, edit: Message) -> None:
        """Stamp the pressed message: its own text plus the new line, new buttons."""
        original = press.html if press.html is not None else pressed_html(press.message or {})
        text = f"{original}\n\n{to_html(edit.text)}" if original else to_html(edit.text)
        try:
            await self._call(
                "editMessageText", interactive=True, chat_id=press.chat_id, message_id=press.message_id, text=text,
                parse_mode=ParseMode.HTML, reply_markup=keyboard(edit) if edit.buttons else None,
                link_preview_options=NO_PREVIEW,
            )
        except tg_error.BadRequest as error:
            if "not modified" not in error.message.lower():
                log.warning("could not edit a confirmed message: %s", error.message)

    async def _show(self, who: Who, reply: Reply) -> None:
        """A reply as messages: a section shown again first, then the texts."""
        messages = section_shown(reply, section_messages)
        messages.extend(piece for message in reply.messages for piece in chat_messages(message))
        await self.ctx.send_reply(Channel.TELEGRAM, who.chat_id, messages)
        if reply.wake:
            self.ctx.wake()
        if reply.later is not None:
            await self._show(who, await reply.later())

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never the token: PTB's errors do not carry URLs, and we log only the type and message.
        error = context.error
        log.error("update failed: %s: %s", type(error).__name__, error)


def _key(update: Update) -> str:
    """The update's own id: a redelivered update (a webhook retried) is handled once."""
    return str(update.update_id)


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)
