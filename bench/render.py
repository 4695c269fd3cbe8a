"""Rendering chat texts in the light-markup dialect: CPU time per message.

Three kinds of text: a short catalogue reply with a person's name in it, a /gopy list
of ten comments full of stars, and an answer notice quoting a 4,000-character comment
(split into several Telegram messages). Prints JSON.

    python bench/render.py --rounds 2000
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable

from bot.domain.chunking import telegram_messages, zalo_messages
from bot.domain.render import to_html, to_plain
from bot.domain.texts import t

COMMENT = "*a **b* c** <i>x</i> & `y` _z_ Đề nghị sửa điều 5."


def _texts() -> dict[str, str]:
    short = t("start.linked", name="Nguyễn *Văn* An")
    listing = "\n\n".join(
        t("feedback.list.item", mark="🆕", id=i, where="Điều 5", author="Phòng *A*", day="23/11/2026",
          status="Chưa trả lời", text=COMMENT * 3)
        for i in range(10)
    )
    notice = t("feedback.answer_notice", where="Điều 5", title="Quy chế", comment=(COMMENT + " ") * 80,
               decision="Tiếp thu", by="Đỗ Thị Giang", at="08:00", answer="Đồng ý **một phần**. " * 150)
    return {"short_reply": short, "feedback_list": listing, "long_notice": notice}


def _per_call(work: Callable[[], object], rounds: int) -> float:
    start = time.process_time()
    for _ in range(rounds):
        work()
    return (time.process_time() - start) / rounds * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    rounds = parser.parse_args().rounds
    results = {}
    for name, text in _texts().items():
        results[name] = {
            "characters": len(text),
            "telegram_messages": len(telegram_messages(text)),
            "to_html_us": round(_per_call(lambda: to_html(text), rounds), 1),
            "to_plain_us": round(_per_call(lambda: to_plain(text), rounds), 1),
            "telegram_messages_us": round(_per_call(lambda: telegram_messages(text), rounds // 10 or 1), 1),
            "zalo_messages_us": round(_per_call(lambda: zalo_messages(text), rounds // 10 or 1), 1),
        }
    print(json.dumps({"rounds": rounds, "cpu_us_per_message": results}, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
