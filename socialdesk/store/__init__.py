"""The local SQLite cache: schema, migrations, idempotent writes and keyset-paged reads."""

from socialdesk.store.db import Store, Triage
from socialdesk.store.queries import ALL, Page, PageKey, PostFilter

__all__ = ["ALL", "Page", "PageKey", "PostFilter", "Store", "Triage"]
