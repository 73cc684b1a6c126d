"""``microneedling users``: accounts of the web app (add, list, disable, passwords, API tokens)."""

from __future__ import annotations

import sys

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, fields, message, print_json, table
from microneedling.services import accounts as service

app = new_app("Accounts of the web app: add, list, disable, set passwords, API tokens.")

ACCOUNT_KEYS = ("id", "username", "role", "active", "failed_logins", "locked_until", "created_at")


def read_password(from_stdin: bool) -> str:
    """The new password: one line of standard input, or asked twice on a terminal."""
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


@app.command("add")
def add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="User name (lower-case letters, digits, . - _)."),
    role: str = typer.Option(..., "--role", help="admin, clinician, assistant or researcher."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (one line)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Create an account (the password is asked for, never given as an option)."""
    st = state(ctx)
    password = read_password(password_stdin)
    with st.transaction() as db:
        view = service.create_account(db, username=username, password=password, role=role)
    print_json(view) if as_json else fields(
        f"Account {view['username']} created", view, ACCOUNT_KEYS
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List the accounts."""
    with state(ctx).reading() as db:
        rows = service.list_accounts(db)
    if as_json:
        print_json(rows)
        return
    table(
        "Accounts",
        ("user", "role", "active", "locked until"),
        (
            (r["username"], r["role"], "yes" if r["active"] else "no", r["locked_until"] or "")
            for r in rows
        ),
    )


def _set_active(ctx: typer.Context, username: str, active: bool, as_json: bool) -> None:
    with state(ctx).transaction() as db:
        view = service.set_active(db, username=username, active=active)
    done = "enabled" if active else "disabled (its log-in sessions ended)"
    print_json(view) if as_json else message(f"Account {view['username']} {done}.")


@app.command("disable")
def disable(ctx: typer.Context, username: str, as_json: bool = JsonOption) -> None:
    """Disable an account: it can no longer log in, and its sessions end now."""
    _set_active(ctx, username, False, as_json)


@app.command("enable")
def enable(ctx: typer.Context, username: str, as_json: bool = JsonOption) -> None:
    """Enable a disabled account again."""
    _set_active(ctx, username, True, as_json)


@app.command("password")
def password(
    ctx: typer.Context,
    username: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from stdin."),
) -> None:
    """Set a new password (also lifts a lock-out)."""
    new = read_password(password_stdin)
    with state(ctx).transaction() as db:
        view = service.set_password(db, username=username, password=new)
    message(f"Password of {view['username']} changed.")


@app.command("token")
def token(
    ctx: typer.Context,
    username: str,
    name: str = typer.Option(..., "--name", help="What the token is for (e.g. export script)."),
    as_json: bool = JsonOption,
) -> None:
    """Make a personal API token; it is printed once and never again."""
    with state(ctx).transaction() as db:
        view = service.create_token(db, username=username, name=name)
    if as_json:
        print_json(view)
        return
    message(f"API token {view['id']} for {view['username']} ({view['name']}); shown only now:")
    typer.echo(view["token"])
    message("Send it as the header  Authorization: Bearer <token>")


@app.command("tokens")
def tokens(
    ctx: typer.Context,
    username: str | None = typer.Argument(None, help="Only this account's tokens."),
    as_json: bool = JsonOption,
) -> None:
    """List API tokens (never their values)."""
    with state(ctx).reading() as db:
        rows = service.list_tokens(db, username=username)
    if as_json:
        print_json(rows)
        return
    table(
        "API tokens",
        ("id", "user", "name", "created", "last used", "revoked"),
        (
            (
                r["id"],
                r["username"],
                r["name"],
                r["created_at"][:16],
                (r["last_used_at"] or "")[:16],
                (r["revoked_at"] or "")[:16],
            )
            for r in rows
        ),
    )


@app.command("revoke-token")
def revoke_token(ctx: typer.Context, token_id: int, as_json: bool = JsonOption) -> None:
    """Revoke an API token by its id; it stops working at once."""
    with state(ctx).transaction() as db:
        view = service.revoke_token(db, token_id=token_id)
    print_json(view) if as_json else message(f"API token {view['id']} revoked.")
