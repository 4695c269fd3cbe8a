"""The press path reads a button press straight from its JSON; anything it does not take goes
to python-telegram-bot's ``Update`` (``parse_update``), which checks it as before."""

from __future__ import annotations

import copy
import html
from typing import Any

import pytest

from bot.channels.telegram import Press, parse_press


def press(**changes: Any) -> dict[str, Any]:
    """A callback query as Telegram sends it (the pressed message with its keyboard)."""
    update: dict[str, Any] = {"update_id": 812, "callback_query": {
        "id": "4382", "chat_instance": "-77", "data": "ack:3:12",
        "from": {"id": 1001, "is_bot": False, "first_name": "Bình", "language_code": "vi"},
        "message": {
            "message_id": 55, "date": 1_790_000_000, "chat": {"id": 1001, "type": "private", "first_name": "Bình"},
            "from": {"id": 9, "is_bot": True, "first_name": "Công khai"},
            "text": "Điều 3. Thời hạn\nNội dung", "entities": [{"type": "bold", "offset": 0, "length": 16}],
            "reply_markup": {"inline_keyboard": [[{"text": "✅ Đã đọc", "callback_data": "ack:3:12"}]]},
        },
    }}
    for path, value in changes.items():
        parent = update
        keys = path.split("__")
        for key in keys[:-1]:
            parent = parent[key]
        if value is ...:
            del parent[keys[-1]]
        else:
            parent[keys[-1]] = value
    return update


def test_a_press_is_read_with_what_the_bot_needs() -> None:
    taken = parse_press(press())
    assert taken == Press(812, "4382", 1001, 1001, "ack:3:12", 55, press()["callback_query"]["message"])


def test_a_press_without_data_or_message_is_still_a_press() -> None:
    assert parse_press(press(callback_query__data=...)).data is None  # type: ignore[union-attr]
    taken = parse_press(press(callback_query__message=...))
    assert taken is not None and taken.chat_id == 1001 and taken.message_id is None and taken.message is None


@pytest.mark.parametrize("change", [
    {"update_id": "812"}, {"update_id": -1}, {"update_id": 2**63}, {"update_id": True},
    {"callback_query": []}, {"callback_query__id": 4382}, {"callback_query__chat_instance": ...},
    {"callback_query__data": 5}, {"callback_query__from": "Bình"}, {"callback_query__from__id": "1001"},
    {"callback_query__from__id": 2**64}, {"callback_query__from__first_name": None}, {"callback_query__from__is_bot": 0},
    {"callback_query__message": "x"}, {"callback_query__message__chat__id": 1.5},
    {"callback_query__message__chat__type": ...}, {"callback_query__message__message_id": ...},
    {"callback_query__message__date": 0},  # a message the bot can no longer reach
    {"callback_query__message__text": ["x"]},
    {"callback_query__inline_message_id": "x"},  # a press in an inline message: not this path
    {"message": {}},  # two kinds of update in one
])
def test_anything_else_is_left_to_the_general_path(change: dict[str, Any]) -> None:
    assert parse_press(press(**change)) is None


def test_reading_never_changes_the_body() -> None:
    body = press()
    kept = copy.deepcopy(body)
    parse_press(body)
    assert body == kept


ENTITY_TYPES = ["bold", "italic", "underline", "strikethrough", "spoiler", "code", "pre", "text_link", "blockquote",
                "expandable_blockquote", "url", "mention", "hashtag"]


def test_the_stamp_keeps_the_pressed_message_as_python_telegram_bot_reads_it() -> None:
    """The pressed message's HTML from its text and entities alone equals ``Message.text_html``
    for the same message, whatever the entities (nested, overlapping, astral characters)."""
    import random

    from telegram import Bot, Message

    from bot.channels.telegram import pressed_html

    bot = Bot("1:x")
    rng = random.Random(7)
    alphabet = ["a", "ế", " ", "\n", "<", "&", ">", "😀", "Đ", "1"]
    for _ in range(500):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))
        size = len(text.encode("utf-16-le")) // 2
        entities = []
        for _ in range(rng.randrange(0, 5)):
            offset = rng.randrange(size)
            entity: dict[str, Any] = {"type": rng.choice(ENTITY_TYPES), "offset": offset,
                                      "length": rng.randrange(1, size - offset + 1)}
            if entity["type"] == "text_link":
                entity["url"] = "https://example.org/?a=1&b=<2>"
            if entity["type"] == "pre" and rng.random() < 0.5:
                entity["language"] = "python"
            entities.append(entity)
        message = {"message_id": 1, "date": 1_790_000_000, "chat": {"id": 1, "type": "private"}, "text": text,
                   "entities": entities}
        try:
            expected = Message.de_json(message, bot).text_html
        except UnicodeDecodeError:  # an entity that splits a character in two: the text as it is
            expected = html.escape(text)
        assert pressed_html(message) == expected, message
        assert pressed_html(message) == expected, message  # and again, from what was kept
