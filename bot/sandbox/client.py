"""Drive a sandbox in another process through its control API.

The methods mirror :class:`bot.sandbox.server.Sandbox` but return the JSON records
(``dict``/``list``) rather than the dataclasses.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.sandbox.control import PREFIX
from bot.sandbox.state import UserId

_OWN = object()


class SandboxClientError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


class SandboxClient:
    """``async with SandboxClient("http://127.0.0.1:8081") as sandbox: ...``"""

    def __init__(self, url: str, *, session: aiohttp.ClientSession | None = None) -> None:
        self.url = url.rstrip("/")
        self._session = session
        self._own_session = session is None

    async def __aenter__(self) -> SandboxClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
        self._session = None

    def telegram_base_url(self, token: str | None = None) -> str:
        return f"{self.url}/bot"

    async def _call(self, method: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        params = {k: str(v) for k, v in query.items() if v is not None}
        async with self._session.request(method, self.url + PREFIX + path, json=body, params=params) as response:
            payload = await response.json()
        if not payload.get("ok"):
            raise SandboxClientError(response.status, payload.get("error", "unknown error"))
        return payload["result"]

    # -- knobs and stats
    async def configure(self, **changes: Any) -> dict[str, Any]:
        return await self._call("POST", "/knobs", changes)

    async def knobs(self) -> dict[str, Any]:
        return await self._call("GET", "/knobs")

    async def get_stats(self) -> dict[str, Any]:
        return await self._call("GET", "/stats")

    async def reset(self) -> None:
        await self._call("POST", "/reset")

    async def sends(self, since: float = 0.0) -> list[dict[str, Any]]:
        """Every send request since ``since`` and when it was answered (knob ``record_sends``)."""
        return await self._call("GET", "/sends", since=since)

    async def restart(self, down_seconds: float = 0.0) -> None:
        """The server goes away for ``down_seconds`` and comes back on the same port."""
        await self._call("POST", "/restart", {"down_seconds": down_seconds})

    async def callbacks(self) -> list[dict[str, Any]]:
        """Every callback query (button press) and its answer."""
        return await self._call("GET", "/callbacks")

    async def chats(self) -> dict[str, list[dict[str, Any]]]:
        """Every chat's messages, by chat id."""
        return await self._call("GET", "/chats")

    # -- virtual users
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
    ) -> dict[str, Any]:
        body = {
            "user_id": user_id,
            "first_name": first_name,
            "last_name": last_name,
            "username": username,
            "phone_number": phone_number,
            "language_code": language_code,
            "channel": channel,
            "started": started,
        }
        return await self._call("POST", "/users", body)

    async def get_user(self, user_id: UserId) -> dict[str, Any]:
        return await self._call("GET", f"/users/{user_id}")

    async def list_users(self) -> list[dict[str, Any]]:
        return await self._call("GET", "/users")

    async def send_text(self, user_id: UserId, text: str) -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/messages", {"text": text})

    async def press_button(
        self,
        user_id: UserId,
        message_id: int,
        callback_data: str | None = None,
        *,
        text: str | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        body = {"message_id": message_id, "callback_data": callback_data, "text": text, "check": check}
        return await self._call("POST", f"/users/{user_id}/callbacks", body)

    async def share_contact(
        self,
        user_id: UserId,
        *,
        phone_number: str | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        contact_user_id: Any = _OWN,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"phone_number": phone_number, "first_name": first_name, "last_name": last_name}
        if contact_user_id is not _OWN:
            body["user_id"] = contact_user_id
        return await self._call("POST", f"/users/{user_id}/contact", body)

    async def block(self, user_id: UserId) -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/block")

    async def unblock(self, user_id: UserId) -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/unblock")

    # -- Zalo users only
    async def send_image(self, user_id: UserId, url: str, caption: str | None = None) -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/image", {"url": url, "caption": caption})

    async def send_sticker(self, user_id: UserId, sticker: str = "sticker-1") -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/sticker", {"sticker": sticker})

    async def send_unsupported(self, user_id: UserId) -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/unsupported")

    async def redeliver(self, user_id: UserId) -> dict[str, Any]:
        return await self._call("POST", f"/users/{user_id}/redeliver")

    # -- what reached the users
    async def read_chat(self, user_id: UserId, *, include_user_messages: bool = False) -> list[dict[str, Any]]:
        return await self._call("GET", f"/users/{user_id}/chat", include_user=int(include_user_messages))

    async def wait_for_messages(self, user_id: UserId, count: int = 1, *, timeout: float = 5.0) -> list[dict[str, Any]]:
        return await self._call("GET", f"/users/{user_id}/chat", min_count=count, timeout=timeout)

    async def callback_query(self, query_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/callbacks/{query_id}")

    async def wait_for_answer(self, query_id: str, *, timeout: float = 5.0) -> dict[str, Any]:
        return await self._call("GET", f"/callbacks/{query_id}", wait=timeout)

    async def callbacks(self) -> list[dict[str, Any]]:
        """Every callback query (button press) and its answer."""
        return await self._call("GET", "/callbacks")

    async def chats(self) -> dict[str, list[dict[str, Any]]]:
        return await self._call("GET", "/chats")

    async def file_bytes(self, file_id: str) -> bytes:
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        async with self._session.get(f"{self.url}{PREFIX}/files/{file_id}") as response:
            if response.status != 200:
                raise SandboxClientError(response.status, (await response.json()).get("error", ""))
            return await response.read()
