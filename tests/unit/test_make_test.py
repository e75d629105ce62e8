"""`make test` on a machine without chromium: it installs Debian's as root, and otherwise stops
at once with one line saying what to run."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _make(*args: str, env: dict[str, str] | None = None, as_nobody: bool = False):  # type: ignore[no-untyped-def]
    command = ["make", "--no-print-directory", "-C", str(ROOT), *args]
    if as_nobody:
        command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=60, check=False, cwd="/"
    )


def test_make_test_without_chromium_as_a_user_stops_at_once_with_one_line() -> None:
    missing = f"/nonexistent-{uuid.uuid4().hex}/chromium"  # a path any user may look for
    done = _make("test", f"CHROMIUM={missing}", as_nobody=True)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "sudo apt-get install chromium" in lines[0]
    assert "passed" not in done.stdout  # stopped before the tests, not after them


def test_make_test_without_chromium_as_root_installs_debians(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("the install branch runs as root")
    # apt-get itself would change this machine: a stand-in records what make asked of it.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "apt-get.calls"
    chromium = tmp_path / "chromium"
    apt_get = bin_dir / "apt-get"
    apt_get.write_text(
        "#!/bin/sh\n"
        f'echo "DEBIAN_FRONTEND=$DEBIAN_FRONTEND $*" >> {calls}\n'
        f'case "$*" in *install*) touch {chromium};; esac\n'
    )
    apt_get.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k != "DEBIAN_FRONTEND"}
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    done = _make(str(chromium), f"CHROMIUM={chromium}", env=env)
    assert done.returncode == 0, done.stderr
    assert calls.read_text().splitlines() == [
        "DEBIAN_FRONTEND= update",
        "DEBIAN_FRONTEND=noninteractive install -y --no-install-recommends chromium",
    ]
    assert chromium.exists()
