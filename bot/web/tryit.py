"""The try-it page of the embedded default: pick anyone on the staff list and chat with
the bot as them in the browser, with no messenger and no token.

Each person is played by a virtual user of the sandbox Bot API (bot/sandbox) that has
the person's phone number, so "share my phone number" links them the way Telegram's
contact button does. The page only drives the sandbox's virtual users: the bot on the
other side is the real one, over the same HTTP as in production. Mounted only when a
sandbox runs in the process (``congkhai run`` without a messenger token).
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from bot.db.models import Staff
from bot.domain.enums import Role
from bot.domain.texts import t
from bot.sandbox import ChatMessage, NotFound, Sandbox, SandboxError, VirtualUser
from bot.web.pages import render

PREFIX = TRY_PATH = "/thu"
USER_ID_BASE = 900_000_000  # virtual user id = base + staff id: the same person after a restart
REPLY_WAIT_SECONDS = 3.0
MAX_TEXT = 4000


@dataclass(frozen=True)
class Person:
    id: int
    name: str
    department: str | None
    position: str | None
    roles: tuple[str, ...]


def add_tryit_routes(app: web.Application, sessions: async_sessionmaker[AsyncSession], sandbox: Sandbox) -> None:
    form_token = secrets.token_hex(16)  # the page's forms only, not another site's

    async def people() -> list[Person]:
        async with sessions() as session:
            rows = (
                await session.scalars(
                    select(Staff).where(Staff.active.is_(True)).options(selectinload(Staff.department))
                    .order_by(Staff.id)
                )
            ).all()
        return [
            Person(s.id, s.full_name, s.department.name if s.department else None, s.position,
                   tuple(sorted(r.value for r in s.role_set if r is not Role.STAFF)))
            for s in rows
        ]

    async def person_of(request: web.Request) -> tuple[Person, VirtualUser]:
        raw = request.match_info["staff_id"]
        if not (raw.isascii() and raw.isdigit() and len(raw) < 10):
            raise web.HTTPNotFound()
        async with sessions() as session:
            staff = await session.scalar(
                select(Staff).where(Staff.id == int(raw), Staff.active.is_(True)).options(selectinload(Staff.department))
            )
        if staff is None:
            raise web.HTTPNotFound()
        person = Person(staff.id, staff.full_name, staff.department.name if staff.department else None,
                        staff.position, ())
        user_id = USER_ID_BASE + staff.id
        try:
            user = await sandbox.get_user(user_id)
        except NotFound:
            given, _, family = staff.full_name.rpartition(" ")
            user = await sandbox.create_user(
                user_id, first_name=family or staff.full_name, last_name=given or None, phone_number=staff.phone,
            )
        return person, user

    async def checked_form(request: web.Request) -> Any:
        form = await request.post()
        if not hmac.compare_digest(str(form.get("f", "")), form_token):
            raise web.HTTPForbidden(text=t("web.tryit.stale_form"))
        return form

    async def bot_count(user: VirtualUser) -> int:
        return len(await sandbox.read_chat(user.id))

    async def settle(user: VirtualUser, before: int) -> None:
        """Give the bot a moment to answer, so that the page shows its reply."""
        try:
            await sandbox.wait_for_messages(user.id, before + 1, timeout=REPLY_WAIT_SECONDS)
        except TimeoutError:
            return
        await asyncio.sleep(0.2)  # a reply of several messages

    def back(person: Person) -> web.HTTPSeeOther:
        return web.HTTPSeeOther(f"{PREFIX}/{person.id}#end")

    async def index(request: web.Request) -> web.Response:
        return render(request, "tryit_people.html", people=await people(), prefix=PREFIX)

    async def chat(request: web.Request) -> web.Response:
        person, user = await person_of(request)
        messages = await sandbox.read_chat(user.id, include_user_messages=True)
        return render(
            request, "tryit_chat.html", person=person, user=user, messages=messages, prefix=PREFIX, f=form_token,
            keyboard=current_keyboard(messages), count=sum(m.sender == "bot" for m in messages),
            dashboard="/dashboard",
        )

    async def count(request: web.Request) -> web.Response:
        _, user = await person_of(request)
        return web.json_response({"count": await bot_count(user)})

    async def send_text(request: web.Request) -> web.Response:
        person, user = await person_of(request)
        form = await checked_form(request)
        text = str(form.get("text", "")).strip()[:MAX_TEXT]
        if text:
            before = await bot_count(user)
            await sandbox.send_text(user.id, text)
            await settle(user, before)
        raise back(person)

    async def press(request: web.Request) -> web.Response:
        person, user = await person_of(request)
        form = await checked_form(request)
        message_id = str(form.get("message_id", ""))
        if not message_id.isdigit():
            raise web.HTTPBadRequest()
        before = await bot_count(user)
        try:
            record = await sandbox.press_button(user.id, int(message_id), str(form.get("data", "")))
        except SandboxError:
            raise back(person) from None  # the button is gone (the message was edited meanwhile)
        try:
            await sandbox.wait_for_answer(record.id, timeout=REPLY_WAIT_SECONDS)
        except TimeoutError:
            pass
        await settle(user, before)
        raise back(person)

    async def share_contact(request: web.Request) -> web.Response:
        person, user = await person_of(request)
        await checked_form(request)
        before = await bot_count(user)
        await sandbox.share_contact(user.id)
        await settle(user, before)
        raise back(person)

    async def file(request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        try:
            data = sandbox.file_bytes(file_id)
        except NotFound:
            raise web.HTTPNotFound() from None
        stored = sandbox.state.files[file_id]
        headers = {"X-Content-Type-Options": "nosniff"}
        if stored.kind != "photo":
            headers["Content-Disposition"] = f'attachment; filename="{_safe_name(stored.file_name)}"'
        return web.Response(body=data, content_type=stored.mime_type or "application/octet-stream", headers=headers)

    app.router.add_get(PREFIX, index)
    app.router.add_get(f"{PREFIX}/", index)
    app.router.add_get(f"{PREFIX}/{{staff_id}}", chat)
    app.router.add_get(f"{PREFIX}/{{staff_id}}/count", count)
    app.router.add_post(f"{PREFIX}/{{staff_id}}/text", send_text)
    app.router.add_post(f"{PREFIX}/{{staff_id}}/press", press)
    app.router.add_post(f"{PREFIX}/{{staff_id}}/contact", share_contact)
    app.router.add_get(f"{PREFIX}/files/{{file_id}}", file)


def current_keyboard(messages: list[ChatMessage]) -> list[list[dict[str, Any]]] | None:
    """The reply keyboard the person sees now: the last one the bot sent, unless it was
    taken away, or used once when it was a one-time keyboard."""
    keyboard: dict[str, Any] | None = None
    for message in messages:
        markup = message.reply_markup or {}
        if message.sender == "bot":
            if "keyboard" in markup:
                keyboard = markup
            elif markup.get("remove_keyboard"):
                keyboard = None
        elif keyboard is not None and keyboard.get("one_time_keyboard") and message.kind in ("contact", "text"):
            keyboard = None
    return keyboard["keyboard"] if keyboard else None


def _safe_name(name: str | None) -> str:
    cleaned = "".join(c for c in (name or "tep") if c.isascii() and (c.isalnum() or c in "._-"))
    return cleaned or "tep"
