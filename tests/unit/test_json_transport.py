"""The Bot API transport reads and writes JSON with orjson, and leaves to python-telegram-bot's and
the standard library's readers what orjson refuses, so every answer reads as it did before."""

from __future__ import annotations

import json

import pytest
from telegram.error import TelegramError

from bot.channels.aiohttp_request import AiohttpRequest, dumps


def test_answers_read_as_before() -> None:
    answer = '{"ok": true, "result": {"message_id": 7, "text": "Điều 1 <b>&amp;</b> 😀", "chat": {"id": -100123}}}'
    assert AiohttpRequest.parse_json_payload(answer.encode()) == json.loads(answer)
    # bytes that are not UTF-8: replaced, as python-telegram-bot's own reader does
    assert AiohttpRequest.parse_json_payload(b'{"text": "a\xffb"}') == {"text": "a\ufffdb"}
    with pytest.raises(TelegramError):
        AiohttpRequest.parse_json_payload(b"<html>502 Bad Gateway</html>")


def test_parameters_written_as_before() -> None:
    params = {"chat_id": 100000001, "text": "Điều 1 <b>&amp;</b> 😀", "reply_markup": {"inline_keyboard": [[
        {"text": "✅ Đã đọc", "callback_data": "ack:1:3"}]]}, "link_preview_options": {"is_disabled": True}}
    assert json.loads(dumps(params)) == params
    assert json.loads(dumps({"chat_id": 2**70})) == {"chat_id": 2**70}  # past orjson's 64 bits
