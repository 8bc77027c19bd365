"""Orders: finalized purchases, their tickets, the organizer export, refunds and stats."""
