"""Jobs: work runs on a worker thread, its row shows progress, the result or the error."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.records.database import Database
from microneedling.services import jobs


@pytest.fixture
def runner(database: Database) -> Iterator[jobs.JobRunner]:
    runner = jobs.JobRunner(database, workers=1)
    yield runner
    runner.shutdown()


def read(database: Database, job_id: int) -> dict[str, Any]:
    with database.reading() as db:
        return jobs.read_job(db, job_id)


def test_job_runs_off_the_caller_and_stores_its_result(
    database: Database, runner: jobs.JobRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "PROGRESS_INTERVAL_S", 0.0)
    release, reported = threading.Event(), threading.Event()

    def work(progress: jobs.Progress) -> dict[str, Any]:
        progress(0.5, "half way")
        reported.set()
        release.wait(10)
        return {"answer": 42}

    job_id = runner.submit("example", work, actor="dr", params={"n": 1})
    assert reported.wait(10)
    running = read(database, job_id)
    assert running["status"] == "running"
    assert running["progress"] == 0.5 and running["message"] == "half way"
    release.set()
    runner.wait(job_id, 10)
    done = read(database, job_id)
    assert done["status"] == "done" and done["progress"] == 1.0
    assert done["result"] == {"answer": 42} and done["params"] == {"n": 1}
    assert done["created_by"] == "dr" and done["finished_at"] is not None


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ValidationError("depth_mm", "too deep"), "depth_mm: too deep"),
        (ZeroDivisionError("boom"), "internal error (ZeroDivisionError)"),
    ],
)
def test_failed_job_stores_why(
    database: Database, runner: jobs.JobRunner, error: Exception, expected: str
) -> None:
    def work(progress: jobs.Progress) -> None:
        raise error

    job_id = runner.submit("example", work, actor="dr")
    runner.wait(job_id, 10)
    failed = read(database, job_id)
    assert failed["status"] == "failed" and failed["error"] == expected
    assert failed["result"] is None


def test_unknown_job_is_not_found(database: Database) -> None:
    with pytest.raises(NotFoundError), database.reading() as db:
        jobs.read_job(db, 999)
