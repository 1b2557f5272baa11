"""The Agreement page (Streamlit AppTest): figures, resolving a disagreement, audit, settings."""

from __future__ import annotations

from qualcode.services import team
from tests.team_helpers import seed_two_coders
from tests.ui_helpers import no_exception, page


def _seed(project):
    return seed_two_coders(project, bob_memo="No buy-in *here* [x](http://evil)")


def test_page_without_reviews_explains_itself(project):
    at = no_exception(page("agreement", project))
    assert any("Nobody has reviewed" in i.value for i in at.info)


def test_figures_resolve_audit_and_settings(project):
    ex = _seed(project)
    at = no_exception(page("agreement", project))
    tables = [df.value for df in at.dataframe]
    figures = tables[0]
    assert "Units (excerpts)" in figures.columns and "Cohen's kappa" in figures.columns
    trust = figures[figures["Code"].str.contains("Trust")].iloc[0]
    assert trust["Units (excerpts)"] == 2 and trust["Agreement"] == "100%"
    assert any("2 excerpts" in m.value for m in at.markdown)
    # the disagreement card shows both coders, bob's memo, and records a consensus
    assert any("No buy-in" in c.value for c in at.caption)
    key = f"cons-{ex[2].id}"
    assert at.session_state[key] == []
    at.multiselect(key=key).set_value(["buy_in"])
    at.button(key=f"resolve-{ex[2].id}").click()
    at = no_exception(at.run())
    assert any("Consensus recorded" in s.value for s in at.success)
    item = team.disagreements(project, include_resolved=True)[0]
    assert item["consensus"] == ["buy_in"] and item["resolved"]
    assert team.audit_log(project, action="consensus")[0]["coder"] == "alice"
    # undo beside the message reverses it (walk 46: only the Audit log tab's undo did), and says so
    at.button(key="dis-undo").click()
    at = no_exception(at.run())
    assert team.disagreements(project, include_resolved=True)[0]["resolved"] is False
    said = [m.value for m in [*at.info, *at.success, *at.toast]]
    assert any(v.startswith("Undone: the consensus") for v in said), said
    assert not [b for b in at.button if b.key == "dis-undo"]  # the message and its button go
    at.multiselect(key=key).set_value(["buy_in"])
    at.button(key=f"resolve-{ex[2].id}").click()
    at = no_exception(at.run())
    assert team.disagreements(project, include_resolved=True)[0]["resolved"]
    # the resolved one, now hidden, is counted where the open ones are (walk 48: 7 on the drill-down, 4 here)
    said = [m.value for m in [*at.caption, *at.success] if "more resolved by consensus" in m.value]
    assert len(said) == 1 and "(1 more resolved by consensus: tick Show resolved)" in said[0], said
    # audit log: filtered by coder
    at.selectbox(key="aud-coder").set_value("bob")
    at = no_exception(at.run())
    audit_df = [df.value for df in at.dataframe if "Action" in df.value.columns][0]
    assert set(audit_df["Who"]) == {"bob"} and "memo" in set(audit_df["Action"])
    # each change in words, with the code's name and the memo's text (walk 48: raw dictionaries)
    memo_line = audit_df[audit_df["Action"] == "memo"]["Change"].iloc[0]
    assert memo_line.startswith("Wrote a memo on “") and memo_line.endswith(": “No buy-in *here* [x](http://evil)”")
    assert not any("{" in line for line in audit_df["Change"]), list(audit_df["Change"])
    # ... and the Audit log tab's undo reverses it
    at.button(key="aud-undo").click()
    at = no_exception(at.run())
    assert team.disagreements(project, include_resolved=True)[0]["resolved"] is False
    # the team table: when each coder was last active, as a date and time (walk 48: raw ISO text)
    (coders,) = [df.value for df in at.dataframe if "coder" in df.value.columns and "last_active" in df.value.columns]
    assert str(coders["last_active"].dtype).startswith("datetime64") and int(coders["last_active"].notna().sum()) == sum(
        r["last_active"] is not None for r in team.coders_summary(project))
    # independent coding toggle
    at.toggle(key="team-independent").set_value(True)
    at = no_exception(at.run())
    assert team.independent_coding(project) is True


def test_the_page_says_when_a_coder_decided_with_a_colleagues_codes_on_screen(project):
    """Walk 29: independent coding was off, so bob saw alice's codes; the page reported kappa
    as for a blind sample. It now says so above the table, and says nothing once it was on."""
    seed_two_coders(project)  # alice first, then bob, with independent coding off (the default)
    at = no_exception(page("agreement", project))
    notes = [w.value for w in at.warning if w.value.startswith("Not a blind comparison")]
    assert notes == ["Not a blind comparison: on 2 of the 2 excerpts all these coders finished, one of them "
                     "decided after a colleague had, while independent coding was off, with the colleague's codes "
                     "beside the excerpt. There, agreement can be higher than coders working alone would reach. For "
                     "a blind sample, turn independent coding on (Team tab, or the Project page) before the coders "
                     "start on excerpts nobody has coded yet."]


def test_a_blind_comparison_gets_no_such_note(project):
    team.set_independent_coding(project, True)
    seed_two_coders(project)
    at = no_exception(page("agreement", project))
    assert at.metric[0].value == "2"  # the same two excerpts compared
    assert not [w for w in at.warning if w.value.startswith("Not a blind comparison")]


def test_a_blind_coder_reads_no_colleagues_codes_on_agreement_or_themes(project):
    """Walk 36: with independent coding on, Ana read Ben's codes excerpt by excerpt on the
    Agreement page's Disagreements tab (and could adopt them), and on Themes by picking Coder =
    ben. She now sees the figures, not his codes; Themes counts hers only, as the Project page
    did already."""
    from qualcode.services import coding

    team.set_independent_coding(project, True)
    ex = seed_two_coders(project, bob_memo="Bob's private reasoning")
    coding.add_coding(project.as_coder("bob"), ex[2].id, "evidence")  # only bob: a disagreement
    at = no_exception(page("agreement", project))  # as alice
    assert "Cohen's kappa" in at.dataframe[0].value.columns  # the figures stay
    assert any("Independent coding is on, so your colleagues' codes stay hidden" in i.value
               and "turn it off on the Project page" in i.value for i in at.info)  # where its toggle is (walk 42)
    assert not [b for b in at.button if str(b.key).startswith("resolve-")]
    assert not any("Bob's private reasoning" in c.value for c in at.caption)
    at = no_exception(page("themes", project))
    assert not [s for s in at.selectbox if s.key == "th_coder"]
    assert any("Counting only **alice**'s codings" in i.value for i in at.info)
    table = at.dataframe[0].value
    counted = {r["code"]: r["excerpts"] for r in table.to_dict("records")}
    assert counted == {"Relationships": 2, "\u2003Trust": 1, "\u2003Buy-in": 1}  # bob's Evidence is not hers
    # off again (the team reconciles): everything shows
    team.set_independent_coding(project, False)
    at = no_exception(page("agreement", project))
    assert [b for b in at.button if str(b.key).startswith("resolve-")]
    at = no_exception(page("themes", project))
    assert [s for s in at.selectbox if s.key == "th_coder"]
    assert "Evidence" in set(at.dataframe[0].value["code"].str.lstrip("\u2003"))  # pooled: bob's codes count
