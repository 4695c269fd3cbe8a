"""A decision with its regulation, as staff see it: the decision is told once, in the first
message and at the head of the contents, never as a section to confirm; the contents show
each chapter's title."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from tests.document_corpus import DECISION_TEXT_LINES
from tests.integration.harness import local, running_bot

MONDAY = dt.date(2026, 11, 23)
NAME = "Trần Thị Bình"


async def test_the_decision_is_context_and_chapters_keep_their_titles(db_url: str, tmp_path: Path) -> None:
    source = tmp_path / "quyet-dinh-kem-quy-che.txt"
    source.write_text("\n\n".join(DECISION_TEXT_LINES), encoding="utf-8")
    async with running_bot(db_url, local(MONDAY, 7)) as bot:
        await bot.import_roster()
        await bot.create_campaign(await bot.import_document(source), MONDAY)
        await bot.runtime.tick()
        await bot.register(NAME)
        first = "\n".join(m.text for m in await bot.wait_bot_messages(NAME, 2))
        assert "12/QĐ-UBND" in first and "có hiệu lực kể từ ngày ký" in first

        before = len(await bot.bot_messages(NAME))
        await bot.sandbox.send_text(bot.users[NAME].id, "/mucluc")
        (toc,) = (await bot.wait_bot_messages(NAME, before + 1))[before:]
        assert "12/QĐ-UBND" in toc.text
        assert "Chương I. NHỮNG QUY ĐỊNH CHUNG" in toc.text and "Chương II. TỔ CHỨC THỰC HIỆN" in toc.text
        assert len(toc.buttons) == 3  # three articles to read: the decision is not one of them
