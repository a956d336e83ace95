"""The editor and pipe helpers: argv from $VISUAL/$EDITOR, errors in one line, limits on what comes back."""

from __future__ import annotations

import sys

import pytest

from socialdesk.errors import UserError
from socialdesk.services import external


def test_editor_command_prefers_visual_and_keeps_options() -> None:
    assert external.editor_command({"VISUAL": "nvim -u NONE", "EDITOR": "nano"}) == ["nvim", "-u", "NONE"]
    assert external.editor_command({"EDITOR": "'/opt/my editor/ed' -x"}) == ["/opt/my editor/ed", "-x"]
    assert external.editor_command({}) == ["vi"]
    with pytest.raises(UserError, match="cannot be read"):
        external.editor_command({"EDITOR": "vim 'unclosed"})


def test_a_missing_editor_is_one_line_and_the_temp_file_is_gone(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(external.tempfile, "tempdir", str(tmp_path))
    with pytest.raises(UserError, match="Cannot run the editor 'no-such-editor-xyz'"):
        external.edit_text("secret draft", {"EDITOR": "no-such-editor-xyz"})
    assert list(tmp_path.iterdir()) == []


def test_pipe_output_is_cut_at_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(external, "PIPE_OUTPUT_LIMIT", 10)
    result = external.pipe_to("cat", "0123456789abcdef")
    assert result.output == "0123456789" and result.truncated


def test_a_command_that_hangs_is_stopped() -> None:
    with pytest.raises(UserError, match=r"did not finish within 0\.5 s"):
        # The shell's child (a sleeping grandchild) is stopped too, else the pipes would stay open.
        external.pipe_to(f"{sys.executable} -c 'import time; time.sleep(30)' | cat", "", timeout=0.5)


def test_a_command_that_ignores_its_input_is_fine() -> None:
    assert external.pipe_to("echo hi", "x" * 1_000_000).output == "hi\n"
