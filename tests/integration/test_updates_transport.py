"""The ``getUpdates`` transport over HTTP to the sandbox: presses are taken out for the press
path, python-telegram-bot keeps every other update, and the offset it works out from the last
update it is given still confirms every update of the answer."""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.aiohttp_request import JsonCall
from bot.channels.telegram import _UpdatesRequest, parse_press
from bot.sandbox import DEFAULT_TOKEN, Sandbox


async def _answer(request: _UpdatesRequest, sandbox: Sandbox, offset: int) -> Any:
    url = f"{sandbox.telegram_base_url(DEFAULT_TOKEN)}{DEFAULT_TOKEN}/getUpdates"
    return await request.post(url, JsonCall({"offset": offset, "timeout": 0}))


async def test_presses_are_taken_out_and_the_last_update_still_sets_the_offset() -> None:
    taken: list[dict[str, Any]] = []

    def take(update: Any) -> bool:
        if parse_press(update) is None:
            return False
        taken.append(update)
        return True

    async with Sandbox(DEFAULT_TOKEN) as sandbox:
        user = await sandbox.create_user(first_name="Lan", started=True)
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Đã đọc", callback_data="ack:1:1")]])
        async with Bot(DEFAULT_TOKEN, base_url=sandbox.telegram_base_url(DEFAULT_TOKEN)) as bot:
            sent = await bot.send_message(int(user.id), "Điều 1", reply_markup=keyboard)
        request = _UpdatesRequest(None, take)
        await request.initialize()
        try:
            # press, text, press, press: python-telegram-bot gets the text and the last press's id
            await sandbox.press_button(user.id, sent.message_id, "ack:1:1")
            await sandbox.send_text(user.id, "xin chào")
            await sandbox.press_button(user.id, sent.message_id, "ack:1:1")
            await sandbox.press_button(user.id, sent.message_id, "ack:1:1")
            given = await _answer(request, sandbox, 0)
            assert len(taken) == 3
            ids = [update["update_id"] for update in taken]
            assert [u.get("message", {}).get("text") for u in given] == ["xin chào", None]
            assert given[-1] == {"update_id": ids[-1]}
            assert ids[0] < given[0]["update_id"] < ids[1]

            # an answer that ends with another update: nothing stands in for the presses before it
            await sandbox.press_button(user.id, sent.message_id, "ack:1:1")
            await sandbox.send_text(user.id, "tiếp")
            given = await _answer(request, sandbox, ids[-1] + 1)
            assert len(taken) == 4
            assert [u["message"]["text"] for u in given] == ["tiếp"]

            # the next offset python-telegram-bot asks for confirms all of them
            assert await _answer(request, sandbox, given[-1]["update_id"] + 1) == []
        finally:
            await request.shutdown()
