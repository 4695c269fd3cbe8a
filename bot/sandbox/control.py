"""The control API: JSON over HTTP under ``/_sandbox/``, the same operations as :class:`Sandbox`.

Answers are ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}`` with 400/404
(408 when a wait ran out). Routes:

    GET  /_sandbox/health                    the Telegram and Zalo base URLs
    GET  /_sandbox/knobs    POST /_sandbox/knobs {"per_chat_rate": 0, ...}
    GET  /_sandbox/stats    POST /_sandbox/reset
    GET  /_sandbox/users    POST /_sandbox/users {"id", "first_name", "last_name", "username",
                                                  "phone_number", "started"}
    GET  /_sandbox/users/{id}
    POST /_sandbox/users/{id}/messages  {"text": "/start ABC123"}
    POST /_sandbox/users/{id}/contact   {"phone_number", "first_name", "user_id"}  (no user_id: own)
    POST /_sandbox/users/{id}/callbacks {"message_id", "callback_data" | "text", "check"}
    POST /_sandbox/users/{id}/block     POST /_sandbox/users/{id}/unblock
    GET  /_sandbox/users/{id}/chat?include_user=1&min_count=N&timeout=S
    GET  /_sandbox/chats                 every chat's messages
    GET  /_sandbox/callbacks/{query_id}?wait=S
    GET  /_sandbox/callbacks              every callback query and its answer
    GET  /_sandbox/files/{file_id}       the uploaded bytes
    GET  /_sandbox/sends?since=T         every send request and when it was answered (knob record_sends)
    POST /_sandbox/restart {"down_seconds": 1.0}   the server goes away and comes back (answered first)
    (Zalo users: image, sticker, unsupported and redeliver routes in :mod:`bot.sandbox.zalo`)
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.sandbox.state import SandboxError, UserId

if TYPE_CHECKING:
    from bot.sandbox.server import Sandbox

PREFIX = "/_sandbox"
_restarts: set[asyncio.Task[None]] = set()  # restarts under way (kept from the garbage collector)
Handler = Callable[[web.Request], Awaitable[Any]]


def parse_user_id(raw: str) -> UserId:
    """Telegram ids are integers; other channels' ids stay strings."""
    return int(raw) if raw.lstrip("-").isdigit() else raw


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def _endpoint(handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def wrapped(request: web.Request) -> web.Response:
        try:
            result = await handler(request)
        except SandboxError as error:
            return web.json_response({"ok": False, "error": str(error)}, status=error.status)
        except TimeoutError as error:
            return web.json_response({"ok": False, "error": str(error) or "timed out"}, status=408)
        except (ValueError, TypeError, KeyError) as error:
            return web.json_response({"ok": False, "error": f"bad request: {error}"}, status=400)
        if isinstance(result, web.StreamResponse):
            return result  # type: ignore[return-value]
        return _ok(result)

    return wrapped


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError as exc:
        raise SandboxError("the body is not JSON") from exc
    if not isinstance(body, dict):
        raise SandboxError("the body must be a JSON object")
    return body


async def _restart_soon(sandbox: Sandbox, down: float) -> None:
    await asyncio.sleep(0.05)  # the answer to the restart call goes out first
    await sandbox.restart(down)


def add_control_routes(app: web.Application, sandbox: Sandbox) -> None:
    def user_id(request: web.Request) -> UserId:
        return parse_user_id(request.match_info["user_id"])

    async def health(request: web.Request) -> Any:
        return {"telegram_base_url": sandbox.telegram_base_url(), "zalo_base_url": sandbox.zalo_base_url()}

    async def get_knobs(request: web.Request) -> Any:
        return sandbox.knobs.to_dict()

    async def set_knobs(request: web.Request) -> Any:
        return (await sandbox.configure(**await _body(request))).to_dict()

    async def stats(request: web.Request) -> Any:
        return (await sandbox.get_stats()).to_dict()

    async def reset(request: web.Request) -> Any:
        await sandbox.reset()
        return True

    async def list_users(request: web.Request) -> Any:
        return [u.to_dict() for u in await sandbox.list_users()]

    async def create_user(request: web.Request) -> Any:
        body = await _body(request)
        if "id" in body:
            body["user_id"] = body.pop("id")
        return (await sandbox.create_user(**body)).to_dict()

    async def get_user(request: web.Request) -> Any:
        return (await sandbox.get_user(user_id(request))).to_dict()

    async def send_text(request: web.Request) -> Any:
        body = await _body(request)
        return (await sandbox.send_text(user_id(request), str(body["text"]))).to_dict()

    async def share_contact(request: web.Request) -> Any:
        body = await _body(request)
        extra: dict[str, Any] = {}
        if "user_id" in body:  # absent: their own contact; null: someone without Telegram
            extra["contact_user_id"] = body["user_id"]
        message = await sandbox.share_contact(
            user_id(request),
            phone_number=body.get("phone_number"),
            first_name=body.get("first_name"),
            last_name=body.get("last_name"),
            **extra,
        )
        return message.to_dict()

    async def press_button(request: web.Request) -> Any:
        body = await _body(request)
        record = await sandbox.press_button(
            user_id(request),
            int(body["message_id"]),
            body.get("callback_data"),
            text=body.get("text"),
            check=bool(body.get("check", True)),
        )
        return record.to_dict()

    async def block(request: web.Request) -> Any:
        return (await sandbox.block(user_id(request))).to_dict()

    async def unblock(request: web.Request) -> Any:
        return (await sandbox.unblock(user_id(request))).to_dict()

    async def read_chat(request: web.Request) -> Any:
        uid = user_id(request)
        min_count = int(request.query.get("min_count", "0"))
        if min_count:
            await sandbox.wait_for_messages(uid, min_count, timeout=float(request.query.get("timeout", "5")))
        include_user = request.query.get("include_user", "").lower() in ("1", "true", "yes")
        messages = await sandbox.read_chat(uid, include_user_messages=include_user)
        return [m.to_dict() for m in messages]

    async def all_chats(request: web.Request) -> Any:
        return {
            str(chat.id): [m.to_dict() for m in chat.messages] for chat in sandbox.state.chats.values()
        }

    async def callback_query(request: web.Request) -> Any:
        query_id = request.match_info["query_id"]
        wait = float(request.query.get("wait", "0"))
        if wait:
            return (await sandbox.wait_for_answer(query_id, timeout=wait)).to_dict()
        return (await sandbox.callback_query(query_id)).to_dict()

    async def all_callbacks(request: web.Request) -> Any:
        return [record.to_dict() for record in sandbox.state.callbacks.values()]

    async def file_bytes(request: web.Request) -> Any:
        file_id = request.match_info["file_id"]
        data = sandbox.file_bytes(file_id)
        stored = sandbox.state.files[file_id]
        return web.Response(body=data, content_type=stored.mime_type or "application/octet-stream")

    async def sends(request: web.Request) -> Any:
        since = float(request.query.get("since", "0"))
        return [r.to_dict() for r in sandbox.state.sends if r.received >= since]

    async def restart(request: web.Request) -> Any:
        body = await _body(request)
        down = float(body.get("down_seconds", 0.0))
        if not 0.0 <= down <= 60.0:
            raise SandboxError("down_seconds must be between 0 and 60")
        # answered first: the restart cuts every connection, this one too
        loop = asyncio.get_running_loop()
        task = loop.create_task(_restart_soon(sandbox, down))
        _restarts.add(task)
        task.add_done_callback(_restarts.discard)
        return True

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/health", health),
        ("GET", "/knobs", get_knobs),
        ("POST", "/knobs", set_knobs),
        ("GET", "/stats", stats),
        ("POST", "/reset", reset),
        ("GET", "/users", list_users),
        ("POST", "/users", create_user),
        ("GET", "/users/{user_id}", get_user),
        ("POST", "/users/{user_id}/messages", send_text),
        ("POST", "/users/{user_id}/contact", share_contact),
        ("POST", "/users/{user_id}/callbacks", press_button),
        ("POST", "/users/{user_id}/block", block),
        ("POST", "/users/{user_id}/unblock", unblock),
        ("GET", "/users/{user_id}/chat", read_chat),
        ("GET", "/chats", all_chats),
        ("GET", "/callbacks", all_callbacks),
        ("GET", "/callbacks/{query_id}", callback_query),
        ("GET", "/files/{file_id}", file_bytes),
        ("GET", "/sends", sends),
        ("POST", "/restart", restart),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, PREFIX + path, _endpoint(handler))
