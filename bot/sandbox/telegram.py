"""The Telegram Bot API dialect: ``/bot<token>/<method>``, Telegram's checks, errors and JSON.

It answers what api.telegram.org answers for the methods the bot uses, in the same shapes
(``{"ok": false, "error_code": N, "description": "...", "parameters": {...}}``), so that
python-telegram-bot raises the same exceptions here as in production. Virtual users act through
the ``user_*`` methods, which queue updates for getUpdates or POST them to the webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import ClientSession, ClientTimeout, web

from bot.sandbox.markup import (
    EntityParseError,
    FormattedText,
    UnsupportedParseMode,
    command_entities,
    parse_formatted,
)
from bot.sandbox.state import (
    CallbackQueryRecord,
    Chat,
    ChatMessage,
    NotFound,
    SandboxError,
    SandboxState,
    SendRecord,
    StoredFile,
    UpdateQueue,
    VirtualUser,
)

log = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:SANDBOX-sandbox-sandbox-sandbox-00"
MAX_TEXT_LENGTH = 4096  # characters after entity parsing
MAX_CAPTION_LENGTH = 1024
MAX_RAW_TEXT_BYTES = 1 << 15  # rejected before parsing
MAX_CALLBACK_DATA_BYTES = 64
MAX_HOLD_SECONDS = 600.0  # a "timeout" holds the call at most this long
WEBHOOK_LOOKAHEAD = 1_000  # waiting updates looked at for one whose chat is free
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the same "
    "as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
DEFAULT_UPDATE_TYPES = frozenset(
    {"message", "edited_message", "callback_query", "my_chat_member", "channel_post", "inline_query"}
)
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "senddocument"})  # recorded with the knob record_sends
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")


class OwnContact:
    """Marker: the shared contact is the user's own (its ``user_id`` is theirs)."""


OWN = OwnContact()


class ApiError(Exception):
    """A Bot API error answer, exactly as Telegram shapes it."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


def too_many_requests(retry_after: int) -> ApiError:
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})


@dataclass
class Described:
    """A result that Telegram sends with a ``description`` (setWebhook, deleteWebhook)."""

    result: Any
    description: str


@dataclass
class Upload:
    file_name: str | None
    content_type: str | None
    data: bytes


@dataclass
class Webhook:
    url: str
    secret_token: str | None
    max_connections: int
    allowed_updates: list[str] | None
    last_error_date: int | None = None
    last_error_message: str | None = None


# --------------------------------------------------------------------------- parameters


def _loads(body: bytes, charset: str) -> Any:
    """A JSON request body: orjson, and the standard library for what orjson refuses (an integer
    past 64 bits, a lone surrogate, another charset), which then decides as before."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body.decode(charset))


def _dumps(body: Any) -> bytes:
    try:
        return orjson.dumps(body)
    except TypeError:  # an integer past 64 bits, echoed back
        return json.dumps(body, ensure_ascii=False).encode()


class Params:
    """Request parameters from a query string, a JSON body, a form or a multipart body.

    python-telegram-bot sends forms with nested objects as JSON strings; other clients send JSON
    bodies with real objects. The getters accept both.
    """

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.method == "POST" and request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = _loads(await request.read(), request.charset or "utf-8")
                except ValueError as exc:
                    raise bad_request("can't parse JSON encoded request") from exc
                if not isinstance(body, dict):
                    raise bad_request("can't parse JSON encoded request")
                values.update(body)
            elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        uploads[name] = Upload(value.filename, value.content_type, value.file.read())
                    else:
                        values[name] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        return self.values.get(name) not in (None, "")

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def float(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value in (None, ""):
            return default
        try:
            return float(value)
        except (TypeError, ValueError) as exc:
            raise bad_request(f"invalid {name} specified") from exc

    def bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes")
        return bool(value)

    def json(self, name: str, error: str) -> Any:
        value = self.values.get(name)
        if isinstance(value, str):
            if not value:
                return None
            try:
                return json.loads(value)
            except ValueError as exc:
                raise bad_request(error) from exc
        return value

    def chat_id(self) -> int | str:
        value = self.values.get("chat_id")
        if value in (None, ""):
            raise bad_request("chat_id is empty")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        try:
            return int(text)
        except ValueError:
            return text  # "@username": never a private chat


MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # any file a bot uploads
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # a photo
MAX_PHOTO_SIDES = 10_000  # width + height of a photo
MAX_PHOTO_RATIO = 20  # the longer side over the shorter


def _check_upload(kind: str, data: bytes) -> tuple[int, int]:
    """Telegram's limits on an uploaded file (Bot API, sendPhoto and sendDocument): at most 50 MB
    (413 above it), never empty; a photo at most 10 MB, a PNG or JPEG image, with width + height
    at most 10,000 and a side ratio at most 20. Returns a PNG photo's size (0, 0 otherwise)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ApiError(413, "Request Entity Too Large")
    if not data:
        raise bad_request("file must be non-empty")
    if kind != "photo":
        return 0, 0
    if len(data) > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_SAVE_FILE_INVALID")
    if data[:3] == b"\xff\xd8\xff":
        return 0, 0  # a JPEG: accepted, its size is not read
    width, height = _png_size(data)
    if not width or not height:
        raise bad_request("IMAGE_PROCESS_FAILED")
    if width + height > MAX_PHOTO_SIDES or max(width, height) > MAX_PHOTO_RATIO * min(width, height):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    return width, height


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    return 0, 0


# --------------------------------------------------------------------------- the dialect


class TelegramDialect:
    """The Telegram Bot API over the shared :class:`SandboxState`, for one bot token."""

    channel = "telegram"

    def __init__(
        self,
        state: SandboxState,
        token: str = DEFAULT_TOKEN,
        *,
        first_name: str = "Công khai (sandbox)",
        username: str = "congkhai_sandbox_bot",
    ) -> None:
        self.state = state
        self.token = token
        head = token.split(":", 1)[0]
        self.bot_id = int(head) if head.isdigit() else 777_000_001
        self.first_name = first_name
        self.username = username
        self.queue = UpdateQueue()
        self.webhook: Webhook | None = None
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.closing = False
        self._session: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._methods: dict[str, Callable[[Params], Awaitable[Any]]] = {
            name.lower(): getattr(self, f"_m_{name}")
            for name in (
                "getMe",
                "getUpdates",
                "setWebhook",
                "deleteWebhook",
                "getWebhookInfo",
                "sendMessage",
                "editMessageText",
                "editMessageReplyMarkup",
                "answerCallbackQuery",
                "sendPhoto",
                "sendDocument",
                "deleteMessage",
                "sendChatAction",
                "setMyCommands",
                "getMyCommands",
                "deleteMyCommands",
            )
        }

    # -- lifecycle
    def add_routes(self, app: web.Application, prefix: str = "") -> None:
        app.router.add_route("*", prefix + "/bot{token}/{method}", self.handle)

    async def startup(self) -> None:
        self.closing = False
        self._session = ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="sandbox-telegram-webhook")

    async def shutdown(self) -> None:
        self.closing = True
        self.queue.changed.notify()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def reset(self) -> None:
        self.queue.clear()
        self.webhook = None
        self.allowed_updates = DEFAULT_UPDATE_TYPES
        self.commands.clear()

    # -- HTTP entry point
    async def handle(self, request: web.Request) -> web.Response:
        state = self.state
        if request.match_info["token"] != self.token:
            state.note_error(401)
            return self._reply(ApiError(401, "Unauthorized").body(), 401)
        method = request.match_info["method"]
        implementation = self._methods.get(method.lower())
        if implementation is None:
            state.note_error(404)
            return self._reply(ApiError(404, "Not Found").body(), 404)
        state.stats.requests[method] += 1
        try:
            params = await Params.read(request)
        except ApiError as error:
            state.note_error(error.status)
            return self._reply(error.body(), error.status)
        record = None
        if state.knobs.record_sends and method.lower() in SEND_METHODS:
            record = SendRecord(method, params.str("chat_id"), state.clock())
            state.sends.append(record)
        latency = state.latency()
        if latency:
            await asyncio.sleep(latency)
        fault = state.draw_fault(method)
        if fault == "server_error":
            state.note_error(502)
            return self._answered(record, ApiError(502, "Bad Gateway").body(), 502)
        if fault == "too_many":
            error = too_many_requests(state.knobs.too_many_retry_after)
            state.note_error(429)
            return self._answered(record, error.body(), 429)
        if fault == "drop" and not state.knobs.drop_delivers:
            return self._drop(request)
        if fault == "timeout" and not state.knobs.timeout_delivers:
            await self._hold()
        try:
            result = await implementation(params)
        except ApiError as error:
            state.note_error(error.status)
            status, body = error.status, error.body()
        else:
            status = 200
            if isinstance(result, Described):
                body = {"ok": True, "result": result.result, "description": result.description}
            else:
                body = {"ok": True, "result": result}
        if fault == "drop":
            if record is not None and status == 200:
                record.answered, record.status = state.clock(), status  # delivered; the answer is lost
            return self._drop(request)
        if fault == "timeout" and state.knobs.timeout_delivers:
            if record is not None and status == 200:
                record.answered, record.status = state.clock(), status  # delivered; the answer comes late
            await self._hold()
        return self._answered(record, body, status)

    def _answered(self, record: SendRecord | None, body: dict[str, Any], status: int) -> web.Response:
        if record is not None and record.answered is None:
            record.answered, record.status = self.state.clock(), status
        return self._reply(body, status)

    @staticmethod
    def _drop(request: web.Request) -> web.Response:
        """Close the connection without an answer, as a proxy or a network cut does."""
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=204)  # never reaches the client

    @staticmethod
    def _reply(body: dict[str, Any], status: int) -> web.Response:
        return web.Response(body=_dumps(body), status=status, content_type="application/json")

    async def _hold(self) -> None:
        # The server cancels this handler when the client gives up (handler_cancellation).
        seconds = self.state.knobs.timeout_seconds
        await asyncio.sleep(MAX_HOLD_SECONDS if seconds is None else seconds)

    # -- JSON shapes
    def bot_json(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": self.first_name, "username": self.username}

    @staticmethod
    def user_json(user: VirtualUser) -> dict[str, Any]:
        data: dict[str, Any] = {"id": user.id, "is_bot": False, "first_name": user.first_name}
        if user.last_name:
            data["last_name"] = user.last_name
        if user.username:
            data["username"] = user.username
        if user.language_code:
            data["language_code"] = user.language_code
        return data

    def chat_json(self, chat: Chat) -> dict[str, Any]:
        user = self.state.users[chat.user_id]
        data: dict[str, Any] = {"id": chat.id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            data["last_name"] = user.last_name
        if user.username:
            data["username"] = user.username
        return data

    def message_json(self, message: ChatMessage) -> dict[str, Any]:
        chat = self.state.chats[message.chat_id]
        sender = self.bot_json() if message.sender == "bot" else self.user_json(self.state.users[chat.user_id])
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "from": sender,
            "chat": self.chat_json(chat),
            "date": message.date,
        }
        if message.edit_date is not None:
            data["edit_date"] = message.edit_date
        if message.text is not None:
            data["text"] = message.text
            if message.entities:
                data["entities"] = message.entities
        stored = message.file
        if stored is not None:
            if stored.kind == "photo":
                data["photo"] = [
                    {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.file_unique_id,
                        "width": stored.width,
                        "height": stored.height,
                        "file_size": stored.size,
                    }
                ]
            else:
                document: dict[str, Any] = {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.size,
                }
                if stored.file_name:
                    document["file_name"] = stored.file_name
                if stored.mime_type:
                    document["mime_type"] = stored.mime_type
                data["document"] = document
            if message.caption:
                data["caption"] = message.caption
                if message.caption_entities:
                    data["caption_entities"] = message.caption_entities
        if message.contact is not None:
            data["contact"] = message.contact
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            data["reply_markup"] = message.reply_markup  # Telegram echoes only inline keyboards
        return data

    # -- updates
    def enqueue(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        if kind not in self.allowed_updates:
            return None
        self.state.stats.updates_queued += 1
        update = self.queue.put(lambda update_id: {"update_id": update_id, kind: payload})
        if self.state.knobs.redeliver_updates:  # as after a restart before the offset was confirmed,
            self.queue.pending.append((update["update_id"], update))  # or a webhook POST retried
            self.state.stats.updates_queued += 1
        return update

    # -- virtual users
    def _user_chat(self, user: VirtualUser) -> Chat:
        if user.blocked:
            raise SandboxError(f"user {user.id} has blocked the bot; unblock first")
        return self.state.start_chat(user)

    def user_text(self, user: VirtualUser, text: str) -> ChatMessage:
        """The user writes ``text``; a leading ``/command`` gets its bot_command entity."""
        if not text:
            raise SandboxError("text is empty")
        chat = self._user_chat(user)
        message = self.state.add_user_message(chat, text=text, entities=command_entities(text))
        self.enqueue("message", self.message_json(message))
        return message

    def user_contact(
        self,
        user: VirtualUser,
        *,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: int | str | None | OwnContact = OWN,
    ) -> ChatMessage:
        """The user shares a contact: their own (as the request_contact button does) or anyone's."""
        own = isinstance(contact_user_id, OwnContact)
        phone = phone_number or (user.phone_number if own else None)
        if not phone:
            raise SandboxError("the contact has no phone number")
        contact: dict[str, Any] = {"phone_number": phone, "first_name": first_name or user.first_name}
        if last_name or (own and user.last_name):
            contact["last_name"] = last_name or user.last_name
        if own:
            contact["user_id"] = user.id
        elif contact_user_id is not None:
            contact["user_id"] = contact_user_id
        chat = self._user_chat(user)
        if chat.reply_keyboard and chat.reply_keyboard.get("one_time_keyboard"):
            chat.reply_keyboard = None
        message = self.state.add_user_message(chat, contact=contact)
        self.enqueue("message", self.message_json(message))
        return message

    def user_presses(
        self,
        user: VirtualUser,
        message_id: int,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        check: bool = True,
    ) -> CallbackQueryRecord:
        """The user taps an inline button of a bot message, found by its data or its label."""
        chat = self._user_chat(user)
        message = chat.get(message_id)
        if message is None or message.deleted or message.sender != "bot":
            raise NotFound(f"no bot message {message_id} in the chat with {user.id}")
        button = message.find_button(data=callback_data, text=text)
        if button is None and check:
            raise SandboxError(f"message {message_id} has no button {callback_data or text!r}")
        data = callback_data if callback_data is not None else (button or {}).get("callback_data")
        record = self.state.new_callback(user, message, data)
        payload: dict[str, Any] = {
            "id": record.id,
            "from": self.user_json(user),
            "message": self.message_json(message),
            "chat_instance": str((int(chat.id) * 1_000_003 + self.bot_id) % 10**18)
            if str(chat.id).lstrip("-").isdigit()
            else f"ci-{chat.id}",
        }
        if data is not None:
            payload["data"] = data
        self.enqueue("callback_query", payload)
        return record

    def user_blocks(self, user: VirtualUser, blocked: bool) -> None:
        """The user blocks (or unblocks) the bot; the bot hears of it as a my_chat_member update."""
        if user.blocked == blocked:
            return
        user.blocked = blocked
        self.state.changed.notify()
        chat = self.state.chats.get(user.id)
        if chat is None:
            return
        member = {"status": "member", "user": self.bot_json()}
        kicked = {"status": "kicked", "user": self.bot_json(), "until_date": 0}
        self.enqueue(
            "my_chat_member",
            {
                "chat": self.chat_json(chat),
                "from": self.user_json(user),
                "date": self.state.now(),
                "old_chat_member": member if blocked else kicked,
                "new_chat_member": kicked if blocked else member,
            },
        )

    # -- checks shared by the methods
    def _chat(self, params: Params) -> Chat:
        chat_id = params.chat_id()
        user = self.state.users.get(chat_id)
        chat = self.state.chats.get(chat_id)
        if user is None or chat is None or not user.started or user.channel != self.channel:
            raise bad_request("chat not found")
        return chat

    def _reachable(self, chat: Chat) -> None:
        if self.state.users[chat.user_id].blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _rate(self, chat: Chat) -> None:
        retry_after = self.state.acquire_send(chat.id)
        if retry_after is not None:
            raise too_many_requests(retry_after)

    @staticmethod
    def _formatted(text: str, params: Params, mode_field: str, entities_field: str) -> FormattedText:
        if len(text.encode("utf-8")) > MAX_RAW_TEXT_BYTES:
            raise bad_request("text is too long")
        entities = params.json(entities_field, "can't parse entities JSON object") or None
        try:
            return parse_formatted(text, params.str(mode_field), entities)
        except EntityParseError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
        except UnsupportedParseMode as exc:
            raise bad_request("unsupported parse_mode") from exc

    def _message_text(self, params: Params) -> FormattedText:
        text = params.str("text") or ""
        if not text.strip():
            raise bad_request("message text is empty")
        formatted = self._formatted(text, params, "parse_mode", "entities")
        if not formatted.text.strip():
            raise bad_request("message text is empty")
        if len(formatted.text) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
        return formatted

    def _caption(self, params: Params) -> FormattedText | None:
        caption = params.str("caption")
        if not caption:
            return None
        formatted = self._formatted(caption, params, "parse_mode", "caption_entities")
        if len(formatted.text) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
        return formatted

    @staticmethod
    def _reply_markup(params: Params, *, inline_only: bool = False) -> dict[str, Any] | None:
        markup = params.json("reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
            return markup
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            _check_reply_keyboard(markup["keyboard"])
            return markup
        if markup.get("remove_keyboard") or markup.get("force_reply"):
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    def _bot_message(self, chat: Chat, params: Params, *, missing: str) -> ChatMessage:
        message_id = params.int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.get(message_id)
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    def _deliver(self, chat: Chat, markup: dict[str, Any] | None, **fields: Any) -> dict[str, Any]:
        self._reachable(chat)
        self._rate(chat)
        message = self.state.add_bot_message(chat, reply_markup=markup, **fields)
        if markup is not None:
            if "keyboard" in markup:
                chat.reply_keyboard = markup
            elif markup.get("remove_keyboard"):
                chat.reply_keyboard = None
        return self.message_json(message)

    # -- methods
    async def _m_getMe(self, params: Params) -> dict[str, Any]:
        return {
            **self.bot_json(),
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_getUpdates(self, params: Params) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
            )
        offset = params.int("offset", 0) or 0
        limit = min(100, max(1, params.int("limit", 100) or 100))
        timeout = max(0.0, params.float("timeout", 0.0))
        allowed = params.json("allowed_updates", "can't parse allowed updates")
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        queue = self.queue
        queue.confirm(offset)
        queue.poll_generation += 1
        generation = queue.poll_generation
        queue.changed.notify()  # ends an older long poll, as Telegram does
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            batch = queue.peek(limit)
            remaining = deadline - loop.time()
            if batch or remaining <= 0 or self.closing:
                return batch
            await queue.changed.wait(remaining)
            if queue.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                )
            if self.webhook is not None:
                return []

    async def _m_setWebhook(self, params: Params) -> Described:
        url = params.str("url") or ""
        if not url:
            return await self._m_deleteWebhook(params)
        if not re.match(r"^https?://[^/\s]+", url):
            raise bad_request("bad webhook: invalid webhook URL specified")
        secret = params.str("secret_token")
        if secret is not None and secret != "" and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = params.json("allowed_updates", "can't parse allowed updates")
        if allowed is not None:
            self.allowed_updates = frozenset(allowed) if allowed else DEFAULT_UPDATE_TYPES
        if params.bool("drop_pending_updates"):
            self.queue.clear()
        self.webhook = Webhook(
            url=url,
            secret_token=secret or None,
            max_connections=params.int("max_connections", 40) or 40,
            allowed_updates=sorted(self.allowed_updates),
        )
        self.queue.changed.notify()
        return Described(True, "Webhook was set")

    async def _m_deleteWebhook(self, params: Params) -> Described:
        existed = self.webhook is not None
        self.webhook = None
        if params.bool("drop_pending_updates"):
            self.queue.clear()
        self.queue.changed.notify()
        return Described(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    async def _m_getWebhookInfo(self, params: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue.pending),
        }
        if self.webhook is not None:
            info["max_connections"] = self.webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self.webhook.allowed_updates is not None:
                info["allowed_updates"] = self.webhook.allowed_updates
            if self.webhook.last_error_date is not None:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
        return info

    async def _m_sendMessage(self, params: Params) -> dict[str, Any]:
        chat = self._chat(params)
        formatted = self._message_text(params)
        markup = self._reply_markup(params)
        return self._deliver(
            chat,
            markup,
            text=formatted.text,
            source_text=params.str("text"),
            parse_mode=params.str("parse_mode"),
            entities=formatted.entities,
        )

    async def _send_file(self, params: Params, kind: str) -> dict[str, Any]:
        chat = self._chat(params)
        stored = self._file(params, kind)
        caption = self._caption(params)
        markup = self._reply_markup(params)
        return self._deliver(
            chat,
            markup,
            file=stored,
            caption=caption.text if caption else None,
            caption_entities=caption.entities if caption else [],
            parse_mode=params.str("parse_mode"),
            source_text=params.str("caption"),
        )

    def _file(self, params: Params, kind: str) -> StoredFile:
        upload = params.uploads.get(kind)
        reference = params.str(kind) if upload is None else None
        if reference and reference.startswith("attach://"):
            upload = params.uploads.get(reference[len("attach://") :])
            reference = None
        if upload is not None:
            width, height = _check_upload(kind, upload.data)
            return self.state.store_upload(
                kind, upload.data, upload.file_name, upload.content_type, width=width, height=height
            )
        if not reference:
            raise bad_request(f"there is no {kind} in the request")
        known = self.state.files.get(reference)
        if known is not None:
            return known
        if re.match(r"^https?://", reference):
            return self.state.store_url(kind, reference)
        raise bad_request("wrong file identifier/HTTP URL specified")

    async def _m_sendPhoto(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "photo")

    async def _m_sendDocument(self, params: Params) -> dict[str, Any]:
        return await self._send_file(params, "document")

    async def _m_editMessageText(self, params: Params) -> dict[str, Any]:
        if params.has("inline_message_id"):
            raise bad_request("the sandbox has no inline messages")
        chat = self._chat(params)
        message = self._bot_message(chat, params, missing="message to edit not found")
        if message.sender != "bot":
            raise bad_request("message can't be edited")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        formatted = self._message_text(params)
        markup = self._reply_markup(params, inline_only=True)
        if formatted.text == message.text and formatted.entities == message.entities and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._reachable(chat)
        self.state.edit_message(
            message,
            text=formatted.text,
            source_text=params.str("text"),
            parse_mode=params.str("parse_mode"),
            entities=formatted.entities,
            reply_markup=markup,
        )
        return self.message_json(message)

    async def _m_editMessageReplyMarkup(self, params: Params) -> dict[str, Any]:
        if params.has("inline_message_id"):
            raise bad_request("the sandbox has no inline messages")
        chat = self._chat(params)
        message = self._bot_message(chat, params, missing="message to edit not found")
        if message.sender != "bot":
            raise bad_request("message can't be edited")
        markup = self._reply_markup(params, inline_only=True)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        self._reachable(chat)
        self.state.edit_message(message, reply_markup=markup)
        return self.message_json(message)

    async def _m_deleteMessage(self, params: Params) -> bool:
        chat = self._chat(params)
        message = self._bot_message(chat, params, missing="message to delete not found")
        self.state.delete_message(message)
        return True

    async def _m_answerCallbackQuery(self, params: Params) -> bool:
        query_id = params.str("callback_query_id")
        if not query_id:
            raise bad_request("QUERY_ID_INVALID")
        record = self.state.answerable_callback(query_id)
        if record is None:
            raise bad_request(QUERY_TOO_OLD)
        text = params.str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.state.answer_callback(record, text, params.bool("show_alert"), params.str("url"))
        return True

    async def _m_sendChatAction(self, params: Params) -> bool:
        chat = self._chat(params)
        self._reachable(chat)
        return True

    def _commands_key(self, params: Params) -> tuple[str, str]:
        scope = params.json("scope", "can't parse BotCommandScope JSON object") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.str("language_code") or ""

    async def _m_setMyCommands(self, params: Params) -> bool:
        commands = params.json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND_NAME.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("command description must be non-empty")
        self.commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _m_getMyCommands(self, params: Params) -> list[dict[str, str]]:
        return self.commands.get(self._commands_key(params), [])

    async def _m_deleteMyCommands(self, params: Params) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    # -- webhook delivery
    async def _webhook_loop(self) -> None:
        """POST queued updates to the webhook as Telegram does: up to ``max_connections`` at
        once, the updates of one chat one at a time and in order (Telegram keeps a queue per
        chat), each retried a few times when not answered 2xx. An update leaves the queue once
        its POST succeeded or was given up."""
        in_flight: dict[int, asyncio.Task[None]] = {}
        busy: set[Any] = set()  # the chats with an update on its way
        try:
            while not self.closing:
                webhook = self.webhook
                if webhook is not None:
                    self._dispatch(webhook, in_flight, busy)
                await self.queue.changed.wait(None)
        finally:
            for task in in_flight.values():
                task.cancel()
            await asyncio.gather(*in_flight.values(), return_exceptions=True)

    def _dispatch(self, webhook: Webhook, in_flight: dict[int, asyncio.Task[None]], busy: set[Any]) -> None:
        """Start the POSTs of the oldest updates whose chat has none on its way, while
        connections are free (a look at the first ``WEBHOOK_LOOKAHEAD`` waiting updates only)."""
        for update_id, update in self.queue.pending[:WEBHOOK_LOOKAHEAD]:
            if len(in_flight) >= webhook.max_connections:
                return
            if update_id in in_flight:
                continue
            key = _order_key(update)
            if key in busy:
                continue
            busy.add(key)
            task = asyncio.create_task(self._deliver_update(webhook, update_id, update), name="sandbox-webhook-post")
            in_flight[update_id] = task

            def done(_: asyncio.Task[None], update_id: int = update_id, key: Any = key) -> None:
                in_flight.pop(update_id, None)
                busy.discard(key)
                self.queue.changed.notify()  # a connection and a chat are free: look again

            task.add_done_callback(done)

    async def _deliver_update(self, webhook: Webhook, update_id: int, update: dict[str, Any]) -> None:
        delivered = await self._post_with_retries(webhook, update)
        if self.webhook is webhook and self.queue.remove(update_id):
            if not delivered:
                self.state.stats.webhook_dropped += 1
            self.state.changed.notify()

    async def _post_with_retries(self, webhook: Webhook, update: dict[str, Any]) -> bool:
        knobs = self.state.knobs
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        body = json.dumps(update, ensure_ascii=False).encode()
        delay = knobs.webhook_retry_delay
        for attempt in range(knobs.webhook_max_attempts):
            if self.webhook is not webhook:
                return False
            error = await self._post(webhook.url, body, headers, knobs.webhook_timeout)
            if error is None:
                return True
            self.state.stats.webhook_failures += 1
            webhook.last_error_date = self.state.now()
            webhook.last_error_message = error
            if attempt + 1 < knobs.webhook_max_attempts:
                await asyncio.sleep(delay)
                delay *= 2
        return False

    async def _post(self, url: str, body: bytes, headers: dict[str, str], timeout: float) -> str | None:
        """None on a 2xx answer, else Telegram's wording of what went wrong."""
        assert self._session is not None
        self.state.stats.webhook_posts += 1
        try:
            async with self._session.post(url, data=body, headers=headers, timeout=ClientTimeout(total=timeout)) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except asyncio.TimeoutError:
            return "Connection timed out"
        except Exception as exc:  # any transport failure counts as a failed delivery
            log.debug("webhook POST failed: %r", exc)
            return "Connection refused"


def _order_key(update: dict[str, Any]) -> Any:
    """The chat an update belongs to: Telegram delivers one chat's updates in order."""
    for kind in ("message", "edited_message", "channel_post", "my_chat_member"):
        part = update.get(kind)
        if isinstance(part, dict) and isinstance(part.get("chat"), dict):
            return part["chat"].get("id")
    query = update.get("callback_query") or update.get("inline_query")
    if isinstance(query, dict):
        message = query.get("message")
        if isinstance(message, dict) and isinstance(message.get("chat"), dict):
            return message["chat"].get("id")
        return (query.get("from") or {}).get("id")
    return ("update", update.get("update_id"))


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            actions = [name for name in _INLINE_ACTIONS if name in button]
            if not actions:
                raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")


def _check_reply_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    for row in rows:
        for button in row:
            if not isinstance(button, (str, dict)) or (isinstance(button, dict) and not button.get("text")):
                raise bad_request("can't parse keyboard button: Text must be non-empty")
