"""Which modules a piece of code imports, seen from a fresh interpreter (the test process has them all)."""

from __future__ import annotations

import subprocess
import sys


def imported_by(code: str, *modules: str) -> list[str]:
    """Those of `modules` that are in sys.modules after `code` runs in a new Python process."""
    probe = f"{code}\nimport sys\nprint(' '.join(m for m in {modules!r} if m in sys.modules))\n"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()
