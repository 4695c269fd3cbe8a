"""The synthesis renderer: anonymous comments marked, unanswered ones listed as such,
chat messages kept under the limit."""

from __future__ import annotations

import datetime as dt
import io

import docx

from bot.domain.enums import CampaignKind, FeedbackStatus
from bot.reports.feedback_summary import pack, to_chat, to_docx, to_markdown
from bot.services.feedback import FeedbackItem, Summary, SummaryGroup

NOW = dt.datetime(2026, 11, 23, 3, tzinfo=dt.timezone.utc)


def _item(i: int, *, anonymous: bool, status: FeedbackStatus, text: str = "Ý kiến", answer: str | None = None) -> FeedbackItem:
    return FeedbackItem(
        id=i, campaign_id=1, ordinal=1, where="Điều 1", anonymous=anonymous, author=None if anonymous else "Trần Thị Bình",
        author_id=None if anonymous else 2, text=text, status=status, answer=answer, answered_by=None,
        answered_at=NOW if answer else None, published_at=None, created_at=NOW,
    )


def _summary(items: list[FeedbackItem]) -> Summary:
    return Summary(1, CampaignKind.CONSULTATION, "QUY CHẾ chi tiêu nội bộ", "12/QĐ", dt.date(2026, 11, 23),
                   dt.date(2026, 12, 2), [SummaryGroup(1, "Điều 1. Phạm vi", items)])


def test_docx_and_markdown_mark_anonymous_and_open_comments() -> None:
    summary = _summary([
        _item(1, anonymous=True, status=FeedbackStatus.EXPLAINED, text="Bỏ họp ngoài giờ", answer="Giữ nguyên vì…"),
        _item(2, anonymous=False, status=FeedbackStatus.RECEIVED, text="Thêm thời hạn"),
    ])
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(to_docx(summary))).paragraphs)
    for rendered in (text, to_markdown(summary)):
        assert "Điều 1. Phạm vi" in rendered and "QUY CHẾ chi tiêu nội bộ" in rendered.replace("QUY CHẾ CHI TIÊU NỘI BỘ", "QUY CHẾ chi tiêu nội bộ")
        assert "Ẩn danh" in rendered and "Trần Thị Bình" in rendered
        assert "Giải trình" in rendered and "Giữ nguyên vì…" in rendered and "Chưa trả lời" in rendered


def test_chat_messages_stay_under_the_limit() -> None:
    items = [_item(i, anonymous=i % 2 == 0, status=FeedbackStatus.ACCEPTED, text="x" * 900, answer="y" * 900)
             for i in range(20)]
    messages = to_chat(_summary(items))
    assert len(messages) > 1 and all(len(m) <= 3500 for m in messages)
    assert all(len(m) <= 100 for m in pack(["a" * 250, "b\n" * 80], 100))
