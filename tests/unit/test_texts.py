"""The catalogue as a whole: every chat text survives whatever a person typed into it,
its own markers pair up, and it reads as a commune clerk would write it."""

from __future__ import annotations

import re
import string

import pytest

from bot.domain.render import Markup, to_html, to_plain
from bot.domain.texts import CATALOGUE, is_plain, t
from bot.sandbox.markup import parse_html

HOSTILE = "*a **b* c** _d_ <i>e</i> & `f` \\* Phòng *A*"
CHAT_KEYS = sorted(key for key in CATALOGUE if not is_plain(key))
PLAIN_KEYS = sorted(key for key in CATALOGUE if is_plain(key))


def _fields(key: str) -> dict[str, tuple[str, str]]:
    """Each placeholder of a template with its format spec."""
    return {name: spec or "" for _, name, spec, _ in string.Formatter().parse(CATALOGUE[key]) if name}


def _values(key: str, text: str) -> dict[str, object]:
    return {name: 7 if spec else text for name, spec in _fields(key).items()}


@pytest.mark.parametrize("key", CHAT_KEYS)
def test_every_chat_text_takes_any_typed_value_and_shows_it_as_typed(key: str) -> None:
    text = t(key, **_values(key, HOSTILE))
    assert isinstance(text, Markup)
    visible = parse_html(to_html(text)).text  # Telegram's HTML rules
    assert to_plain(text) == visible  # Zalo shows the same words
    if _fields(key):
        assert HOSTILE in visible


@pytest.mark.parametrize("key", CHAT_KEYS)
def test_the_markers_of_every_chat_text_pair_up(key: str) -> None:
    plain = to_plain(t(key, **_values(key, "Văn phòng")))
    assert "*" not in plain, plain


@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_texts_read_outside_a_chat_take_values_as_given(key: str) -> None:
    if any(spec for spec in _fields(key).values()) or not _fields(key):
        return
    assert HOSTILE in t(key, **_values(key, HOSTILE))


def test_a_markup_value_keeps_its_formatting() -> None:
    text = t("announce.message", text=Markup("**Họp** lúc *14:00*"), signature=t("announce.signature", name="A*", position=""))
    assert to_html(text) == "📢 <b>THÔNG BÁO</b>\n\n<b>Họp</b> lúc <i>14:00</i>\n\n— A*"


CALQUES = {
    "hộp cát": "say what it is: chạy thử, máy chủ chạy thử",
    "hỏi tin mới": "say what it does: đang nhận tin nhắn",
    "hạt giống": "a random seed is a số khởi tạo",
    "xếp hàng": "what is queued is đã xếp lịch gửi",
    "dạng băm": "say what it means for the clerk",
}


COUNTS = "count|members|linked|sent|confirmed|attested|unreachable|all_confirmed|recipients|failed|duplicates|lost|" \
    "feedback|answered|reminders|created|updated|unchanged|deactivated|accepted|explained|open|messages|comments|cancelled"
COUNT_WITHOUT_UNIT = re.compile(r"\{(?:" + COUNTS + r")\}(?:/\{\w+\})? (?:đã|xác nhận|không|được|chưa)")


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_the_catalogue_reads_as_a_clerk_writes(key: str) -> None:
    value = CATALOGUE[key]
    lowered = value.lower()
    for calque, advice in CALQUES.items():
        assert calque not in lowered, f"{key}: {advice}"
    assert not re.search(r"gửi bạn\b", value), f"{key}: “gửi cho bạn”"
    if not is_plain(key) and not key.startswith("roster."):
        assert not re.search(r"quản trị(?! viên)", value), f"{key}: “quản trị viên”"
    # a count is read with its unit: "12 người đã xác nhận", "3 tin nhắn", never a bare "{n} đã …"
    assert not COUNT_WITHOUT_UNIT.search(value), f"{key}: a count without its unit"
    assert not re.search(r"\{[a-z_]+\} tin(?! nhắn)\b", value), f"{key}: “tin nhắn”"


def test_only_what_was_sent_is_called_sent() -> None:
    """What a button or a command has only queued is “đã xếp lịch”, never “Đã gửi”."""
    for key in ("announce.sent", "announce.toast.sent", "cli.announce.queued", "cli.feedback.summary.published",
                "request.thanks"):
        assert not CATALOGUE[key].startswith(("Đã gửi", "📤 Đã gửi")), key
    assert "xếp lịch" in CATALOGUE["announce.sent"] and "xếp lịch" in CATALOGUE["announce.toast.sent"]


def test_a_consultation_is_named_as_such() -> None:
    assert "đợt lấy ý kiến" in CATALOGUE["cli.campaign.created.consultation"].lower()


@pytest.mark.parametrize("key", ["announce.ack_hint", "reminder.last_call"])
def test_texts_sent_to_both_messengers_ask_for_no_button(key: str) -> None:
    """Zalo has no buttons: a text every messenger receives asks to confirm, and each messenger says how
    (Telegram's button, Zalo's “Trả lời: đã nhận”)."""
    assert "bấm" not in CATALOGUE[key]
