"""Team mode on a real PostgreSQL (tests marked `postgres`)."""
