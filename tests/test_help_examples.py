"""Every example in the ``--help`` texts runs, as written, in a scratch folder.

The examples run in the order ``qualcode --help`` lists the commands, in-process (one
model load), against projects they create themselves (``qualcode init my-study`` first).
The scratch folder holds the files the examples name (transcripts/, names.txt, ...),
written here. Before the team examples, two coders code a few excerpts (what a team
would have done by then). Examples that cannot run offline in a test are listed in
NOT_RUN with the reason; everything else must exit 0.
"""

from __future__ import annotations

import os
import shlex
import shutil
import time

import click
import pytest
from click.testing import CliRunner

from qualcode import services
from qualcode.cli import main

pytestmark = pytest.mark.slow

NOT_RUN = {
    "qualcode --project my-study app": "starts a server (its start-up is tested in test_wheel.py)",
    "qualcode --project my-study app --port 8502": "starts a server",
    "qualcode demo --project .qualcode-demo": "the whole demo (run as `make run` in test_cli.py)",
    "qualcode evaluate --gold gold.csv --codebook codebook.yaml --budgets 0,100,500 --json out.json":
        "needs a gold-standard coding of a corpus (bench/ runs the evaluation)",
    "qualcode evaluate --gold gold.csv --codebook codebook.yaml --budgets 0,100 --live":
        "needs a gold-standard coding of a corpus (tests/test_live_eval.py runs --live on slices)",
}

TRANSCRIPTS = {
    "a-interview.txt": "Interviewer: How did the team start?\n\nAna: We met every month and trust grew "
                       "between the coaches.\n\nInterviewer: And the data?\n\nAna: Exit tickets showed growth.\n",
    "b-interview.txt": "Interviewer: What changed for principals?\n\nBen: Principals bought in once they saw "
                       "the exit tickets.\n\nInterviewer: Anything else?\n\nBen: The state tests came late.\n",
    "c-interview.txt": "Speaker 1: Tell me about the network.\n\nMaria: Maria Lopez here. The network gave "
                       "us peers to learn from.\n\nSpeaker 1: Thanks.\n\nMaria: We shared evidence openly.\n\n"
                       "JOHN SMITH: I lead the team in the north.\n\nJohn: We met every month.\n",
}
ATTRIBUTES = "file,year,district\na-interview.txt,2021,North\nb-interview.txt,2022,South\nc-interview.txt,2022,North\n"


def _examples() -> list[str]:
    def walk(group: click.Group):
        yield group
        for cmd in group.commands.values():
            yield from walk(cmd) if isinstance(cmd, click.Group) else [cmd]

    seen: list[str] = []
    for cmd in walk(main):
        lines = (cmd.help or "").split("Example", 1)[-1].splitlines()[1:] if "Example" in (cmd.help or "") else []
        joined, cur = [], ""
        for line in lines:
            line = line.strip()
            if not line:
                continue
            cur = f"{cur} {line}" if cur else line
            if cur.endswith("\\"):
                cur = cur[:-1].rstrip()
                continue
            joined.append(cur)
            cur = ""
        seen += [j for j in joined if j.startswith("qualcode ") and j not in seen]
    return seen


def _scratch(tmp_path):
    work = tmp_path / "work"
    (work / "transcripts").mkdir(parents=True)
    for name, text in TRANSCRIPTS.items():
        (work / "transcripts" / name).write_text(text, encoding="utf-8")
    (work / "transcripts" / "attributes.csv").write_text(ATTRIBUTES, encoding="utf-8")
    (work / "2021").mkdir()
    import docx  # python-docx: a small focus group of our own

    d = docx.Document()
    for line in ("Facilitator: What did the group learn?", "Maria Lopez: We learned to trust the data.",
                 "Tom: Our principal backed the plan.", "Facilitator: Thank you all."):
        d.add_paragraph(line)
    d.save(work / "2021" / "group.docx")
    (work / "names.txt").write_text("Maria Lopez\n", encoding="utf-8")
    shutil.copytree(services.DEFAULT_CODEBOOK.parent, work / "codebooks")
    shutil.copy(services.DEFAULT_CODEBOOK, work / "revised-codebook.yaml")
    (work / "home" / "secure").mkdir(parents=True)
    # a survey sheet with the questions the ingest-survey examples name
    rows = [("r1", "North", "Meeting other teams who had tried the same change and hearing what went wrong.",
             "More time for planning with our own team, fewer presentations."),
            ("r2", "South", "The empathy interview practice, because we finally listened to students.",
             "Shorter days and a clearer agenda sent a week before the convening."),
            ("r3", "North", "Looking at our exit ticket data together with a coach who asked good questions.",
             "Give us a quiet room for the team work in the afternoon, please."),
            ("r4", "East", "Hearing how another district protected time for its improvement team.",
             "I would like the slides ahead of time so our principal can read them.")]
    (work / "fall.csv").write_text(
        "Respondent ID,District,Year,What was most useful?,What would you change?\n"
        + "".join(f'{r},{d},2021,"{a}","{b}"\n' for r, d, a, b in rows), encoding="utf-8")
    # a colleague's project to merge (the import-qdpx --merge examples)
    from qualcode.services import export, ingest

    other = services.init_project(work / "colleague", coder="carol")
    try:
        ingest.ingest_paths(other, [work / "transcripts" / "a-interview.txt"])
        export.export_qdpx(other, work / "colleague.qdpx")
    finally:
        other.close()
    return work


def _two_coders(work) -> None:
    """alice and bob code the first excerpts of document 1 (not the same way everywhere)."""
    from qualcode.services import coding, ingest

    ctx = services.open_project(work / "my-study", coder="alice")
    try:
        ex = [e for e in ingest.show_document(ctx, 1)["excerpts"] if e["codable"]]
        bob = ctx.as_coder("bob")
        coding.add_coding(ctx, ex[0]["id"], "trust")
        coding.add_coding(bob, ex[0]["id"], "trust")
        coding.add_coding(ctx, ex[1]["id"], "evidence")
        coding.mark_reviewed(bob, ex[1]["id"])
    finally:
        ctx.close()
    (work / "coded-in-excel.csv").write_text(
        f"excerpt_id,code,coder\n{ex[1]['id']},evidence,carol\n", encoding="utf-8")
    return ex[1]["id"]  # the excerpt alice and bob coded differently


def test_every_help_example_runs(tmp_path, monkeypatch):
    examples = _examples()
    assert len(examples) > 40
    work = _scratch(tmp_path)
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(work / "home"))
    monkeypatch.setenv("QUALCODE_PROJECT", str(work / "my-study"))  # for the examples without --project
    monkeypatch.delenv("QUALCODE_DATABASE_URL", raising=False)
    monkeypatch.delenv("QUALCODE_CODER", raising=False)
    runner = CliRunner()
    ran, failed, teamed, teamed_excerpt = [], [], False, []
    for example in examples:
        if example in NOT_RUN:
            continue
        args = [os.path.expanduser(a) for a in shlex.split(example)[1:]]
        if "resolve" in args and teamed_excerpt:  # "42" in the example stands for an excerpt id
            args = [str(teamed_excerpt[0]) if a == "42" else a for a in args]
        cwd = work
        if args[:1] == ["init"] and (work / args[1]).exists():
            cwd = work / f"fresh-{len(ran)}"  # a second init example: in a folder of its own
            cwd.mkdir()
            shutil.copytree(work / "codebooks", cwd / "codebooks")
        if not teamed and any(a in ("agreement", "disagreements", "resolve", "undo", "coders", "audit",
                                    "import-codings") for a in args):
            teamed_excerpt.append(_two_coders(work))
            teamed = True
        os.chdir(cwd)
        try:
            t0 = time.monotonic()
            r = runner.invoke(main, args, catch_exceptions=True)
        finally:
            os.chdir(work)
        ran.append(example)
        if os.environ.get("QUALCODE_TEST_VERBOSE"):
            print(f"{time.monotonic() - t0:6.1f}s {r.exit_code} {example}")
        if r.exit_code != 0:
            failed.append(f"{example}\n    -> exit {r.exit_code}: {r.output.strip()[-300:]} {r.exception!r}")
    assert not failed, "help examples that fail:\n" + "\n".join(failed)
    assert len(ran) >= len(examples) - len(NOT_RUN)
