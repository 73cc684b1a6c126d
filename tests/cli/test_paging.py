"""``patients list`` and ``audit`` a page at a time: limit/offset correctness and bounds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from sqlalchemy import select

from microneedling.cli.listing import render_json_rows, render_listing
from microneedling.core.errors import ValidationError
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import export
from microneedling.services import patients as patient_service
from microneedling.services.paging import MAX_LIMIT, Page
from microneedling.services.views import patient_view, record
from tests.cli.conftest import Cli, ok, refused

N = 7
CODES = [f"P{i:02d}" for i in range(N, 0, -1)]  # imported in reverse: listed by code


@pytest.fixture
def seven(cli: Cli, tmp_path: Path) -> Cli:
    path = tmp_path / "seven.yaml"
    path.write_text(
        "patients:\n"
        + "".join(f"  - {{code: {c}, birth_year: 1990, fitzpatrick: III}}\n" for c in CODES)
    )
    ok(cli("import", str(path)))
    return cli


def _json(cli: Cli, *args: str) -> Any:
    return json.loads(ok(cli(*args, "--json")).stdout)


def _codes(cli: Cli, limit: int, offset: int) -> list[str]:
    rows = _json(cli, "patients", "list", "--limit", str(limit), "--offset", str(offset))
    return [r["code"] for r in rows]


def test_patient_pages_tile_the_whole_list(seven: Cli) -> None:
    everything = _codes(seven, MAX_LIMIT, 0)
    assert everything == sorted(CODES)
    for limit in (1, 2, 3, N, N + 1):
        pages = [_codes(seven, limit, offset) for offset in range(0, N + limit, limit)]
        assert [c for page in pages for c in page] == everything
        assert all(len(page) <= limit for page in pages)
    assert _codes(seven, 3, 5) == ["P06", "P07"]
    assert _codes(seven, 3, N) == []
    assert _codes(seven, 3, 10**6) == []


def test_the_default_page_is_the_first_hundred(seven: Cli) -> None:
    assert [r["code"] for r in _json(seven, "patients", "list")] == sorted(CODES)


def test_a_page_as_json_is_the_patients_record(seven: Cli, database: Database) -> None:
    listed = _json(seven, "patients", "list", "--limit", "2", "--offset", "1")
    with database.reading() as s:
        full = [
            patient_view(p) for p in s.scalars(select(models.Patient).order_by(models.Patient.code))
        ]
        assert patient_service.list_patients(s) == full
    assert listed == full[1:3]
    assert "T" in listed[0]["created_at"]  # an ISO date-time, as every JSON view gives it


def test_the_table_says_which_rows_it_shows_and_how_to_go_on(seven: Cli) -> None:
    middle = ok(seven("patients", "list", "--limit", "3", "--offset", "3")).stdout
    assert "Patients: rows 4–6 of 7" in middle
    assert "next page: --offset 6" in middle
    assert [line.split()[0] for line in middle.splitlines()[3:6]] == ["P04", "P05", "P06"]
    last = ok(seven("patients", "list", "--limit", "3", "--offset", "6")).stdout
    assert "rows 7–7 of 7" in last and "next page" not in last
    assert "none of 7 from row 21" in ok(seven("patients", "list", "--offset", "20")).stdout


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--limit", "0"), "limit: 0 is outside 1–10,000"),
        (("--limit", str(MAX_LIMIT + 1)), "limit"),
        (("--limit", "-5"), "limit"),
        (("--offset", "-1"), "offset: -1 is outside"),
        (("--offset", str(2**31)), "offset"),
    ],
)
def test_page_bounds_are_one_clear_error(seven: Cli, args: tuple[str, ...], field: str) -> None:
    refused(seven("patients", "list", *args), field)
    refused(seven("audit", *args), field)


def test_audit_pages_newest_first_without_gaps_or_overlaps(seven: Cli, database: Database) -> None:
    everything = _json(seven, "audit", "--limit", str(MAX_LIMIT))
    total = len(everything)
    assert total >= N  # one entry per imported patient, at least
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids, reverse=True)
    pages = [_json(seven, "audit", "--limit", "3", "--offset", str(o)) for o in range(0, total, 3)]
    assert [e for page in pages for e in page] == everything
    assert _json(seven, "audit", "--limit", "3", "--offset", str(total)) == []
    with database.reading() as s:
        orm = s.scalars(select(models.AuditEntry).order_by(models.AuditEntry.seq.desc()))
        assert everything == [record(e) for e in orm]  # the same view as every other surface
        assert export.audit_trail(s, limit=2, offset=1) == everything[1:3]
        assert export.count_audit(s) == total


def test_the_audit_table_pages_too(seven: Cli) -> None:
    newest = _json(seven, "audit", "--limit", "1")[0]
    text = ok(seven("audit", "--limit", "2")).stdout
    assert "Audit log, newest first: rows 1–2 of" in text
    assert text.splitlines()[3].split()[0] == str(newest["id"])
    assert "older entries: --offset 2" in text


def test_page_values_are_checked_below_the_cli() -> None:
    assert Page(MAX_LIMIT, 0).limit == MAX_LIMIT
    for limit, offset in ((0, 0), (MAX_LIMIT + 1, 0), (1, -1), (True, 0)):
        with pytest.raises(ValidationError, match=r"^(limit|offset): "):
            Page(limit, offset)


def test_listings_show_stored_text_as_text_aligned() -> None:
    text = render_listing(
        "T", ("code", "who", "n"), [("a\x1b[31mb", "[bold]x[/]", 1), ("寿司", "z\n", 22)]
    )
    lines = text.splitlines()
    assert lines[0] == "T"
    assert "a\\x1b[31mb" in lines[3] and "[bold]x[/]" in lines[3]  # escaped, not read as markup
    assert "z\\x0a" in lines[4] and len(lines) == 5  # a newline does not break the row
    first, second = lines[3], lines[4]
    at_first = cell_len(first[: first.index("[bold]")])
    assert at_first == cell_len(second[: second.index("z\\x0a")]) == 12  # wide chars align
    assert not any(line.endswith(" ") for line in lines)


def test_json_rows_are_the_same_document_one_row_a_line() -> None:
    rows = [{"a": 1, "b": "x\u0085y", "c": {"d": [1, 2]}}, {"a": 2, "b": "é", "c": None}]
    text = render_json_rows(rows)
    assert json.loads(text) == rows
    assert "\u0085" not in text and "\\u0085" in text and "é" in text
    assert len(text.splitlines()) == 4
    assert render_json_rows([]) == "[]"
