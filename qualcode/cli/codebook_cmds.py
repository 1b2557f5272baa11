"""``qualcode codebook ...``: validate, import, export, show, and safe changes with undo."""

from __future__ import annotations

import dataclasses
import sys

import click

from qualcode import codebook_io
from qualcode.cli.base import State, emit_json, main, pass_state
from qualcode.services import codebook as svc


@main.group()
def codebook() -> None:
    """Check, import, export, show and change the codebook.

    \b
    Example:
      qualcode codebook validate codebooks/improvement-collaboration.yaml
      qualcode --project my-study codebook show
    """


@codebook.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the problems as JSON.")
def validate(file: str, as_json: bool) -> None:
    """Check a codebook file (YAML, .qdc, .csv or .xlsx) and report every problem with its line.

    Exits with status 1 when there are errors; warnings alone don't fail.

    \b
    Example:
      qualcode codebook validate codebooks/improvement-collaboration.yaml
    """
    cb, problems = codebook_io.validate_file(file)
    errors = [p for p in problems if p.severity == "error"]
    if as_json:
        emit_json({"file": file, "valid": not errors,
                   "codes": len(cb.codes) if cb else 0,
                   "problems": [dataclasses.asdict(p) for p in problems]})
    else:
        for p in problems:
            click.secho(f"{p.severity}: {p}", err=True, fg="red" if p.severity == "error" else "yellow")
        if errors:
            click.secho(f"{file}: {len(errors)} error{'s' if len(errors) != 1 else ''}.", err=True, fg="red")
        else:
            assert cb is not None
            codable = len([c for c in cb.codes if c.codable and not c.retired])
            groups = len([c for c in cb.codes if not c.codable])
            click.echo(f"{file}: valid codebook {cb.name!r}: {len(cb.codes)} codes "
                       f"({codable} codable, {groups} grouping).")
    sys.exit(1 if errors else 0)


@codebook.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--replace", is_flag=True,
              help="Retire the project's codes that the file lacks (codes in use are kept).")
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
@pass_state
def import_(state: State, file: str, replace: bool, as_json: bool) -> None:
    """Import a codebook file (YAML, .qdc from any REFI-QDA tool, or a .csv / .xlsx spreadsheet with
    one row per code: columns name, definition, parent, examples, ...) into the project.

    New codes are added and changed codes updated, all or nothing; with --replace the
    project's other codes are retired, except those excerpts are coded with. Undo with
    `qualcode codebook undo`.

    \b
    Example:
      qualcode --project my-study codebook import revised-codebook.yaml
      qualcode --project my-study codebook import revised-codebook.yaml --replace
    """
    result = svc.import_codebook(state.open(), file, replace=replace)
    if as_json:
        emit_json(result)
        return
    for w in result["warnings"]:
        click.secho(f"warning: {w}", err=True, fg="yellow")
    click.echo(f"Imported {file}: {svc.import_summary(result)}")


@codebook.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--format", "fmt", type=click.Choice(svc.FORMATS), default=None,
              help="Output format (default: from the file's suffix).")
@click.option("--include-retired", is_flag=True, default=None,
              help="Include retired codes in md/docx/qdc (YAML always keeps them).")
@pass_state
def export(state: State, file: str, fmt: str | None, include_retired: bool | None) -> None:
    """Write the project's codebook as YAML, Markdown, Word (.docx), REFI-QDA .qdc or a .csv spreadsheet.

    \b
    Example:
      qualcode --project my-study codebook export appendix.docx
      qualcode --project my-study codebook export codebook.qdc
    """
    path = svc.export_codebook(state.open(), file, fmt=fmt, include_retired=include_retired)
    click.echo(f"Wrote {path}")


@codebook.command()
@click.option("--json", "as_json", is_flag=True, help="Print the codebook (with usage) as JSON.")
@click.option("--retired", is_flag=True, help="Show retired codes too.")
@pass_state
def show(state: State, as_json: bool, retired: bool) -> None:
    """Show the project's codebook as a tree with how often each code is used.

    \b
    Example:
      qualcode --project my-study codebook show --json
    """
    from qualcode.export.codebook_docs import ordered

    ctx = state.open()
    cb = svc.get_codebook(ctx)
    usage = svc.code_usage(ctx)
    pending = svc.pending_usage(ctx)
    if as_json:
        codes = [{**dataclasses.asdict(c), "codings": usage.get(c.id, 0), "pending": pending.get(c.id, 0)}
                 for c in cb.codes if retired or not c.retired]
        emit_json({"name": cb.name, "description": cb.description, "version": cb.version, "codes": codes})
        return
    click.echo(cb.name)
    for depth, c in ordered(cb, include_retired=retired):
        count = f"{usage.get(c.id, 0):>5}" if c.codable else "     "
        tags = (" (grouping)" if not c.codable else "") + (" (retired)" if c.retired else "")
        click.echo(f"{count}  {'  ' * depth}{c.name} [{c.id}]{tags}")


def _done(message: str) -> None:
    click.echo(message + "  (undo with: qualcode codebook undo)")


@codebook.command()
@click.argument("code_id")
@click.option("--name", required=True, help="Display name.")
@click.option("--definition", default="", help="What the code means (required for codable codes).")
@click.option("--parent", default=None, help="Id of the parent code.")
@click.option("--grouping", is_flag=True, help="A grouping-only (not codable) code.")
@click.option("--color", default=None, help="#rrggbb")
@pass_state
def add(state: State, code_id: str, name: str, definition: str, parent: str | None, grouping: bool,
        color: str | None) -> None:
    """Add a code to the project's codebook.

    \b
    Example:
      qualcode -p my-study codebook add rapport --name Rapport --parent relationships \\
          --definition "Warmth between the coach and the team."
    """
    c = svc.add_code(state.open(), {"id": code_id, "name": name, "definition": definition, "parent": parent,
                                    "codable": not grouping, "color": color})
    _done(f"Added {c.name} [{c.id}].")


@codebook.command()
@click.argument("code_id")
@click.argument("name")
@pass_state
def rename(state: State, code_id: str, name: str) -> None:
    """Rename a code (its id and codings stay).

    \b
    Example:
      qualcode -p my-study codebook rename buy_in "Buy-in and support"
    """
    svc.rename_code(state.open(), code_id, name)
    _done(f"Renamed {code_id} to {name!r}.")


@codebook.command()
@click.argument("code_id")
@click.argument("parent")
@pass_state
def move(state: State, code_id: str, parent: str) -> None:
    """Move a code under another parent ('-' for the top level).

    \b
    Example:
      qualcode -p my-study codebook move peer_learning relationships
    """
    svc.move_code(state.open(), code_id, None if parent == "-" else parent)
    _done(f"Moved {code_id} under {parent if parent != '-' else 'the top level'}.")


@codebook.command()
@click.argument("source")
@click.argument("target")
@pass_state
def merge(state: State, source: str, target: str) -> None:
    """Merge SOURCE into TARGET: codings and suggestions move, SOURCE is retired.

    \b
    Example:
      qualcode -p my-study codebook merge rapport trust
    """
    r = svc.merge_codes(state.open(), source, target)
    _done(svc.merge_text(source, target, r) + ".")


@codebook.command()
@click.argument("code_id")
@click.argument("new_id")
@click.option("--name", required=True, help="Name of the new code.")
@click.option("--definition", required=True, help="Definition of the new code.")
@click.option("--excerpt", "excerpts", type=int, multiple=True, required=True,
              help="Excerpt id whose codings move to the new code (repeat).")
@pass_state
def split(state: State, code_id: str, new_id: str, name: str, definition: str, excerpts: tuple[int, ...]) -> None:
    """Split a new code out of CODE_ID, moving the codings on the given excerpts to it.

    \b
    Example:
      qualcode -p my-study codebook split evidence state_tests --name "State tests" \\
          --definition "Results of state assessments." --excerpt 12 --excerpt 40
    """
    r = svc.split_code(state.open(), code_id, {"id": new_id, "name": name, "definition": definition},
                       list(excerpts))
    _done(f"Split {new_id} out of {code_id}: {r['codings_moved']} codings moved.")


@codebook.command()
@click.argument("code_id")
@click.option("--force", is_flag=True, help="Retire even though codings use it (they are kept).")
@pass_state
def retire(state: State, code_id: str, force: bool) -> None:
    """Retire a code: hidden from coding, kept with its history.

    \b
    Example:
      qualcode -p my-study codebook retire hierarchy_voice --force
    """
    svc.retire_code(state.open(), code_id, force=force)
    _done(f"Retired {code_id}.")


@codebook.command()
@pass_state
def undo(state: State) -> None:
    """Undo your latest codebook change (itself recorded in the history).

    \b
    Example:
      qualcode -p my-study codebook undo
    """
    r = svc.undo_codebook(state.open())
    click.echo("Nothing to undo." if r is None else f"Undid: {r['summary']}.")


@codebook.command()
@click.option("--limit", type=int, default=20, show_default=True, help="How many changes to show.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON (with before/after).")
@pass_state
def history(state: State, limit: int, as_json: bool) -> None:
    """List codebook changes, newest first: who, when, what.

    \b
    Example:
      qualcode -p my-study codebook history --limit 5
    """
    events = svc.codebook_history(state.open(), limit=limit)
    if as_json:
        emit_json(events)
        return
    for e in events:
        undone = " (undone)" if e["undone"] else ""
        click.echo(f"{e['at']:%Y-%m-%d %H:%M}  {e['coder'] or '?':<12} {e['summary']}{undone}")
