"""The alert rules of ops/prometheus are valid Prometheus rules, and fire on what they should
(ops/prometheus/alerts_test.yml), as Prometheus' own promtool says. ops/test installs promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parents[3] / "ops" / "prometheus"


@pytest.mark.parametrize("check", [["check", "rules", "alerts.yml"], ["test", "rules", "alerts_test.yml"]],
                         ids=["check", "test"])
def test_promtool_accepts_the_alert_rules_and_their_tests(check: list[str]) -> None:
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not installed: ops/test installs it (Debian's prometheus package)"
    done = subprocess.run([promtool, *check], cwd=RULES, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
