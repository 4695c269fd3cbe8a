"""Invite codes: short, read aloud or typed from paper without confusion, stored hashed.

The alphabet leaves out 0/O, 1/I/L and U/V, which people mistake for each other;
input is folded (case, spaces, dashes) before hashing.

Eight letters from 29 are about 2^39 codes: few enough that a plain hash in a copy of
the database could be reversed by trying them all. With the deployment's key
(``SECRET_KEY``, never stored in the database) a code is stored as a keyed hash
(HMAC-SHA256, marked ``k``), which a copy of the database alone cannot reverse. Without a
key, and for codes issued before one was set, the plain SHA-256 is stored and still
accepted.
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


KEYED = "k"  # a keyed hash: "k" and the first 63 hex digits of HMAC-SHA256 (the column holds 64)


def hash_code(code: str, key: bytes | None = None) -> str:
    """How ``code`` is stored: keyed with the deployment's ``key`` when there is one."""
    folded = normalise_code(code).encode("ascii", "replace")
    if key is not None:
        return KEYED + hmac.new(key, folded, hashlib.sha256).hexdigest()[:63]
    return hashlib.sha256(folded).hexdigest()


def code_hashes(code: str, key: bytes | None = None) -> list[str]:
    """Every stored form ``code`` may have: the keyed one and, for codes issued without a key,
    the plain one."""
    return [hash_code(code, key), hash_code(code)] if key is not None else [hash_code(code)]


def display_code(code: str) -> str:
    """``K7QM4XRT`` -> ``K7QM-4XRT``: easier to read out."""
    return f"{code[:4]}-{code[4:]}"


def looks_like_code(raw: str) -> bool:
    code = normalise_code(raw)
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def deep_link(bot_username: str, code: str) -> str:
    """``https://t.me/<bot>?start=<code>``: opening it sends ``/start <code>`` to the bot."""
    return f"https://t.me/{bot_username}?start={normalise_code(code)}"
