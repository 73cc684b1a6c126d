"""``microneedling serve``: the clinic web app with uvicorn.

Without a database URL it serves the default SQLite database and, with ``--demo`` (the default
there), loads the sample clinic into it when it holds no patient and gives the ``demo`` account
(admin) a new random password, printed at start. With ``--database-url`` (e.g. PostgreSQL) the
database must be migrated (``microneedling db upgrade``) and no demo account is made unless asked.

Behind a TLS reverse proxy, pass the proxy's address with ``--forwarded-allow-ips`` so uvicorn
trusts its ``X-Forwarded-Proto``/``X-Forwarded-For``; cookies are then ``Secure``.
"""

from __future__ import annotations

import secrets

import typer

from microneedling.cli.context import state
from microneedling.cli.output import message
from microneedling.records.database import Database
from microneedling.services import accounts
from microneedling.services.patients import count_patients

DEMO_USER = "demo"


def prepare_demo(db: Database, actor: str) -> str:
    """Migrate, load the sample clinic into an empty database, and (re)set the demo account's
    password; returns the password."""
    from microneedling.protocol.knowledge import load_knowledge
    from microneedling.services.demo import run_demo

    db.upgrade()
    with db.reading() as session:
        empty = count_patients(session) == 0
    if empty:
        message("Loading the sample clinic (first start; this takes a little while) ...")
        run_demo(db, load_knowledge(), actor=actor)
    password = secrets.token_urlsafe(12)
    with db.transaction(actor) as session:
        known = {a["username"] for a in accounts.list_accounts(session)}
        if DEMO_USER in known:
            accounts.set_password(session, username=DEMO_USER, password=password)
            accounts.set_active(session, username=DEMO_USER, active=True)
        else:
            accounts.create_account(session, username=DEMO_USER, password=password, role="admin")
    return password


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    database_url: str | None = typer.Option(
        None, "--database-url", help="sqlite:///file or postgresql://... (default: as the CLI)."
    ),
    demo: bool | None = typer.Option(
        None,
        "--demo/--no-demo",
        help="Sample clinic and a demo account (default: on for the default database only).",
    ),
    forwarded_allow_ips: str = typer.Option(
        "127.0.0.1",
        "--forwarded-allow-ips",
        help="Proxies whose X-Forwarded-* headers are trusted (comma-separated, or '*').",
    ),
    workers: int = typer.Option(2, "--job-workers", min=1, max=32, help="Background job threads."),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--insecure-cookies",
        help="Cookies' Secure flag (default: on unless the browser reached localhost over http).",
    ),
) -> None:
    """Serve the clinic web app (pages and the JSON API /api/v1)."""
    import uvicorn

    from microneedling.app import create_app

    st = state(ctx)
    url = database_url or st.database_url
    db = Database.from_url(url)
    use_demo = demo if demo is not None else url is None
    password = prepare_demo(db, st.actor) if use_demo else None
    application = create_app(database=db, job_workers=workers, secure_cookies=secure_cookies)
    address = f"http://{'localhost' if host in ('127.0.0.1', '::1') else host}:{port}/"
    message(f"Serving {db.safe_url}")
    message(f"Open {address}")
    if host not in ("127.0.0.1", "::1", "localhost") and secure_cookies is None:
        message(
            "Cookies are Secure for other machines: serve them through a TLS reverse proxy "
            "(https), or log-in over plain http will not hold."
        )
    if password is not None:
        message(f"Log in as {DEMO_USER!r} with the password {password!r} (new at every start).")
    uvicorn.run(
        application,
        host=host,
        port=port,
        proxy_headers=True,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="warning",
    )
    db.dispose()
