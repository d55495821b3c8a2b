"""The attendee CSV: RFC 4180 quoting, and cells a spreadsheet would run as formulas neutralized."""

from __future__ import annotations

import csv
import io

import pytest

from lml.ordering.infrastructure.attendees_csv import HEADER, csv_lines


def parsed(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_a_cell_that_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote(name: str) -> None:
    assert parsed(csv_lines([("o1", name, "a@example.com")]))[0][1] == "'" + name


def test_commas_quotes_and_line_breaks_survive_a_round_trip() -> None:
    row = ("o1", 'Ann "The Fan", Jr.', "ann@example.com", "Stalls A, row 1\nseat 2", "Stalls", 5250, "USD", "paid")
    data = csv_lines([HEADER, row])
    assert data.endswith(b"\r\n")
    assert parsed(data) == [list(HEADER), [str(cell) for cell in row]]


def test_missing_values_are_empty_cells_and_emails_are_left_alone() -> None:
    assert parsed(csv_lines([("o1", None, "ann@example.com")])) == [["o1", "", "ann@example.com"]]
