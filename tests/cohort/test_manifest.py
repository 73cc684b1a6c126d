"""Manifest checks: every problem of a manifest in one report, naming rows and fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from microneedling.cohort.manifest import ManifestError, load_manifest

JPEG_HEAD = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _write(folder: Path, text: str) -> Path:
    path = folder / "manifest.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(JPEG_HEAD)
    (tmp_path / "b.jpg").write_bytes(JPEG_HEAD)
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "text.jpg").write_text("not a photo")
    manifest = _write(
        tmp_path,
        "patient,visit,date,view,photo\n"
        "P1,0,2026-01-05,front,a.jpg\n"  # 2: fine
        "P1,0,2026-01-05,front,b.jpg\n"  # 3: duplicate of row 2
        "P1,1,2026-01-01,front,missing.jpg\n"  # 4: missing file, date before visit 0
        "P2,0,2026-01-05,profile,empty.jpg\n"  # 5: unknown view, empty file
        "P2,x,2026-13-01,front,text.jpg\n"  # 6: visit and date malformed, not a photo
        "P3,0,2026-01-05,front,a.jpg\n",  # 7: the same file as row 2
    )
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    found = {(p.row, p.field) for p in caught.value.problems}
    assert found == {
        (3, "visit"),
        (4, "photo"),
        (4, "date"),
        (5, "view"),
        (5, "photo"),
        (6, "visit"),
        (6, "date"),
        (6, "photo"),
        (7, "photo"),
    }
    text = str(caught.value)
    assert "row 4, photo" in text and "no such file" in text
    assert "row 3, visit: duplicate of row 2" in text
    assert "not after visit 0" in text


def test_missing_and_unknown_columns_are_named(tmp_path: Path) -> None:
    manifest = _write(tmp_path, "patient,visit,view,photo,colour\nP1,0,front,a.jpg,red\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest(manifest)
    assert [p.field for p in caught.value.problems] == ["columns", "columns"]
    assert "missing date" in str(caught.value) and "unknown colour" in str(caught.value)


def test_a_good_manifest_loads_with_optional_columns(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(JPEG_HEAD)
    (tmp_path / "b.jpg").write_bytes(JPEG_HEAD)
    manifest = _write(
        tmp_path,
        "patient,visit,date,view,photo,session,indication,fitzpatrick,birth_year\n"
        "P1,0,2026-01-05,front,a.jpg,,acne_scars,iii,1980\n"
        "P1,1,2026-03-05,front,b.jpg,3,acne_scars,III,1980\n",
    )
    loaded = load_manifest(manifest)
    assert [r.visit for r in loaded.rows] == [0, 1]
    assert loaded.rows[0].photo == tmp_path / "a.jpg"
    assert loaded.rows[1].session == 3 and loaded.rows[0].fitzpatrick == "III"
