"""Engine and session factory.

SQLite runs in WAL mode with foreign keys on, so that the delivery worker and the
update handlers can write side by side. Its statements run on the event loop's own
thread (``LoopSQLiteConnection``); PostgreSQL goes through asyncpg.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import sqlite3
import time
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.db import audit_chain  # noqa: F401 - every session chains the audit events it adds
from bot.db.cache import Cache

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT = 10.0  # seconds a write waits for another process's lock
_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_BUSY_RECOVERY)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for ``url`` with the settings each backend needs."""
    if is_sqlite(url):
        # One connection: SQLite has one writer at a time anyway, and queueing for the
        # connection in asyncio beats SQLite's busy-wait sleeps under concurrent handlers.
        if "poolclass" not in kwargs:
            kwargs.update(pool_size=1, max_overflow=0, pool_timeout=120)
        engine = create_async_engine(url, async_creator=partial(_connect_sqlite, make_url(url)), **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine.pool, "checkin", _wipe_wal_if_owed)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


class LoopSQLiteConnection(aiosqlite.Connection):
    """aiosqlite's connection with each call made on the event loop's thread.

    aiosqlite hands every call (cursor, execute, fetch, close, commit) to a worker
    thread and wakes the loop with the result: four hand-offs per statement, which
    cost far more CPU than the statement itself on a database this size. Here the
    call runs in place; only opening the connection uses aiosqlite's thread.

    The one wait SQLite can impose is a lock held by another process (a clerk's
    import, say). SQLite's own busy handler would sleep inside the call and stall
    every chat, so it is off (timeout 0) and a busy database is retried here with
    ``asyncio.sleep`` in between, up to ``busy_timeout`` seconds in all.
    """

    def __init__(self, connector: Any, busy_timeout: float) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self.busy_timeout = busy_timeout

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        deadline, pause = 0.0, 0.001
        while True:
            try:
                return fn(*args, **kwargs)
            except sqlite3.OperationalError as error:
                if error.sqlite_errorcode not in _BUSY:
                    raise
                now = time.monotonic()
                deadline = deadline or now + self.busy_timeout
                if now >= deadline:
                    raise
                await asyncio.sleep(min(pause, deadline - now))
                pause = min(pause * 2, 0.05)


def _connect_sqlite(url: URL) -> LoopSQLiteConnection:
    """The connection for ``url``, read the way SQLAlchemy's SQLite dialect reads it."""
    args, options = url.get_dialect()().create_connect_args(url)
    busy_timeout = float(options.pop("timeout", SQLITE_BUSY_TIMEOUT))
    options.update(timeout=0, check_same_thread=False)
    return LoopSQLiteConnection(partial(sqlite3.connect, *args, **options), busy_timeout)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted rows are overwritten with zeros, not left in free space: a pending step or a
    # row that linked a person to an anonymous comment leaves no trace in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


WIPE_WAL = "wipe_wal"


async def wipe_wal_after_commit(session: AsyncSession) -> None:
    """Ask for the write-ahead log to be emptied once this transaction has committed.

    A WAL frame is a whole page as it stood at one commit, so until a checkpoint the -wal
    file keeps every version of the pages a transaction touched, side by side. After a
    commit that stored an anonymous comment (and, in the same commit, deleted the pending
    step of its author), the connection copies the pages into the database file, where
    ``secure_delete`` has zeroed what was deleted, and truncates the log to nothing
    (``_wipe_wal_if_owed``). No effect on PostgreSQL."""
    connection = await session.connection()
    if connection.dialect.name == "sqlite":
        connection.info[WIPE_WAL] = True


def _wipe_wal_if_owed(dbapi_connection: Any, record: Any) -> None:
    """On a connection's return to the pool: the checkpoint a commit asked for. Another
    process reading an older snapshot makes it busy; the request then stays on the
    connection and is tried again at its next return."""
    if record is None or not record.info.get(WIPE_WAL):
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = cursor.fetchone()[0]
        cursor.close()
    except Exception:  # noqa: BLE001 - a failed checkpoint is tried again, never raised into a reply
        log.warning("WAL checkpoint failed; it will be tried again", exc_info=True)
        return
    if not busy:
        record.info.pop(WIPE_WAL, None)


def session_factory(
    engine: AsyncEngine, cache: Cache | None = None, secret: bytes | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine`` that share one in-memory ``cache`` (bot/db/cache.py) and the
    key of the keyed hashes kept in the database (``secret_of``). The runtime passes its own
    (the key from ``SECRET_KEY``, the same in every process); without them, the factory gets
    a cache and a random key of its own."""
    info = {"cache": cache if cache is not None else Cache(), "secret": secret or secrets.token_bytes(32),
            "deployment_key": secret}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def deployment_key_of(session: AsyncSession) -> bytes | None:
    """The key from ``SECRET_KEY`` when the deployment has one: what every process and the
    command line share (invite codes are stored keyed with it)."""
    return session.info.get("deployment_key")  # type: ignore[no-any-return]


def secret_of(session: AsyncSession) -> bytes:
    """The key for keyed hashes stored in the database (never stored there itself)."""
    secret = session.info.get("secret")
    if secret is None:
        secret = session.info["secret"] = secrets.token_bytes(32)
    return secret  # type: ignore[no-any-return]
