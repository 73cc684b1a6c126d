"""The plan and session tables show display names, never internal keys (``--json`` keeps them)."""

import json

from tests.cli.conftest import PLAN_CREATE, Cli, ok, refused, run
from tests.core.test_vocabulary import assert_no_internal_key


def test_plan_and_session_tables_speak_in_names(clinic: Cli) -> None:
    ok(clinic("screening", "run", "P1", "--clinician", "Dr A", "--rest-no"))
    shown = [run(clinic, PLAN_CREATE).stdout]
    plan = json.loads(run(clinic, "plan show 1 --json").stdout)
    assert {z["zone"] for z in plan["zones"]} == {"cheek_left", "cheek_right"}  # keys for scripts
    assert plan["indication"] == "acne_scars"
    session = json.loads(run(clinic, "session start 1 --clinician A --json").stdout)
    sid = session["id"]
    for command in (
        f"session record preparation {sid} --cleansed --numbing emla --dwell-minutes 60 "
        "--area cheeks",
        f"session record zone {sid} --zone cheek_left --depth 1.0 --passes 3 "
        "--pattern crosshatch --endpoint uniform_erythema --lot L1",
        f"session record post-treatment {sid} --product 'HA serum' --sterile",
        f"session finish {sid}",
        "plan show 1",
        "lots recall L1",
    ):
        shown.append(run(clinic, command).stdout)
    text = "\n".join(shown)
    assert_no_internal_key(text)
    words = " ".join(text.split())
    for name in ("Left cheek", "Acne scars", "Dr. Pen needle depth guide", "Cross-hatch"):
        assert name in words, name
    assert "Even redness" in words and "cleansed: yes" in words
    assert "Patients to contact (1)" in words


def test_lot_recall_from_the_command_line(clinic: Cli) -> None:
    recalled = json.loads(run(clinic, "lots recall L1 --json").stdout)
    assert recalled == {
        "lot": "L1",
        "cartridges": [recalled["cartridges"][0]],
        "sessions": [],
        "patients": [],
    }
    assert recalled["cartridges"][0]["device"] == "Dermapen 4"
    assert "No session used lot L1" in run(clinic, "lots recall L1").stdout
    refused(clinic("lots", "recall", "L9"), "cartridge lot L9 not found")
    refused(clinic("lots", "recall", " "), "lot: name the cartridge lot")
