"""The application factory: ``create_app(database_url)`` builds the whole web app.

Pages (``microneedling.app.pages``) and API routers (``microneedling.app.api``, mounted under
``/api/v1``) are discovered: every module there that defines a module-level ``router`` is
included, in the order of the module names, with its ``PERMISSIONS`` merged into the permission
table and its ``NAV`` links added to the top bar. A feature adds its pages without editing this
file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import ModuleType

from fastapi import APIRouter, Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from microneedling import __version__
from microneedling.app import rendering
from microneedling.app.clinic import Clinic, RateLimiter
from microneedling.app.errors import install_error_handlers
from microneedling.app.permissions import permission_table
from microneedling.app.security import csrf_guard, install_guard
from microneedling.protocol.knowledge import load_knowledge
from microneedling.records.database import Database
from microneedling.services.accounts import load_policy
from microneedling.services.jobs import JobRunner

API_PREFIX = "/api/v1"
STATIC = Path(__file__).parent / "static"
PACKAGES = ("microneedling.app.pages", "microneedling.app.api")


def discover(package: str) -> list[ModuleType]:
    """The modules of ``package`` that define a ``router``, sorted by name."""
    root = importlib.import_module(package)
    found = []
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{package}.{info.name}")
        if isinstance(getattr(module, "router", None), APIRouter):
            found.append(module)
    return found


def serve_concurrently(db: Database) -> None:
    """On SQLite, switch the database file to write-ahead logging: readers no longer wait for a
    writer (a page read that writes its audit entry), and a commit is one append to the log.

    The mode is kept in the file (the CLI then uses it too); durability is unchanged
    (``synchronous`` stays FULL) and backups use SQLite's online backup API, which reads the log.
    A database on a network file system should not use WAL: serve it from a local disk.
    """
    if db.url.get_backend_name() != "sqlite" or db.url.database in (None, "", ":memory:"):
        return
    with db.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA journal_mode=WAL")


def create_app(
    database_url: str | None = None,
    *,
    database: Database | None = None,
    secure_cookies: bool | None = None,
    job_workers: int = 2,
    require_migrated: bool = True,
) -> FastAPI:
    """The clinic web app on the database at ``database_url`` (default: as the CLI's).

    ``secure_cookies`` forces the cookies' ``Secure`` flag on or off; by default they are Secure
    unless the browser reached the app on localhost over plain HTTP.
    """
    db = database or Database.from_url(database_url)
    if require_migrated:
        db.require_migrated()
    serve_concurrently(db)
    pages, apis = discover(PACKAGES[0]), discover(PACKAGES[1])
    clinic = Clinic(
        database=db,
        knowledge=load_knowledge(),
        jobs=JobRunner(db, workers=job_workers),
        login_limiter=RateLimiter(load_policy().login_attempts_per_minute),
        secure_cookies=secure_cookies,
        permissions=permission_table([*pages, *apis]),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        clinic.jobs.start()
        yield
        clinic.jobs.shutdown(wait=False)
        if database is None:  # the app made its engine: close its connections
            db.dispose()

    app = FastAPI(
        title="microneedling clinic API",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # the Swagger and ReDoc pages load scripts from a CDN: not served
        redoc_url=None,
        dependencies=[Depends(csrf_guard)],
        lifespan=lifespan,
    )
    clinic.jobs.transaction = clinic.transaction  # one writer at a time on SQLite
    app.state.clinic = clinic
    install_error_handlers(app)
    install_guard(app)
    for module in pages:
        app.include_router(module.router, include_in_schema=False)
        rendering.NAV.extend(n for n in getattr(module, "NAV", []) if n not in rendering.NAV)
    for module in apis:
        app.include_router(module.router, prefix=API_PREFIX)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
