"""CLI: every command has help with an example; user mistakes exit cleanly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from qualcode.cli import main
from tests.conftest import REPO


def _all_commands(group: click.Group, prefix=()):
    for name, cmd in group.commands.items():
        path = prefix + (name,)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from _all_commands(cmd, path)


COMMANDS = list(_all_commands(main))


def test_there_are_commands():
    assert {"init", "status", "app", "demo"} <= {p[0] for p, _ in COMMANDS}


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`qualcode {' '.join(path)} --help` shows no example"


def test_init_and_status_json(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["init", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["--project", str(tmp_path / "p"), "status", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) == {"documents", "turns", "excerpts", "codable_excerpts", "codes", "code_groups", "codings",
                         "suggestions", "coders"}
    assert set(data["suggestions"]) == {"pending", "accepted", "rejected"}
    r = runner.invoke(main, ["--project", str(tmp_path / "p"), "status"])
    assert "documents" in r.output
    # the codes a coder can apply, as the Project page's "Codes" counts them, the groups said apart
    # (walk 49: "codes 7" here, "Codes 6" on the page)
    from qualcode import services
    from qualcode.services import codebook as cb_service
    from qualcode.ui.pages.project import codes_metric

    ctx = services.open_project(tmp_path / "p")
    try:
        codable, _ = codes_metric(cb_service.get_codebook(ctx))
    finally:
        ctx.close()
    groups = data["code_groups"]
    assert groups > 0 and data["codes"] == codable
    assert f"  codes       {codable:>8} (and {groups} grouping codes that only hold others)" in r.output, r.output


def test_init_names_the_codebook_and_how_to_start_from_another(tmp_path):
    """Walk 26: `qualcode init` on a health-worker study said only "with 22 codes"; the first
    chips were school-improvement codes and nothing said so or how to choose another codebook."""
    runner = CliRunner()
    r = runner.invoke(main, ["init", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    assert "(codebook: Improvement collaboration interviews)" in r.output
    assert "generic-starter.yaml" in r.output and "Codebook page" in r.output
    starter = REPO / "codebooks" / "generic-starter.yaml"
    r = runner.invoke(main, ["init", str(tmp_path / "q"), "--codebook", str(starter)])
    assert r.exit_code == 0, r.output
    assert "(codebook: Generic starter codebook)" in r.output and "generic-starter.yaml" not in r.output


def test_missing_project_is_one_clear_line(tmp_path):
    r = CliRunner().invoke(main, ["--project", str(tmp_path / "nope"), "status"])
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert "qualcode init" in r.output


def test_init_twice_refused(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "p")]).exit_code == 0
    r = runner.invoke(main, ["init", str(tmp_path / "p")])
    assert r.exit_code == 1 and "already holds" in r.output


def test_bad_codebook_leaves_no_project(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("codes: [\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["init", str(tmp_path / "p"), "--codebook", str(bad)])
    assert r.exit_code == 1 and "bad.yaml" in r.output
    assert not (tmp_path / "p").exists()


def test_bad_database_url(tmp_path):
    r = CliRunner().invoke(main, ["--db", "not a url", "status"])
    assert r.exit_code == 1 and "database URL" in r.output


@pytest.mark.slow
def test_demo_builds_the_sample_project_with_suggestions(tmp_path):
    """`make run` itself, with the server part switched off (real ingest, real model).

    The exact recipe of the Makefile runs (``-o install``: the virtualenv is this one and is
    not reinstalled), so a Makefile or CLI change that breaks the README's first command
    fails here.
    """
    runner = CliRunner()
    target = tmp_path / "demo"
    venv = Path(sys.executable).parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    cmd = ["make", "-C", str(REPO), "-o", "install", "run", f"VENV={venv}", f"DEMO={target}",
           "QUALCODE_DEMO_NO_APP=1"]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "demo --project" in r.stdout  # the command line make echoed is the README's
    status = json.loads(runner.invoke(main, ["--project", str(target), "status", "--json"]).output)
    samples = [p for p in (REPO / "transcripts_sample").iterdir() if p.is_file() and p.name != "attributes.csv"]
    assert status["documents"] == len(samples) >= 8
    assert status["excerpts"] > 1000 and status["suggestions"]["pending"] > 0
    assert status["codings"] == 0  # suggestions stay suggestions until a coder accepts
    again = runner.invoke(main, ["--project", str(target), "demo", "--no-app"])
    assert again.exit_code == 0 and "is ready" in again.output


def test_global_options_also_follow_the_subcommand(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "p")]).exit_code == 0
    r = runner.invoke(main, ["status", "--json", "--project", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["codes"] > 0
    r = runner.invoke(main, ["status", "-p", str(tmp_path / "nope")])
    assert r.exit_code == 1 and "qualcode init" in r.output


def test_subcommand_coder_is_the_one_who_decides(tmp_path):
    from qualcode import services

    runner = CliRunner()
    assert runner.invoke(main, ["init", str(tmp_path / "p"), "--coder", "zoe"]).exit_code == 0
    ctx = services.open_project(tmp_path / "p")
    try:
        assert "zoe" in services.list_coders(ctx)
    finally:
        ctx.close()


def test_export_keeps_its_own_coder_filter():
    """``export --coder`` filters codings; it is not the global --coder."""
    r = CliRunner().invoke(main, ["export", "--help"])
    assert r.output.count("--coder") == 1 and "Count only this coder" in r.output


def test_the_app_started_beside_a_clone_named_qualcode_finds_its_own_files(tmp_path):
    """A new user's walk: `cd` to the folder holding the clone (named qualcode), start the app,
    Create a project: "codebook file not found". `python -m` put that folder on the import path,
    where the clone's folder was imported as the package. The app's command line must not."""
    from qualcode.cli.project_cmds import streamlit_command

    (tmp_path / "qualcode" / "data").mkdir(parents=True)  # a clone's folder, seen from its parent
    cmd = streamlit_command(port=8999, address="127.0.0.1")
    probe = "import qualcode.services.project as p; print(p.DATA_DIR)"
    interpreter = cmd[:cmd.index("-m")]  # the interpreter and its options, as the app gets them
    seen = subprocess.run(interpreter + ["-c", probe], cwd=tmp_path, capture_output=True, text=True, check=True)
    data = Path(seen.stdout.strip())
    assert (data / "codebooks" / "improvement-collaboration.yaml").is_file(), seen.stdout
    # and the app's settings travel with the command, whatever folder it starts from (no Deploy button)
    flags = dict(zip(cmd, cmd[1:]))
    assert flags["--client.toolbarMode"] == "minimal" and flags["--browser.gatherUsageStats"] == "false"


def test_init_on_a_database_url_says_the_next_step_without_a_folder(tmp_path, monkeypatch):
    """A walk: `qualcode init` on a database URL ended with "Next: qualcode --project ... ingest
    FILES", a project folder there is none of."""
    url = f"sqlite:///{tmp_path / 'team.db'}"
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    out = CliRunner().invoke(main, ["--db", url, "init"])
    assert out.exit_code == 0, out.output
    assert "Next: qualcode --db URL ingest FILES" in out.output and "--project" not in out.output
    monkeypatch.setenv("QUALCODE_DATABASE_URL", f"sqlite:///{tmp_path / 'other.db'}")
    out = CliRunner().invoke(main, ["init"])
    assert out.exit_code == 0, out.output
    assert "Next: qualcode ingest FILES" in out.output


def test_an_export_of_a_project_with_nothing_coded_is_written_and_said_to_be_empty(project, tmp_path):
    """Walk 16's helper: `qualcode export excerpts` on a project with nothing coded wrote an
    empty table and said only "Wrote excerpts". The file is still written (a script may expect
    it); stderr says it holds no codings and what to do, as the Export page does."""
    from qualcode.services import coding
    from qualcode.storage import documents
    from tests.conftest import make_document

    runner = CliRunner()
    base = ["--project", str(tmp_path / "proj"), "--coder", "alice", "export"]
    r = runner.invoke(main, [*base, "excerpts", str(tmp_path / "none.csv")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "none.csv").exists()
    assert r.stderr.strip() == (f"Nothing is coded yet, so {tmp_path / 'none.csv'} holds no codings. Import "
                                "transcripts (qualcode ingest), code them (qualcode app), then export again.")
    with project.session() as s:
        excerpt = documents.load_document(s, documents.add_document(s, make_document())).excerpts[1]
    r = runner.invoke(main, [*base, "frequencies", str(tmp_path / "freq.csv")])
    assert r.exit_code == 0 and r.stderr.strip().endswith("holds no codings. Code excerpts (qualcode app) and "
                                                          "export again."), r.stderr
    r = runner.invoke(main, [*base, "codebook", str(tmp_path / "codes.yaml")])  # worth having before coding
    assert r.exit_code == 0 and r.stderr == ""
    coding.add_coding(project, excerpt.id, "trust")
    r = runner.invoke(main, [*base, "excerpts", str(tmp_path / "one.csv")])
    assert r.exit_code == 0 and r.stderr == "" and "(1 rows)" in r.output, (r.output, r.stderr)
