"""Invite codes: short, read aloud or typed from paper without confusion, stored hashed.

The alphabet leaves out 0/O, 1/I/L and U/V, which people mistake for each other;
input is folded (case, spaces, dashes) before hashing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
LENGTH = 8


def new_code() -> str:
    """A fresh random code, e.g. ``K7QM-4XRT`` without the dash."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def derived_code(key: bytes, subject: str) -> str:
    """A code that comes out the same each time for the same key and subject (the
    embedded default's test codes, which must survive a restart)."""
    digest = hmac.new(key, subject.encode(), hashlib.sha256).digest()
    return "".join(ALPHABET[byte % len(ALPHABET)] for byte in digest[:LENGTH])


def normalise_code(raw: str) -> str:
    """What the person typed, as the code it was meant to be (or garbage that will not match)."""
    return "".join(ch for ch in raw.upper() if ch.isascii() and ch.isalnum())


def hash_code(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode("ascii", "replace")).hexdigest()


def display_code(code: str) -> str:
    """``K7QM4XRT`` -> ``K7QM-4XRT``: easier to read out."""
    return f"{code[:4]}-{code[4:]}"


def looks_like_code(raw: str) -> bool:
    code = normalise_code(raw)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def deep_link(bot_username: str, code: str) -> str:
    """``https://t.me/<bot>?start=<code>``: opening it sends ``/start <code>`` to the bot."""
    return f"https://t.me/{bot_username}?start={normalise_code(code)}"
