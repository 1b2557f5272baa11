"""Ingest commands: ingest, documents, show, set-role, set-attr, code-roles, speakers, deidentify,
pseudonyms."""

from __future__ import annotations

import shlex
import sys

import click

from qualcode.cli.base import State, emit_json, main, pass_state
from qualcode.core import AttrType, Role
from qualcode.errors import QualcodeError
from qualcode.services import ingest as ingest_service

_STATUS_COLOUR = {"ok": "green", "skipped": "yellow", "failed": "red"}
_ROLES = click.Choice([r.value for r in Role])


def _result_line(r) -> str:
    doc = f" -> document {r.document_id}" if r.document_id and r.status == "ok" else ""
    if r.message.startswith(r.file):
        return f"{r.status:<8}{r.message}"
    return f"{r.status:<8}{r.file}{doc}: {r.message}"


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option("--attr", "attrs", multiple=True, metavar="KEY=VALUE",
              help="Attribute for every file (repeatable); KEY:TYPE=VALUE sets the type (text, integer, date).")
@click.option("--attributes", type=click.Path(exists=True, dir_okay=False), metavar="CSV",
              help="Sidecar CSV with a 'file' column and one column per attribute (optional 'speaker' column).")
@click.option("--unit", type=click.Choice(["sentence", "turn"]), default=None,
              help="Excerpt unit (default: the 'unit' setting, sentence).")
@click.option("--deidentify", is_flag=True, help="Replace names with pseudonyms kept in the project's key.")
@click.option("--names", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Names to replace (one per line; 'district: X', 'school: Y', aliases after commas).")
@click.option("--ner-model", metavar="NAME", help="Also find names with this installed spaCy pipeline.")
@click.option("--replace", is_flag=True, help="Import files again even if already imported (old copy deleted).")
@click.option("--speaker-column", metavar="NAME", help="Spreadsheets: the column holding speaker names.")
@click.option("--text-column", metavar="NAME", help="Spreadsheets: the column holding the speech.")
@click.option("--time-column", metavar="NAME", help="Spreadsheets: the column holding start times.")
@click.option("--without-times", is_flag=True,
              help="Captions (.vtt/.srt) whose cue times cannot be read: import their text without times.")
@click.option("--dry-run", is_flag=True, help="Parse and report only; nothing is saved.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
@pass_state
def ingest(state: State, paths, attrs, attributes, unit, deidentify, names, ner_model, replace,
           speaker_column, text_column, time_column, without_times, dry_run, as_json) -> None:
    """Import transcripts (files, folders, globs): .txt .md .docx .vtt .srt .csv .xlsx .pdf.

    Each file is imported whole or not at all; a bad file does not stop the others, and
    the command exits 1 if any file failed.

    \b
    Example:
      qualcode --project my-study ingest transcripts/ --attributes transcripts/attributes.csv
      qualcode --project my-study ingest "2021/*.docx" --attr year=2021 --deidentify --names names.txt
    """
    if dry_run:
        _dry_run(paths, unit=unit, columns={"speaker_column": speaker_column, "text_column": text_column,
                                             "time_column": time_column, "without_times": without_times},
                 as_json=as_json)
        return
    ctx = state.open()
    bar_state = {"bar": None}

    def progress(done: int, total: int, name: str) -> None:
        if as_json or not sys.stderr.isatty():
            return
        if bar_state["bar"] is None:
            bar_state["bar"] = click.progressbar(length=total, label="Importing", file=sys.stderr,
                                                 item_show_func=lambda x: x)
            bar_state["bar"].__enter__()
        bar = bar_state["bar"]
        bar.current_item = name.rsplit("/", 1)[-1]
        bar.update(done - bar.pos)
        if done >= total:
            bar.__exit__(None, None, None)

    report = ingest_service.ingest_paths(
        ctx, list(paths), attrs=list(attrs), attributes=attributes, unit=unit, deidentify=deidentify,
        names=names, replace=replace, progress=progress, ner_model=ner_model, speaker_column=speaker_column,
        text_column=text_column, time_column=time_column, without_times=without_times)
    if as_json:
        emit_json(report.to_dict())
    else:
        for r in report.results:
            click.secho(_result_line(r), fg=_STATUS_COLOUR[r.status], err=r.status == "failed")
            for p in r.problems:
                click.echo(f"          {p.severity if p.severity in ('warning', 'note') else 'error'}: "
                           f"{'line ' + str(p.line) + ': ' if p.line else ''}{p.message}")
            if r.proposed_interviewer and r.document_id:
                g = r.proposed_interviewer
                click.echo(f"          to leave {g['label']!r} out of coding: "
                           f"qualcode set-role {r.document_id} {_quote(g['label'])} {g['role']}")
            if r.deidentification:
                d = r.deidentification
                click.echo(f"          de-identified: {d['replacements']} replacements, "
                           f"{len(d['speakers'])} speakers renamed")
        for p in report.problems:
            click.secho(f"warning: {p}", fg="yellow")
        c = report.counts()
        click.echo(f"{c['ok']} imported, {c['skipped']} skipped, {c['failed']} failed.")
    if report.failed:
        raise SystemExit(1)


def _quote(label: str) -> str:
    return shlex.quote(label)


def _dry_run(paths, *, unit, columns, as_json: bool) -> None:
    out, failed = [], False
    for path in paths:
        try:
            parsed = ingest_service.parse_file(path, unit=unit, **columns)
            out.append({"file": path, "status": "ok", **parsed.summary()})
        except QualcodeError as exc:
            failed = True
            out.append({"file": path, "status": "failed", "message": str(exc)})
    if as_json:
        emit_json(out)
    else:
        for r in out:
            if r["status"] == "ok":
                click.echo(f"ok      {r['file']}: {len(r['speakers'])} speakers {r['speakers']}, {r['turns']} turns, "
                           f"{r['excerpts']} excerpts ({r['codable_excerpts']} codable)")
                for p in r["problems"]:
                    click.echo(f"          {p}")
                if r.get("metadata"):
                    click.echo("          header kept as attributes: "
                               + ", ".join(f"{k}={v}" for k, v in r["metadata"].items()))
            else:
                click.secho(f"failed  {r['message']}", fg="red", err=True)
    if failed:
        raise SystemExit(1)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON (id, name, format, attributes, counts).")
@pass_state
def documents(state: State, as_json: bool) -> None:
    """List the project's documents.

    \b
    Example:
      qualcode --project my-study documents --json
    """
    docs = ingest_service.list_documents(state.open())
    if as_json:
        emit_json(docs)
        return
    if not docs:
        click.echo("No documents yet. Import some with: qualcode ingest FILES")
    for d in docs:
        attrs = ", ".join(f"{k}={v}" for k, v in d["attributes"].items())
        c = d["counts"]
        click.echo(f"{d['id']:>4}  {d['name']}  [{d['format']}]  {c['speakers']} speakers, {c['turns']} turns, "
                   f"{c['excerpts']} excerpts, {c['words']} words" + (f"  ({attrs})" if attrs else ""))


@main.command()
@click.argument("doc", metavar="DOC")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: text, speakers, turns, excerpts.")
@pass_state
def show(state: State, doc: str, as_json: bool) -> None:
    """Show one document (by id or name): its speakers and turns.

    \b
    Example:
      qualcode --project my-study show 3 --json
    """
    d = ingest_service.show_document(state.open(), doc)
    if as_json:
        emit_json(d)
        return
    attrs = ", ".join(f"{k}={v}" for k, v in d["attributes"].items())
    click.secho(f"{d['name']} (document {d['id']}, {d['format']})" + (f"  {attrs}" if attrs else ""), bold=True)
    for sp in d["speakers"]:
        click.echo(f"  speaker {sp['label']!r}: {sp['role']}")
    for t in d["turns"]:
        click.echo(f"\n{t['speaker']} [{t['role']}]: {t['text']}")


@main.command(name="set-role")
@click.argument("doc", metavar="DOC")
@click.argument("label", metavar="SPEAKER")
@click.argument("role", type=_ROLES)
@pass_state
def set_role(state: State, doc: str, label: str, role: str) -> None:
    """Change a speaker's role in a document (decides whether their speech is codable).

    \b
    Example:
      qualcode --project my-study set-role 3 "Speaker 1" interviewer
    """
    n = ingest_service.set_speaker_role(state.open(), doc, label, role)
    click.echo(f"{label} is now {role}; {n} excerpts of that document are codable.")


@main.command(name="set-attr")
@click.argument("doc", metavar="DOC")
@click.argument("pairs", nargs=-1, required=True, metavar="KEY=VALUE...")
@click.option("--speaker", metavar="LABEL", help="Set the attributes of this speaker instead of the document.")
@click.option("--type", "type_", type=click.Choice([t.value for t in AttrType]), default=None,
              help="Attribute type (default: inferred from the value).")
@pass_state
def set_attr(state: State, doc: str, pairs, speaker: str | None, type_: str | None) -> None:
    """Set attributes of a document or of one of its speakers.

    \b
    Example:
      qualcode --project my-study set-attr 3 district=North year=2021
      qualcode --project my-study set-attr 3 position="team lead" --speaker Maria
    """
    from qualcode.ingest.attributes import parse_attr

    ctx = state.open()
    for pair in pairs:
        a = parse_attr(f"{pair.split('=', 1)[0]}:{type_}={pair.split('=', 1)[1]}" if type_ and "=" in pair else pair)
        if speaker:
            ingest_service.set_speaker_attribute(ctx, doc, speaker, a.key, a.value, a.type)
        else:
            ingest_service.set_document_attribute(ctx, doc, a.key, a.value, a.type)
        click.echo(f"{a.key} = {a.value} ({a.type.value})")


@main.command(name="code-roles")
@click.argument("roles", nargs=-1, type=_ROLES)
@pass_state
def code_roles(state: State, roles) -> None:
    """Show or choose which speaker roles' speech is offered for coding (default: participant, unknown).

    \b
    Example:
      qualcode --project my-study code-roles participant unknown facilitator
    """
    ctx = state.open()
    if roles:
        n = ingest_service.set_codable_roles(ctx, roles)
        click.echo(f"Codable roles: {', '.join(roles)} ({n} codable excerpts).")
    else:
        click.echo("Codable roles: " + ", ".join(ingest_service.codable_roles(ctx)))


@main.group()
def speakers() -> None:
    """See and merge the speakers of a document (one person written several ways).

    \b
    Example:
      qualcode --project my-study speakers list 3
      qualcode --project my-study speakers merge 3 "JOHN SMITH" John "Speaker 1" --into "John Smith"
    """


@speakers.command(name="list")
@click.argument("doc", metavar="DOC")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: speakers, merge candidates, proposed interviewer.")
@pass_state
def speakers_list(state: State, doc: str, as_json: bool) -> None:
    """List a document's speakers with their roles and turns, the labels that may be one
    person, and who talks like the interviewer.

    \b
    Example:
      qualcode --project my-study speakers list 3
    """
    from qualcode.ingest.interviewer import missing_interviewer

    d = ingest_service.show_document(state.open(), doc)
    labels = [sp["label"] for sp in d["speakers"]]
    groups = ingest_service.speaker_merge_candidates(labels)
    guess = missing_interviewer([(t["speaker"], t["text"]) for t in d["turns"]],
                                {sp["label"]: sp["role"] for sp in d["speakers"]})
    turns = {label: sum(t["speaker"] == label for t in d["turns"]) for label in labels}
    if as_json:
        emit_json({"speakers": [{**sp, "turns": turns[sp["label"]]} for sp in d["speakers"]],
                   "merge_candidates": groups,
                   "proposed_interviewer": None if guess is None else {"label": guess.label, "reason": guess.reason,
                                                                      "role": guess.role}})
        return
    for sp in d["speakers"]:
        click.echo(f"  {sp['label']!r}: {sp['role']}, {turns[sp['label']]} turns")
    for g in groups:
        click.echo(f"may be one person: {', '.join(repr(x) for x in g)}  "
                   f"(qualcode speakers merge {d['id']} {' '.join(_quote(x) for x in g)} --into {_quote(g[0])})")
    if guess is not None:
        click.echo(f"{guess.label!r} talks like the {guess.role} ({guess.reason}); "
                   f"qualcode set-role {d['id']} {_quote(guess.label)} {guess.role}")


@speakers.command(name="merge")
@click.argument("doc", metavar="DOC")
@click.argument("labels", nargs=-1, required=True, metavar="SPEAKER...")
@click.option("--into", required=True, metavar="NAME",
              help="The name to keep (one of the speakers, or a new spelling).")
@pass_state
def speakers_merge(state: State, doc: str, labels, into: str) -> None:
    """Merge speakers of a document who are one person; their turns, excerpts and codings stay
    (``qualcode undo`` takes the merge back; the app's Documents page merges across documents).

    \b
    Example:
      qualcode --project my-study speakers merge 3 "JOHN SMITH" John "Speaker 1" --into "John Smith"
    """
    r = ingest_service.merge_speakers(state.open(), doc, list(labels), into)
    n = sum(v["turns"] for v in r["speakers"].values())
    click.echo(f"Merged {len(labels)} speaker(s) into {into!r} ({r['role']}, {n} turns); "
               f"{r['codable']} excerpts of that document are codable. Undo it with: qualcode undo")


@main.command()
@click.argument("docs", nargs=-1, metavar="DOC...")
@click.option("--all", "all_docs", is_flag=True, help="De-identify every document.")
@click.option("--names", type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="Names to replace besides speaker names and the project's key.")
@click.option("--ner-model", metavar="NAME", help="Also find names with this installed spaCy pipeline.")
@click.option("--json", "as_json", is_flag=True, help="Print the reports as JSON (they contain real names).")
@pass_state
def deidentify(state: State, docs, all_docs: bool, names, ner_model, as_json: bool) -> None:
    """De-identify documents already imported; codings and suggestions are kept.

    \b
    Example:
      qualcode --project my-study deidentify 3 4 --names names.txt
    """
    ctx = state.open()
    if all_docs:
        docs = [d["id"] for d in ingest_service.list_documents(ctx)]
    if not docs:
        raise QualcodeError("no document given", hint="name documents by id or name, or pass --all")
    reports = [ingest_service.deidentify_document(ctx, d, names=names, ner_model=ner_model) for d in docs]
    if as_json:
        emit_json(reports)
        return
    for r in reports:
        click.echo(f"document {r['document_id']}: {r['replacements']} replacements, "
                   f"{len(r['speakers'])} speakers renamed")
        for n in r["names"]:
            click.echo(f"  {n['pseudonym']:<16} {n['count']:>4}x  ({', '.join(n['spellings'])})")
        if r["ambiguous"]:
            click.secho(f"  not replaced (shared by several people): {', '.join(r['ambiguous'])}", fg="yellow")


@main.command()
@click.option("--export-key", type=click.Path(dir_okay=False), metavar="FILE", required=True,
              help="Write the key (real name -> pseudonym) to this CSV. It holds real names: keep it safe.")
@pass_state
def pseudonyms(state: State, export_key: str) -> None:
    """Export the de-identification key, only when you ask for it.

    \b
    Example:
      qualcode --project my-study pseudonyms --export-key ~/secure/key.csv
    """
    n = ingest_service.export_key(state.open(), export_key)
    click.echo(f"Wrote {n} key entries to {export_key}. It holds real names: store it apart from the data.")
