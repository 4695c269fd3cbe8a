"""The sandbox holds python-telegram-bot to Telegram's limits on uploaded photos and documents."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError

from bot.sandbox import DEFAULT_TOKEN, Sandbox, VirtualUser
from tests.integration.test_sandbox_telegram import tiny_png


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with Sandbox(DEFAULT_TOKEN, rate_limits=False) as running:
        yield running


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with Bot(DEFAULT_TOKEN, base_url=sandbox.telegram_base_url(DEFAULT_TOKEN)) as client:
        yield client


@pytest.fixture
async def user(sandbox: Sandbox) -> VirtualUser:
    return await sandbox.create_user(first_name="Lan", started=True)


async def test_a_photo_within_the_limits_arrives_with_its_size(bot: Bot, user: VirtualUser, sandbox: Sandbox) -> None:
    sent = await bot.send_photo(user.id, tiny_png(1000, 700), caption="Biểu đồ")
    assert (sent.photo[-1].width, sent.photo[-1].height) == (1000, 700)
    (message,) = await sandbox.read_chat(user.id)
    assert message.caption == "Biểu đồ"


@pytest.mark.parametrize(
    ("width", "height"), [(6000, 4001), (2100, 100)], ids=["sides-over-10000", "ratio-over-20"]
)
async def test_a_photo_of_wrong_dimensions_is_refused(bot: Bot, user: VirtualUser, width: int, height: int) -> None:
    with pytest.raises(BadRequest, match="(?i)photo_invalid_dimensions"):
        await bot.send_photo(user.id, tiny_png(width, height))


async def test_a_photo_over_10_mb_or_not_an_image_is_refused(bot: Bot, user: VirtualUser) -> None:
    big = tiny_png(10, 10) + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(BadRequest, match="(?i)photo_save_file_invalid"):
        await bot.send_photo(user.id, big)
    with pytest.raises(BadRequest, match="(?i)image_process_failed"):
        await bot.send_photo(user.id, b"not an image at all")


async def test_documents_up_to_50_mb_and_never_empty(bot: Bot, user: VirtualUser) -> None:
    sent = await bot.send_document(user.id, b"x" * (11 * 1024 * 1024), filename="bao-cao.xlsx")
    assert sent.document.file_size == 11 * 1024 * 1024
    with pytest.raises(NetworkError, match="Request Entity Too Large|413"):
        await bot.send_document(user.id, b"x" * (50 * 1024 * 1024 + 1), filename="qua-lon.xlsx")
    with pytest.raises(BadRequest, match="(?i)file must be non-empty"):
        await bot.send_document(user.id, b"", filename="rong.xlsx")
