"""Group commit: many callers' small writes in one transaction.

A morning's broadcast brings many "Đã đọc" presses at once. Each alone is a handful
of statements and a commit; together, the same handful serves them all. A caller
hands in its item and waits until a transaction holding it has committed, so what it
answers afterwards is stored, exactly as if it had written alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Runs ``work(session, items)`` (a result for each item, in order) over whatever items
    arrived while the previous transaction ran, at most ``limit`` at a time.

    If a group fails, each of its items is tried again alone, so one bad item fails only
    its own caller."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        work: Callable[[AsyncSession, list[Item]], Awaitable[list[Result]]],
        limit: int = 200,
    ) -> None:
        self.sessions = sessions
        self.work = work
        self.limit = limit
        self.groups = 0  # transactions run, for the curious (tests, benchmarks)
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        await asyncio.sleep(0)  # the callers already on their way join the first group
        group: list[tuple[Item, asyncio.Future[Result]]] = []
        try:
            while self._waiting:
                group, self._waiting = self._waiting[: self.limit], self._waiting[self.limit :]
                group = [(item, future) for item, future in group if not future.done()]  # a caller gave up
                if group:
                    await self._commit_group(group)
        finally:  # stopped midway (shutdown): nobody is left waiting forever
            for _, future in group + self._waiting:
                if not future.done():
                    future.cancel()

    async def _commit_group(self, group: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._commit([item for item, _ in group])
        except Exception as error:  # noqa: BLE001 - handed to the callers
            if len(group) == 1:
                _settle(group[0][1], error=error)
                return
            log.warning("a group of %d writes failed (%s); each is tried alone", len(group), type(error).__name__)
            for item, future in group:
                try:
                    _settle(future, result=(await self._commit([item]))[0])
                except Exception as alone:  # noqa: BLE001
                    _settle(future, error=alone)
            return
        for (_, future), result in zip(group, results, strict=True):
            _settle(future, result=result)

    async def _commit(self, items: list[Item]) -> list[Result]:
        async with self.sessions() as session, session.begin():
            results = await self.work(session, items)
        self.groups += 1
        return results


def _settle(future: asyncio.Future[Result], *, result: Result | None = None, error: BaseException | None = None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)  # type: ignore[arg-type]
