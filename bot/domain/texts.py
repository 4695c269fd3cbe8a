"""The Vietnamese catalogue: every string a person reads comes from here.

Keys are grouped by the part of the product that shows them. ``t(key, **values)``
formats a message; a missing value is a programming error and raises.
"""

from __future__ import annotations

CATALOGUE: dict[str, str] = {
    # --- generic -------------------------------------------------------------
    "error.generic": "Đã xảy ra lỗi: {reason}",
}


def t(key: str, /, **values: object) -> str:
    """Return the catalogue message ``key`` formatted with ``values``."""
    return CATALOGUE[key].format(**values)
