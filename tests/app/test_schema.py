"""Schemathesis against the OpenAPI schema, authenticated with an API token: whatever the
generated input (valid and invalid by the schema), the API answers without a server error.

A few examples per operation (``MAX_EXAMPLES``) keep it fast; every operation is run, with
inputs valid by the schema (the services must then refuse bad values as 4xx) and invalid ones.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.python.asgi import ASGIClient

from microneedling.app import create_app
from microneedling.records.database import Database
from microneedling.services import accounts, patients

MAX_EXAMPLES = {"positive": 5, "negative": 3}  # per operation: valid by the schema, and not


def test_api_never_answers_with_a_server_error(database: Database) -> None:
    with database.transaction("setup") as db:
        patients.register_patient(db, code="P1", birth_year=1980, fitzpatrick="III")
        accounts.create_account(db, username="admin", password="a long password", role="admin")
        token = accounts.create_token(db, username="admin", name="schemathesis")["token"]
    app = create_app(database=database, job_workers=1)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    client = ASGIClient(app)  # one client for every call (schemathesis would make one each)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=MAX_EXAMPLES[mode.value],
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                database=None,
            )
            def run(case: Any) -> None:
                # the token always goes (a negative case may otherwise replace it with junk)
                case.headers = {**(case.headers or {}), **headers}
                response = case.call(session=client)
                if response.status_code >= 500 or response.status_code == 401:
                    failures.append(
                        f"{case.method} {case.formatted_path} {case.body!r}: "
                        f"{response.status_code} {response.text[:200]}"
                    )

            run()
    assert not failures, "\n".join(failures)
