"""Who works a team conversation now, as a team desk's feed rows and thread show it (never a solo desk)."""

from __future__ import annotations

import msgspec


class TeamMark(msgspec.Struct, frozen=True):
    """Who works a team conversation now: its holder (a live claim) and who else views or types on it."""

    conversation_id: int
    holder: str = ""
    lease_until: float = 0.0  # on the team server's clock
    viewing: tuple[str, ...] = ()
    typing: tuple[str, ...] = ()

    def short(self) -> str:
        """A few cells for a feed row: `✍ann` while someone types, `◉ann` for the holder, `◌ann` viewing."""
        if self.typing:
            return "✍" + self.typing[0]
        if self.holder:
            return "◉" + self.holder
        return "◌" + self.viewing[0] if self.viewing else ""

    def line(self, me: str) -> str:
        """One line for the thread: `Claimed by ann · bob is viewing · ann is typing a reply`."""
        parts = []
        if self.holder:
            parts.append("Claimed by you" if self.holder == me else f"Claimed by {self.holder}")
        if self.viewing:
            parts.append(f"{', '.join(self.viewing)} {_is(self.viewing)} viewing")
        if self.typing:
            parts.append(f"{', '.join(self.typing)} {_is(self.typing)} typing a reply")
        return " · ".join(parts)


def _is(names: tuple[str, ...]) -> str:
    return "is" if len(names) == 1 else "are"
