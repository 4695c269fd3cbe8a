"""Channel limits the chunker and the channels agree on (DESIGN.md §6)."""

TELEGRAM_TEXT_LIMIT = 4096  # UTF-16 code units after entity parsing
ZALO_TEXT_LIMIT = 2000  # characters
# Room kept free in a section's last chunk: Telegram edits it to add the
# confirmation line, Zalo appends the hint of text commands.
TELEGRAM_LAST_RESERVE = 160
ZALO_LAST_RESERVE = 300
