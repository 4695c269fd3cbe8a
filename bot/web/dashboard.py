"""The leadership dashboard: campaigns and their progress, the member table, the rate of
each section, the comments inbox where leaders answer (the same góp ý loop as in chat),
announcements with their counts, and the report files to download.

Sign-in is passwordless: ``/dashboard`` in chat sends a one-time link
(:mod:`bot.services.web_signin`). Opening the link shows a button rather than signing in
at once, because messengers and mail scanners fetch links to preview them and would
spend a link that signs in on GET. The session lives in an HttpOnly, SameSite cookie
limited to the dashboard's path; every page re-checks the person's role and every form
carries a CSRF token derived from the session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Staff
from bot.domain.enums import FeedbackStatus, Role
from bot.reports import export, feedback_summary
from bot.services import access, counts, dashboard, feedback, web_signin
from bot.services.clock import Clock
from bot.settings import Settings
from bot.web.pages import TIMEZONE, render

PREFIX = "/dashboard"
COOKIE = "congkhai_session"
MAX_ANSWER = feedback.MAX_LENGTH


@dataclass
class DashboardDeps:
    sessions: async_sessionmaker[AsyncSession]
    clock: Clock
    settings: Settings
    wake: Callable[[], None]

    @property
    def tz(self) -> str:
        return self.settings.timezone

    @property
    def secure_cookie(self) -> bool:
        return self.settings.dashboard_base_url.startswith("https://")


SIGN_IN_REFUSALS = ("unknown", "expired", "used", "denied")
STATUS_FILTERS = [s.value for s in dashboard.MemberStatus]


def add_dashboard_routes(app: web.Application, deps: DashboardDeps) -> None:
    app[TIMEZONE] = ZoneInfo(deps.tz)

    async def signed_in(request: web.Request, session: AsyncSession) -> tuple[Staff, str]:
        token = request.cookies.get(COOKIE)
        staff = await web_signin.session_staff(session, token, deps.clock.now())
        if staff is None or token is None:
            raise _page(request, "refused.html", status=401, reason="signed_out")
        return staff, token

    def context(staff: Staff, token: str, **values: Any) -> dict[str, Any]:
        return {
            "me": staff,
            "csrf": web_signin.csrf_token(token),
            "can_answer": access.allowed(staff, access.Action.FEEDBACK_ANSWER),
            "can_publish": access.allowed(staff, access.Action.FEEDBACK_PUBLISH),
            "roles": sorted(r.value for r in staff.role_set if r is not Role.STAFF),
            "prefix": PREFIX,
            **values,
        }

    def same_origin(request: web.Request) -> None:
        """A form posted from another site is refused, sign-in included (login CSRF): browsers
        name the page a POST comes from in ``Origin``."""
        origin = request.headers.get("Origin")
        if origin not in (None, "null") and urlsplit(origin).netloc != request.host:
            raise _page(request, "refused.html", status=403, reason="csrf")

    async def checked_form(request: web.Request, token: str) -> Any:
        same_origin(request)
        form = await request.post()
        if not web_signin.csrf_valid(token, str(form.get("csrf", ""))):
            raise _page(request, "refused.html", status=403, reason="csrf")
        return form

    # --- signing in and out ---------------------------------------------------------------

    async def sign_in_page(request: web.Request) -> web.Response:
        token = request.query.get("t", "")
        if not token:
            return render(request, "refused.html", status=400, reason="unknown", prefix=PREFIX)
        return render(request, "signin.html", token=token, prefix=PREFIX)

    async def sign_in(request: web.Request) -> web.Response:
        same_origin(request)
        form = await request.post()
        try:
            async with deps.sessions() as session, session.begin():
                opened = await web_signin.redeem_link(session, str(form.get("t", "")), deps.clock.now())
        except web_signin.SignInRefused as refused:
            return render(request, "refused.html", status=403, reason=refused.reason, prefix=PREFIX)
        response = web.HTTPSeeOther(PREFIX)
        response.set_cookie(
            COOKIE, opened.token, max_age=int(web_signin.SESSION_TTL.total_seconds()), path=PREFIX,
            httponly=True, samesite="Lax", secure=deps.secure_cookie or request.secure,
        )
        raise response

    async def sign_out(request: web.Request) -> web.Response:
        async with deps.sessions() as session, session.begin():
            _, token = await signed_in(request, session)
            await checked_form(request, token)
            await web_signin.end_session(session, token, deps.clock.now())
        response = render(request, "refused.html", reason="signed_out_now", prefix=PREFIX)
        response.del_cookie(COOKIE, path=PREFIX)
        return response

    # --- pages ----------------------------------------------------------------------------

    async def home(request: web.Request) -> web.Response:
        async with deps.sessions() as session:
            staff, token = await signed_in(request, session)
            rows = await dashboard.campaigns(session)
        return render(request, "campaigns.html", **context(staff, token, campaigns=rows, page="campaigns"))

    async def load_campaign(session: AsyncSession, request: web.Request) -> Any:
        campaign = await dashboard.campaign(session, _int(request.match_info["campaign_id"]))
        if campaign is None:
            raise web.HTTPNotFound()
        return campaign

    async def campaign_page(request: web.Request) -> web.Response:
        async with deps.sessions() as session:
            staff, token = await signed_in(request, session)
            campaign = await load_campaign(session, request)
            progress = await dashboard.progress(session, campaign)
            by_department = await counts.campaign_counts(session, campaign, progress.sections)
            sections = await dashboard.section_rates(session, campaign)
        return render(request, "campaign.html", **context(
            staff, token, page="campaigns", c=progress, departments=by_department, sections=sections,
            reports=export.FORMATS,
        ))

    async def members_page(request: web.Request) -> web.Response:
        department = request.query.get("department", "")
        status = request.query.get("status", "")
        async with deps.sessions() as session:
            staff, token = await signed_in(request, session)
            campaign = await load_campaign(session, request)
            page = await dashboard.members(
                session, campaign,
                department_id=_int(department) if department else None,
                status=dashboard.MemberStatus(status) if status in STATUS_FILTERS else None,
                page=_int(request.query.get("page", "1"), default=1),
            )
            departments = await dashboard.departments(session, campaign.id)
            progress = await dashboard.header(session, campaign)

        def page_url(number: int) -> str:
            query = {k: v for k, v in (("department", department), ("status", status)) if v}
            query["page"] = str(number)
            return f"{PREFIX}/campaigns/{campaign.id}/members?{urlencode(query)}"

        return render(request, "members.html", **context(
            staff, token, page="campaigns", c=progress, rows=page, departments=departments,
            department=department, status_filter=status, statuses=STATUS_FILTERS, page_url=page_url,
        ))

    async def comments_page(request: web.Request) -> web.Response:
        only_new = request.query.get("show") != "all"
        async with deps.sessions() as session:
            staff, token = await signed_in(request, session)
            campaign = await load_campaign(session, request)
            items = await feedback.list_feedback(session, campaign.id, only_new=only_new)
            progress = await dashboard.header(session, campaign)
        return render(request, "comments.html", **context(
            staff, token, page="campaigns", c=progress, items=items, only_new=only_new,
            done=request.query.get("done", ""), error=request.query.get("error", ""), max_answer=MAX_ANSWER,
            published=request.query.get("published", ""),
        ))

    async def answer(request: web.Request) -> web.Response:
        feedback_id = _int(request.match_info["feedback_id"])
        async with deps.sessions() as session, session.begin():
            staff, token = await signed_in(request, session)
            form = await checked_form(request, token)
            item = await feedback.get_item(session, feedback_id)
            if item is None:
                raise web.HTTPNotFound()
            decision = {"accepted": FeedbackStatus.ACCEPTED, "explained": FeedbackStatus.EXPLAINED}.get(
                str(form.get("decision", ""))
            )
            back = f"{PREFIX}/campaigns/{item.campaign_id}/comments"
            if decision is None:
                raise web.HTTPSeeOther(f"{back}?{urlencode({'error': 'decision'})}#fb-{feedback_id}")
            try:
                await feedback.answer(
                    session, staff=staff, feedback_id=feedback_id, decision=decision,
                    text=str(form.get("answer", "")), now=deps.clock.now(), tz=deps.tz,
                )
            except feedback.AnswerRefused as refused:
                raise web.HTTPSeeOther(f"{back}?{urlencode({'error': refused.reason})}#fb-{feedback_id}") from None
        deps.wake()  # the commenter's notice is queued: send it now
        raise web.HTTPSeeOther(f"{back}?{urlencode({'done': feedback_id})}")

    async def publish(request: web.Request) -> web.Response:
        """The synthesis of the answered comments, to every member (Art. 55), as from the command line."""
        async with deps.sessions() as session, session.begin():
            staff, token = await signed_in(request, session)
            await checked_form(request, token)
            if not access.allowed(staff, access.Action.FEEDBACK_PUBLISH):
                raise _page(request, "refused.html", status=403, reason="denied")
            campaign = await load_campaign(session, request)
            summary = await feedback.build_summary(session, campaign.id)
            assert summary is not None
            published = await feedback.publish(
                session, campaign.id, feedback_summary.to_chat(summary), deps.clock.now(), actor=f"staff:{staff.id}"
            )
        deps.wake()
        back = f"{PREFIX}/campaigns/{campaign.id}/comments"
        raise web.HTTPSeeOther(f"{back}?{urlencode({'published': published.recipients})}")

    async def summary_file(request: web.Request) -> web.Response:
        async with deps.sessions() as session:
            await signed_in(request, session)
            campaign = await load_campaign(session, request)
            summary = await feedback.build_summary(session, campaign.id)
        assert summary is not None
        return web.Response(body=feedback_summary.to_docx(summary), headers={
            "Content-Type": export.MEDIA_TYPES["docx"],
            "Content-Disposition": f'attachment; filename="tong-hop-gop-y-dot-{campaign.id}.docx"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        })

    async def announcements_page(request: web.Request) -> web.Response:
        async with deps.sessions() as session:
            staff, token = await signed_in(request, session)
            rows = await dashboard.announcements(session)
        return render(request, "announcements.html", **context(staff, token, page="announcements", rows=rows))

    async def download(request: web.Request) -> web.StreamResponse:
        fmt = request.match_info["fmt"]
        if fmt not in export.FORMATS:
            raise web.HTTPNotFound()
        async with deps.sessions() as session:
            await signed_in(request, session)
            campaign = await load_campaign(session, request)
            try:
                filename, data = await export.render_report(session, campaign.id, fmt, deps.clock.now(), deps.settings)
            except export.ReportRefused:
                raise web.HTTPNotFound() from None
        return web.Response(body=data, headers={
            "Content-Type": export.MEDIA_TYPES[fmt], "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff",
        })

    app.router.add_get(web_signin.LOGIN_PATH, sign_in_page)
    app.router.add_post(web_signin.LOGIN_PATH, sign_in)
    app.router.add_post(f"{PREFIX}/logout", sign_out)
    app.router.add_get(PREFIX, home)
    app.router.add_get(f"{PREFIX}/", home)
    app.router.add_get(f"{PREFIX}/campaigns/{{campaign_id}}", campaign_page)
    app.router.add_get(f"{PREFIX}/campaigns/{{campaign_id}}/members", members_page)
    app.router.add_get(f"{PREFIX}/campaigns/{{campaign_id}}/comments", comments_page)
    app.router.add_post(f"{PREFIX}/comments/{{feedback_id}}/answer", answer)
    app.router.add_get(f"{PREFIX}/campaigns/{{campaign_id}}/files/{{fmt}}", download)
    app.router.add_get(f"{PREFIX}/announcements", announcements_page)
    app.router.add_post(f"{PREFIX}/campaigns/{{campaign_id}}/comments/publish", publish)
    app.router.add_get(f"{PREFIX}/campaigns/{{campaign_id}}/comments/summary", summary_file)


def _int(raw: str, *, default: int | None = None) -> int:
    if raw.isascii() and raw.isdigit() and len(raw) < 10:
        return int(raw)
    if default is not None:
        return default
    raise web.HTTPNotFound()


def _page(request: web.Request, template: str, *, status: int, **values: Any) -> web.HTTPException:
    """A rendered page to raise (a refusal inside a handler)."""
    response = render(request, template, status=status, prefix=PREFIX, **values)
    kind = {401: web.HTTPUnauthorized, 403: web.HTTPForbidden}.get(status, web.HTTPBadRequest)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-type", "content-length")}
    return kind(text=response.text, content_type="text/html", headers=headers)
