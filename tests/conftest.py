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
