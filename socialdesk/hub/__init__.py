"""The team hub: the one process that syncs each account and sends the shared outbox (README: Team)."""
