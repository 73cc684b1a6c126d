"""``microneedling audit``: list the audit log, or verify its hash chain."""

from __future__ import annotations

import typer

from microneedling.cli.context import USER_ERROR_EXIT, new_app, state
from microneedling.cli.output import JsonOption, print_json
from microneedling.cli.records import audit as audit_listing
from microneedling.services.audit import verify_audit

app = new_app("The append-only, hash-chained audit log (newest entries when no command is given).")
app.info.no_args_is_help = False
app.callback(invoke_without_command=True)(audit_listing)


@app.command("verify")
def verify(
    ctx: typer.Context,
    expect: str | None = typer.Option(
        None, "--expect", help="A head printed by an earlier verify (SEQ:HASH), kept elsewhere."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Check every link of the chain and the triggers guarding it; exit 2 on the first break."""
    with state(ctx).reading() as db:
        view = verify_audit(db, expect)
    if as_json:
        print_json(view)
    elif view["ok"]:
        typer.echo(f"audit log intact: {view['entries']} entries, head {view['head']}")
    else:
        for problem in view["problems"]:  # the first broken link first
            typer.echo(f"error: {problem}", err=True)
    if not view["ok"]:
        raise typer.Exit(USER_ERROR_EXIT)
