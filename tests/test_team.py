"""Team service: agreement from real codings, disagreements and consensus, audit, undo,
independent coding. Runs on SQLite and on a throwaway PostgreSQL server."""

from __future__ import annotations

import csv
import json
import math
import warnings

import krippendorff
import pytest
from sklearn.metrics import cohen_kappa_score

from qualcode import services
from qualcode.core import Suggestion
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.services import coding, team
from qualcode.storage import coding as store
from qualcode.storage import documents
from tests.conftest import make_document
from tests.pg_helpers import db_url, pg_server  # noqa: F401

N = 12


@pytest.fixture
def tp(db_url):  # noqa: F811
    """A project with one 12-excerpt document; returns (ctx alice, ctx bob, excerpts)."""
    ctx = services.init_project(None, db_url=db_url, coder="alice")
    turns = [("Ana", "participant", f"Sentence number {i} about trust, buy-in and evidence in the team.")
             for i in range(N)]
    with ctx.session() as s:
        doc_id = documents.add_document(s, make_document("doc", turns))
        ex = documents.load_document(s, doc_id).excerpts
    yield ctx, ctx.as_coder("bob"), ex
    ctx.close()


def _kappa(a, b):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = cohen_kappa_score(a, b)
    return None if math.isnan(v) else v


def _close(a, b):
    return (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, abs_tol=1e-9))


def test_agreement_matches_references_on_real_codings(tp):
    alice, bob, ex = tp
    a_trust = [1, 1, 0, 0, 1, 0, 1, 0, 0, 1]
    b_trust = [1, 0, 0, 0, 1, 0, 1, 1, 0, 1]
    for i in range(10):  # both review excerpts 0..9
        for ctx, ratings in ((alice, a_trust), (bob, b_trust)):
            if ratings[i]:
                e = ex[i]
                # a narrow span counts as applying the code to the excerpt
                coding.add_coding(ctx, e.id, "trust", start=e.start, end=e.start + 4 + i)
            else:
                coding.mark_reviewed(ctx, ex[i].id)
    coding.add_coding(alice, ex[10].id, "trust")  # only alice reviewed it: not a unit
    coding.add_coding(alice, ex[3].id, "buy_in")
    coding.add_coding(bob, ex[3].id, "buy_in")
    coding.add_coding(bob, ex[4].id, "buy_in")

    result = team.agreement(alice, coders=["alice", "bob"])
    assert result["units"] == 10 and result["coders"] == ["alice", "bob"]
    trust = result["codes"]["trust"]
    assert trust["units"] == 10
    assert trust["applied"] == {"alice": 5, "bob": 5}
    assert _close(trust["cohen_kappa"], _kappa(a_trust, b_trust))
    assert _close(trust["krippendorff_alpha"],
                  krippendorff.alpha(reliability_data=[a_trust, b_trust], level_of_measurement="nominal"))
    assert trust["percent_agreement"] == pytest.approx(0.8)
    assert trust["label"] and "10 excerpts" in trust["summary"]
    unused = result["codes"]["evidence"]
    assert unused["cohen_kappa"] is None and unused["percent_agreement"] == 1.0
    assert "cannot be computed" in unused["summary"]
    # overall pools the codes somebody applied (trust, buy_in): 20 yes/no decisions
    a_all = a_trust + [int(i == 3) for i in range(10)]
    b_all = b_trust + [int(i in (3, 4)) for i in range(10)]
    overall = result["overall"]
    assert overall["units"] == 10 and overall["decisions"] == 20 and overall["codes"] == 2
    assert _close(overall["cohen_kappa"], _kappa(a_all, b_all))
    only = team.agreement(alice, code="trust")
    assert list(only["codes"]) == ["trust"] and _close(only["overall"]["cohen_kappa"], trust["cohen_kappa"])


def test_character_level_counts_characters(tp):
    alice, bob, ex = tp
    e = ex[0]
    coding.add_coding(alice, e.id, "trust", start=e.start, end=e.start + 10)
    coding.add_coding(bob, e.id, "trust", start=e.start + 5, end=e.start + 20)
    coding.mark_reviewed(alice, ex[1].id)
    coding.mark_reviewed(bob, ex[1].id)
    r = team.agreement(alice, code="trust", level="character")
    length = (e.end - e.start) + (ex[1].end - ex[1].start)
    a = [int(e.start <= c < e.start + 10) for c in range(e.start, e.end)] + [0] * (ex[1].end - ex[1].start)
    b = [int(e.start + 5 <= c < e.start + 20) for c in range(e.start, e.end)] + [0] * (ex[1].end - ex[1].start)
    f = r["codes"]["trust"]
    assert f["units"] == length == r["units"]
    assert f["applied"] == {"alice": 10, "bob": 15}
    assert _close(f["cohen_kappa"], _kappa(a, b))
    assert "characters" in f["summary"]


def test_three_coders_and_the_engine(tp):
    alice, bob, ex = tp
    carol = alice.as_coder("carol")
    with alice.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[i].id, code_id="trust", score=0.9, model_id="m")
                                     for i in (0, 1)])
    for ctx, coded in ((alice, (0, 1)), (bob, (0,)), (carol, (0, 2))):
        for i in range(4):
            if i in coded:
                coding.add_coding(ctx, ex[i].id, "trust")
            else:
                coding.mark_reviewed(ctx, ex[i].id)
    r = team.agreement(alice, code="trust")
    assert r["coders"] == ["alice", "bob", "carol"]
    assert "cohen_kappa" not in r["codes"]["trust"] and r["codes"]["trust"]["fleiss_kappa"] is not None
    ratings = [[1, 1, 0, 0], [1, 0, 0, 0], [1, 0, 1, 0]]
    assert _close(r["codes"]["trust"]["krippendorff_alpha"],
                  krippendorff.alpha(reliability_data=ratings, level_of_measurement="nominal"))
    assert [p["coders"] for p in r["pairs"]] == [["alice", "bob"], ["alice", "carol"], ["bob", "carol"]]
    e = team.agreement(alice, coders=["alice"], code="trust", include_engine=True)
    assert e["coders"] == ["alice", "engine"]
    assert e["codes"]["trust"]["cohen_kappa"] == 1.0  # the engine proposed exactly alice's codes
    with_engine = team.agreement(alice, code="trust", include_engine=True)
    engine_pairs = {tuple(p["coders"]): p for p in with_engine["pairs"] if "engine" in p["coders"]}
    assert set(engine_pairs) == {("alice", "engine"), ("bob", "engine"), ("carol", "engine")}
    assert engine_pairs[("bob", "engine")]["codes"]["trust"]["applied"] == {"bob": 1, "engine": 2}


def test_agreement_errors_say_what_to_do(tp):
    alice, _bob, ex = tp
    coding.add_coding(alice, ex[0].id, "trust")
    with pytest.raises(QualcodeError, match="two coders") as err:
        team.agreement(alice)
    assert err.value.hint
    with pytest.raises(NotFoundError, match="zoe"):
        team.agreement(alice, coders=["alice", "zoe"])
    with pytest.raises(NotFoundError, match="no code"):
        team.agreement(alice, coders=["alice"], include_engine=True, code="nope")
    with pytest.raises(QualcodeError, match="level"):
        team.agreement(alice, level="word")


def test_disagreements_resolve_consensus_and_undo(tp):
    alice, bob, ex = tp
    coding.add_coding(alice, ex[0].id, "trust")
    coding.add_coding(bob, ex[0].id, "trust")          # agreed: not listed
    coding.add_coding(alice, ex[1].id, "trust")
    coding.add_coding(alice, ex[1].id, "buy_in")
    coding.add_coding(bob, ex[1].id, "trust")           # differs on buy_in
    coding.add_memo(bob, "not sure about buy-in here", excerpt_id=ex[1].id)
    coding.add_coding(alice, ex[2].id, "evidence")
    coding.mark_reviewed(bob, ex[2].id)                 # differs: bob saw nothing
    coding.add_coding(alice, ex[3].id, "trust")         # only alice: not listed
    before = team.agreement(alice)

    items = team.disagreements(alice)
    assert [d["excerpt_id"] for d in items] == [ex[1].id, ex[2].id]
    first = items[0]
    assert first["coders"] == {"alice": ["buy_in", "trust"], "bob": ["trust"]}
    assert first["differing"] == ["buy_in"] and first["agreed"] == ["trust"]
    assert first["memos"] == {"bob": ["not sure about buy-in here"]}
    assert first["text"] == ex[1].text and first["resolved"] is False

    r = team.resolve_disagreement(bob, ex[1].id, ["trust"])
    assert r["added"] == ["trust"]
    with alice.session(readonly=True) as s:
        cons = [c for c in store.list_codings(s, excerpt_ids=[ex[1].id]) if c.origin.value == "consensus"]
    assert [(c.coder, c.code_id) for c in cons] == [("consensus", "trust")]
    ev = team.audit_log(alice, action="consensus")[0]
    assert ev["coder"] == "bob" and ev["after"]["codes"] == ["trust"] and ev["entity_id"] == str(ex[1].id)
    assert [d["excerpt_id"] for d in team.disagreements(alice)] == [ex[2].id]
    resolved = team.disagreements(alice, include_resolved=True)[0]
    assert resolved["resolved"] and resolved["consensus"] == ["trust"]
    # resolving never changes the people's agreement; the consensus coder is not compared
    after = team.agreement(alice)
    assert after["coders"] == ["alice", "bob"] and after["overall"] == before["overall"]

    team.resolve_disagreement(alice, ex[1].id, ["buy_in"])   # resolve again: replaces
    assert team.disagreements(alice, include_resolved=True)[0]["consensus"] == ["buy_in"]
    undone = team.undo(alice, 1)
    assert undone == [{"action": "consensus", "entity": "excerpt", "entity_id": str(ex[1].id)}]
    assert team.disagreements(alice, include_resolved=True)[0]["consensus"] == ["trust"]
    assert team.undo(bob, 1)[0]["action"] == "consensus"  # bob's own resolution
    assert [d["excerpt_id"] for d in team.disagreements(alice)] == [ex[1].id, ex[2].id]
    assert team.undo(bob, 1)[0]["action"] == "review"  # bob un-reviews excerpt 2: no longer compared
    assert [d["excerpt_id"] for d in team.disagreements(alice)] == [ex[1].id]
    with pytest.raises(QualcodeError, match="reserved"):
        team.resolve_disagreement(alice.as_coder("consensus"), ex[2].id, [])
    with pytest.raises(NotFoundError):
        team.resolve_disagreement(alice, ex[2].id, ["no_such_code"])


def test_pooled_counts_read_the_consensus_alone_where_one_is_recorded(tp):
    """Walk 43: an excerpt alice coded Trust and bob Evidence, resolved as Trust, still counted
    for Evidence in the pooled Themes, its drill-down and the exports. Where a consensus is
    recorded it is now the excerpt's codes (none, when the agreed set is empty); each coder's own
    count, and the excerpts nobody resolved, are unchanged; undoing the resolution restores it."""
    from qualcode.services import analysis, export

    alice, bob, ex = tp
    coding.add_coding(alice, ex[0].id, "trust")
    coding.add_coding(bob, ex[0].id, "evidence")       # resolved: trust
    coding.add_coding(alice, ex[1].id, "buy_in")
    coding.add_coding(bob, ex[1].id, "buy_in")         # agreed, never resolved
    coding.add_coding(alice, ex[2].id, "evidence")
    coding.mark_reviewed(bob, ex[2].id)                # resolved: no code applies
    coding.add_coding(alice, ex[3].id, "evidence")     # alice alone
    with alice.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[i].id, code_id="buy_in", score=0.8, model_id="m")
                                     for i in (0, 5)])

    def counted(**kw):
        f = analysis.frequencies(alice, rollup=False, **kw)
        return {c: int(n) for c, n in zip(f["code_id"], f["excerpts"]) if n}

    def quoted(code_id, **kw):
        return sorted(int(e) for e in analysis.retrieve(alice, code_id=code_id, rollup=False, **kw)["excerpt_id"])

    def together():
        pairs = analysis.cooccurrence(alice, only_pairs=True)
        return sorted(sorted(p) for p in zip(pairs.iloc[:, 0], pairs.iloc[:, 1]))

    assert counted() == {"trust": 1, "buy_in": 1, "evidence": 3}
    assert together() == [["evidence", "trust"]]
    team.resolve_disagreement(bob, ex[0].id, ["trust"])
    team.resolve_disagreement(alice, ex[2].id, [])
    assert counted() == {"trust": 1, "buy_in": 1, "evidence": 1}
    assert quoted("evidence") == [ex[3].id] and quoted("trust") == [ex[0].id]
    assert analysis.retrieve(alice, code_id="trust")["coders"].tolist() == ["consensus"]
    # the pending suggestion on the settled excerpt does not count; the one on ex 5 does
    assert counted(include="pending") == {"trust": 1, "buy_in": 2, "evidence": 1}
    assert quoted("buy_in", include="pending") == [ex[1].id, ex[5].id]
    # each coder's own codings are theirs still
    assert counted(coder="bob") == {"evidence": 1, "buy_in": 1}
    assert quoted("evidence", coder="bob") == [ex[0].id]
    assert counted(coder="consensus") == {"trust": 1}
    # co-occurrence, the excerpts export and the report read the same codings
    assert together() == []
    table = export.excerpts_table(alice)
    assert sorted(int(e) for e in table["excerpt_id"]) == [ex[0].id, ex[1].id, ex[3].id]
    assert table[table["excerpt_id"] == ex[0].id]["code_id"].tolist() == ["trust"]
    # the report says so, as Themes and the Export page do (walk 46: Export did not)
    from qualcode.core.text import CONSENSUS_RULE
    report = export.report_bytes(alice, fmt="md").decode("utf-8")
    assert CONSENSUS_RULE in report[:3000]
    # undoing a resolution gives the excerpt back to its coders
    team.undo(alice, 1)
    assert counted() == {"trust": 1, "buy_in": 1, "evidence": 2}
    team.undo(bob, 1)
    assert counted() == {"trust": 1, "buy_in": 1, "evidence": 3}


def test_every_decision_is_audited_with_who_before_and_after(tp, tmp_path):
    alice, bob, ex = tp
    with alice.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0].id, code_id="trust", score=0.8, model_id="m"),
                                     Suggestion(excerpt_id=ex[1].id, code_id="trust", score=0.7, model_id="m")])
        sids = [sg.id for sg in store.list_suggestions(s)]
    coding.accept_suggestion(alice, sids[0])
    coding.reject_suggestion(bob, sids[1])
    cid = coding.add_coding(bob, ex[2].id, "evidence")
    coding.remove_coding(bob, cid)
    coding.add_memo(alice, "memo", excerpt_id=ex[2].id)
    coding.mark_reviewed(alice, ex[3].id)
    team.resolve_disagreement(alice, ex[0].id, ["trust"])
    team.set_independent_coding(alice, True)
    team.undo(bob, 1)
    log = team.audit_log(alice)
    actions = [e["action"] for e in reversed(log)]
    assert actions == ["accept", "reject", "code", "uncode", "memo", "review", "consensus", "setting", "undo"]
    for e in log:
        assert e["coder"] in ("alice", "bob") and e["at"] is not None and e["at"].tzinfo is not None
    by = {e["action"]: e for e in log}
    assert by["accept"]["before"]["status"] == "pending" and by["accept"]["after"]["status"] == "accepted"
    assert by["uncode"]["before"]["code_id"] == "evidence" and by["uncode"]["after"] is None
    assert by["setting"]["after"] == {"value": True}
    assert by["undo"]["coder"] == "bob" and by["undo"]["undo_of"] == by["uncode"]["id"]
    assert by["uncode"]["undone"] is True

    assert {e["action"] for e in team.audit_log(alice, coder="bob")} == {"reject", "code", "uncode", "undo"}
    assert [e["action"] for e in team.audit_log(alice, action=["accept", "reject"])] == ["reject", "accept"]
    assert len(team.audit_log(alice, limit=2)) == 2
    assert team.audit_log(alice, since="2999-01-01") == []
    assert len(team.audit_log(alice, until="2999-01-01")) == len(log)
    assert len(team.audit_log(alice, since=log[-1]["at"])) == len(log)
    assert team.audit_log(alice, entity="setting")[0]["entity_id"] == "independent_coding"
    with pytest.raises(QualcodeError, match="not a date"):
        team.audit_log(alice, since="yesterday")

    n = team.export_audit(alice, tmp_path / "audit.csv")
    rows = list(csv.DictReader((tmp_path / "audit.csv").open(encoding="utf-8")))
    assert n == len(rows) == len(log)
    assert rows[0]["action"] == "accept" and json.loads(rows[0]["after"])["status"] == "accepted"
    assert rows[0]["change"].startswith("Accepted “")  # each change in words too (walk 51)
    assert team.export_audit(alice, tmp_path / "a.json", coder="alice") == 5
    data = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    assert [d["action"] for d in data][:2] == ["accept", "memo"]
    with pytest.raises(QualcodeError, match="audit log as"):
        team.export_audit(alice, tmp_path / "a.xlsx")


def test_independent_coding_hides_other_coders(tp):
    alice, bob, ex = tp
    with alice.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0].id, code_id="trust", score=0.8, model_id="m")])
        sid = store.list_suggestions(s)[0].id
    coding.accept_suggestion(bob, sid)
    coding.add_coding(alice, ex[1].id, "evidence")
    team.resolve_disagreement(alice, ex[2].id, ["buy_in"])
    assert {c.coder for c in team.visible_codings(alice)} == {"alice", "bob", "consensus"}
    assert team.independent_coding(alice) is False
    team.set_independent_coding(alice, True)
    assert team.independent_coding(bob) is True
    assert {c.coder for c in team.visible_codings(alice)} == {"alice", "consensus"}
    assert {c.coder for c in team.visible_codings(bob, excerpt_ids=[ex[0].id, ex[1].id])} == {"bob"}
    seen_by_alice = team.visible_suggestions(alice)
    assert seen_by_alice[0].status.value == "pending" and seen_by_alice[0].decided_by is None
    assert team.visible_suggestions(bob)[0].status.value == "accepted"
    assert team.visible_suggestions(alice, status="accepted") == []
    team.set_independent_coding(alice, False)
    assert {c.coder for c in team.visible_codings(alice)} == {"alice", "bob", "consensus"}


def test_coders_summary(tp):
    alice, bob, ex = tp
    coding.add_coding(alice, ex[0].id, "trust")
    coding.mark_reviewed(bob, ex[0].id)
    rows = {r["coder"]: r for r in team.coders_summary(alice)}
    assert rows["alice"]["codings"] == 1 and rows["alice"]["reviewed"] == 1
    assert rows["bob"]["codings"] == 0 and rows["bob"]["reviewed"] == 1 and rows["bob"]["last_active"]


def test_coder_from_login_and_password():
    assert team.coder_from_login({"is_logged_in": True, "email": "Bob@Uni.edu", "name": "Bob B"}) == "bob@uni.edu"
    assert team.coder_from_login({"is_logged_in": True, "email": "bob@uni.edu"},
                                 aliases={"BOB@uni.edu": "bob"}) == "bob"
    assert team.coder_from_login({"is_logged_in": True, "name": "Carol  King"}) == "Carol King"
    assert team.coder_from_login({"is_logged_in": False, "email": "x@y.z"}) is None
    assert team.coder_from_login(None) is None and team.coder_from_login("  ") is None
    with pytest.raises(QualcodeError, match="reserved"):
        team.coder_from_login("Consensus")
    assert team.check_password("pw", "pw") and not team.check_password("pw", "other")
    assert not team.check_password("", "") and not team.check_password("pw", None)


def test_a_coder_removing_their_accepted_code_leaves_the_colleagues_accept(tp):
    """alice and bob both accept a suggestion; alice removes her coding (walk 13: the chip still
    read "accepted"). Her own verdict is now "rejected", bob's stays "accepted"."""
    from qualcode.services import ui_support

    alice, bob, ex = tp
    with alice.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[0].id, code_id="trust", score=0.8, model_id="m")])
        sid = store.list_suggestions(s, excerpt_ids=[ex[0].id])[0].id
    a = coding.accept_suggestion(alice, sid)
    coding.accept_suggestion(bob, sid)
    coding.remove_coding(alice, a)

    def status(ctx):
        view = ui_support.transcript_view(ctx, ex[0].document_id)
        return next(c.status for e in view.excerpts() if e.id == ex[0].id for c in e.state.chips)

    assert (status(alice), status(bob)) == ("rejected", "accepted")


def test_agreement_names_a_code_added_after_a_coder_had_finished_the_excerpts(tp):
    """Walk 18: a code added after anna finished a document, then applied by ben there, made its
    kappa 0.00: anna never had it to consider. The figures stay as they are (absence counts as
    "not applied"), and the result names how many such excerpts each coder has, per code."""
    from qualcode.services import codebook as cb_service
    from qualcode.ui.pages.agreement import late_notes

    alice, bob, ex = tp
    for e in ex[:3]:
        coding.mark_reviewed(alice, e.id)
    coding.add_coding(alice, ex[0].id, "trust")
    new = cb_service.add_code(alice, {"name": "Social connection", "definition": "Feeling part of a group."})
    coding.add_coding(bob, ex[0].id, "trust")
    coding.add_coding(bob, ex[1].id, new.id)  # alice finished ex[1] before the code existed
    coding.mark_reviewed(bob, ex[2].id)
    coding.mark_reviewed(alice, ex[3].id)  # reviewed after: she could have used it
    coding.add_coding(bob, ex[3].id, new.id)
    result = team.agreement(alice, coders=["alice", "bob"])
    assert result["late"] == {new.id: {"alice": 1}}
    assert result["codes"][new.id]["applied"] == {"alice": 0, "bob": 2}  # the figures are unchanged
    from qualcode.ui.pages.agreement import two_by_two

    assert two_by_two(result["codes"][new.id], ["alice", "bob"]) == (
        "Of the 4 excerpts both reviewed: both applied it on 0, only alice on 0, only bob on 2, neither on 2.")
    (note,) = late_notes(result, {new.id: "Social connection"})
    assert note.startswith("Social connection was added to the codebook after alice had finished 1 excerpt where a "
                           "colleague applied it")
    # alice looks again at ex[1] for it ("Look again" on the Code page): a chip she turns down is
    # a considered "no", and the note goes; the figures stay the same
    with alice.session() as s:
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex[1].id, code_id=new.id, score=0.6, model_id="m")])
        sid = next(sg.id for sg in store.list_suggestions(s, excerpt_ids=[ex[1].id]) if sg.code_id == new.id)
    coding.reject_suggestion(alice, sid)
    again = team.agreement(alice, coders=["alice", "bob"])
    assert again["late"] == {} and late_notes(again, {new.id: "Social connection"}) == []
    assert again["codes"][new.id]["applied"] == {"alice": 0, "bob": 2}


def test_agreement_leaves_out_a_speaker_made_interviewer_after_coding(db_url):  # noqa: F811
    """Walk 22: Rose, a co-interviewer imported as a participant, was coded, then made
    interviewer; Agreement still compared the coders on her 5 lines (now not codable) and said
    nothing. Her lines leave the units (and the disagreements), and the result says how many."""
    from qualcode.services import documents_edit

    alice = services.init_project(None, db_url=db_url, coder="alice")
    try:
        turns = [("Rose" if i % 3 == 0 else "Ana", "participant", f"Line {i} about trust in the team.")
                 for i in range(9)]
        with alice.session() as s:
            doc_id = documents.add_document(s, make_document("doc", turns))
            ex = documents.load_document(s, doc_id).excerpts
        bob = alice.as_coder("bob")
        rose = {e.id for e in ex if e.order % 3 == 0}
        for e in ex:  # both finish everything; they differ on trust on Rose's lines only
            coding.add_coding(alice, e.id, "trust")
            if e.id in rose:
                coding.mark_reviewed(bob, e.id)
            else:
                coding.add_coding(bob, e.id, "trust")
        before = team.agreement(alice, coders=["alice", "bob"])
        assert (before["units"], before["not_coded"]) == (9, 0)
        assert before["codes"]["trust"]["percent_agreement"] == pytest.approx(6 / 9)
        assert {d["excerpt_id"] for d in team.disagreements(alice, coders=["alice", "bob"])} == rose
        documents_edit.set_roles(alice, [(doc_id, "Rose", "interviewer")])
        after = team.agreement(alice, coders=["alice", "bob"])
        assert (after["units"], after["not_coded"]) == (6, 3)
        assert after["codes"]["trust"]["percent_agreement"] == 1.0
        assert team.disagreements(alice, coders=["alice", "bob"]) == []
        documents_edit.set_roles(alice, [(doc_id, "Rose", "participant")])
        assert team.agreement(alice, coders=["alice", "bob"])["units"] == 9
    finally:
        alice.close()


def test_blindness_counts_the_excerpts_a_coder_decided_with_a_colleagues_codes_on_screen(tp):
    """Walk 29: with independent coding off, the second coder saw the first one's codes beside each
    excerpt, and nothing said the comparison was not blind. An excerpt is open when a coder
    finished it after a colleague had, while the setting was off; a toggle's undo counts."""
    alice, bob, ex = tp
    for e in ex[:6]:
        coding.add_coding(alice, e.id, "trust")
    coding.add_coding(bob, ex[0].id, "trust")   # off, after alice: open
    coding.mark_reviewed(bob, ex[1].id)          # off, after alice: open
    team.set_independent_coding(alice, True)
    coding.add_coding(bob, ex[2].id, "trust")   # on: blind
    coding.mark_reviewed(bob, ex[3].id)
    assert team.blindness(alice, coders=["alice", "bob"]) == {"compared": 4, "open": 2, "independent": True}
    team.undo(alice, 1)                          # the toggle undone: off again from now on
    coding.add_coding(bob, ex[4].id, "buy_in")  # off again: open
    assert team.blindness(bob, coders=["alice", "bob"]) == {"compared": 5, "open": 3, "independent": False}
    # the first to finish an excerpt saw nobody's codes there, whatever the setting
    coding.add_coding(bob, ex[8].id, "trust")
    coding.add_coding(alice, ex[8].id, "trust")  # alice after bob, off: open
    coding.add_coding(bob, ex[9].id, "trust")
    got = team.blindness(alice, coders=["alice", "bob"], excerpt_ids=[ex[0].id, ex[2].id, ex[9].id])
    assert got == {"compared": 2, "open": 1, "independent": False}  # ex 9: bob alone
    assert team.blindness(alice, coders=["alice", "bob"])["open"] == 4


def test_blindness_counts_a_merged_colleagues_work_as_made_elsewhere(tp, tmp_path):
    """A colleague's .qdpx merged in was coded in another program: never open itself, and the
    coders here who finish those excerpts after it arrived, with independent coding off, are."""
    import io
    import zipfile

    from qualcode.services import export as export_svc
    from qualcode.services import merge

    alice, bob, ex = tp
    for e in ex[:4]:
        coding.add_coding(alice, e.id, "trust")
    raw = export_svc.qdpx_bytes(alice)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            if item.filename == "qualcode.json":
                continue
            data = zin.read(item)
            if item.filename == "project.qde":
                data = data.replace(b'name="alice"', b'name="nadia"')
            zout.writestr(item, data)
    done = merge.merge_qdpx(alice, out.getvalue())
    assert done["codings"] == 4
    assert team.blindness(alice, coders=["alice", "nadia"]) == {"compared": 4, "open": 0, "independent": False}
    coding.add_coding(bob, ex[0].id, "trust")  # bob, here, after both, with the setting off
    assert team.blindness(alice, coders=["bob", "nadia"])["open"] == 1
