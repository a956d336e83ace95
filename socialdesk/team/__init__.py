"""Team mode: the shared PostgreSQL schema and what desks and hubs do with it (no Textual)."""
