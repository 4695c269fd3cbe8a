"""The outbox against Telegram's limits, with its peers in the same run; prints JSON.

The sandbox runs in its own process with Telegram's flood control (30 msg/s overall, 1 msg/s
per chat with short bursts, 429 with retry_after) and 100 ms of latency on every call.

(a) start:     N people send ``/start <code>`` at once; when is each answered, is any reply lost?
(b) broadcast: 4 messages to each of N people at SEND_RATE=30, through the outbox; beside it a
               sequential python-telegram-bot loop, and asyncio.gather under PTB's AIORateLimiter.

    python bench/outbox.py --people 300 --latency-ms 100
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.db.migrate import upgrade
from bot.db.models import ChannelIdentity, Staff
from bot.domain.enums import Channel, DeliveryKind
from bot.domain.roster import parse_table
from bot.runtime import SAMPLE_DOCUMENT, Runtime, RuntimeOptions
from bot.sandbox import DEFAULT_TOKEN, SandboxClient
from bot.services import campaigns, deliveries, documents, roster
from bot.services.document_files import read_document
from bot.settings import load_settings

CEILING = 30.0  # Telegram's overall limit, messages a second
ROUNDS = 4
FAMILIES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ")
MIDDLES = ("Văn", "Thị", "Hữu", "Minh", "Thanh", "Quốc", "Ngọc", "Đức", "Thu", "Kim")
GIVEN = ("An", "Bình", "Cường", "Dung", "Giang", "Hà", "Khoa", "Lan", "Minh", "Nga")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def names(count: int) -> list[str]:
    return [f"{f} {m} {g}" for f in FAMILIES for m in MIDDLES for g in GIVEN][:count]


async def new_database(folder: str, name: str) -> str:
    url = f"sqlite+aiosqlite:///{Path(folder) / name}"
    await asyncio.to_thread(upgrade, url)
    return url


def new_runtime(url: str, base: str, *, send_rate: float, scheduler: bool = False) -> Runtime:
    return Runtime(
        load_settings(database_url=url, send_rate=send_rate, telegram_token=None, zalo_token=None),
        telegram_token=DEFAULT_TOKEN, telegram_base_url=base,
        options=RuntimeOptions(polling=True, run_worker=True, run_scheduler=scheduler, migrate=False, set_commands=False),
    )


async def wait_for(client: SandboxClient, want: Callable[[dict[str, Any]], bool], timeout: float,
                   seen: Callable[[dict[str, Any], float], None], began: float) -> float:
    """Poll the sandbox's counters (messages per chat, cheap to read) every 100 ms until ``want``;
    ``seen`` is told the seconds since ``began``."""
    while time.perf_counter() - began < timeout:
        stats = await client.get_stats()
        seen(stats, time.perf_counter() - began)
        if want(stats):
            break
        await asyncio.sleep(0.1)
    return time.perf_counter() - began


def bot_texts(chats: dict[str, list[dict[str, Any]]]) -> dict[str, list[str]]:
    return {chat: [m["text"] for m in messages if m["sender"] == "bot"] for chat, messages in chats.items()}


# --- (a) start ------------------------------------------------------------------------------------


async def bench_start(client: SandboxClient, folder: str, people: int, send_rate: float) -> dict[str, Any]:
    await client.reset()
    url = await new_database(folder, "start.db")
    runtime = new_runtime(url, client.telegram_base_url(), send_rate=send_rate, scheduler=True)
    await runtime.start()
    try:
        assert runtime.sessions is not None and runtime.worker is not None
        now = runtime.clock.now()
        codes: dict[str, str] = {}
        async with runtime.sessions() as session, session.begin():
            table = [["Họ và tên", "Đơn vị", "Chức vụ", "Số điện thoại", "Vai trò"]] + [
                [name, "Văn phòng", "Chuyên viên", f"09130{i:05d}", ""] for i, name in enumerate(names(people))
            ]
            await roster.import_roster(session, parse_table(table), now)
            for issued in await roster.issue_invites(session, now):
                codes[issued.staff.full_name] = issued.code
            outcome = await documents.import_document(session, read_document(SAMPLE_DOCUMENT), now, source_name="bench")
            today = now.astimezone(runtime.settings.tz).date()
            await campaigns.create_campaign(session, document_id=outcome.document.id, decided_on=today, start_on=today,
                                            days=20, now=now, tz=runtime.settings.timezone)
        users = [await client.create_user(first_name=name.split()[-1]) for name in codes]
        before = await client.get_stats()
        answered: dict[str, float] = {}

        def seen(stats: dict[str, Any], at: float) -> None:
            for chat, count in stats["per_chat"].items():
                if count and chat not in answered:
                    answered[chat] = at

        queued: list[float] = []  # when each reply was handed to the outbox
        reply = runtime.worker.reply

        async def timed_reply(*args: Any) -> None:
            queued.append(time.perf_counter() - began)
            await reply(*args)

        runtime.worker.reply = timed_reply  # type: ignore[method-assign]
        cpu = time.process_time()
        began = time.perf_counter()
        await asyncio.gather(*(client.send_text(u["id"], f"/start {code}") for u, code in zip(users, codes.values(), strict=True)))
        sent_in = time.perf_counter() - began
        await wait_for(client, lambda stats: len(answered) >= people, 60, seen, began)
        sent_by_then = (await client.get_stats())["messages_sent"] - before["messages_sent"]
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        await asyncio.sleep(1.0)  # what else goes out right after (sections due to the newcomers)
        stats = await client.get_stats()
        async with runtime.sessions() as session:
            linked = len((await session.scalars(select(ChannelIdentity.id))).all())
        times = sorted(answered.values())
        return {
            "people": people,
            "linked": linked,
            "answered": len(answered),
            "replies_lost": people - len(answered) + runtime.worker.stats.replies_lost,
            "seconds_to_send_all_start_commands": round(sent_in, 2),
            "answer_seconds_p50": round(times[len(times) // 2], 2) if times else None,
            "answer_seconds_p95": round(times[int(len(times) * 0.95) - 1], 2) if times else None,
            "answer_seconds_max": round(times[-1], 2) if times else None,
            "messages_sent_until_the_last_answer": sent_by_then,
            "last_reply_queued_seconds": round(max(queued), 2) if queued else None,
            "bot_cpu_share_of_wall": round(cpu / wall, 2),  # this process: the bot and the bench's polling
            "budget_grants_by_then": runtime.worker.budgets[Channel.TELEGRAM].granted,
            "all_answered_within_12s": len(answered) == people and times[-1] <= 12.0,
            "answers_429": stats["too_many_requests"] - before["too_many_requests"],
            "replies_retried_after_429": runtime.worker.stats.replies_rate_limited,
        }
    finally:
        await runtime.stop()


# --- (b) broadcast ----------------------------------------------------------------------------------


async def started_users(client: SandboxClient, people: int) -> list[int]:
    await client.reset()
    return [int((await client.create_user(first_name=f"U{i}", started=True))["id"]) for i in range(people)]


async def judge(client: SandboxClient, chat_ids: list[int], wall: float, name: str) -> dict[str, Any]:
    chats = bot_texts(await client._call("GET", "/chats"))
    expected = [f"Tin {k}/{ROUNDS}" for k in range(1, ROUNDS + 1)]
    out_of_order = duplicates = missing = 0
    for chat_id in chat_ids:
        texts = chats.get(str(chat_id), [])
        duplicates += len(texts) - len(set(texts))
        missing += len(set(expected) - set(texts))
        firsts = list(dict.fromkeys(texts))
        out_of_order += sum(1 for a, b in itertools.pairwise(firsts) if expected.index(a) > expected.index(b))
    stats = await client.get_stats()
    total = len(chat_ids) * ROUNDS
    delivered = sum(len(chats.get(str(c), [])) for c in chat_ids)
    return {
        "method": name,
        "messages": total,
        "delivered": delivered,
        "missing": missing,
        "seconds": round(wall, 2),
        "msg_per_s": round(delivered / wall, 1),
        "of_ceiling": round(delivered / wall / CEILING, 3),
        "answers_429": stats["too_many_requests"],
        "answers_429_share": round(stats["too_many_requests"] / total, 4),
        "out_of_order": out_of_order,
        "duplicates": duplicates,
    }


async def bench_outbox(client: SandboxClient, folder: str, people: int, send_rate: float) -> dict[str, Any]:
    chat_ids = await started_users(client, people)
    url = await new_database(folder, "broadcast.db")
    runtime = new_runtime(url, client.telegram_base_url(), send_rate=send_rate)
    runtime.options.polling = False
    await runtime.start()
    try:
        assert runtime.sessions is not None and runtime.worker is not None
        now = runtime.clock.now()
        async with runtime.sessions() as session, session.begin():
            staff_ids = []
            for index, chat_id in enumerate(chat_ids):
                person = Staff(full_name=f"Người {index}", roles="staff", active=True, created_at=now, updated_at=now)
                session.add(person)
                await session.flush()
                session.add(ChannelIdentity(staff_id=person.id, channel=Channel.TELEGRAM, external_user_id=str(chat_id),
                                            chat_id=str(chat_id), linked_at=now))
                staff_ids.append(person.id)
            for k in range(1, ROUNDS + 1):
                await deliveries.queue_message(session, source=f"notice:bench:{k}", kind=DeliveryKind.NOTICE,
                                               staff_ids=staff_ids, payload={"text": f"Tin {k}/{ROUNDS}"},
                                               due_at=now, now=now)
        total = people * ROUNDS
        began = time.perf_counter()
        runtime.worker.wake()
        while (await client.get_stats())["messages_sent"] < total and time.perf_counter() - began < total:
            await asyncio.sleep(0.05)
        wall = time.perf_counter() - began
        result = await judge(client, chat_ids, wall, f"outbox (SEND_RATE={send_rate:g})")
        burst = runtime.worker.budgets[Channel.TELEGRAM].burst
        result["limiter"] = f"aiolimiter AsyncLimiter, {send_rate:g}/s in bursts of {burst:g}, plus 1 msg/s per chat"
        return result
    finally:
        await runtime.stop()


async def bench_sequential(client: SandboxClient, people: int) -> dict[str, Any]:
    chat_ids = await started_users(client, people)
    async with Bot(DEFAULT_TOKEN, base_url=client.telegram_base_url()) as bot:
        began = time.perf_counter()
        for k in range(1, ROUNDS + 1):
            for chat_id in chat_ids:
                await send_retrying(lambda c=chat_id, k=k: bot.send_message(c, f"Tin {k}/{ROUNDS}"))
        wall = time.perf_counter() - began
    return await judge(client, chat_ids, wall, "python-telegram-bot, one await after another")


async def send_retrying(send: Callable[[], Awaitable[Any]]) -> None:
    while True:
        try:
            await send()
            return
        except RetryAfter as error:
            retry = error.retry_after
            await asyncio.sleep(retry.total_seconds() if isinstance(retry, dt.timedelta) else float(retry))


async def bench_gather(client: SandboxClient, people: int) -> dict[str, Any]:
    chat_ids = await started_users(client, people)
    request = HTTPXRequest(connection_pool_size=128, pool_timeout=60)
    bot = ExtBot(DEFAULT_TOKEN, base_url=client.telegram_base_url(), request=request,
                 rate_limiter=AIORateLimiter(max_retries=10))
    async with bot:
        began = time.perf_counter()
        await asyncio.gather(*(
            bot.send_message(chat_id, f"Tin {k}/{ROUNDS}") for k in range(1, ROUNDS + 1) for chat_id in chat_ids
        ))
        wall = time.perf_counter() - began
    return await judge(client, chat_ids, wall, "asyncio.gather under PTB's AIORateLimiter (max_retries=10)")


# --- main ------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> None:
    port = free_port()
    command = [sys.executable, "-m", "bot.sandbox", "--port", str(port), "--latency-ms", str(args.latency_ms),
               "--overall-rate", "30", "--per-chat-rate", "1"]
    sandbox = await asyncio.create_subprocess_exec(*command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    report: dict[str, Any] = {"command": " ".join(sys.argv), "sandbox": " ".join(command[1:])}
    try:
        async with SandboxClient(f"http://127.0.0.1:{port}") as client:
            for _ in range(200):
                try:
                    report["knobs"] = {k: v for k, v in (await client.knobs()).items()
                                       if k in ("latency_ms", "overall_rate", "overall_burst", "per_chat_rate", "per_chat_burst")}
                    break
                except Exception:  # noqa: BLE001 - not listening yet
                    await asyncio.sleep(0.1)
            with tempfile.TemporaryDirectory() as folder:
                if "start" in args.only:
                    report["start"] = await bench_start(client, folder, args.people, args.send_rate)
                if "broadcast" in args.only:
                    report["broadcast"] = [await bench_outbox(client, folder, args.people, args.send_rate)]
                    if not args.no_peers:
                        report["broadcast"].append(await bench_gather(client, args.people))
                        report["broadcast"].append(await bench_sequential(client, args.people))
    finally:
        sandbox.terminate()
        await asyncio.wait_for(sandbox.wait(), 10)
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=300)
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--send-rate", type=float, default=30.0, help="SEND_RATE: the outbox's overall limit")
    parser.add_argument("--only", nargs="+", default=["start", "broadcast"], choices=["start", "broadcast"])
    parser.add_argument("--no-peers", action="store_true", help="the outbox only, without the two peers")
    asyncio.run(main(parser.parse_args()))
