"""Word's automatic numbering, rendered as Word shows it.

When an agency types "Điều %1." into a numbering definition instead of into the
text, the article number lives only in ``numbering.xml``: the paragraph says
"Phạm vi điều chỉnh" and Word draws "Điều 1." in front of it. The parser finds
structure in the text, so the number has to be put back first, exactly as Word
would draw it: abstract numbers and their levels (``lvlText`` such as
``Điều %1.`` or ``%1.%2.``), formats (decimal, Roman, letters), start values,
overrides that restart a list, ``lvlRestart``, legal numbering, and numbering
attached to a paragraph style (directly or through ``numStyleLink``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from docx.oxml.ns import qn

_MAX_LEVELS = 9
_PLACEHOLDER = re.compile(r"%([1-9])")


@dataclass(frozen=True)
class Level:
    start: int = 0
    fmt: str = "decimal"
    text: str = ""
    restart: int | None = None  # lvlRestart: None restarts after any shallower level, 0 never
    suffix: str = "tab"
    legal: bool = False
    bold: bool | None = None


@dataclass(frozen=True)
class Label:
    """What Word draws before a numbered paragraph."""

    text: str  # "Điều 3." — empty for a bullet
    suffix: str  # what separates it from the paragraph's text
    bullet: bool
    bold: bool | None  # from the level's run properties, None when it follows the paragraph


@dataclass
class _Instance:
    abstract_id: str
    overrides: dict[int, int] = field(default_factory=dict)  # level -> startOverride
    levels: dict[int, Level] = field(default_factory=dict)  # level -> full lvl override


class WordNumbering:
    """Numbering definitions of one document, and the counters as the body is read in order."""

    def __init__(self, numbering: Any | None, styles: Any | None) -> None:
        self._abstract: dict[str, dict[int, Level]] = {}
        self._style_links: dict[str, str] = {}  # abstractNumId -> numbering style it follows
        self._instances: dict[str, _Instance] = {}
        self._style_numbering: dict[str, tuple[str | None, int | None]] = {}
        self._style_parent: dict[str, str] = {}
        self._counters: dict[str, dict[int, int]] = {}
        self._started: set[str] = set()
        if numbering is not None:
            self._read_numbering(numbering)
        if styles is not None:
            self._read_styles(styles)

    # -- reading the definitions ---------------------------------------------

    def _read_numbering(self, root: Any) -> None:
        for abstract in root.findall(qn("w:abstractNum")):
            abstract_id = abstract.get(qn("w:abstractNumId"))
            self._abstract[abstract_id] = {
                _int(lvl.get(qn("w:ilvl")), 0): _level(lvl) for lvl in abstract.findall(qn("w:lvl"))
            }
            link = abstract.find(qn("w:numStyleLink"))
            if link is not None:
                self._style_links[abstract_id] = link.get(qn("w:val"))
        for num in root.findall(qn("w:num")):
            reference = num.find(qn("w:abstractNumId"))
            if reference is None:
                continue
            instance = _Instance(reference.get(qn("w:val")))
            for override in num.findall(qn("w:lvlOverride")):
                level = _int(override.get(qn("w:ilvl")), 0)
                start = override.find(qn("w:startOverride"))
                if start is not None:
                    instance.overrides[level] = _int(start.get(qn("w:val")), 0)
                lvl = override.find(qn("w:lvl"))
                if lvl is not None:
                    instance.levels[level] = _level(lvl)
            self._instances[num.get(qn("w:numId"))] = instance

    def _read_styles(self, root: Any) -> None:
        for style in root.findall(qn("w:style")):
            style_id = style.get(qn("w:styleId"))
            based = style.find(qn("w:basedOn"))
            if based is not None:
                self._style_parent[style_id] = based.get(qn("w:val"))
            num_pr = style.find(f"{qn('w:pPr')}/{qn('w:numPr')}")
            if num_pr is not None:
                self._style_numbering[style_id] = _num_pr(num_pr)

    # -- counting --------------------------------------------------------------

    def label(self, paragraph: Any, style_id: str | None) -> Label | None:
        """The label Word draws before ``paragraph`` (a ``w:p``), advancing the counters.

        Call it for every paragraph in document order, empty ones included:
        Word counts them too.
        """
        num_id, level = self._paragraph_numbering(paragraph, style_id)
        if not num_id or num_id == "0" or num_id not in self._instances:
            return None
        instance = self._instances[num_id]
        abstract_id = self._resolve_abstract(instance.abstract_id)
        levels = dict(self._abstract.get(abstract_id, {}))
        levels.update(instance.levels)
        if level not in levels:
            return None
        key = f"num:{num_id}" if instance.overrides or instance.levels else f"abstract:{abstract_id}"
        counters = self._counters.setdefault(key, {})
        if key not in self._started:
            self._started.add(key)
            for overridden, start in instance.overrides.items():
                counters[overridden] = start - 1
        self._advance(counters, levels, level)
        current = levels[level]
        if current.fmt == "bullet":
            return Label("", "", True, current.bold)
        if current.fmt == "none" and not _PLACEHOLDER.search(current.text):
            return Label(current.text.strip(), _SUFFIX.get(current.suffix, " "), False, current.bold)

        def value(match: re.Match[str]) -> str:
            index = int(match.group(1)) - 1
            shown = levels.get(index, Level())
            number = counters.get(index, shown.start)
            return format_number(number, "decimal" if current.legal and index < level else shown.fmt)

        text = _PLACEHOLDER.sub(value, current.text).strip()
        return Label(text, _SUFFIX.get(current.suffix, " ") if text else "", False, current.bold)

    def _advance(self, counters: dict[int, int], levels: dict[int, Level], level: int) -> None:
        start = levels[level].start
        counters[level] = counters[level] + 1 if level in counters else start
        for deeper in range(level + 1, _MAX_LEVELS):
            restart = levels.get(deeper, Level()).restart
            if restart is None or (restart != 0 and level < restart):
                counters.pop(deeper, None)
        for shallower in range(level):
            counters.setdefault(shallower, levels.get(shallower, Level()).start)

    def _paragraph_numbering(self, paragraph: Any, style_id: str | None) -> tuple[str | None, int]:
        num_id: str | None = None
        level: int | None = None
        properties = paragraph.find(qn("w:pPr"))
        num_pr = properties.find(qn("w:numPr")) if properties is not None else None
        if num_pr is not None:
            num_id, level = _num_pr(num_pr)
        seen: set[str] = set()
        while (num_id is None or level is None) and style_id and style_id not in seen:
            seen.add(style_id)
            style_num, style_level = self._style_numbering.get(style_id, (None, None))
            num_id = num_id if num_id is not None else style_num
            level = level if level is not None else style_level
            style_id = self._style_parent.get(style_id)
        return num_id, level or 0

    def _resolve_abstract(self, abstract_id: str) -> str:
        """Follow ``numStyleLink`` to the abstract number the numbering style really uses."""
        seen: set[str] = set()
        while abstract_id in self._style_links and abstract_id not in seen:
            seen.add(abstract_id)
            num_id, _ = self._style_numbering.get(self._style_links[abstract_id], (None, None))
            instance = self._instances.get(num_id or "")
            if instance is None:
                break
            abstract_id = instance.abstract_id
        return abstract_id


_SUFFIX = {"tab": " ", "space": " ", "nothing": ""}


def _level(lvl: Any) -> Level:
    def value(tag: str) -> str | None:
        node = lvl.find(qn(tag))
        return node.get(qn("w:val")) if node is not None else None

    restart = value("w:lvlRestart")
    legal = lvl.find(qn("w:isLgl"))
    bold = lvl.find(f"{qn('w:rPr')}/{qn('w:b')}")
    return Level(
        start=_int(value("w:start"), 0),
        fmt=value("w:numFmt") or "decimal",
        text=value("w:lvlText") or "",
        restart=_int(restart, 0) if restart is not None else None,
        suffix=value("w:suff") or "tab",
        legal=legal is not None and _on(legal),
        bold=_on(bold) if bold is not None else None,
    )


def _num_pr(num_pr: Any) -> tuple[str | None, int | None]:
    num = num_pr.find(qn("w:numId"))
    level = num_pr.find(qn("w:ilvl"))
    return (
        num.get(qn("w:val")) if num is not None else None,
        _int(level.get(qn("w:val")), 0) if level is not None else None,
    )


def _on(element: Any) -> bool:
    return (element.get(qn("w:val")) or "true").lower() not in ("0", "false", "off")


def _int(text: str | None, default: int) -> int:
    try:
        return int(text) if text is not None else default
    except ValueError:
        return default


_ROMAN = ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
          (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I"))
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


_MAX_ROMAN = 3999
_MAX_LETTERS = 780  # Word stops at "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"


def format_number(number: int, fmt: str) -> str:
    """A counter in one of Word's number formats (decimal beyond what the format can write)."""
    if fmt in ("upperRoman", "lowerRoman") and 0 < number <= _MAX_ROMAN:
        roman = ""
        for value, symbol in _ROMAN:
            while number >= value:
                roman += symbol
                number -= value
        return roman if fmt == "upperRoman" else roman.lower()
    if fmt in ("upperLetter", "lowerLetter") and 0 < number <= _MAX_LETTERS:
        # Word repeats the letter past z: aa, bb, …
        letter = _LETTERS[(number - 1) % 26] * ((number - 1) // 26 + 1)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt == "decimalZero":
        return f"{number:02d}"
    if fmt == "none":
        return ""
    return str(number)
