"""``microneedling users`` and the demo account of ``microneedling serve``."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from microneedling.cli.serve import DEMO_USER, prepare_demo
from microneedling.records.database import Database
from microneedling.services import accounts, patients

PASSWORD = "a long password"


def test_users_add_list_token_and_disable(cli: Callable[..., Any], database: Database) -> None:
    added = cli("users", "add", "nurse", "--role", "assistant", "--json", input=PASSWORD + "\n")
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["role"] == "assistant"
    assert PASSWORD not in added.output
    short = cli("users", "add", "other", "--role", "assistant", input="short\n")
    assert short.exit_code == 2 and "password: at least 10 characters" in short.output
    role = cli("users", "add", "other", "--role", "surgeon", input=PASSWORD + "\n")
    assert role.exit_code == 2 and "role: unknown role 'surgeon'" in role.output
    listed = json.loads(cli("users", "list", "--json").stdout)
    assert [a["username"] for a in listed] == ["nurse"] and "password_hash" not in listed[0]
    made = cli("users", "token", "nurse", "--name", "export script", "--json")
    value = json.loads(made.stdout)["token"]
    with database.transaction("t") as db:
        assert accounts.account_for_token(db, value) is not None
    assert value not in cli("users", "tokens").output
    assert cli("users", "disable", "nurse").exit_code == 0
    with database.transaction("t") as db:
        assert accounts.account_for_token(db, value) is None
    assert cli("users", "disable", "nobody").output.strip() == "error: account nobody not found"


def test_demo_account_gets_a_new_password_at_every_start(database: Database) -> None:
    with database.transaction("setup") as db:  # not empty: the sample clinic is not loaded again
        patients.register_patient(db, code="P1", birth_year=1980, fitzpatrick="III")
    first = prepare_demo(database, "tester")
    second = prepare_demo(database, "tester")
    assert first != second
    with database.transaction("t") as db:
        account = accounts.authenticate(db, username=DEMO_USER, password=second)
        assert account.role == "admin"
        assert patients.count_patients(db) == 1
