"""Text normalisation shared by every input path.

Vietnamese text arrives in several Unicode forms (Word, Zalo and phone keyboards
differ), so everything is NFC-normalised on the way in, and matching of commands
and headers is done on a diacritic-free, case-folded key.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC form."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold ``text`` to a matching key: no diacritics, lower case, single spaces.

    ``đ`` is not a combining mark, so it is mapped by hand.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", stripped).strip().casefold()
