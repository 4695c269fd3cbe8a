"""The outbox: every message the bot sends, a reply or a queued delivery, leaves through here,
inside one send budget per messenger (DESIGN.md §2)."""
