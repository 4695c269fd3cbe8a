"""Several ``congkhai run`` on one PostgreSQL database against the 1,000 msg/s sandbox; prints JSON.

For 1, 2 and 4 processes (``--processes``): ``--messages`` notices queued at once, sent by the
processes together. Each process runs ``congkhai run --webhook`` (its own web server; the
sandbox's webhook points at the last one started) with SEND_RATE = the sandbox's ceiling: the
processes share it (each sends at SEND_RATE / live processes). Then, with ``--kill`` processes,
the scheduler's leader is killed (SIGKILL) midway: how soon another process leads, whether
everything still arrives, and how many messages arrive twice (the killed process's sends in
flight: they are sent again when their lease ends).

    python bench/processes.py --postgres postgresql://postgres@127.0.0.1:5432 --messages 20000 --processes 1 2 4 --kill 2
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.db.engine import create_engine, session_factory
from bot.db.models import Delivery
from bot.domain.enums import DeliveryStatus
from bot.sandbox import DEFAULT_TOKEN, SandboxClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from outbox import free_port  # noqa: E402
from scale import add_people, database, judge, loadavg, queue_broadcast, sandbox_process, started_users  # noqa: E402

LEADS = "this process now runs the scheduler"


class Bot:
    """One ``congkhai run --webhook`` process, its log in a file."""

    def __init__(self, url: str, base: str, rate: float, folder: str, index: int) -> None:
        self.port = free_port()
        self.log = Path(folder) / f"bot{index}.log"
        self.env = {
            **os.environ,
            "CONGKHAI_DATABASE_URL": url, "CONGKHAI_TELEGRAM_TOKEN": DEFAULT_TOKEN,
            "CONGKHAI_TELEGRAM_API_BASE": base, "CONGKHAI_SEND_RATE": str(rate),
            "CONGKHAI_WEB_PORT": str(self.port), "CONGKHAI_WEBHOOK_URL": f"http://127.0.0.1:{self.port}",
            "CONGKHAI_WEBHOOK_SECRET": "bench-webhook-secret-0123456789", "CONGKHAI_SECRET_KEY": "bench",
        }
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        congkhai = Path(sys.executable).parent / "congkhai"
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(str(congkhai), "run", "--webhook", env=self.env,
                                                                stdout=out, stderr=out)

    async def ready(self, timeout: float = 60.0) -> None:
        began = time.perf_counter()
        async with aiohttp.ClientSession() as http:
            while time.perf_counter() - began < timeout:
                try:
                    async with http.get(f"http://127.0.0.1:{self.port}/health") as response:
                        if response.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"the bot did not start: {self.log.read_text()[-2000:]}")

    def leads_at(self) -> float | None:
        """When this process took the lead (the wall clock of its log line), if it did."""
        for line in self.log.read_text(errors="replace").splitlines():
            if LEADS in line:
                stamp = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                return stamp.timestamp()
        return None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is None or self.process.returncode is not None:
            return
        self.process.terminate()
        try:
            await asyncio.wait_for(self.process.wait(), 20)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


async def run_once(client: SandboxClient, postgres: str, folder: str, args: argparse.Namespace, count: int,
                   kill: bool) -> dict[str, Any]:
    await client.reset()
    people = math.ceil(args.messages / args.rounds)
    chat_ids = await started_users(client, people)
    bots: list[Bot] = []
    async with database("postgresql", postgres, folder) as url:
        engine = create_engine(url)
        try:
            shim = SimpleNamespace(sessions=session_factory(engine), settings=SimpleNamespace(database_url=url))
            now = dt.datetime.now(dt.UTC)
            staff_ids = await add_people(shim, chat_ids, now, "Người")  # type: ignore[arg-type]
            for index in range(count):
                bot = Bot(url, client.telegram_base_url(), args.rate, folder, index)
                await bot.start()
                await bot.ready()
                bots.append(bot)
            await asyncio.sleep(3)  # every process has counted the others (every 2 s)
            before = await client.get_stats()
            total = people * args.rounds
            began = time.perf_counter()
            await queue_broadcast(shim, staff_ids, args.rounds, now, "processes")  # type: ignore[arg-type]
            killed: dict[str, Any] | None = None
            if kill:
                while (await client.get_stats())["messages_sent"] - before["messages_sent"] < total * 0.4:
                    await asyncio.sleep(0.05)
                leader = next(b for b in bots if b.leads_at() is not None)
                killed_at = time.time()
                leader.kill()
                killed = {"killed_after_messages": (await client.get_stats())["messages_sent"] - before["messages_sent"]}
                for _ in range(200):
                    taken = [b.leads_at() for b in bots if b is not leader and b.leads_at() is not None]
                    if taken:
                        killed["new_leader_after_seconds"] = round(max(0.0, min(taken) - killed_at), 2)
                        break
                    await asyncio.sleep(0.1)
            timeout = total / args.rate * 4 + (120 if kill else 60)
            while time.perf_counter() - began < timeout:
                if (await client.get_stats())["messages_sent"] - before["messages_sent"] >= total:
                    if not kill or not await pending(shim):
                        break
                await asyncio.sleep(0.05)
            wall = time.perf_counter() - began
            result = await judge(client, chat_ids, args.rounds, wall, args.rate, before,
                                 f"{count} × congkhai run on PostgreSQL" + (", leader killed midway" if kill else ""))
            if killed is not None:
                result.update(killed)
                result["note"] = ("the killed process's claimed rows come back after the lease (60 s): the "
                                  "seconds include that wait; duplicates are its sends in flight")
            return result
        finally:
            for bot in bots:
                await bot.stop()
            await engine.dispose()


async def pending(shim: Any) -> int:
    async with shim.sessions() as session:
        return int(await session.scalar(select(func.count(Delivery.id)).where(
            Delivery.status == DeliveryStatus.PENDING)) or 0)


async def main(args: argparse.Namespace) -> None:
    report: dict[str, Any] = {"command": " ".join(["python", *sys.argv]), "loadavg_before": loadavg(),
                              "cpus": os.cpu_count(), "runs": []}
    async with sandbox_process(args.rate, args.latency_ms) as (client, sandbox):
        report["sandbox"] = " ".join(sandbox)
        with tempfile.TemporaryDirectory() as folder:
            for count in args.processes:
                report["runs"].append(await run_once(client, args.postgres, folder, args, count, kill=False))
            if args.kill:
                report["runs"].append(await run_once(client, args.postgres, folder, args, args.kill, kill=True))
    report["loadavg_after"] = loadavg()
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", required=True, help="a PostgreSQL server URL (a database is created and dropped)")
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--kill", type=int, default=2, help="processes in the run whose leader is killed (0: none)")
    asyncio.run(main(parser.parse_args()))
