"""Runs the real `socialdesk` command line in-process, as the tests of the commands do."""

from __future__ import annotations

import pytest

from socialdesk.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """`socialdesk ARGS...`: its exit code, standard output and standard error."""
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err
