"""Coding a selection (services.coding.code_selection / recode) and the transcript
component's offset mapping (tests/js/test_offsets.js under node)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from qualcode.core import Document, Excerpt, Role, Speaker, Turn
from qualcode.core.spans import cover, trim
from qualcode.errors import QualcodeError
from qualcode.services import codebook as cb_service
from qualcode.services import coding
from qualcode.storage import audit, documents
from qualcode.storage import coding as store
from tests.conftest import REPO

TURNS = [  # (speaker, role, sentences)
    ("Ana", "participant", ["We met the same people at every convening.", "That built trust 😀 over time."]),
    ("Interviewer", "interviewer", ["Say more?"]),
    ("Ana", "participant", ["Our principals bought in.", "They saw the exit tickets."]),
    ("Ben", "participant", ["I agree with Ana."]),
]


def sentence_document() -> Document:
    text, turns, excerpts, speakers = "", [], [], {}
    for i, (label, role, sentences) in enumerate(TURNS):
        if text:
            text += "\n\n"
        t_start = len(text)
        for j, sent in enumerate(sentences):
            if j:
                text += " "
            start = len(text)
            text += sent
            excerpts.append(Excerpt(start=start, end=len(text), text=sent, turn_order=i, order=len(excerpts),
                                    codable=role != "interviewer"))
        turns.append(Turn(speaker=label, order=i, start=t_start, end=len(text)))
        speakers.setdefault(label, Speaker(label=label, role=Role(role)))
    return Document(name="sel", text=text, source_filename="sel.txt", format="txt",
                    speakers=list(speakers.values()), turns=turns, excerpts=excerpts)


@pytest.fixture
def doc(project):
    with project.session() as s:
        doc_id = documents.add_document(s, sentence_document())
        loaded = documents.load_document(s, doc_id)
    return doc_id, loaded.text, loaded.excerpts


def _codings(project, doc_id):
    with project.session(readonly=True) as s:
        return [(c.excerpt_id, c.start, c.end, c.code_id) for c in store.list_codings(s, document_id=doc_id)]


def test_cover_cuts_a_selection_at_excerpt_edges():
    assert cover([(1, 0, 10), (2, 11, 20)], 4, 15) == [(1, 4, 10), (2, 11, 15)]
    assert cover([(2, 11, 20), (1, 0, 10)], 15, 4) == [(1, 4, 10), (2, 11, 15)]  # any order, any direction
    assert cover([(1, 0, 10)], 10, 11) == []  # the space between excerpts is nobody's
    assert trim(" a b ", 0, 5) == (1, 4)


def test_selection_across_sentences_codes_each_excerpt_exactly_one_undo(project, doc):
    doc_id, text, ex = doc
    start = text.index("same people")
    end = text.index("built trust") + len("built")
    ids = coding.code_selection(project, doc_id, start, end, "trust")
    got = _codings(project, doc_id)
    assert len(ids) == 2
    assert [(e, s, t) for e, s, t, _ in got] == [(ex[0].id, start, ex[0].end), (ex[1].id, ex[1].start, end)]
    assert [text[s:t] for _, s, t, _ in got] == ["same people at every convening.", "That built"]
    with project.session(readonly=True) as s:
        assert store.reviewed_excerpts(s) == {ex[0].id, ex[1].id}
        assert [e.action for e in audit.list_events(s)] == ["code_selection"]
    undone = coding.undo(project)
    assert [u["action"] for u in undone] == ["code_selection"]
    # the undo names the words selected, not the whole sentence they start in (walk 38)
    from qualcode.services import messages

    assert messages.undone_message(project, undone).startswith(
        "Undone: coding the selection “Trust” on “same people at every convening. That built” (")
    assert _codings(project, doc_id) == []
    with project.session(readonly=True) as s:
        assert store.reviewed_excerpts(s) == set()


def test_the_same_code_on_the_same_words_again_records_nothing(project, doc):
    """T and a code the excerpt already has (walk 8): no event, so nothing for U to undo first
    and no decision on the learning curve; U then undoes the real coding."""
    doc_id, text, ex = doc
    first = coding.code_selection(project, doc_id, ex[3].start, ex[3].end, "buy_in")
    again = coding.code_selection(project, doc_id, ex[3].start, ex[3].end, "buy_in")
    assert again == first
    with project.session(readonly=True) as s:
        assert [e.action for e in audit.list_events(s)] == ["code_selection"]
    assert [u["action"] for u in coding.undo(project)] == ["code_selection"]
    assert _codings(project, doc_id) == []


def test_selection_inside_a_word_and_after_an_emoji_counts_code_points(project, doc):
    doc_id, text, ex = doc
    start = text.index("ver time")  # inside "over"
    end = start + 3
    coding.code_selection(project, doc_id, start, end, "evidence")
    [(e, s, t, _)] = _codings(project, doc_id)
    assert (e, text[s:t]) == (ex[1].id, "ver")
    assert ex[1].start <= s < t <= ex[1].end


def test_selection_across_turns_of_one_speaker_skips_the_interviewer_between(project, doc):
    doc_id, text, ex = doc
    # Ana's first turn to Ana's second turn crosses the interviewer: refused (two speakers).
    with pytest.raises(QualcodeError, match="different speakers"):
        coding.code_selection(project, doc_id, text.index("over time"), text.index("bought"), "trust")
    # Ana's second turn to Ben: refused too; nothing stored.
    with pytest.raises(QualcodeError, match="different speakers"):
        coding.code_selection(project, doc_id, text.index("exit"), text.index("agree"), "trust")
    # The interviewer alone: not coded.
    with pytest.raises(QualcodeError, match="not coded"):
        coding.code_selection(project, doc_id, text.index("Say"), text.index("Say") + 3, "trust")
    # Only spaces: refused.
    gap = ex[0].end
    with pytest.raises(QualcodeError, match="spaces|no transcript"):
        coding.code_selection(project, doc_id, gap, gap + 1, "trust")
    assert _codings(project, doc_id) == []


def test_recode_is_one_action_and_one_undo(project, doc):
    doc_id, text, ex = doc
    [cid] = coding.code_selection(project, doc_id, ex[3].start, ex[3].end, "trust")
    coding.recode(project, cid, "buy_in")
    assert _codings(project, doc_id) == [(ex[3].id, ex[3].start, ex[3].end, "buy_in")]
    coding.undo(project)
    assert _codings(project, doc_id) == [(ex[3].id, ex[3].start, ex[3].end, "trust")]


def test_component_offset_mapping_under_node():
    node = shutil.which("node")
    assert node, "node is needed for the transcript component's JS tests (.ci/run installs nodejs)"
    out = subprocess.run([node, str(REPO / "tests" / "js" / "test_offsets.js")], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "all assertions passed" in out.stdout


def test_memos_on_a_document_a_code_and_a_coding_listed_filtered_and_exported(project, doc, tmp_path):
    import zipfile

    import pandas as pd
    from lxml import etree

    from qualcode.services import export, memos

    doc_id, text, ex = doc
    [cid] = coding.code_selection(project, doc_id, ex[3].start, ex[3].end, "buy_in")
    coding.add_memo(project, "The interview turns on the principals.", document_id=doc_id)
    coding.add_memo(project, "Buy-in here follows visible data.", code_id="buy_in")
    coding.add_memo(project, "Coded as buy-in because they changed course.", coding_id=cid)
    coding.add_memo(project, "Trust, with an emoji 😀.", excerpt_id=ex[1].id)
    listed = memos.list_memos(project)
    assert [m["kind"] for m in listed] == ["excerpt", "coding", "code", "document"]  # newest first
    by_kind = {m["kind"]: m for m in listed}
    assert by_kind["coding"]["anchor"] == "Buy-in on “Our principals bought in.”"
    assert by_kind["coding"]["document_id"] == doc_id and by_kind["coding"]["excerpt_id"] == ex[3].id
    assert by_kind["document"]["anchor"] == "sel"
    assert by_kind["code"]["anchor"] == "Buy-in"
    # Filters: by code (memos on the code and on codings with it), by document, by coder.
    assert {m["kind"] for m in memos.list_memos(project, code_id="buy_in")} == {"code", "coding"}
    assert {m["kind"] for m in memos.list_memos(project, document_id=doc_id)} == {"document", "coding", "excerpt"}
    assert memos.list_memos(project, coder="nobody") == []
    # ... and an excerpt's memo under the codes put on that excerpt (walk 43: "0 of 1 memos"),
    # by the coder asked about only, when the page is blind to colleagues' codes
    coding.add_coding(project, ex[1].id, "trust")
    assert [m["text"] for m in memos.list_memos(project, code_id="trust")] == ["Trust, with an emoji 😀."]
    assert [m["text"] for m in memos.list_memos(project, code_id="trust", coded_by=project.coder)] == [
        "Trust, with an emoji 😀."]
    assert memos.list_memos(project, code_id="trust", coded_by="a colleague") == []
    # ... and under the parent code, which counts its sub-codes on Themes (walk 44)
    parent = cb_service.get_codebook(project).get("trust").parent
    assert parent and "Trust, with an emoji 😀." in [m["text"] for m in memos.list_memos(project, code_id=parent)]
    # Export: a table of every memo, and the coding memo on its <Coding> in the .qdpx.
    assert export.export_memos(project, tmp_path / "memos.xlsx") == 4
    table = pd.read_excel(tmp_path / "memos.xlsx")
    assert sorted(table["kind"]) == ["code", "coding", "document", "excerpt"]
    export.export_qdpx(project, tmp_path / "p.qdpx")
    with zipfile.ZipFile(tmp_path / "p.qdpx") as z:
        root = etree.fromstring(z.read("project.qde"))
    ns = {"q": root.nsmap[None]}
    notes = {n.get("guid"): n.findtext("q:PlainTextContent", namespaces=ns) for n in root.iterfind(".//q:Note", ns)}
    on_codings = [notes[r.get("targetGUID")] for r in root.iterfind(".//q:Coding/q:NoteRef", ns)]
    assert on_codings == ["Coded as buy-in because they changed course."]
    # Removing the coding removes its memo (undo brings the coding back, not the memo).
    coding.remove_coding(project, cid)
    assert "coding" not in {m["kind"] for m in memos.list_memos(project)}


def test_the_transcript_names_a_retired_codes_codings_as_retired(project, doc):
    """Walk 10: hovering a coding of a retired code showed its raw id ("protected_time")."""
    from qualcode.services import codebook as cbs
    from qualcode.services import ui_support
    from qualcode.ui.transcript_view import payload

    doc_id, _, ex = doc
    coding.add_coding(project, ex[0].id, "trust")
    cbs.retire_code(project, "trust", force=True)
    view = ui_support.transcript_view(project, doc_id)
    cb = ui_support.codebook(project)
    data = payload(view, view.turns, codes=cb.codable_codes(), focus=None, recent=[], version=1, scroll=False,
                   all_codes=cb.codes)
    assert data["names"]["trust"] == "Trust (retired)" and data["colors"]["trust"]
    assert "trust" not in {c["id"] for c in data["codes"]}  # not offered in the code box
    (state,) = [e.state for e in view.excerpts() if e.id == ex[0].id]
    assert [c.code_name for c in state.codings] == ["Trust (retired)"]
