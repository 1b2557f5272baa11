"""Survey command: ingest-survey (a spreadsheet of open-ended answers, one row per respondent)."""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.base import State, emit_json, main, pass_state
from qualcode.errors import IngestError
from qualcode.services import survey as survey_service
from qualcode.services.ingest import AlreadyImported


@main.command("ingest-survey")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--question", "questions", multiple=True, metavar="COLUMN",
              help="A column holding open answers (repeatable). Every other column is a respondent attribute.")
@click.option("--id-column", metavar="COLUMN",
              help="The column naming respondents (default: one called id/respondent..., else the row number).")
@click.option("--attribute", "attributes", multiple=True, metavar="COLUMN",
              help="Keep only these columns as respondent attributes (repeatable; default: all others).")
@click.option("--name", metavar="NAME", help="The survey's name (default: the file name).")
@click.option("--sheet", metavar="NAME", help="Excel: the sheet to read (default: the first).")
@click.option("--replace", is_flag=True, help="Replace a survey of the same name (its codings are deleted).")
@click.option("--dry-run", is_flag=True, help="Read and report only (columns, likely questions); nothing is saved.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@pass_state
def ingest_survey(state: State, file, questions, id_column, attributes, name, sheet, replace, dry_run,
                  as_json) -> None:
    """Import a survey spreadsheet (.csv, .tsv, .xlsx): one row per respondent.

    Each answer becomes an excerpt of its question; each respondent a case (document)
    whose other columns (district, role, year...) are its attributes. The survey is
    imported whole or not at all.

    \b
    Example:
      qualcode --project my-study ingest-survey fall.csv --dry-run
      qualcode --project my-study ingest-survey fall.csv \\
          --question "What was most useful?" --question "What would you change?"
    """
    path = Path(file)
    if not path.is_file():
        raise IngestError("file not found", file=str(path), hint="check the path")
    if dry_run or not questions:
        table = survey_service.preview_survey(path.read_bytes(), str(path), sheet=sheet)
        guessed = table.guess_questions()
        if not questions:
            if not dry_run:
                raise IngestError("no question column chosen", file=str(path), line=1,
                                  hint="name each open question with --question COLUMN"
                                       + (f" (free-text columns: {', '.join(map(repr, guessed))})" if guessed else ""))
        if dry_run:
            parsed = survey_service.parse_survey(path.read_bytes(), str(path), questions=list(questions) or guessed,
                                                 id_column=id_column, attributes=list(attributes) or None,
                                                 name=name, sheet=sheet)
            summary = {**parsed.summary(), "columns": table.columns, "likely_questions": guessed}
            if as_json:
                emit_json(summary)
                return
            click.echo(f"{path}: {len(table.rows)} rows, columns: {', '.join(table.columns)}")
            click.echo(f"likely open questions: {', '.join(map(repr, guessed)) or '(none found)'}")
            _echo(summary)
            return
    try:
        result = survey_service.ingest_survey(state.open(), path, questions=list(questions), id_column=id_column,
                                             attributes=list(attributes) or None, name=name, sheet=sheet,
                                             replace=replace)
    except AlreadyImported as exc:
        raise IngestError(exc.message, file=exc.file,
                          hint="import it under another name with --name NAME, or replace it with --replace") from None
    if as_json:
        emit_json(result.to_dict())
        return
    _echo({"survey": result.survey, "respondents": result.respondents, "answers": result.answers,
           "questions": {q: None for q in result.questions}, "problems": [str(p) for p in result.problems]},
          saved=True)


def _echo(summary: dict, *, saved: bool = False) -> None:
    verb = "imported" if saved else "would import"
    click.echo(f"{verb} survey {summary['survey']!r}: {summary['respondents']} respondents, "
               f"{summary['answers']} answers")
    for q, n in summary["questions"].items():
        click.echo(f"  question: {q}" + (f" ({n} answers)" if n is not None else ""))
    for p in summary["problems"]:
        click.secho(f"  warning: {p}", fg="yellow")
