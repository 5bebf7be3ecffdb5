"""`make lab` passes --allow-root to JupyterLab exactly when the user is root (issue 18).

Dry runs (`make -n`) only: nothing is started. A stand-in `id` on PATH gives both cases
whatever user runs the tests; one run with the real `id` checks the current user.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")


def _lab_command(env: dict[str, str] | None = None) -> str:
    out = subprocess.run(
        ["make", "-n", "-s", "lab"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    lines = [ln for ln in out.splitlines() if "jupyter lab" in ln]
    assert len(lines) == 1, out
    return lines[0]


@pytest.mark.parametrize(("uid", "flag"), [("0", True), ("1000", False)])
def test_allow_root_only_for_uid_0(tmp_path: Path, uid: str, flag: bool) -> None:
    fake_id = tmp_path / "id"
    fake_id.write_text(f"#!/bin/sh\necho {uid}\n")
    fake_id.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}{os.pathsep}{os.environ.get('PATH', '')}"}
    cmd = _lab_command(env)
    assert ("--allow-root" in cmd) is flag, cmd
    assert cmd.rstrip().endswith("notebooks/"), cmd


def test_allow_root_for_the_current_user() -> None:
    cmd = _lab_command()
    assert ("--allow-root" in cmd) is (os.getuid() == 0), cmd
