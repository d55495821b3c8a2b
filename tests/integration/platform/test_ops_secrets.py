"""The secrets step of the ops scripts (`load_secrets` in ops/lib.sh, run by ops/run): random values
made once per install and kept in .run/secrets.env, never the public development ones."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from lml.config import DEV_JWT_SECRET, LISTENING_SECRETS, Settings

ROOT = Path(__file__).resolve().parents[3]
# Sources the scripts' library, points it at another run directory, runs the step, prints the result.
STEP = """
source "$1/ops/lib.sh"
RUN_DIR="$2"
load_secrets >&2
for name in "${GENERATED_SECRETS[@]}"; do printf '%s=%s\\n' "$name" "${!name}"; done
"""


def load_secrets(run_dir: Path, **environment: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LML_")} | environment
    done = subprocess.run(["bash", "-c", STEP, "bash", str(ROOT), str(run_dir)], env=env, capture_output=True,
                          text=True, timeout=30, check=True)
    return dict(line.split("=", 1) for line in done.stdout.splitlines())


def test_secrets_are_generated_once_and_kept_private(tmp_path: Path) -> None:
    run_dir = tmp_path / ".run"
    first = load_secrets(run_dir)
    second = load_secrets(run_dir)

    assert first == second
    assert set(first) == {f"LML_{name.upper()}" for name in LISTENING_SECRETS}
    assert DEV_JWT_SECRET not in first.values() and len(set(first.values())) == len(first)
    assert stat.S_IMODE((run_dir / "secrets.env").stat().st_mode) == 0o600
    # Good enough for an API that listens beyond loopback.
    Settings.from_env({**first, "LML_HOST": "192.0.2.10"})
    assert load_secrets(tmp_path / "another install") != first


def test_a_secret_set_in_the_environment_is_used_and_not_written_down(tmp_path: Path) -> None:
    mine = "a-secret-from-the-environment-0123456789"
    values = load_secrets(tmp_path, LML_JWT_SECRET=mine)

    assert values["LML_JWT_SECRET"] == mine
    assert mine not in (tmp_path / "secrets.env").read_text()
    assert load_secrets(tmp_path)["LML_JWT_SECRET"] not in (mine, DEV_JWT_SECRET)


def test_the_run_directory_is_never_committed() -> None:
    done = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", ".run/secrets.env"], check=False)
    assert done.returncode == 0
