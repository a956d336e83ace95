"""Writes the agent's name into the config file's [desk] table, keeping the rest of the file as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

from socialdesk.config import DeskSettings
from socialdesk.errors import UserError
from socialdesk.services.config_edit import write_config

_DESK = re.compile(r"^\s*\[desk\]\s*(#.*)?$")
_TABLE = re.compile(r"^\s*\[")
_AGENT = re.compile(r"^\s*agent\s*=")


def agent_unset(desk: DeskSettings) -> bool:
    """Whether the agent's name is still the placeholder customers must never read ("I'm agent")."""
    return desk.agent.strip() in ("", DeskSettings().agent)


def save_agent_name(path: Path, name: str) -> None:
    """Set `[desk] agent = name` in the config at `path` (created if missing), validated before writing.

    Raises:
        UserError: the name is empty, or the file would not be a valid config afterwards.
    """
    name = " ".join(name.split())
    if not name:
        raise UserError("the name is empty")
    line = f"agent = {json.dumps(name, ensure_ascii=False)}\n"  # a JSON string is a TOML basic string
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
    desk = next((i for i, text in enumerate(lines) if _DESK.match(text)), None)
    if desk is None:
        if lines and not lines[-1].endswith("\n"):
            lines[-1] += "\n"
        lines += ["\n" if lines else "", "[desk]\n", line]
    else:
        end = next((i for i in range(desk + 1, len(lines)) if _TABLE.match(lines[i])), len(lines))
        agent = next((i for i in range(desk + 1, end) if _AGENT.match(lines[i])), None)
        if agent is None:
            lines.insert(desk + 1, line)
        else:
            lines[agent] = line
    write_config(path, "".join(lines))
