"""Telegram: python-telegram-bot's Application on our aiohttp transport.

Handlers stay thin: parse the update, run one flow in one transaction, show the
reply. The flow's buttons become inline keyboards (their actions are the
``callback_data``); acknowledgments are committed before the button is answered.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import BotCommand, InputFile, Update
from telegram import error as tg_error
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.channels.aiohttp_request import AiohttpRequest, JsonCall
from bot.channels.base import BotContext, Rejected, RetryAfter, Sent, Transient, Unreachable
from bot.channels.dashboard_command import dashboard_reply
from bot.db.models import Staff
from bot.domain import chunking
from bot.domain.enums import Channel, DeliveryKind
from bot.domain.limits import TELEGRAM_LAST_RESERVE, TELEGRAM_TEXT_LIMIT
from bot.domain.render import to_html
from bot.domain.texts import t
from bot.services import access, feedback_flows, flows, registration
from bot.services import announcing
from bot.services.deliveries import Job
from bot.services.flows import Reply, Who
from bot.services.messages import Keyboard, Message, section_buttons

log = logging.getLogger(__name__)

NO_PREVIEW = {"is_disabled": True}
COMMANDS = ("start", "mucluc", "tiendo", "gopy", "yeucau", "baocao", "thongbao", "thongbao_ketqua", "dashboard", "huongdan")


@lru_cache(maxsize=2048)
def _chunks(path: str, heading: str, body: str) -> tuple[str, ...]:
    """Sections never change once imported: split each once, not once per person."""
    return tuple(chunking.telegram_chunks(path, heading, body, limit=TELEGRAM_TEXT_LIMIT, last_reserve=TELEGRAM_LAST_RESERVE))


def section_messages(campaign_id: int, path: str, heading: str, body: str, ordinal: int, *, confirmed: bool = False) -> list[Message]:
    """A section as Telegram messages: HTML chunks, the buttons on the last one."""
    chunks = _chunks(path, heading, body)
    last = len(chunks) - 1
    return [
        Message(chunk, section_buttons(campaign_id, ordinal, confirmed=confirmed) if i == last else (), rendered=True)
        for i, chunk in enumerate(chunks)
    ]


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
    return {"inline_keyboard": [[{"text": b.label, "callback_data": b.action} for b in row] for row in buttons]}


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
            .get_updates_request(AiohttpRequest(session, read_timeout=40))
            .concurrent_updates(True)
            .build()
        )
        self._register()

    @property
    def bot(self) -> Any:
        return self.application.bot

    # --- the delivery worker's side -------------------------------------------------

    def render(self, job: Job) -> list[Message]:
        if job.kind is DeliveryKind.SECTION and job.section is not None:
            s = job.section
            return section_messages(job.campaign_id or 0, s.path, s.heading, s.body, s.ordinal)
        return [job.message] if job.message is not None else []

    async def send(self, chat_id: str, message: Message) -> Sent:
        text = message.text if message.rendered else to_html(message.text)
        try:
            sent = await self._call(
                "sendMessage", chat_id=int(chat_id), text=text, parse_mode=ParseMode.HTML,
                reply_markup=keyboard(message), link_preview_options=NO_PREVIEW,
            )
        except tg_error.Forbidden as error:
            raise Unreachable(error.message) from None
        except tg_error.RetryAfter as error:
            raise RetryAfter(_seconds(error.retry_after)) from None
        except tg_error.BadRequest as error:
            if "chat not found" in error.message.lower():
                raise Unreachable(error.message) from None
            raise Rejected(error.message) from None
        except (tg_error.TimedOut, tg_error.NetworkError) as error:
            raise Transient(type(error).__name__) from None
        self.sent_messages += 1
        return Sent(str(sent["message_id"]))

    async def _call(self, method: str, **params: Any) -> Any:
        """One Bot API call through python-telegram-bot's request layer (its transport, its
        errors: Forbidden, RetryAfter, BadRequest…), the answer left as JSON. Sends and edits
        need only the message id back, and building PTB's Message for each was a large share
        of the CPU a broadcast took."""
        return await self.bot.request.post(f"{self.bot.base_url}/{method}", JsonCall(params))  # type: ignore[arg-type]

    # --- handlers ------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.application
        app.add_handler(CommandHandler("start", self._on_start))
        app.add_handler(CommandHandler("mucluc", self._registered(self._on_toc)))
        app.add_handler(CommandHandler("tiendo", self._registered(self._on_progress)))
        app.add_handler(CommandHandler("gopy", self._registered(self._on_feedback_command)))
        app.add_handler(CommandHandler("yeucau", self._registered(lambda session, staff, who, update, context: feedback_flows.request_command(session, staff, who, " ".join(context.args or []), self.ctx.clock.now(), self.ctx.tz))))
        app.add_handler(CommandHandler("baocao", self._on_report_command))
        app.add_handler(CommandHandler("thongbao", self._registered(self._on_announce)))
        app.add_handler(CommandHandler("thongbao_ketqua", self._registered(self._on_announce_results)))
        app.add_handler(CommandHandler("huongdan", self._registered(self._on_help)))
        app.add_handler(CommandHandler("dashboard", self._registered(
            lambda session, staff, who, update, context: dashboard_reply(session, staff, self.ctx.clock.now(), self.ctx.dashboard_url))))
        app.add_handler(MessageHandler(filters.CONTACT, self._on_contact))
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, self._registered(self._on_text)))
        app.add_handler(MessageHandler(filters.ALL, self._registered(self._on_help)))
        app.add_error_handler(self._on_error)

    async def set_commands(self) -> None:
        await self.bot.set_my_commands([BotCommand(c, t(f"commands.{c}")) for c in COMMANDS])

    @staticmethod
    def _who(update: Update) -> Who:
        user = update.effective_user
        chat = update.effective_chat
        assert user is not None and chat is not None
        return Who(Channel.TELEGRAM, str(user.id), str(chat.id))

    Handler = Callable[[AsyncSession, Staff, Who, Update, ContextTypes.DEFAULT_TYPE], Awaitable[Reply]]

    def _registered(self, handler: Handler) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]:
        """Run ``handler`` for a linked member; a stranger hears only how to link."""

        async def run(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            if update.effective_user is None or update.effective_chat is None:
                return
            if update.effective_chat.type != "private":
                return  # the bot works in private chats only
            who = self._who(update)
            async with self.ctx.sessions() as session, session.begin():
                staff = await registration.identify_and_touch(session, who.channel, who.user_id, self.ctx.clock.now())
                if staff is None:
                    reply = flows.stranger()
                else:
                    reply = await handler(session, staff, who, update, context)
            await self._show(update, reply)

        return run

    async def _on_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.effective_chat is None or update.effective_chat.type != "private":
            return
        who = self._who(update)
        payload = context.args[0] if context.args else ""
        async with self.ctx.sessions() as session, session.begin():
            reply = await flows.start(session, who, payload, self.ctx.clock.now(), self.ctx.tz)
        await self._show(update, reply)

    async def _on_contact(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.contact is None or update.effective_chat is None:
            return
        if update.effective_chat.type != "private":
            return
        who = self._who(update)
        contact_user = str(message.contact.user_id) if message.contact.user_id else None
        async with self.ctx.sessions() as session, session.begin():
            reply = await flows.contact(
                session, who, message.contact.phone_number, contact_user, self.ctx.clock.now(), self.ctx.tz
            )
        await self._show(update, reply)

    async def _on_toc(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        return await flows.toc(session, staff, None, 0)

    async def _on_progress(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        return await flows.my_progress(session, staff, self.ctx.clock.now(), self.ctx.tz)

    async def _on_report(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        return await flows.report(session, staff, self.ctx.clock.now())

    async def _on_report_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/baocao: the counts at once; then, for those allowed, the chart as a photo and the XLSX
        and the DOCX, which take a moment to make for a large agency."""
        await self._registered(self._on_report)(update, context)
        if update.effective_user is None or update.effective_chat is None or update.effective_chat.type != "private":
            return
        from bot.reports.export import chat_files

        who, now = self._who(update), self.ctx.clock.now()
        async with self.ctx.sessions() as session, session.begin():
            staff = await registration.identify(session, who.channel, who.user_id)
            if staff is None or not access.allowed(staff, access.Action.REPORT):
                return
            reply = Reply(files=await chat_files(session, now, self.ctx.org_name, self.ctx.tz))
        await self._show(update, reply)

    async def _on_help(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        return Reply().say(t("help.commands"))

    async def _on_feedback_command(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        from bot.services.reading import member_campaigns

        listing = await feedback_flows.gopy(session, staff, who, " ".join(context.args or []), self.ctx.clock.now(), self.ctx.tz)
        if listing is not None:  # leaders, the union, inspectors: the comments, and a button to write their own
            return listing
        campaigns = await member_campaigns(session, staff.id)
        if not campaigns:
            return Reply().say(t("read.no_campaign"))
        return await flows.feedback_begin(session, staff, who, campaigns[0].id, None, False, self.ctx.clock.now())

    async def _on_announce(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        return await announcing.begin(session, staff, who, self.ctx.clock.now())

    async def _on_announce_results(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        return await announcing.results(session, staff, self.ctx.clock.now(), self.ctx.tz)

    async def _on_text(self, session: AsyncSession, staff: Staff, who: Who, update: Update, context: Any) -> Reply:
        message = update.effective_message
        if message is not None and message.text:  # an announcement being composed keeps its bold and italics
            composed = await announcing.text(session, staff, who, announcing.markdown_from_html(message.text_html),
                                             self.ctx.clock.now(), self.ctx.tz)
            if composed is not None:
                return composed
        return await flows.text(session, staff, who, message.text if message and message.text else "", self.ctx.clock.now())

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None or update.effective_user is None:
            return
        who = Who(Channel.TELEGRAM, str(update.effective_user.id),
                  str(update.effective_chat.id) if update.effective_chat else str(update.effective_user.id))
        action, *args = (query.data or "").split(":")
        now = self.ctx.clock.now()
        again: Any = None
        press = _press(who, action, args)
        if press is not None:  # the commonest button: shares a transaction with the presses arriving with it
            reply = await self.ctx.confirmations.submit(press)
        else:
            async with self.ctx.sessions() as session, session.begin():
                staff = await registration.identify_and_touch(session, who.channel, who.user_id, now)
                if staff is None:
                    reply = flows.stranger()
                else:
                    reply, again = await self._button_flow(session, staff, who, action, args)
        # Committed: now answer the button, then show the rest.
        try:
            await self._call("answerCallbackQuery", callback_query_id=query.id, text=reply.toast)
        except tg_error.BadRequest:
            pass  # too old: the write above already counted
        if reply.edit is not None and query.message is not None:
            await self._edit(query, reply.edit)
        if again is not None:
            section, campaign_id = again
            for message in section_messages(campaign_id, section.path, section.heading, section.body, section.ordinal):
                await self.send(who.chat_id, message)
        await self._show(update, Reply(messages=reply.messages))
        if reply.wake:
            self.ctx.wake()

    async def _button_flow(self, session: AsyncSession, staff: Staff, who: Who, action: str, args: list[str]) -> tuple[Reply, Any]:
        now, tz = self.ctx.clock.now(), self.ctx.tz
        if action.startswith("ann"):
            return await announcing.button(session, staff, who, action, args, now, tz), None
        try:
            numbers = [int(a) for a in args]
        except ValueError:
            return Reply(), None
        if action == "next" and len(numbers) == 1:
            return await flows.read_next(session, staff, numbers[0], now), None
        if action == "attest" and len(numbers) == 1:
            return await flows.attest(session, staff, who, numbers[0], now, tz), None
        if action in ("fb", "fbanon") and len(numbers) == 2:
            return await flows.feedback_begin(session, staff, who, numbers[0], numbers[1] or None, action == "fbanon", now), None
        if action == "toc" and len(numbers) == 2:
            return await flows.toc(session, staff, numbers[0], numbers[1]), None
        if action == "read" and len(numbers) == 2:
            reply, section = await flows.read(session, staff, numbers[0], numbers[1], now)
            return reply, (section, numbers[0]) if section is not None else None
        if action == "cancel":
            return await flows.cancel(session, who), None
        if action in ("fbl", "fbv", "fbt", "fbg", "rq"):
            return await feedback_flows.button(session, staff, who, action, numbers, now, tz), None
        return Reply(), None

    async def _edit(self, query: Any, edit: Message) -> None:
        """Stamp the pressed message: its own text plus the new line, new buttons."""
        original = query.message.text_html if query.message.text else ""
        text = f"{original}\n\n{to_html(edit.text)}" if original else to_html(edit.text)
        try:
            await self._call(
                "editMessageText", chat_id=query.message.chat_id, message_id=query.message.message_id, text=text,
                parse_mode=ParseMode.HTML, reply_markup=keyboard(edit) if edit.buttons else None,
                link_preview_options=NO_PREVIEW,
            )
        except tg_error.BadRequest as error:
            if "not modified" not in error.message.lower():
                log.warning("could not edit a confirmed message: %s", error.message)

    async def _show(self, update: Update, reply: Reply) -> None:
        chat = update.effective_chat
        if chat is None:
            return
        for message in reply.messages:
            await self._call("sendMessage", chat_id=chat.id, text=to_html(message.text), parse_mode=ParseMode.HTML,
                             reply_markup=keyboard(message))
            self.sent_messages += 1
        for file in reply.files:
            upload = InputFile(file.data, filename=file.name)
            if file.photo:
                await self.bot.send_photo(chat.id, upload, caption=file.caption)
            else:
                await self.bot.send_document(chat.id, upload, caption=file.caption)
        if reply.wake:
            self.ctx.wake()

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # Never the token: PTB's errors do not carry URLs, and we log only the type and message.
        error = context.error
        log.error("update failed: %s: %s", type(error).__name__, error)


def _seconds(value: Any) -> float:
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


def _press(who: Who, action: str, args: list[str]) -> flows.Press | None:
    """The "Đã đọc" of ``ack:<campaign>:<section>``, or None for any other button."""
    if action != "ack" or len(args) != 2 or not all(a.isascii() and a.isdigit() for a in args):
        return None
    return flows.Press(who, int(args[0]), int(args[1]))
