"""Project commands: init, status, app, demo."""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

import click

from qualcode import services
from qualcode.cli.base import State, bar_progress, emit_json, main, pass_state
from qualcode.services import codebook as codebook_svc

# The Streamlit script inside the package (the repository's app.py runs the same main()),
# so that `qualcode app` works from an installed wheel too.
APP_PY = Path(str(resources.files("qualcode") / "data" / "app.py"))


def serve_options(f):
    """The --port and --address options of the commands that start the app."""
    f = click.option("--address", default="127.0.0.1", show_default=True, help="Address to listen on.")(f)
    return click.option("--port", type=int, default=None, help="Port to serve on (default 8501).")(f)


@main.command()
@click.argument("directory", required=False, metavar="DIR")
@click.option("--codebook", type=click.Path(dir_okay=False), metavar="FILE",
              help="Codebook YAML or .qdc (default: the improvement-collaboration codebook).")
@click.option("--name", help="A display name for the project.")
@pass_state
def init(state: State, directory: str | None, codebook: str | None, name: str | None) -> None:
    """Create a project in DIR with a codebook.

    \b
    Example:
      qualcode init my-study
      qualcode init my-study --codebook codebooks/generic-starter.yaml
    """
    target = directory or state.project
    ctx = services.init_project(target, codebook=codebook, db_url=state.db, coder=state.coder, name=name)
    counts = services.project_status(ctx, verdicts=False)
    book = codebook_svc.get_codebook(ctx).name
    click.echo(f"Created project {ctx.label} with {counts['codes']} codes"
               + (f" (codebook: {book})." if book else "."))
    if codebook is None:  # walk 26: health-worker interviews got school-improvement codes, unexplained
        click.echo("  This is the codebook for school-improvement collaborations. For another subject start "
                   "from the generic one (qualcode init DIR --codebook codebooks/generic-starter.yaml) or "
                   "edit the codes on the Codebook page.")
    if not state.db:
        click.echo(f"Next: qualcode --project {target or '...'} ingest FILES")
    else:  # a database URL (flag or QUALCODE_DATABASE_URL): there is no project folder to name
        where = "" if os.environ.get("QUALCODE_DATABASE_URL") == state.db else " --db URL"
        click.echo(f"Next: qualcode{where} ingest FILES")


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the counts as JSON.")
@pass_state
def status(state: State, as_json: bool) -> None:
    """Show what the project holds.

    \b
    Example:
      qualcode --project my-study status --json
    """
    ctx = state.open()
    counts = services.project_status(ctx)
    if as_json:
        emit_json(counts)
        return
    sg = counts["suggestions"]
    click.echo(f"Project {services.project_name(ctx)} ({ctx.label})")
    click.echo(f"  documents   {counts['documents']:>8}")
    click.echo(f"  turns       {counts['turns']:>8}")
    click.echo(f"  excerpts    {counts['excerpts']:>8} ({counts['codable_excerpts']} to code; interviewer lines are not)")
    groups = counts.get("code_groups") or 0
    click.echo(f"  codes       {counts['codes']:>8}" + (
        f" (and {groups} grouping code{'s' if groups != 1 else ''} that only hold others)" if groups else ""))
    click.echo(f"  codings     {counts['codings']:>8}")
    click.echo(f"  suggestions {sg['pending']:>8} pending; coders' verdicts: {sg['accepted']} accepted, "
               f"{sg['rejected']} rejected")
    click.echo(f"  coders      {counts['coders']:>8}")


def streamlit_command(*, port: int | None, address: str) -> list[str]:
    """The ``streamlit run`` command line of ``qualcode app`` and ``qualcode demo``.

    ``-P``: the folder the user starts from is not put on the import path. Started from the
    folder that holds a clone named ``qualcode``, ``python -m`` would otherwise import that
    folder as the package (a namespace package, found before the editable install's), and
    every packaged file (the default codebook, the demo) was looked for in the wrong place
    (a new user's walk: "Create" failed with "codebook file not found"). The app's settings
    are given here too, not only in the repository's ``.streamlit/config.toml``, which
    Streamlit reads from the current folder only (started elsewhere, the page showed
    Streamlit's "Deploy" button).
    """
    cmd = [sys.executable, "-P", "-m", "streamlit", "run", str(APP_PY),
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.address", address, "--global.developmentMode", "false",
           # The app does not reload on file changes, and watching this tree floods inotify.
           "--server.fileWatcherType", "none", "--server.runOnSave", "false",
           "--client.toolbarMode", "minimal", "--client.showErrorDetails", "none",
           "--theme.primaryColor", "#2f6f9f"]
    if port:
        cmd += ["--server.port", str(port)]
    return cmd


def launch_app(state: State, *, project: str | None, port: int | None, address: str) -> None:
    env = dict(os.environ)
    if project:
        env["QUALCODE_PROJECT"] = str(Path(project).resolve())
    if state.db:
        env["QUALCODE_DATABASE_URL"] = state.db
    if state.coder:
        env["QUALCODE_CODER"] = state.coder
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    env["HF_HUB_OFFLINE"] = "1"
    env["TRANSFORMERS_OFFLINE"] = "1"
    click.echo(f"Starting qualcode on http://{address}:{port or 8501} (Ctrl+C to stop)")
    # Replace this process with Streamlit, so that stopping `qualcode app` (Ctrl+C, or a
    # SIGTERM to its PID) stops the server too; no orphaned servers.
    cmd = streamlit_command(port=port, address=address)
    os.execve(cmd[0], cmd, env)


@main.command()
@serve_options
@pass_state
def app(state: State, port: int | None, address: str) -> None:
    """Start the coding app in your browser, on this project.

    \b
    Example:
      qualcode --project my-study app --port 8502
    """
    if state.project or state.db:
        state.open()  # fail here, clearly, if the project is missing
    launch_app(state, project=state.project, port=port, address=address)


@main.command()
@serve_options
@click.option("--no-app", is_flag=True, help="Build the demo project only; don't start the app.")
@click.option("--rebuild", is_flag=True, help="Delete and rebuild an existing demo project.")
@pass_state
def demo(state: State, port: int | None, address: str, no_app: bool, rebuild: bool) -> None:
    """Build a demo project from the bundled sample transcripts with the default codebook
    and suggestions, then start the app on it.

    \b
    Example:
      qualcode demo --project .qualcode-demo
    """
    from qualcode.services import demo as demo_service

    target = state.project or ".qualcode-demo"
    bar, close = bar_progress("Embedding excerpts")
    try:
        summary = demo_service.build_demo(target, rebuild=rebuild, coder=state.coder,
                                          progress=lambda msg: click.echo(msg), suggest_progress=bar)
    finally:
        close()
    click.echo(summary)
    if not no_app:
        launch_app(state, project=target, port=port, address=address)
