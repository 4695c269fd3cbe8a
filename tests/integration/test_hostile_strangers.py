"""A stranger trying invite codes learns nothing: a wrong code, a malformed one, a code
already used by its owner, a code re-issued since, the code of someone who left get one
and the same reply, on Telegram (/start CODE) and on Zalo (the code typed). Each attempt
runs the same SQL statements and stores the same rows (an audit row with the same reason),
so neither the answer, nor its timing class, nor the database tells which it was."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import event, func, select

from bot.db.models import AuditEvent, Base, Staff
from bot.services import roster
from tests.integration.harness import local
from tests.integration.harness_zalo import running_zalo_bot

MONDAY = dt.date(2026, 11, 23)
BINH, DUNG, EM = "Trần Thị Bình", "Phạm Thị Dung", "Hoàng Văn Em"


async def _counts(bot: Any) -> Counter[str]:
    async with bot.sessions() as session:
        return Counter({t.name: int(await session.scalar(select(func.count()).select_from(t)) or 0)
                        for t in Base.metadata.sorted_tables})


async def test_every_code_that_does_not_link_gets_the_same_reply_and_leaves_the_same_trace(db_url: str) -> None:
    async with running_zalo_bot(db_url, local(MONDAY, 9)) as bot:
        await bot.import_roster()
        await bot.register(BINH)  # Bình's code is now used on Telegram
        await bot.register_zalo(BINH)  # and on Zalo
        old_dung = bot.codes[DUNG]
        async with bot.sessions() as session, session.begin():  # codes re-issued: Dũng's old one is void
            fresh = {i.staff.full_name: i.code for i in await roster.issue_invites(session, bot.clock.now())}
            em = await session.scalar(select(Staff).where(Staff.full_name == EM))
            assert em is not None
            em.active = False  # Em left: his fresh code opens nothing
        codes = {"wrong": "K7QM4XRT", "malformed": "WRONG234", "used": bot.codes[BINH], "reissued": old_dung,
                 "left": fresh[EM], "used_with_dash": f"{bot.codes[BINH][:4]}-{bot.codes[BINH][4:]}".lower()}

        statements: list[str] = []
        assert bot.runtime.engine is not None

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            statements.append(statement.split()[0].upper())

        event.listen(bot.runtime.engine.sync_engine, "before_cursor_execute", count)
        replies: dict[tuple[str, str], list[str]] = {}
        traces: dict[tuple[str, str], tuple[Any, ...]] = {}
        try:
            for channel in ("telegram", "zalo"):
                for kind, code in codes.items():
                    user = await bot.sandbox.create_user(first_name="Lạ", channel=channel)
                    before = await _counts(bot)
                    statements.clear()
                    await bot.sandbox.send_text(user.id, f"/start {code}" if channel == "telegram" else code)
                    await bot.sandbox.wait_for_messages(user.id, 1)
                    if channel == "zalo":
                        bot.zalo_users[kind] = user
                        await bot.quiet(kind)
                    replies[channel, kind] = [m.text for m in await bot.sandbox.read_chat(user.id)]
                    after = await _counts(bot)
                    async with bot.sessions() as session:
                        audit = (await session.scalars(select(AuditEvent).where(
                            AuditEvent.actor == f"{channel}:{user.id}"))).all()
                    traces[channel, kind] = (
                        tuple(sorted((after - before).items())),
                        tuple(Counter(statements).items()),
                        tuple((a.action, a.target_type, a.target_id, tuple(sorted(a.details.items()))) for a in audit),
                    )
        finally:
            event.remove(bot.runtime.engine.sync_engine, "before_cursor_execute", count)

        for channel in ("telegram", "zalo"):
            seen = {kind: replies[channel, kind] for kind in codes}
            assert all(len(texts) == 1 for texts in seen.values()), seen
            assert len({tuple(texts) for texts in seen.values()}) == 1, seen  # one reply, whatever the code
            assert "không đúng" in seen["wrong"][0]
            trace = {kind: traces[channel, kind] for kind in codes}
            assert len(set(trace.values())) == 1, trace  # same rows, same statements, same audit
            rows, _, audit = trace["used"]
            assert audit == (("identity.link_failed", None, None, (("reason", "code"),)),)
        async with bot.sessions() as session:  # and nobody was linked by it
            linked = await session.scalar(select(func.count()).select_from(Base.metadata.tables["channel_identity"]))
        assert linked == 2
