"""The sandbox server: one aiohttp app serving the messenger dialects and the control API.

``Sandbox`` is what tests and ``congkhai run`` use in-process; :mod:`bot.sandbox.client` drives
the same operations over HTTP from another process. Dialects share one :class:`SandboxState`, so
the Zalo dialect, mounted at ``/zalo/bot<token>/<method>`` beside Telegram's
``/bot<token>/<method>``, sees the same users, chats and stats.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from aiohttp import web

from bot.sandbox.control import add_control_routes
from bot.sandbox.state import (
    CallbackQueryRecord,
    ChatMessage,
    Knobs,
    NotFound,
    SandboxError,
    SandboxState,
    Stats,
    UserId,
    VirtualUser,
    wait_until,
)
from bot.sandbox.telegram import DEFAULT_TOKEN, OWN, OwnContact, TelegramDialect
from bot.sandbox.zalo import DEFAULT_ZALO_TOKEN, ZaloDialect, add_zalo_control_routes

SHUTDOWN_GRACE_SECONDS = 0.5


class Dialect(Protocol):
    """What the sandbox needs of a messenger dialect (Telegram today, Zalo later)."""

    channel: str

    def add_routes(self, app: web.Application, prefix: str = "") -> None: ...
    async def startup(self) -> None: ...
    async def shutdown(self) -> None: ...
    def reset(self) -> None: ...
    def user_text(self, user: VirtualUser, text: str) -> ChatMessage: ...
    def user_blocks(self, user: VirtualUser, blocked: bool) -> None: ...


class Sandbox:
    """A local Bot API server with virtual users, fault knobs and a record of every chat.

    >>> async with Sandbox() as sandbox:                          # doctest: +SKIP
    ...     bot = telegram.Bot(TOKEN, base_url=sandbox.telegram_base_url(TOKEN))
    ...     user = await sandbox.create_user(first_name="Lan")
    ...     await sandbox.send_text(user.id, "/start ABC123")
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        zalo_token: str = DEFAULT_ZALO_TOKEN,
        bot_first_name: str = "Công khai (sandbox)",
        bot_username: str = "congkhai_sandbox_bot",
        knobs: Knobs | None = None,
        **knob_values: Any,
    ) -> None:
        self.state = SandboxState((knobs or Knobs()).updated(**knob_values))
        self.telegram = TelegramDialect(self.state, token, first_name=bot_first_name, username=bot_username)
        self.zalo = ZaloDialect(self.state, zalo_token)
        self._dialects: dict[str, Dialect] = {"telegram": self.telegram, "zalo": self.zalo}
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port: int | None = None

    # -- lifecycle
    @property
    def token(self) -> str:
        return self.telegram.token

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)  # Bot API uploads go up to 50 MB
        self.telegram.add_routes(app)
        self.zalo.add_routes(app)
        add_control_routes(app, self)
        add_zalo_control_routes(app, self)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        runner = web.AppRunner(
            self.build_app(),
            access_log=None,  # the token is in every URL
            handler_cancellation=True,  # a client that gives up ends its long poll or held call
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.host = host
        server = site._server  # aiohttp offers no public accessor for the bound port
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        for dialect in self._dialects.values():
            await dialect.startup()

    async def stop(self) -> None:
        if self._runner is None:
            return
        for dialect in self._dialects.values():
            await dialect.shutdown()
        await self._runner.cleanup()
        self._runner = None

    async def restart(self, down_seconds: float = 0.0) -> None:
        """Go away and come back on the same port, keeping users, chats and queued updates (a
        Bot API server restarting): calls in progress are cut, new ones are refused meanwhile."""
        host, port = self.host, self.port
        await self.stop()
        await asyncio.sleep(down_seconds)
        for attempt in range(50):
            try:
                await self.start(host, port or 0)
                return
            except OSError:  # the port is not free again yet
                self._runner = None
                await asyncio.sleep(0.1 * (attempt + 1))
        await self.start(host, port or 0)

    async def __aenter__(self) -> Sandbox:
        if self._runner is None:
            await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        if self.port is None:
            raise RuntimeError("the sandbox is not running")
        return f"http://{self.host}:{self.port}"

    def telegram_base_url(self, token: str | None = None) -> str:
        """The ``base_url`` for python-telegram-bot, which appends the token itself."""
        if token is not None and token != self.token:
            raise ValueError("this sandbox serves another bot token")
        return f"{self.url}/bot"

    def zalo_base_url(self, token: str | None = None) -> str:
        """The Zalo client's base URL, to which it appends ``<token>/<method>``."""
        if token is not None and token != self.zalo.token:
            raise ValueError("this sandbox serves another Zalo bot token")
        return f"{self.url}/zalo/bot"

    # -- knobs and stats
    @property
    def knobs(self) -> Knobs:
        return self.state.knobs

    @property
    def stats(self) -> Stats:
        return self.state.stats

    async def configure(self, **changes: Any) -> Knobs:
        """Change knobs while running, e.g. ``configure(per_chat_rate=0, server_error_rate=0.1)``."""
        return self.state.configure(**changes)

    async def get_stats(self) -> Stats:
        return self.state.stats

    async def reset(self) -> None:
        """Forget users, chats, updates, webhook and stats; keep the knobs."""
        self.state.reset()
        for dialect in self._dialects.values():
            dialect.reset()

    # -- virtual users
    def _dialect(self, user: VirtualUser) -> Dialect:
        dialect = self._dialects.get(user.channel)
        if dialect is None:
            raise SandboxError(f"no {user.channel} dialect in this sandbox")
        return dialect

    async def create_user(
        self,
        user_id: UserId | None = None,
        first_name: str = "Người dùng",
        last_name: str | None = None,
        username: str | None = None,
        phone_number: str | None = None,
        *,
        language_code: str | None = "vi",
        channel: str = "telegram",
        started: bool = False,
    ) -> VirtualUser:
        """A new user; ``started=True`` means they already pressed Start (no /start update)."""
        if channel not in self._dialects:
            raise SandboxError(f"no {channel} dialect in this sandbox")
        if channel == "zalo":
            user_id = str(user_id) if user_id is not None else self.zalo.new_user_id()
        return self.state.add_user(
            user_id,
            first_name,
            last_name,
            username,
            phone_number,
            language_code=language_code,
            channel=channel,
            started=started,
        )

    async def get_user(self, user_id: UserId) -> VirtualUser:
        return self.state.user(user_id)

    async def list_users(self) -> list[VirtualUser]:
        return list(self.state.users.values())

    async def send_text(self, user_id: UserId, text: str) -> ChatMessage:
        """The user writes to the bot; ``"/start ABC123"`` arrives as a command with its payload."""
        user = self.state.user(user_id)
        return self._dialect(user).user_text(user, text)

    async def send_image(self, user_id: UserId, url: str, caption: str | None = None) -> ChatMessage:
        """A Zalo user sends a picture (``message.image.received``)."""
        return self.zalo.user_image(self._zalo_user(user_id), url, caption)

    async def send_sticker(self, user_id: UserId, sticker: str = "sticker-1") -> ChatMessage:
        """A Zalo user sends a sticker (``message.sticker.received``)."""
        return self.zalo.user_sticker(self._zalo_user(user_id), sticker)

    async def send_unsupported(self, user_id: UserId) -> ChatMessage:
        """Zalo withholds what a protected user sent (``message.unsupported.received``)."""
        return self.zalo.user_unsupported(self._zalo_user(user_id))

    async def redeliver(self, user_id: UserId) -> dict[str, Any]:
        """Zalo delivers the user's last update a second time."""
        return self.zalo.redeliver(self._zalo_user(user_id))

    def _zalo_user(self, user_id: UserId) -> VirtualUser:
        user = self.state.user(user_id)
        if user.channel != "zalo":
            raise SandboxError(f"user {user_id} is not a Zalo user")
        return user

    async def press_button(
        self,
        user_id: UserId,
        message_id: int,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        check: bool = True,
    ) -> CallbackQueryRecord:
        """The user taps an inline button (by its callback data or its label).

        ``check=False`` sends the callback data even if no such button is shown, as a
        tampered client could.
        """
        user = self.state.user(user_id)
        self._require_telegram(user, "inline buttons")
        return self.telegram.user_presses(user, message_id, callback_data, text=text, check=check)

    async def share_contact(
        self,
        user_id: UserId,
        *,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: UserId | None | OwnContact = OWN,
    ) -> ChatMessage:
        """The user shares their own contact, or (``contact_user_id=...``) someone else's."""
        user = self.state.user(user_id)
        self._require_telegram(user, "contact sharing")
        return self.telegram.user_contact(
            user,
            phone_number=phone_number,
            first_name=first_name,
            last_name=last_name,
            contact_user_id=contact_user_id,
        )

    async def block(self, user_id: UserId) -> VirtualUser:
        user = self.state.user(user_id)
        self._dialect(user).user_blocks(user, True)
        return user

    async def unblock(self, user_id: UserId) -> VirtualUser:
        user = self.state.user(user_id)
        self._dialect(user).user_blocks(user, False)
        return user

    def _require_telegram(self, user: VirtualUser, what: str) -> None:
        if user.channel != "telegram":
            raise SandboxError(f"{what} exist only on Telegram")

    # -- what reached the users
    async def read_chat(self, user_id: UserId, *, include_user_messages: bool = False) -> list[ChatMessage]:
        """The messages the bot sent the user (edits applied, deleted ones flagged), oldest first."""
        self.state.user(user_id)
        chat = self.state.chats.get(user_id)
        if chat is None:
            return []
        return list(chat.messages) if include_user_messages else chat.bot_messages()

    async def wait_for_messages(self, user_id: UserId, count: int = 1, *, timeout: float = 5.0) -> list[ChatMessage]:
        """Wait until the bot has sent the user at least ``count`` messages; return them all."""
        self.state.user(user_id)

        def enough() -> list[ChatMessage] | None:
            chat = self.state.chats.get(user_id)
            messages = chat.bot_messages() if chat else []
            return messages if len(messages) >= count else None

        return await self.wait_until(enough, timeout=timeout)

    async def wait_for_answer(self, query_id: str, *, timeout: float = 5.0) -> CallbackQueryRecord:
        """Wait until the bot answered the callback query ``query_id``."""
        record = self.state.callbacks.get(query_id)
        if record is None:
            raise NotFound(f"no callback query {query_id}")
        if not record.answered:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self.state.answer_waiters.setdefault(query_id, []).append(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                raise TimeoutError(f"callback query {query_id} not answered within {timeout} s") from None
        return record

    async def wait_until(self, predicate: Callable[[], Any], *, timeout: float = 5.0) -> Any:
        """Wait until ``predicate()`` is truthy (checked on every change) and return its value."""
        return await wait_until(self.state.changed, predicate, timeout)

    async def callback_query(self, query_id: str) -> CallbackQueryRecord:
        record = self.state.callbacks.get(query_id)
        if record is None:
            raise NotFound(f"no callback query {query_id}")
        return record

    def file_bytes(self, file_id: str) -> bytes:
        stored = self.state.files.get(file_id)
        if stored is None or stored.data is None:
            raise NotFound(f"no uploaded file {file_id}")
        return stored.data
