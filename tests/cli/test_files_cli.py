"""Output files are written atomically, never over a user's file without --force, and a command
that writes a file and commits a record does both or neither."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from microneedling.core.errors import ValidationError
from microneedling.core.files import atomic_output, check_output, write_text
from tests.cli.conftest import PLAN_CREATE, Cli, ok, refused, run

# --- the helper ---------------------------------------------------------------------------------


def test_a_new_file_appears_whole_with_the_usual_mode(tmp_path: Path) -> None:
    target = tmp_path / "new" / "sheet.txt"  # a missing folder is made
    write_text(target, "all of it\n", "sheet")
    assert target.read_text() == "all of it\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["sheet.txt"]


def test_an_existing_file_is_replaced_only_with_force(tmp_path: Path) -> None:
    target = tmp_path / "mine.txt"
    target.write_text("the user's")
    with pytest.raises(ValidationError) as err:
        write_text(target, "ours", "output")
    assert err.value.field == "output"
    assert "exists" in err.value.reason
    assert target.read_text() == "the user's"
    write_text(target, "ours", "output", force=True)
    assert target.read_text() == "ours"


def test_a_failure_while_writing_leaves_the_target_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("before")
    with pytest.raises(RuntimeError), atomic_output(target, "report", force=True) as out:
        out.write_text("half")
        assert out.temp.parent == tmp_path and out.temp.read_text() == "half"
        raise RuntimeError("the commit failed")
    assert target.read_text() == "before"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


@pytest.mark.parametrize(
    ("name", "suffixes", "reason"),
    [
        ("folder", (), "is a folder"),
        ("link.txt", (), "not a regular file"),
        ("x.txt", (".png",), "must end in .png"),
        ("file.txt/inner.txt", (), "is not a folder"),
        ("", (), "is a folder"),  # Path("") is the current folder
    ],
)
def test_targets_that_must_not_be_written(
    tmp_path: Path, name: str, suffixes: tuple[str, ...], reason: str
) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("x")
    (tmp_path / "link.txt").symlink_to(tmp_path / "file.txt")
    with pytest.raises(ValidationError, match=reason):
        check_output(tmp_path / name if name else Path(""), "out", force=True, suffixes=suffixes)


def test_device_files_are_never_replaced() -> None:
    with pytest.raises(ValidationError, match="not a regular file"):
        check_output(Path("/dev/full"), "out", force=True)


# --- the commands ---------------------------------------------------------------------------


def _audit_count(cli: Cli) -> int:
    return len(json.loads(ok(cli("audit", "--json", "--limit", "10000")).stdout))


def test_export_never_overwrites_without_force_and_logs_only_what_was_written(
    clinic: Cli, tmp_path: Path
) -> None:
    target = tmp_path / "P1.json"
    ok(clinic("export", "P1", "-o", str(target)))
    first = json.loads(target.read_text())
    assert first["patient"]["code"] == "P1"
    before = _audit_count(clinic)
    target.write_text("the user's notes")
    refused(clinic("export", "P1", "-o", str(target)), "output", "exists")
    assert target.read_text() == "the user's notes"
    refused(clinic("export", "P1", "-o", "/dev/full"), "output", "not a regular file")
    refused(clinic("export", "P1", "-o", str(tmp_path)), "output", "is a folder")
    assert _audit_count(clinic) == before  # no export logged for a file not written
    ok(clinic("export", "P1", "-o", str(target), "--force"))
    assert json.loads(target.read_text())["patient"]["code"] == "P1"
    assert _audit_count(clinic) == before + 1


def _session_ready_to_finish(clinic: Cli) -> str:
    screening = json.loads(
        run(
            clinic, "screening run P1 --clinician 'Dr A' --yes recent_retinoids --rest-no --json"
        ).stdout
    )
    run(clinic, f"screening acknowledge {screening['id']} --clinician 'Dr A'")
    run(clinic, PLAN_CREATE)
    plan = json.loads(run(clinic, "plan show 1 --json").stdout)
    depth = next(z["depth_mm"] for z in plan["zones"] if z["zone"] == "cheek_left")
    session = json.loads(run(clinic, "session start 1 --clinician 'Dr A' --json").stdout)
    sid = str(session["id"])
    run(
        clinic,
        f"session record preparation {sid} --cleansed --numbing emla --dwell-minutes 60 "
        "--area cheeks",
    )
    run(
        clinic,
        f"session record zone {sid} --zone cheek_left --depth {depth} --passes 3 "
        "--pattern crosshatch --endpoint pinpoint_bleeding --lot L1",
    )
    run(clinic, f"session record post-treatment {sid} --product 'HA serum' --sterile")
    return sid


def _phase(clinic: Cli, sid: str) -> str:
    return str(json.loads(ok(clinic("session", "show", sid, "--json")).stdout)["phase"])


def test_session_finish_writes_the_sheet_and_completes_or_does_neither(
    clinic: Cli, tmp_path: Path
) -> None:
    sid = _session_ready_to_finish(clinic)
    tmp_path = tmp_path / "out"  # beside the test database
    tmp_path.mkdir()
    sheet = tmp_path / "aftercare.txt"
    sheet.write_text("last patient's sheet")
    before = _audit_count(clinic)
    refused(clinic("session", "finish", sid, "--aftercare-out", "/dev/full"), "aftercare_out")
    refused(clinic("session", "finish", sid, "--aftercare-out", str(sheet)), "exists")
    refused(clinic("session", "finish", sid, "--aftercare-out", str(tmp_path)), "is a folder")
    assert _phase(clinic, sid) == "post_treatment"
    assert _audit_count(clinic) == before
    assert sheet.read_text() == "last patient's sheet"
    ok(clinic("session", "finish", sid, "--aftercare-out", str(sheet), "--force"))
    assert _phase(clinic, sid) == "completed"
    assert "mild sunburn" in sheet.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["aftercare.txt"]


def test_a_failed_commit_leaves_no_sheet(clinic: Cli, tmp_path: Path) -> None:
    """A session that cannot be finished (wrong phase) writes no file."""
    sid = _session_ready_to_finish(clinic)
    ok(clinic("session", "finish", sid))
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    sheet = tmp_path / "again.txt"
    refused(clinic("session", "finish", sid, "--aftercare-out", str(sheet)))
    assert not sheet.exists()
    assert list(tmp_path.iterdir()) == []


def test_sample_photos_are_not_written_over_without_force(cli: Cli, tmp_path: Path) -> None:
    tmp_path = tmp_path / "photos"  # a new folder, made by the command
    ok(cli("photos", "sample", str(tmp_path)))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["sample-baseline.png", "sample-week-01.png", "sample-week-12.png"]
    (tmp_path / "sample-week-12.png").write_bytes(b"mine")
    refused(cli("photos", "sample", str(tmp_path)), "exists")
    assert (tmp_path / "sample-week-12.png").read_bytes() == b"mine"
    ok(cli("photos", "sample", str(tmp_path), "--force"))
    assert (tmp_path / "sample-week-12.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == names


def test_analyze_and_compare_refuse_existing_outputs_before_any_work(
    cli: Cli, tmp_path: Path
) -> None:
    """The targets are checked first: nothing is measured (the photos need not even exist)."""
    photo = tmp_path / "missing.png"
    taken = tmp_path / "metrics.csv"
    taken.write_text("the user's table")
    refused(cli("analyze", str(photo), "--csv", str(taken)), "csv", "exists")
    refused(cli("analyze", str(photo), "--csv", str(tmp_path / "m.txt")), "must end in .csv")
    overlays = tmp_path / "overlays"
    overlays.mkdir()
    (overlays / "missing-overlay.png").write_bytes(b"mine")
    refused(cli("analyze", str(photo), "--overlay", str(overlays)), "overlay", "exists")
    (overlays / "missing-vs-missing.png").write_bytes(b"mine")
    refused(cli("compare", str(photo), str(photo), "--overlay", str(overlays)), "exists")
    assert taken.read_text() == "the user's table"
    assert (overlays / "missing-overlay.png").read_bytes() == b"mine"


def test_a_refused_write_leaves_no_folder_behind(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper" / "out.json"
    with pytest.raises(ValidationError), atomic_output(target, "output") as out:
        out.write_text("{}")
        raise ValidationError("patient", "refused after the file was opened")
    assert not (tmp_path / "new").exists()
    with atomic_output(target, "output") as out:
        out.write_text("{}")
    assert target.read_text() == "{}"
