"""The transcript as a conversation: one fragment per turn, chips per excerpt.

A decision on a chip reruns only its turn (``st.fragment``): the callback stores the
decision, marks the excerpt dirty, and the turn reloads just that excerpt's state.
Widget keys carry the suggestion / excerpt ids, so every key is unique and the browser
tests can find chips by their ``st-key-...`` class.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import streamlit as st

from qualcode.services import coding, ui_support
from qualcode.services.project import ProjectContext
from qualcode.services.suggest import FAR_FROM_SURE, LIKELY, sureness
from qualcode.services.ui_support import Chip, ExcerptView, TurnView
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.ui.state import after_decision, error_text, flash, guarded, in_callback, show_flash
from qualcode.ui.text import md

ROLE_ICONS = {"interviewer": ":material/mic:", "facilitator": ":material/record_voice_over:",
              "participant": ":material/person:", "unknown": ":material/help:"}


# A decided chip is redrawn as one badge inside a container with a new key; Streamlit keeps the
# pending chip's two buttons there, faded, until the rest of the turn has been redrawn, so a
# stray cross stood beside the new badge (and took clicks). Buttons never belong in a decided
# chip: hide them at once (tests/browser/test_browser_chip_redraw.py).
CHIP_CSS = """<style>
[class*="st-key-chip-"][class*="-accepted"] [class*="st-key-acc-"],
[class*="st-key-chip-"][class*="-accepted"] [class*="st-key-rej-"],
[class*="st-key-chip-"][class*="-rejected"] [class*="st-key-acc-"],
[class*="st-key-chip-"][class*="-rejected"] [class*="st-key-rej-"] { display: none; }
[class*="st-key-ex-"] [data-testid="stText"] { cursor: pointer; }
[class*="st-key-gap-"] { visibility: hidden; }
[class*="st-key-ex-"] { padding: 0.45rem 0.75rem; gap: 0.35rem; }
[class*="st-key-turnhead-"] { min-height: 2.5rem; }
[class*="st-key-focus-accept"] button, [class*="st-key-focus-reject"] button { max-width: 100%; overflow: hidden; }
[class*="st-key-focus-accept"] button *, [class*="st-key-focus-reject"] button * { min-width: 0; }
[class*="st-key-focus-accept"] button [data-testid="stMarkdownContainer"],
[class*="st-key-focus-reject"] button [data-testid="stMarkdownContainer"] { overflow: hidden; flex-shrink: 1; }
[class*="st-key-focus-accept"] button p, [class*="st-key-focus-reject"] button p {
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
[class*="st-key-chip-"][class*="-accepted"] button:disabled {
  color: rgb(21, 130, 55); background: rgba(33, 195, 84, 0.1); border-color: rgba(33, 195, 84, 0.4); }
[class*="st-key-chip-"][class*="-accepted"] button:disabled * { color: inherit; }
[class*="st-key-chip-"][class*="-rejected"] button:disabled { background: rgba(128, 128, 128, 0.06); }
[class*="st-key-rej-"] button [data-testid="stMarkdownContainer"],
[class*="st-key-gap-"] button [data-testid="stMarkdownContainer"] {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
</style>"""
# The reject button is drawn as a cross alone; its words ("Reject Trust") are there for a screen
# reader (which read the icon's name, "close") and hidden from sight by the last rule above.

# The side panel's Accept and Reject name the code on one line (cut with "…"): a long name wrapped
# to two lines, and when the next code's name took one, every button below moved up under the
# coder's next click (walk 51: a Reject 0.7 s after an Accept landed in a gap, and was lost).
# A click on an excerpt's text opens it (excerpt_clicks.js): st.text takes no clicks itself.
EXCERPT_CLICKS = st.components.v2.component(
    "qualcode_excerpt_clicks",
    html=None,
    js=(Path(__file__).parent / "components" / "excerpt_clicks.js").read_text(encoding="utf-8"),
)

ESCAPE = st.components.v2.component(
    "qualcode_escape",
    html=None,
    js=(Path(__file__).parent / "components" / "escape.js").read_text(encoding="utf-8"),
)


def escape_leaves_boxes() -> None:
    """Once per Code page, last (it draws nothing): Esc takes the keyboard out of a box, so the
    one-key shortcuts work again after a pick from a list (see components/escape.js)."""
    ESCAPE(key="code-escape")


def focus_style(focus: int | None) -> None:
    """Once per Excerpts view: the open excerpt's box shows its border, the others' are hidden
    (their boxes keep the same size, so nothing moves when another excerpt opens)."""
    keep = f":not(.st-key-ex-{int(focus)})" if focus is not None else ""
    st.html(f"<style>[class*='st-key-ex-']{keep} {{ border-color: transparent; }}</style>")


def chip_styles() -> None:
    """Once per page that shows chips: the style rule above (no space on the page)."""
    st.html(CHIP_CSS)


def _focus_clicked(key: str) -> None:
    state = st.session_state.get(key)
    ev = state.get("focus") if isinstance(state, dict) else getattr(state, "focus", None)
    if ev and ev.get("ex") is not None:
        st.session_state["code_focus"] = int(ev["ex"])


def excerpt_clicks(scroll_to: int | None = None) -> None:
    """Once per Excerpts view, outside the turns' fragments: a click on an excerpt's text or row
    makes it the open excerpt. The click reruns the page once (the sidebar shows the open
    excerpt, so a turn's fragment alone would leave it behind); nothing reloads.
    ``scroll_to``: an excerpt just opened by N, P or a reload, brought into view if off screen."""
    key = "excerpt-clicks"
    data = {"scroll": scroll_to, "nonce": time.time_ns() if scroll_to is not None else None}
    EXCERPT_CLICKS(key=key, data=data, on_focus_change=lambda: _focus_clicked(key))


def scroll_into_view(key: str) -> None:
    """Bring the element keyed ``key`` (its ``st-key-`` class) into view when it is off screen,
    once (the survey grid's row opened from Search or a memo)."""
    EXCERPT_CLICKS(key="scroll-into-view", data={"scrollKey": key, "nonce": time.time_ns()})


def dirty() -> set[int]:
    return st.session_state.setdefault("code_dirty", set())


def mark(excerpt_id: int) -> None:
    """A callback changed this excerpt: its turn reloads it; if it is the open excerpt (shown in
    the sidebar too), the whole page reruns after the turn, so the sidebar and the progress
    bar do not keep the old state."""
    dirty().add(excerpt_id)
    if excerpt_id == st.session_state.get("code_focus"):
        st.session_state["code_rerun_app"] = True


def decide(ctx: ProjectContext, suggestion_id: int, excerpt_id: int, accept: bool, code_id: str | None = None,
           code_name: str = "") -> None:
    """on_click: accept or reject one suggestion, saved at once, then teach the engine.

    ``excerpt_id`` and ``code_id`` are the chip's. The background refresh may have replaced the
    chip's suggestion since the page was drawn (other excerpts than the open one are re-scored
    after each decision): the decision goes to the current suggestion of that code on that
    excerpt; if the model no longer suggests it, an accept codes the excerpt with the chip's
    code all the same (what the coder asked for) and a reject has nothing left to reject.
    Either way the excerpt reloads with its current chips; a click that changed nothing starts
    no relearn (it would replace the fresh chips again)."""
    done = False
    _deciding(excerpt_id)
    try:
        took = coding.decide(ctx, suggestion_id, accept, excerpt_id=excerpt_id, code_id=code_id)
        done = True
        if not accept and took:  # walk 38: accepted in another tab, rejected here from a stale chip
            flash(f"You had accepted {code_name or 'this suggestion'} here (in another tab, or a moment ago): "
                  "rejecting it took that code away. U brings it back.", kind="info")
    except NotFoundError as exc:
        name = code_name or "This code"
        if code_id is None:
            flash(error_text(exc))
        elif accept:
            if in_callback(coding.add_coding, ctx, excerpt_id, code_id) is not None:
                done = True
                flash(f"Coded {name}. (Its suggestion had just been updated in the background.)", kind="info")
        else:
            _drop_kept(excerpt_id, code_id)
            flash(f"{name} is no longer suggested here: the model updated after your last decisions.", kind="info")
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        flash(error_text(exc))
    # The excerpt being decided becomes the open one (sidebar, highlight): the refresh leaves
    # its chips alone until the coder moves on, and "Nothing here" or a hand code goes to it.
    st.session_state["code_focus"] = excerpt_id
    mark(excerpt_id)
    st.session_state["code_last"] = excerpt_id
    if done:
        after_decision(ctx)


def accept_all(ctx: ProjectContext, items: list[tuple[int, int, str]]) -> None:
    """on_click: accept a turn's likely suggestions (suggestion id, excerpt id, code id), as
    one click that one undo takes back (walk 9: each accept was its own undo)."""
    batch, done = uuid.uuid4().hex, 0
    for sid, ex_id, code_id in items:
        done += in_callback(coding.accept_suggestion, ctx, sid, excerpt_id=ex_id, code_id=code_id,
                            batch=batch) is not None
        mark(ex_id)
    if done:
        after_decision(ctx)


def typed_code_text(typed: str, code_names: dict[str, str], button: str) -> tuple[str, str]:
    """What ``button`` will do with a name typed in a code box that is not one of its options,
    said before it does it: (text, kind), kind "same" (a code of that name), "near" (a name
    that may be a code's: a warning) or "new". A name that begins a code's name (or a word of
    it) asks whether that code was meant (walk 39: "Childc" and Enter picked "Add: Childc", and
    a code of that name was one click away).

    >>> names = {"cc": "Childcare", "tr": "Trust", "ct": "Cost of childcare"}
    >>> typed_code_text("trust", names, "Add code")
    ('Add code applies Trust.', 'same')
    >>> typed_code_text("Childc", names, "Add code")[0]
    '“Childc” is not in the codebook: Add code would add it as a new code. Did you mean Childcare or Cost of childcare? Pick it from the list.'
    >>> typed_code_text("Peer networks", names, "Add code")
    ('“Peer networks” is not in the codebook: Add code adds it as a new code.', 'new')
    """
    name = " ".join(str(typed).split())
    same = next((n for n in code_names.values() if n.casefold() == name.casefold()), None)
    if same is not None:
        return f"{button} applies {md(same)}.", "same"
    key = name.casefold()
    near = [n for n in code_names.values() if key and any(w.startswith(key) for w in [n.casefold(), *n.casefold().split()])]
    if near:
        shown = sorted(near, key=lambda n: (not n.casefold().startswith(key), n.casefold()))[:3]
        return (f"“{md(name)}” is not in the codebook: {button} would add it as a new code. Did you mean "
                f"{' or '.join(md(n) for n in shown)}? Pick it from the list.", "near")
    return f"“{md(name)}” is not in the codebook: {button} adds it as a new code.", "new"


def new_code(ctx: ProjectContext, code_names: dict[str, str], name: str, words: str) -> str | None:
    """A code named in a code box that the codebook does not hold yet (walk 37: coding
    inductively, each new code meant leaving for the Codebook page): added at the top of the
    tree, its definition its name until the coder writes one, the words it was first applied to
    its first example (what the suggestions start from). A code of that name already in
    ``code_names`` (any case) is that code. None when it could not be added (the flash says why).
    The transcript's code box, the side panel's "Add a code" and the survey grid's box use it."""
    from qualcode.services import codebook as codebook_svc

    name = " ".join(name.split())[:200]
    if not name:
        return None
    same = next((cid for cid, n in code_names.items() if n.casefold() == name.casefold()), None)
    if same is None:  # the box's names may predate a code added since (walk 39: a code made in one
        # survey row was "a duplicate name" in the next, whose box still had the old list)
        cb = in_callback(ui_support.codebook, ctx)
        same = next((c.id for c in (cb.codable_codes() if cb is not None else [])
                     if c.name.casefold() == name.casefold()), None)
    if same is not None:
        return same
    example = " ".join(words.split())[:500]
    code = in_callback(codebook_svc.add_code, ctx, {"name": name, "definition": name.rstrip(".") + ".",
                                                     "examples": [example] if example else []})
    if code is None:
        return None
    flash(f"New code “{md(name)}” added to the codebook, with these words as its first example. Its definition "
          "is its name for now: write one on the Codebook page, where you can also place it under a theme.",
          kind="success")
    return code.id


def remove(ctx: ProjectContext, coding_id: int, excerpt_id: int) -> None:
    in_callback(coding.remove_coding, ctx, coding_id)
    mark(excerpt_id)
    after_decision(ctx)


def refresh(ctx: ProjectContext, excerpts: list[ExcerptView]) -> None:
    """Reload the state of those excerpts a callback changed (the fragment's rerun)."""
    changed = [e for e in excerpts if e.id in dirty()]
    if not changed:
        return
    fresh = ui_support.excerpt_states(ctx, [(e.id, e.start, e.text) for e in changed])
    for e in changed:
        e.state = fresh[e.id]
        dirty().discard(e.id)


DRAWN_MAX = 2000  # excerpts whose drawn chips are remembered (a page holds far fewer)


def _drawn() -> dict[int, list[Chip]]:
    """The open suggestions last drawn on each excerpt: what the coder saw when they click."""
    drawn = st.session_state.setdefault("code_drawn", {})
    if len(drawn) > DRAWN_MAX:
        drawn.clear()
    return drawn


def _deciding(excerpt_id: int) -> None:
    """The coder decides on this excerpt: the first time, remember the chips it showed."""
    if (st.session_state.get("code_shown") or {}).get("id") != excerpt_id:
        st.session_state["code_shown"] = {"id": excerpt_id, "chips": list(_drawn().get(excerpt_id, ()))}


def kept_chips(ex: ExcerptView) -> list[Chip]:
    """Suggestions the coder saw on the excerpt they are deciding that the model has since
    withdrawn: still offered until they move on (walk 28: a survey answer showed two chips; the
    refresh after the previous answer's decision had re-scored it, and accepting the first chip
    took the second away before the coder could accept it). Accepting one codes the excerpt with
    it; rejecting one drops it."""
    shown = st.session_state.get("code_shown") or {}
    if shown.get("id") != ex.id or st.session_state.get("code_focus") != ex.id:
        return []
    if ex.state.reviewed and not ex.state.codings:  # "Nothing here": none of them applies
        return []
    here = {c.code_id for c in ex.state.chips} | {c.code_id for c in ex.state.codings}
    return [c for c in shown.get("chips", ()) if c.code_id not in here]


def _drop_kept(excerpt_id: int, code_id: str) -> None:
    shown = st.session_state.get("code_shown") or {}
    if shown.get("id") == excerpt_id:
        shown["chips"] = [c for c in shown.get("chips", ()) if c.code_id != code_id]


def chips(ctx: ProjectContext, ex: ExcerptView, *, focus_button: bool = True) -> None:
    """The chips row of one excerpt: suggestions (accept/reject), codings, memo count."""
    state = ex.state
    with st.container(horizontal=True, gap="small", key=f"chips-{ex.id}", vertical_alignment="center"):
        accepted_codes = set()
        # most likely first (ui_support orders them); then those the coder saw, since withdrawn
        # (their ids may be new suggestions' by now: the keys say which)
        kept = kept_chips(ex)
        _drawn()[ex.id] = [*state.pending, *kept]
        for chip, tag in [*((c, "") for c in state.chips), *((c, "-kept") for c in kept)]:
            label = f"{md(chip.code_name)} {chip.probability:.0%}"  # calibrated: 60% means 6 in 10
            if chip.status == "pending":
                what = (chip.code_id, chip.code_name)  # the decision checks it is still this suggestion
                with st.container(horizontal=True, gap=None, key=f"chip-{chip.suggestion_id}-pending{tag}",
                                  width="content"):
                    sure = f"{chip.probability:.0%} chance, {sureness(chip.probability)}"
                    st.button(label, key=f"acc-{chip.suggestion_id}{tag}", icon=":material/check:",
                              on_click=decide, args=(ctx, chip.suggestion_id, ex.id, True, *what),
                              # a long shot is drawn plainer than a likely code
                              type="tertiary" if chip.probability < FAR_FROM_SURE else "secondary",
                              help=f"Accept · {sure}" + (f" · {chip.others}; your own decision is still open"
                                                          if chip.others else ""))
                    st.button(f"Reject {md(chip.code_name)}", key=f"rej-{chip.suggestion_id}{tag}",
                              icon=":material/close:",
                              on_click=decide, args=(ctx, chip.suggestion_id, ex.id, False, *what),
                              help=f"Reject {chip.code_name}", type="tertiary")
            else:
                # A decided chip keeps the pending chip's size and place: its verdict on a button
                # the size of the accept button, then a space the size of the cross (walk 49: a
                # badge narrower than the chip moved the chips after it left, and the coder's next
                # quick click on a cross missed; tests/browser/test_browser_sidebar_steady.py)
                accepted = chip.status == "accepted"
                if accepted:
                    accepted_codes.add(chip.code_id)
                with st.container(horizontal=True, gap=None, key=f"chip-{chip.suggestion_id}-{chip.status}",
                                  width="content"):
                    st.button(label if accepted else f"~~{label}~~", key=f"done-{chip.suggestion_id}{tag}",
                              icon=":material/check_circle:" if accepted else ":material/block:", disabled=True,
                              type="tertiary" if chip.probability < FAR_FROM_SURE else "secondary",
                              help="Accepted (U undoes it)" if accepted else "Rejected (kept as training data)")
                    st.button(f"Reject {md(chip.code_name)}", key=f"gap-{chip.suggestion_id}{tag}",
                              icon=":material/close:", disabled=True, type="tertiary")
        for c in state.codings:
            if c.whole and c.code_id in accepted_codes:
                continue  # already shown as an accepted chip
            span = "" if c.whole else f" “{md(c.span_text[:40])}{'…' if len(c.span_text) > 40 else ''}”"
            with st.container(key=f"coding-{c.id}", width="content"):
                st.badge(f"{md(c.code_name)}{span}", icon=":material/sell:", color="blue",
                         help=f"Coded by you ({c.origin})")
        if state.memos:
            st.badge(f"{len(state.memos)} memo{'s' if len(state.memos) > 1 else ''}", icon=":material/sticky_note_2:",
                     color="yellow", help="\n\n".join(md(m) for m in state.memos))
        if state.reviewed and not state.codings and not state.pending:
            st.badge("reviewed", icon=":material/done:", color="gray")
        if focus_button:
            if st.button("", key=f"focus-{ex.id}", icon=":material/edit_note:", type="tertiary",
                         help="Open this excerpt: add any code, code a narrower span, write a memo, see why"):
                st.session_state["code_focus"] = ex.id
                st.rerun()


@st.fragment
@guarded
def turn_block(ctx: ProjectContext, turn: TurnView, focus: int | None) -> None:
    """One speaker turn: header (speaker, role, time, accept-all), then its excerpts."""
    rerun_app = st.session_state.pop("code_rerun_app", False)
    refresh(ctx, turn.excerpts)
    with st.container(border=True, key=f"turn-{turn.order}"):
        show_flash()  # a decision that failed in this turn says so here, at once
        # Only the chips the page itself calls likely (50% or more: "leaning towards yes" and
        # surer) are accepted in one click; the others are left to decide one by one (walk 8: "Accept
        # all (5)" accepted chips of 10-22%; walk 47: "Accept the 2 likely" accepted one of 35%
        # that the side panel called "not sure, leaning towards no").
        pending = [(c, e.id) for e in turn.excerpts for c in e.state.pending]
        likely = [(c.suggestion_id, ex_id, c.code_id) for c, ex_id in pending if c.probability >= LIKELY]
        long_shots = len(pending) - len(likely)
        # the header keeps its height when its "Accept all" goes (turnhead CSS: the excerpts under it
        # stay where they were)
        head = st.container(horizontal=True, vertical_alignment="center", gap="small", key=f"turnhead-{turn.order}")
        time = f" · {turn.time}" if turn.time else ""
        head.markdown(f"{ROLE_ICONS.get(turn.role, '')} **{md(turn.speaker or 'Unknown speaker')}** "
                      f"· {md(turn.role)}{md(time)}")
        if len(likely) > 1:
            head.button(f"Accept the {len(likely)} likely" if long_shots else f"Accept all ({len(likely)})",
                        key=f"accall-{turn.order}", icon=":material/done_all:",
                        on_click=accept_all, args=(ctx, likely), type="tertiary",
                        help="Accept every pending suggestion in this turn" + (
                            f" except the {long_shots} under {LIKELY:.0%}, which the model leans against "
                            "(decide those one by one)" if long_shots else ""))
        for ex in turn.excerpts:
            # every excerpt in a box, only the open one's border shown (focus_style): a border
            # drawn only around the open excerpt moved its words and chips by the box's padding as
            # the open excerpt changed with each decision (walk 49)
            box = st.container(key=f"ex-{ex.id}", border=True)
            box.text(ex.text, width="stretch")
            if ex.codable:
                with box:
                    chips(ctx, ex)
    if rerun_app:  # this turn's decision changed the open excerpt: now redraw the sidebar too
        st.rerun()
