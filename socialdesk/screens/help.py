"""The help screen: the desk's keys grouped by task, what the feed's signs mean, and each key's id."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from socialdesk import capabilities
from socialdesk.widgets.badges import STATUS_LABELS

# Groups in the order an agent meets them, and what each key does in words (by binding id).
GROUPS = ("Move around", "Reply", "Work the queue", "Views and search", "The desk")
KEYS: dict[str, tuple[str, str]] = {
    "feed.down": ("Move around", "next post"),
    "feed.up": ("Move around", "previous post"),
    "feed.page_down": ("Move around", "a screen down"),
    "feed.page_up": ("Move around", "a screen up"),
    "feed.top": ("Move around", "newest post"),
    "feed.bottom": ("Move around", "oldest post"),
    "thread.open": ("Move around", "read the conversation (focus the thread)"),
    "pane.next": ("Move around", "next pane"),
    "pane.previous": ("Move around", "previous pane"),
    "desk.back": ("Move around", "back to the feed; in the feed, leave a search"),
    "history.more": ("Move around", "older posts of this customer"),
    "composer.focus": ("Reply", "write a reply"),
    "reply.send": ("Reply", "review and send (then an undo window)"),
    "reply.later": ("Reply", "send later: 09:00, tomorrow 09:00, +2h"),
    "reply.undo": ("Reply", "take the last reply back (u in the feed, ctrl+r while writing)"),
    "reply.clear": ("Reply", "clear the draft"),
    "reply.macro": ("Reply", "insert a canned reply"),
    "reply.split": ("Reply", "split a long reply into a numbered thread"),
    "reply.private": ("Reply", "take it private: a DM and a short public note"),
    "reply.outbox": ("Reply", "the outbox: states, retry, discard, edit again"),
    "reply.open_link": ("Reply", "open post or author profile; link is copied"),
    "reply.editor": ("Reply", "edit the draft in $EDITOR"),
    "thread.media": ("Reply", "attachments: alt text, preview, open"),
    "thread.pipe": ("Reply", "pipe the thread to a command (-j: JSON)"),
    "triage.next": ("Work the queue", "claim the next conversation"),
    "triage.resolve": ("Work the queue", "resolve"),
    "triage.resolve_next": ("Work the queue", "resolve, then claim the next"),
    "triage.pending": ("Work the queue", "pending (waiting for the customer)"),
    "triage.snooze": ("Work the queue", "snooze until a time"),
    "triage.assign_me": ("Work the queue", "assign to me"),
    "triage.assign_to": ("Work the queue", "assign to a colleague (a picker)"),
    "triage.tag": ("Work the queue", "add a tag"),
    "triage.untag": ("Work the queue", "remove a tag (a picker)"),
    "triage.mark": ("Work the queue", "mark rows for a bulk action"),
    "triage.note": ("Work the queue", "internal note (never sent)"),
    "triage.escalate": ("Work the queue", "escalate"),
    "triage.sentiment": ("Work the queue", "correct the sentiment"),
    "triage.intent": ("Work the queue", "correct the intent"),
    "triage.approvals": ("Work the queue", "replies waiting for approval"),
    "team.supervisor": ("Work the queue", "supervisor (team desk): claims, queues, SLA breaches"),
    "triage.explain": ("Work the queue", "why this post is here (the rules that matched)"),
    "ticket.merge": ("Work the queue", "merge this conversation into another ticket (same customer)"),
    "ticket.split": ("Work the queue", "split this post and its replies into a new ticket"),
    "ticket.undo": ("Work the queue", "undo the last merge or split"),
    "customer.profile": ("Work the queue", "customer profile: e-mail, order number, CRM id"),
    "customer.crm": ("Work the queue", "open the customer in the team's CRM"),
    "author.moderate": ("Work the queue", "block, mute or report the author as spam (reviewed)"),
    "triage.queues": ("Views and search", "saved queues (Needs reply, Negative ...)"),
    "search.open": ("Views and search", "search"),
    "similar.open": ("Views and search", "posts like this one (lone voice or pattern), as a queue"),
    "similar.reply": ("Views and search", "one canned reply to each similar post, reviewed in turn"),
    "spike.open": ("Views and search", "the posts of the latest spike, escalation ready"),
    "help.show": ("The desk", "this help"),
    "metrics.open": ("The desk", "metrics: volume, response times, SLA attainment"),
    "command_palette": ("The desk", "command palette (themes, queues, sync now ...)"),
    "screen.copy_text": ("The desk", "copy the selected text"),
    "app.quit": ("The desk", "quit (asks first while replies have not left)"),
    "quit": ("The desk", "quit at once"),
}
# Textual's own ctrl+c hint: ctrl+c copies on the desk, so listing it twice only confuses.
HIDDEN = frozenset({"help_quit"})


def binding_rows(*nodes: object) -> list[tuple[str, str, str]]:
    """(id, keys, description) for every binding of the given nodes, keys after any remapping."""
    seen: dict[str, tuple[list[str], str]] = {}
    for node in nodes:
        bindings_map = getattr(node, "_bindings", None)
        if bindings_map is None:
            continue
        for key, binding in bindings_map:
            ident = binding.id or binding.action
            if ident.startswith("triage.queue"):  # nine keys, one task
                ident = "triage.queues"
            keys, _ = seen.setdefault(ident, ([], binding.description or binding.action))
            display = node.app.get_key_display(binding) if hasattr(node, "app") else key
            shown = key if len(key) == 1 else display
            if shown not in keys:
                keys.append(shown)
    return sorted(
        ((ident, ", ".join(keys), desc) for ident, (keys, desc) in seen.items() if ident not in HIDDEN),
        key=lambda r: r[0],
    )


def grouped(rows: list[tuple[str, str, str]]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """The rows by task, in `GROUPS` order (keys the table does not know go last, as they are)."""
    groups: dict[str, list[tuple[str, str, str]]] = {name: [] for name in (*GROUPS, "Other")}
    order = {ident: index for index, ident in enumerate(KEYS)}
    for ident, keys, description in sorted(rows, key=lambda r: order.get(r[0], len(order))):
        group, words = KEYS.get(ident, ("Other", description))
        groups[group].append((ident, keys, words))
    return [(name, rows) for name, rows in groups.items() if rows]


def legend() -> Text:
    """What the feed's columns and signs mean."""
    text = Text()
    text.append("The feed, column by column\n", "bold")
    # Every network known now, as its connector declares it (an alias such as "twitter" once).
    known = {facts.name: facts for facts in capabilities.labels().networks.values()}
    networks = "  ".join(f"{facts.glyph} {facts.display_name}" for facts in known.values())
    statuses = "  ".join(f"{label} {status}" for status, (label, _) in STATUS_LABELS.items())
    for sign, meaning in (
        ("network", networks),
        ("age", "how long ago it was posted (12s, 4m, 3h, 2d)"),
        ("status", f"{statuses}  OUR our own post"),
        ("sentiment", "▼ negative  ▲ positive  · neutral or unknown"),
        ("priority", "!!! urgent  !! high  (blank) normal  ↓ low"),
        ("SLA", "time left to the first-response target; negative (-3m) is overdue"),
        ("z2h05", "in the SLA column: snoozed, back in the queue in 2 h 05"),
        ("✓", "marked for a bulk action (space or x)"),
        ("✎", "a reply started here and not sent yet (its draft is kept)"),
    ):
        text.append(f"  {sign:<10}", "bold")
        text.append(f"{meaning}\n")
    return text


class HelpScreen(ModalScreen[None]):
    """Keys by task and the feed's legend; PgDn/PgUp or j/k scroll; escape, q or ? closes it."""

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 96; max-width: 95%; height: 85%;
            background: $surface; border: thick $primary; padding: 0 1;
        }
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close", id="help.close"),
        Binding("pagedown,space", "scroll(1)", "Page down", show=False, id="help.page_down"),
        Binding("pageup", "scroll(-1)", "Page up", show=False, id="help.page_up"),
        Binding("j,down", "line(1)", "Down", show=False, id="help.down"),
        Binding("k,up", "line(-1)", "Up", show=False, id="help.up"),
    ]

    def __init__(self, host: Screen[None]) -> None:
        super().__init__()
        self.host = host

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Keys · what they do · id (to remap in [keys] of config.toml)", "dim"))
            for group, rows in grouped(binding_rows(self.host, self.app)):
                table = Table(
                    title=group,
                    title_justify="left",
                    title_style="bold",
                    expand=True,
                    show_edge=False,
                    show_header=False,
                    box=None,
                )
                table.add_column(style="bold", no_wrap=True, width=14)
                table.add_column(ratio=3)
                table.add_column(style="dim", ratio=2)
                for ident, keys, description in rows:
                    table.add_row(Text(keys), Text(description), Text(ident))
                yield Static(table)
            yield Static(legend())
            yield Static(Text("PgDn/PgUp or j/k scroll · escape closes this screen", "dim"))

    def action_scroll(self, direction: int) -> None:
        scroller = self.query_one(VerticalScroll)
        if direction > 0:
            scroller.scroll_page_down(animate=False)
        else:
            scroller.scroll_page_up(animate=False)

    def action_line(self, direction: int) -> None:
        scroller = self.query_one(VerticalScroll)
        scroller.scroll_relative(y=direction, animate=False)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
