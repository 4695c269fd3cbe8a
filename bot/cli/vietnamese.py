"""Click's own words in Vietnamese: "Usage:", "Options:", "Show this message and exit.",
"[required]", "Error: Missing option…".

Click asks gettext for each of its messages through the ``_`` and ``ngettext`` names each
of its modules imported. Those names are pointed at a translation that answers from the
catalogue (``bot.domain.texts.CLICK``), whatever the machine's locale, and falls back to
click's English for a message the catalogue does not know. The few words click prints
without gettext (type names shown as metavars, ``[OPTIONS]``) are set on the types and on
each command.
"""

from __future__ import annotations

import gettext
import importlib

import click

from bot.domain.texts import CLICK, CLICK_WORDS

_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "shell_completion", "termui", "types",
            "utils", "_termui_impl")


class ClickVietnamese(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return CLICK.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        key = msgid1 if n == 1 else msgid2
        return CLICK.get(key, key)


def install() -> None:
    """Point click's gettext names at the Vietnamese catalogue (idempotent)."""
    translation = ClickVietnamese()
    for name in _MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = translation.gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = translation.ngettext  # type: ignore[attr-defined]
    for param_type in (click.types.StringParamType, click.types.IntParamType, click.types.IntRange,
                       click.types.FloatParamType, click.types.FloatRange, click.types.BoolParamType,
                       click.types.File, click.types.DateTime):
        english = param_type.name
        param_type.name = CLICK_WORDS.get(english, english)
    # The instances click made at import carry their own copy of the name.
    for instance in (click.STRING, click.INT, click.FLOAT, click.BOOL):
        instance.name = type(instance).name


def localise(command: click.Command) -> None:
    """``[OPTIONS]``, ``[COMMAND] [ARGS]...`` and the arguments' names in the usage lines of a
    command and of all below it."""
    command.options_metavar = CLICK_WORDS["options_metavar"]
    for param in command.params:
        if isinstance(param, click.Argument) and param.metavar is None and f"arg.{param.name}" in CLICK_WORDS:
            param.metavar = CLICK_WORDS[f"arg.{param.name}"]
    if isinstance(command, click.Group):
        command.subcommand_metavar = CLICK_WORDS["subcommand_metavar"]
        for sub in command.commands.values():
            localise(sub)
