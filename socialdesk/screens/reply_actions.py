"""The desk's reply keys: send, later, undo, canned replies, take it private, split, open the link, outbox.

Mix `ReplyActions` into the desk screen, which implements `socialdesk.screens.host.DeskHost`, and add
`REPLY_BINDINGS` to its BINDINGS. Store and network work runs in thread workers that end in messages.
Sending and undo live in screens/reply_send.py, quitting in quit_actions.py, links in link_actions.py.
"""

from __future__ import annotations

from textual.binding import Binding

from socialdesk import compose
from socialdesk.errors import UserError
from socialdesk.screens.link_actions import LinkActions
from socialdesk.screens.quit_actions import QuitActions
from socialdesk.screens.reply_send import ReplySend, final_text

REPLY_BINDINGS: list[Binding] = [
    Binding("ctrl+s", "reply_send", "Send", id="reply.send"),
    Binding("ctrl+o", "reply_later", "Send later", id="reply.later", show=False),
    Binding("u,ctrl+r", "reply_undo", "Undo send", id="reply.undo", show=False),
    Binding("ctrl+t", "reply_macro", "Canned reply", id="reply.macro"),
    Binding("D", "reply_private", "Take private", id="reply.private", show=False),
    Binding("ctrl+l", "reply_split", "Split into thread", id="reply.split"),
    Binding("o", "reply_outbox", "Outbox", id="reply.outbox"),
    Binding("O", "reply_open_link", "Open in browser", id="reply.open_link", show=False),
]


class ReplyActions(ReplySend, QuitActions, LinkActions):
    """Actions bound by REPLY_BINDINGS; `self` is the desk screen (`screens.host.DeskHost`)."""

    def action_reply_macro(self) -> None:
        """Insert a canned reply (fuzzy search, prompts filled) at the end of the composer."""
        from socialdesk.screens.macro_picker import MacroPickerScreen
        from socialdesk.services.macros import values_for

        macros = self.usable_macros()
        if macros is None:
            return
        post = self.selected_post
        values = values_for(post, self.ctx.agent, self._ticket_shown(post))
        tags = post.tags if post is not None else ()
        suggested = next((t.removeprefix("suggest:") for t in tags if t.startswith("suggest:")), "")

        def inserted(text: str | None) -> None:
            if text:
                current = self.composer_text().rstrip()
                self.set_composer_text(f"{current} {text}" if current else text)

        self.app.push_screen(
            MacroPickerScreen(macros, values, suggested, title=self.macros_title(macros)), inserted
        )

    # -- take it private -----------------------------------------------------------------------

    def action_reply_private(self) -> None:
        """Send a DM (the composer's text, or the playbook's DM template) plus a short public reply."""
        from socialdesk.screens.review import ReviewData, ReviewScreen
        from socialdesk.services.macros import fill, values_for

        post = self._post_or_warn()
        if post is None:
            return
        try:
            macros = self.reply_macros
        except UserError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        values = values_for(post, self.ctx.agent, self._ticket_shown(post))
        dm_text = self.composer_text().strip() or fill(macros.dm_text, values)
        public = final_text(post, fill(macros.public_text, values))
        dm_count = compose.check(dm_text, post.network, *self.composer_rules())
        pub_count = compose.check(public, post.network, *self.composer_rules(), post.content_warning)
        data = ReviewData(
            parts=(dm_text, public),
            destination=f"{self._audience(post, dm=True)}, then a {self._audience(post, dm=False)}",
            account=post.account,
            network=post.network,
            target=f"@{post.author_handle} · post {post.id}",
            counts=(f"DM {dm_count.count}/{dm_count.limit}", f"public {pub_count.count}/{pub_count.limit}"),
            over=pub_count.over,
            note=self._review_note(post),
            hold=self._personal_data_hold([public]),
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._queue(post, [dm_text], dm=True, private_public=public)

        self.app.push_screen(ReviewScreen(data), confirmed)

    # -- split into a thread -------------------------------------------------------------------

    def action_reply_split(self) -> None:
        """Review the composer's reply as a numbered thread; on confirm, queue every part."""
        from socialdesk.screens.review import ReviewData, ReviewScreen
        from socialdesk.thread_split import split_thread

        post = self._post_or_warn()
        text = self.composer_text().strip()
        if post is None or not text:
            return
        prefix = final_text(post, "x")[:-1]  # the mentions each part starts with
        body = text[len(prefix) :] if prefix and text.startswith(prefix) else text
        try:
            limit, url_weight = self.composer_rules()
            parts = split_thread(
                body,
                post.network,
                limit,
                prefix=prefix,
                url_weight=url_weight,
                content_warning=post.content_warning,
            )
        except ValueError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if len(parts) == 1:
            self.notify("It fits in one post: send it with ctrl+s")
            return

        cw = post.content_warning  # every part carries it (Mastodon counts it)
        results = [compose.check(part, post.network, limit, url_weight, cw) for part in parts]
        data = ReviewData(
            parts=tuple(parts),
            destination=f"{self._audience(post, dm=False)}, as a thread of {len(parts)} posts",
            account=post.account,
            network=post.network,
            target=f"@{post.author_handle} · post {post.id}",
            counts=tuple(f"{r.count}/{r.limit}" for r in results),
            over=any(r.over for r in results),
            note=self._review_note(post),
            hold=self._personal_data_hold(parts),
        )

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._queue(post, parts, dm=False)

        self.app.push_screen(ReviewScreen(data), confirmed)

    # -- outbox --------------------------------------------------------------------------------

    def action_reply_outbox(self) -> None:
        """Open the outbox view."""
        from socialdesk.screens.outbox import OutboxScreen

        def closed(post_id: int | None) -> None:
            if post_id is not None:  # a discarded reply was made a draft again
                self.open_draft(post_id)

        self.app.push_screen(OutboxScreen(self.outbox, self.ctx.agent.name), closed)
