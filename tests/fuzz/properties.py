"""Hostile input, as hypothesis strategies and properties shared by the fuzz tests (a few
hundred examples) and ``bench/fuzz.py`` (thousands, counted).

Each check takes one generated input and returns None when the code under test behaved, or a
short description of what it did wrong; an exception it lets out is a crash. ``Tally`` counts
them per target so the benchmark can print the figures instead of stopping at the first."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from bot.domain import actions, commands
from bot.domain.document import ParsedDocument
from bot.domain.roster import FIELDS, RosterParse, parse_table
from bot.services.document_files import DocumentFileError, parse_document_bytes
from bot.services.roster_files import RosterFileError, read_table
from bot.web.app import TELEGRAM_SECRET_HEADER, TELEGRAM_WEBHOOK_PATH, ZALO_SECRET_HEADER, ZALO_WEBHOOK_PATH
from tests.fuzz.server import SECRET, WebhookServer

# --- counting ------------------------------------------------------------------------------


@dataclass
class Tally:
    tried: int = 0
    crashes: int = 0
    server_errors: int = 0  # 5xx answers (webhooks only)
    wrong: int = 0  # behaved without crashing, but not as it must
    examples: list[str] = field(default_factory=list)  # the first few failures, for the report

    def record(self, check: Callable[[Any], str | None], value: Any) -> str | None:
        """Run one check; count what happened; the failure, if any."""
        self.tried += 1
        try:
            problem = check(value)
        except Exception as error:  # noqa: BLE001 - counting crashes is the point
            self.crashes += 1
            problem = f"crash {type(error).__name__}: {error}"[:300]
        else:
            if problem is not None and problem.startswith("5xx"):
                self.server_errors += 1
            elif problem is not None:
                self.wrong += 1
        if problem is not None and len(self.examples) < 5:
            self.examples.append(f"{problem} <- {_short(value)}")
        return problem

    def as_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 200 else f"{text[:200]}… ({len(text)} chars)"


# --- JSON of any shape -----------------------------------------------------------------------

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")


# The bodies the issue names, and the shapes a parser dies on.
SPECIAL_BODIES: list[bytes] = [
    b"[]", b"null", b"{}", b'{"message": "hi"}', b'"text"', b"0", b"true", b"",
    b"[" * 50_000 + b"]" * 50_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"update_id": ' + b"9" * 5_000 + b"}",
    b"9" * 5_000,
    b'{"update_id": 1e400}', b'{"update_id": NaN}', b'{"update_id": Infinity}', b'{"update_id": -1}',
    b'{"update_id": 1, "message": "\\ud800"}', b'{"update_id": "1"}', b'{"update_id": true}',
    b'{"update_id": 1.5}', b'{"update_id": 99999999999999999999999}',
    '{"update_id": 1}'.encode("utf-16"), b"\xef\xbb\xbf{}", b"\xff\xfe\x00", b"{" * 10, b'{"a": "\x00"}',
    b'{"event_name": ["message.text.received"]}', b'{"ok": true, "result": []}', b'{"ok": true, "result": {"message": []}}',
    b'{"event_name": "message.text.received", "message": {"from": {"id": {"x": 1}}, "chat": {"id": 1}, "text": 5}}',
]


def telegram_message_update(update_id: int, user_id: int, text: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Khách"}
    return {"update_id": update_id, "message": {
        "message_id": update_id, "date": 1_790_000_000, "chat": {"id": user_id, "type": "private", "first_name": "Khách"},
        "from": person, "text": text,
    }}


def telegram_button_update(update_id: int, user_id: int, data: str) -> dict[str, Any]:
    person = {"id": user_id, "is_bot": False, "first_name": "Khách"}
    return {"update_id": update_id, "callback_query": {
        "id": str(update_id), "from": person, "chat_instance": "1", "data": data,
        "message": {"message_id": 7, "date": 1_790_000_000, "chat": {"id": user_id, "type": "private"}, "text": "x"},
    }}


def zalo_update(user_id: str, text: str, wrapped: bool) -> dict[str, Any]:
    update = {"event_name": "message.text.received", "message": {
        "from": {"id": user_id, "display_name": "Khách", "is_bot": False},
        "chat": {"id": user_id, "chat_type": "PRIVATE"}, "text": text, "message_id": f"m{user_id}{len(text)}",
        "date": 1_790_000_000_000,
    }}
    return {"ok": True, "result": update} if wrapped else update


@st.composite
def mutated(draw: st.DrawFn, template: Any) -> Any:
    """``template`` with one to three of its parts replaced by any JSON, or removed."""
    value = json.loads(json.dumps(template))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value, ()))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return value


def _paths(value: Any, prefix: tuple[Any, ...]) -> Any:
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


texts = st.text(max_size=40) | st.sampled_from(["/start", "/start ABCDEFGH", "/baocao", "/dashboard", "đã đọc", "góp ý x"])
telegram_templates = st.one_of(
    st.builds(telegram_message_update, st.integers(1, 2**40), st.integers(10**9, 2 * 10**9), texts),
    st.builds(telegram_button_update, st.integers(1, 2**40), st.integers(10**9, 2 * 10**9), st.text(max_size=70)),
)
zalo_templates = st.builds(zalo_update, st.text("0123456789abcdef", min_size=1, max_size=20), texts, st.booleans())


@dataclass(frozen=True)
class Body:
    """One call to a webhook: what kind of input it is decides what answer is right."""

    kind: str  # "not_update", "shaped" (maybe an update), "content_type", "secret", "too_big"
    data: bytes
    content_type: str = "application/json"
    secret: str = SECRET

    def __repr__(self) -> str:
        return f"Body({self.kind}, {self.content_type!r}, {_short(self.data)})"


WRONG_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/json",
               "application/octet-stream", "application/jsonx", "application/xml", "image/png", ""]


def bodies(templates: st.SearchStrategy[Any]) -> st.SearchStrategy[Body]:
    def not_object(value: Any) -> bool:
        return not isinstance(value, dict)

    return st.one_of(
        st.sampled_from(SPECIAL_BODIES).map(lambda data: Body("not_update", data)),
        json_values.filter(not_object).map(lambda value: Body("not_update", dumps(value))),
        st.dictionaries(st.text(max_size=12), json_values, max_size=5).map(lambda v: Body("not_update", dumps(v))),
        st.binary(max_size=300).map(lambda data: Body("not_update", data)),
        st.tuples(templates, st.integers(0, 400)).map(lambda p: Body("not_update", dumps(p[0])[: p[1]] + b"\x00")),
        templates.flatmap(mutated).map(lambda value: Body("shaped", dumps(value))),
        templates.map(lambda value: Body("shaped", dumps(value))),
        st.tuples(templates, st.sampled_from(WRONG_TYPES)).map(lambda p: Body("content_type", dumps(p[0]), p[1])),
        st.tuples(templates, st.text(max_size=40).filter(lambda s: s != SECRET)).map(
            lambda p: Body("secret", dumps(p[0]) + b"{", secret=_header_safe(p[1]))),
        st.just(Body("too_big", b'{"update_id": 1, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}')),
    )


def _header_safe(text: str) -> str:
    """A header value http.client will send: Latin-1, no line breaks (bytes above 0x7f included)."""
    return "".join(ch for ch in text if ch.isprintable() and ord(ch) < 256).strip()


class WebhookCheck:
    """The property of one messenger's webhook: 200 or 4xx, never 5xx; the secret checked
    first; a wrong content type 415; what is not an update 4xx; a 4xx changes nothing."""

    def __init__(self, server: WebhookServer, channel: str) -> None:
        self.server = server
        self.path = TELEGRAM_WEBHOOK_PATH if channel == "telegram" else ZALO_WEBHOOK_PATH
        self.header = TELEGRAM_SECRET_HEADER if channel == "telegram" else ZALO_SECRET_HEADER
        self.baseline = server.snapshot()
        self.statuses: Counter[int] = Counter()

    def __call__(self, body: Body) -> str | None:
        headers = {self.header: body.secret, "Content-Type": body.content_type} if body.secret else {
            "Content-Type": body.content_type}
        if not body.content_type:
            del headers["Content-Type"]
        status = self.server.post(self.path, body.data, headers)
        self.statuses[status] += 1
        if status >= 500:
            return f"5xx {status}"
        expected = {"secret": {403}, "content_type": {415}, "too_big": {413}, "not_update": set(range(400, 500))}
        if body.kind in expected and status not in expected[body.kind]:
            return f"answered {status} to a {body.kind} body"
        if status == 200:
            self.server.settle()  # an update taken: whatever it stored is the new baseline
            self.baseline = self.server.snapshot()
            if self.server.errors.messages:
                raise RuntimeError(f"the handler failed: {self.server.errors.messages.pop()}")
            return None
        if not 400 <= status < 500:
            return f"answered {status}"
        if self.server.snapshot() != self.baseline:
            return f"answered {status} but the database changed"
        return None


# --- callback data ---------------------------------------------------------------------------

def _valid_data() -> st.SearchStrategy[str]:
    classes = list(actions.registered().values())

    @st.composite
    def build(draw: st.DrawFn) -> str:
        cls = draw(st.sampled_from(classes))
        parts = [cls.prefix]
        for f in dataclasses.fields(cls):
            parts.append(draw(st.sampled_from(["all", "ack", "p1", "d2", "rleader", "x", ""]) if f.type == "str"
                              else st.integers(-(2**40), 2**40).map(str) | st.sampled_from(["01", "+1", " 1", "١", "1.0"])))
        return ":".join(parts)

    return build()


callback_data = st.one_of(
    st.text(max_size=64), st.text(min_size=65, max_size=300), _valid_data(),
    _valid_data().map(lambda s: s + "x" * 60), st.binary(max_size=100).map(lambda b: b.decode("utf-8", "surrogateescape")),
    st.none(), st.integers(), st.binary(max_size=64), st.sampled_from(["ack:1:1\x00", "ack:1:1\n", "ack::", ":", "ack:1"]),
)


def check_callback_data(data: Any) -> str | None:
    decoded = actions.decode(data)
    if decoded is None:
        return None
    if not isinstance(decoded, actions.Action) or not isinstance(data, str):
        return f"decoded to {decoded!r}"
    if len(data.encode("utf-8", "surrogateescape")) > actions.CALLBACK_LIMIT:
        return "decoded data longer than 64 bytes"
    for f in dataclasses.fields(decoded):
        value = getattr(decoded, f.name)
        low, high = f.metadata.get("range", (0, actions.MAX_ID))
        if f.type not in ("str", str) and not (type(value) is int and low <= value <= high):
            return f"{f.name}={value!r} out of range"
    if actions.decode(decoded.encode()) != decoded:
        return "does not round-trip"
    return None


# --- Zalo text commands ---------------------------------------------------------------------

command_texts = st.one_of(
    st.text(max_size=200),
    st.tuples(st.sampled_from(["Đã đọc", "da doc", "/start", "/start ", "góp ý", "góp ý ẩn danh", "ẩn danh", "mục lục",
                               "trang", "điều", "đọc mục", "/mucluc", "/gopy@bot", "K7QM-4XRT", "1", "muc "]),
              st.text(max_size=40)).map(lambda p: p[0] + p[1]),
    st.text("0123456789٠١٢٣٤٥٦٧٨٩²³¹ ", max_size=30),
)


def check_command(text: str) -> str | None:
    for after_toc in (False, True):
        command = commands.parse(text, after_toc=after_toc)
        if not isinstance(command.kind, commands.Kind) or not isinstance(command.text, str):
            return f"parsed to {command!r}"
        if command.number is not None and not (type(command.number) is int and 0 <= command.number <= 9999):
            return f"number {command.number!r}"
    return None


# --- the roster importer -----------------------------------------------------------------------

HEADER_WORDS = ["Họ và tên", "Đơn vị", "Số điện thoại", "Vai trò", "Email", "Chức vụ", "SĐT cũ", "STT"]
cells = st.one_of(st.text(max_size=30), st.sampled_from(HEADER_WORDS + ["0912 000 001", "+84912000001", "lãnh đạo",
                                                                        "a@b.vn", "=cmd|' /C calc'!A0", "١٢٣", "0912²00001"]))
roster_tables = st.lists(st.lists(cells, max_size=7), max_size=8).flatmap(
    lambda rows: st.just([HEADER_WORDS[:4], *rows]) | st.just(rows)
)


def check_roster_table(table: list[list[str]]) -> str | None:
    parsed = parse_table(table)
    return _roster_problems(parsed)


def _roster_problems(parsed: RosterParse) -> str | None:
    for problem in parsed.problems:
        if problem.field is not None and problem.field not in FIELDS:
            return f"problem in unknown field {problem.field!r}"
        if problem.row is not None and problem.row < 1 or not problem.reason:
            return f"problem without a row or a reason: {problem!r}"
    for row in parsed.rows:
        national = row.phone.removeprefix("+84")
        if not (row.phone.startswith("+84") and national.isascii() and national.isdigit()):
            return f"phone {row.phone!r} accepted"
    return None


roster_files = st.tuples(
    st.sampled_from([".csv", ".txt", ".xlsx", ".xls", ""]),
    st.one_of(
        st.binary(max_size=400),
        st.lists(st.lists(cells, max_size=6), max_size=6).flatmap(lambda rows: st.sampled_from([",", ";", "\t", "|"]).map(
            lambda sep: "\n".join(sep.join(r) for r in [HEADER_WORDS[:4], *rows]).encode())),
        st.sampled_from([b'"' + b"a" * 200_000, b"PK\x03\x04" + b"\x00" * 100, b"\xef\xbb\xbf", b"a,b\r\n\x00c",
                         b"Ho va ten,Don vi,SDT\n" + b"x" * 140_000 + b",y,0912000001\n"]),
    ),
)


def check_roster_file(case: tuple[str, bytes]) -> str | None:
    suffix, data = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"danh-sach{suffix}"
        path.write_bytes(data)
        try:
            table = read_table(path)
        except RosterFileError as error:
            return None if error.filename == path.name and error.reason else f"refusal without a reason: {error!r}"
    return _roster_problems(parse_table(table))


# --- the document importer ----------------------------------------------------------------------

LINES = ["CHƯƠNG I", "Chương II. QUY ĐỊNH CHUNG", "Điều 1. Phạm vi", "Điều 2", "1. Khoản", "a) điểm", "# Tiêu đề",
         "## Mục", "> trích", "| a | b |", "|---|---|", "* gạch", "1) x", "**đậm**", "QUYẾT ĐỊNH", "Số: 12/QĐ-UBND",
         "Hà Nội, ngày 07 tháng 3 năm 2023", "[^1]: chú thích", "<b>x</b>", "=cmd|' /C calc'!A0", "---", "```"]
document_texts = st.lists(st.sampled_from(LINES) | st.text(max_size=60), max_size=30).map("\n".join)
document_files = st.tuples(
    st.sampled_from(["van-ban.md", "van-ban.txt", "van-ban.docx", "van-ban.pdf", "van-ban.markdown", "van-ban.doc",
                     "van-ban", "van-ban.odt"]),
    st.one_of(
        document_texts.map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.binary(max_size=500),
        st.sampled_from([b">" * 20_000 + b" x", b"- " * 5_000 + b"x", b"[" * 20_000, b"*" * 50_000,
                         b"%PDF-1.4\n" + b"\x00" * 50, b"PK\x03\x04" + b"\x01" * 60, "Điều 1.\n".encode() * 3000,
                         b"\xff\xfe" + "Điều 1. x".encode("utf-16-le"), b"\xd0\xcf\x11\xe0" + b"\x00" * 40]),
    ),
)


def check_document(case: tuple[str, bytes]) -> str | None:
    filename, data = case
    try:
        parsed = parse_document_bytes(data, filename)
    except DocumentFileError as error:
        return None if error.filename == filename and filename in str(error) else f"refusal without the file: {error!r}"
    return None if isinstance(parsed, ParsedDocument) else f"returned {parsed!r}"
