"""Server-rendered pages: one Jinja2 environment over the package's templates.

Autoescaping is on for every template, so a name or a comment typed by a person is
shown as text, never as markup. Nothing on a page is fetched from elsewhere: the
style sheet is inline and there are no fonts, scripts or images from the internet.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.domain.dates import format_date_vi
from bot.domain.messages import document_title
from bot.domain.texts import CATALOGUE

TIMEZONE = web.AppKey("timezone", ZoneInfo)
_URL = re.compile(r"https?://[^\s<>\"']+")


def _linkify(text: str | None) -> Markup:
    """Escaped text with its web addresses as links (the chat on the try-it page)."""
    if not text:
        return Markup("")
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        out.append(str(escape(text[last : match.start()])))
        url = match.group(0)
        out.append(f'<a href="{escape(url)}" rel="noopener noreferrer">{escape(url)}</a>')
        last = match.end()
    out.append(str(escape(text[last:])))
    return Markup("".join(out))


def text(key: str, /, **values: object) -> Markup:
    """A page's words from the catalogue (``web.*``): an HTML fragment, with every value
    escaped unless it is already markup."""
    return Markup(CATALOGUE[key]).format(**values)


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%".replace(".", ",")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["t"] = text
    env.filters["percent"] = _percent
    env.filters["linkify"] = _linkify
    env.filters["vndate"] = lambda d: format_date_vi(d) if d else "—"
    env.filters["doc_title"] = document_title  # a document as people name it, title and subtitle
    return env


def render(request: web.Request, template: str, *, status: int = 200, **context: Any) -> web.Response:
    tz = request.app.get(TIMEZONE) or ZoneInfo("Asia/Ho_Chi_Minh")

    def local_time(value: dt.datetime | None) -> str:
        return value.astimezone(tz).strftime("%H:%M %d/%m/%Y") if value else "—"

    html = environment().get_template(template).render(local_time=local_time, **context)
    response = web.Response(text=html, content_type="text/html", charset="utf-8", status=status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # the sign-in token must not leak to other sites
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; script-src 'unsafe-inline' 'self'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response
