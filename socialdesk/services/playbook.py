"""Loads the team's playbook TOML (rules, saved queues, intents, canned replies) and checks its sections.

Each service parses its own section (`macro` in services/macros.py, `rule`/`queue`/`intent`/`vip`
in the triage services); this module only reads the file and rejects unknown top-level keys.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import msgspec

from socialdesk.errors import UserError
from socialdesk.locations import package_data_dir

SECTIONS = ("macro", "rule", "queue", "intent", "vip", "dm_template", "sla", "escalation", "automation")


class PlaybookFile(msgspec.Struct):
    """A playbook's raw sections and where it came from (for error messages)."""

    source: str
    sections: dict[str, object] = msgspec.field(default_factory=dict)

    def section(self, name: str, default: object = None) -> object:
        """One top-level section (list of tables for `[[macro]]`, `[[rule]]` ...)."""
        return self.sections.get(name, default)


def sample_path() -> Path:
    """The sample playbook shipped with socialdesk."""
    return package_data_dir() / "playbook.toml"


def playbook_path(path: str | Path | None) -> Path:
    """The file a configured playbook path names (None or "": the bundled sample)."""
    return Path(path).expanduser() if path else sample_path()


def load_playbook(path: str | Path | None) -> PlaybookFile:
    """Read a playbook file (None or "": the bundled sample).

    Raises:
        UserError: the file is missing, not TOML, or has an unknown top-level key.
    """
    file = playbook_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"playbook not found: {file}") from None
    except UnicodeDecodeError:
        raise UserError(f"{file}: not a text file (a playbook is UTF-8 TOML)") from None
    except OSError as exc:
        raise UserError(f"{file}: cannot read the playbook: {exc.strerror or exc}") from None
    return parse_playbook(text, str(file))


def parse_playbook(text: str, source: str) -> PlaybookFile:
    """A playbook's sections from its TOML text (`source` names it in errors).

    Raises:
        UserError: not TOML, or an unknown top-level key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise UserError(f"{source}: not valid TOML: nested too deeply") from None
    for key in data:
        if key not in SECTIONS:
            raise UserError(f"{source}: unknown playbook section {key!r} (known: {', '.join(SECTIONS)})")
    return PlaybookFile(source=source, sections=data)
