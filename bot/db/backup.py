"""Backing up and restoring a SQLite database file.

``backup`` uses SQLite's online backup API (``sqlite3.Connection.backup``) in one step: it
copies a consistent snapshot of the database (the WAL included) while the bot goes on
writing (in WAL mode a reader does not block writers), into a temporary file that is checked
and then renamed into place, so a half-written backup never carries the chosen name.

``restore`` refuses unless it can be done safely: the file must be a SQLite database that
passes ``PRAGMA integrity_check``, holds Công khai's tables and is at a migration this version
knows; and nobody may be using the live database. That last check switches the live database
out of WAL mode, which SQLite only allows to the one connection open on it: a running bot or
any other command keeps it from happening, and the restore stops before touching anything. The
old database is then kept aside (``<name>.before-restore-<time>``) and the backup takes its
place; the caller brings it to the current migration.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

REQUIRED_TABLES = ("alembic_version", "staff", "campaign", "delivery", "ack", "feedback", "audit_event")


class BackupError(Exception):
    """A refusal the clerk can act on: ``reason`` is a catalogue key's last part, ``values`` its fields."""

    def __init__(self, kind: str, **values: object) -> None:
        super().__init__(kind)
        self.reason = kind
        self.values = values


@dataclass(frozen=True)
class Checked:
    revision: str
    audit_events: int


def sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise ValueError("not a SQLite database file")
    return Path(database)


def check(path: Path, known_revisions: set[str]) -> Checked:
    """That ``path`` is a sound Công khai database at a known migration."""
    if not path.is_file():
        raise BackupError("missing", path=path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError("not_sqlite", path=path, reason=str(error)) from None
    try:
        try:
            verdict = conn.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as error:
            raise BackupError("not_sqlite", path=path, reason=str(error)) from None
        if verdict != "ok":
            raise BackupError("not_sqlite", path=path, reason=verdict)
        for table in REQUIRED_TABLES:
            if table not in tables:
                raise BackupError("not_ours", path=path, table=table)
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] not in known_revisions:
            raise BackupError("unknown_revision", path=path, revision=revision[0] if revision else "—")
        events = int(conn.execute("SELECT count(*) FROM audit_event").fetchone()[0])
        return Checked(revision[0], events)
    finally:
        conn.close()


def backup(source: Path, target: Path, known_revisions: set[str]) -> Checked:
    """A consistent copy of ``source`` at ``target`` (which must not exist), checked."""
    if target.exists():
        raise BackupError("exists", path=target)
    if not source.is_file():
        raise BackupError("missing", path=source)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(source, timeout=30)
        try:
            dest = sqlite3.connect(partial)
            try:
                src.backup(dest)  # all pages in one step: one snapshot, whatever is written meanwhile
            finally:
                dest.close()
        finally:
            src.close()
    except (sqlite3.Error, OSError) as error:
        partial.unlink(missing_ok=True)
        raise BackupError("failed", path=target, reason=str(error)) from None
    try:
        try:
            checked = check(partial, known_revisions)
        except BackupError as error:  # named after the file the clerk asked for, not the partial one
            raise BackupError(error.reason, **{**error.values, "path": source}) from None
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return checked


def restore(source: Path, live: Path, known_revisions: set[str], now: dt.datetime) -> tuple[Checked, Path | None]:
    """Put the backup ``source`` in place of the database ``live``; returns what was checked
    and where the old database was kept (None when there was none)."""
    checked = check(source, known_revisions)
    if live.exists() and source.resolve() == live.resolve():
        raise BackupError("same_file")
    aside: Path | None = None
    with contextlib.ExitStack() as stack:
        if live.exists():
            conn = sqlite3.connect(live, timeout=0, isolation_level=None)
            stack.callback(conn.close)
            try:
                mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
                conn.execute("BEGIN EXCLUSIVE")  # nobody opens it until the new file is in place
            except sqlite3.OperationalError:
                raise BackupError("in_use") from None
            if mode.lower() != "delete":
                raise BackupError("in_use")
            aside = live.with_name(f"{live.name}.before-restore-{now.strftime('%Y%m%dT%H%M%S')}")
            shutil.copy2(live, aside)
        partial = live.with_name(f".{live.name}.restoring")
        partial.unlink(missing_ok=True)
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            dest = sqlite3.connect(partial)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{live}{suffix}").unlink(missing_ok=True)
        os.replace(partial, live)
    return checked, aside
