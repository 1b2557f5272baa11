"""Team commands: agreement, disagreements, resolve, audit, undo, coders, settings."""

from __future__ import annotations

import click

from qualcode.cli.base import State, emit_json, main, pass_state
from qualcode.services import team


def _coder_list(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [c.strip() for c in value.split(",") if c.strip()]


def _fmt(value: float | None, pct: bool = False) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0%}" if pct else f"{value:.2f}"


def _figure_line(label: str, f: dict, width: int) -> str:
    kappa = f.get("cohen_kappa", f.get("fleiss_kappa"))
    return (f"  {label:<{width}} {f['units']:>7} {_fmt(f['percent_agreement'], True):>6} "
            f"{_fmt(kappa):>6} {_fmt(f['krippendorff_alpha']):>6}  {f['label']}")


@main.command()
@click.option("--coders", metavar="A,B", help="Coders to compare (default: everyone who reviewed excerpts).")
@click.option("--code", "code_id", metavar="ID", help="Only this code.")
@click.option("--level", type=click.Choice(["excerpt", "character"]), default="excerpt", show_default=True,
              help="Units: excerpts both coders reviewed, or their characters.")
@click.option("--engine", is_flag=True, help="Include the suggestion engine as one more coder.")
@click.option("--json", "as_json", is_flag=True, help="Print every figure as JSON.")
@pass_state
def agreement(state: State, coders: str | None, code_id: str | None, level: str, engine: bool, as_json: bool) -> None:
    """Inter-coder agreement per code and overall: percent agreement, Cohen's kappa (two
    coders), Fleiss' kappa and Krippendorff's alpha, with the units behind each.

    \b
    Example:
      qualcode agreement --coders alice,bob
      qualcode agreement --code trust --level character --json
    """
    result = team.agreement(state.open(), coders=_coder_list(coders), code=code_id, level=level,
                            include_engine=engine)
    if as_json:
        emit_json(result)
        return
    two = len(result["coders"]) == 2
    result, unused = team.used_codes_only(result)  # the Agreement page's rows
    click.echo(f"Agreement between {', '.join(result['coders'])} ({result['units']} {level}s all reviewed)")
    width = max([len(c) for c in result["codes"]] + [8])
    click.echo(f"  {'code':<{width}} {'units':>7} {'agree':>6} {'kappa' if two else 'fleiss':>6} {'alpha':>6}")
    for code, f in result["codes"].items():
        click.echo(_figure_line(code, f, width))
    click.echo(_figure_line("OVERALL", result["overall"], width))
    click.echo(result["overall"]["summary"])
    if unused:
        click.echo(f"Not listed: {len(unused)} code{'s' * (len(unused) != 1)} that none of these coders applied "
                   f"to these {level}s (they agree trivially and are left out of OVERALL too): {', '.join(unused)}.")
    blind = result.get("blind")
    if blind and blind["open"]:  # walk 29: kappa read as a blind sample's
        click.echo(f"Not a blind comparison: on {blind['open']} of the {blind['compared']} excerpts all these "
                   "coders finished, one of them decided after a colleague had, while independent coding was "
                   "off (their codes on screen). For a blind sample: qualcode settings independent on, before coding.")
    for p in result["pairs"]:
        o = p["overall"]
        click.echo(f"  {p['coders'][0]} vs {p['coders'][1]}: {p['units']} units, agree "
                   f"{_fmt(o['percent_agreement'], True)}, kappa {_fmt(o.get('cohen_kappa'))} ({o['label']})")


@main.command()
@click.option("--coders", metavar="A,B", help="Coders to compare (default: everyone who reviewed excerpts).")
@click.option("--code", "code_id", metavar="ID", help="Only differences on this code.")
@click.option("--all", "include_resolved", is_flag=True, help="Also list excerpts already resolved.")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
@pass_state
def disagreements(state: State, coders: str | None, code_id: str | None, include_resolved: bool, as_json: bool) -> None:
    """List excerpts where coders applied different codes, side by side with their memos.

    \b
    Example:
      qualcode disagreements --coders alice,bob
      qualcode resolve 42 trust,buy_in
    """
    items = team.disagreements(state.open(), coders=_coder_list(coders), code=code_id,
                               include_resolved=include_resolved)
    if as_json:
        emit_json(items)
        return
    if not items:
        click.echo("No open disagreements.")
        return
    for d in items:
        click.echo(f"[{d['excerpt_id']}] {d['document']} #{d['order']}"
                   + ("  (resolved: " + (", ".join(d["consensus"]) or "no code") + ")" if d["resolved"] else ""))
        click.echo(f"    {d['text']}")
        for name, codes in d["coders"].items():
            memo = "; ".join(d["memos"].get(name, []))
            click.echo(f"    {name:<12} {', '.join(codes) or '(no code)'}" + (f"   memo: {memo}" if memo else ""))
    click.echo(f"{len(items)} excerpts. Resolve one with: qualcode resolve EXCERPT_ID CODE[,CODE...]")


@main.command()
@click.argument("excerpt_id", type=int)
@click.argument("codes", required=False, default="")
@click.option("--none", "no_code", is_flag=True, help="Agree that no code applies.")
@pass_state
def resolve(state: State, excerpt_id: int, codes: str, no_code: bool) -> None:
    """Record the agreed codes of an excerpt as consensus codings (audited as yours).

    \b
    Example:
      qualcode --coder alice resolve 42 trust,buy_in
      qualcode resolve 43 --none
    """
    wanted = [] if no_code else [c.strip() for c in codes.split(",") if c.strip()]
    if not wanted and not no_code:
        raise click.UsageError("give the agreed codes (comma-separated), or --none")
    r = team.resolve_disagreement(state.open(), excerpt_id, wanted)
    click.echo(f"Excerpt {excerpt_id}: consensus {', '.join(r['codes']) or 'no code'}"
               f" (added {len(r['added'])}, removed {len(r['removed'])}).")


@main.command()
@click.option("--coder", "who", metavar="NAME", help="Only this coder's events.")
@click.option("--action", metavar="ACTION", help="Only this action (accept, reject, code, consensus, undo...).")
@click.option("--entity", metavar="ENTITY", help="Only this entity (suggestion, coding, excerpt, code...).")
@click.option("--since", metavar="DATE", help="From this date/time (ISO, e.g. 2024-05-01).")
@click.option("--until", metavar="DATE", help="Before this date/time (ISO).")
@click.option("--limit", type=int, default=None, help="At most this many events (newest first).")
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON.")
@click.option("--csv", "csv_out", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write the events (oldest first) to a CSV file.")
@pass_state
def audit(state: State, who: str | None, action: str | None, entity: str | None, since: str | None,
          until: str | None, limit: int | None, as_json: bool, csv_out: str | None) -> None:
    """Browse or export the audit trail: who changed what, when, before and after.

    \b
    Example:
      qualcode audit --coder bob --since 2024-05-01
      qualcode audit --csv audit.csv
    """
    ctx = state.open()
    filters = dict(coder=who, action=action, entity=entity, since=since, until=until, limit=limit)
    if csv_out:
        n = team.export_audit(ctx, csv_out, fmt="csv", **filters)
        click.echo(f"Wrote {n} events to {csv_out}")
        return
    events = team.audit_log(ctx, **filters)
    if as_json:
        emit_json(events)
        return
    for e in events:
        flag = " (undone)" if e["undone"] else ""
        click.echo(f"{e['id']:>6} {e['at']:%Y-%m-%d %H:%M:%S} {e['coder'] or '-':<12} {e['action']:<10} "
                   f"{e['entity']} {e['entity_id']}{flag}")
    if not events:
        click.echo("No events match.")


@main.command()
@click.argument("steps", type=int, default=1, required=False)
@pass_state
def undo(state: State, steps: int) -> None:
    """Undo your last STEPS decisions (default 1), newest first; the undo is audited.

    \b
    Example:
      qualcode --coder alice undo 3
    """
    done = team.undo(state.open(), steps)
    if not done:
        click.echo("Nothing to undo.")
    for d in done:
        click.echo(f"Undid {d['action']} of {d['entity']} {d['entity_id']}")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@pass_state
def coders(state: State, as_json: bool) -> None:
    """List the coders with their codings, reviewed excerpts and last activity.

    \b
    Example:
      qualcode coders --json
    """
    rows = team.coders_summary(state.open())
    if as_json:
        emit_json(rows)
        return
    for r in rows:
        note = "  (consensus codings)" if r["coder"] == team.CONSENSUS else ""
        click.echo(f"{r['coder']:<20} {r['codings']:>6} codings {r['reviewed']:>6} reviewed  "
                   f"last {r['last_active'] or '-'}{note}")


@main.group()
def settings() -> None:
    """Project settings shared by the team.

    \b
    Example:
      qualcode settings independent on
    """


@settings.command("independent")
@click.argument("value", type=click.Choice(["on", "off"]), required=False)
@pass_state
def independent(state: State, value: str | None) -> None:
    """Show or set independent coding: coders see only their own codings (and consensus).

    \b
    Example:
      qualcode settings independent on
    """
    ctx = state.open()
    on = team.independent_coding(ctx) if value is None else team.set_independent_coding(ctx, value == "on")
    click.echo(f"Independent coding is {'on' if on else 'off'}.")
