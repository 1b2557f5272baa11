"""Shared fixtures: a fresh project on SQLite, small documents, paths to shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qualcode import services
from qualcode.core import Code, Codebook, Document, Excerpt, Role, Speaker, Turn

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
SHARED = REPO.parent / "shared"
SAMPLES = REPO / "transcripts_sample"


def make_document(name: str = "doc", turns: list[tuple[str, str, str]] | None = None) -> Document:
    """A document from (speaker, role, text) turns; one excerpt per turn, offsets exact."""
    turns = turns or [
        ("Interviewer", "interviewer", "How did the team build trust?"),
        ("Ana", "participant", "We met the same people at every convening. That built trust."),
        ("Ben", "participant", "Our principals bought in once they saw the exit tickets."),
    ]
    text, out_turns, excerpts, speakers = "", [], [], {}
    for i, (label, role, t) in enumerate(turns):
        if text:
            text += "\n\n"
        start = len(text)
        text += t
        out_turns.append(Turn(speaker=label, order=i, start=start, end=len(text)))
        speakers.setdefault(label, Speaker(label=label, role=Role(role)))
        excerpts.append(Excerpt(start=start, end=len(text), text=t, turn_order=i, order=i,
                                codable=role != "interviewer"))
    return Document(name=name, text=text, source_filename=f"{name}.txt", format="txt",
                    speakers=list(speakers.values()), turns=out_turns, excerpts=excerpts)


def small_codebook() -> Codebook:
    return Codebook(name="Test", codes=[
        Code(id="relationships", name="Relationships", codable=False),
        Code(id="trust", name="Trust", parent="relationships", definition="Trust between people."),
        Code(id="buy_in", name="Buy-in", parent="relationships", definition="Support for the plan."),
        Code(id="evidence", name="Evidence", definition="Data that shows progress."),
    ])


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A new project in a temporary folder, with the default codebook, coder 'alice'."""
    ctx = services.init_project(tmp_path / "proj", coder="alice")
    yield ctx
    ctx.close()


@pytest.fixture
def shared_dir() -> Path:
    if not SHARED.exists():
        pytest.skip(f"{SHARED} is not beside the repository")
    return SHARED


@pytest.fixture(autouse=True)
def _no_project_last_open():
    """The app remembers, per server process, the project last open (``ui.state.LAST_OPEN``)
    and each coder's last document (``LAST_DOC``); one test's must not open in the next test's
    new session."""
    import sys

    def clear() -> None:
        state = sys.modules.get("qualcode.ui.state")
        if state is not None:
            state.LAST_OPEN["project"] = None
            state.LAST_DOC.clear()
    clear()
    yield
    clear()



# `make test` runs the suite on two pytest-xdist workers (``--dist loadgroup``, 2 cores): one
# runs the browser tests, one at a time as they always ran (one scheduling unit, "browser"),
# while the other works through the rest, module by module, the longest first so that none
# starts last and runs on alone. Measured on 2 cores (6 December 2026): one process 27.5 min;
# three workers 18.8-20.3 min, but browser tests side by side failed now and then (one in each
# of two runs of 1402: on the loaded machine a click's or an upload's rerun began only after the
# test had gone on, as if it had not been made).
BROWSER = "tests/browser/"
LONGEST_FIRST = (  # the other worker's first modules, in this order
    "tests/test_no_network.py",  # 90-150 s
    "tests/test_cli.py",  # its demo test: 25-70 s
    "tests/test_wheel.py",  # 55-65 s
    "tests/test_concurrency.py",  # 4 x 15-60 s
    "tests/test_hostile.py",  # its PDF test: 15-50 s
    "tests/test_live_eval.py",
)


def _run_order(item) -> tuple[int, int]:
    if item.nodeid.startswith(BROWSER):
        return 0, 0
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return 1, rank
    return 2, 0 if item.get_closest_marker("slow") else 1


def pytest_collection_modifyitems(session, config, items):
    items.sort(key=_run_order)  # stable: file order within each


@pytest.hookimpl(optionalhook=True)  # xdist's hook: unknown where xdist is not loaded
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``: every browser test in one unit (one worker, one at a time), every
    other test module a unit of its own, handed out in the order of ``_run_order``. (xdist's own
    loadgroup reads ``xdist_group`` marks by renaming the tests' ids, which pytest 9 no longer
    lets it do: the groups were silently ignored and browser tests ran side by side.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class BrowserTogether(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "browser" if path.startswith(BROWSER) else path

    return BrowserTogether(config, log)
