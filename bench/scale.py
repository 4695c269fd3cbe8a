"""Delivery at a high ceiling, on SQLite and PostgreSQL, with its peers in the same run; prints JSON.

The sandbox runs in its own process with a configurable overall rate (default 1,000 msg/s, as
a paid broadcast allows), 1 msg/s per chat and a latency on every call.

(a) broadcast: ``--messages`` notices (``--rounds`` to each person) through the outbox at
               SEND_RATE = the ceiling, on each database; beside it python-telegram-bot's
               default httpx transport under ``AIORateLimiter`` with ``asyncio.gather``.
(b) presses:   the same broadcast again while ``--presses`` "Đã đọc" presses arrive through the
               webhook from ``--users`` concurrent virtual users, in a process of their own (each is a
               person pressing their own buttons: presses, waits for the answer, presses the next;
               Telegram delivers one chat's updates in order): every press stored? answer latency p50/p99, presses a
               second, and what the broadcast kept of its ceiling meanwhile.

    python bench/scale.py --messages 20000 --rate 1000 --latency-ms 50 --presses 10000 --users 50

PostgreSQL: ``--postgres postgresql://postgres@127.0.0.1:5432`` (a database is created for each
run and dropped after); without it only SQLite is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import make_url
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.db.migrate import upgrade
from bot.db.models import Ack, Campaign, ChannelIdentity, Delivery, Section, Staff
from bot.domain.actions import Ack as AckAction
from bot.domain.enums import CampaignStatus, Channel, DeliveryKind, DeliveryStatus
from bot.runtime import SAMPLE_DOCUMENT, Runtime, RuntimeOptions
from bot.sandbox import DEFAULT_TOKEN, SandboxClient
from bot.services import campaigns, deliveries, documents
from bot.services.document_files import read_document
from bot.settings import load_settings
from bot.web.app import TELEGRAM_WEBHOOK_PATH, build_app

sys.path.insert(0, str(Path(__file__).resolve().parent))
from outbox import free_port  # noqa: E402  (the sibling bench's helpers)

SECRET = "bench-webhook-secret"


# --- the sandbox in its own process ---------------------------------------------------------------


@asynccontextmanager
async def sandbox_process(rate: float, latency_ms: float) -> AsyncIterator[tuple[SandboxClient, list[str]]]:
    port = free_port()
    command = [sys.executable, "-m", "bot.sandbox", "--port", str(port), "--latency-ms", str(latency_ms),
               "--overall-rate", str(rate), "--per-chat-rate", "1"]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL,
                                                   stderr=asyncio.subprocess.DEVNULL)
    try:
        async with SandboxClient(f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    await client.knobs()
                    break
                except Exception:  # noqa: BLE001 - not listening yet
                    await asyncio.sleep(0.1)
            yield client, command[1:]
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 10)


# --- databases --------------------------------------------------------------------------------------


@asynccontextmanager
async def database(kind: str, postgres: str | None, folder: str) -> AsyncIterator[str]:
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{Path(folder) / f'{uuid.uuid4().hex[:8]}.db'}"
        await asyncio.to_thread(upgrade, url)
        yield url
        return
    import asyncpg

    assert postgres is not None
    admin = make_url(postgres).set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"scale_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = make_url(postgres).set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    try:
        await asyncio.to_thread(upgrade, url)
        yield url
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


async def started_users(client: SandboxClient, count: int) -> list[int]:
    ids: list[int] = []
    for start in range(0, count, 200):
        made = await asyncio.gather(*(client.create_user(first_name=f"U{i}", started=True)
                                      for i in range(start, min(count, start + 200))))
        ids += [int(u["id"]) for u in made]
    return ids


async def add_people(runtime: Runtime, chat_ids: list[int], now: dt.datetime, prefix: str) -> list[int]:
    assert runtime.sessions is not None
    async with runtime.sessions() as session, session.begin():
        staff_ids = list((await session.scalars(
            insert(Staff).returning(Staff.id, sort_by_parameter_order=True),
            [{"full_name": f"{prefix} {n}", "roles": "staff", "active": True, "created_at": now, "updated_at": now}
             for n in range(len(chat_ids))],
        )).all())
        await session.execute(insert(ChannelIdentity), [
            {"staff_id": sid, "channel": Channel.TELEGRAM, "external_user_id": str(chat), "chat_id": str(chat),
             "reachable": True, "linked_at": now} for sid, chat in zip(staff_ids, chat_ids, strict=True)
        ])
    return staff_ids


async def queue_broadcast(runtime: Runtime, staff_ids: list[int], rounds: int, now: dt.datetime, tag: str) -> None:
    assert runtime.sessions is not None
    async with runtime.sessions() as session, session.begin():
        for k in range(1, rounds + 1):
            await deliveries.queue_message(session, source=f"notice:{tag}:{k}", kind=DeliveryKind.NOTICE,
                                           staff_ids=staff_ids, payload={"text": f"Tin {k}/{rounds}"},
                                           due_at=now, now=now)


def new_runtime(url: str, base: str, rate: float) -> Runtime:
    return Runtime(
        load_settings(database_url=url, send_rate=rate, telegram_token=None, zalo_token=None),
        telegram_token=DEFAULT_TOKEN, telegram_base_url=base,
        options=RuntimeOptions(polling=False, run_worker=False, run_scheduler=False, migrate=False,
                               set_commands=False),
    )


async def judge(client: SandboxClient, chat_ids: list[int], rounds: int, wall: float, ceiling: float,
                before: dict[str, Any], name: str) -> dict[str, Any]:
    chats = await client.chats()
    expected = {f"Tin {k}/{rounds}" for k in range(1, rounds + 1)}
    duplicates = missing = delivered = 0
    for chat_id in chat_ids:
        texts = [m["text"] for m in chats.get(str(chat_id), []) if m["sender"] == "bot" and m["text"] in expected]
        delivered += len(texts)
        duplicates += len(texts) - len(set(texts))
        missing += len(expected - set(texts))
    stats = await client.get_stats()
    total = len(chat_ids) * rounds
    refused = stats["too_many_requests"] - before["too_many_requests"]
    return {
        "method": name,
        "messages": total,
        "delivered": delivered,
        "lost": missing,
        "duplicates": duplicates,
        "seconds": round(wall, 2),
        "msg_per_s": round(delivered / wall, 1),
        "of_ceiling": round(delivered / wall / ceiling, 3),
        "answers_429": refused,
        "answers_429_share": round(refused / total, 4),
    }


async def wait_sent(client: SandboxClient, target: int, timeout: float) -> float:
    began = time.perf_counter()
    while time.perf_counter() - began < timeout:
        if (await client.get_stats())["messages_sent"] >= target:
            break
        await asyncio.sleep(0.05)
    return time.perf_counter() - began


# --- (a) the broadcast through the outbox -----------------------------------------------------------


async def bench_outbox(client: SandboxClient, url: str, kind: str, args: argparse.Namespace,
                       presses: int = 0) -> dict[str, Any]:
    await client.reset()
    people = math.ceil(args.messages / args.rounds)
    chat_ids = await started_users(client, people)
    runtime = new_runtime(url, client.telegram_base_url(), args.rate)
    await runtime.start()
    press_part: dict[str, Any] | None = None
    runner: web.AppRunner | None = None
    try:
        assert runtime.sessions is not None and runtime.worker is not None
        now = runtime.clock.now()
        pressing = None
        if presses:
            pressing = await prepare_presses(client, runtime, now, presses)
            port = free_port()
            runner = web.AppRunner(build_app(runtime, SECRET))
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", port).start()
            await runtime.telegram.bot.set_webhook(f"http://127.0.0.1:{port}{TELEGRAM_WEBHOOK_PATH}",  # type: ignore[union-attr]
                                                   secret_token=SECRET)
        staff_ids = await add_people(runtime, chat_ids, now, "Người")
        await queue_broadcast(runtime, staff_ids, args.rounds, now, "bench")
        before = await client.get_stats()
        total = people * args.rounds
        cpu = time.process_time()
        began = time.perf_counter()
        worker = asyncio.create_task(runtime.worker.run())
        runtime.worker.wake()
        if pressing is not None:
            # the virtual users press from a process of their own, as people do from their phones
            pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
            press_task = asyncio.get_running_loop().run_in_executor(
                pool, press_in_process, client.url, pressing["wanted"], pressing["message_ids"], args.users)
        wall = await wait_sent(client, before["messages_sent"] + total, total * 2 / args.rate + 120)
        cpu_used = time.process_time() - cpu
        if pressing is not None:
            press_part = await press_task
            pool.shutdown()
            press_part["stored"] = await stored_acks(runtime, pressing["campaign_id"])
        runtime.worker.stop()
        await worker
        name = f"outbox on {kind} (SEND_RATE={args.rate:g})" + (", with presses" if presses else "")
        result = await judge(client, chat_ids, args.rounds, wall, args.rate, before, name)
        result["bot_cpu_share_of_wall"] = round(cpu_used / wall, 2)
        result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        if press_part is not None:
            result["presses"] = press_part
        return result
    finally:
        if runner is not None:
            await runner.cleanup()
        await runtime.stop()


# --- (b) presses through the webhook --------------------------------------------------------------


async def prepare_presses(client: SandboxClient, runtime: Runtime, now: dt.datetime, presses: int) -> dict[str, Any]:
    """A campaign of the sample regulation, open, whose every section has reached enough people
    (rows marked sent) for ``presses`` distinct presses; one bot message in each of their chats
    to press the buttons on."""
    assert runtime.sessions is not None and runtime.telegram is not None
    async with runtime.sessions() as session, session.begin():
        document = (await documents.import_document(session, read_document(SAMPLE_DOCUMENT), now,
                                                    source_name="bench")).document
        ordinals = list((await session.scalars(select(Section.ordinal).where(Section.document_id == document.id)
                                                .order_by(Section.ordinal))).all())
    people = math.ceil(presses / len(ordinals))
    chat_ids = await started_users(client, people)
    staff_ids = await add_people(runtime, chat_ids, now, "Người đọc")
    async with runtime.sessions() as session, session.begin():
        today = now.astimezone(runtime.settings.tz).date()
        campaign = (await campaigns.create_campaign(session, document_id=document.id, decided_on=today,
                                                     start_on=today, days=20, now=now,
                                                     tz=runtime.settings.timezone)).campaign
        await session.execute(update(Campaign).where(Campaign.id == campaign.id).values(status=CampaignStatus.ACTIVE))
        sections = dict((await session.execute(select(Section.ordinal, Section.id)
                                               .where(Section.document_id == document.id))).all())
        await session.execute(insert(Delivery), [
            {"source": deliveries.campaign_source(campaign.id), "kind": DeliveryKind.SECTION,
             "campaign_id": campaign.id, "staff_id": sid, "section_id": sections[o], "item": o, "due_at": now,
             "status": DeliveryStatus.SENT, "chunk_index": 1, "chunk_count": 1, "attempts": 0, "created_at": now,
             "sent_at": now, "channel": Channel.TELEGRAM, "chat_id": str(chat)}
            for sid, chat in zip(staff_ids, chat_ids, strict=True) for o in ordinals
        ])
        campaign_id = campaign.id
    bot = runtime.telegram.bot
    message_ids = {}
    for chat in chat_ids:  # one message per chat to press on (sent before the broadcast starts)
        message_ids[chat] = (await bot.send_message(chat, "Điều cần đọc")).message_id
    wanted = [(chat, AckAction(campaign_id, o).encode()) for chat in chat_ids for o in ordinals][:presses]
    return {"campaign_id": campaign_id, "wanted": wanted, "message_ids": message_ids,
            "setup_messages": len(chat_ids)}


def press_in_process(url: str, wanted: list[tuple[int, str]], message_ids: dict[int, int], users: int) -> dict[str, Any]:
    async def run() -> dict[str, Any]:
        async with SandboxClient(url) as client:
            return await press_all(client, {"wanted": wanted, "message_ids": message_ids}, users)

    return asyncio.run(run())


async def press_all(client: SandboxClient, pressing: dict[str, Any], users: int) -> dict[str, Any]:
    wanted: list[tuple[int, str]] = pressing["wanted"]
    # A virtual user is a person: their own buttons, one after another. Telegram delivers one
    # chat's updates in order, one at a time, so users pressing in one chat would queue behind
    # each other there, which no one person can do.
    people: dict[int, list[str]] = {}
    for chat, data in wanted:
        people.setdefault(chat, []).append(data)
    queue = asyncio.Queue[tuple[int, list[str]]]()
    for item in people.items():
        queue.put_nowait(item)
    latencies: list[float] = []
    failures = 0

    async def user() -> None:
        nonlocal failures
        while not queue.empty():
            chat, buttons = queue.get_nowait()
            for data in buttons:
                began = time.perf_counter()
                try:
                    record = await client.press_button(chat, pressing["message_ids"][chat], data, check=False)
                    answer = await client.wait_for_answer(record["id"], timeout=30)
                    if not answer.get("answered"):
                        failures += 1
                except Exception:  # noqa: BLE001 - counted, the bench goes on
                    failures += 1
                    continue
                latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(user() for _ in range(users)))
    wall = time.perf_counter() - began
    latencies.sort()

    def pct(p: float) -> float | None:
        return round(latencies[min(len(latencies) - 1, int(len(latencies) * p))] * 1000, 1) if latencies else None

    return {"presses": len(wanted), "virtual_users": users, "answered": len(latencies), "failures": failures,
            "seconds": round(wall, 2), "presses_per_s": round(len(latencies) / wall, 1),
            "answer_ms_p50": pct(0.5), "answer_ms_p99": pct(0.99)}


async def stored_acks(runtime: Runtime, campaign_id: int) -> int:
    assert runtime.sessions is not None
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count(Ack.id)).where(Ack.campaign_id == campaign_id)) or 0)


# --- the peer: python-telegram-bot's own transport under AIORateLimiter ------------------------------


async def bench_gather(client: SandboxClient, args: argparse.Namespace) -> dict[str, Any]:
    await client.reset()
    people = math.ceil(args.peer_messages / args.rounds)
    chat_ids = await started_users(client, people)
    request = HTTPXRequest(connection_pool_size=256, pool_timeout=120)
    limiter = AIORateLimiter(overall_max_rate=args.rate, overall_time_period=1, group_max_rate=20,
                             max_retries=10)
    bot = ExtBot(DEFAULT_TOKEN, base_url=client.telegram_base_url(), request=request, rate_limiter=limiter)
    before = await client.get_stats()
    async with bot:
        began = time.perf_counter()
        outcomes = await asyncio.gather(*(
            bot.send_message(chat_id, f"Tin {k}/{args.rounds}")
            for k in range(1, args.rounds + 1) for chat_id in chat_ids
        ), return_exceptions=True)
        wall = time.perf_counter() - began
    result = await judge(client, chat_ids, args.rounds, wall, args.rate, before,
                         f"python-telegram-bot (httpx) asyncio.gather under AIORateLimiter({args.rate:g}/s)")
    result["gave_up"] = sum(1 for o in outcomes if isinstance(o, BaseException))
    result["gave_up_on_429"] = sum(1 for o in outcomes if isinstance(o, RetryAfter))
    return result


# --- main -----------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {"command": " ".join(["python", *sys.argv]), "loadavg_before": loadavg(),
                              "cpus": os.cpu_count()}
    kinds = ["sqlite"] + (["postgresql"] if args.postgres else [])
    async with sandbox_process(args.rate, args.latency_ms) as (client, sandbox):
        report["sandbox"] = " ".join(sandbox)
        with tempfile.TemporaryDirectory() as folder:
            if "broadcast" in args.only:
                report["broadcast"] = []
                for kind in kinds:
                    async with database(kind, args.postgres, folder) as url:
                        report["broadcast"].append(await bench_outbox(client, url, kind, args))
                if not args.no_peers:
                    report["broadcast"].append(await bench_gather(client, args))
            if "presses" in args.only:
                report["presses"] = []
                for kind in kinds:
                    async with database(kind, args.postgres, folder) as url:
                        report["presses"].append(await bench_outbox(client, url, kind, args, presses=args.presses))
    report["loadavg_after"] = loadavg()
    print(json.dumps(report, ensure_ascii=False, indent=2))


def loadavg() -> str:
    """The machine's load average, printed beside each figure (a shared machine moves them)."""
    try:
        return Path("/proc/loadavg").read_text().strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=4, help="messages to each person")
    parser.add_argument("--rate", type=float, default=1000.0, help="the sandbox's ceiling and SEND_RATE")
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--presses", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=50, help="virtual users pressing at once")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--only", nargs="+", default=["broadcast", "presses"], choices=["broadcast", "presses"])
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument("--peer-messages", type=int, default=5_000,
                        help="the peer's broadcast: 20,000 coroutines under AIORateLimiter spend minutes of CPU "
                             "in the limiter and httpx, so it sends fewer")
    from bot.runtime import run_event_loop

    run_event_loop(main(parser.parse_args()))
