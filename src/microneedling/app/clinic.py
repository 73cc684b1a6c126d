"""What every request shares: the database, the clinical knowledge, the job runner, and who is
logged in (``Actor``)."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from microneedling.protocol.knowledge import Knowledge
from microneedling.records.database import Database
from microneedling.services.jobs import JobRunner


@dataclass(frozen=True)
class Actor:
    """The logged-in account as a request sees it (plain values, no database row)."""

    account_id: int
    username: str
    role: str
    via: str  # "session" (a browser's cookie) or "token" (a script's API token)
    csrf_token: str | None = None  # the session's token; None for API tokens

    @property
    def is_researcher(self) -> bool:
        """Read-only, pseudonymous codes, metrics but never a face photo."""
        return self.role == "researcher"


class RateLimiter:
    """At most ``limit`` events per ``window_s`` seconds for one key (a client address)."""

    def __init__(self, limit: int, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Count one event for ``key``; False when it is over the limit."""
        now = time.monotonic()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and now - events[0] > self.window_s:
                events.popleft()
            if len(events) >= self.limit:
                return False
            events.append(now)
            if len(self._events) > 10_000:  # forget idle clients; memory stays bounded
                for stale in [k for k, v in self._events.items() if not v][:5_000]:
                    del self._events[stale]
            return True


@dataclass
class Clinic:
    """The application's shared state (``app.state.clinic``)."""

    database: Database
    knowledge: Knowledge
    jobs: JobRunner
    login_limiter: RateLimiter
    secure_cookies: bool | None = None  # None: Secure unless the client reached localhost
    permissions: dict[tuple[str, str], frozenset[str] | str] = field(default_factory=dict)

    write_lock: threading.RLock = field(default_factory=threading.RLock)

    @contextmanager
    def transaction(self, actor: Actor | str) -> Iterator[Session]:
        """One unit of work; the audit log names the logged-in account as the actor.

        On SQLite the web process runs one writing transaction at a time: a transaction that read
        before another one committed could not write afterwards (SQLite refuses the stale
        snapshot at once, without waiting), and reading a record writes its audit entry.
        """
        name = actor.username if isinstance(actor, Actor) else actor
        with self._writing(), self.database.transaction(name) as session:
            yield session

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self.database.url.get_backend_name() != "sqlite":
            yield
            return
        with self.write_lock:
            yield

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with self.database.reading() as session:
            yield session
