"""Helpers for the UI tests: seed a project with a transcript and model suggestions."""

from __future__ import annotations

import os
import random
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetState
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Selectbox

from qualcode import services
from qualcode.core import Suggestion
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from tests.conftest import make_document

EVIL = "Ana said <script>alert(1)</script> and <img src=x onerror=alert(1)> see [link](http://evil) **bold**"

APP_PY = Path(__file__).resolve().parents[1] / "app.py"


def seed(ctx: services.ProjectContext, *, name: str = "interview-1", turns=None,
         codes=("trust", "buy_in"), score: float = 0.8) -> tuple[int, dict[str, int]]:
    """Store a document and one pending suggestion per participant excerpt and code.

    Returns (document id, {f"{excerpt order}:{code}": suggestion id}).
    """
    doc = make_document(name, turns)
    with ctx.session() as s:
        doc_id = doc_store.add_document(s, doc)
        ex = doc_store.load_document(s, doc_id).excerpts
        valid = [c for c in codes if c in {k.id for k in _codes(s)}]
        coding_store.upsert_suggestions(s, [
            Suggestion(excerpt_id=e.id, code_id=c, score=score - 0.1 * i, model_id="test-model",
                       explanation={"keywords": ["trust"], "nearest_example": "We trust each other."})
            for e in ex if e.codable for i, c in enumerate(valid)
        ])
        sugg = coding_store.list_suggestions(s, document_id=doc_id)
    order = {e.id: e.order for e in ex}
    return doc_id, {f"{order[sg.excerpt_id]}:{sg.code_id}": sg.id for sg in sugg}


def _codes(s):
    from qualcode.storage import codes as code_store

    return code_store.load_codebook(s).codes


def long_turns(words: int = 9000, *, seed_: int = 7) -> list[tuple[str, str, str]]:
    """A synthetic interview of about ``words`` words (interviewer/participant turns)."""
    rnd = random.Random(seed_)
    vocab = ("we met the principals every month and the data showed progress so trust grew "
             "between coaches and teachers while the network kept testing small changes").split()
    turns, n, i = [], 0, 0
    while n < words:
        if i % 2 == 0:
            text = "What happened next in your team's work on the problem?"
            turns.append(("Interviewer", "interviewer", text))
        else:
            sentences = []
            for _ in range(rnd.randint(3, 6)):
                k = rnd.randint(10, 18)
                sentences.append(" ".join(rnd.choice(vocab) for _ in range(k)).capitalize() + ".")
            text = " ".join(sentences)
            turns.append(("Participant " + "AB"[i // 2 % 2], "participant", text))
        n += len(text.split())
        i += 1
    return turns


def env_for(project: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QUALCODE_PROJECT=str(project), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return env


def run_script(script: str, ctx: services.ProjectContext | None, **state) -> AppTest:
    """Run a Streamlit script with AppTest, with ``ctx``'s project and coder in the session."""
    at = AppTest.from_string(script, default_timeout=60)
    if ctx is not None:
        at.session_state["project"] = str(ctx.project_dir)
        at.session_state["coder"] = ctx.coder
    for k, v in state.items():
        at.session_state[k] = v
    return at.run()


def page(name: str, ctx: services.ProjectContext | None, **state) -> AppTest:
    """Run one page (qualcode.ui.pages.<name>.render) with AppTest."""
    return run_script(f"from qualcode.ui.pages.{name} import render\nrender()", ctx, **state)


def visit(at: AppTest, name: str) -> AppTest:
    """In a script that draws the page named in ``st.session_state["on"]``: go to page ``name``
    (the widgets of the page left are forgotten, as Streamlit forgets them)."""
    at.session_state["on"] = name
    return no_exception(at.run())


def no_exception(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def focus_button(at: AppTest, name: str):
    """The open excerpt's Accept / Reject / Nothing-here button (``name``: accept, reject, none),
    whose key carries the suggestion or excerpt it acts on (``focus-accept-s12``)."""
    prefix = {"accept": "focus-accept-s", "reject": "focus-reject-s", "none": "focus-none-e"}[name]
    found = [b for b in at.button if (b.key or "").startswith(prefix)]
    assert len(found) == 1, [b.key for b in at.button]
    return found[0]


def work_on(at: AppTest):
    """The Codebook page's "Work on code" box (its key carries the codes' names)."""
    found = [s for s in at.selectbox if s.label == "Work on code"]
    assert len(found) == 1, [s.label for s in at.selectbox]
    return found[0]


class _TypedSelectbox(Selectbox):
    """A selectbox with ``accept_new_options`` holding a value typed that is not among its
    options: sent as the browser sends it (the text itself), which AppTest's own selectbox,
    looking the value up among the options, cannot do."""

    @property
    def _widget_state(self) -> WidgetState:
        if self.value is None or self.value in self.options:
            return super()._widget_state
        ws = WidgetState()
        ws.id = self.id
        ws.string_value = str(self.value)
        return ws


def type_new_option(box: Selectbox, text: str) -> Selectbox:
    """Type ``text`` into a selectbox that accepts new options (not one of its options)."""
    box.__class__ = _TypedSelectbox
    return box.set_value(text)
