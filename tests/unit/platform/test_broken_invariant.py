"""Rules our own code relies on are checked with explicit errors, which `python -O` keeps."""

import ast
from pathlib import Path

import pytest

import lml
from lml.platform.domain.errors import BrokenInvariant, present


def test_a_missing_value_breaks_the_rule_that_names_it() -> None:
    with pytest.raises(BrokenInvariant, match="orders are never deleted"):
        present(None, "orders are never deleted")


def test_a_falsy_value_is_still_present() -> None:
    assert present(0, "a count") == 0
    assert present("", "a name") == ""


def test_production_code_checks_no_rule_with_assert() -> None:
    source = Path(lml.__file__).parent
    fakes = {"testing.py", "hold_testing.py", "inventory_testing.py"}
    asserts = [
        f"{path.relative_to(source)}:{node.lineno}"
        for path in sorted(source.rglob("*.py")) if path.name not in fakes
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assert)
    ]
    assert asserts == []
