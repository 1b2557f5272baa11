"""Session state helpers: ids in st.session_state, the project behind st.cache_resource.

Also the UI's edge for errors: :func:`attempt` runs a service call and turns a
QualcodeError (or a bad value) into a message, never a traceback; callbacks record
their messages with :func:`flash` and pages show them with :func:`show_flash`.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Callable

import streamlit as st

from qualcode import services
from qualcode.config import get_setting
from qualcode.errors import QualcodeError


@st.cache_resource(show_spinner=False)
def _open(project: str | None, db_url: str | None) -> services.ProjectContext:
    return services.open_context(project, db_url=db_url)


@st.cache_resource(show_spinner=False)
def _as_coder(project: str | None, db_url: str | None, coder: str) -> services.ProjectContext:
    # One context per coder (its id is resolved inside each transaction, never cached).
    return _open(project, db_url).as_coder(coder)


def project_ref() -> tuple[str | None, str | None]:
    project = st.session_state.get("project") or get_setting("project")
    db_url = st.session_state.get("db_url") or get_setting("database_url")
    return project, db_url


CODER_PARAM = "coder"


def restore_coder(*, signed_in: bool) -> None:
    """Keep the chosen coder across page reloads through the URL (``?coder=NAME``).

    Run at the top of every page run. Without sign-in, a new browser session (a reload)
    takes the coder from the URL, and every run writes the current choice back into it
    (page navigation drops query parameters). With sign-in, the signed-in identity wins:
    the parameter is ignored and removed, so nobody can become someone else by editing a
    URL.
    """
    if signed_in:
        if CODER_PARAM in st.query_params:
            del st.query_params[CODER_PARAM]
        return
    wanted = (st.query_params.get(CODER_PARAM) or "").strip()
    if wanted and not st.session_state.get("coder"):
        st.session_state["coder"] = wanted
    chosen = st.session_state.get("coder")
    if chosen and st.query_params.get(CODER_PARAM) != chosen:
        st.query_params[CODER_PARAM] = chosen


PROJECT_PARAM = "project"


def _same_folder(a: str | None, b: str | None) -> bool:
    if not a or not b:
        return False
    try:
        return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()
    except OSError:
        return a == b


# The project last open in this app (this server process, any tab): a new tab on the bare
# address opens it, not the one the app was started on (walk 6: a fresh tab opened the demo
# while the coder worked in their own study). Kept in memory only: a restart forgets it.
LAST_OPEN: dict[str, str | None] = {"project": None}
# The document each coder last had open on the Code page, per project (same process, memory
# only): a second tab opens it, not the first document (walk 8).
LAST_DOC: dict[tuple[str, str], int] = {}


def restore_project() -> None:
    """Keep a project opened or created in the app across reloads (``?project=FOLDER``).

    The project the app was started on needs no parameter (the address stays short); another
    one, chosen on the Project page, is written into the address on every run, and a new
    browser session (a reload, a bookmark) opens it again. A new session on the bare address
    opens the project last open in this app (``LAST_OPEN``), and says so. A folder that is no
    longer a project says so and leaves the app's own project open.
    """
    if not st.session_state.get("_project_restored"):
        st.session_state["_project_restored"] = True
        wanted = (st.query_params.get(PROJECT_PARAM) or "").strip()
        last = LAST_OPEN["project"]
        if not wanted and last and not st.session_state.get("project") and not get_setting("database_url"):
            try:
                _open(last, None)
            except QualcodeError:
                LAST_OPEN["project"] = None  # moved or deleted since: the app's own project
            else:
                st.session_state["project"] = last
                started = get_setting("project")
                flash(f"Opened {last}, the project last open in this app"
                      + (f" (it was started on {started}: open that one on the Project page)." if started else "."),
                      kind="info", slot="project-restored")
        if wanted and not st.session_state.get("project") and not _same_folder(wanted, get_setting("project")):
            try:
                _open(wanted, st.session_state.get("db_url") or get_setting("database_url"))
            except QualcodeError as exc:
                flash(f"The project in this page's address ({wanted}) could not be opened: {exc.for_app()}",
                      kind="warning")
                del st.query_params[PROJECT_PARAM]
            else:
                st.session_state["project"] = str(Path(wanted).expanduser().resolve())
    chosen = st.session_state.get("project")
    if chosen and not _same_folder(chosen, get_setting("project")):
        LAST_OPEN["project"] = chosen
        if st.query_params.get(PROJECT_PARAM) != chosen:
            st.query_params[PROJECT_PARAM] = chosen
    else:
        LAST_OPEN["project"] = None  # the app's own project: the bare address opens it anyway
        if PROJECT_PARAM in st.query_params:
            del st.query_params[PROJECT_PARAM]


def adopt_last_coder(*, signed_in: bool) -> None:
    """A new browser session with no coder in its address codes as the person who last
    decided something in this project, not silently as the default name.

    A new user's walk: a bookmark or a colleague's link without ``?coder=`` recorded Ben's
    decisions under "coder". Once per project opened in the session (the one in the address,
    or one opened later on the Project page): with no coder chosen (address, switch) and none
    set for the project (``QUALCODE_CODER``, qualcode.toml), the project's last decider (of
    ``storage.meta.DECISIONS``: a code typed in the transcript counts) is adopted, and the
    sidebar says so (``coder_guessed == "last"``).

    With no one to adopt (no decisions yet, or the last decider is the default name), the
    session is pinned to the default name, and the address says so (``?coder=``), so that a
    reload keeps it (walk 33: a tab coding as the default name became "bob" on reload once bob
    had coded in another tab). Such a pin is still a default (``coder_guessed == "default"``):
    a project opened later in the session adopts its own last decider.
    """
    project, db_url = project_ref()
    if signed_in or not (project or db_url):
        return
    where = (str(project), str(db_url))
    if st.session_state.get("_coder_adopted") == where:  # once per project opened in this session
        return
    st.session_state["_coder_adopted"] = where
    guessed = st.session_state.get("coder_guessed")
    if (st.session_state.get("coder") and not guessed) or get_setting("coder"):
        return  # chosen (address, switch, sign-in) or set for the project: never second-guessed
    try:
        ctx = _open(project, db_url)
        last = services.last_coder(ctx)
    except QualcodeError:
        return
    if last and last != ctx.coder:
        st.session_state["coder"] = last
        st.session_state["coder_guessed"] = "last"
        st.query_params[CODER_PARAM] = last
    else:  # nobody else to adopt: the default name (never empty), kept in the address for a reload
        st.session_state["coder"] = ctx.coder
        st.session_state["coder_guessed"] = "default"
        st.query_params[CODER_PARAM] = ctx.coder


def set_coder(name: str) -> None:
    """Switch this browser session to coder ``name`` (explicitly; kept in the URL)."""
    name = name.strip()
    if not name:
        return
    if name != st.session_state.get("coder"):
        # the open excerpt was the previous coder's place: the Code page opens this coder's first
        # excerpt to decide in the document instead (walk 26: a second coder added for a blind
        # sample started at the first coder's excerpt 114, mid-transcript, past all 26 of theirs)
        for key in ("code_focus", "code_at", "code_trail", "code_seen"):
            st.session_state.pop(key, None)
        if "ex" in st.query_params:  # the Code page's EX_PARAM
            del st.query_params["ex"]
    st.session_state["coder"] = name
    st.session_state.pop("coder_guessed", None)
    st.query_params[CODER_PARAM] = name


def current_coder(ctx: services.ProjectContext | None = None) -> str | None:
    coder = st.session_state.get("coder") or get_setting("coder")
    if not coder and ctx is not None:
        coder = ctx.coder
    return coder


def open_project_name() -> str | None:
    """The open project's name, for the sidebar on every page (walk 22: a tab that reopened
    another project said so once, and then no page named the project open); None when none is
    open or it cannot be opened (the page itself says why)."""
    project, db_url = project_ref()
    if not project and not db_url:
        return None
    try:
        return services.project_name(_open(project, db_url))
    except QualcodeError:
        return None


def current_context() -> services.ProjectContext | None:
    """The open project for this browser session, seen as the chosen coder, or None."""
    project, db_url = project_ref()
    if not project and not db_url:
        return None
    try:
        ctx = _open(project, db_url)
        coder = current_coder(ctx)
        return ctx if coder == ctx.coder else _as_coder(project, db_url, coder)
    except QualcodeError as exc:
        st.error(exc.for_app())
        return None


def forget_project() -> None:
    """Drop the cached project (after creating one, or when switching)."""
    _open.clear()
    _as_coder.clear()


def error_text(exc: BaseException) -> str:
    """An error worded for the app: a QualcodeError's app hint (never a CLI flag)."""
    if isinstance(exc, QualcodeError):
        return exc.for_app()
    return f"{type(exc).__name__}: {exc}".rstrip(": ")


def attempt(fn: Callable[..., Any], *args: Any, show_in: Any = None, **kwargs: Any) -> Any:
    """Run a service call; show a QualcodeError/ValueError as st.error and return None.

    Every keyword but ``show_in`` (the container for the error) goes to ``fn``: a service's
    own ``where=`` filter must reach it (it once did not, and a drill-down showed every
    group's quotes).
    """
    try:
        return fn(*args, **kwargs)
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        (show_in or st).error(error_text(exc), icon=":material/error:")
        return None


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run a page (or fragment) so that an error becomes a message, never a traceback.

    QualcodeErrors say what to do; anything else is logged in full to the terminal that
    runs the app and shown as one line. Streamlit's own rerun/stop signals pass through
    (they are BaseExceptions, not Exceptions).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QualcodeError as exc:
            st.error(exc.for_app(), icon=":material/error:")
        except Exception as exc:  # noqa: BLE001 - the UI's outermost edge
            logging.getLogger("qualcode.ui").exception("page %s failed", getattr(fn, "__name__", fn))
            st.error(f"Something went wrong ({type(exc).__name__}: {exc}). The details are in the terminal "
                     "where `qualcode app` runs; your saved work is not affected.", icon=":material/error:")
        return None

    return wrapper


def blind_coder(ctx: services.ProjectContext) -> str | None:
    """With independent coding on, the only coder whose codings a page may show this coder (walk
    14: a blind coder read a colleague's codes on the Project page; walk 36: on Themes, with
    Coder set to the colleague, and on Agreement's disagreements); None: every coder."""
    from qualcode.services import team

    return ctx.coder if attempt(team.independent_coding, ctx) else None


BLIND_NOTE = ("Independent coding is on, so your colleagues' codes stay hidden from you here. When the team "
              "reconciles, turn it off on the Project page (or the Agreement page's Team tab).")


def flash(message: str, *, kind: str = "error", slot: str | None = None) -> None:
    """Keep a message for the next run (callbacks cannot place elements themselves).

    A message already waiting is not queued twice. ``slot``: a message that supersedes the
    one waiting in the same slot (an undo's outcome replaces an earlier undo's that no run has
    shown yet); messages without a slot, errors included, are never dropped.
    """
    queue = st.session_state.setdefault("_flash", [])
    if slot is not None:
        queue[:] = [item for item in queue if item[2:3] != (slot,)]
    if any(item[:2] == (kind, message) for item in queue):
        return
    queue.append((kind, message, slot))


def show_flash() -> None:
    """Show the kept messages, each once, and forget them."""
    shown = set()
    for kind, message, *_ in st.session_state.pop("_flash", []):
        if (kind, message) in shown:
            continue
        shown.add((kind, message))
        if kind == "toast":  # said where the coder is looking, whatever the page's scroll
            st.toast(message, icon=":material/info:")
            continue
        getattr(st, kind if kind in ("error", "warning", "success", "info") else "info")(message)


def in_callback(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a service call from a widget callback; keep any error for show_flash()."""
    try:
        return fn(*args, **kwargs)
    except (QualcodeError, ValueError, KeyError, LookupError) as exc:
        flash(error_text(exc))
        return None


def after_decision(ctx: services.ProjectContext, *, exclude: int | None = None) -> None:
    """Tell the engine a coder decided something (cheap; it relearns in the background, then
    refreshes the stored suggestions, the open document first). ``exclude``: the excerpt
    whose chips must stay as they are (the open one; default: the focused excerpt, or in the
    survey grid every answer on the page shown: walk 40, a row's chips changed while the coder
    was deciding it, a click meant for one chip could land on another)."""
    from qualcode.services import suggest as suggest_svc

    if exclude is None and st.session_state.get("code_view") == "Survey grid":
        keep = [int(i) for i in st.session_state.get("sg_visible") or ()]
    else:
        focus = st.session_state.get("code_focus") if exclude is None else exclude
        keep = [focus] if focus is not None else []
    try:
        suggest_svc.on_decision(ctx, document_id=st.session_state.get("code_doc"), exclude=keep)
    except QualcodeError as exc:  # learning problems must not block coding
        flash(f"Suggestions were not updated: {exc.for_app()}", kind="warning")


def open_on_code_page(document_id: int, excerpt_id: int | None = None) -> None:
    """Go to the Code page at ``document_id``, its excerpt ``excerpt_id`` open and scrolled into
    view (from a page's body: Streamlit does not switch pages from a widget callback)."""
    from qualcode.ui import survey_grid
    from qualcode.ui.app import page_for

    ctx = current_context()
    by = {"excerpt_id": excerpt_id} if excerpt_id is not None else {"document_id": document_id}
    if ctx is None or not survey_grid.open_answer(ctx, **by):
        # a transcript's excerpt: the Transcripts view, whichever the Code page last showed (walk
        # 39: Open on a transcript's hit showed the Survey grid, where the coder had last been)
        st.session_state["code_view"] = survey_grid.VIEWS[0]
        st.session_state["code_doc"] = document_id
        if excerpt_id is not None:
            st.session_state["code_focus"] = excerpt_id
            st.session_state["code_jump"] = True
    st.switch_page(page_for("code"))


def require_context() -> services.ProjectContext | None:
    """The open project, or an empty state that says how to open one."""
    ctx = current_context()
    if ctx is None:
        st.info("No project is open. Open or create one on the **Project** page.",
                icon=":material/folder_open:")
    return ctx


def page_context(title: str) -> services.ProjectContext | None:
    """A page's opening: its title, the open project (or how to open one), kept messages."""
    st.title(title)
    ctx = require_context()
    if ctx is not None:
        show_flash()
    return ctx


def flash_undone(done: list[dict[str, Any]] | None, ctx: services.ProjectContext | None = None) -> None:
    """Say what an undo did, with the excerpt's text (``done`` as the undo services return
    it; None: it failed, and in_callback has kept the error).

    One message per undo: Undo pressed again before the page redrew cuts short the run that
    would have shown the earlier undo's message (Streamlit stops it for the new press), so the
    newest undo's message replaces it, as it would have replaced it on the page.
    """
    if done:
        from qualcode.services import messages

        text = None
        if ctx is not None:
            try:
                text = messages.undone_message(ctx, done)
            except QualcodeError:  # the undo happened; only its description failed
                text = None
        flash(text or f"Undone: {done[0]['action']}.", kind="info", slot="undo")
    elif done == []:
        flash("Nothing to undo.", kind="info", slot="undo")


def compute_suggestions(fn: Callable[..., Any], *args: Any) -> None:
    """Run a suggestion service (``fn(*args, progress=...)``) with a progress bar and status
    label, then rerun the page to show the new chips (the Code page and the survey grid)."""
    with st.status("Computing suggestions with the local model…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(*p: Any, **_kw: Any) -> None:
            nums = [a for a in p if isinstance(a, (int, float))]
            if len(nums) >= 2 and nums[1]:
                bar.progress(min(1.0, nums[0] / nums[1]))
            texts = [a for a in p if isinstance(a, str)]
            if texts:
                status.update(label=texts[0])

        n = attempt(fn, *args, progress=progress)
        if n is not None:
            status.update(label=f"{n} suggestions ready.", state="complete")
            st.rerun()
        status.update(state="error")
