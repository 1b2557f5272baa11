"""The root command group, global options and the error edge.

User mistakes (:class:`QualcodeError`) become one clear line on stderr and a non-zero
exit; no tracebacks. Set ``QUALCODE_DEBUG=1`` to see them anyway.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from qualcode import __version__
from qualcode.errors import QualcodeError


class State:
    """Global options, resolved lazily into an open project."""

    def __init__(self, project: str | None, db: str | None, coder: str | None) -> None:
        self.project, self.db, self.coder = project, db, coder
        self._ctx = None

    def open(self):
        from qualcode import services

        if self._ctx is None:
            self._ctx = services.open_context(self.project, db_url=self.db, coder=self.coder)
        return self._ctx


pass_state = click.make_pass_decorator(State)


class QualcodeGroup(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except QualcodeError as exc:
            if os.environ.get("QUALCODE_DEBUG"):
                raise
            click.secho(f"Error: {exc}", err=True, fg="red")
            ctx.exit(1)


@click.group(cls=QualcodeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--project", "-p", envvar="QUALCODE_PROJECT", metavar="DIR",
              help="Project folder (or set QUALCODE_PROJECT).")
@click.option("--db", envvar="QUALCODE_DATABASE_URL", metavar="URL",
              help="Database URL, e.g. postgresql+psycopg://user@host/db (or set QUALCODE_DATABASE_URL).")
@click.option("--coder", envvar="QUALCODE_CODER", metavar="NAME",
              help="Who is making decisions (default: your login name).")
@click.version_option(__version__, prog_name="qualcode")
@click.pass_context
def main(ctx: click.Context, project: str | None, db: str | None, coder: str | None) -> None:
    """qualcode: code qualitative interviews and focus groups, locally.

    \b
    Example:
      qualcode init my-study
      qualcode --project my-study ingest transcripts/
      qualcode --project my-study app
    """
    ctx.obj = State(project, db, coder)


GLOBAL_OPTIONS = (
    (("--project", "-p"), "project", "DIR", "Project folder (same as before the command)."),
    (("--db",), "db", "URL", "Database URL (same as before the command)."),
    (("--coder",), "coder", "NAME", "Who is making decisions (same as before the command)."),
)


def _set_global(attr: str):
    def callback(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
        if value is not None:
            state = ctx.find_object(State)
            if state is not None:
                setattr(state, attr, value)
    return callback


def add_global_options(group: click.Group) -> None:
    """Let ``--project``, ``--db`` and ``--coder`` also follow the subcommand.

    ``qualcode demo --project DIR`` is what people type (and what ``make run`` runs), so
    every command accepts the global options after its name too, except where the command
    already has an option of that name with its own meaning (``export --coder``).
    """
    for cmd in group.commands.values():
        if isinstance(cmd, click.Group):
            add_global_options(cmd)
            continue
        taken = {opt for p in cmd.params for opt in getattr(p, "opts", [])}
        for decls, attr, metavar, help_text in GLOBAL_OPTIONS:
            free = [d for d in decls if d not in taken]
            if decls[0] not in free:
                continue
            cmd.params.append(click.Option(free, metavar=metavar, help=help_text, expose_value=False,
                                           callback=_set_global(attr)))


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def bar_progress(label: str):
    """A click progress bar driven by progress(done, total) callbacks."""
    state: dict = {"bar": None, "done": 0}

    def progress(done: int, total: int) -> None:
        if state["bar"] is None:
            state["bar"] = click.progressbar(length=max(1, total), label=label, file=None)
            state["bar"].__enter__()
        bar = state["bar"]
        bar.update(max(0, done - state["done"]))
        state["done"] = done

    def close() -> None:
        if state["bar"] is not None:
            state["bar"].__exit__(None, None, None)

    return progress, close


def run() -> None:  # pragma: no cover - console entry alias
    main(prog_name="qualcode")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run())
