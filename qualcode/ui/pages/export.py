"""Export page: every export of the project as a download (prepared on request).

A prepared download belongs to the settings it was made with (format, grouping, count,
coder): change one that the export uses and its Download button goes; Prepare makes it
again for the new settings.

A download is named for the project (the name it was given, else its folder's) and what it
holds (``study.qdpx``, ``study-coded-excerpts.xlsx``, ``study-code-frequencies-by-year.xlsx``);
a table is offered as a spreadsheet (xlsx) first, csv being the other choice.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Callable
from urllib.parse import urlsplit

import streamlit as st

from qualcode.core.text import CONSENSUS_RULE
from qualcode.errors import QualcodeError
from qualcode.services import analysis
from qualcode.services import codebook as codebook_svc
from qualcode.services import export as export_svc
from qualcode.services import prefs, team
from qualcode.services.memos import memo_count
from qualcode.services.project import DEFAULT_NAME, ProjectContext, project_name, project_status
from qualcode.ui.pages.themes import PREFS as THEMES_PREFS
from qualcode.ui.state import BLIND_NOTE, attempt, blind_coder, error_text, page_context
from qualcode.ui.text import md, plural, pooled_coders, source_labels

MIME = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "json": "application/json", "md": "text/markdown", "html": "text/html", "png": "image/png",
        "svg": "image/svg+xml", "qdpx": "application/zip", "qdc": "application/xml", "zip": "application/zip",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "yaml": "text/yaml"}
TABLES = ("csv", "xlsx")
#: the format a card starts on when it offers it (evaluators open the tables in Excel)
PREFERRED = "xlsx"


@dataclass(frozen=True)
class Export:
    """One download on the page: a real service function, called with explicit options.

    ``run(ctx, out, fmt, by, include, coder, source)`` writes the file ``out``; ``uses`` names the
    page settings it reads (besides the format), so a download prepared with other values
    of them is stale.
    """

    name: str
    title: str
    help: str
    formats: tuple[str, ...]
    run: Callable[[ProjectContext, Path, str, str | None, str, str | None, str | None], Any]
    needs_by: bool = False
    uses: tuple[str, ...] = ("by", "include", "coder", "source")
    #: what the download holds, in its file name after the project's ("" : the project itself)
    file: str | None = None
    #: what it is empty without: "codings" (the tables and the report count codings) or "memos";
    #: None for the codebook and the REFI-QDA project, worth having before anything is coded
    needs: str | None = "codings"

    @property
    def what(self) -> str:
        return self.file if self.file is not None else self.name.removeprefix("export_").replace("_", "-")

    @property
    def default_format(self) -> str:
        return PREFERRED if PREFERRED in self.formats else self.formats[0]


COUNTS = ("include", "coder", "source")  # the settings of an export that takes no grouping
EXPORTS: tuple[Export, ...] = (
    Export("export_excerpts", "Coded excerpts", "Every coded excerpt with its code, speaker, attributes and coders.",
           TABLES, lambda ctx, out, fmt, by, include, coder, source: export_svc.export_excerpts(
               ctx, out, fmt=fmt, include=include, coder=coder, source=source), uses=COUNTS, file="coded-excerpts"),
    Export("export_frequencies", "Code frequencies", "How often each code occurs (by group if chosen).", TABLES,
           lambda ctx, out, fmt, by, include, coder, source: export_svc.export_frequencies(
               ctx, out, fmt=fmt, by=by, include=include, coder=coder, source=source), file="code-frequencies"),
    Export("export_crosstab", "Crosstab", "Codes by an attribute: counts and percentages.", TABLES,
           lambda ctx, out, fmt, by, include, coder, source: export_svc.export_crosstab(
               ctx, out, by=by, fmt=fmt, include=include, coder=coder, source=source), needs_by=True),
    Export("export_compare", "Group comparison", "Codes compared across groups with tests.", TABLES,
           lambda ctx, out, fmt, by, include, coder, source: export_svc.export_compare(
               ctx, out, by=by, fmt=fmt, include=include, coder=coder, source=source), needs_by=True,
           file="group-comparison"),
    Export("export_cooccurrence", "Co-occurrence", "Pairs of codes that occur together.", TABLES,
           lambda ctx, out, fmt, by, include, coder, source: export_svc.export_cooccurrence(
               ctx, out, fmt=fmt, include=include, coder=coder, source=source), uses=COUNTS, file="co-occurrence"),
    Export("export_matrix", "Case matrix", "Documents by codes.", TABLES,
           lambda ctx, out, fmt, by, include, coder, source: export_svc.export_matrix(
               ctx, out, fmt=fmt, include=include, coder=coder, source=source), uses=COUNTS, file="case-matrix"),
    Export("export_memos", "Memos", "Every memo on a document, excerpt, coding or code, with what it is about.",
           TABLES, lambda ctx, out, fmt, by, include, coder, source: export_svc.export_memos(ctx, out, fmt=fmt), uses=(),
           needs="memos"),
    Export("export_report", "Report", "A readable report of the analysis.", ("docx", "html", "md"),
           lambda ctx, out, fmt, by, include, coder, source: export_svc.export_report(
               ctx, out, fmt=fmt, by=by, include=include, coder=coder, source=source, one_file=True)),
    Export("export_qdpx", "REFI-QDA project (.qdpx)", "The whole project for NVivo, ATLAS.ti, MAXQDA, QualCoder.",
           ("qdpx",), lambda ctx, out, fmt, by, include, coder, source: export_svc.export_qdpx(ctx, out), uses=(),
           file="", needs=None),
    Export("export_codebook", "Codebook", "The codebook as YAML, Markdown, Word or REFI-QDA .qdc.",
           ("yaml", "md", "docx", "qdc"),
           lambda ctx, out, fmt, by, include, coder, source: codebook_svc.export_codebook(ctx, out, fmt=fmt), uses=(),
           needs=None),
)


def exports() -> list[Export]:
    """The exports this page offers (a fixed list of real functions; no lookup by name)."""
    return list(EXPORTS)


def project_slug(ctx: ProjectContext, name: str | None = None) -> str:
    """The open project's name as it can stand in a file name: the name it was given
    (``name``, else ``services.project_name``), or where it has none of its own (the default
    ``qualcode project``, or nothing that can stand in a file name) :func:`place_slug`.
    A project created without a name is named for its folder: the same either way.

    >>> from pathlib import Path
    >>> from types import SimpleNamespace as N
    >>> folder = N(project_dir=Path("/data/myproj"), db=None)
    >>> project_slug(folder, "Bridges mentoring evaluation")
    'Bridges-mentoring-evaluation'
    >>> project_slug(folder, "myproj"), project_slug(folder, "qualcode project"), project_slug(folder, "***")
    ('myproj', 'myproj', 'myproj')
    >>> project_slug(N(project_dir=None, db=N(url="postgresql://u@host/coaching_pilot")), "qualcode project")
    'coaching_pilot'
    """
    if name is None:
        try:
            name = project_name(ctx)
        except QualcodeError:  # a name is a nicety; the export still works
            name = ""
    own = "" if name.strip().casefold() == DEFAULT_NAME.casefold() else safe_name(name)
    return own or place_slug(ctx)


def place_slug(ctx: ProjectContext) -> str:
    """Where the open project lives, as it can stand in a file name: its folder's name, or
    for a project on a database server the database's name.

    >>> from pathlib import Path
    >>> from types import SimpleNamespace as N
    >>> place_slug(N(project_dir=Path("/data/Teacher study 2021"), db=None))
    'Teacher-study-2021'
    >>> place_slug(N(project_dir=None, db=N(url="postgresql://u:secret@host/coaching_pilot")))
    'coaching_pilot'
    >>> place_slug(N(project_dir=None, db=N(url="postgresql+psycopg://u@host:5432/pilot?sslmode=require")))
    'pilot'
    >>> place_slug(N(project_dir=None, db=N(url="sqlite:////tmp/x/project.db")))
    'project'
    >>> place_slug(N(project_dir=None, db=N(url="sqlite://")))
    'qualcode-project'
    """
    name = ""
    if ctx.project_dir is not None:
        name = Path(ctx.project_dir).expanduser().resolve().name
    else:
        try:  # the database's name is the last part of the URL's path (a SQLite file: its stem)
            name = PurePosixPath(urlsplit(str(ctx.db.url)).path).stem
        except ValueError:  # a name is a nicety; the export still works
            name = ""
    return safe_name(name) or "qualcode-project"


def safe_name(text: str) -> str:
    """``text`` as a part of a file name on any system: letters, digits, ``_``, ``.`` and
    ``-`` (anything else becomes ``-``), no leading dot or dash.

    >>> safe_name("  Étude: Nord/Sud *2021* ")
    'Étude-Nord-Sud-2021'
    >>> safe_name("../..")
    ''
    """
    out = re.sub(r"[^\w.-]+", "-", str(text), flags=re.UNICODE)
    out = re.sub(r"-{2,}", "-", out).strip("-._")
    return out[:80].rstrip("-._")


def filename_for(ctx: ProjectContext, export: Export, fmt: str, *, by: str | None = None,
                 include: str = "accepted", coder: str | None = None, source: str | None = None,
                 name: str | None = None) -> str:
    """The download's name: the project (:func:`project_slug`; ``name``: the project's name,
    read from it when not given), what it holds, and the settings it was made with that change
    its content (grouping, pending suggestions counted, one coder, one kind of document)."""
    parts = [project_slug(ctx, name), export.what]
    if "by" in export.uses and by:
        parts.append(f"by-{safe_name(by) or 'group'}")
    if "include" in export.uses and include == "pending":
        parts.append("with-pending")
    if "coder" in export.uses and coder:
        parts.append(safe_name(coder) or "coder")
    if "source" in export.uses and source:
        parts.append(f"{source}-only")
    return "-".join(p for p in parts if p) + f".{fmt}"


def prepare(ctx: ProjectContext, export: Export, fmt: str, *, by: str | None = None,
            include: str = "accepted", coder: str | None = None, source: str | None = None) -> tuple[str, bytes]:
    """Run one export into a temporary file; return (download name, bytes)."""
    filename = filename_for(ctx, export, fmt, by=by, include=include, coder=coder, source=source)
    with tempfile.TemporaryDirectory(prefix="qualcode-export-") as tmp:
        out = Path(tmp) / filename
        export.run(ctx, out, fmt, by, include, coder, source)
        return filename, out.read_bytes()


def empty_reasons(counts: dict[str, Any], include: str) -> dict[str, str]:
    """What would come out empty, by ``Export.needs``, and why: the tables and the report with
    no codings counted (none made yet, and no pending suggestions where the count takes them),
    the memos with none written. ``counts``: ``project_status``'s, plus ``memos``.

    >>> empty_reasons({"codings": 0, "suggestions": {"pending": 3}, "memos": 0}, "accepted")
    {'codings': 'Nothing is coded yet.', 'memos': 'No memos yet.'}
    >>> empty_reasons({"codings": 0, "suggestions": {"pending": 3}, "memos": 2}, "pending")
    {}
    >>> empty_reasons({"codings": 5, "suggestions": {"pending": 0}, "memos": 2}, "accepted")
    {}
    """
    out = {}
    if export_svc.nothing_counted(counts, include):
        out["codings"] = "Nothing is coded yet."
    if not counts.get("memos"):
        out["memos"] = "No memos yet."
    return out


def nothing_coded_note(counts: dict[str, Any], include: str) -> str | None:
    """The Export page's notice for a project with nothing coded (None where something is): what
    would be empty, what to do, and what can be exported already."""
    if counts.get("codings"):
        return None
    pending = (counts.get("suggestions") or {}).get("pending", 0)
    if include == "pending" and pending:
        return (f"Nothing is coded yet: the tables and the report count the {plural(pending, 'pending suggestion')} "
                "only. Decide them on the **Code** page to count codings.")
    if not counts.get("documents"):
        todo = "Import transcripts on the **Import** page, then code them on the **Code** page."
    else:
        todo = ("Code on the **Code** page (accept suggestions or code by hand), or bring in coded data "
                "(a .qdpx or a coding spreadsheet) on the **Agreement** page under *Bring in a colleague's work*."
                + (f" Or count the {plural(pending, 'pending suggestion')}: choose *Codings + pending "
                   "suggestions* in **Count**." if pending else ""))
    return ("Nothing is coded yet, so the tables and the report would be empty. " + todo + " The codebook and "
            "the REFI-QDA project (the documents and the codebook, to code in NVivo, ATLAS.ti or MAXQDA) "
            "can be exported now.")


def settings_of(export: Export, fmt: str, settings: dict[str, Any]) -> tuple:
    """What a download of ``export`` depends on: its format and the page settings it uses."""
    return (fmt, *((k, settings.get(k)) for k in export.uses))


THEMES_KEPT = "th_kept"  # the Themes page's choices this session (see themes._remember)
FROM_THEMES = {"exp_by": "th_by", "exp_include": "th_include", "exp_coder": "th_coder", "exp_source": "th_source"}


def _from_themes(options: dict[str, list[Any]], ctx: ProjectContext | None = None) -> None:
    """Coming to Export, its grouping, count, coder and source start as chosen on Themes (walk
    19: Themes counted anna's codings by year; Export, set to pooled and ungrouped, downloaded
    other figures than the ones just read), in this session or, before Themes is opened in it,
    as the coder last left Themes (``themes.PREFS``). Changed here, they stay so while the page
    is open."""
    kept = dict(st.session_state.get(THEMES_KEPT) or {})
    for key, theirs in FROM_THEMES.items():
        if key in st.session_state:
            continue
        if theirs not in kept and theirs in THEMES_PREFS and ctx is not None:  # read only on the first run
            stored = attempt(prefs.get_pref, ctx, THEMES_PREFS[theirs], None)
            if stored is not None:
                kept[theirs] = stored
        if theirs not in kept:
            continue
        value = None if kept[theirs] == "" else kept[theirs]  # Themes keeps None as ""
        # None is each box's first option, its default: set in the widget's state it would read as
        # no choice at all, "Choose an option" (walk 20)
        if value is not None and value in options[key]:
            st.session_state[key] = value
            st.session_state.setdefault(CARRIED, {})[key] = value


CARRIED = "exp_carried"  # the settings that came from Themes, said under the boxes (walk 31)
CARRIED_WORDS = {"exp_by": "grouped by {}", "exp_include": "pending suggestions counted",
                 "exp_coder": "{}'s codings", "exp_source": "{} only"}


def _carried_note() -> None:
    """Say which settings came from the Themes page while they are still as they came (walk 31:
    a frequencies file came out "by year" to a coder who had chosen no grouping here)."""
    carried = {k: v for k, v in (st.session_state.get(CARRIED) or {}).items()
               if st.session_state.get(k) == v and (k, v) != ("exp_include", "accepted")}  # the default
    if carried:
        said = "; ".join(CARRIED_WORDS[k].format(v) for k, v in carried.items())
        st.caption(f"As on the Themes page: {said}. Change it here for these downloads.")


def render() -> None:
    ctx = page_context("Export")
    if ctx is None:
        return
    groups: list[str] = []
    coders: list[str] = []
    try:
        names = analysis.attribute_names(ctx)
        groups = [*names.get("document", []), *names.get("speaker", [])]
        coders = analysis.coders(ctx)
    except QualcodeError as exc:  # grouping is optional here
        st.caption(f"Grouping unavailable: {error_text(exc)}")
    blind = blind_coder(ctx)
    several = len(coders) > 1 and blind is None
    _from_themes({"exp_by": [None, *groups], "exp_include": ["accepted", "pending"], "exp_coder": [None, *coders],
                  "exp_source": [None, "transcripts", "surveys"]}, ctx)
    cols = st.columns(3 if several else 2)
    by = cols[0].selectbox("Group tables by", [None, *groups], key="exp_by",
                           format_func=lambda g: "(no grouping)" if g is None else g)
    include = cols[1].selectbox("Count", ["accepted", "pending"], key="exp_include",
                                format_func={"accepted": "Decided codings", "pending": "Codings + pending suggestions"}.get)
    coder = blind
    if coder is not None:  # walk 41: Export pooled a blind colleague's codings, and offered theirs alone
        st.info(f"Counting only **{md(coder)}**'s codings, as Themes does. {BLIND_NOTE}",
                icon=":material/visibility_off:")
    if several:
        coder = cols[2].selectbox("Coder", [None, *coders], key="exp_coder",
                                  format_func=lambda c: "All coders, pooled" if c is None else c,
                                  help="Whose codings the tables and the report count: every coder's pooled "
                                       "together, or one coder's.")
        if coder is None:
            # walk 46: Themes said what a consensus does to the counts, Export did not
            rule = f" {CONSENSUS_RULE}" if team.CONSENSUS in coders else ""
            st.caption(f"Counts pool {pooled_coders(coders, team.CONSENSUS)}: an excerpt counts for a code "
                       f"when any of them applied it.{rule} The report says so.")
    source = None
    n = attempt(analysis.sources, ctx) or {}
    if n.get("transcripts") and n.get("surveys"):  # walk 15: the report pooled 40 respondents with 4 interviews
        source = st.selectbox("Count from", [None, "transcripts", "surveys"], key="exp_source",
                              format_func=source_labels(n).get,
                              help="A survey respondent counts as one document, like a transcript: counted "
                                   "together, shares of documents mix both. The report says which it counts.")
    _carried_note()
    settings = {"by": by, "include": include, "coder": coder, "source": source}
    # walk: on a new project every Prepare made a file of headers and zeros without a word
    counts = dict(attempt(project_status, ctx, verdicts=False) or {"codings": 1})  # unknown: no notice
    memos = attempt(memo_count, ctx)
    counts["memos"] = 1 if memos is None else memos
    note = nothing_coded_note(counts, include)
    if note:
        st.info(note, icon=":material/info:")
    empty = empty_reasons(counts, include)
    ready = st.session_state.setdefault("exp_ready", {})
    formats = st.session_state.setdefault("exp_formats", {})
    for export in exports():
        name, title = export.name, export.title
        with st.container(border=True, key=f"exp-{name}"):
            row = st.columns([2.6, 1, 1, 1.4], vertical_alignment="center")  # room for "Download .docx" (walk 47: "Download .d…")
            why_not = empty.get(export.needs or "")
            row[0].markdown(f"**{title}**  \n{export.help}" + ("  \nChoose a grouping above first." if export.needs_by
                                                                  and not by else "")
                            + (f"  \n*{why_not}*" if why_not else ""))
            # xlsx first where offered; the coder's choice stays while the page is open and
            # comes back when they return to the page (kept outside the widget's state).
            start = formats.get(name) if formats.get(name) in export.formats else export.default_format
            fmt = row[1].selectbox("Format", export.formats, key=f"fmt-{name}", label_visibility="collapsed",
                                   index=export.formats.index(start))
            formats[name] = fmt
            wanted = settings_of(export, fmt, settings)
            if row[2].button("Prepare", key=f"prep-{name}", icon=":material/build:", width="stretch",
                             disabled=bool(export.needs_by and not by or why_not)):
                with st.spinner(f"Preparing {title}…"):
                    try:
                        ready[name] = (wanted, *prepare(ctx, export, fmt, by=by, include=include, coder=coder,
                                                        source=source))
                    except (QualcodeError, ValueError) as exc:  # shown as a message
                        ready.pop(name, None)
                        st.error(f"{title}: {error_text(exc)}")
            if name in ready and ready[name][0] != wanted:  # made with other settings: not this download
                ready.pop(name)
                row[3].caption("Settings changed: prepare it again.")
            if name in ready:
                _, filename, data = ready[name]
                ext = filename.rsplit(".", 1)[-1]  # which file it saves, in its label (walk 23)
                row[3].download_button(f"Download .{ext}", data, file_name=filename, key=f"dl-{name}",
                                       mime=MIME.get(ext, "application/octet-stream"),
                                       icon=":material/download:", on_click="ignore", width="stretch")
