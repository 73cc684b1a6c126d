"""The web app over a real, migrated database (SQLite; PostgreSQL too when configured).

``web`` is a logged-in client factory: ``web("clinician")`` is a TestClient whose session
cookie belongs to a fresh account of that role; ``web.csrf(client)`` is its CSRF token and
``web.token("researcher")`` an API token. Accounts are created once per test, cheaply enough
(argon2 at the policy's cost, about 0.1 s per hash).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from microneedling.app import create_app
from microneedling.records.accounts import ROLES
from microneedling.records.database import Database
from microneedling.services import accounts

PASSWORD = "a long test password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@dataclass
class Web:
    app: FastAPI
    database: Database
    clients: dict[str, TestClient] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    csrf_tokens: dict[str, str] = field(default_factory=dict)

    def account(self, role: str) -> str:
        with self.database.transaction("admin") as db:
            if role not in [a["username"] for a in accounts.list_accounts(db)]:
                accounts.create_account(db, username=role, password=PASSWORD, role=role)
        return role

    def anonymous(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)

    def __call__(self, role: str) -> TestClient:
        """A client logged in with the account named after ``role``."""
        if role not in self.clients:
            client = log_in(self.anonymous(), self.account(role))
            self.csrf_tokens[role] = csrf_of(client.get("/patients").text)
            self.clients[role] = client
        return self.clients[role]

    def csrf(self, role: str) -> str:
        self(role)
        return self.csrf_tokens[role]

    def token(self, role: str) -> str:
        if role not in self.tokens:
            with self.database.transaction("admin") as db:
                made = accounts.create_token(db, username=self.account(role), name="tests")
            self.tokens[role] = made["token"]
        return self.tokens[role]

    def api(self, role: str) -> TestClient:
        """A client that sends ``role``'s API token, without cookies."""
        client = self.anonymous()
        client.headers["Authorization"] = f"Bearer {self.token(role)}"
        return client


@pytest.fixture
def web(database: Database) -> Iterator[Web]:
    app = create_app(database=database, job_workers=1)
    with TestClient(app):  # runs the lifespan (the job runner stops at the end)
        yield Web(app, database)


ALL_ROLES = ROLES


def research_consent(database: Database, code: str) -> None:
    """The patient consents to research use of their photos (researchers may then see them)."""
    from microneedling.services import consent

    form = consent.consent_form("research_photos")
    with database.transaction("clinician") as db:
        consent.record_consent(
            db,
            patient_code=code,
            kind="research_photos",
            statements=[s["id"] for s in form["statements"]],
            signer_name="Patient Name",
            text_version=form["version"],
            shown_sha256=form["text_sha256"],
        )


def withdraw_research_consent(database: Database, code: str) -> None:
    from microneedling.services import consent

    with database.transaction("clinician") as db:
        status = consent.consent_status(db, code)
        consent_id = status["status"]["research_photos"]["consent_id"]
        consent.withdraw_consent(db, consent_id=consent_id, reason="changed their mind")
