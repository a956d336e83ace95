"""Quitting the desk: read the outbox first, and ask when replies have not left yet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from socialdesk.screens.host import HostScreen

if TYPE_CHECKING:
    from socialdesk.screens.quit_confirm import PendingReply


class QuitChecked(Message):
    """The outbox was read before quitting: the replies that have not left (`total` in all)."""

    def __init__(self, pending: list[PendingReply], total: int, again: bool = False) -> None:
        super().__init__()
        self.pending = pending
        self.total = total
        self.again = again  # read again for the question already open


class QuitActions(HostScreen):
    """`quit_unless_replies_wait`, which the desk's quit key and the app's quit call (`self` is the desk)."""

    def quit_unless_replies_wait(self, again: bool = False) -> None:
        """Quit, after asking if replies have not left yet (they would leave at the next start).

        `again`: the question is open and a reply changed state; read the outbox for it once more.
        """
        outbox = self.outbox
        store = self.ctx.store

        def work() -> None:
            from socialdesk.capabilities import facts
            from socialdesk.screens.quit_confirm import SHOWN, PendingReply
            from socialdesk.store.queries import get_post

            conn = store.conn  # this thread's connection
            rows, total = outbox.unsent(limit=SHOWN)
            pending = []
            for row in rows:
                post = get_post(conn, row.post_id) if row.post_id is not None else None
                network = facts(row.network).display_name
                to = f"@{post.author_handle} on {network}" if post is not None else network
                due = row.send_after if row.state == "queued" else None
                pending.append(PendingReply(("DM to " if row.dm else "reply to ") + to, row.text, due))
            self.post_message(QuitChecked(pending, total, again))

        self.run_worker(work, thread=True, exit_on_error=False, group="quit", description="check the outbox")

    def refresh_quit_question(self) -> None:
        """Read the outbox again for the quit question, if it is open (a reply left, failed, came back)."""
        from socialdesk.screens.quit_confirm import QuitScreen

        if isinstance(self.app.screen, QuitScreen):
            self.quit_unless_replies_wait(again=True)

    def on_quit_checked(self, message: QuitChecked) -> None:
        from socialdesk.screens.quit_confirm import QuitScreen

        question = self.app.screen if isinstance(self.app.screen, QuitScreen) else None
        if message.again and question is None:
            return  # the agent answered meanwhile
        more = message.total - len(message.pending)
        if question is not None:
            if message.pending:
                question.show(message.pending, more)
            else:
                question.dismiss(True)  # nothing left to wait for: quit, as the agent asked
            return
        if not message.pending:
            self.app.exit()
            return

        def answered(quit_anyway: bool | None) -> None:
            if quit_anyway:
                self.app.exit()

        self.app.push_screen(QuitScreen(message.pending, more, clock=self.outbox.clock), answered)
