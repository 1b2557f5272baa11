"""The focused excerpt's tools: decide, add any code (whole or a word range), memo, why.

Keyboard: A accepts the top pending suggestion, X rejects it, D marks the excerpt done
with nothing to code, N moves to the next excerpt, U undoes the last decision, T (beside the
transcript) opens its code picker on the whole excerpt (Streamlit keeps C and R for itself).
"""

from __future__ import annotations

import re
import time
from typing import Callable

import streamlit as st

from qualcode.errors import QualcodeError
from qualcode.services import coding, messages, ui_support
from qualcode.services import suggest as suggest_svc
from qualcode.services.suggest import FAR_FROM_SURE, sureness
from qualcode.services.commands import one_undo
from qualcode.services.project import ProjectContext
from qualcode.services.ui_support import ExcerptView, TurnView
from qualcode.ui.state import after_decision, error_text, flash, flash_undone, in_callback
from qualcode.ui.text import distinct, md
from qualcode.ui.transcript import decide, dirty, new_code, remove, typed_code_text

# The code whose suggestions the coder is going through ("Look again for X", then "Show them"):
# A and X decide its chip first (ExcerptState.best_of)
PREFER = "code_prefer"

WORD = re.compile(r"\S+")


def words(text: str) -> list[tuple[int, int, str]]:
    """(start, end, word) for each whitespace-separated word of ``text``.

    >>> words("We met, twice.")
    [(0, 2, 'We'), (3, 7, 'met,'), (8, 14, 'twice.')]
    """
    return [(m.start(), m.end(), m.group()) for m in WORD.finditer(text)]


def _add_code(ctx: ProjectContext, ex: ExcerptView, code_options: dict[str, str]) -> None:
    with one_undo():  # a new code made here and its first coding: one step for Undo (walk 40)
        _add_code_now(ctx, ex, code_options)


def _add_code_now(ctx: ProjectContext, ex: ExcerptView, code_options: dict[str, str]) -> None:
    code_id = st.session_state.get(f"pick-{ex.id}")
    if not code_id:
        flash("Pick a code first.", kind="warning")
        return
    ws = words(ex.text)
    lo, hi = st.session_state.get(f"span-{ex.id}", (0, len(ws) - 1)) if ws else (0, 0)
    start = end = None
    if ws and (lo, hi) != (0, len(ws) - 1):
        start, end = ex.start + ws[lo][0], ex.start + ws[hi][1]
    if code_id not in code_options:  # a name typed that the codebook does not hold: a new code
        said = ex.text if start is None else ex.text[ws[lo][0]:ws[hi][1]]
        code_id = new_code(ctx, code_options, str(code_id), said)
        if code_id is None:
            return
    same = next((c for c in ex.state.codings if c.code_id == code_id
                 and (c.whole if start is None else (c.start, c.end) == (start, end))), None)
    if same is not None:  # the coding exists: say so (the command would change nothing, silently)
        flash(f"You have already coded {same.code_name} here{'' if same.whole else ' on these words'}: "
              "nothing changed.", kind="info")
        st.session_state[f"pick-{ex.id}"] = None
        return
    if in_callback(coding.add_coding, ctx, ex.id, code_id, start=start, end=end) is not None:
        dirty().add(ex.id)
        after_decision(ctx)
        st.session_state[f"pick-{ex.id}"] = None


def _save_memo(ctx: ProjectContext, ex: ExcerptView) -> None:
    key = f"memo-{ex.id}"
    if in_callback(coding.add_memo, ctx, st.session_state.get(key, ""), excerpt_id=ex.id) is not None:
        st.session_state[key] = ""
        dirty().add(ex.id)
        flash("Memo saved.", kind="success")


def nothing_here(ctx: ProjectContext, ex: ExcerptView, go_next: Callable[[], None]) -> None:
    """D / "Nothing here": no code (more) applies. On an excerpt not coded yet it is marked
    reviewed with no code; on one already coded ("Nothing more here") the suggestions still
    open on it are rejected and the codes stay. Either way one decision, undone by U. With
    nothing left to decide here it moves on, as A does (a walk: after the coder rejected an
    excerpt's only suggestion, D did nothing but say "Already done")."""
    if not ex.state.nothing_here()[2]:
        go_next()
        return
    before = ex.state
    rejected = in_callback(coding.nothing_here, ctx, ex.id)  # rejects its open suggestions too
    if rejected is None:  # refused: in_callback showed why
        return
    dirty().add(ex.id)
    if before.reviewed and not rejected:  # changed nothing (decided meanwhile, e.g. in another tab)
        flash("Nothing changed: the suggestions on this excerpt were already decided. N moves to the next "
              "excerpt.", kind="info")
        return
    if before.codings:
        codes = ", ".join(c.code_name for c in before.codings)
        flash(f"Rejected the {rejected} suggestion{'s' if rejected != 1 else ''} left on this excerpt; "
              f"it stays coded ({codes}). U undoes it.", kind="success")
    else:  # coded meanwhile in another tab or window, which this page had not shown (walk 34)
        now = ui_support.excerpt_states(ctx, [(ex.id, ex.start, ex.text)])[ex.id].codings
        if now:
            codes = ", ".join(dict.fromkeys(c.code_name for c in now))
            rest = (f"the {rejected} suggestion{'s' if rejected != 1 else ''} left on it "
                    f"{'were' if rejected != 1 else 'was'} rejected" if rejected else "it is marked done")
            flash(f"This excerpt had been coded in another tab or window ({codes}); its codes stay, and {rest}. "
                  "U undoes it.", kind="info")
    after_decision(ctx)
    go_next()


def undo_last(ctx: ProjectContext) -> None:
    done = in_callback(coding.undo, ctx, 1)
    flash_undone(done, ctx)
    if done:
        st.session_state["code_dirty"] = set()  # the whole page reloads
        _open_undone(ctx, done)
    after_decision(ctx)


def _open_undone(ctx: ProjectContext, done: list[dict]) -> None:
    """Open the excerpt the undo took effect on (its document too), scrolled into view: the
    coder sees what came back (walk 8: the page stayed where it was, the undone chip out of sight)."""
    try:
        place = messages.undone_place(ctx, done)
    except QualcodeError:
        return
    if place is None:
        return
    doc_id, excerpt_id = place
    if st.session_state.get("code_doc") != doc_id:
        st.session_state["code_doc"] = doc_id
        st.session_state["code_page"] = 1
    st.session_state["code_focus"], st.session_state["code_at"] = excerpt_id, None
    st.session_state["code_jump"] = True


def _explain(ctx: ProjectContext, chip) -> None:
    """The "Why?" box: plain sentences (words that matched, the closest example or excerpt
    the coder accepted, how sure the model is), never the model's internals."""
    try:
        lines = suggest_svc.why(ctx, chip.suggestion_id)
    except QualcodeError as exc:  # an explanation failing must not break coding
        st.caption(f"No explanation: {exc}")
        return
    for line in lines:  # plain text: quotes are the coder's transcripts, never markup
        st.text(line, width="stretch")


def _toggle_why(suggestion_id: int) -> None:
    cur = st.session_state.get("code_why")
    st.session_state["code_why"] = None if cur == suggestion_id else suggestion_id


def _pick_now() -> None:
    st.session_state["code_pick_now"] = time.time()


def _pick_in_transcript() -> None:
    """T outside the transcript: to the Transcript view, on the same excerpt, its code box open
    (the "Work from" control is drawn anew on the view kept for it)."""
    st.session_state.pop("code_mode", None)
    st.session_state.update(code_mode_kept="Transcript", code_jump=True)
    _pick_now()


def panel(ctx: ProjectContext, ex: ExcerptView, turn: TurnView, *, code_options: dict[str, str],
          go_next: Callable[[], None], position: str = "", go_prev: Callable[[], None] | None = None,
          in_transcript: bool = False, codings_box: Callable[[], None] | None = None) -> None:
    """Everything a coder does to one excerpt. Callbacks save at once; buttons have shortcuts.
    ``in_transcript``: the transcript is on the page, and "Type a code" (T) opens its code picker
    on the whole excerpt (type, Enter: a keyboard path to a hand code). ``codings_box``: draws
    the codings with their memo, recode and remove (the transcript's "Coded here") in place of
    the plain list of the coder's codes, under the suggestions: never above the decisions, where
    a new coding's box moved every button down under the coder's next click (walk 50)."""
    head = f"**{md(turn.speaker or 'Unknown speaker')}** · {md(turn.role)}"
    if turn.time:
        head += f" · {md(turn.time)}"
    st.markdown(f"{head}  {md(position)}")
    with st.container(border=True, key="focus-text"):
        st.text(ex.text, width="stretch")
    state = ex.state
    pending = state.pending
    if not ex.codable:  # said once, as it is: not "not coded" above codes that are there (walk 6)
        st.caption(f"The {md(turn.role)}'s words are not coded (speakers' roles are set on the Documents page)."
                   + (" The codes below were made before that; they still count on Themes and in exports (not in "
                      "the rate per 1,000 participant words). "
                      "Remove one with its bin if it should not." if state.codings else ""))
    none_label, none_help, none_on = state.nothing_here()
    top = st.container(horizontal=True, key="focus-actions")
    # A, X and D act on what they name: each button's key carries its suggestion (or excerpt), so
    # a key pressed again while the page redraws reaches the button the coder saw, never its
    # successor under a reused key (walk 6: a second A accepted the next suggestion while the
    # label still named the first). The keyed boxes around them keep stable names for styling.
    if pending:
        best = state.best_of(st.session_state.get(PREFER))
        # a long shot is not the page's main button: it invites a click the model does not back
        top.container(key="focus-accept", width="content").button(
            f"Accept {md(best.code_name)}", key=f"focus-accept-s{best.suggestion_id}", shortcut="A",
            help=f"Accept {best.code_name} · {best.probability:.0%} chance, {sureness(best.probability)}",
            type="primary" if best.probability >= FAR_FROM_SURE else "secondary",
            icon=":material/check:", on_click=decide,
            args=(ctx, best.suggestion_id, ex.id, True, best.code_id, best.code_name))
        top.container(key="focus-reject", width="content").button(
            f"Reject {md(best.code_name)}", key=f"focus-reject-s{best.suggestion_id}", shortcut="X",
            help=f"Reject {best.code_name}",
            icon=":material/close:", on_click=decide,
            args=(ctx, best.suggestion_id, ex.id, False, best.code_id, best.code_name))
    else:  # A still does something: move on, and say why there is nothing to accept
        top.button("All decided: next" if state.chips else "No suggestions: next", key="focus-accept-next",
                   shortcut="A", type="primary", icon=":material/arrow_forward:", on_click=go_next,
                   help="Every suggestion on this excerpt is decided; A moves to the next excerpt" if state.chips
                   else "The model suggests no code here; A moves to the next excerpt")
        if ex.codable and not none_on:  # D moves on too: say why (the button's help says it on hover)
            st.caption(none_help)
        elif ex.codable:  # (an interviewer's line said above that it is not coded)
            st.caption("No suggestion left to accept here: A moves to the next excerpt that needs a decision."
                       if state.chips else "No suggestions on this excerpt: code it by hand below, D for nothing "
                       "here, or A to move on.")
    if ex.codable:  # an interviewer's line is not decided on: no "Nothing here", no new code
        top.container(key="focus-none", width="content").button(  # nothing left to decide: moves on
            none_label, key=f"focus-none-e{ex.id}", shortcut="D", icon=":material/do_not_disturb_on:",
            on_click=nothing_here, args=(ctx, ex, go_next), help=none_help)
    if go_prev is not None:
        top.button("Previous", key="focus-prev", shortcut="P", icon=":material/arrow_back:", on_click=go_prev,
                   help="Back to the excerpt you had open before")
    top.button("Next", key="focus-next", shortcut="N", icon=":material/arrow_forward:", on_click=go_next,
               help="The next excerpt that needs a decision")
    top.button("Undo", key="focus-undo", shortcut="U", icon=":material/undo:", on_click=undo_last, args=(ctx,),
               help="Undo your last decision")
    if in_transcript and ex.codable:
        top.button("Type a code", key="focus-code", shortcut="T", icon=":material/sell:", on_click=_pick_now,
                   help="Type a code for the whole excerpt, then Enter (in the transcript)")
    elif ex.codable:  # walk 25: no T here, and the letters typed after it ran as other keys
        top.button("Type a code", key="focus-code", shortcut="T", icon=":material/sell:", on_click=_pick_in_transcript,
                   help="Opens this excerpt in the Transcript view with its code box: type a code, then Enter "
                        "(with the mouse: Add a code, below)")

    if state.chips:
        st.markdown("**Suggestions**")
        coded = {c.code_id for c in state.codings}
        for chip in state.chips:  # most likely first (ui_support orders them)
            # the chip's words, then one line of buttons, then Why?, decided or not: a decided chip
            # keeps its height, so the chips below it do not move up under the coder's next click
            # (walk 50); where Accept and Reject were, a decided chip shows its verdict
            chip_box = st.container(key=f"fchip-{chip.suggestion_id}", gap="small")
            # a suggestion turned down, then the code applied by hand: say both, not a bare "rejected"
            status = ("rejected, then coded by you" if chip.status == "rejected" and chip.code_id in coded
                      else chip.status)
            chip_box.markdown(f"{md(chip.code_name)} · {chip.probability:.0%} chance, {sureness(chip.probability)} · "
                              f"*{status}*")
            row = chip_box.container(horizontal=True, vertical_alignment="center")
            if chip.status == "pending":
                # named in words (walk 27: a screen reader read "check icon check", "close icon close")
                row.button("Accept", key=f"facc-{chip.suggestion_id}", icon=":material/check:",
                           help=f"Accept {chip.code_name}",
                           on_click=decide, args=(ctx, chip.suggestion_id, ex.id, True, chip.code_id, chip.code_name))
                row.button("Reject", key=f"frej-{chip.suggestion_id}", icon=":material/close:",
                           help=f"Reject {chip.code_name}",
                           on_click=decide, args=(ctx, chip.suggestion_id, ex.id, False, chip.code_id, chip.code_name))
            elif chip.status == "rejected" and chip.code_id not in coded and ex.codable:
                # a change of mind is one click, not the code typed again (walk 6); U undoes it too
                row.button("Accept after all", key=f"frea-{chip.suggestion_id}", icon=":material/check:",
                           help="You rejected this suggestion: accept it after all",
                           on_click=decide, args=(ctx, chip.suggestion_id, ex.id, True, chip.code_id, chip.code_name))
            else:  # the verdict, where its buttons were (U undoes it)
                row.button(chip.status.capitalize(), key=f"fdone-{chip.suggestion_id}", disabled=True,
                           icon=":material/check:" if chip.status == "accepted" else ":material/close:")
            why = st.session_state.get("code_why") == chip.suggestion_id
            chip_box.button("Hide why" if why else "Why?", key=f"why-{chip.suggestion_id}",
                            icon=":material/lightbulb:", type="tertiary", on_click=_toggle_why,
                            args=(chip.suggestion_id,),
                            help="Why the engine suggests this code: keywords, nearest coded example")
            if why:  # computed on demand only: an explanation may cost a model call
                with st.container(border=True, key=f"whybox-{chip.suggestion_id}"):
                    _explain(ctx, chip)
    if codings_box is not None:
        codings_box()
    elif state.codings:
        st.markdown("**Your codes here**")
        for c in state.codings:
            row = st.container(horizontal=True, vertical_alignment="center")
            row.markdown(f"{md(c.code_name)} · *{c.origin}*")
            row.button("", key=f"uncode-{c.id}", icon=":material/delete:", help="Remove this coding",
                       on_click=remove, args=(ctx, c.id, ex.id), type="tertiary")
            if not c.whole:
                st.text(f"“{c.span_text}”", width="stretch")

    if state.colleagues:  # independent coding off: what colleagues coded here, to read, not to decide
        # a block of its own, each line named by its coder (walk 29: one caption under "Your codes
        # here" was read as the second coder's own codes, and they were not added)
        with st.container(border=True, key=f"colleagues-{ex.id}"):
            st.markdown("**Colleagues' codes here** (not yours: independent coding is off)")
            for who, names in sorted(state.colleagues.items()):
                st.markdown(f"{md(who)}: {', '.join(md(n) for n in names)}")

    if ex.codable:
        _add_code_form(ctx, ex, code_options)
    _memos(ctx, ex)


def _add_code_form(ctx: ProjectContext, ex: ExcerptView, code_options: dict[str, str]) -> None:
    st.markdown("**Add a code**")
    # a name the codebook does not hold is offered as a new code, as in the transcript's code box
    st.selectbox("Code", list(code_options), format_func=lambda cid: code_options.get(cid, cid), index=None,
                 placeholder="Type to search the codebook, or a new code's name", key=f"pick-{ex.id}",
                 label_visibility="collapsed", accept_new_options=True)
    typed = st.session_state.get(f"pick-{ex.id}")
    if typed and typed not in code_options:  # say what Add code will do before it does it
        text, kind = typed_code_text(str(typed), code_options, "Add code")
        if kind == "near":
            st.warning(text, icon=":material/help:")
        else:
            st.caption(text)
    ws = words(ex.text)
    if len(ws) > 1:
        labels = distinct({i: w[2] for i, w in enumerate(ws)}, invisible=True)  # a word used twice
        st.select_slider("Words to code (the whole excerpt unless you narrow it)", options=list(range(len(ws))),
                         value=(0, len(ws) - 1), format_func=labels.__getitem__, key=f"span-{ex.id}")
    st.button("Add code", key=f"addcode-{ex.id}", icon=":material/add:", on_click=_add_code, args=(ctx, ex, code_options))


def _memos(ctx: ProjectContext, ex: ExcerptView) -> None:
    st.markdown("**Memo**")
    for m in ex.state.memos:
        st.text(m, width="stretch")
    st.text_area("Memo", key=f"memo-{ex.id}", placeholder="What strikes you here?", label_visibility="collapsed",
                 height=80)
    st.button("Save memo", key=f"savememo-{ex.id}", icon=":material/sticky_note_2:", on_click=_save_memo,
              args=(ctx, ex))
