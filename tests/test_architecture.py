"""The layering of DESIGN.md, checked mechanically by import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    # Beside this Python when its environment is not on PATH (a venv run without activating it).
    beside = Path(sys.executable).with_name("lint-imports")
    exe = shutil.which("lint-imports") or (str(beside) if beside.exists() else None)
    assert exe, "import-linter is part of the dev extra"
    result = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
