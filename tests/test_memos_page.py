"""The Memos page writes, edits and deletes memos (walk 31: a memo saved with a mistake, or with
words that must not stay, could not be changed or removed anywhere in the app; no project memo)."""

from __future__ import annotations

from qualcode.services import coding, memos
from tests.ui_helpers import no_exception, page


def _texts(ctx) -> list[str]:
    return sorted(m["text"] for m in memos.list_memos(ctx))


def test_a_memo_is_edited_and_an_empty_edit_is_refused(project):
    ctx = project
    mid = coding.add_memo(ctx, "Trust grows after the secnd visit.", code_id="trust")
    at = no_exception(page("memos", ctx))
    at.button(key=f"memo-edit-{mid}").click().run()
    box = at.text_area(key=f"memo-edit-text-{mid}")
    assert box.value == "Trust grows after the secnd visit."
    box.input("   ").run()
    at.button(key=f"memo-edit-save-{mid}").click().run()
    no_exception(at)
    assert any("a memo needs some text" in e.value.lower() for e in at.error)
    assert _texts(ctx) == ["Trust grows after the secnd visit."]
    at.text_area(key=f"memo-edit-text-{mid}").input("Trust grows after the second visit.").run()
    at.button(key=f"memo-edit-save-{mid}").click().run()
    no_exception(at)
    assert _texts(ctx) == ["Trust grows after the second visit."]
    assert not [t for t in at.text_area if t.key == f"memo-edit-text-{mid}"]  # closed after the save
    assert "Trust grows after the second visit." in [t.value for t in at.text]
    at.button(key=f"memo-edit-{mid}").click().run()  # Cancel leaves the text as it was
    at.text_area(key=f"memo-edit-text-{mid}").input("scrap this").run()
    at.button(key=f"memo-edit-cancel-{mid}").click().run()
    assert _texts(ctx) == ["Trust grows after the second visit."]


def test_a_memo_is_deleted_and_undo_brings_back_that_one(project):
    ctx = project
    keep = coding.add_memo(ctx, "Keep this one.", code_id="trust")
    gone = coding.add_memo(ctx, "Names the principal: must go.", code_id="trust")
    at = no_exception(page("memos", ctx))
    at.button(key=f"memo-delete-{gone}").click().run()
    no_exception(at)
    assert _texts(ctx) == ["Keep this one."]
    said = [m.value.replace("\\", "") for m in at.markdown if "Memo deleted" in m.value]
    assert said and said[0].startswith("Memo deleted (Code (analytic memo): Trust, written by alice on ")
    assert not any("principal" in m.value for m in at.markdown)  # deleted for its words: not shown again
    coding.add_memo(ctx, "Written after the delete.", code_id="trust")  # Undo still means the delete
    at.run()
    at.button(key="memo-undo-delete").click().run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert _texts(ctx) == ["Keep this one.", "Names the principal: must go.", "Written after the delete."]
    assert not [b for b in at.button if b.key == "memo-undo-delete"]
    assert any("Memo brought back" in m.value for m in at.success)
    assert keep in {m["memo_id"] for m in memos.list_memos(ctx)}


def test_a_project_memo_is_written_on_the_memos_page(project):
    ctx = project
    at = no_exception(page("memos", ctx))
    at.session_state["memo_writing"] = True
    at.run()
    at.segmented_control(key="memo_on").set_value("The project").run()
    at.text_area(key="memo_text").input("Round 2: look again at buy-in in the small districts.").run()
    at.button(key="memo_save").click().run()
    no_exception(at)
    rows = memos.list_memos(ctx)
    assert [(m["kind"], m["text"]) for m in rows] == [
        ("project", "Round 2: look again at buy-in in the small districts.")]
    assert any(m.value == "Memo saved." for m in at.success)


def test_open_on_a_code_memo_selects_that_code_in_the_codebook(project):
    """Walk 31: "Open" on Program fit's memo showed the Codebook at its first code."""
    from qualcode.ui.pages.codebook import SELECT_CODE

    ctx = project
    mid = coding.add_memo(ctx, "Fit differs by site.", code_id="evidence")
    at = no_exception(page("memos", ctx))
    at.button(key=f"memo-open-{mid}").click().run()
    assert at.session_state[SELECT_CODE] == "evidence"
    cb = no_exception(page("codebook", ctx, **{SELECT_CODE: "evidence"}))
    box = [s for s in cb.selectbox if s.label == "Work on code"][0]
    assert box.value == "evidence"


def test_undo_of_a_delete_brings_the_memo_back_after_a_new_memo_took_its_id(project):
    """SQLite reuses the highest id freed: a memo written after the delete took the deleted
    memo's id, and the undo, finding that id in use, put nothing back (found in walk 31's fix)."""
    ctx = project
    coding.add_memo(ctx, "one", code_id="trust")
    two = coding.add_memo(ctx, "two", code_id="trust")
    coding.delete_memo(ctx, two)
    three = coding.add_memo(ctx, "three", code_id="trust")
    assert coding.undo_memo_delete(ctx) == [{"action": "memo_delete", "entity": "memo", "entity_id": str(two)}]
    assert _texts(ctx) == ["one", "three", "two"]
    assert {m["memo_id"]: m["text"] for m in memos.list_memos(ctx)}[three] == "three"
    assert coding.undo_memo_delete(ctx) == []
    assert _texts(ctx) == ["one", "three", "two"]


def test_undo_beside_a_delete_already_undone_elsewhere_says_so(project):
    ctx = project
    gone = coding.add_memo(ctx, "Gone for a moment.", code_id="trust")
    at = no_exception(page("memos", ctx))
    at.button(key=f"memo-delete-{gone}").click().run()
    coding.undo(ctx)  # undone elsewhere (the Code page's Undo, another tab)
    at.button(key="memo-undo-delete").click().run()
    no_exception(at)
    assert any("Nothing to bring back: that delete was already undone." in m.value for m in at.info)
    assert _texts(ctx) == ["Gone for a moment."]
