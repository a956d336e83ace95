"""The agent's recent notices (what rules and automations with `notify` raised), from the palette."""

from __future__ import annotations

from textual.binding import Binding

from socialdesk.screens.lines_modal import LinesScreen


class NoticesScreen(LinesScreen):
    """Recent notices, newest first, as plain lines; escape closes it."""

    DEFAULT_CSS = "NoticesScreen > Vertical { width: 100; }"
    BINDINGS = [Binding("escape", "close", "Close", id="notices.close")]
    HEADING = "Notifications"
    HINT = 'escape close · notify = "desk" in the playbook sends them'
    EMPTY = "Nothing yet: rules and automations with notify leave notices here."
