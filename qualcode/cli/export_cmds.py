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
           fmt: str | None, bom: bool, values: str, level: str, include_key: bool, as_json: bool) -> None:
    """Export coded excerpts, tables, a report, the codebook or the whole project.

    Tables are CSV (UTF-8) or XLSX; cells that a spreadsheet would run as formulas are
    neutralised. Speakers appear under their pseudonyms.

    \b
    Example:
      qualcode -p my-study export excerpts excerpts.xlsx
      qualcode -p my-study export frequencies freq.csv --by year --include pending
      qualcode -p my-study export crosstab roles.csv --by role
      qualcode -p my-study export report findings.docx --by year
      qualcode -p my-study export qdpx study.qdpx
    """
    from qualcode.services import export as ex

    ctx = state.open()
    path = Path(out)
    common = {"include": include, "coder": only_coder}
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
        if only_coder:
            raise ExportError("the report counts every coder", hint="leave out --coder")
        ex.export_report(ctx, path, fmt=fmt, by=by, include=include)
    elif what == "qdpx":
        result.update(ex.export_qdpx(ctx, path, include_key=include_key))
    elif what == "codebook":
        from qualcode.services import codebook as codebook_svc  # the one export_codebook

        codebook_svc.export_codebook(ctx, path, fmt=fmt)
    if as_json:
        emit_json(result)
    else:
        click.echo(f"Wrote {what} to {path}" + (f" ({result['rows']} rows)" if "rows" in result else ""))
        if include_key and what == "qdpx":
            click.secho("The file contains the de-identification key: keep it private.", fg="yellow")


@main.command("import-qdpx")
@click.argument("file", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_state
def import_qdpx_cmd(state: State, file: str, as_json: bool) -> None:
    """Import a REFI-QDA project (.qdpx from NVivo, ATLAS.ti, MAXQDA or qualcode) into a new
    project folder (created if missing) or an empty project.

    \b
    Example:
      qualcode --project moved-study import-qdpx study.qdpx
    """
    from qualcode.services import export as ex

    if state.db:
        summary = ex.import_qdpx(state.open(), file)
    elif state.project:
        summary = ex.import_qdpx(state.project, file, coder=state.coder)
    else:
        raise ExportError("no project given", hint="pass --project NEW_DIR (it is created if missing)")
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Imported {summary['documents']} documents, {summary['codes']} codes, "
               f"{summary['codings']} codings, {summary['memos']} memos.")
    for p in summary["problems"]:
        click.secho(f"Warning: {p}", fg="yellow", err=True)


@main.command("import-codings")
@click.argument("file", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_state
def import_codings_cmd(state: State, file: str, as_json: bool) -> None:
    """Import coded excerpts from a CSV with columns document, start, end (or excerpt_id),
    code, coder. All rows are checked first; if one is wrong nothing is imported.

    \b
    Example:
      qualcode -p my-study import-codings coded-in-excel.csv
    """
    from qualcode.services import export as ex

    summary = ex.import_codings(state.open(), file)
    if as_json:
        emit_json(summary)
        return
    click.echo(f"Imported {summary['added']} codings ({summary['skipped']} already there).")
