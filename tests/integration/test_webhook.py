"""Webhook mode: the sandbox POSTs updates to the bot's aiohttp app with the secret header."""

from __future__ import annotations

import datetime as dt
import socket

import aiohttp
from aiohttp import web

from bot.runtime import Runtime, RuntimeOptions
from bot.sandbox import Sandbox
from bot.services.clock import FakeClock
from bot.settings import load_settings
from bot.web.app import TELEGRAM_SECRET_HEADER, TELEGRAM_WEBHOOK_PATH, build_app
from tests.integration.harness import ROSTER, local

SECRET = "s3cret-Token_for-tests"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_and_handles_updates(db_url: str) -> None:
    from bot.domain.roster import parse_table
    from bot.services import roster

    clock = FakeClock(local(dt.date(2026, 11, 23), 7))
    async with Sandbox(rate_limits=False) as sandbox:
        runtime = Runtime(
            load_settings(database_url=db_url), clock=clock, telegram_token=sandbox.token,
            telegram_base_url=sandbox.telegram_base_url(),
            options=RuntimeOptions(polling=False, run_worker=False, run_scheduler=False, migrate=False),
        )
        await runtime.start()
        runner = web.AppRunner(build_app(runtime, SECRET))
        await runner.setup()
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        try:
            assert runtime.sessions is not None and runtime.telegram is not None
            async with runtime.sessions() as session, session.begin():
                await roster.import_roster(session, parse_table(ROSTER), clock.now())
                (issued, *_) = await roster.issue_invites(session, clock.now())
            url = f"http://127.0.0.1:{port}{TELEGRAM_WEBHOOK_PATH}"
            await runtime.telegram.bot.set_webhook(url=url, secret_token=SECRET)

            user = await sandbox.create_user(first_name="An")
            await sandbox.send_text(user.id, f"/start {issued.code}")
            (reply,) = await sandbox.wait_for_messages(user.id, 1)
            assert f"Chào {issued.staff.full_name}" in reply.text

            async with aiohttp.ClientSession() as http:
                for headers in ({}, {TELEGRAM_SECRET_HEADER: "wrong"}):
                    async with http.post(url, json={"update_id": 1}, headers=headers) as response:
                        assert response.status == 403
                async with http.get(f"http://127.0.0.1:{port}/health") as response:
                    assert (await response.json())["channels"] == ["telegram"]
        finally:
            await runner.cleanup()
            await runtime.stop()
