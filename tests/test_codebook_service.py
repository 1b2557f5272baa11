"""Codebook changes inside a project: every operation, its effect on existing codings and
suggestions, its audit event, and undo back to exactly the state before."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from lxml import etree

from qualcode import codebook_io, services
from qualcode.cli import main
from qualcode.core import Suggestion
from qualcode.errors import CodebookError, NotFoundError
from qualcode.services import codebook as cbs
from qualcode.services import coding
from qualcode.storage import audit, documents
from qualcode.storage import coding as store
from tests.conftest import DATA, make_document


def snapshot(ctx):
    """Everything a codebook change may touch, comparable with ==."""
    with ctx.session(readonly=True) as s:
        codings = sorted((c.id, c.excerpt_id, c.code_id, c.coder, c.start, c.end, c.origin.value,
                          c.suggestion_id) for c in store.list_codings(s))
        sugg = sorted((g.id, g.excerpt_id, g.code_id, g.model_id, g.score, g.status.value, g.decided_by)
                      for g in store.list_suggestions(s))
        memos = sorted((m.id, m.code_id, m.excerpt_id) for m in store.list_memos(s))
    return codings, sugg, memos, cbs.get_codebook(ctx)


@pytest.fixture
def coded(project):
    """Two participant excerpts coded by alice and bob, with suggestions from two models."""
    turns = [("Interviewer", "interviewer", "Tell me about the team."),
             ("Ana", "participant", "We trusted each other by the second convening."),
             ("Ben", "participant", "The principals bought in after the exit tickets came back."),
             ("Cy", "participant", "Our coach called every week to check on the cycle.")]
    bob = project.as_coder("bob")
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("d1", turns))
        ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
    # codings by hand first: coding by hand settles the coder's own open suggestion of that
    # code, and these suggestions are meant to stay open (a later refresh made them)
    coding.add_coding(project, ex[1], "trust")           # alice: trust and peer_learning on ex1
    coding.add_coding(project, ex[2], "peer_learning")   # alice
    coding.add_coding(bob, ex[2], "peer_learning")       # bob
    coding.add_coding(bob, ex[3], "peer_learning")       # bob
    with project.session() as s:
        store.upsert_suggestions(s, [
            Suggestion(excerpt_id=ex[1], code_id="trust", score=0.9, model_id="m1"),
            Suggestion(excerpt_id=ex[1], code_id="peer_learning", score=0.4, model_id="m1"),
            Suggestion(excerpt_id=ex[2], code_id="peer_learning", score=0.7, model_id="m1"),
            Suggestion(excerpt_id=ex[2], code_id="trust", score=0.3, model_id="m1"),
            Suggestion(excerpt_id=ex[3], code_id="peer_learning", score=0.2, model_id="m1"),
            Suggestion(excerpt_id=ex[3], code_id="trust", score=0.6, model_id="m2"),
        ])
        sid = {(g.excerpt_id, g.code_id, g.model_id): g.id for g in store.list_suggestions(s)}
    # alice accepts peer_learning on ex1 (duplicate of a pending trust suggestion after a merge)
    coding.accept_suggestion(project, sid[(ex[1], "peer_learning", "m1")])
    coding.reject_suggestion(bob, sid[(ex[2], "trust", "m1")])
    coding.add_memo(project, "peer learning here?", excerpt_id=ex[2], code_id="peer_learning")
    return {"ex": ex, "sid": sid, "bob": bob}


def codings_of(ctx, code_id):
    with ctx.session(readonly=True) as s:
        return sorted((c.excerpt_id, c.coder) for c in store.list_codings(s) if c.code_id == code_id)


def last_event(ctx):
    with ctx.session(readonly=True) as s:
        return audit.list_events(s, limit=1)[0]


def test_add_edit_rename_move_are_validated_audited_and_undone(project):
    before = snapshot(project)
    c = cbs.add_code(project, {"id": "rapport", "name": "Rapport", "parent": "relationships",
                               "definition": "Warmth between coach and team.", "examples": "one\ntwo\n"})
    assert c.examples == ["one", "two"] and c.guid == codebook_io.code_guid("rapport")
    ev = last_event(project)
    assert (ev.action, ev.entity_id, ev.coder, ev.before) == ("code_add", "rapport", "alice", None)
    cbs.edit_code(project, "rapport", definition="Warmth.", color="#123456")
    cbs.rename_code(project, "rapport", "Rapport with coach")
    cbs.move_code(project, "rapport", "supports")
    got = cbs.get_codebook(project).get("rapport")
    assert (got.name, got.parent, got.definition, got.color) == ("Rapport with coach", "supports", "Warmth.", "#123456")
    assert [h["action"] for h in cbs.codebook_history(project)] == ["code_move", "code_rename", "code_edit", "code_add"]
    for expected in ("code_move", "code_rename", "code_edit", "code_add"):
        assert cbs.undo_codebook(project)["action"] == expected
    assert snapshot(project) == before
    assert cbs.undo_codebook(project) is None
    hist = cbs.codebook_history(project)
    assert [h["action"] for h in hist[:4]] == ["undo"] * 4 and all(h["undone"] for h in hist[4:])
    assert hist[0]["summary"].startswith("undid: added 'Rapport'")


@pytest.mark.parametrize("change, fragment", [
    (lambda p: cbs.add_code(p, {"id": "trust", "name": "X", "definition": "d"}), "already a code with id 'trust'"),
    (lambda p: cbs.add_code(p, {"id": "x", "name": "Buy-in", "definition": "d"}), "duplicate name 'Buy-in'"),
    (lambda p: cbs.add_code(p, {"id": "x", "name": "X"}), "missing definition"),
    (lambda p: cbs.add_code(p, {"id": "Bad id", "name": "X", "definition": "d"}), "not a slug"),
    (lambda p: cbs.add_code(p, {"id": "x", "name": "X", "definition": "d", "parent": "nope"}), "parent 'nope'"),
    (lambda p: cbs.edit_code(p, "trust", color="green"), "color 'green'"),
    (lambda p: cbs.edit_code(p, "trust", id="t"), "cannot edit id"),
    (lambda p: cbs.rename_code(p, "trust", "Evidence"), "duplicate name"),
    (lambda p: cbs.move_code(p, "relationships", "trust"), "parent cycle"),
    (lambda p: cbs.merge_codes(p, "trust", "trust"), "into itself"),
    (lambda p: cbs.retire_code(p, "relationships"), "still has codes under it"),
])
def test_invalid_changes_are_refused_and_leave_nothing(project, change, fragment):
    before = snapshot(project)
    with pytest.raises(CodebookError) as exc:
        change(project)
    assert fragment in str(exc.value)
    assert snapshot(project) == before
    assert cbs.codebook_history(project) == []


def test_unknown_code_is_not_found(project):
    with pytest.raises(NotFoundError):
        cbs.rename_code(project, "nope", "X")


def test_merge_moves_collapses_retires_and_undo_restores_exactly(project, coded):
    ex, sid, bob = coded["ex"], coded["sid"], coded["bob"]
    before = snapshot(project)
    usage = cbs.code_usage(project)
    assert usage["peer_learning"] == 4 and usage["trust"] == 1 and usage["evidence"] == 0
    summary = cbs.merge_codes(project, "peer_learning", "trust")
    # alice's peer_learning on ex1 duplicates her trust coding there: collapsed
    assert summary["codings_moved"] == 3 and summary["codings_collapsed"] == 1
    assert codings_of(project, "trust") == sorted([(ex[1], "alice"), (ex[2], "alice"), (ex[2], "bob"), (ex[3], "bob")])
    assert codings_of(project, "peer_learning") == []
    with project.session(readonly=True) as s:
        sugg = {(g.excerpt_id, g.model_id): g for g in store.list_suggestions(s) if g.code_id == "trust"}
        assert not [g for g in store.list_suggestions(s) if g.code_id == "peer_learning"]
        codings = store.list_codings(s)
        memos = store.list_memos(s)
    # ex1/m1: trust pending 0.9 vs peer_learning accepted 0.4 -> the decided one stays
    assert sugg[(ex[1], "m1")].status.value == "accepted" and sugg[(ex[1], "m1")].id == sid[(ex[1], "peer_learning", "m1")]
    # ex2/m1: trust rejected 0.3 vs peer_learning pending 0.7 -> the decided (rejected) one stays
    assert sugg[(ex[2], "m1")].status.value == "rejected"
    # ex3: m1 peer_learning 0.2 and m2 trust 0.6 are different models: both stay
    assert (ex[3], "m1") in sugg and (ex[3], "m2") in sugg
    assert summary["suggestions_collapsed"] == 2
    accepted = [c for c in codings if c.suggestion_id is not None]
    assert all(c.code_id == "trust" for c in accepted)
    assert [m.code_id for m in memos] == ["trust"]
    cb = cbs.get_codebook(project)
    assert cb.get("peer_learning").retired and not cb.get("trust").retired
    ev = last_event(project)
    assert ev.action == "code_merge" and ev.before["source"]["id"] == "peer_learning"
    # bob cannot undo alice's merge
    assert cbs.undo_codebook(bob) is None
    undone = cbs.undo_codebook(project)
    assert undone["action"] == "code_merge"
    assert snapshot(project) == before
    ev = last_event(project)
    assert ev.action == "undo" and ev.entity_id == "peer_learning"


def test_merge_with_higher_score_kept_and_into_grouping_refused(project, coded):
    ex = coded["ex"]
    with project.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[3], code_id="evidence", score=0.8, model_id="m1")])
    before = snapshot(project)
    with pytest.raises(CodebookError, match="grouping code"):
        cbs.merge_codes(project, "peer_learning", "supports")
    cbs.merge_codes(project, "peer_learning", "evidence")
    with project.session(readonly=True) as s:
        (kept,) = [g for g in store.list_suggestions(s) if g.excerpt_id == ex[3] and g.model_id == "m1"]
    assert (kept.code_id, kept.score) == ("evidence", 0.8)  # both pending: higher score stays
    cbs.undo_codebook(project)
    assert snapshot(project) == before


def test_merge_moves_children_and_refuses_merging_into_own_child(project):
    with pytest.raises(CodebookError, match="own child"):
        cbs.merge_codes(project, "relationships", "trust")
    cbs.add_code(project, {"id": "people", "name": "People", "codable": False, "definition": "Group."})
    cbs.merge_codes(project, "relationships", "people")
    cb = cbs.get_codebook(project)
    assert {c.id for c in cb.children("people")} == {"trust", "buy_in", "team_composition", "hierarchy_voice"}
    cbs.undo_codebook(project)
    assert {c.id for c in cbs.get_codebook(project).children("relationships")} >= {"trust", "buy_in"}


def test_split_moves_chosen_excerpts_and_undo(project, coded):
    ex, bob = coded["ex"], coded["bob"]
    before = snapshot(project)
    r = cbs.split_code(project, "peer_learning", {"id": "district_visits", "name": "District visits",
                                                  "definition": "Visiting other districts."}, [ex[2]])
    assert r["codings_moved"] == 2 and r["memos_moved"] == 1
    assert codings_of(project, "district_visits") == [(ex[2], "alice"), (ex[2], "bob")]
    assert codings_of(project, "peer_learning") == [(ex[1], "alice"), (ex[3], "bob")]
    new = cbs.get_codebook(project).get("district_visits")
    assert new.parent == "supports"  # beside the code it came from
    with project.session(readonly=True) as s:
        moved = [g for g in store.list_suggestions(s, excerpt_ids=[ex[2]]) if g.code_id == "district_visits"]
    assert len(moved) == 1
    # once someone else uses the new code, the split can no longer be undone silently
    cid = coding.add_coding(bob, ex[1], "district_visits")
    with pytest.raises(CodebookError, match="used since"):
        cbs.undo_codebook(project)
    coding.remove_coding(bob, cid)
    cbs.undo_codebook(project)
    assert snapshot(project) == before


def test_retire_refused_while_used_unless_forced(project, coded):
    ex = coded["ex"]
    with pytest.raises(CodebookError, match="used by 4 codings"):
        cbs.retire_code(project, "peer_learning")
    before = snapshot(project)
    cbs.retire_code(project, "peer_learning", force=True)
    cb = cbs.get_codebook(project)
    assert cb.get("peer_learning").retired and "peer_learning" not in {c.id for c in cb.codable_codes()}
    assert len(codings_of(project, "peer_learning")) == 4  # history kept
    with project.session(readonly=True) as s:
        left = [g for g in store.list_suggestions(s) if g.code_id == "peer_learning"]
    assert [g.status.value for g in left] == ["accepted"]  # pending ones withdrawn, decided kept
    assert ex
    with pytest.raises(CodebookError, match="retired"):
        cbs.rename_code(project, "peer_learning", "X")
    cbs.undo_codebook(project)
    assert snapshot(project) == before
    cbs.retire_code(project, "evidence")  # unused: no force needed
    cbs.restore_code(project, "evidence")
    assert not cbs.get_codebook(project).get("evidence").retired


def test_uncodable_with_codings_refused(project, coded):
    with pytest.raises(CodebookError, match="must stay codable"):
        cbs.edit_code(project, "trust", codable=False)


def test_undo_refused_when_code_changed_since_by_someone_else(project):
    cbs.rename_code(project, "trust", "Trust A")
    cbs.rename_code(project.as_coder("bob"), "trust", "Trust B")
    with pytest.raises(CodebookError, match="changed since"):
        cbs.undo_codebook(project)
    assert cbs.get_codebook(project).get("trust").name == "Trust B"


def test_yaml_export_is_lossless_through_a_new_project(project, coded, tmp_path):
    cbs.add_code(project, {"id": "rapport", "name": "Rapport", "definition": "Warmth.", "parent": "supports",
                           "guid": "0b3a7f0e-5c2d-4e8a-9f21-7d6c5b4a3e21"})
    cbs.retire_code(project, "peer_learning", force=True)
    first = cbs.export_codebook(project, tmp_path / "cb.yaml")
    other = services.init_project(tmp_path / "other", codebook=first, coder="carol")
    try:
        second = cbs.export_codebook(other, tmp_path / "cb2.yml")
        assert second.read_text() == first.read_text()
        assert cbs.get_codebook(other) == cbs.get_codebook(project)
    finally:
        other.close()


def test_import_yaml_adds_updates_and_undo(project, tmp_path):
    before = snapshot(project)
    cb = cbs.get_codebook(project)
    cb.get("trust").definition = "A new definition of trust."
    from qualcode.core import Code

    cb.codes.append(Code("district_context", "District context", codable=False, definition="Group."))
    cb.codes.append(Code("funding", "Funding", parent="district_context", definition="Money talk."))
    path = codebook_io.write_yaml(cb, tmp_path / "revised.yaml")
    r = cbs.import_codebook(project, path)
    assert r["added"] == ["district_context", "funding"] and r["updated"] == ["trust"]
    now = cbs.get_codebook(project)
    assert now.get("funding").parent == "district_context" and now.get("trust").definition.startswith("A new")
    assert cbs.import_codebook(project, path)["unchanged"] == len(cb.codes)  # idempotent
    cbs.undo_codebook(project)  # the second import changed nothing but is a recorded event
    cbs.undo_codebook(project)
    assert snapshot(project) == before


def test_bad_import_changes_nothing(project):
    before = snapshot(project)
    with pytest.raises(CodebookError) as exc:
        cbs.import_codebook(project, DATA / "codebook" / "many_errors.yaml")
    assert exc.value.line == 6 and len(exc.value.problems) == 5
    assert snapshot(project) == before and cbs.codebook_history(project) == []


def test_import_naming_a_project_code_says_file_line_and_code(project, tmp_path):
    """Walk 32: a file code named like a code already in the project was refused without its
    file or line; and a name of only spaces was listed twice in two wordings."""
    before = snapshot(project)
    trust = cbs.get_codebook(project).get("trust").name
    path = tmp_path / "more.yaml"
    path.write_text(f"name: More\ncodes:\n  - id: other\n    name: Other\n    definition: d\n"
                    f"  - id: trust2\n    name: {trust}\n    definition: the same name, another id\n",
                    encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        cbs.import_codebook(project, path)
    assert exc.value.file == str(path) and exc.value.line == 6
    # ... and that the other is the project's own code, not one of the file's (walk 43)
    assert exc.value.message.startswith(f"code 'trust2': the name '{trust}' is already the project's code 'trust'")
    assert "give it the id 'trust' to update that code" in exc.value.message
    assert snapshot(project) == before
    blank = tmp_path / "blank.yaml"
    blank.write_text('name: B\ncodes:\n  - id: blank\n    name: "   "\n    definition: d\n', encoding="utf-8")
    with pytest.raises(CodebookError) as exc:
        cbs.import_codebook(project, blank)
    assert [p.message for p in exc.value.problems] == ["code 'blank': missing 'name'"]


def test_a_change_refused_in_the_app_says_to_correct_it_not_a_file(project):
    """Walk 32: a name of spaces under Add a code said "Correct the file and import it again"."""
    with pytest.raises(CodebookError) as exc:
        cbs.add_code(project, {"id": "", "name": "   ", "definition": "d"})
    assert "the new code: missing name" in exc.value.message and exc.value.app_hint == "correct it and try again"
    with pytest.raises(CodebookError) as exc:
        cbs.rename_code(project, "trust", "  ")
    assert "missing name" in exc.value.message and "file" not in exc.value.app_hint


def test_qdc_exchange_with_project(project, tmp_path, shared_dir):
    xsd = etree.XMLSchema(etree.parse(str(shared_dir / "refi-qda" / "Codebook.xsd")))
    out = cbs.export_codebook(project, tmp_path / "cb.qdc")
    xsd.assertValid(etree.parse(str(out)))
    r = cbs.import_codebook(project, out)  # our own export comes back unchanged
    assert r["added"] == [] and r["updated"] == []
    r = cbs.import_codebook(project, DATA / "codebook" / "other_tool.qdc")
    assert "other_2" in r["added"] and "trust" in r["updated"]  # matched by slug of its name
    assert any("Sets" in w for w in r["warnings"])
    cb = cbs.get_codebook(project)
    assert cb.get("other").guid == "3e6dac31-8f50-4b1d-8c54-a09f8e7d6b54"
    out2 = cbs.export_codebook(project, tmp_path / "back.qdc")
    xsd.assertValid(etree.parse(str(out2)))
    assert 'guid="3e6dac31-8f50-4b1d-8c54-a09f8e7d6b54"' in out2.read_text()


def test_markdown_and_docx_exports(project, coded, tmp_path):
    md = cbs.export_codebook(project, tmp_path / "cb.md").read_text()
    cb = cbs.get_codebook(project)
    assert "# Improvement collaboration interviews" in md and "### Trust" in md
    assert cb.get("trust").examples[0][:40] in md and "4 codings" in md
    from docx import Document

    doc = Document(str(cbs.export_codebook(project, tmp_path / "cb.out", fmt="docx")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Learning zone" in text and cb.get("learning_zone").definition[:40] in text
    with pytest.raises(CodebookError, match="unknown codebook format"):
        cbs.export_codebook(project, tmp_path / "cb.pdf")


def test_cli_show_import_export_and_changes(project, coded, tmp_path):
    runner = CliRunner()
    p = ["--project", str(project.project_dir), "--coder", "alice"]
    r = runner.invoke(main, [*p, "codebook", "show", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert {c["id"]: c["codings"] for c in data["codes"]}["peer_learning"] == 4
    r = runner.invoke(main, [*p, "codebook", "show"])
    assert "Peer learning across districts [peer_learning]" in r.output
    r = runner.invoke(main, [*p, "codebook", "export", str(tmp_path / "cb.qdc")])
    assert r.exit_code == 0 and (tmp_path / "cb.qdc").exists()
    r = runner.invoke(main, [*p, "codebook", "merge", "peer_learning", "trust"])
    assert r.exit_code == 0 and "3 codings moved" in r.output, r.output
    r = runner.invoke(main, [*p, "codebook", "retire", "trust"])
    assert r.exit_code == 1 and "--force" in r.output and "Traceback" not in r.output
    r = runner.invoke(main, [*p, "codebook", "history"])
    assert "merged peer_learning into trust" in r.output
    r = runner.invoke(main, [*p, "codebook", "undo"])
    assert r.exit_code == 0 and "Undid: merged" in r.output
    r = runner.invoke(main, [*p, "codebook", "import", "--json", str(DATA / "codebook" / "other_tool.qdc")])
    assert r.exit_code == 0 and "other_2" in json.loads(r.output)["added"]


def test_ids_made_from_names_when_left_empty(project, coded):
    a = cbs.add_code(project, {"id": "", "name": "Peer Learning!", "definition": "x"})
    assert a.id == "peer_learning_2"  # peer_learning is taken
    r = cbs.split_code(project, "trust", {"id": "", "name": "Trust in leaders", "definition": "Leaders."},
                       [coded["ex"][1]])
    assert r["new_code"] == "trust_in_leaders" and r["codings_moved"] == 1
    assert cbs.get_codebook(project).get("trust_in_leaders").parent == "relationships"


def test_init_with_another_tools_qdc(tmp_path):
    r = CliRunner().invoke(main, ["init", str(tmp_path / "q"), "--codebook", str(DATA / "codebook" / "other_tool.qdc")])
    assert r.exit_code == 0, r.output
    ctx = services.open_project(tmp_path / "q", coder="alice")
    try:
        cb = cbs.get_codebook(ctx)
        assert cb.get("trust").guid == "1c4b8a1f-6d3e-4f9b-8a32-8e7d6c5b4f32" and len(cb.codes) == 6
    finally:
        ctx.close()


def _nested_yaml(path, n: int, *, prefix: str = "n") -> None:
    """``n`` codes three levels deep, some with lists and colours, as a YAML codebook."""
    rows = []
    for i in range(n):
        parent = f"{prefix}{i - i % 10}" if i % 10 else (f"{prefix}{i - i % 100}" if i % 100 else None)
        rows.append(f"  - id: {prefix}{i}\n    name: Nested {i}\n    definition: Talk about {i}.\n"
                    + (f"    parent: {parent}\n" if parent else "")
                    + ("    keywords: [plan, cycle]\n    color: '#aabbcc'\n" if i % 7 == 0 else ""))
    path.write_text("name: Nested\ncodes:\n" + "".join(rows), encoding="utf-8")


def test_large_import_undo_in_bulk_restores_exactly(project, tmp_path):
    before = snapshot(project)
    path = tmp_path / "nested.yaml"
    _nested_yaml(path, 1200)
    r = cbs.import_codebook(project, path)
    assert len(r["added"]) == 1200
    now = cbs.get_codebook(project)
    assert now.get("n123").parent == "n120" and now.get("n120").parent == "n100"
    assert now.get("n7").keywords == ["plan", "cycle"] and now.get("n7").color == "#aabbcc"
    assert now.get("n7").guid == codebook_io.code_guid("n7")
    history = cbs.codebook_history(project, limit=1)[0]
    assert history["summary"].startswith("imported nested.yaml: 1200 added")
    assert cbs.undo_codebook(project)["action"] == "codebook_import"
    assert snapshot(project) == before


@pytest.mark.parametrize("use", ["coding", "child"])
def test_import_undo_refused_when_an_imported_code_was_used(project, tmp_path, use):
    path = tmp_path / "nested.yaml"
    _nested_yaml(path, 30)
    cbs.import_codebook(project, path)
    if use == "coding":
        with project.session() as s:
            doc_id = documents.add_document(s, make_document("Interview 1"))
        with project.session(readonly=True) as s:
            excerpt = next(e for e in documents.load_document(s, doc_id).excerpts if e.codable)
        coding.add_coding(project, excerpt.id, "n12")
        expected = "the code “Nested 12” has been used since (1 coding)"
    else:  # another coder hangs a new code under an imported one
        cbs.add_code(project.as_coder("bob"), {"id": "late", "name": "Late", "definition": "Later.", "parent": "n20"})
        expected = "the code “Nested 20” has been used since (child code 'late')"
    before = snapshot(project)
    with pytest.raises(CodebookError) as exc:
        cbs.undo_codebook(project)
    assert expected in exc.value.message and exc.value.app_hint and "qualcode" not in exc.value.app_hint
    assert snapshot(project) == before  # nothing undone


def test_import_undo_takes_the_models_pending_suggestions_with_it(project, tmp_path):
    """Walk 40: the model's background suggestions of a new code counted as use and refused its
    undo. Pending suggestions (nobody's decision) go with the codes; a decided one still refuses."""
    from qualcode.core import Suggestion
    from qualcode.storage import coding as coding_store

    path = tmp_path / "nested.yaml"
    _nested_yaml(path, 30)
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("Interview 1"))
    with project.session(readonly=True) as s:
        excerpt = next(e for e in documents.load_document(s, doc_id).excerpts if e.codable)
    before = snapshot(project)
    cbs.import_codebook(project, path)
    with project.session() as s:
        coding_store.upsert_suggestions(s, [Suggestion(excerpt_id=excerpt.id, code_id=c, score=0.5, model_id="m")
                                            for c in ("n12", "n21")])
    assert cbs.undo_codebook(project)["action"] == "codebook_import"
    assert snapshot(project) == before
    with project.session(readonly=True) as s:
        assert not coding_store.list_suggestions(s)


def test_import_codebook_upload_names_the_users_file(project, tmp_path):
    from tests.hostile_files import yaml_alias_bomb

    with pytest.raises(CodebookError) as exc:  # the app's uploader: a refusal names the upload, not a temp path
        cbs.import_codebook_upload(project, yaml_alias_bomb().encode(), "C:\\fakepath\\bomb.yaml")
    assert exc.value.file == "bomb.yaml" and exc.value.line == 6 and "aliases expand" in exc.value.message
    assert "qualcode" not in exc.value.for_app() and "import it again" in exc.value.for_app()
    with pytest.raises(CodebookError, match="not a codebook file"):
        cbs.import_codebook_upload(project, b"x", "notes.txt")
    r = cbs.import_codebook_upload(project, b"name: P\ncodes:\n  - id: pilot\n    name: Pilot\n    definition: d\n",
                                   "pilot.yaml")
    assert r["added"] == ["pilot"]
    assert cbs.codebook_history(project, limit=1)[0]["summary"].startswith("imported pilot.yaml: 1 added")


def test_import_with_replace_retires_the_codes_the_file_lacks_except_those_in_use(project, coded, tmp_path):
    """Walk 16: a project's own codebook, imported into a new project, merged with the default
    one; the coder retired its 21 other codes one by one. With ``replace`` the import retires the
    codes the file lacks, in one step undo takes back, keeping those codings use (and a parent
    with a code still under it); the retired codes' pending suggestions are withdrawn."""
    with project.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=coded["ex"][3], code_id="evidence", score=0.8,
                                                model_id="m1")])
    before = snapshot(project)
    used = {c[2] for c in before[0]}
    assert used and "trust" in used  # the fixture's codings
    pending_codes = {g[2] for g in before[1] if g[5] == "pending"}
    path = tmp_path / "ours.yaml"
    path.write_text("name: Mentoring\ncodes:\n"
                    "  - id: mentoring\n    name: Mentoring relationship\n    definition: The bond.\n"
                    "  - id: rapport\n    name: Rapport\n    parent: mentoring\n    definition: Feeling safe.\n",
                    encoding="utf-8")
    r = cbs.import_codebook(project, path, replace=True)
    assert r["added"] == ["mentoring", "rapport"] and r["updated"] == []
    assert r["kept"] == sorted(used)
    cb = cbs.get_codebook(project)
    active = {c.id for c in cb.codes if not c.retired}
    parents_kept = {cb.get(u).parent for u in used if cb.get(u).parent}
    assert active == {"mentoring", "rapport"} | used | parents_kept
    assert set(r["retired"]) == {c.id for c in before[3].codes} - used - parents_kept
    with project.session(readonly=True) as s:
        still = {g.code_id for g in store.list_suggestions(s) if g.status.value == "pending"}
    assert not still & set(r["retired"]) and pending_codes & set(r["retired"])  # withdrawn, and there were some
    assert len(used) == 2 and cbs.import_summary(r).endswith(
        f"kept because excerpts are coded with them: {', '.join(sorted(used))}.")
    cbs.undo_codebook(project)  # one step back: codes and codebook as before (withdrawn suggestions stay withdrawn)
    assert snapshot(project)[3] == before[3] and snapshot(project)[0] == before[0]
    # without replace, nothing is retired (the default)
    r = cbs.import_codebook(project, path)
    assert r["retired"] == [] and r["kept"] == [] and not any(c.retired for c in cbs.get_codebook(project).codes)


def test_cli_codebook_import_replace(project, tmp_path):
    path = tmp_path / "ours.yaml"
    path.write_text("name: Ours\ncodes:\n  - id: trust\n    name: Trust\n    definition: Confidence in others.\n",
                    encoding="utf-8")
    r = CliRunner().invoke(main, ["--project", str(project.project_dir), "codebook", "import", str(path), "--replace"])
    assert r.exit_code == 0, r.output
    assert "code not in the file retired" not in r.output and "codes not in the file retired" in r.output
    cb = cbs.get_codebook(project)
    # the file's trust stands at the top, so its old group has nothing left under it: retired too
    assert {c.id for c in cb.codes if not c.retired} == {"trust"} and cb.get("trust").parent is None
