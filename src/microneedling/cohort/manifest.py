"""The photos of a cohort: a manifest read from CSV (or from the stored photos), checked whole.

A manifest has one row per photo: patient, visit (0 = baseline, then 1, 2, ...), date, view and
photo path, optionally the session, indication, Fitzpatrick type and birth year (used by the
statistics' breakdowns and percentiles). Everything is checked before anything is analysed, and
every problem is reported at once, each naming its row and field: a missing, empty or unreadable
file, a file that is not a JPEG/PNG/TIFF, a duplicate row, an unknown view, visits whose dates are
out of order.
"""

from __future__ import annotations

import csv
import io
import os
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

from microneedling.analysis.images import MAX_FILE_BYTES
from microneedling.analysis.prepare import VIEW_YAW_DEG
from microneedling.core.clinical import FitzpatrickType
from microneedling.core.data import read_text_file
from microneedling.core.errors import ValidationError

__all__ = [
    "COLUMNS",
    "OPTIONAL_COLUMNS",
    "Manifest",
    "ManifestError",
    "ManifestRow",
    "Problem",
    "load_manifest",
    "validate_rows",
]

COLUMNS = ("patient", "visit", "date", "view", "photo")
OPTIONAL_COLUMNS = ("session", "indication", "fitzpatrick", "birth_year")
VIEWS = tuple(VIEW_YAW_DEG)
MAX_ROWS = 1_000_000
MAX_MANIFEST_BYTES = 200_000_000
# the first bytes of the photo formats the analysis decodes (analysis/images.py FORMATS)
MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"II*\x00", b"MM\x00*")


@dataclass(frozen=True)
class ManifestRow:
    """One photo of the cohort; ``row`` is its line number in the manifest (header = 1)."""

    row: int
    patient: str
    visit: int
    date: date
    view: str
    photo: Path
    session: int | None = None
    indication: str | None = None
    fitzpatrick: str | None = None
    birth_year: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["date"] = self.date.isoformat()
        out["photo"] = str(self.photo)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ManifestRow:
        values = dict(data)
        values["date"] = date.fromisoformat(values["date"])
        values["photo"] = Path(values["photo"])
        return cls(**values)


@dataclass(frozen=True)
class Problem:
    row: int  # 0: the manifest as a whole
    field: str
    reason: str

    def __str__(self) -> str:
        where = "manifest" if self.row == 0 else f"row {self.row}"
        return f"{where}, {self.field}: {self.reason}"


class ManifestError(ValidationError):
    """Every problem of a manifest, found before anything was started."""

    def __init__(self, problems: list[Problem]) -> None:
        listing = "; ".join(str(p) for p in problems)
        super().__init__("manifest", f"{len(problems)} problem(s), nothing started: {listing}")
        self.problems = problems


@dataclass(frozen=True)
class Manifest:
    rows: tuple[ManifestRow, ...]
    source: str

    @property
    def patients(self) -> list[str]:
        return sorted({r.patient for r in self.rows})


def _int(text: str, row: int, name: str, problems: list[Problem], low: int = 0) -> int | None:
    value = text.strip()
    if not (value.isascii() and value.isdigit()) or int(value) < low or len(value) > 9:
        problems.append(Problem(row, name, f"{text!r} is not a whole number of {low} or more"))
        return None
    return int(value)


def _check_file(path: Path, row: int, problems: list[Problem]) -> None:
    """The photo file exists, can be read, is not empty and starts like a photo."""
    try:
        if not path.is_file():
            reason = "is a folder, not a file" if path.is_dir() else "no such file"
            problems.append(Problem(row, "photo", f"{path}: {reason}"))
            return
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        problems.append(Problem(row, "photo", f"{path}: cannot read: {exc.strerror or exc}"))
        return
    if size == 0:
        problems.append(Problem(row, "photo", f"{path}: the file is empty"))
    elif size > MAX_FILE_BYTES:
        problems.append(Problem(row, "photo", f"{path}: larger than {MAX_FILE_BYTES:,} bytes"))
    elif not head.startswith(MAGIC):
        problems.append(Problem(row, "photo", f"{path}: not a JPEG, PNG or TIFF file"))


def _parse_row(
    values: dict[str, str], row: int, folder: Path, problems: list[Problem]
) -> ManifestRow | None:
    before = len(problems)
    patient = values.get("patient", "").strip()
    if not patient or len(patient) > 64:
        problems.append(Problem(row, "patient", "empty or longer than 64 characters"))
    visit = _int(values.get("visit", ""), row, "visit", problems)
    day: date | None = None
    try:
        day = date.fromisoformat(values.get("date", "").strip())
    except ValueError:
        problems.append(Problem(row, "date", f"{values.get('date', '')!r} is not YYYY-MM-DD"))
    view = values.get("view", "").strip()
    if view not in VIEWS:
        problems.append(Problem(row, "view", f"{view!r} is not one of {', '.join(VIEWS)}"))
    photo_text = values.get("photo", "").strip()
    photo = Path(photo_text)
    if not photo_text:
        problems.append(Problem(row, "photo", "empty"))
    else:
        photo = Path(os.path.abspath(photo if photo.is_absolute() else folder / photo))
    session = None
    if values.get("session", "").strip():
        session = _int(values["session"], row, "session", problems, low=1)
    fitzpatrick = values.get("fitzpatrick", "").strip().upper() or None
    if fitzpatrick is not None and fitzpatrick not in FitzpatrickType.__members__:
        problems.append(Problem(row, "fitzpatrick", f"{fitzpatrick!r} is not I-VI"))
    birth_year = None
    if values.get("birth_year", "").strip():
        birth_year = _int(values["birth_year"], row, "birth_year", problems, low=1900)
    fatal = len(problems) > before or visit is None or day is None
    if photo_text:
        _check_file(photo, row, problems)  # a file's problem still lets the rows be compared
    if fatal or visit is None or day is None:
        return None
    return ManifestRow(
        row=row,
        patient=patient,
        visit=visit,
        date=day,
        view=view,
        photo=photo,
        session=session,
        indication=values.get("indication", "").strip() or None,
        fitzpatrick=fitzpatrick,
        birth_year=birth_year,
    )


def validate_rows(rows: list[ManifestRow]) -> list[Problem]:
    """Problems between rows: duplicates, and visits whose dates are out of order."""
    problems: list[Problem] = []
    seen: dict[tuple[str, int, str], int] = {}
    files: dict[Path, int] = {}
    for r in rows:
        key = (r.patient, r.visit, r.view)
        if key in seen:
            problems.append(
                Problem(
                    r.row,
                    "visit",
                    f"duplicate of row {seen[key]}: {r.patient} visit {r.visit} {r.view}",
                )
            )
        else:
            seen[key] = r.row
        resolved = r.photo.resolve()
        if resolved in files:
            problems.append(Problem(r.row, "photo", f"the same file as row {files[resolved]}"))
        else:
            files[resolved] = r.row
    by_patient: dict[str, dict[int, list[ManifestRow]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_patient[r.patient][r.visit].append(r)
    for patient, visits in by_patient.items():
        previous: tuple[int, date] | None = None
        for visit in sorted(visits):
            days = {r.date for r in visits[visit]}
            if len(days) > 1:
                r = visits[visit][-1]
                problems.append(
                    Problem(r.row, "date", f"{patient} visit {visit} has several dates")
                )
            day = min(days)
            if previous is not None and day <= previous[1]:
                r = visits[visit][0]
                problems.append(
                    Problem(
                        r.row,
                        "date",
                        f"{patient} visit {visit} on {day} is not after visit {previous[0]} "
                        f"on {previous[1]}",
                    )
                )
            previous = (visit, day)
    return problems


def parse_manifest(text: str, folder: Path, source: str) -> Manifest:
    """Rows of a CSV manifest; relative photo paths are taken from ``folder``."""
    problems: list[Problem] = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [h for h in header if h not in COLUMNS + OPTIONAL_COLUMNS]
    if missing:
        problems.append(Problem(0, "columns", f"missing {', '.join(missing)}"))
    if unknown:
        known = ", ".join(COLUMNS + OPTIONAL_COLUMNS)
        problems.append(Problem(0, "columns", f"unknown {', '.join(unknown)}; known: {known}"))
    if problems:
        raise ManifestError(problems)
    reader.fieldnames = header
    rows: list[ManifestRow] = []
    for number, values in enumerate(reader, start=2):
        if number > MAX_ROWS:
            problems.append(Problem(0, "rows", f"more than {MAX_ROWS:,} rows"))
            break
        if None in values:
            problems.append(Problem(number, "columns", "more cells than the header"))
            continue
        clean = {k: (v or "") for k, v in values.items()}
        if not any(v.strip() for v in clean.values()):
            continue
        parsed = _parse_row(clean, number, folder, problems)
        if parsed is not None:
            rows.append(parsed)
    problems.extend(validate_rows(rows))
    if not rows and not problems:
        problems.append(Problem(0, "rows", "no photos listed"))
    if problems:
        raise ManifestError(sorted(problems, key=lambda p: (p.row, p.field)))
    return Manifest(tuple(rows), source)


def load_manifest(path: Path) -> Manifest:
    """Read and check a CSV manifest; raise ``ManifestError`` listing every problem."""
    text = read_text_file(path, "manifest", max_bytes=MAX_MANIFEST_BYTES)
    return parse_manifest(text.lstrip("\ufeff"), path.parent, str(path))


def write_manifest(rows: list[ManifestRow], path: Path) -> None:
    """Write rows as a CSV manifest (photo paths relative to its folder where they can be)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS + OPTIONAL_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for r in rows:
        values = r.as_dict()
        del values["row"]
        try:
            values["photo"] = os.path.relpath(r.photo, path.parent)
        except ValueError:
            values["photo"] = str(r.photo)
        writer.writerow({k: "" if v is None else v for k, v in values.items()})
    temp = path.with_name(f".{path.name}.partial")
    temp.write_text(buffer.getvalue(), encoding="utf-8")
    os.replace(temp, path)
