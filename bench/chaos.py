"""The bot killed with SIGKILL again and again during a campaign; prints JSON.

The sandbox runs in its own process with Telegram's limits (30 msg/s overall, 1 msg/s per chat
with bursts of 3, 429 with retry_after), keeping the time of every send request and of its
answer. The bot is ``congkhai run`` (python -m bot run) in another process, polling the
sandbox. A campaign (every section of the sample regulation to every member, due at once, each
with its "Đã đọc" button) and announcements (one after every third start, to everyone) go out;
virtual people press "Đã đọc" on the sections they have received, a few a second. Once the bot
is up and sending, after a random 0.2-2.5 s, it gets SIGKILL, and is started again.

After each kill the bench ends the dead process's leases at once (a claimed row is otherwise
held for ``deliveries.LEASE``, 60 s, before another process may claim it: the same outcome,
later). At the end the bot runs until everything due has gone, then stops with SIGTERM.

Figures, from the sandbox's record and the database:
- ``chunks_lost``: message pieces of the rows in the database that never reached the person
  (or rows still unsent at the end);
- ``presses_answered_not_stored``: presses the sandbox saw answered (answerCallbackQuery) with
  no "Đã đọc" stored for them; ``presses_never_answered``: presses a killed process had taken
  from getUpdates but not handled (python-telegram-bot confirms an update with its next
  getUpdates, before handling it, so Telegram does not offer it again);
- per kill, ``duplicates`` (pieces sent twice whose first copy the killed process had sent:
  its record died with it) against ``in_flight``: the sends of the killed process (received after
  the previous kill, up to its death a moment after the signal: ``AFTERLIFE``) that the sandbox
  had not answered by ``WINDOW`` seconds before the kill (the recorder's flush interval, 25 ms,
  plus 25 ms for one flush's write): their outcome could not have been written when the process
  died.

    python bench/chaos.py --people 40 --kills 24
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from bot.channels.telegram import chat_messages, section_messages
from bot.chat import notices
from bot.db.engine import create_engine, session_factory
from bot.db.migrate import upgrade
from bot.db.models import Ack, Campaign, ChannelIdentity, Delivery, Staff
from bot.domain.enums import CampaignStatus, Channel, DeliveryKind, DeliveryStatus
from bot.outbox.worker import FLUSH_SECONDS
from bot.runtime import SAMPLE_DOCUMENT
from bot.sandbox import DEFAULT_TOKEN, SandboxClient
from bot.sandbox.markup import parse_formatted
from bot.services import announcements, campaigns, deliveries, documents
from bot.services.document_files import read_document
from bot.services.documents import sections_of

ROOT = Path(__file__).resolve().parent.parent
TZ = "Asia/Ho_Chi_Minh"
WRITE_ALLOWANCE = 0.025  # seconds one flush's transaction may take to commit
WINDOW = FLUSH_SECONDS + WRITE_ALLOWANCE
AFTERLIFE = 0.5  # seconds after a kill in which a send can only be the dead process's (a start takes longer)
ACK_LABEL = "✅ Đã đọc"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Run:
    url: str
    client: SandboxClient
    base: str
    env: dict[str, str]
    log: Path
    rng: random.Random
    chat_of: dict[int, int] = field(default_factory=dict)  # staff id -> sandbox user id
    kills: list[float] = field(default_factory=list)  # time.time() of each SIGKILL
    presses: list[str] = field(default_factory=list)  # callback query ids
    pressed: set[tuple[int, int]] = field(default_factory=set)  # (chat, message id)
    announcements: int = 0
    starts: int = 0


async def wait_sandbox(client: SandboxClient) -> None:
    for _ in range(300):
        try:
            await client.knobs()
            return
        except Exception:  # noqa: BLE001 - not listening yet
            await asyncio.sleep(0.05)
    raise RuntimeError("the sandbox did not start")


async def seed(run: Run, people: int, sections: int | None) -> None:
    """People linked to sandbox users, the sample regulation, a campaign to all of them with
    every section due now."""
    await asyncio.to_thread(upgrade, run.url)
    engine = create_engine(run.url)
    sessions = session_factory(engine)
    now = dt.datetime.now(dt.UTC)
    today = now.astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    users = [await run.client.create_user(first_name=f"Người {i}", started=True) for i in range(people)]
    async with sessions() as session, session.begin():
        for index, user in enumerate(users):
            person = Staff(full_name=f"Người thử {index}", roles="staff", active=True, created_at=now, updated_at=now)
            session.add(person)
            await session.flush()
            session.add(ChannelIdentity(staff_id=person.id, channel=Channel.TELEGRAM, external_user_id=str(user["id"]),
                                        chat_id=str(user["id"]), linked_at=now))
            run.chat_of[person.id] = int(user["id"])
        outcome = await documents.import_document(session, read_document(SAMPLE_DOCUMENT), now, source_name="chaos")
        created = await campaigns.create_campaign(session, document_id=outcome.document.id, decided_on=today,
                                                  start_on=today, days=20, now=now, tz=TZ, force=True)
        campaign = created.campaign
        campaign.status = CampaignStatus.ACTIVE
        views = (await sections_of(session, outcome.document.id))[:sections]
        for staff_id in run.chat_of:
            for view in views:
                session.add(Delivery(
                    source=deliveries.campaign_source(campaign.id), kind=DeliveryKind.SECTION, campaign_id=campaign.id,
                    staff_id=staff_id, section_id=view.id, item=view.ordinal, due_at=now, status=DeliveryStatus.PENDING,
                    chunk_index=0, attempts=0, created_at=now,
                ))
    await engine.dispose()


async def announce(run: Run, number: int) -> None:
    engine = create_engine(run.url)
    try:
        async with session_factory(engine)() as session, session.begin():
            now = dt.datetime.now(dt.UTC)
            draft = await announcements.create_draft(
                session, author_id=None, text=f"Thông báo thử số {number}: lịch họp giao ban tuần này.", now=now,
            )
            await announcements.send(session, draft, now)
        run.announcements += 1
    finally:
        await engine.dispose()


async def end_leases(run: Run) -> int:
    """What the lease does on its own after 60 s: the dead process's claimed rows are free again."""
    engine = create_engine(run.url)
    try:
        async with session_factory(engine)() as session, session.begin():
            result = await session.execute(
                update(Delivery).where(Delivery.status == DeliveryStatus.PENDING, Delivery.claimed_until.is_not(None))
                .values(claimed_until=None)
            )
            return int(result.rowcount or 0)  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def start_bot(run: Run) -> asyncio.subprocess.Process:
    run.starts += 1
    with run.log.open("ab") as out:
        out.write(f"--- start {run.starts}\n".encode())
    log = run.log.open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=ROOT, env=run.env, stdout=log, stderr=log,
            stdin=subprocess.DEVNULL,
        )
    finally:
        log.close()


async def sends_since(run: Run, since: float) -> int:
    return len([s for s in await run.client.sends(since) if s["answered"] is not None])


async def press_some(run: Run, stop: asyncio.Event) -> None:
    """People press "Đã đọc" on sections they have, a few a second."""
    while not stop.is_set():
        chats = await run.client.chats()
        choices = [
            (int(chat), m) for chat, messages in chats.items() for m in messages
            if m["sender"] == "bot" and (int(chat), m["message_id"]) not in run.pressed
            and any(b.get("text") == ACK_LABEL for row in (m["reply_markup"] or {}).get("inline_keyboard", []) for b in row)
        ]
        for chat, message in run.rng.sample(choices, min(len(choices), 6)):
            data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row
                        if b.get("text") == ACK_LABEL)
            run.pressed.add((chat, message["message_id"]))
            record = await run.client._call("POST", f"/users/{chat}/callbacks",
                                            {"message_id": message["message_id"], "callback_data": data})
            run.presses.append(record["id"])
        await asyncio.sleep(0.5)


async def outstanding(run: Run) -> tuple[int, int]:
    """Rows still to send (due now), and presses not answered yet."""
    engine = create_engine(run.url)
    try:
        async with session_factory(engine)() as session:
            rows = int(await session.scalar(select(func.count(Delivery.id)).where(
                Delivery.status == DeliveryStatus.PENDING, Delivery.due_at <= dt.datetime.now(dt.UTC))) or 0)
    finally:
        await engine.dispose()
    unanswered = sum(1 for record in await run.client.callbacks() if not record["answered"])
    return rows, unanswered


async def expected_pieces(run: Run) -> tuple[dict[int, list[str]], int]:
    """Every row's message pieces, by chat, as the bot renders them; and rows not sent."""
    engine = create_engine(run.url)
    pieces: dict[int, list[str]] = {}
    try:
        async with session_factory(engine)() as session:
            rows = (await session.scalars(select(Delivery))).all()
            documents_of = dict((await session.execute(select(Campaign.id, Campaign.document_id))).all())
            unsent = sum(1 for r in rows if r.status is not DeliveryStatus.SENT)
            for row in rows:
                job = await deliveries._job(session, row, documents_of.get(row.campaign_id or 0), compose)
                if job.kind is DeliveryKind.SECTION and job.section is not None:
                    s = job.section
                    messages = section_messages(job.campaign_id or 0, s.path, s.heading, s.body, s.ordinal)
                else:
                    messages = chat_messages(job.message) if job.message is not None else []
                # as the person sees it (the sandbox keeps the visible text of each version)
                pieces.setdefault(run.chat_of[row.staff_id], []).extend(parse_formatted(m.text, "HTML").text for m in messages)
    finally:
        await engine.dispose()
    return pieces, unsent


def compose(kind: DeliveryKind, payload: dict[str, Any] | None, campaign_id: int | None, title: str, sections: int) -> Any:
    return notices.compose(kind, payload, TZ, campaign_id=campaign_id, title=title, sections=sections)


async def stored_presses(run: Run) -> tuple[int, int]:
    """(presses answered, of them with no "Đã đọc" stored)."""
    engine = create_engine(run.url)
    try:
        async with session_factory(engine)() as session:
            acks = {(int(c), int(i)) for c, i in (await session.execute(
                select(ChannelIdentity.chat_id, Ack.item).join(ChannelIdentity, ChannelIdentity.staff_id == Ack.staff_id)
            )).all()}
    finally:
        await engine.dispose()
    answered = unstored = 0
    for record in await run.client.callbacks():
        if not record["answered"]:
            continue
        answered += 1
        item = int(record["data"].split(":")[-1]) if record["data"] else -1
        if (int(record["chat_id"]), item) not in acks:
            unstored += 1
    return answered, unstored


async def judge(run: Run, began: float) -> dict[str, Any]:
    pieces, unsent = await expected_pieces(run)
    chats = await run.client.chats()
    lost = 0
    copies: list[float] = []  # for each extra copy of a piece: when its first copy was sent
    for chat, wanted in pieces.items():
        messages = [m for m in chats.get(str(chat), []) if m["sender"] == "bot"]
        seen: Counter[str] = Counter()
        first: dict[str, float] = {}
        for m in messages:
            text = m["edits"][0]["text"] if m["edits"] else m["text"]  # as first sent, before a press stamped it
            if text in wanted:
                if seen[text]:
                    copies.append(first[text])
                else:
                    first[text] = m["at"]
                seen[text] += 1
        lost += sum(1 for text in set(wanted) if not seen[text])
    sends = await run.client.sends(began)
    per_kill = []
    kills = sorted(run.kills)
    for k, at in enumerate(kills):
        since = kills[k - 1] if k else began  # the killed process started after the previous kill
        # a piece sent twice: its first copy's record died with this process (which may have had
        # its last answers on the wire as it died)
        start = since + (AFTERLIFE if k else 0.0)
        mine_twice = [c for c in copies if start < c <= at + AFTERLIFE]
        # its sends: up to the moment it was gone, a little after the signal
        mine = [s for s in sends if start < s["received"] <= at + AFTERLIFE]
        in_flight = sum(1 for s in mine if s["answered"] is None or s["answered"] > at - WINDOW)
        unanswered = sum(1 for s in mine if s["answered"] is None or s["answered"] > at)
        per_kill.append({
            "kill": k + 1, "duplicates": len(mine_twice), "in_flight": in_flight, "unanswered_at_kill": unanswered,
            # how long before the kill the oldest of them was answered
            "oldest_lost_ms": round(max((at - c for c in mine_twice), default=0.0) * 1000, 1),
        })
    not_a_kill = sum(1 for c in copies if not kills or c > kills[-1] + AFTERLIFE or c <= began)
    answered, unstored = await stored_presses(run)
    never = sum(1 for record in await run.client.callbacks() if not record["answered"])
    return {
        "kills": len(kills),
        "chunks_expected": sum(len(p) for p in pieces.values()),
        "chunks_lost": lost,
        "rows_not_sent": unsent,
        "presses": len(run.presses),
        "presses_answered": answered,
        "presses_answered_not_stored": unstored,
        "presses_never_answered": never,
        "duplicates_total": len(copies),
        "duplicates_not_from_a_kill": not_a_kill,  # first copy sent after the last kill
        "oldest_lost_ms": max((k["oldest_lost_ms"] for k in per_kill), default=0.0),
        "duplicates_max_per_kill": max((k["duplicates"] for k in per_kill), default=0),
        "in_flight_total": sum(k["in_flight"] for k in per_kill),
        "in_flight_max_per_kill": max((k["in_flight"] for k in per_kill), default=0),
        "kills_with_more_duplicates_than_in_flight": sum(1 for k in per_kill if k["duplicates"] > k["in_flight"]),
        "window_seconds": WINDOW,
        "per_kill": per_kill,
    }


async def chaos(*, people: int, kills: int, seed_value: int = 0, latency_ms: float = 20.0, database_url: str | None = None,
                lull: tuple[float, float] = (0.2, 2.5), folder: str | None = None, chat_rate: float = 1.0,
                sections: int | None = None) -> dict[str, Any]:
    """The run; ``chat_rate``: messages a second one chat may get, in the sandbox and the bot
    (Telegram: 1); ``sections``: only the first so many sections (the tests' short run)."""
    rng = random.Random(seed_value)
    port, web_port = free_port(), free_port()
    with tempfile.TemporaryDirectory() as temporary:
        where = Path(folder or temporary)
        sandbox = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.sandbox", "--port", str(port), "--latency-ms", str(latency_ms),
            "--seed", str(seed_value), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            async with SandboxClient(f"http://127.0.0.1:{port}") as client:
                await wait_sandbox(client)
                await client.configure(record_sends=True, per_chat_rate=chat_rate, per_chat_burst=max(3.0, chat_rate))
                url = database_url or f"sqlite+aiosqlite:///{where / 'chaos.db'}"
                env = {
                    **os.environ, "CONGKHAI_DATABASE_URL": url, "CONGKHAI_TELEGRAM_TOKEN": DEFAULT_TOKEN,
                    "CONGKHAI_TELEGRAM_API_BASE": f"http://127.0.0.1:{port}/bot", "CONGKHAI_WEB_PORT": str(web_port),
                    "CONGKHAI_TIMEZONE": TZ, "PYTHONUNBUFFERED": "1", "CONGKHAI_CHAT_SEND_RATE": str(chat_rate),
                }
                run = Run(url, client, f"http://127.0.0.1:{port}/bot", env, where / "bot.log", rng)
                await seed(run, people, sections)
                began = time.time()
                stop_pressing = asyncio.Event()
                presser = asyncio.create_task(press_some(run, stop_pressing))
                try:
                    for k in range(kills):
                        bot = await start_bot(run)
                        spawned = time.time()
                        while await sends_since(run, spawned) < 3:  # up and sending
                            if bot.returncode is not None:
                                raise RuntimeError(f"the bot ended on its own; see {run.log}")
                            await asyncio.sleep(0.05)
                        if k % 3 == 0:
                            await announce(run, run.announcements + 1)
                        await asyncio.sleep(rng.uniform(*lull))
                        run.kills.append(time.time())
                        bot.send_signal(signal.SIGKILL)
                        await bot.wait()
                        await end_leases(run)
                    stop_pressing.set()  # the presses made while the bot was being killed are the test
                    await presser
                    bot = await start_bot(run)
                    # until every row is sent and the presses still unanswered stay so (a press the
                    # killed process had taken from getUpdates but not handled is not offered again)
                    quiet, last = 0, (-1, -1)
                    deadline = time.time() + 600
                    while quiet < 5 and time.time() < deadline:
                        await asyncio.sleep(1.0)
                        now = await outstanding(run)
                        quiet = quiet + 1 if now[0] == 0 and now == last else 0
                        last = now
                    bot.send_signal(signal.SIGTERM)
                    await asyncio.wait_for(bot.wait(), 30)
                finally:
                    stop_pressing.set()
                    await presser
                report = await judge(run, began)
                report.update(people=people, announcements=run.announcements, seconds=round(time.time() - began, 1),
                              chat_rate=chat_rate,
                              bot_starts=run.starts, database="postgresql" if database_url else "sqlite")
                text = run.log.read_text(errors="replace")
                report["bot_log_tracebacks"] = text.count("Traceback")
                # the last process (stopped cleanly) says how long its outcome writes took
                report["last_process_writes"] = next(
                    (line.split(": ", 1)[1] for line in reversed(text.splitlines()) if "outcomes written:" in line), None
                )
                return report
        finally:
            sandbox.terminate()
            await asyncio.wait_for(sandbox.wait(), 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=40)
    parser.add_argument("--kills", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--database-url", help="a PostgreSQL database to use (emptied first); default: a SQLite file")
    parser.add_argument("--per-kill", action="store_true", help="print every kill's figures, not only the totals")
    args = parser.parse_args()
    report = asyncio.run(chaos(people=args.people, kills=args.kills, seed_value=args.seed, latency_ms=args.latency_ms,
                               database_url=args.database_url))
    report["command"] = " ".join(["python", "bench/chaos.py", *sys.argv[1:]])
    if not args.per_kill:
        report["per_kill"] = [f"{k['duplicates']}/{k['in_flight']}" for k in report["per_kill"]]  # duplicates/in flight
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
