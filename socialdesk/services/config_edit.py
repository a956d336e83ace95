"""Edits the config file in place, keeping its comments and layout: [[accounts]] tables added or removed.

Every edit validates the whole new text as a config before it replaces the file (atomically), so a
broken edit never reaches disk.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from socialdesk.config import parse
from socialdesk.errors import UserError

_TABLE = re.compile(r"^\s*\[\[\s*accounts\s*\]\]\s*(#.*)?$")
_HEADER = re.compile(r"^\s*\[")


def write_config(path: Path, text: str) -> None:
    """Validate the whole file, then replace it (a broken edit never reaches disk)."""
    try:
        parse(tomllib.loads(text), str(path))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{path}: the edit would not be valid TOML: {exc}") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def append_account(path: Path, table: dict[str, Any]) -> None:
    """Append an [[accounts]] table to the config file, keeping its comments and layout."""
    import tomli_w

    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if re.search(r"^\s*accounts\s*=", text, re.MULTILINE):
        raise UserError(f"{path}: accounts are written inline; move them to [[accounts]] tables first")
    if text and not text.endswith("\n"):
        text += "\n"
    write_config(path, f"{text}\n[[accounts]]\n{tomli_w.dumps(table)}")


def remove_account(path: Path, name: str) -> None:
    """Delete the [[accounts]] table named `name` from the config file, keeping everything else."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = None
    for index, line in enumerate([*lines, "[end]\n"]):
        if start is not None and _HEADER.match(line):
            body = "".join(lines[start + 1 : index])
            try:
                found = tomllib.loads(body).get("name") == name
            except tomllib.TOMLDecodeError:
                found = False
            if found:
                write_config(path, "".join(lines[:start] + lines[index:]))
                return
            start = None
        if index < len(lines) and _TABLE.match(line):
            start = index
    raise UserError(f"{path}: no [[accounts]] table named {name!r}")
