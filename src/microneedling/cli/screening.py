"""``microneedling screening``: contraindication questions, answers and acknowledgements."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, print_json, table, warnings
from microneedling.core.data import load_user_file
from microneedling.core.errors import ValidationError
from microneedling.protocol.knowledge import Knowledge, load_knowledge
from microneedling.services import screenings as service

app = new_app("Screen a patient for contraindications before planning or treating.")


def _answers_from_file(path: Path) -> dict[str, bool]:
    raw = load_user_file(path, f"answers_file ({path})")
    if not isinstance(raw, dict) or not all(isinstance(v, bool) for v in raw.values()):
        raise ValidationError("answers_file", "expected a mapping of code: true/false")
    return {str(k): v for k, v in raw.items()}


def collect_answers(
    knowledge: Knowledge,
    yes: list[str],
    no: list[str],
    rest_no: bool,
    answers_file: Path | None,
) -> dict[str, bool]:
    """Merge file, --yes and --no answers; ask for the rest on a terminal, or --rest-no."""
    answers = _answers_from_file(answers_file) if answers_file else {}
    for code in yes:
        answers[code] = True
    for code in no:
        if code in yes:
            raise ValidationError(f"answers.{code}", "answered both yes and no")
        answers[code] = False
    for item in knowledge.contraindications:
        if item.code in answers:
            continue
        if rest_no:
            answers[item.code] = False
        elif sys.stdin.isatty():
            answers[item.code] = typer.confirm(knowledge.question(item), default=False)
    return answers


@app.command("questions")
def questions(as_json: bool = JsonOption) -> None:
    """List the screening questions with their codes."""
    rows = service.screening_questions(load_knowledge())
    if as_json:
        print_json(rows)
        return
    table(
        "Screening questions",
        ("code", "kind", "question"),
        ((r["code"], r["kind"], r["question"]) for r in rows),
    )


@app.command("run")
def run(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    clinician: str = typer.Option(..., "--clinician", help="Who screened."),
    yes: list[str] = typer.Option([], "--yes", help="Code answered yes (repeatable)."),
    no: list[str] = typer.Option([], "--no", help="Code answered no (repeatable)."),
    rest_no: bool = typer.Option(False, "--rest-no", help="Answer every other question no."),
    answers_file: Path | None = typer.Option(None, "--answers", help="YAML/JSON code: bool."),
    as_json: bool = JsonOption,
) -> None:
    """Record a screening; every question must be answered."""
    st = state(ctx)
    answers = collect_answers(st.knowledge, yes, no, rest_no, answers_file)
    with st.transaction() as db:
        view = service.screen_patient(
            db, st.knowledge, patient_code=patient, answers=answers, clinician=clinician
        )
    if as_json:
        print_json(view)
        return
    table(
        f"Screening {view['id']} of {patient}: {view['outcome'].upper()}",
        ("finding", "kind", "reason"),
        ((f["code"], f["kind"], f["reason"]) for f in view["findings"]),
    )
    if view["outcome"] == "relative":
        warnings(
            [
                f"acknowledge before planning: microneedling screening acknowledge {view['id']}"
                " --clinician NAME"
            ]
        )


@app.command("acknowledge")
def acknowledge(
    ctx: typer.Context,
    screening_id: int = typer.Argument(..., help="Screening id."),
    clinician: str = typer.Option(..., "--clinician", help="Acknowledging clinician."),
    note: str | None = typer.Option(None, "--note", help="Why treatment may go ahead."),
    as_json: bool = JsonOption,
) -> None:
    """Acknowledge a screening's relative contraindications, so a plan may be made."""
    with state(ctx).transaction() as db:
        view = service.acknowledge(db, screening_id=screening_id, clinician=clinician, note=note)
    if as_json:
        print_json(view)
    else:
        typer.echo(
            f"screening {screening_id} acknowledged by {clinician} at {view['acknowledged_at']}"
        )
