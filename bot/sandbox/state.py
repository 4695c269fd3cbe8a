"""What the sandbox knows: virtual users, their chats, the messages in them, files, stats, knobs.

Nothing here speaks HTTP or any messenger's dialect. A dialect (Telegram now, Zalo later) turns
requests into calls on :class:`SandboxState` and renders its records in its own JSON, so every
dialect shares the same users, chats and stats.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.limits import RateLimiter

UserId = int | str


class SandboxError(Exception):
    """A control operation that cannot be done (unknown user, no such button, ...)."""

    status = 400


class NotFound(SandboxError):
    status = 404


# --------------------------------------------------------------------------- knobs


@dataclass(frozen=True)
class Knobs:
    """How the sandbox misbehaves. Fractions are 0..1 and drawn from an RNG seeded with ``seed``."""

    latency_ms: float = 0.0  # added to every Bot API call
    latency_jitter_ms: float = 0.0  # plus a uniform 0..jitter
    rate_limits: bool = True  # False: no 429 at all (simulation)
    overall_rate: float = 30.0  # messages per second across all chats
    overall_burst: float = 30.0
    per_chat_rate: float = 1.0  # messages per second in one chat
    per_chat_burst: float = 3.0  # Telegram allows short bursts
    server_error_rate: float = 0.0  # fraction of calls answered 502 Bad Gateway
    timeout_rate: float = 0.0  # fraction of calls held until the client gives up
    timeout_seconds: float | None = None  # hold that long instead (then answer)
    timeout_delivers: bool = True  # a held send is still delivered, as can happen on Telegram
    fault_methods: frozenset[str] | None = None  # methods faults apply to (lower case); None = all
    seed: int = 0
    webhook_max_attempts: int = 3  # POSTs per update before it is given up
    webhook_retry_delay: float = 0.05  # seconds, doubled after each failure
    webhook_timeout: float = 10.0
    callback_query_ttl: float | None = None  # seconds a callback query can be answered; None = forever
    too_many_rate: float = 0.0  # fraction of calls answered 429 whatever the limits (1.0: a 429 storm)
    too_many_retry_after: int = 1  # the retry_after those 429s carry
    drop_rate: float = 0.0  # fraction of calls whose connection is closed without an answer
    drop_delivers: bool = False  # a dropped send was still delivered (the answer was lost on the way)
    record_sends: bool = False  # keep the time of every send request and of its answer (chaos runs)
    redeliver_updates: bool = False  # every update reaches the bot twice (by polling or webhook), same id

    def updated(self, **changes: Any) -> Knobs:
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise SandboxError(f"unknown knob(s): {', '.join(sorted(unknown))}")
        if "fault_methods" in changes and changes["fault_methods"] is not None:
            changes["fault_methods"] = frozenset(m.lower() for m in changes["fault_methods"])
        knobs = dataclasses.replace(self, **changes)
        for name in ("server_error_rate", "timeout_rate", "too_many_rate", "drop_rate"):
            if not 0.0 <= getattr(knobs, name) <= 1.0:
                raise SandboxError(f"{name} must be between 0 and 1")
        if knobs.latency_ms < 0 or knobs.latency_jitter_ms < 0:
            raise SandboxError("latency must not be negative")
        if knobs.too_many_retry_after < 1:
            raise SandboxError("too_many_retry_after must be at least 1")
        if knobs.webhook_max_attempts < 1:
            raise SandboxError("webhook_max_attempts must be at least 1")
        return knobs

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["fault_methods"] = sorted(self.fault_methods) if self.fault_methods is not None else None
        return data


# --------------------------------------------------------------------------- records


@dataclass
class VirtualUser:
    id: UserId
    first_name: str
    last_name: str | None = None
    username: str | None = None
    phone_number: str | None = None
    language_code: str | None = "vi"
    channel: str = "telegram"
    started: bool = False  # pressed Start: the bot may write to them
    blocked: bool = False  # blocked the bot

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class StoredFile:
    kind: str  # "photo" | "document"
    file_id: str
    file_unique_id: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int = 0
    data: bytes | None = field(default=None, repr=False)  # None when sent by URL
    url: str | None = None
    width: int = 0
    height: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        del data["data"]
        return data


@dataclass
class Edit:
    """A version of a message that a later edit replaced."""

    date: int
    text: str | None
    entities: list[dict[str, Any]]
    caption: str | None
    reply_markup: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class ChatMessage:
    message_id: int
    chat_id: UserId
    sender: str  # "bot" | "user"
    date: int
    text: str | None = None  # visible text, after the markup was parsed
    source_text: str | None = None  # as sent, with markup
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    file: StoredFile | None = None
    contact: dict[str, Any] | None = None
    edits: list[Edit] = field(default_factory=list)  # earlier versions, oldest first
    edit_date: int | None = None
    deleted: bool = False
    at: float | None = None  # when the sandbox took it (seconds since the epoch, with fractions)

    @property
    def kind(self) -> str:
        if self.file is not None:
            return self.file.kind
        if self.contact is not None:
            return "contact"
        return "text"

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The inline buttons, row after row."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def find_button(self, *, data: str | None = None, text: str | None = None) -> dict[str, Any] | None:
        for button in self.buttons:
            if (data is not None and button.get("callback_data") == data) or (
                text is not None and button.get("text") == text
            ):
                return button
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "sender": self.sender,
            "kind": self.kind,
            "date": self.date,
            "text": self.text,
            "source_text": self.source_text,
            "parse_mode": self.parse_mode,
            "entities": self.entities,
            "caption": self.caption,
            "caption_entities": self.caption_entities,
            "reply_markup": self.reply_markup,
            "file": self.file.to_dict() if self.file else None,
            "contact": self.contact,
            "edits": [e.to_dict() for e in self.edits],
            "edit_date": self.edit_date,
            "deleted": self.deleted,
            "at": self.at,
        }


@dataclass
class Chat:
    """A private chat between the bot and one user; message ids count up per chat."""

    id: UserId
    user_id: UserId
    channel: str
    messages: list[ChatMessage] = field(default_factory=list)
    reply_keyboard: dict[str, Any] | None = None  # the reply keyboard the user sees now
    delivered: Counter[tuple[Any, ...]] = field(default_factory=Counter)  # content key -> deliveries
    next_message_id: int = 1
    _by_id: dict[int, ChatMessage] = field(default_factory=dict, repr=False)

    def add(self, message: ChatMessage) -> ChatMessage:
        self.messages.append(message)
        self._by_id[message.message_id] = message
        return message

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def get(self, message_id: int) -> ChatMessage | None:
        return self._by_id.get(message_id)

    def bot_messages(self) -> list[ChatMessage]:
        return [m for m in self.messages if m.sender == "bot"]


@dataclass
class CallbackQueryRecord:
    id: str
    user_id: UserId
    chat_id: UserId
    message_id: int
    data: str | None
    pressed_at: float
    answered: bool = False
    answer_text: str | None = None
    show_alert: bool = False
    url: str | None = None
    answered_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class SendRecord:
    """One send request (knob ``record_sends``): when it arrived and when it was answered
    (None: never, e.g. the client went away first); seconds since the epoch."""

    method: str
    chat_id: str | None
    received: float
    answered: float | None = None
    status: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass
class Stats:
    messages_sent: int = 0  # successful sends (text, photo, document)
    per_chat: Counter[UserId] = field(default_factory=Counter)
    duplicates: int = 0  # deliveries of content the chat had already received
    duplicates_per_chat: Counter[UserId] = field(default_factory=Counter)
    edits: int = 0
    deletes: int = 0
    callback_answers: int = 0
    updates_queued: int = 0
    webhook_posts: int = 0
    webhook_failures: int = 0  # POSTs answered non-2xx or not at all
    webhook_dropped: int = 0  # updates given up after webhook_max_attempts
    timeouts: int = 0  # calls held by the timeout knob
    dropped_connections: int = 0  # calls closed without an answer by the drop knob
    errors: Counter[int] = field(default_factory=Counter)  # by HTTP status
    requests: Counter[str] = field(default_factory=Counter)  # by method

    @property
    def too_many_requests(self) -> int:
        return self.errors[429]

    @property
    def forbidden(self) -> int:
        return self.errors[403]

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.errors.items() if status >= 500)

    def to_dict(self) -> dict[str, Any]:
        return {
            "messages_sent": self.messages_sent,
            "per_chat": {str(k): v for k, v in self.per_chat.items()},
            "duplicates": self.duplicates,
            "duplicates_per_chat": {str(k): v for k, v in self.duplicates_per_chat.items()},
            "edits": self.edits,
            "deletes": self.deletes,
            "callback_answers": self.callback_answers,
            "updates_queued": self.updates_queued,
            "webhook_posts": self.webhook_posts,
            "webhook_failures": self.webhook_failures,
            "webhook_dropped": self.webhook_dropped,
            "timeouts": self.timeouts,
            "dropped_connections": self.dropped_connections,
            "too_many_requests": self.too_many_requests,
            "forbidden": self.forbidden,
            "server_errors": self.server_errors,
            "errors": {str(k): v for k, v in self.errors.items()},
            "requests": dict(self.requests),
        }


# --------------------------------------------------------------------------- waiting


class Signal:
    """Wakes everyone waiting when something changed. Waiters re-check their own condition."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next notify; False when ``timeout`` passed first."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)


async def wait_until(signal: Signal, predicate: Callable[[], Any], timeout: float) -> Any:
    """Return ``predicate()`` once it is truthy; TimeoutError after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if result:
            return result
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"condition not met within {timeout} s")
        await signal.wait(remaining)


class UpdateQueue:
    """Updates waiting for the bot, in a dialect's own JSON, with global increasing ids."""

    def __init__(self, first_id: int = 1) -> None:
        self.next_id = first_id
        self.pending: list[tuple[int, dict[str, Any]]] = []
        self.changed = Signal()
        self.poll_generation = 0  # bumped by each getUpdates; a newer poll ends older ones

    def put(self, build: Callable[[int], dict[str, Any]]) -> dict[str, Any]:
        update_id = self.next_id
        self.next_id += 1
        update = build(update_id)
        self.pending.append((update_id, update))
        self.changed.notify()
        return update

    def confirm(self, offset: int) -> None:
        """Forget what the bot confirmed: ids below ``offset``, or all but the last ``-offset``."""
        if offset > 0:
            confirmed = 0
            while confirmed < len(self.pending) and self.pending[confirmed][0] < offset:
                confirmed += 1
            del self.pending[:confirmed]
        elif offset < 0:
            del self.pending[: max(0, len(self.pending) + offset)]

    def peek(self, limit: int) -> list[dict[str, Any]]:
        return [u for _, u in self.pending[:limit]]

    def remove(self, update_id: int) -> bool:
        """Forget one update (delivered or given up); False when it was no longer waiting."""
        for place, (pending_id, _) in enumerate(self.pending):
            if pending_id == update_id:
                del self.pending[place]
                return True
            if pending_id > update_id:
                break
        return False

    def clear(self) -> None:
        self.pending.clear()
        self.changed.notify()


# --------------------------------------------------------------------------- the state


class SandboxState:
    """Users, chats, messages, files, callback queries and stats, shared by every dialect."""

    def __init__(
        self,
        knobs: Knobs | None = None,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.knobs = knobs or Knobs()
        self.rng = random.Random(self.knobs.seed)
        self.limiter = RateLimiter(monotonic)
        self.changed = Signal()
        self.users: dict[UserId, VirtualUser] = {}
        self.chats: dict[UserId, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.callbacks: dict[str, CallbackQueryRecord] = {}
        # One future per awaited answer: waiting for one press must not wake on every change.
        self.answer_waiters: dict[str, list[asyncio.Future[None]]] = {}
        self.stats = Stats()
        self.sends: list[SendRecord] = []  # with the knob record_sends
        self._next_user_id = 100_000_001
        self._next_file = 1
        self._next_callback = 1

    def now(self) -> int:
        return int(self.clock())

    def reset(self) -> None:
        """Forget users, chats, files and stats; keep the knobs (and reseed the RNG)."""
        self.users.clear()
        self.chats.clear()
        self.files.clear()
        self.callbacks.clear()
        self.stats = Stats()
        self.sends.clear()
        self.limiter.reset()
        self.rng = random.Random(self.knobs.seed)
        self.changed.notify()

    # -- knobs
    def configure(self, **changes: Any) -> Knobs:
        self.knobs = self.knobs.updated(**changes)
        if "seed" in changes:
            self.rng = random.Random(self.knobs.seed)
        if "rate_limits" in changes or any(k.endswith(("_rate", "_burst")) for k in changes):
            self.limiter.reset()
        return self.knobs

    def draw_fault(self, method: str) -> str | None:
        """``"too_many"``, ``"drop"``, ``"timeout"``, ``"server_error"`` or None for one call,
        from the seeded RNG."""
        knobs = self.knobs
        if knobs.fault_methods is not None and method.lower() not in knobs.fault_methods:
            return None
        if knobs.too_many_rate and self.rng.random() < knobs.too_many_rate:
            return "too_many"
        if knobs.drop_rate and self.rng.random() < knobs.drop_rate:
            self.stats.dropped_connections += 1
            return "drop"
        if knobs.timeout_rate and self.rng.random() < knobs.timeout_rate:
            self.stats.timeouts += 1
            return "timeout"
        if knobs.server_error_rate and self.rng.random() < knobs.server_error_rate:
            return "server_error"
        return None

    def latency(self) -> float:
        knobs = self.knobs
        jitter = self.rng.uniform(0, knobs.latency_jitter_ms) if knobs.latency_jitter_ms else 0.0
        return (knobs.latency_ms + jitter) / 1000.0

    def acquire_send(self, chat_id: UserId) -> int | None:
        """None when a message may go to ``chat_id`` now, else Telegram's ``retry_after``."""
        knobs = self.knobs
        if not knobs.rate_limits:
            return None
        return self.limiter.acquire(
            chat_id,
            overall_rate=knobs.overall_rate,
            overall_burst=knobs.overall_burst,
            per_chat_rate=knobs.per_chat_rate,
            per_chat_burst=knobs.per_chat_burst,
        )

    # -- users and chats
    def add_user(
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
        if user_id is None:
            while self._next_user_id in self.users:
                self._next_user_id += 1
            user_id = self._next_user_id
            self._next_user_id += 1
        if user_id in self.users:
            raise SandboxError(f"user {user_id} already exists")
        user = VirtualUser(
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            phone_number=phone_number,
            language_code=language_code,
            channel=channel,
        )
        self.users[user_id] = user
        if started:
            self.start_chat(user)
        self.changed.notify()
        return user

    def user(self, user_id: UserId) -> VirtualUser:
        user = self.users.get(user_id)
        if user is None:
            raise NotFound(f"no user {user_id}")
        return user

    def start_chat(self, user: VirtualUser) -> Chat:
        """The user pressed Start (or wrote): from now on the bot can reach them."""
        user.started = True
        chat = self.chats.get(user.id)
        if chat is None:
            chat = self.chats[user.id] = Chat(id=user.id, user_id=user.id, channel=user.channel)
        return chat

    def chat(self, chat_id: UserId) -> Chat:
        chat = self.chats.get(chat_id)
        if chat is None:
            raise NotFound(f"no chat with {chat_id}: the user never started the bot")
        return chat

    # -- messages
    def add_user_message(self, chat: Chat, **fields: Any) -> ChatMessage:
        message = chat.add(
            ChatMessage(message_id=chat.take_message_id(), chat_id=chat.id, sender="user", date=self.now(), **fields)
        )
        self.changed.notify()
        return message

    def add_bot_message(self, chat: Chat, **fields: Any) -> ChatMessage:
        """Record a successful send, counting it and noticing duplicates."""
        message = chat.add(
            ChatMessage(message_id=chat.take_message_id(), chat_id=chat.id, sender="bot", date=self.now(),
                        at=self.clock(), **fields)
        )
        self.stats.messages_sent += 1
        self.stats.per_chat[chat.id] += 1
        key = _content_key(message)
        if chat.delivered[key]:
            self.stats.duplicates += 1
            self.stats.duplicates_per_chat[chat.id] += 1
        chat.delivered[key] += 1
        self.changed.notify()
        return message

    def edit_message(self, message: ChatMessage, **changes: Any) -> ChatMessage:
        message.edits.append(
            Edit(
                date=message.edit_date or message.date,
                text=message.text,
                entities=message.entities,
                caption=message.caption,
                reply_markup=message.reply_markup,
            )
        )
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = self.now()
        self.stats.edits += 1
        self.changed.notify()
        return message

    def delete_message(self, message: ChatMessage) -> None:
        message.deleted = True
        self.stats.deletes += 1
        self.changed.notify()

    # -- files
    def store_upload(
        self, kind: str, data: bytes, file_name: str | None, mime_type: str | None, *, width: int = 0, height: int = 0
    ) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        stored = StoredFile(
            kind=kind,
            file_id=f"sbx-{kind}-{self._next_file}-{digest[:12]}",
            file_unique_id=digest[:16],
            file_name=file_name,
            mime_type=mime_type,
            size=len(data),
            data=data,
            width=width,
            height=height,
        )
        self._next_file += 1
        self.files[stored.file_id] = stored
        return stored

    def store_url(self, kind: str, url: str) -> StoredFile:
        digest = hashlib.sha256(url.encode()).hexdigest()
        stored = StoredFile(
            kind=kind, file_id=f"sbx-{kind}-{self._next_file}-{digest[:12]}", file_unique_id=digest[:16], url=url
        )
        self._next_file += 1
        self.files[stored.file_id] = stored
        return stored

    # -- callback queries
    def new_callback(self, user: VirtualUser, message: ChatMessage, data: str | None) -> CallbackQueryRecord:
        record = CallbackQueryRecord(
            id=f"{self._next_callback}{self.rng.randrange(10**11, 10**12)}",
            user_id=user.id,
            chat_id=message.chat_id,
            message_id=message.message_id,
            data=data,
            pressed_at=self.clock(),
        )
        self._next_callback += 1
        self.callbacks[record.id] = record
        self.changed.notify()
        return record

    def answerable_callback(self, query_id: str) -> CallbackQueryRecord | None:
        record = self.callbacks.get(query_id)
        if record is None or record.answered:
            return None
        ttl = self.knobs.callback_query_ttl
        if ttl is not None and self.clock() - record.pressed_at > ttl:
            return None
        return record

    def answer_callback(
        self, record: CallbackQueryRecord, text: str | None, show_alert: bool, url: str | None
    ) -> None:
        record.answered = True
        record.answer_text = text
        record.show_alert = show_alert
        record.url = url
        record.answered_at = self.clock()
        self.stats.callback_answers += 1
        for waiter in self.answer_waiters.pop(record.id, []):
            if not waiter.done():
                waiter.set_result(None)
        self.changed.notify()

    def note_error(self, status: int) -> None:
        self.stats.errors[status] += 1


def _content_key(message: ChatMessage) -> tuple[Any, ...]:
    if message.file is not None:
        stored = message.file
        return (stored.kind, stored.file_unique_id, message.caption)
    return ("text", message.text)
