"""The import-linter contracts in pyproject.toml pass on the code as it is and catch a deliberate violation.

Each case copies `src/lml` and `pyproject.toml` to a temporary directory, adds one forbidden import
there, and runs `lint-imports` on the copy: the real tree is never touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = str(Path(sys.executable).parent / "lint-imports")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "src" / "lml", tmp_path / "src" / "lml", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    # The copy comes first on the path, ahead of the installed (editable) package.
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run(
        [LINT_IMPORTS, "--no-cache"], cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_contracts_hold_on_the_code_as_it_is(copy: Path) -> None:
    done = lint_imports(copy)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "broken" in done.stdout and "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "source", "broken_contract"),
    [
        ("identity/domain/leaky.py", "import psycopg\n", "The domain does no I/O"),
        ("catalog/domain/leaky.py", "from litestar import Request\n", "The domain does no I/O"),
        ("venues/application/leaky.py", "from lml.identity.domain import user\n",
         "Venues reach other contexts only where listed"),
        # A facade import not listed as an exception: seating would learn of catalog, which knows seating.
        ("seating/infrastructure/leaky.py", "from lml.catalog.events import ShowCancelled\n",
         "Seating reaches other contexts only where listed"),
        ("payments/infrastructure/leaky.py", "import lml.ordering.facade\n",
         "No cycle between contexts, nor between the process' top-level modules"),
        ("catalog/infrastructure/leaky.py", "import lml.container\n",
         "The catalog reaches other contexts only where listed"),
        ("ordering/infrastructure/leaky.py", "from lml.ordering.application import testing\n",
         "Production code does not import the in-memory fakes"),
        ("identity/domain/leaky.py", "from lml.identity.application import ports\n", "Each context is layered"),
        ("seating/application/leaky.py", "import dramatiq\n",
         "The application layer imports no driver and no framework"),
        ("ordering/application/leaky.py", "from lml.platform.db import Database\n",
         "The application layer imports no driver and no framework"),
        ("platform/leaky.py", "import lml.ordering.facade\n", "The platform imports no context"),
    ],
)
def test_a_deliberate_violation_fails_lint_imports(
    copy: Path, module: str, source: str, broken_contract: str
) -> None:
    (copy / "src" / "lml" / module).write_text(source)

    done = lint_imports(copy)

    assert done.returncode != 0
    assert f"{broken_contract} BROKEN" in done.stdout, done.stdout
    assert f"lml.{module.removesuffix('.py').replace('/', '.')}" in done.stdout
