"""Typed commands, the one executor and the one undo, on SQLite and PostgreSQL.

The property: over seeded random sequences of commands of every undoable kind, each command
that changes something is undone back to exactly the database before it; a command that
fails leaves nothing behind; and undoing the whole sequence (newest first) returns to the
start. ``hypothesis`` is not in the environment, so a seeded generator draws the sequences
(the seed is in the test id: a failure replays exactly).
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from sqlalchemy import select

from qualcode import services
from qualcode.core import Role, Suggestion
from qualcode.core import commands as cmd
from qualcode.errors import CodebookError, QualcodeError
from qualcode.services import coding, team
from qualcode.services import commands as executor
from qualcode.services.project import NO_CODER
from qualcode.storage import audit, documents, meta
from qualcode.storage import coding as store
from qualcode.storage.models import AuditRow, Base
from tests.conftest import make_document
from tests.pg_helpers import db_url, find_pg_bin, pg_server  # noqa: F401

#: columns that record when, not what (a restored row is the same row at another time)
CLOCKS = {"created_at", "updated_at", "at", "imported_at"}
SKIP_TABLES = {"audit_events", "alembic_version", "embeddings", "model_artifacts"}


def snapshot(ctx) -> dict[str, list]:
    """Every row of every table (audit trail and caches aside), timestamps aside."""
    out = {}
    with ctx.session(readonly=True) as s:
        for name, table in sorted(Base.metadata.tables.items()):
            if name in SKIP_TABLES:
                continue
            cols = [c for c in table.columns if c.name not in CLOCKS]
            rows = s.execute(select(*cols)).all()
            out[name] = sorted((tuple(repr(v) for v in r) for r in rows))
    return out


TURNS = [("Interviewer", "interviewer", "How did the team work together this year?"),
         ("Ana", "participant", "We trusted each other after the second convening."),
         ("Ben", "participant", "The principals bought in when they saw the exit tickets."),
         ("Ana", "participant", "Our coach checked in every week on the cycle."),
         ("Cy", "unknown", "Data meetings were short but useful for us.")]


def _setup(ctx):
    with ctx.session() as s:
        doc_id = documents.add_document(s, make_document("d1", TURNS))
        ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
        store.upsert_suggestions(s, [Suggestion(excerpt_id=e, code_id=c, score=0.5 + 0.01 * i, model_id="m")
                                     for i, (e, c) in enumerate((e, c) for e in ex[1:] for c in ("trust", "evidence"))])
        meta.get_or_create_coder(s, team.CONSENSUS)  # coders are identities, not state to revert
    bob = ctx.as_coder("bob")
    coding.add_coding(bob, ex[1], "trust")
    coding.add_coding(bob, ex[2], "buy_in")
    return doc_id, ex


def _state(ctx):
    with ctx.session(readonly=True) as s:
        me = ctx.coder_id(s)
        return {
            "suggestions": [g.id for g in store.list_suggestions(s)],
            "codings": [c.id for c in store.list_codings(s, coder_id=me)],
            "memos": [m.id for m in store.list_memos(s) if m.coder == ctx.coder],
        }


def _random_command(rng: random.Random, ctx, doc_id: int, ex: list[int], step: int) -> cmd.Command:
    from qualcode.services import codebook as cbs

    st = _state(ctx)
    cb = cbs.get_codebook(ctx)
    active = [c for c in cb.codes if not c.retired]
    codable = [c.id for c in active if c.codable] or ["trust"]
    kinds = ["accept", "reject", "code", "span", "uncode", "review", "memo", "memo_edit", "memo_delete",
             "consensus", "setting", "code_add", "code_edit", "code_rename", "code_move", "code_retire",
             "code_restore", "code_merge", "code_split", "set_role", "set_code_roles", "selection", "recode", "nothing_here",
             "not_on_the_rest", "merge_speakers", "merge_speakers_in", "hits"]
    kind = rng.choice(kinds)
    e = rng.choice(ex)
    if kind == "accept" and st["suggestions"]:
        return cmd.AcceptSuggestion(suggestion_id=rng.choice(st["suggestions"]))
    if kind == "reject" and st["suggestions"]:
        return cmd.RejectSuggestion(suggestion_id=rng.choice(st["suggestions"]))
    if kind == "span":
        with ctx.session(readonly=True) as s:
            x = next(x for x in documents.load_document(s, doc_id).excerpts if x.id == e)
        a = rng.randint(x.start, x.end - 2)
        return cmd.CodeExcerpt(excerpt_id=e, code_id=rng.choice(codable), start=a, end=rng.randint(a + 1, x.end + 3))
    if kind == "selection":  # a passage from inside one excerpt to inside the next (maybe another speaker's)
        with ctx.session(readonly=True) as s:
            xs = documents.load_document(s, doc_id).excerpts
        i = next(i for i, x in enumerate(xs) if x.id == e)
        x, y = xs[i], xs[min(i + 1, len(xs) - 1)]
        return cmd.CodeSelection(document_id=doc_id, start=rng.randint(x.start, x.end - 1),
                                 end=rng.randint(max(x.start + 1, y.start), y.end), code_id=rng.choice(codable))
    if kind == "hits":  # a search's hits: a few excerpts, interviewers' lines among them maybe
        return cmd.CodeExcerpts(excerpt_ids=tuple(rng.sample(ex, k=min(len(ex), rng.randint(1, 4)))),
                                code_id=rng.choice(codable))
    if kind == "nothing_here":
        return cmd.NothingHere(excerpt_id=e)
    if kind == "not_on_the_rest":
        return cmd.NotOnTheRest(code_id=rng.choice(codable))
    if kind == "recode" and st["codings"]:
        return cmd.Recode(coding_id=rng.choice(st["codings"]), code_id=rng.choice(codable))
    if kind == "uncode" and st["codings"]:
        return cmd.Uncode(coding_id=rng.choice(st["codings"]))
    if kind == "review":
        return cmd.MarkReviewed(excerpt_id=e)
    if kind == "memo":
        return cmd.AddMemo(text=f"memo {step}", excerpt_id=e, code_id=rng.choice([None, *codable[:2]]))
    if kind == "memo_edit" and st["memos"]:
        return cmd.EditMemo(memo_id=rng.choice(st["memos"]), text=f"edited {step}")
    if kind == "memo_delete" and st["memos"]:
        return cmd.DeleteMemo(memo_id=rng.choice(st["memos"]))
    if kind == "consensus":
        return cmd.ResolveConsensus(excerpt_id=e, code_ids=tuple(rng.sample(codable, k=rng.randint(0, 2))))
    if kind == "setting":
        return cmd.SetIndependentCoding(on=rng.random() < 0.5)
    if kind == "code_add":
        return cmd.AddCode(code={"id": "", "name": f"Theme {step}", "definition": "A discovered theme."})
    if kind == "code_edit":
        return cmd.EditCode(code_id=rng.choice(active).id, fields={"definition": f"Defined at step {step}."})
    if kind == "code_rename":
        return cmd.RenameCode(code_id=rng.choice(active).id, name=f"Renamed {step}")
    if kind == "code_move":
        parents = [None, *[c.id for c in active if not c.codable]]
        return cmd.MoveCode(code_id=rng.choice(codable), parent=rng.choice(parents))
    if kind == "code_retire":
        return cmd.RetireCode(code_id=rng.choice(codable), force=True)
    if kind == "code_restore":
        retired = [c.id for c in cb.codes if c.retired]
        if retired:
            return cmd.RestoreCode(code_id=rng.choice(retired))
    if kind == "code_merge" and len(codable) > 1:
        a, b = rng.sample(codable, 2)
        return cmd.MergeCodes(source=a, target=b)
    if kind == "code_split":
        return cmd.SplitCode(code_id=rng.choice(codable), new_code={"name": f"Split {step}", "definition": "Part."},
                             excerpt_ids=tuple(rng.sample(ex, 2)))
    if kind == "set_role":
        label = rng.choice(["Ana", "Ben", "Cy", "Interviewer"])
        return cmd.SetSpeakerRole(document=doc_id, label=label, role=rng.choice(list(Role)))
    if kind in ("merge_speakers", "merge_speakers_in"):  # speakers may be gone after an earlier merge
        labels = tuple(rng.sample(["Ana", "Ben", "Cy", "Interviewer"], k=rng.randint(1, 2)))
        into = rng.choice([labels[0], "Ana Ruiz", "Interviewer"])
        if kind == "merge_speakers":
            return cmd.MergeSpeakers(document=doc_id, labels=labels, into=into)
        return cmd.MergeSpeakersIn(documents=(doc_id,), labels=labels, into=into)
    if kind == "set_code_roles":
        return cmd.SetCodableRoles(roles=tuple(rng.sample(["participant", "unknown", "facilitator"], k=rng.randint(1, 2))))
    return cmd.CodeExcerpt(excerpt_id=e, code_id=rng.choice(codable))


def _events(ctx) -> int:
    with ctx.session(readonly=True) as s:
        return len(s.scalars(select(AuditRow.id)).all())


def _round_trips(ctx, seed: int, steps: int) -> None:
    doc_id, ex = _setup(ctx)
    start = snapshot(ctx)
    rng = random.Random(seed)
    done = 0
    for step in range(steps):
        c = _random_command(rng, ctx, doc_id, ex, step)
        before, n_events = snapshot(ctx), _events(ctx)
        try:
            executor.execute(ctx, c)
        except (QualcodeError, ValueError):
            assert snapshot(ctx) == before, f"failed {c} left changes behind"
            assert _events(ctx) == n_events
            continue
        if _events(ctx) == n_events:  # nothing changed (a repeated decision): nothing to undo
            assert snapshot(ctx) == before, f"{c} changed the database without an audit event"
            continue
        with ctx.session(readonly=True) as s:
            row = s.scalars(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).one()
        assert row.action == c.action and cmd.from_payload(row.action, row.command) == c
        undone = executor.undo_latest(ctx)
        assert undone is not None and undone.action == c.action
        assert snapshot(ctx) == before, f"undo of {c} did not restore the database"
        executor.execute(ctx, c)  # do it again, for real this time
        done += 1
    assert [u["action"] for u in coding.undo(ctx, done + 5)][:done] and snapshot(ctx) == start
    assert coding.undo(ctx, 1) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_command_sequences_round_trip_through_undo(db_url, seed):  # noqa: F811
    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        _round_trips(ctx, seed, steps=30 if db_url.startswith("sqlite") else 20)
    finally:
        ctx.close()


def test_every_command_has_a_handler_and_payload_round_trips():
    samples = {
        cmd.AcceptSuggestion: dict(suggestion_id=1, excerpt_id=3, code_id="trust"), cmd.RejectSuggestion: dict(suggestion_id=1),
        cmd.CodeExcerpt: dict(excerpt_id=1, code_id="trust", start=0, end=4),
        cmd.Uncode: dict(coding_id=1), cmd.MarkReviewed: dict(excerpt_id=1),
        cmd.RenameDocument: dict(document=1, name="x"), cmd.DeleteDocumentUndoable: dict(document=1),
        cmd.CodeSelection: dict(document_id=1, start=3, end=40, code_id="trust"),
        cmd.CodeExcerpts: dict(excerpt_ids=(1, 2), code_id="trust"),
        cmd.Recode: dict(coding_id=1, code_id="buy_in"), cmd.NothingHere: dict(excerpt_id=1),
        cmd.NotOnTheRest: dict(code_id="trust"), cmd.MergeWork: dict(label="colleague.qdpx"),
        cmd.ImportSurvey: dict(name="fall", replace=True),
        cmd.SetPreference: dict(name="turns_per_page", value=20),
        cmd.SetRoles: dict(changes=((1, "Ana", "interviewer"),), label="Ana"),
        cmd.SetAttributes: dict(values=((1, "year", "2021", "integer"),)),
        cmd.SetSpeakerAttributes: dict(values=((1, "Ana", "group", "parent", "text"),)),
        cmd.MergeSpeakers: dict(document=1, labels=("JOHN SMITH", "John"), into="John Smith"),
        cmd.MergeSpeakersIn: dict(documents=(1, 2), labels=("Ana (2)", "Ana"), into="Ana"),
        cmd.AddMemo: dict(text="t", excerpt_id=1, coding_id=2), cmd.EditMemo: dict(memo_id=1, text="t"),
        cmd.DeleteMemo: dict(memo_id=1), cmd.ResolveConsensus: dict(excerpt_id=1, code_ids=("a", "b")),
        cmd.SetIndependentCoding: dict(on=True), cmd.AddCode: dict(code={"name": "X"}, source="discovery"),
        cmd.EditCode: dict(code_id="x", fields={"definition": "d"}), cmd.RenameCode: dict(code_id="x", name="Y"),
        cmd.MoveCode: dict(code_id="x", parent=None), cmd.MergeCodes: dict(source="a", target="b"),
        cmd.SplitCode: dict(code_id="x", new_code={"name": "Y"}, excerpt_ids=(1, 2)),
        cmd.RetireCode: dict(code_id="x", force=True), cmd.RestoreCode: dict(code_id="x"),
        cmd.ImportCodebook: dict(path="cb.yaml"), cmd.ImportDocument: dict(name="d", replace=True),
        cmd.DeleteDocument: dict(document=1), cmd.SetSpeakerRole: dict(document=1, label="A", role=Role.PARTICIPANT),
        cmd.SetCodableRoles: dict(roles=("participant",)), cmd.SetAttribute: dict(document=1, key="year", value="2021"),
        cmd.Deidentify: dict(document=1), cmd.AddCoder: dict(name="bob"),
        cmd.ImportProject: dict(label="study.qdpx"), cmd.Undo: dict(only=("code_add",)),
    }
    assert set(samples) == set(cmd.COMMANDS.values()), "every command class has a sample here"
    for cls, kw in samples.items():
        c = cls(**kw)
        assert cmd.from_payload(cls.action, c.payload()) == c
        h = executor.handler_for(cls)
        assert hasattr(h, "apply") and (hasattr(h, "revert") or not cls.undoable)
    # names to de-identify and parsed content never enter the audit payload
    assert "names" not in cmd.Deidentify(document=1, names=["Maria Lopez"]).payload()
    assert "parsed" not in cmd.ImportDocument(name="d", parsed=object()).payload()


def test_undo_after_consensus_reverts_the_consensus_on_every_face(project):
    """The Code page's undo (services.coding.undo) used to skip consensus events."""
    with project.session() as s:
        doc_id = documents.add_document(s, make_document("d1", TURNS))
        ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
    coding.add_coding(project, ex[1], "trust")
    team.resolve_disagreement(project, ex[1], ["trust", "buy_in"])
    assert coding.undo(project, 1) == [{"action": "consensus", "entity": "excerpt", "entity_id": str(ex[1])}]
    with project.session(readonly=True) as s:
        assert [(c.coder, c.code_id) for c in store.list_codings(s)] == [("alice", "trust")]


def test_one_undo_spans_kinds_and_the_codebook_undo_only_codebook(project):
    from qualcode.services import codebook as cbs

    with project.session() as s:
        doc_id = documents.add_document(s, make_document("d1", TURNS))
        ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
    cbs.add_code(project, {"name": "Coaching", "definition": "Coach support."})
    coding.add_coding(project, ex[1], "coaching")
    with pytest.raises(CodebookError, match="used since"):
        cbs.undo_codebook(project)  # the codebook's undo reaches only codebook commands: refused
    assert [u["action"] for u in coding.undo(project, 2)] == ["code", "code_add"]
    assert cbs.get_codebook(project).get("coaching") is None


def test_a_failed_first_write_leaves_no_coder_and_reads_never_create_one(project):
    carol = project.as_coder("carol")
    with pytest.raises(QualcodeError):
        coding.add_memo(carol, "   ")
    with project.session(readonly=True) as s:
        assert meta.find_coder(s, "carol") is None
        assert carol.coder_id(s) == NO_CODER  # a read does not insert
    with project.session(readonly=True) as s:
        assert meta.find_coder(s, "carol") is None
    coding.add_memo(carol, "first words")
    with project.session(readonly=True) as s:
        assert carol.coder_id(s) == meta.find_coder(s, "carol") is not None
        assert audit.list_events(s, limit=1)[0].coder == "carol"


def test_command_dataclasses_are_frozen():
    c = cmd.CodeExcerpt(excerpt_id=1, code_id="trust")
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.code_id = "other"  # type: ignore[misc]


def test_every_app_message_is_free_of_cli_flags(project):
    """The app's wording of errors the app can meet never names a CLI flag or command."""
    from qualcode.errors import cli_only
    from qualcode.services import codebook as cbs

    with project.session() as s:
        doc_id = documents.add_document(s, make_document("d1", TURNS))
        ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
    coding.add_coding(project, ex[1], "trust")
    failures = [lambda: cbs.rename_code(project, "nope", "X"), lambda: cbs.retire_code(project, "trust"),
                lambda: coding.add_coding(project, ex[1], "nope"),
                lambda: team.resolve_disagreement(project.as_coder("consensus"), ex[1], [])]
    for fail in failures:
        with pytest.raises(QualcodeError) as exc:
            fail()
        assert not cli_only(exc.value.for_app()), exc.value.for_app()
        assert exc.value.for_app().startswith(exc.value.message.rstrip("."))
    assert cli_only("pass --replace") and cli_only("run qualcode init DIR") and not cli_only("tick Replace")


def test_a_new_code_made_for_a_coding_goes_with_its_undo(project):
    """Walk 40: a code made by mistake from a code box ("Barr") stayed after Undo took back its
    coding, and a second Undo was refused: "code 'barr' has been used since (2 suggestion(s))",
    the model's own background suggestions. Made in ``one_undo``, the code and its coding are
    one step; the model's pending suggestions of it go with it; the message names the code."""
    from qualcode.services import codebook as cbs
    from qualcode.services import messages

    with project.session() as s:
        doc_id = documents.add_document(s, make_document("d1", TURNS))
        ex = [e.id for e in documents.load_document(s, doc_id).excerpts]
    with executor.one_undo():
        new = cbs.add_code(project, {"name": "Barr", "definition": "Barr."})
        coding.add_coding(project, ex[1], new.id)
    with project.session() as s:  # the background refresh suggests the new code elsewhere
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[3], code_id=new.id, score=0.4, model_id="m")])
    coding.add_coding(project, ex[3], "trust")  # a later step, not undone with it
    assert [u["action"] for u in coding.undo(project, 1)] == ["code"]
    done = coding.undo(project, 1)
    assert done == [{"action": "code", "entity": "coding", "entity_id": done[0]["entity_id"],
                     "new_codes": ["Barr"]}]
    assert cbs.get_codebook(project).get(new.id) is None
    with project.session(readonly=True) as s:
        assert not [c for c in store.list_codings(s)] and not store.list_suggestions(s)
    text = messages.undone_message(project, done)
    assert text.startswith("Undone: coding “Barr” on ") and text.endswith(
        "The new code “Barr” made for it is gone from the codebook too.")
    # without one_undo, as from the Codebook page: the code's own undo, pending suggestions no bar
    other = cbs.add_code(project, {"name": "Waiting list", "definition": "Places."})
    with project.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[3], code_id=other.id, score=0.4, model_id="m")])
    assert [u["action"] for u in coding.undo(project, 1)] == ["code_add"]
    with project.session(readonly=True) as s:
        assert not store.list_suggestions(s)
    # a decided suggestion is use: refused, in the code's name
    third = cbs.add_code(project, {"name": "Fees", "definition": "Money asked."})
    with project.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[3], code_id=third.id, score=0.4, model_id="m")])
        sid = store.list_suggestions(s)[0].id
    coding.reject_suggestion(project, sid)
    coding.undo(project, 1)  # the rejection
    coding.reject_suggestion(project, sid)
    with pytest.raises(CodebookError, match="the code “Fees” has been used since"):
        cbs.undo_codebook(project)
