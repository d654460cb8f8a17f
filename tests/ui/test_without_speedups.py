"""The app works unchanged without textual-speedups (Textual's compiled geometry).

Textual uses `textual_speedups` when it can import it and `TEXTUAL_SPEEDUPS` is not "0";
these tests run a part of the UI suite in a process where it is off, as on a machine
where the package is absent.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def test_geometry_is_textuals_own_python_when_speedups_are_off() -> None:
    code = ("import textual.geometry as g; "
            "print(g.Region.__module__, g.Offset.__module__, g.Size.__module__)")
    off = subprocess.run([sys.executable, "-c", code], env={**os.environ, "TEXTUAL_SPEEDUPS": "0"},
                         capture_output=True, text=True, check=True).stdout.split()
    assert off == ["textual.geometry"] * 3


def test_ui_tests_pass_without_speedups() -> None:
    tests = ["tests/ui/test_paced_markdown.py", "tests/ui/test_textual_internals.py",
             "tests/ui/test_chat_markdown.py::test_static_document_draws_as_textual_markdown"]
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests],
                          cwd=ROOT, env={**os.environ, "TEXTUAL_SPEEDUPS": "0"},
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
