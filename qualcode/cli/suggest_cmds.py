"""CLI for suggestions: ``qualcode suggest``, ``qualcode evaluate``, ``qualcode discover``; and
``qualcode search`` (a text search over every transcript, coding the hits on request)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from qualcode.cli.base import State, bar_progress, emit_json, main, pass_state
from qualcode.errors import QualcodeError


@main.command()
@click.option("--document", "-d", "document", metavar="ID", help="Only this document (id or name).")
@click.option("--all", "all_docs", is_flag=True, help="Every document (the default).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_state
def suggest(state: State, document: str | None, all_docs: bool, as_json: bool) -> None:
    """Compute code suggestions with the local model; they are stored as pending.

    Suggestions never overwrite decisions: accepted and rejected ones stay as they are.

    \b
    Example:
      qualcode --project my-study suggest --all
      qualcode --project my-study suggest --document 3
    """
    from qualcode.services import suggest as service

    if document and all_docs:
        raise click.UsageError("use --document or --all, not both")
    ctx = state.open()
    progress, close = bar_progress("Embedding excerpts")
    try:
        n = (service.suggest_document(ctx, document, progress=progress) if document
             else service.suggest_all(ctx, progress=progress))
    finally:
        close()
    if as_json:
        emit_json({"suggestions": n, "document": document})
    else:
        click.echo(f"{n} suggestions pending" + (f" for document {document}." if document else "."))


@main.command()
@click.option("--gold", required=True, type=click.Path(exists=True, dir_okay=False),
              help="CSV with columns document, speaker, text, codes (ids joined by ';').")
@click.option("--codebook", required=True, type=click.Path(exists=True, dir_okay=False),
              help="The codebook (YAML or .qdc) the gold was coded with.")
@click.option("--budgets", default="0,100,200,500,1000", show_default=True,
              help="Numbers of reviewed excerpts at which to measure, comma-separated.")
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the document split.")
@click.option("--json", "json_out", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write the full result as JSON to OUT.")
@click.option("--live", is_flag=True,
              help="Run through a real project database and the app's services: the simulated coder "
                   "decides on the stored pending suggestions, and the test half's stored suggestions "
                   "are scored.")
@click.option("--batch", default=10, show_default=True, type=click.IntRange(min=1),
              help="Excerpts the simulated coder reviews between relearning (1 = after every excerpt).")
@click.option("--order", type=click.Choice(["queue", "document"]), default="queue", show_default=True,
              help="How the simulated coder goes through the coding half: the review queue (the model's "
                   "least sure first) or each transcript in order, as in the app's Transcript view.")
@click.option("--keep-project", type=click.Path(file_okay=False), metavar="DIR",
              help="With --live: keep the evaluation project in DIR (a new folder) to open it in the app.")
def evaluate(gold: str, codebook: str, budgets: str, seed: int, json_out: str | None, live: bool, batch: int,
             order: str, keep_project: str | None) -> None:
    """Measure suggestions against a hand-coded gold file (no project needed).

    Documents are split in two halves; a simulated coder reviews the first half in the
    review-queue order (or transcript order, --order document) while the engine learns; the
    second half is scored at each budget,
    beside a logistic-regression baseline trained on a random sample of the same size.

    \b
    Example:
      qualcode evaluate --gold gold.csv --codebook codebook.yaml --budgets 0,100,500 --json out.json
      qualcode evaluate --gold gold.csv --codebook codebook.yaml --budgets 0,100 --live
    """
    try:
        nums = [int(b) for b in budgets.split(",") if b.strip()]
    except ValueError:
        raise click.BadParameter("budgets are whole numbers, e.g. 0,100,500", param_hint="--budgets") from None
    say = lambda m: click.echo(m, err=True)  # noqa: E731
    if keep_project and not live:
        raise click.UsageError("--keep-project goes with --live")
    if live:
        from qualcode.services.live_eval import evaluate_live

        if keep_project and Path(keep_project).exists():
            raise click.BadParameter("the folder exists; give a new one", param_hint="--keep-project")
        result = evaluate_live(gold, codebook, budgets=nums, seed=seed, batch=batch, order=order,
                               project_dir=keep_project, progress=say)
    else:
        from qualcode.suggest.evaluate import evaluate as run_eval

        result = run_eval(gold, codebook, budgets=nums, seed=seed, batch=batch, order=order, progress=say)
    click.echo(f"pool {result['n_pool']} excerpts, test {result['n_test']} excerpts")
    click.echo(f"{'reviewed':>8}  {'macro-F1':>8}  {'micro-F1':>8}  {'baseline':>8}")
    for b in result["budgets"]:
        click.echo(f"{b['reviewed']:>8}  {b['macro_f1']:>8.3f}  {b['micro_f1']:>8.3f}  {b['baseline_macro_f1']:>8.3f}")
    for w in result.get("session", []):
        click.echo(f"session excerpts {w['from']:>4}-{w['to']:<4} shown precision {w['precision']:.3f}  "
                   f"recall {w['recall']:.3f}  F1 {w['f1']:.3f}")
    if json_out:
        Path(json_out).write_text(json.dumps(result, indent=2), encoding="utf-8")
        click.echo(f"Wrote {json_out}")


@main.command()
@click.option("--min-size", default=5, show_default=True, help="Smallest cluster that counts as a theme.")
@click.option("--max-themes", default=8, show_default=True, help="How many themes at most.")
@click.option("--json", "as_json", is_flag=True, help="Print the themes as JSON.")
@pass_state
def discover(state: State, min_size: int, max_themes: int, as_json: bool) -> None:
    """Cluster excerpts that no code covers into candidate themes.

    \b
    Example:
      qualcode --project my-study discover --max-themes 5
    """
    from qualcode.services import suggest as service

    ctx = state.open()
    themes = service.discover_themes(ctx, min_size=min_size, max_themes=max_themes)
    if as_json:
        emit_json(themes)
        return
    if not themes:
        click.echo("No candidate themes: too few uncovered excerpts.")
    for i, t in enumerate(themes, 1):
        click.echo(f"{i}. {t['label']}  ({t['size']} excerpts)")
        for q in t["quotes"][:2]:
            click.echo(f"     \"{q}\"")





@main.command("search")
@click.argument("query")
@click.option("--code", "code_id", metavar="CODE", help="Code every hit on a coded line with this code (one undo).")
@click.option("--any-part", is_flag=True, help="Match inside longer words too (stock: stockroom).")
@click.option("--match-case", is_flag=True, help="Only hits with the same capitals.")
@click.option("--match-accents", is_flag=True, help="Only hits with the same accents (creche: not crèche).")
@click.option("--json", "as_json", is_flag=True, help="Print the hits as JSON.")
@pass_state
def search_cmd(state: State, query: str, code_id: str | None, any_part: bool, match_case: bool,
               match_accents: bool, as_json: bool) -> None:
    """Find words or phrases in every transcript; with --code, code the hits.

    Several at once are separated by commas; AND / NOT in capitals join words the same
    excerpt must, or must not, hold too; a * ends a word with any ending. Hits on lines
    that are not coded (an interviewer's) are listed, never coded.

    \b
    Example:
      qualcode --project my-study search "exit tickets, data*"
      qualcode --project my-study search "transport AND parent* NOT school bus"
      qualcode --project my-study search "exit tickets" --code evidence
    """
    from qualcode.services import coding
    from qualcode.services import search as service

    ctx = state.open()
    result = service.search(ctx, query, whole_words=not any_part, match_case=match_case,
                            match_accents=match_accents)
    rows = result.rows
    done = None
    if code_id and len(rows):
        done = coding.code_excerpts(ctx, [int(i) for i in rows["excerpt_id"]], code_id)
    if as_json:
        emit_json({"summary": result.summary(), "hits": [
            {"excerpt_id": int(r.excerpt_id), "document": r.document, "speaker": r.speaker, "role": r.role,
             "speaker_coded": bool(r.codable), "text": r.text, "spans": [list(s) for s in r.spans],
             "codes": list(r.codes)} for r in rows.itertuples()], "coded": done})
        return
    click.echo(result.summary() + ".")
    for r in rows.itertuples():
        text = " ".join(r.text.split())
        click.echo(f"  {r.document} · {r.speaker}{'' if r.codable else ' (not coded)'}: {text}")
    if done is not None:
        click.echo(f"Coded {len(done['coded'])} excerpts with {code_id}"
                   + (f" ({done['already']} already had it)" if done["already"] else "")
                   + (f"; {done['not_codable']} on lines that are not coded were left out" if done["not_codable"]
                      else "") + ". `qualcode undo` takes them all back.")


__all__ = ["suggest", "evaluate", "discover", "search_cmd", "QualcodeError"]
