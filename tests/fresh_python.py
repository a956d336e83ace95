"""Which modules a piece of code imports, and what it prints, seen from a fresh interpreter."""

from __future__ import annotations

import subprocess
import sys


def imported_by(code: str, *modules: str) -> list[str]:
    """Those of `modules` that `code` imports, run in a new Python process.

    A module the interpreter had imported before `code` ran is not counted: a site hook (a `.pth` file
    of the machine's, such as one importing certifi, and with it zipfile) is no doing of the code's.
    """
    return printed_by(
        f"import sys\n_before = set(sys.modules)\n{code}\n"
        f"print(' '.join(m for m in {modules!r} if m in sys.modules and m not in _before))\n"
    )


def printed_by(code: str) -> list[str]:
    """The words `code` prints, run in a new Python process (which must succeed)."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()
