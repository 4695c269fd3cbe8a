"""The audit trail as a hash chain; a person's data can be erased; pending steps keyed by HMAC.

- audit_event gains prev_hash and hash; the events already stored are chained in id order.
- staff gains forgotten_at (congkhai staff forget).
- pending_input rows named the account in clear: they are dropped (each lives 30 minutes;
  a person in the middle of a step is asked again).
- Comment numbers become random (seven digits), as new comments get them: a sequential number
  placed an anonymous comment between named ones whose times are in the audit trail. The
  events and notices that name a comment follow; this runs before the chain is computed.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 18:20:00

"""
import datetime as dt
import hashlib
import json
import secrets
from typing import Any, Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

GENESIS = "0" * 64


def _event_hash(prev_hash: str, at: Any, actor: str, action: str, target_type: Any, target_id: Any,
                details: Any) -> str:
    """Frozen copy of bot.db.audit_chain.event_hash, so this migration never changes."""
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    instant = at.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # stored naive UTC
    if isinstance(details, str):
        details = json.loads(details)
    body = json.dumps([prev_hash, instant, actor, action, target_type, target_id, details or {}],
                      sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def _renumber_comments(bind: sa.engine.Connection) -> None:
    feedback = sa.table('feedback', sa.column('id', sa.Integer))
    events = sa.table('audit_event', sa.column('target_type', sa.String), sa.column('target_id', sa.Integer))
    delivery = sa.table('delivery', sa.column('source', sa.String))
    old = [row.id for row in bind.execute(sa.select(feedback.c.id))]
    taken = set(old)
    for old_id in secrets.SystemRandom().sample(old, len(old)):  # in no particular order
        new_id = old_id
        while new_id in taken:
            new_id = 1_000_000 + secrets.randbelow(9_000_000)
        taken.add(new_id)
        bind.execute(sa.update(feedback).where(feedback.c.id == old_id).values(id=new_id))
        bind.execute(sa.update(events).where(events.c.target_type == 'feedback', events.c.target_id == old_id)
                     .values(target_id=new_id))
        bind.execute(sa.update(delivery).where(delivery.c.source == f'feedback-answer:{old_id}')
                     .values(source=f'feedback-answer:{new_id}'))


def upgrade() -> None:
    bind = op.get_bind()
    _renumber_comments(bind)
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    events = sa.table('audit_event', sa.column('id', sa.Integer), sa.column('at', sa.DateTime),
                      sa.column('actor', sa.String), sa.column('action', sa.String),
                      sa.column('target_type', sa.String), sa.column('target_id', sa.Integer),
                      sa.column('details', sa.JSON), sa.column('prev_hash', sa.String), sa.column('hash', sa.String))
    prev = GENESIS
    rows = bind.execute(sa.select(events.c.id, events.c.at, events.c.actor, events.c.action, events.c.target_type,
                                  events.c.target_id, events.c.details).order_by(events.c.id)).all()
    for row in rows:
        digest = _event_hash(prev, row.at, row.actor, row.action, row.target_type, row.target_id, row.details)
        bind.execute(sa.update(events).where(events.c.id == row.id).values(prev_hash=prev, hash=digest))
        prev = digest
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_audit_event_hash'), ['hash'])
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('forgotten_at', sa.DateTime(), nullable=True))
    op.execute(sa.text("DELETE FROM pending_input"))


def downgrade() -> None:
    # in place (SQLite 3.35+ drops a column itself): rebuilding staff would trip the foreign keys
    with op.batch_alter_table('staff', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('forgotten_at')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_audit_event_hash'), type_='unique')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
    op.execute(sa.text("DELETE FROM pending_input"))
