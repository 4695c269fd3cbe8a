"""Several ``congkhai run`` on one PostgreSQL database (DESIGN.md §8): who runs the scheduler,
and how many processes share the messenger's overall limit.

Each process keeps one connection of its own open (autocommit) and holds on it:

- a shared advisory lock (``SPACE``, ``MEMBER``): the live processes are the holders of that
  lock, counted in ``pg_locks``. A process that ends, or is killed, loses its connection and
  with it the lock, at once (a machine that vanishes without closing its sockets: when
  PostgreSQL's TCP keepalive gives up on it);
- for one of them, the exclusive advisory lock (``SPACE``, ``LEADER``): that process runs the
  scheduler's tick. The others try to take it on every :meth:`Cluster.refresh`, so a leader
  that dies is replaced within one refresh interval.

SQLite is one process: it is always the leader, alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

SPACE = 0x636C  # this application's advisory-lock namespace ("cl")
MEMBER = 1
LEADER = 2

_LIVE = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
    "AND classid = :space AND objid = :member AND objsubid = 2"
)


@dataclass(frozen=True)
class Standing:
    leader: bool
    live: int  # processes serving this database, this one included


class Cluster:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._conn: AsyncConnection | None = None
        self.leader = not self.postgres
        self.live = 1

    async def refresh(self) -> Standing:
        """Join (again, after a lost connection), try to lead, count the live processes."""
        if not self.postgres:
            return Standing(True, 1)
        try:
            conn = await self._connection()
            if not self.leader:
                self.leader = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:space, :leader)"),
                                                     {"space": SPACE, "leader": LEADER}))
                if self.leader:
                    log.info("this process now runs the scheduler")
            self.live = max(1, int(await conn.scalar(_LIVE, {"space": SPACE, "member": MEMBER}) or 1))
        except Exception as error:  # noqa: BLE001 - the database is away: lead nothing, count on being alone
            log.warning("cluster standing unknown: %s", type(error).__name__)
            await self._drop()
        return Standing(self.leader, self.live)

    async def _connection(self) -> AsyncConnection:
        if self._conn is None:
            conn = await self.engine.connect()
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("SELECT pg_advisory_lock_shared(:space, :member)"),
                               {"space": SPACE, "member": MEMBER})
            self._conn = conn
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self.leader, self.live = False, 1
        if conn is not None:
            try:
                await conn.invalidate()  # closed, not pooled: the session, and every lock it held, ends
                await conn.close()
            except Exception:  # noqa: BLE001 - already gone
                pass

    async def close(self) -> None:
        """Leave: the locks go with the connection."""
        await self._drop()
        self.leader = not self.postgres
