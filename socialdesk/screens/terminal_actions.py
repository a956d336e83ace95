"""Terminal habits on the desk: ctrl+e edits the draft in $EDITOR, `|` pipes the thread, `v` shows media.

Mix `TerminalActions` into the desk screen and add `TERMINAL_BINDINGS` to its BINDINGS.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.message import Message

from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.screens.host import HostScreen

TERMINAL_BINDINGS: list[Binding] = [
    # A priority binding: in the composer ctrl+e would otherwise move to the line's end (end does that).
    Binding("ctrl+e", "reply_editor", "Edit in $EDITOR", id="reply.editor", show=False, priority=True),
    Binding("|", "pipe_thread", "Pipe thread", id="thread.pipe", show=False),
    Binding("v", "view_media", "Attachments", id="thread.media", show=False),
]
JSON_FLAG = "-j "  # `| -j jq .` pipes JSON instead of plain text


class ThreadPiped(Message):
    """A command the thread was piped to finished: its output, or the one-line error."""

    def __init__(self, command: str, output: str = "", truncated: bool = False, error: str = "") -> None:
        super().__init__()
        self.command = command
        self.output = output
        self.truncated = truncated
        self.error = error


class TerminalActions(HostScreen):
    """Actions bound by TERMINAL_BINDINGS; `self` is the desk screen (`screens.host.DeskHost`)."""

    def action_reply_editor(self) -> None:
        """Open the draft in $VISUAL/$EDITOR with the desk suspended; the text comes back counted."""
        from textual.app import SuspendNotSupported

        from socialdesk.services.external import edit_text

        post = self.selected_post
        if post is None or post.is_ours:
            self.notify("Select a customer's post to write a reply to first", severity="warning")
            return
        # The editor owns the terminal until it exits, so it runs here, not in a worker: the desk is
        # suspended (Textual stops reading keys and drawing) for exactly that long.
        try:
            with self.app.suspend():
                text = edit_text(self.composer_text())
        except SuspendNotSupported:
            self.notify("This terminal cannot hand itself to an editor", severity="error")
            return
        except UserError as exc:
            self.notify(clean(str(exc), single_line=True), severity="error", markup=False)
            return
        if self.selected_post is None or self.selected_post.id != post.id:
            self.notify("The post changed while editing: the text was not put back", severity="error")
            return
        self.set_composer_text(text)  # counted again and saved as the draft
        self.focus_composer()

    def action_view_media(self) -> None:
        """List the post's attachments with their alt text; preview images, open any outside."""
        from socialdesk.screens.media import MediaScreen

        detail = self.shown_thread()
        if detail is None or not detail.media:
            self.notify("This post has no attachments", severity="warning")
            return
        post = detail.thread.focus
        title = f"Attachments of @{post.author_handle}'s post ({len(detail.media)})"
        self.app.push_screen(MediaScreen(title, detail.media))

    def action_pipe_thread(self) -> None:
        """Ask for a shell command and pipe the thread to it (plain text; `-j cmd` for JSON)."""
        from socialdesk.screens.note import PromptScreen

        detail = self.shown_thread()
        if detail is None:
            self.notify("Select a post whose thread to pipe first", severity="warning")
            return

        def answered(command: str | None) -> None:
            if command:
                as_json = command.startswith(JSON_FLAG)
                self._pipe(command.removeprefix(JSON_FLAG).strip() if as_json else command, as_json)

        title = "Pipe the thread to a shell command (plain text; start with -j for JSON)"
        self.app.push_screen(PromptScreen(title, "e.g. wc -w  ·  -j jq .posts[0].text"), answered)

    def _pipe(self, command: str, as_json: bool) -> None:
        from socialdesk.services.external import pipe_to
        from socialdesk.services.thread_export import thread_json, thread_text

        detail = self.shown_thread()
        if detail is None:
            return
        data = thread_json(detail) if as_json else thread_text(detail)

        def work() -> None:
            try:
                result = pipe_to(command, data)
            except UserError as exc:
                self.post_message(ThreadPiped(command, error=str(exc)))
                return
            self.post_message(ThreadPiped(command, result.output, result.truncated))

        self.run_worker(work, thread=True, exit_on_error=False, group="pipe", description="Piping the thread")

    def on_thread_piped(self, message: ThreadPiped) -> None:
        from socialdesk.screens.pipe_output import PipeOutputScreen

        if message.error:
            self.notify(clean(message.error, single_line=True), severity="error", markup=False, timeout=10)
            return
        self.app.push_screen(PipeOutputScreen(message.command, message.output, message.truncated))
