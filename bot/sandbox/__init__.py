"""A local Bot API server with virtual users, for tests, simulation and the embedded default.

python-telegram-bot reaches it through ``base_url`` exactly as it reaches Telegram; the control
API (``/_sandbox/...``, or the methods of :class:`Sandbox`) plays the users and reads their chats.
"""

from bot.sandbox.client import SandboxClient, SandboxClientError
from bot.sandbox.server import Sandbox
from bot.sandbox.state import (
    CallbackQueryRecord,
    ChatMessage,
    Knobs,
    NotFound,
    SandboxError,
    Stats,
    StoredFile,
    VirtualUser,
)
from bot.sandbox.telegram import DEFAULT_TOKEN, OWN

__all__ = [
    "DEFAULT_TOKEN",
    "OWN",
    "CallbackQueryRecord",
    "ChatMessage",
    "Knobs",
    "NotFound",
    "Sandbox",
    "SandboxClient",
    "SandboxClientError",
    "SandboxError",
    "Stats",
    "StoredFile",
    "VirtualUser",
]
