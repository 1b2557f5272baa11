"""Exports and imports: ``qualcode export WHAT OUT``, ``import-qdpx``, ``import-codings``."""

from __future__ import annotations

from pathlib import Path

import click

from qualcode.cli.base import State, emit_json, main, pass_state
from qualcode.errors import ExportError

WHAT = ("excerpts", "frequencies", "crosstab", "compare", "cooccurrence", "matrix", "report", "qdpx", "codebook")


@main.command("export")
@click.argument("what", type=click.Choice(WHAT))
@click.argument("out", type=click.Path(dir_okay=False), metavar="OUT")
@click.option("--by", metavar="ATTR", help="Group by a document or speaker attribute (year, district, role...).")
@click.option("--include", type=click.Choice(["accepted", "pending"]), default="accepted", show_default=True,
              help="Which codings count: accepted and manual only, or also pending suggestions.")
@click.option("--coder", "only_coder", metavar="NAME", help="Count only this coder's codings.")
@click.option("--source", type=click.Choice(["transcripts", "surveys"]),
              help="Count only transcripts or only survey answers (default: every document; a survey "
                   "respondent is one document).")
@click.option("--format", "fmt", metavar="FMT", help="csv/xlsx (tables), md/docx/html (report), yaml/md/docx/qdc "
              "(codebook); default from OUT's suffix.")
@click.option("--bom", is_flag=True, help="Start CSV files with a byte-order mark (for Excel).")
@click.option("--values", type=click.Choice(["binary", "counts"]), default="binary", show_default=True,
              help="Matrix cells: 0/1 or number of coded excerpts.")
@click.option("--level", type=click.Choice(["excerpt", "document"]), default="excerpt", show_default=True,
              help="Co-occurrence within excerpts or within documents.")
@click.option("--include-key", is_flag=True, help="qdpx only: add the de-identification key (real names!).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@pass_state
def export(state: State, what: str, out: str, by: str | None, include: str, only_coder: str | None,
           source: str | None, fmt: str | None, bom: bool, values: str, level: str, include_key: bool, as_json: bool) -> None:
    """Export coded excerpts, tables, a report, the codebook or the whole project.

    Tables are CSV (UTF-8) or XLSX; cells that a spreadsheet would run as formulas are
    neutralised. Speakers appear under their pseudonyms.

    \b
    Example:
      qualcode -p my-study export excerpts excerpts.xlsx
      qualcode -p my-study export frequencies freq.csv --by year --include pending
      qualcode -p my-study export crosstab roles.csv --by role
      qualcode -p my-study export report findings.docx --by year
      qualcode -p my-study export report interviews.docx --source transcripts
      qualcode -p my-study export qdpx study.qdpx
    """
    from qualcode.services import export as ex

    ctx = state.open()
    path = Path(out)
    common = {"include": include, "coder": only_coder, "source": source}
    result: dict = {"what": what, "out": str(path)}
    if what == "excerpts":
        result["rows"] = ex.export_excerpts(ctx, path, fmt=fmt, bom=bom, **common)
    elif what == "frequencies":
        result["rows"] = ex.export_frequencies(ctx, path, fmt=fmt, bom=bom, by=by, **common)
    elif what == "crosstab":
        result["rows"] = ex.export_crosstab(ctx, path, by=by, fmt=fmt, bom=bom, **common)
    elif what == "compare":
        result["rows"] = ex.export_compare(ctx, path, by=by, fmt=fmt, bom=bom, **common)
    elif what == "cooccurrence":
        result["rows"] = ex.export_cooccurrence(ctx, path, level=level, fmt=fmt, bom=bom, **common)
    elif what == "matrix":
        result["rows"] = ex.export_matrix(ctx, path, values=values, fmt=fmt, bom=bom, **common)
    elif what == "report":
        ex.export_report(ctx, path, fmt=fmt, by=by, **common)
    elif what == "qdpx":
        result.update(ex.export_qdpx(ctx, path, include_key=include_key))
    elif what == "codebook":
        from qualcode.services import codebook as codebook_svc  # the one export_codebook

        codebook_svc.export_codebook(ctx, path, fmt=fmt)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"Wrote {what} to {path}" + (f" ({result['rows']} rows)" if "rows" in result else ""))
        if what not in ("qdpx", "codebook"):
            _say_if_empty(ctx, path, include)
        if include_key and what == "qdpx":
            click.secho("The file contains the de-identification key: keep it private.", fg="yellow")


def _say_if_empty(ctx, path: Path, include: str) -> None:
    """A table or report of a project with nothing counted is written (a script may expect the
    file) and said to be empty, with what to do, on stderr."""
    from qualcode.services import export as ex
    from qualcode.services.project import project_status

    counts = project_status(ctx, verdicts=False)
    if not ex.nothing_counted(counts, include):
        return
    pending = (counts.get("suggestions") or {}).get("pending", 0)
    if not counts.get("documents"):
        todo = "Import transcripts (qualcode ingest), code them (qualcode app), then export again."
    elif pending and include != "pending":
        todo = (f"Code excerpts (qualcode app) and export again, or count the {pending} pending suggestion(s) "
                "with --include pending.")
    else:
        todo = "Code excerpts (qualcode app) and export again."
    click.secho(f"Nothing is coded yet, so {path} holds no codings. {todo}", err=True, fg="yellow")


REVIEWS_HELP = ("Which excerpts count as reviewed by each coder in the file, for agreement: "
                "'documents' (every codable excerpt of the documents their codings touch), "
                "'excerpts' (only the ones they coded) or 'none'. A qualcode .qdpx says it itself.")


@main.command("import-qdpx")
@click.argument("file", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--merge", "merge_in", is_flag=True,
              help="Merge a colleague's work into this project (documents matched by content or GUID, "
                   "codes by GUID or name, codings added under their coders, nothing duplicated; "
                   "'qualcode undo' takes it back).")
@click.option("--dry-run", is_flag=True, help="With --merge: show what would be merged; write nothing.")
@click.option("--reviews", type=click.Choice(["documents", "excerpts", "none"]), default="documents",
              show_default=True, help=REVIEWS_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_state
def import_qdpx_cmd(state: State, file: str, merge_in: bool, dry_run: bool, reviews: str, as_json: bool) -> None:
    """Import a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA or qualcode) into a new
    project folder (created if missing) or an empty project; or, with --merge, bring a
    colleague's work into this project.

    \b
    Examples:
      qualcode --project moved-study import-qdpx study.qdpx
      qualcode -p my-study import-qdpx --merge --dry-run colleague.qdpx
      qualcode -p my-study import-qdpx --merge colleague.qdpx
    """
    from qualcode.services import export as ex
    from qualcode.services import merge

    if merge_in:
        summary = merge.merge_qdpx(state.open(), file, reviews=reviews, dry_run=dry_run)
        if as_json:
            emit_json(summary)
            return
        for line in merge_lines(summary):
            click.echo(line)
        for p in summary["problems"]:
            click.secho(f"Warning: {p}", fg="yellow", err=True)
        return
    if dry_run:
        raise ExportError("--dry-run previews a merge", hint="add --merge")
    if state.db:
        summary = ex.import_qdpx(state.open(), file, reviews=reviews)
    elif state.project:
        summary = ex.import_qdpx(state.project, file, coder=state.coder, reviews=reviews)
    else:
        raise ExportError("no project given", hint="pass --project NEW_DIR (it is created if missing)")
    if as_json:
        emit_json(summary)
        return
    groups = summary.get("code_groups") or 0
    click.echo(f"Imported {summary['documents']} documents, {summary['codes']} codes"
               + (f" (and {groups} grouping code{'s' if groups != 1 else ''})" if groups else "")
               + f", {summary['codings']} codings, {summary['memos']} memos.")
    for p in summary["left_out"]:
        click.secho(f"Left out: {p}", fg="yellow", err=True)
    for p in summary["problems"]:
        click.secho(f"Warning: {p}", fg="yellow", err=True)


def merge_lines(summary: dict) -> list[str]:
    """A merge summary (or preview) in a few plain lines."""
    docs, codes = summary["documents"], summary["codes"]
    head = "Preview (nothing was written):" if summary.get("dry_run") else "Merged:"
    out = [head,
           f"  documents: {len(docs['matched'])} already here, {len(docs['added'])} new"
           + (f", {len(docs['conflicts'])} with other text (left out)" if docs["conflicts"] else ""),
           f"  codes: {codes['matched']} matched, {len(codes['added'])} new",
           f"  codings: {summary['codings']} new, {summary['already_there']} already here",
           f"  reviewed excerpts: {summary['reviews']} new; memos: {summary['memos']} new"]
    for name, st in sorted(summary["coders"].items()):
        out.append(f"  coder {name}: {st['codings']} codings in the file, {st['new']} new")
    for p in summary["left_out"]:
        out.append(f"  left out: {p}")
    return out


@main.command("import-codings")
@click.argument("file", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--reviews", type=click.Choice(["documents", "excerpts", "none"]), default="documents",
              show_default=True, help=REVIEWS_HELP)
@click.option("--dry-run", is_flag=True, help="Check and count; write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_state
def import_codings_cmd(state: State, file: str, reviews: str, dry_run: bool, as_json: bool) -> None:
    """Import coded excerpts from a CSV with columns document, start, end (or excerpt_id),
    code, coder. All rows are checked first; if one is wrong nothing is imported. The
    coders' codings count for agreement (see --reviews); 'qualcode undo' takes it back.

    \b
    Example:
      qualcode -p my-study import-codings coded-in-excel.csv
    """
    from qualcode.services import export as ex

    summary = ex.import_codings(state.open(), file, reviews=reviews, dry_run=dry_run)
    if as_json:
        emit_json(summary)
        return
    if dry_run:
        click.echo("Preview (nothing was written):")
    click.echo(f"Imported {summary['added']} codings ({summary['skipped']} already there); "
               f"{summary['reviews']} excerpts newly count as reviewed.")
