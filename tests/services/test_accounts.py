"""Accounts: hashing, log-in with lock-out, API tokens and log-in sessions, on a real database."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from microneedling.core.errors import ValidationError
from microneedling.core.parsing import utcnow
from microneedling.records.accounts import Account, ApiToken, LoginSession
from microneedling.records.database import Database
from microneedling.records.models import AuditEntry
from microneedling.services import accounts

PASSWORD = "correct horse battery"


@pytest.fixture
def nurse(database: Database) -> str:
    with database.transaction("admin") as db:
        accounts.create_account(db, username="nurse", password=PASSWORD, role="assistant")
    return "nurse"


def test_password_is_stored_as_an_argon2_hash(database: Database, nurse: str) -> None:
    with database.reading() as db:
        account = accounts.account_by_username(db, nurse)
        assert account.password_hash.startswith("$argon2id$")
        assert PASSWORD not in account.password_hash
        assert "password_hash" not in accounts.account_view(account)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "Bad Name"}, "username"),
        ({"role": "surgeon"}, "role"),
        ({"password": "short"}, "password"),
        ({"password": "ten chars\x1b[31m"}, "password"),
    ],
)
def test_bad_account_fields_are_refused_by_name(
    database: Database, fields: dict[str, str], field: str
) -> None:
    values = {"username": "ok", "password": PASSWORD, "role": "clinician"} | fields
    with pytest.raises(ValidationError) as caught, database.transaction("admin") as db:
        accounts.create_account(db, **values)
    assert caught.value.field == field


def test_user_names_are_unique(database: Database, nurse: str) -> None:
    with pytest.raises(ValidationError, match="already exists"), database.transaction("a") as db:
        accounts.create_account(db, username=nurse, password=PASSWORD, role="clinician")


def test_right_password_logs_in_and_wrong_one_does_not(database: Database, nurse: str) -> None:
    with database.transaction(nurse) as db:
        assert accounts.authenticate(db, username=nurse, password=PASSWORD).username == nurse
    for name, password in ((nurse, "wrong password"), ("nobody", PASSWORD)):
        refused = pytest.raises(accounts.LoginRefused, match="wrong user name or password")
        with refused, database.transaction(name) as db:
            accounts.authenticate(db, username=name, password=password)


def _fail(database: Database, name: str, password: str, now: datetime) -> None:
    """One failed attempt, its count committed as the web app does."""
    with database.transaction(name) as db, contextlib.suppress(accounts.LoginRefused):
        accounts.authenticate(db, username=name, password=password, now=now)


def test_account_locks_after_repeated_failures_then_unlocks(database: Database, nurse: str) -> None:
    policy = accounts.load_policy()
    now = utcnow()
    for _ in range(policy.max_failed_logins):
        _fail(database, nurse, "wrong password", now)
    with pytest.raises(accounts.LoginRefused, match="locked"), database.transaction(nurse) as db:
        accounts.authenticate(db, username=nurse, password=PASSWORD, now=now)
    later = now + timedelta(minutes=policy.lockout_minutes + 1)
    with database.transaction(nurse) as db:
        assert accounts.authenticate(db, username=nurse, password=PASSWORD, now=later)
        assert db.scalar(select(Account.locked_until)) is None


def test_disabled_account_cannot_log_in_and_its_sessions_end(
    database: Database, nurse: str
) -> None:
    with database.transaction(nurse) as db:
        started = accounts.start_session(db, accounts.account_by_username(db, nurse))
    with database.transaction("admin") as db:
        accounts.set_active(db, username=nurse, active=False)
    with database.reading() as db:
        assert accounts.session_for_cookie(db, started.cookie) is None
    with pytest.raises(accounts.LoginRefused), database.transaction(nurse) as db:
        accounts.authenticate(db, username=nurse, password=PASSWORD)


def test_session_cookie_is_stored_only_as_its_hash_and_expires(
    database: Database, nurse: str
) -> None:
    with database.transaction(nurse) as db:
        started = accounts.start_session(db, accounts.account_by_username(db, nurse))
    with database.reading() as db:
        row = db.scalars(select(LoginSession)).one()
        assert row.cookie_sha256 == accounts.sha256_hex(started.cookie) != started.cookie
        assert accounts.session_for_cookie(db, started.cookie) is not None
        assert accounts.session_for_cookie(db, started.cookie, started.expires_at) is None
        assert accounts.session_for_cookie(db, "forged") is None
    with database.transaction(nurse) as db:
        accounts.end_session(db, started.cookie)
    with database.reading() as db:
        assert accounts.session_for_cookie(db, started.cookie) is None


def test_api_token_is_shown_once_and_can_be_revoked(database: Database, nurse: str) -> None:
    with database.transaction("admin") as db:
        made = accounts.create_token(db, username=nurse, name="export script")
    value = made["token"]
    with database.transaction(nurse) as db:
        account = accounts.account_for_token(db, value)
        assert account is not None and account.username == nurse
        stored = db.scalars(select(ApiToken)).one()
        assert stored.token_sha256 != value and stored.last_used_at is not None
        assert "token" not in accounts.list_tokens(db)[0]
    with database.transaction("admin") as db:
        accounts.revoke_token(db, token_id=made["id"])
    with database.transaction(nurse) as db:
        assert accounts.account_for_token(db, value) is None


def test_no_secret_reaches_the_audit_log(database: Database, nurse: str) -> None:
    with database.transaction("admin") as db:
        token = accounts.create_token(db, username=nurse, name="script")["token"]
        started = accounts.start_session(db, accounts.account_by_username(db, nurse))
    with database.reading() as db:
        logged = str([e.changes for e in db.scalars(select(AuditEntry))])
        account = accounts.account_by_username(db, nurse)
        hashes = [account.password_hash, *(t.token_sha256 for t in account.tokens)]
    assert PASSWORD not in logged and token not in logged and started.cookie not in logged
    # nor their hashes (a password hash can be attacked offline), nor the live CSRF token
    assert all(h not in logged for h in hashes) and started.csrf_token not in logged
    assert "[secret]" in logged
