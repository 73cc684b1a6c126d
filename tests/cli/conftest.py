"""Helpers for command-line tests: run a command, expect success or one clear error."""

import shlex
from typing import Any

import pytest

Cli = Any

CLINIC_SETUP = (
    "patients add P1 --birth-year 1990 --fitzpatrick III --history acne=resolved",
    "devices add 'Dermapen 4' --kind pen --needles 16 --depth-min 0.2 --depth-max 3.0",
    "devices cartridge 'Dermapen 4' --lot L1 --expiry 2099-01-01",
    "assessment add P1 --zone cheek_left --scale goodman_baron_qualitative --score 3 "
    "--rater 'Dr A' --indication acne_scars",
    "assessment add P1 --zone cheek_right --scale goodman_baron_qualitative --score 2 "
    "--rater 'Dr A' --indication acne_scars",
    "consent record P1 --name 'Pat One' --all-statements",
)


PLAN_CREATE = "plan create P1 --indication acne_scars --clinician 'Dr A' --device 'Dermapen 4'"


def run(cli: Cli, command: str, *extra: str) -> Any:
    """Run a command written as on the shell, with extra arguments, and expect success."""
    return ok(cli(*shlex.split(command), *extra))


def ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return result


def refused(result: Any, *fragments: str) -> str:
    """Exit code 2, one 'error:' line naming the problem, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    message = str(result.stderr)
    for fragment in fragments:
        assert fragment in message, message
    return message


@pytest.fixture
def clinic(cli: Cli) -> Cli:
    """A patient graded for acne scars on both cheeks, and a pen with an in-date cartridge."""
    for command in CLINIC_SETUP:
        ok(cli(*shlex.split(command)))
    return cli
