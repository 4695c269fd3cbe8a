"""A thin client of the Zalo Bot API (``<base>bot<token>/<method>``), on our own aiohttp session.

No SDK: the published ones hard-code an old host and hide the errors we need (DESIGN.md §6).
The token is part of every URL, so no URL is ever logged or put in an exception: transport
errors are reported by their type only, and exceptions are raised ``from None``.
Every answer's ``ok`` is checked; HTTP 200 alone does not mean success.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from bot.outbox.protocol import (
    Rejected,
    RetryAfter,
    SendError,
    Transient,
    Unauthorized,
    Unreachable,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com/bot"
DEFAULT_RETRY_AFTER = 1.0  # Zalo publishes no quota and sends no retry_after
NO_UPDATE = 408


class ZaloClient:
    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        session: aiohttp.ClientSession | None = None,
        *,
        timeout: float = 15.0,
    ) -> None:
        self._token = token
        self._base_url = base_url
        self._session = session
        self._own_session = session is None
        self.timeout = timeout

    def __repr__(self) -> str:  # never the token
        return "ZaloClient()"

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    # --- methods ------------------------------------------------------------------------

    async def get_me(self) -> dict[str, Any]:
        return dict(await self.call("getMe"))

    async def get_updates(self, timeout: float = 30) -> dict[str, Any] | None:
        """One update, or None when nothing came within ``timeout`` seconds (HTTP 408)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(int(timeout))}, timeout=timeout + 10)
        except _NoUpdate:
            return None
        return result if isinstance(result, dict) else None

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        return dict(await self.call("setWebhook", {"url": url, "secret_token": secret_token}))

    async def delete_webhook(self) -> dict[str, Any]:
        return dict(await self.call("deleteWebhook"))

    async def get_webhook_info(self) -> dict[str, Any]:
        return dict(await self.call("getWebhookInfo"))

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        return dict(await self.call("sendMessage", {"chat_id": chat_id, "text": text}))

    async def send_photo(self, chat_id: str, photo_url: str, caption: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        return dict(await self.call("sendPhoto", params))

    # --- transport ----------------------------------------------------------------------

    async def call(self, method: str, params: dict[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """POST ``params`` as JSON; the ``result`` of an ``ok`` answer, else a ``SendError``."""
        url = f"{self._base_url}{self._token}/{method}"
        try:
            async with self._http().post(
                url, json=params or {}, timeout=aiohttp.ClientTimeout(total=timeout or self.timeout)
            ) as response:
                status = response.status
                retry_header = response.headers.get("Retry-After")
                raw = await response.read()
        except TimeoutError:
            raise Transient(f"{method}: timed out") from None
        except aiohttp.ClientError as error:
            raise Transient(f"{method}: {type(error).__name__}") from None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        if status == 200 and body.get("ok") is True:
            return body.get("result")
        code = int(body.get("error_code") or (status if status != 200 else 400))
        description = str(body.get("description") or "")[:200]
        raise _error(method, code, description, retry_header)


class _NoUpdate(SendError):
    """getUpdates: nothing new within the timeout (408). Never leaves this module."""


def _error(method: str, code: int, description: str, retry_header: str | None) -> SendError:
    what = f"{method}: {code} {description}".strip()
    if code == NO_UPDATE and method == "getUpdates":
        return _NoUpdate(what)
    if code == 429:
        return RetryAfter(_seconds(retry_header))
    if code == 401:
        return Unauthorized(what)
    if code in (403, 404):
        return Unreachable(what)
    if code == NO_UPDATE or code >= 500:
        return Transient(what)
    return Rejected(what)


def _seconds(header: str | None) -> float:
    try:
        return max(float(header), 0.0) if header else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
