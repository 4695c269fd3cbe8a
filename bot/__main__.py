"""``python -m bot`` is the same as ``congkhai``."""

from bot.cli import main

main(prog_name="congkhai")
