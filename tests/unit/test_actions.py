"""Typed actions: every button's data fits Telegram's 64 bytes, decodes back to itself, and
nothing a client can send makes ``decode`` raise or return something out of range."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from bot.domain import actions
from bot.domain.actions import MAX_ID, decode


def biggest(cls: type[actions.Action]) -> actions.Action:
    values = {}
    for f in dataclasses.fields(cls):
        values[f.name] = "r" + "x" * 12 if f.type == "str" else f.metadata.get("range", (0, MAX_ID))[1]
    return cls(**values)


def test_every_action_round_trips_within_64_bytes() -> None:
    for cls in actions.registered().values():
        action = biggest(cls)
        data = action.encode()
        assert len(data.encode()) <= actions.CALLBACK_LIMIT
        assert decode(data) == action


def test_forged_shapes_decode_to_nothing() -> None:
    for data in ("ack:1:" + "9" * 30, "ack:1", "ack:1:2:3", "ack:a:1", "ack:-1:1", "ack:0:1", "toc:1:-1",
                 "annaud:1:<b>", "annaud:1:d", "nope:1", "", "ack: 1:2", "ack:１:2", "fbl:1:2:0:0", "cancel:1"):
        assert decode(data) is None, data
    assert decode("ack:12:3") == actions.Ack(12, 3)
    assert decode("fbl:1:0:-2:0") == actions.CommentList(1, 0, -2, 0)
    assert decode("cancel") == actions.Cancel()


@given(st.text(max_size=80))
def test_decode_never_raises(data: str) -> None:
    action = decode(data)
    if action is not None:
        assert decode(action.encode()) == action
        for f in dataclasses.fields(action):
            value = getattr(action, f.name)
            if isinstance(value, int):
                low, high = f.metadata.get("range", (0, MAX_ID))
                assert low <= value <= high
