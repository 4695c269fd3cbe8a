"""The send budget alone, on the real clock at a fast pace: spacing per chat, priority, pauses."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest

from bot.outbox.budget import Priority, SendBudget, Stopped


async def times_of(budget: SendBudget, chats: list[str], priority: Priority = Priority.DELIVERY) -> list[tuple[str, float]]:
    began = time.monotonic()
    out: list[tuple[str, float]] = []

    async def take(chat: str) -> None:
        await budget.acquire(chat, priority)
        out.append((chat, time.monotonic() - began))

    await asyncio.gather(*(take(c) for c in chats))
    await budget.close()
    return out


async def test_messages_due_to_one_chat_at_once_are_spaced_in_order() -> None:
    budget = SendBudget(1000, chat_rate=10, chat_burst=1)
    granted = await times_of(budget, ["a", "a", "a", "b"])
    a_times = [t for chat, t in granted if chat == "a"]
    assert [t2 - t1 >= 0.09 for t1, t2 in itertools.pairwise(a_times)] == [True, True]
    assert next(t for chat, t in granted if chat == "b") < 0.05  # another chat does not wait for them


async def test_a_reply_takes_the_next_turn_before_waiting_deliveries() -> None:
    budget = SendBudget(10, burst=1, chat_rate=0)
    order: list[str] = []

    async def take(name: str, priority: Priority) -> None:
        await budget.acquire(name, priority)
        order.append(name)

    waiting = [asyncio.create_task(take(f"d{i}", Priority.DELIVERY)) for i in range(5)]
    await asyncio.sleep(0.15)  # one or two deliveries went
    await take("reply", Priority.REPLY)
    await asyncio.gather(*waiting)
    await budget.close()
    assert order.index("reply") <= 3 and len(order) == 6


async def test_a_429_on_one_chat_pauses_that_chat_only() -> None:
    budget = SendBudget(1000, chat_rate=0)
    budget.retry_after("a", 0.5)
    granted = dict(await times_of(budget, ["a", "b"]))
    assert granted["b"] < 0.1
    assert granted["a"] >= 0.45


async def test_429s_on_several_chats_at_once_pause_everything() -> None:
    budget = SendBudget(1000, chat_rate=0)
    for chat in ("a", "b", "c"):
        budget.retry_after(chat, 0.3)
    granted = dict(await times_of(budget, ["d"]))
    assert granted["d"] >= 0.25


async def test_a_refused_token_sends_deliveries_back_and_holds_replies_until_resumed() -> None:
    budget = SendBudget(1000, chat_rate=0)
    budget.stop()
    with pytest.raises(Stopped):
        await budget.acquire("a", Priority.DELIVERY)
    reply = asyncio.create_task(budget.acquire("a", Priority.REPLY))
    await asyncio.sleep(0.1)
    assert not reply.done()
    budget.resume()
    await asyncio.wait_for(reply, 1)
    await budget.close()
