"""Programs outside the desk: the agent's $EDITOR for a draft, a shell command a thread is piped to."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

import msgspec

from socialdesk.errors import UserError

PIPE_TIMEOUT = 60.0  # seconds a piped command may run before it is stopped
PIPE_OUTPUT_LIMIT = 256 * 1024  # characters of its output the desk keeps and shows


def editor_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """The editor to run, as argv: $VISUAL, else $EDITOR (either may carry options), else vi."""
    env = os.environ if environ is None else environ
    line = (env.get("VISUAL") or env.get("EDITOR") or "vi").strip() or "vi"
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise UserError(f"$EDITOR cannot be read ({exc}): {line!r}") from None
    return argv or ["vi"]


def edit_text(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Run the editor on `text` in a private temporary file and return what the file holds after.

    The file is readable by the agent only (drafts hold customer data) and removed afterwards. One
    final newline, which most editors add on save, is dropped.

    Raises:
        UserError: the editor is missing, could not run, or exited with an error (the draft is unchanged).
    """
    argv = editor_command(environ)
    fd, name = tempfile.mkstemp(prefix="socialdesk-reply-", suffix=".txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            status = subprocess.call([*argv, str(path)])
        except OSError as exc:
            raise UserError(f"Cannot run the editor {argv[0]!r}: {exc.strerror or exc}") from None
        if status != 0:
            raise UserError(f"The editor {argv[0]!r} exited with status {status}: the draft is unchanged")
        try:
            edited = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"Cannot read the edited draft back from {path}: {exc}") from None
    finally:
        path.unlink(missing_ok=True)
    return edited[:-1] if edited.endswith("\n") else edited


class PipeResult(msgspec.Struct, frozen=True):
    """What a piped command printed (stdout, then stderr), and whether it was cut at the limit."""

    command: str
    output: str
    truncated: bool = False


def pipe_to(command: str, data: str, timeout: float = PIPE_TIMEOUT) -> PipeResult:
    """Run `command` in the shell with `data` on its standard input, as aerc's :pipe does.

    Raises:
        UserError: the command failed (non-zero status, could not start, timed out), in one line.
    """
    if not command.strip():
        raise UserError("No command to pipe the thread to")
    try:
        # Its own process group: a timeout stops the command and anything it started, which would
        # otherwise keep the pipes open and the desk waiting.
        proc = subprocess.Popen(
            command,
            shell=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
    except OSError as exc:
        raise UserError(f"Cannot run '{command}': {exc.strerror or exc}") from None
    try:
        stdout, stderr = proc.communicate(data, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise UserError(f"'{command}' did not finish within {timeout:g} s and was stopped") from None
    done = subprocess.CompletedProcess(command, proc.returncode, stdout, stderr)
    output = done.stdout + done.stderr
    if done.returncode != 0:
        last = next((line for line in reversed(done.stderr.splitlines()) if line.strip()), "")
        why = f": {last.strip()[:200]}" if last else ""
        raise UserError(f"'{command}' exited with status {done.returncode}{why}")
    truncated = len(output) > PIPE_OUTPUT_LIMIT
    return PipeResult(command, output[:PIPE_OUTPUT_LIMIT], truncated)
