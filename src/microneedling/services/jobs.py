"""Long work off the request path: a pool of worker threads, one ``job`` row per piece of work.

``JobRunner.submit`` stores the job as queued and returns its id at once; a worker thread runs
the work, which reports its progress through a callback, and stores the result or the error.
``read_job`` is what a page or the API polls. The work is any callable taking the progress
callback (a service function with its arguments bound, e.g. with ``functools.partial``); it
opens its own transactions on the database if it needs any.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from typing import Any, Protocol

from sqlalchemy.orm import Session

from microneedling.core.errors import MicroneedlingError, NotFoundError, ValidationError
from microneedling.core.jsonable import plain
from microneedling.core.parsing import check_text, utcnow
from microneedling.records.database import Database
from microneedling.records.jobs import Job
from microneedling.services.views import record

LOG = logging.getLogger(__name__)
# Progress is written at most this often (seconds), and always at 0 and at the end, so a chatty
# job does not turn into a stream of writes (each one an audit entry).
PROGRESS_INTERVAL_S = 0.5
MESSAGE_MAX_CHARS = 255


class Progress(Protocol):
    def __call__(self, fraction: float, message: str = "") -> None: ...


Work = Callable[[Progress], Any]


def job_view(job: Job) -> dict[str, Any]:
    return record(job)


def read_job(db: Session, job_id: int) -> dict[str, Any]:
    """A job's status, progress, message, and its result or error once finished."""
    job = db.get(Job, job_id)
    if job is None:
        raise NotFoundError("job", job_id)
    return job_view(job)


def _clip_message(message: str) -> str:
    text = " ".join(str(message).split())
    return text[: MESSAGE_MAX_CHARS - 1] + "…" if len(text) > MESSAGE_MAX_CHARS else text


class JobRunner:
    """Runs submitted work on ``workers`` threads and keeps each job's row up to date."""

    def __init__(
        self,
        database: Database,
        *,
        workers: int = 2,
        transaction: Callable[[str], AbstractContextManager[Session]] | None = None,
    ) -> None:
        """``transaction(actor)`` opens the job row's transactions (default: the database's);
        the web app passes its own, which runs one writer at a time on SQLite."""
        self.database = database
        self.transaction = transaction or database.transaction
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")
        self._futures: dict[int, Future[None]] = {}
        self._lock = threading.Lock()
        self.closed = False

    def submit(
        self,
        kind: str,
        work: Work,
        *,
        actor: str,
        params: dict[str, Any] | None = None,
    ) -> int:
        """Store a queued job and start it on a worker; returns the job's id."""
        check_text(kind, "kind", max_length=64)
        if not kind:
            raise ValidationError("kind", "a job needs a kind")
        with self.transaction(actor) as db:
            job = Job(kind=kind, params=plain(params or {}), created_by=actor)
            db.add(job)
            db.flush()
            job_id = job.id
        future = self._pool.submit(self._run, job_id, work, actor)
        with self._lock:
            self._futures[job_id] = future
        return job_id

    def wait(self, job_id: int, timeout_s: float | None = None) -> None:
        """Block until the job has finished (for tests and the CLI)."""
        with self._lock:
            future = self._futures.get(job_id)
        if future is not None:
            future.result(timeout=timeout_s)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers (``wait``: let running and queued work finish first)."""
        self.closed = True
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def start(self) -> None:
        """Start the workers again after ``shutdown`` (an app served a second time)."""
        with self._lock:
            if self.closed:
                self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="job")
                self.closed = False

    def _update(self, job_id: int, actor: str, **values: Any) -> None:
        with self.transaction(actor) as db:
            job = db.get(Job, job_id)
            if job is None:  # erased meanwhile: nothing to report to
                return
            for key, value in values.items():
                setattr(job, key, value)

    def _run(self, job_id: int, work: Work, actor: str) -> None:
        self._update(job_id, actor, status="running", started_at=utcnow())
        last = [time.monotonic()]

        def progress(fraction: float, message: str = "") -> None:
            value = min(max(float(fraction), 0.0), 1.0) if math.isfinite(fraction) else 0.0
            now = time.monotonic()
            if now - last[0] < PROGRESS_INTERVAL_S:
                return
            last[0] = now
            self._update(job_id, actor, progress=value, message=_clip_message(message))

        try:
            result = work(progress)
        except MicroneedlingError as exc:
            self._finish(job_id, actor, error=str(exc))
        except Exception as exc:  # a bug in the work: the job fails, the process goes on
            LOG.exception("job %s failed", job_id)
            self._finish(job_id, actor, error=f"internal error ({type(exc).__name__})")
        else:
            self._finish(job_id, actor, result=result)

    def _finish(
        self, job_id: int, actor: str, *, result: Any = None, error: str | None = None
    ) -> None:
        values: dict[str, Any] = {"finished_at": utcnow()}
        if error is None:
            stored = plain(result)
            values |= {
                "status": "done",
                "progress": 1.0,
                "message": "done",
                "result": stored if isinstance(stored, dict) else {"value": stored},
            }
        else:
            values |= {"status": "failed", "message": "failed", "error": error[:10_000]}
        try:
            self._update(job_id, actor, **values)
        except MicroneedlingError as exc:  # e.g. a result out of bounds: store why instead
            self._update(
                job_id,
                actor,
                status="failed",
                message="failed",
                error=f"result could not be stored: {exc}",
                finished_at=utcnow(),
            )
