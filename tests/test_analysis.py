"""Every statistic against hand-computed values on the small project of analysis_helpers,
and the tests against scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from qualcode.analysis.compare import bh_adjust, table_test
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.services import analysis
from tests.analysis_helpers import build_small_project, start_d4
from tests.pg_helpers import db_url, pg_server  # noqa: F401

MINE = ["rel", "rel_trust", "rel_buyin", "evid"]


@pytest.fixture
def small(project):
    return build_small_project(project)


def rows(df, key="code_id"):
    return {r[key]: r for r in df[df["code_id"].isin(MINE)].to_dict("records")}


def test_frequencies_overall(project, small):
    f = rows(analysis.frequencies(project))
    # rel_trust: excerpts D1e1 (alice+bob: once), D2e2, D3e1 = 3; documents D1, D2, D3 = 3;
    # participants Ana, Cara, Dan = 3
    assert (f["rel_trust"]["excerpts"], f["rel_trust"]["documents"], f["rel_trust"]["participants"]) == (3, 3, 3)
    # rel_buyin: D2e1, D2e2, D3e2 = 3 excerpts; D2, D3 = 2 documents; Ben, Cara, Dan = 3
    assert (f["rel_buyin"]["excerpts"], f["rel_buyin"]["documents"], f["rel_buyin"]["participants"]) == (3, 2, 3)
    # evid: D1e3, D3e1 = 2; D1, D3 = 2; Ana, Dan = 2
    assert (f["evid"]["excerpts"], f["evid"]["documents"], f["evid"]["participants"]) == (2, 2, 2)
    # rel rolls up: {D1e1, D2e2, D3e1} | {D2e1, D2e2, D3e2} = 5 excerpts (D2e2 once, not 6);
    # documents D1, D2, D3 = 3; participants Ana, Cara, Dan, Ben = 4
    assert (f["rel"]["excerpts"], f["rel"]["documents"], f["rel"]["participants"]) == (5, 3, 4)
    # 4 documents: 3/4 = 75 %, 2/4 = 50 %
    assert f["rel_trust"]["pct_documents"] == pytest.approx(75.0)
    assert f["evid"]["pct_documents"] == pytest.approx(50.0)
    # participant words: D1 7+4, D2 4+4, D3 5+3, D4 4 = 31; rate = 1000 * excerpts / 31
    assert f["rel"]["words"] == 31
    assert f["rel"]["per_1000_words"] == pytest.approx(1000 * 5 / 31)
    assert f["rel_trust"]["per_1000_words"] == pytest.approx(1000 * 3 / 31)
    assert f["evid"]["per_1000_words"] == pytest.approx(1000 * 2 / 31)
    # participants in the project: Ana, Ben, Cara, Dan, Eve = 5
    assert f["rel"]["participants_total"] == 5


def test_unused_codes_get_zero_rows(project, small):
    f = analysis.frequencies(project)
    assert f["code_id"].is_unique
    assert (f.loc[~f["code_id"].isin(MINE), "excerpts"] == 0).all()


def test_frequencies_by_year(project, small):
    f = analysis.frequencies(project, by="year")
    got = {(r["year"], r["code_id"]): r for r in f[f["code_id"].isin(MINE)].to_dict("records")}
    assert list(dict.fromkeys(f["year"])) == ["2018", "2021"]
    # 2018 = D1, D2 (words 11 + 8 = 19); 2021 = D3, D4 (words 8 + 4 = 12)
    t18, t21 = got[("2018", "rel_trust")], got[("2021", "rel_trust")]
    assert (t18["excerpts"], t18["documents"], t18["participants"], t18["documents_total"]) == (2, 2, 2, 2)
    assert t18["pct_documents"] == pytest.approx(100.0)
    assert t18["per_1000_words"] == pytest.approx(1000 * 2 / 19)
    assert (t21["excerpts"], t21["documents"], t21["pct_documents"]) == (1, 1, 50.0)
    assert t21["per_1000_words"] == pytest.approx(1000 * 1 / 12)
    # rel 2018: D1e1, D2e1, D2e2 = 3 excerpts, 2 docs, Ana+Ben+Cara = 3; 2021: D3e1, D3e2 = 2, 1 doc, Dan
    r18, r21 = got[("2018", "rel")], got[("2021", "rel")]
    assert (r18["excerpts"], r18["documents"], r18["participants"]) == (3, 2, 3)
    assert (r21["excerpts"], r21["documents"], r21["participants"]) == (2, 1, 1)
    # buy-in 2018: D2e1, D2e2 in one document of two = 50 %
    assert (got[("2018", "rel_buyin")]["excerpts"], got[("2018", "rel_buyin")]["pct_documents"]) == (2, 50.0)


def test_frequencies_by_speaker_attribute(project, small):
    f = analysis.frequencies(project, by="position")
    got = {(r["position"], r["code_id"]): r for r in f[f["code_id"].isin(MINE)].to_dict("records")}
    # teachers: Ana, Cara, Eve (documents D1, D2, D4; words 11 + 4 + 4 = 19);
    # principals: Ben, Dan (documents D2, D3; words 4 + 8 = 12)
    t = got[("teacher", "rel_trust")]  # D1e1 (Ana), D2e2 (Cara)
    assert (t["excerpts"], t["documents"], t["participants"], t["documents_total"], t["participants_total"]) == (2, 2, 2, 3, 3)
    assert t["per_1000_words"] == pytest.approx(1000 * 2 / 19)
    p = got[("principal", "rel_buyin")]  # D2e1 (Ben), D3e2 (Dan)
    assert (p["excerpts"], p["documents"], p["participants"], p["documents_total"]) == (2, 2, 2, 2)
    assert p["per_1000_words"] == pytest.approx(1000 * 2 / 12)
    # interviewers/facilitators have no position: their group exists but carries nothing
    assert got[("(not set)", "rel")]["excerpts"] == 0


def test_frequencies_by_role(project, small):
    f = analysis.frequencies(project, by="role")
    got = {(r["role"], r["code_id"]): r for r in f[f["code_id"].isin(MINE)].to_dict("records")}
    assert got[("participant", "rel")]["excerpts"] == 5
    assert got[("interviewer", "rel")]["excerpts"] == 0


def test_include_pending_and_one_coder(project, small):
    pend = rows(analysis.frequencies(project, include="pending"))
    # pending adds evid on D4e1 and D2e1: D1e3, D3e1, D4e1, D2e1 = 4 excerpts in 4 documents;
    # rel_trust on D1e1 is already coded: still 3
    assert (pend["evid"]["excerpts"], pend["evid"]["documents"]) == (4, 4)
    assert pend["rel_trust"]["excerpts"] == 3
    bob = rows(analysis.frequencies(project, coder="bob"))
    # bob: rel_trust D1e1; rel_buyin D2e2, D3e2; rel = 3; evid none
    assert (bob["rel_trust"]["excerpts"], bob["rel_buyin"]["excerpts"], bob["rel"]["excerpts"], bob["evid"]["excerpts"]) == (1, 2, 3, 0)
    with pytest.raises(NotFoundError):
        analysis.frequencies(project, coder="nobody")
    with pytest.raises(QualcodeError):
        analysis.frequencies(project, include="everything")


def test_unknown_attribute_is_a_clear_error(project, small):
    with pytest.raises(NotFoundError, match="no attribute"):
        analysis.frequencies(project, by="shoe_size")


def test_crosstab(project, small):
    ct = analysis.crosstab(project, by="year")
    r = ct.set_index("code_id").loc["rel_trust"]
    assert (r["2018 n"], r["2018 %"], r["2021 n"], r["2021 %"], r["Total n"], r["Total %"]) == (2, 100.0, 1, 50.0, 3, 75.0)
    ex = analysis.crosstab(project, by="district", measure="excerpts").set_index("code_id").loc["rel"]
    # of codable excerpts (an interviewer's lines are never coded): North = D1 (2 of its 4
    # excerpts) + D3 (2 of 3) = 4; rel coded on D1e1, D3e1, D3e2 = 3 -> 3/4
    assert ex["North n"] == 3 and ex["North %"] == pytest.approx(100 * 3 / 4)
    # South = D2 (3, its facilitator's line codable here) + D4 (2) = 5; rel on D2e1, D2e2 -> 2/5
    assert ex["South n"] == 2 and ex["South %"] == pytest.approx(40.0)


def test_compare_small_counts_use_fisher(project, small):
    start_d4(project, small)  # looked at, no code: D4 counts as a 2021 document without any
    c = analysis.compare(project, by="year").set_index("code_id")
    r = c.loc["rel_trust"]
    # table with/without x 2018/2021 = [[2, 1], [0, 1]]; expected [[1.5, 1.5], [.5, .5]] < 5 -> Fisher
    assert r["test"] == "fisher"
    assert r["p"] == pytest.approx(stats.fisher_exact([[2, 1], [0, 1]])[1])
    # Pearson chi2 = 2 * .25/1.5 + 2 * .25/.5 = 4/3; V = sqrt((4/3) / 4) = 0.57735
    assert r["cramers_v"] == pytest.approx(math.sqrt((4 / 3) / 4))
    assert r["difference"] == pytest.approx(50.0 - 100.0)
    assert r["small_groups"] == "2018, 2021"  # 2 documents each < 5
    # codes nobody used (the default codebook's) cannot be tested: p is NaN, not adjusted
    unused = c[(c["2018 n"] + c["2021 n"]) == 0]
    assert len(unused) > 0
    assert (unused["test"] == "none").all() and unused["p"].isna().all() and unused["p_adjusted"].isna().all()


def test_compare_leaves_out_documents_nobody_has_started(project, small):
    """Walk 48: a cohort none of whose 22 respondents had been coded yet came out "0 of 18 (0%)
    against 12 of 22 (55%)", p < 0.001, "more often in Spring": untouched documents counted as
    documents without the code. A comparison reads only documents someone has started; the
    frequencies still count every document (with Themes' note on those not started)."""
    c = analysis.compare(project, by="year").set_index("code_id")
    assert c.attrs["not_started"] == 1  # D4, nobody has reviewed or coded it
    r = c.loc["rel_trust"]
    assert (r["2018 n"], r["2018 N"], r["2021 n"], r["2021 N"]) == (2, 2, 1, 1)
    assert r["test"] == "none" and np.isnan(r["p"])  # in every started document: nothing to test
    f = analysis.frequencies(project, by="year").set_index(["year", "code_id"])
    assert f.loc[("2021", "rel_trust"), "documents_total"] == 2
    # per coder: the documents that coder started (bob coded D1, D2 and D3, not D4)
    assert analysis.compare(project, by="year", coder="bob").attrs["not_started"] == 1
    # a group none of whose documents is started is not in the comparison at all
    d = analysis.compare(project, by="district", coder="bob").set_index("code_id")
    assert d.attrs["not_started"] == 1 and "South N" in d.columns  # D2 (South) is bob's
    # a group asked for by name whose documents nobody has started: said so, not "no such value"
    from qualcode.services import ingest

    for name, site in (("D1", "West"), ("D2", "West"), ("D3", "West"), ("D4", "East")):
        ingest.set_document_attribute(project, small.doc[name], "site", site)
    with pytest.raises(NotFoundError, match="site has no value 'East': no document of it has been coded by bob yet"):
        analysis.compare(project, by="site", groups=["West", "East"], coder="bob")
    with pytest.raises(NotFoundError) as typo:
        analysis.compare(project, by="year", groups=["2018", "2022"])
    assert "coded" not in str(typo.value)
    start_d4(project, small)
    c = analysis.compare(project, by="year").set_index("code_id")
    assert c.attrs["not_started"] == 0 and c.loc["rel_trust", "2021 N"] == 2
    # suggestions counted too (include="pending"): every document, as before
    assert analysis.compare(project, by="year", include="pending").attrs["not_started"] == 0


def test_table_test_matches_scipy_chi2_and_fisher():
    t = np.array([[30, 10, 25], [20, 40, 25]])
    res = table_test(t)
    chi2, p, dof, expected = stats.chi2_contingency(t, correction=False)
    assert res["test"] == "chi2"
    assert res["statistic"] == pytest.approx(chi2)
    assert res["p"] == pytest.approx(p)
    # Cramér's V = sqrt(chi2 / (n * (min(r, c) - 1))), n = 150
    assert res["cramers_v"] == pytest.approx(math.sqrt(chi2 / 150))
    small = np.array([[3, 0], [1, 6]])
    res = table_test(small)
    assert res["test"] == "fisher"
    assert res["p"] == pytest.approx(stats.fisher_exact(small)[1])
    big2 = np.array([[40, 20], [60, 80]])
    res = table_test(big2)
    assert res["test"] == "chi2"
    assert res["p"] == pytest.approx(stats.chi2_contingency(big2, correction=False)[1])
    assert table_test(np.array([[0, 0], [5, 5]]))["test"] == "none"


def test_bh_adjust_matches_scipy_and_hand_values():
    p = [0.01, 0.04, 0.03, 0.20, np.nan]
    # sorted 0.01, 0.03, 0.04, 0.20 (m = 4): 0.04, 0.06, 0.0533, 0.20 -> monotone: 0.04, 0.0533, 0.0533, 0.20
    adj = bh_adjust(p)
    assert adj[:4] == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.20])
    assert np.isnan(adj[4])
    assert adj[:4] == pytest.approx(stats.false_discovery_control(p[:4], method="bh"))


def test_cooccurrence_excerpt_and_document(project, small):
    co = analysis.cooccurrence(project)
    pair = {(r["code_a"], r["code_b"]): r for r in co.to_dict("records")}
    tb = pair[("rel_trust", "rel_buyin")]
    # excerpts: trust {D1e1, D2e2, D3e1}, buy-in {D2e1, D2e2, D3e2}: both on D2e2 -> 1; J = 1/(3+3-1)
    assert (tb["n_a"], tb["n_b"], tb["count"]) == (3, 3, 1)
    assert tb["jaccard"] == pytest.approx(0.2)
    te = pair[("rel_trust", "evid")]  # D3e1 -> 1; J = 1/(3+2-1)
    assert (te["count"], te["jaccard"]) == (1, pytest.approx(0.25))
    assert pair[("rel_buyin", "evid")]["count"] == 0
    doc = {(r["code_a"], r["code_b"]): r for r in analysis.cooccurrence(project, level="document").to_dict("records")}
    # documents: D1 {trust, evid}, D2 {buy-in, trust}, D3 {trust, evid, buy-in}
    assert (doc[("rel_trust", "rel_buyin")]["count"], doc[("rel_trust", "rel_buyin")]["jaccard"]) == (2, pytest.approx(2 / 3))
    assert (doc[("rel_trust", "evid")]["count"], doc[("rel_trust", "evid")]["jaccard"]) == (2, pytest.approx(2 / 3))
    assert (doc[("rel_buyin", "evid")]["count"], doc[("rel_buyin", "evid")]["jaccard"]) == (1, pytest.approx(1 / 3))
    m = analysis.cooccurrence_matrix(project, value="jaccard")
    assert m.loc["rel_trust", "rel_buyin"] == pytest.approx(0.2) and m.loc["rel_trust", "rel_trust"] == 1.0


def test_case_matrix(project, small):
    counts = analysis.matrix(project, values="counts").set_index("document")
    # coded excerpts per document, parents rolled up (rel: D2e1 + D2e2 = 2 in D2)
    assert counts.loc["D1", MINE].tolist() == [1, 1, 0, 1]
    assert counts.loc["D2", MINE].tolist() == [2, 1, 2, 0]
    assert counts.loc["D3", MINE].tolist() == [2, 1, 1, 1]
    assert counts.loc["D4", MINE].tolist() == [0, 0, 0, 0]
    binary = analysis.matrix(project).set_index("document")
    assert binary.loc["D2", MINE].tolist() == [1, 1, 1, 0]
    assert binary.loc["D1", "year"] == "2018"


def test_retrieve_is_the_drill_down_of_every_count(project, small):
    freq = analysis.frequencies(project, by="year")
    for r in freq[freq["code_id"].isin(MINE)].to_dict("records"):
        quotes = analysis.retrieve(project, code_id=r["code_id"], where={"year": r["year"]})
        assert quotes["excerpt_id"].nunique() == r["excerpts"], r
        assert quotes["document_id"].nunique() == r["documents"], r
    pending = analysis.frequencies(project, include="pending", by="position")
    for r in pending[pending["code_id"].isin(MINE)].to_dict("records"):
        q = analysis.retrieve(project, code_id=r["code_id"], position=r["position"], include="pending")
        assert q["excerpt_id"].nunique() == r["excerpts"], r


def test_retrieve_row_content(project, small):
    q = analysis.retrieve(project, code_id="rel_trust", year="2018")
    first = q.iloc[0]
    assert first["document"] == "D1" and first["quote"] == "We met the same people every time."
    assert first["code_path"] == "Relationships (test) > Trust (rel)"  # walk 36: the exports named no parent
    assert first["speaker"] == "P-Ana"  # the pseudonym, never the label
    assert "Ana" not in set(q["speaker"])
    assert first["role"] == "participant" and first["coders"] == "alice; bob" and first["n_coders"] == 2
    assert first["origin"] == "manual"
    assert first["memo"] == "alice: first mention of trust"
    assert first["previous_turn"] == "Interviewer: How did trust grow?"
    assert first["next_turn"] == "Interviewer: And the data?"
    assert (first["district"], first["year"], first["speaker.position"]) == ("North", "2018", "teacher")
    pend = analysis.retrieve(project, code_id="evid", document_id=small.doc["D4"], include="pending")
    assert pend["origin"].tolist() == ["pending"] and pend["coders"].tolist() == ["(suggestion)"]


def test_charts_render(project, small):
    from qualcode.analysis import charts

    png = analysis.chart_bytes(analysis.chart_bars(project, by="year"), fmt="png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = analysis.chart_bytes(analysis.chart_heatmap(project), fmt="svg")
    assert b"<svg" in svg[:500]
    trend = analysis.chart_trend(project, by="year", codes=["rel"])
    assert trend.to_dict()["mark"]["type"] == "line"
    with pytest.raises(ValueError):
        charts.render(trend, fmt="gif")


def test_same_numbers_on_sqlite_and_postgresql(db_url):  # noqa: F811
    """The bulk loaders use SQLite's group_concat and, elsewhere, aggregate_strings: both
    backends must give the hand-computed numbers (including a turn without a speaker)."""
    from qualcode import services

    ctx = services.init_project(None, db_url=db_url, coder="alice")
    try:
        small = build_small_project(ctx)
        f = rows(analysis.frequencies(ctx))
        assert (f["rel"]["excerpts"], f["rel"]["documents"], f["rel"]["participants"]) == (5, 3, 4)
        assert (f["rel_trust"]["excerpts"], f["evid"]["excerpts"]) == (3, 2)
        y = analysis.frequencies(ctx, by="year", include="pending").set_index(["year", "code_id"])
        assert y.loc[("2021", "evid"), "excerpts"] == 2  # D3e1 + pending D4e1
        assert analysis.frequencies(ctx, coder="bob").set_index("code_id").loc["rel", "excerpts"] == 3
        co = analysis.cooccurrence(ctx).set_index(["code_a", "code_b"])
        assert co.loc[("rel_trust", "rel_buyin"), "count"] == 1
        doc = analysis.cooccurrence(ctx, level="document").set_index(["code_a", "code_b"])
        assert doc.loc[("rel_trust", "evid"), "count"] == 2
        # Cara's turn (D2e2: rel_trust + rel_buyin) loses its speaker: still D2's excerpt,
        # no longer a participant's
        from sqlalchemy import update

        from qualcode.storage.models import ExcerptRow, TurnRow

        with ctx.session() as s:
            turn = s.get(ExcerptRow, small.ex[("D2", 2)]).turn_id
            s.execute(update(TurnRow).where(TurnRow.id == turn).values(speaker_id=None))
        f = rows(analysis.frequencies(ctx))
        assert (f["rel"]["excerpts"], f["rel"]["documents"], f["rel"]["participants"]) == (5, 3, 3)
        assert (f["rel_trust"]["participants"], f["rel_buyin"]["participants"]) == (2, 2)
    finally:
        ctx.close()


def test_excerpt_map_without_packing_gives_the_same_numbers(project, small, monkeypatch):
    """Ids too large to pack two to an integer take the two-column query instead."""
    import pandas as pd

    from qualcode.storage import analysis_queries

    packed = analysis.frequencies(project, by="role")
    monkeypatch.setattr(analysis_queries, "_HALF", 2)  # every id now counts as too large
    with project.session(readonly=True) as s:
        ids, who = analysis_queries._excerpt_who(s)
    assert len(ids) == 12 and set(who) == set(range(1, 10))  # 12 turns, 9 speakers
    pd.testing.assert_frame_equal(analysis.frequencies(project, by="role"), packed)
    f = rows(analysis.frequencies(project))
    assert (f["rel"]["excerpts"], f["rel"]["documents"], f["rel"]["participants"]) == (5, 3, 4)


def test_a_retired_code_in_use_is_counted_and_says_it_is_retired(project, small):
    """Walk 10: Themes and the exports counted a retired code under its bare name."""
    from qualcode.services import codebook as cbs

    cbs.retire_code(project, "evid", force=True)
    f = analysis.frequencies(project)
    row = f[f["code_id"] == "evid"].iloc[0]
    assert row["code"].endswith(" (retired)") and row["excerpts"] == 2
    assert not f[f["code_id"] == "rel_trust"].iloc[0]["code"].endswith("(retired)")
    # walk 11: the drill-down's quotes, the coded-excerpts export and Agreement named it bare
    q = analysis.quotes(project, code_id="evid")
    assert len(q) and set(q["code"]) == {"Evidence (test) (retired)"}
    from qualcode.services import export

    table = export.excerpts_table(project)
    assert set(table.loc[table["code_id"] == "evid", "code"]) == {"Evidence (test) (retired)"}
    from qualcode.ui.pages.agreement import code_names

    assert code_names(project)["evid"] == "Evidence (test) (retired)"  # the per-code table's names


def test_the_share_of_excerpts_is_of_codable_excerpts_only(project, small):
    """Walk 10: excerpts_total counted the interviewer's lines too (114 against 91 codable), a
    denominator no code could ever fill. The small project: 9 codable excerpts of 13 (its
    interviewers' 4 lines are not; its facilitators' are)."""
    f = analysis.frequencies(project)
    assert set(f["excerpts_total"]) == {9}
    by_year = analysis.frequencies(project, by="year")
    assert dict(zip(by_year["year"].astype(str), by_year["excerpts_total"])) == {"2018": 5, "2021": 4}


@pytest.mark.parametrize("pending", [False, True])
def test_the_exported_score_is_the_probability_the_chip_showed(db_url, pending):  # noqa: F811
    """Walk 11: the coded-excerpts export said 0.9997 for a code whose chip had said 83%: the
    decision score, not the calibrated probability shown."""
    from qualcode import services
    from qualcode.core import Suggestion
    from qualcode.services import coding, export
    from qualcode.storage import coding as store
    from qualcode.storage import documents
    from tests.conftest import make_document

    project = services.init_project(None, db_url=db_url, coder="alice")
    with project.session() as s:
        doc_id = documents.add_document(s, make_document())
        ex = documents.load_document(s, doc_id).excerpts[1]
        store.upsert_suggestions(s, [
            Suggestion(excerpt_id=ex.id, code_id="trust", score=0.9997, model_id="m", explanation={"probability": 0.83}),
            Suggestion(excerpt_id=ex.id, code_id="evidence", score=0.7, model_id="m")])  # older: no probability kept
        sid = {sg.code_id: sg.id for sg in store.list_suggestions(s, document_id=doc_id)}
    if not pending:
        coding.accept_suggestion(project, sid["trust"])
        coding.accept_suggestion(project, sid["evidence"])
    table = export.excerpts_table(project, include="pending" if pending else "accepted")
    got = dict(zip(table["code_id"], table["score"]))
    project.close()
    assert got["trust"] == pytest.approx(0.83) and got["evidence"] == pytest.approx(0.7)


def test_a_participant_in_two_documents_is_one_participant(project):
    """Walk 17: Grace Mwale spoke in her interview and in a focus group, and Themes counted 5
    participants where 4 people spoke. A name is one person across documents (as the Documents
    page lists her); "Speaker 1" in two files is two people, and the interviewer is none."""
    from qualcode.services import coding, ingest
    from qualcode.storage import documents
    from tests.conftest import make_document

    def add(name, turns, district):
        with project.session() as s:
            doc_id = documents.add_document(s, make_document(name, turns))
            ex = documents.load_document(s, doc_id).excerpts
        ingest.set_document_attribute(project, doc_id, "district", district)
        for e in ex:
            if e.codable:
                coding.add_coding(project, e.id, "trust")

    add("grace_interview", [("Dana", "interviewer", "How do families see you?"),
                            ("Grace Mwale", "participant", "They trust me now."),
                            ("Speaker 1", "participant", "Me too.")], "North")
    add("north_group", [("Dana", "interviewer", "And in the group?"),
                        ("grace  mwale", "participant", "Trust took a year."),
                        ("Samuel", "participant", "For me two."),
                        ("Speaker 1", "participant", "Same here.")], "North")
    add("river_group", [("Tom", "interviewer", "And here?"), ("Grace Mwale", "participant", "I visit here too.")],
        "Riverside")
    f = analysis.frequencies(project).set_index("code_id").loc["trust"]
    # Grace, Samuel, Speaker 1 of each file: 4 people, not the 6 speakers
    assert (f["participants"], f["participants_total"], f["excerpts"]) == (4, 4, 6)
    by = analysis.frequencies(project, by="district").set_index(["district", "code_id"])
    assert by.loc[("North", "trust"), "participants"] == 4 and by.loc[("North", "trust"), "participants_total"] == 4
    assert by.loc[("Riverside", "trust"), "participants"] == 1
    # walk 51: "Volunteer:" in two pantry interviews is two volunteers, not one person
    add("pantry_1", [("Dana", "interviewer", "Why do you help?"), ("Volunteer", "participant", "I trust them.")],
        "North")
    add("pantry_2", [("Dana", "interviewer", "And you?"), ("VOLUNTEER", "participant", "Trust, mostly.")], "North")
    assert analysis.frequencies(project).set_index("code_id").loc["trust", "participants"] == 6


def test_a_sub_code_added_later_is_listed_under_its_parent(project, small):
    """Walk 19: "Youth involvement", added under Experiences after the codebook was made, was
    listed last in Themes (after another group's sub-codes, so it read as theirs) and in the
    frequencies spreadsheet. Codes come in the codebook's tree order."""
    from qualcode.services import codebook as cb_service

    cb_service.add_code(project, {"id": "rel_youth", "name": "Youth (rel)", "parent": "rel",
                                  "definition": "Young people in the relationships."})
    order = list(analysis.frequencies(project)["code_id"])
    assert order.index("rel_youth") == order.index("rel_buyin") + 1
    assert order.index("rel_youth") < order.index("evid")


def test_rate_keeps_one_base_after_a_role_change(project, small):
    """Ben (D2, 4 words, rel_buyin by alice) becomes an interviewer after coding: his coding stays
    and counts as an excerpt, but the per-1,000-participant-words rate counts only excerpts in
    participant speech, on a base of participant words, whichever coder is counted (walk 20: 45 /
    2,450 mixed two bases; walk 22: a base that took Ben's words for one coder and not another)."""
    from qualcode.services import documents_edit
    assert documents_edit.set_roles(project, [(small.doc["D2"], "Ben", "interviewer")]) == 1
    f = rows(analysis.frequencies(project))
    assert f["rel_buyin"]["excerpts"] == 3  # D2e1 (Ben) still counts
    assert f["rel_buyin"]["words"] == 27  # 31 participant words less Ben's 4
    assert f["rel_buyin"]["per_1000_words"] == pytest.approx(1000 * 2 / 27)  # D2e2 (Cara), D3e2 (Dan)
    assert f["rel"]["per_1000_words"] == pytest.approx(1000 * 4 / 27)  # rel's 5 less Ben's D2e1
    by_year = analysis.frequencies(project, by="year")
    t18 = by_year[(by_year["year"] == "2018") & (by_year["code_id"] == "rel_buyin")].iloc[0]
    assert (t18["excerpts"], t18["words"]) == (2, 15)  # D1 11 + Cara 4
    assert t18["per_1000_words"] == pytest.approx(1000 * 1 / 15)
    # the base does not move with the coder: alice coded Ben, bob did not
    for who in ("alice", "bob"):
        assert rows(analysis.frequencies(project, coder=who))["rel_buyin"]["words"] == 27
    assert rows(analysis.frequencies(project, coder="alice"))["rel_buyin"]["per_1000_words"] == 0
    # by a speaker attribute: Ben's words and his coding leave the principals' rate together
    bp = analysis.frequencies(project, by="position")
    p = bp[(bp["position"] == "principal") & (bp["code_id"] == "rel_buyin")].iloc[0]
    assert (p["excerpts"], p["words"]) == (2, 8)
    assert p["per_1000_words"] == pytest.approx(1000 * 1 / 8)
    # Ben made a participant again: his coding and his words are back in the rate
    documents_edit.set_roles(project, [(small.doc["D2"], "Ben", "participant")])
    f = rows(analysis.frequencies(project))
    assert (f["rel_buyin"]["words"], f["rel_buyin"]["per_1000_words"]) == (31, pytest.approx(1000 * 3 / 31))


def test_speaker_groups_count_only_coded_speech(project, small):
    """Grouped by a speaker attribute, the base is the group's coded speakers' words: the
    interviewers and facilitators (here all under "(not set)") add none."""
    bp = analysis.frequencies(project, by="position")
    words = dict(zip(bp["position"], bp["words"]))
    assert (words["teacher"], words["principal"]) == (19, 12)
    assert words.get("(not set)", 0) == 0 or math.isnan(words["(not set)"])


def test_a_de_identified_participant_in_two_documents_is_one_participant(project):
    """Walk 43: after de-identification every speaker is "Participant N", a label with a digit,
    which Themes read as a placeholder ("Speaker 1": a different person in each document): Peter,
    "Participant 1" in two focus groups, counted twice. A pseudonym is one person across the
    project, as the key gives it."""
    from qualcode.services import coding, ingest
    from qualcode.storage import documents
    from tests.conftest import make_document

    docs = []
    for name, turns in (("lake_group_1", [("Dana", "interviewer", "How do families see you?"),
                                          ("Peter Otieno", "participant", "They trust me now."),
                                          ("Amina Said", "participant", "Me too.")]),
                        ("lake_group_2", [("Dana", "interviewer", "And this year?"),
                                          ("Peter Otieno", "participant", "Trust took a year."),
                                          ("Speaker 1", "participant", "Same here.")])):
        with project.session() as s:
            docs.append(documents.add_document(s, make_document(name, turns)))
    for d in docs:
        ingest.deidentify_document(project, d, names=["Peter Otieno", "Amina Said"])
    with project.session(readonly=True) as s:
        labels = [[sp.label for sp in documents.load_document(s, d).speakers if sp.role.value == "participant"]
                  for d in docs]
        codable = [e.id for d in docs for e in documents.load_document(s, d).excerpts if e.codable]
    for e in codable:
        coding.add_coding(project, e, "trust")
    peter = set(labels[0]) & set(labels[1])
    assert len(peter) == 1 and "Peter Otieno" not in peter  # one pseudonym for him in both
    f = analysis.frequencies(project).set_index("code_id").loc["trust"]
    # Peter, Amina and the second group's "Speaker 1": 3 people, not 4
    assert (f["participants"], f["participants_total"], f["excerpts"]) == (3, 3, 4)


def test_a_memo_on_one_coding_stands_on_that_codes_row_only(project):
    """Walk 49: an excerpt coded Student engagement and Student voice, a memo written under
    Student voice's coding only; the coded-excerpts table (and the spreadsheet export) showed
    it on both rows. A memo on the excerpt itself still stands on every row."""
    from qualcode.services import coding
    from qualcode.storage import documents as doc_store
    from tests.ui_helpers import seed

    doc_id, _ = seed(project, codes=())
    with project.session(readonly=True) as s:
        ex = [e for e in doc_store.load_document(s, doc_id).excerpts if e.codable][0]
    coding.add_coding(project, ex.id, "trust")
    voice = coding.add_coding(project, ex.id, "buy_in")
    coding.add_memo(project, "ownership, in their words", coding_id=voice)
    coding.add_memo(project, "a turning point", excerpt_id=ex.id)
    rows = analysis.retrieve(project, document_id=doc_id)
    memo = dict(zip(rows["code_id"], rows["memo"]))
    assert memo == {"trust": "alice: a turning point",
                    "buy_in": "alice: ownership, in their words | alice: a turning point"}, memo
