"""Runs the outbox worker in its own process (the kill-and-restart test SIGKILLs it mid-send).

Usage: python -m tests.outbox.run_outbox DB_PATH BASE_URL
Exits 0 once no reply is left to send.
"""

from __future__ import annotations

import sys
import threading
import time

from socialdesk.services import outbox_worker
from socialdesk.services.outbox import Outbox
from socialdesk.store import Store
from tests.outbox.fake_mastodon import mastodon_connector


def main(db_path: str, base_url: str) -> int:
    store = Store(db_path)
    outbox = Outbox(
        store,
        lambda network, account: mastodon_connector(base_url, timeout=5, account=account),
        undo_seconds=0,
    )
    stop = threading.Event()
    worker = threading.Thread(
        target=outbox_worker.run, args=(outbox.delivery, stop), kwargs={"poll": 0.05}, daemon=True
    )
    worker.start()
    try:
        while True:
            time.sleep(0.05)
            left = (
                Store(db_path)
                .conn.execute(
                    "SELECT COUNT(*) FROM replies WHERE state NOT IN ('sent', 'discarded', 'failed')"
                )
                .fetchone()[0]
            )
            if left == 0:
                return 0
    finally:
        stop.set()
        worker.join(timeout=5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
