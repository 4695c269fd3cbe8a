"""The Zalo Bot API dialect: ``/zalo/bot<token>/<method>``, Zalo's shapes and errors.

What differs from Telegram (research/zalo-facts.md §1): ``getUpdates`` returns *one* update
and answers 408 when none came in time; ids are hex strings and dates milliseconds; there are no
buttons and no edits; text is at most 2000 characters; a webhook gets each update with the
``X-Bot-Api-Secret-Token`` header, sometimes wrapped in ``{ok, result}`` and sometimes bare
(both happen in the field, so the sandbox alternates). Users send text, images, stickers, and
``message.unsupported.received`` (what Zalo sends instead of the content for protected users).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientTimeout, web

from bot.sandbox.state import (
    Chat,
    ChatMessage,
    SandboxError,
    SandboxState,
    Signal,
    VirtualUser,
)

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

log = logging.getLogger(__name__)

DEFAULT_ZALO_TOKEN = "1459232241454765289:zalo-sandbox-secret"
MAX_TEXT_LENGTH = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
MAX_POLL_SECONDS = 60.0
MAX_HOLD_SECONDS = 600.0


class ZaloApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error_code": self.status, "description": self.description}


@dataclass
class ZaloWebhook:
    url: str
    secret_token: str
    updated_at: int


class ZaloDialect:
    """The Zalo Bot API over the shared :class:`SandboxState`, for one bot token."""

    channel = "zalo"

    def __init__(self, state: SandboxState, token: str = DEFAULT_ZALO_TOKEN, *, account_name: str = "bot.CongKhai") -> None:
        self.state = state
        self.token = token
        self.bot_id = token.split(":", 1)[0]
        self.account_name = account_name
        self.pending: deque[dict[str, Any]] = deque()
        self.changed = Signal()
        self.webhook: ZaloWebhook | None = None
        self.webhook_posts = 0  # alternates the envelope
        self.last_update: dict[str, dict[str, Any]] = {}  # user id -> their last update (to redeliver)
        self.closing = False
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            "getMe": self._m_getMe,
            "getUpdates": self._m_getUpdates,
            "setWebhook": self._m_setWebhook,
            "deleteWebhook": self._m_deleteWebhook,
            "getWebhookInfo": self._m_getWebhookInfo,
            "sendMessage": self._m_sendMessage,
            "sendPhoto": self._m_sendPhoto,
        }

    # -- lifecycle
    def add_routes(self, app: web.Application, prefix: str = "") -> None:
        app.router.add_route("*", prefix + "/zalo/bot{token}/{method}", self.handle)

    async def startup(self) -> None:
        self.closing = False
        self._session = ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="sandbox-zalo-webhook")

    async def shutdown(self) -> None:
        self.closing = True
        self.changed.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        self.pending.clear()
        self.webhook = None
        self.webhook_posts = 0
        self.last_update.clear()
        self.changed.notify()

    def new_user_id(self) -> str:
        """Zalo ids are 20 hex digits, per bot."""
        while True:
            candidate = f"{self.state.rng.getrandbits(80):020x}"
            # never all digits: the control API reads a numeric id as a Telegram one
            if candidate not in self.state.users and not candidate.isdigit():
                return candidate

    # -- HTTP entry point
    async def handle(self, request: web.Request) -> web.Response:
        state = self.state
        if request.match_info["token"] != self.token:
            state.note_error(401)
            return self._reply(ZaloApiError(401, "Unauthorized").body(), 401)
        method = request.match_info["method"]  # method names are case-sensitive on Zalo
        implementation = self._methods.get(method)
        if implementation is None:
            state.note_error(400)
            return self._reply(ZaloApiError(400, "Bad request: invalid API name").body(), 400)
        state.stats.requests[f"zalo.{method}"] += 1
        try:
            params = await self._params(request)
        except ZaloApiError as error:
            state.note_error(error.status)
            return self._reply(error.body(), error.status)
        latency = state.latency()
        if latency:
            await asyncio.sleep(latency)
        fault = state.draw_fault(method)
        if fault == "server_error":
            state.note_error(502)
            return self._reply(ZaloApiError(502, "Bad Gateway").body(), 502)
        if fault == "timeout" and not state.knobs.timeout_delivers:
            await self._hold()
        headers: dict[str, str] = {}
        try:
            result = await implementation(params)
        except ZaloApiError as error:
            if error.status != 408:
                state.note_error(error.status)
            status, body = error.status, error.body()
            if error.status == 429:
                headers["Retry-After"] = "1"
        else:
            status, body = 200, {"ok": True, "result": result}
        if fault == "timeout" and state.knobs.timeout_delivers:
            await self._hold()
        return self._reply(body, status, headers)

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        values: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise ZaloApiError(400, "Bad request: invalid JSON") from None
                if not isinstance(body, dict):
                    raise ZaloApiError(400, "Bad request: invalid JSON")
                values.update(body)
            else:
                values.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        return values

    @staticmethod
    def _reply(body: dict[str, Any], status: int, headers: dict[str, str] | None = None) -> web.Response:
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(), status=status, content_type="application/json",
            headers=headers,
        )

    async def _hold(self) -> None:
        seconds = self.state.knobs.timeout_seconds
        await asyncio.sleep(MAX_HOLD_SECONDS if seconds is None else seconds)

    # -- JSON shapes
    def now_ms(self) -> int:
        return int(self.state.clock() * 1000)

    def zalo_message_id(self, message: ChatMessage) -> str:
        return hashlib.sha1(f"{self.bot_id}:{message.chat_id}:{message.message_id}".encode()).hexdigest()[:20]

    def _update(self, event: str, user: VirtualUser, message: ChatMessage, **fields: Any) -> dict[str, Any]:
        sender = {"id": str(user.id), "display_name": user.first_name, "is_bot": False}
        body: dict[str, Any] = {
            "from": sender,
            "chat": {"id": str(message.chat_id), "chat_type": "PRIVATE"},
            "message_id": self.zalo_message_id(message),
            "date": self.now_ms(),
            **fields,
        }
        return {"event_name": event, "message": body}

    # -- updates
    def enqueue(self, user: VirtualUser, update: dict[str, Any]) -> dict[str, Any]:
        self.state.stats.updates_queued += 1
        self.pending.append(update)
        if self.state.knobs.redeliver_updates:  # Zalo sends it again, unsure it arrived
            self.state.stats.updates_queued += 1
            self.pending.append(update)
        self.last_update[str(user.id)] = update
        self.changed.notify()
        return update

    def redeliver(self, user: VirtualUser) -> dict[str, Any]:
        """Send the user's last update again, as Zalo does when it is unsure it arrived."""
        update = self.last_update.get(str(user.id))
        if update is None:
            raise SandboxError(f"user {user.id} has sent nothing yet")
        self.state.stats.updates_queued += 1
        self.pending.append(update)
        self.changed.notify()
        return update

    # -- virtual users
    def _user_chat(self, user: VirtualUser) -> Chat:
        if user.channel != self.channel:
            raise SandboxError(f"user {user.id} is not a Zalo user")
        if user.blocked:
            raise SandboxError(f"user {user.id} has blocked the bot; unblock first")
        return self.state.start_chat(user)

    def user_text(self, user: VirtualUser, text: str) -> ChatMessage:
        if not text:
            raise SandboxError("text is empty")
        chat = self._user_chat(user)
        message = self.state.add_user_message(chat, text=text, source_text=text)
        self.enqueue(user, self._update("message.text.received", user, message, text=text))
        return message

    def user_image(self, user: VirtualUser, url: str, caption: str | None = None) -> ChatMessage:
        chat = self._user_chat(user)
        stored = self.state.store_url("photo", url)
        message = self.state.add_user_message(chat, file=stored, caption=caption)
        fields: dict[str, Any] = {"photo": url, "photo_url": url}
        if caption:
            fields["caption"] = caption
        self.enqueue(user, self._update("message.image.received", user, message, **fields))
        return message

    def user_sticker(self, user: VirtualUser, sticker: str) -> ChatMessage:
        chat = self._user_chat(user)
        stored = self.state.store_url("sticker", f"https://stickers.zaloapp.com/{sticker}")
        message = self.state.add_user_message(chat, file=stored)
        self.enqueue(user, self._update("message.sticker.received", user, message, sticker=sticker,
                                        url=stored.url))
        return message

    def user_unsupported(self, user: VirtualUser) -> ChatMessage:
        """What Zalo sends instead of the content for protected users (legal compliance)."""
        chat = self._user_chat(user)
        message = self.state.add_user_message(chat)
        self.enqueue(user, self._update("message.unsupported.received", user, message))
        return message

    def user_blocks(self, user: VirtualUser, blocked: bool) -> None:
        """Zalo tells the bot nothing; sends to the user fail with 403 from now on."""
        if user.blocked != blocked:
            user.blocked = blocked
            self.state.changed.notify()

    # -- methods
    async def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"id": self.bot_id, "account_name": self.account_name, "account_type": "BASIC", "can_join_groups": False}

    async def _m_getUpdates(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.webhook is not None:
            raise ZaloApiError(400, "Bad request: webhook is set, use deleteWebhook first")
        try:
            timeout = min(max(float(params.get("timeout", 30)), 0.0), MAX_POLL_SECONDS)
        except (TypeError, ValueError):
            raise ZaloApiError(400, "Bad request: invalid timeout") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if self.pending:
                return self.pending.popleft()
            remaining = deadline - loop.time()
            if remaining <= 0 or self.closing or self.webhook is not None:
                raise ZaloApiError(408, "Request timeout")
            await self.changed.wait(remaining)

    async def _m_setWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if not url.startswith(("https://", "http://")):
            raise ZaloApiError(400, "Bad request: url is invalid")
        if not 8 <= len(secret) <= 256:
            raise ZaloApiError(400, "Bad request: secret_token must be 8-256 characters")
        self.webhook = ZaloWebhook(url, secret, self.now_ms())
        self.changed.notify()
        return {"url": url, "updated_at": self.webhook.updated_at}

    async def _m_deleteWebhook(self, params: dict[str, Any]) -> dict[str, Any]:
        self.webhook = None
        self.changed.notify()
        return {"url": "", "updated_at": self.now_ms()}

    async def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.webhook is None:
            return {"url": "", "updated_at": self.now_ms()}
        return {"url": self.webhook.url, "updated_at": self.webhook.updated_at}

    def _chat(self, params: dict[str, Any]) -> Chat:
        chat_id = str(params.get("chat_id") or "")
        if not chat_id:
            raise ZaloApiError(400, "Bad request: chat_id is required")
        user = self.state.users.get(chat_id)
        chat = self.state.chats.get(chat_id)
        if user is None or chat is None or user.channel != self.channel:
            raise ZaloApiError(404, "Not found")
        if user.blocked:
            raise ZaloApiError(403, "Forbidden: the user blocked the bot")
        return chat

    def _rate(self, chat: Chat) -> None:
        if self.state.acquire_send(chat.id) is not None:
            raise ZaloApiError(429, "Quota exceeded")

    def _sent(self, message: ChatMessage) -> dict[str, Any]:
        return {"message_id": self.zalo_message_id(message), "date": self.now_ms()}

    async def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ZaloApiError(400, "Bad request: text is required")
        if len(text) > MAX_TEXT_LENGTH:
            raise ZaloApiError(400, f"Bad request: text must be 1-{MAX_TEXT_LENGTH} characters")
        self._rate(chat)
        return self._sent(self.state.add_bot_message(chat, text=text, source_text=text))

    async def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        url = str(params.get("photo") or "")
        if not url.startswith(("https://", "http://")):
            raise ZaloApiError(400, "Bad request: photo must be a URL")
        caption = params.get("caption")
        if caption is not None and (not isinstance(caption, str) or len(caption) > MAX_TEXT_LENGTH):
            raise ZaloApiError(400, f"Bad request: caption must be 1-{MAX_TEXT_LENGTH} characters")
        self._rate(chat)
        stored = self.state.store_url("photo", url)
        return self._sent(self.state.add_bot_message(chat, file=stored, caption=caption or None))

    # -- webhook delivery
    async def _webhook_loop(self) -> None:
        while not self.closing:
            webhook = self.webhook
            if webhook is None or not self.pending:
                await self.changed.wait(None)
                continue
            update = self.pending[0]
            delivered = await self._post_with_retries(webhook, update)
            if self.webhook is webhook and self.pending and self.pending[0] is update:
                self.pending.popleft()
                if not delivered:
                    self.state.stats.webhook_dropped += 1
                self.state.changed.notify()

    async def _post_with_retries(self, webhook: ZaloWebhook, update: dict[str, Any]) -> bool:
        knobs = self.state.knobs
        # Both shapes are seen in the field: the documented envelope and the bare update.
        self.webhook_posts += 1
        payload = {"ok": True, "result": update} if self.webhook_posts % 2 else update
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", SECRET_HEADER: webhook.secret_token}
        delay = knobs.webhook_retry_delay
        for attempt in range(knobs.webhook_max_attempts):
            if self.webhook is not webhook:
                return False
            if await self._post(webhook.url, body, headers, knobs.webhook_timeout):
                return True
            self.state.stats.webhook_failures += 1
            if attempt + 1 < knobs.webhook_max_attempts:
                await asyncio.sleep(delay)
                delay *= 2
        return False

    async def _post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> bool:
        assert self._session is not None
        self.state.stats.webhook_posts += 1
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=ClientTimeout(total=timeout)) as response:
                await response.read()
                return 200 <= response.status < 300
        except Exception as exc:  # noqa: BLE001 - any transport failure counts as a failed delivery
            log.debug("zalo webhook POST failed: %r", exc)
            return False


def add_zalo_control_routes(app: web.Application, sandbox: Sandbox) -> None:
    """Control routes only Zalo users have (text goes through ``/users/{id}/messages``)::

        POST /_sandbox/users/{id}/image        {"url": "https://...", "caption": "..."}
        POST /_sandbox/users/{id}/sticker      {"sticker": "abc123"}
        POST /_sandbox/users/{id}/unsupported
        POST /_sandbox/users/{id}/redeliver    the user's last update again
    """
    from bot.sandbox.control import PREFIX, _body, _endpoint, parse_user_id

    def uid(request: web.Request) -> Any:
        return parse_user_id(request.match_info["user_id"])

    async def image(request: web.Request) -> Any:
        body = await _body(request)
        return (await sandbox.send_image(uid(request), str(body["url"]), body.get("caption"))).to_dict()

    async def sticker(request: web.Request) -> Any:
        body = await _body(request)
        return (await sandbox.send_sticker(uid(request), str(body.get("sticker", "sticker-1")))).to_dict()

    async def unsupported(request: web.Request) -> Any:
        return (await sandbox.send_unsupported(uid(request))).to_dict()

    async def redeliver(request: web.Request) -> Any:
        return await sandbox.redeliver(uid(request))

    for path, handler in (("image", image), ("sticker", sticker), ("unsupported", unsupported), ("redeliver", redeliver)):
        app.router.add_route("POST", f"{PREFIX}/users/{{user_id}}/{path}", _endpoint(handler))

