"""Read-only view models for the app: what one screen needs, fetched in one session.

The Code page shows a whole transcript as a conversation (turns with speaker, role and
time; each excerpt with its suggestion chips, this coder's codings and memos).
:func:`transcript_view` builds that in one read-only session with about a dozen
queries, whatever the transcript's length, so a 9,000-word interview renders fast.
:func:`excerpt_states` refreshes just a few excerpts after a decision.

>>> view = transcript_view(ctx, doc_id)  # doctest: +SKIP
>>> view.turns[0].speaker, view.turns[0].excerpts[0].chips  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from qualcode.core.text import plural
from qualcode.services.project import ProjectContext
from qualcode.storage import analysis_queries
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from qualcode.storage import documents as doc_store
from qualcode.storage import meta, ui_views


@dataclass
class Chip:
    """One suggested code on an excerpt."""

    suggestion_id: int
    code_id: str
    code_name: str
    score: float
    status: str  # pending | accepted | rejected: this coder's own verdict
    explanation: dict[str, Any] = field(default_factory=dict)
    others: str = ""  # e.g. "bob accepted" (only with independent coding off)

    @property
    def probability(self) -> float:
        """How likely the coder applies this code here (the engine's calibrated probability;
        the decision score for suggestions stored without one). What the chip shows: the
        decision score is 0.5 at each code's threshold and near 1.00 on a single keyword hit.
        """
        p = self.explanation.get("probability") if isinstance(self.explanation, dict) else None
        return float(p) if isinstance(p, (int, float)) else float(self.score)


@dataclass
class CodingView:
    id: int
    code_id: str
    code_name: str
    start: int
    end: int
    origin: str
    span_text: str
    whole: bool  # covers the whole excerpt


@dataclass
class ExcerptState:
    """What changes when a coder decides: chips, codings, memos, reviewed."""

    chips: list[Chip] = field(default_factory=list)
    codings: list[CodingView] = field(default_factory=list)
    memos: list[str] = field(default_factory=list)
    reviewed: bool = False
    colleagues: dict[str, list[str]] = field(default_factory=dict)  # coder -> code names (independent off)
    hidden: bool = False  # independent coding: a colleague's model's suggestions are here, not shown

    @property
    def pending(self) -> list[Chip]:
        return [c for c in self.chips if c.status == "pending"]

    @property
    def best(self) -> Chip | None:
        """The suggestion A and X decide, the one the Accept / Reject buttons name: the most
        likely open one (chips are sorted by the probability shown, not by the raw score; walk
        13: the keys followed the raw score and accepted a code the button did not name)."""
        return max(self.pending, key=lambda c: c.probability, default=None)

    def best_of(self, prefer: str | None) -> Chip | None:
        """The suggestion A and X decide while the coder goes through one code's suggestions
        (``prefer``: "Look again for Device access", then "Show them"): that code's open chip
        where there is one, else :attr:`best` (walk 42: A accepted "Opening hours", the likelier
        chip, on an excerpt opened to decide "Device access").

        >>> st = ExcerptState(chips=[Chip(1, "a", "A", 0.9, "pending"), Chip(2, "b", "B", 0.6, "pending")])
        >>> st.best_of("b").code_id, st.best_of(None).code_id, st.best_of("gone").code_id
        ('b', 'a', 'a')
        """
        preferred = next((c for c in self.pending if c.code_id == prefer), None) if prefer else None
        return preferred or self.best

    def nothing_here(self) -> tuple[str, str, bool]:
        """The "Nothing here" button (D) on this excerpt: ``(label, help, enabled)``.

        Not coded: "Nothing here" marks it reviewed with no code and rejects its open
        suggestions. Coded, with suggestions still open: "Nothing more here" rejects those
        and keeps the codes (a coder who has coded what applies says no to the rest). Nothing
        left to do (coded or marked, nothing open): off (``enabled`` False: D then moves on to
        the next excerpt, as A does), and the help says why.

        >>> ExcerptState(reviewed=True).nothing_here()[2]
        False
        """
        n = len(self.pending)
        left = f"the {n} suggestion{'s' if n != 1 else ''} still open on it"
        if self.codings:
            if n:
                return "Nothing more here", f"Reject {left}; your codes here stay (U undoes it)", True
            if not self.reviewed:
                return "Nothing more here", "Mark this excerpt done; your codes here stay", True
            return ("Nothing more here", "Nothing left to decide: you coded this excerpt and no suggestion on it "
                    "is open. Remove a code below to change it; A moves to the next excerpt (D too).", False)
        if self.reviewed and not n:
            # said as it is whether the coder pressed Nothing here or turned down every suggestion
            # (a walk: "you marked this excerpt as having nothing to code" after one reject)
            decided = "every suggestion on it is decided and " if self.chips else ""
            return ("Nothing here", f"Already done: {decided}nothing is coded here. Add a code below or undo (U) "
                    "to change it; A moves to the next excerpt (D too).", False)
        return ("Nothing here", "Mark the excerpt reviewed with no code (a negative example)"
                + (f" and reject {left}" if n else ""), True)

    def status(self) -> str:
        """coded | reviewed | pending (has undecided suggestions) | open."""
        if self.codings:
            return "coded"
        if self.reviewed:
            return "reviewed"
        return "pending" if self.pending else "open"


@dataclass
class ExcerptView:
    id: int
    order: int
    start: int
    end: int
    text: str
    codable: bool
    turn_order: int
    state: ExcerptState = field(default_factory=ExcerptState)


@dataclass
class TurnView:
    id: int | None
    order: int
    label: str
    speaker: str  # display name (pseudonym when there is one)
    role: str
    start_ms: int | None
    excerpts: list[ExcerptView] = field(default_factory=list)

    @property
    def time(self) -> str:
        return format_ms(self.start_ms)


@dataclass
class TranscriptView:
    document_id: int
    name: str
    attributes: dict[str, str]
    speakers: dict[str, str]  # label -> role
    turns: list[TurnView]
    code_names: dict[str, str]
    text: str = ""  # the document's stored text (offsets count into it)

    def excerpts(self) -> list[ExcerptView]:
        return [e for t in self.turns for e in t.excerpts]

    def progress(self) -> tuple[int, int]:
        """(reviewed or coded, codable) excerpts for this coder."""
        codable = [e for e in self.excerpts() if e.codable]
        done = sum(1 for e in codable if e.state.reviewed or e.state.codings)
        return done, len(codable)

    def left_open(self) -> int:
        """Suggestions still open on excerpts this coder has decided: a coder who accepts one of
        an excerpt's chips and moves on leaves the others there. N comes back to them, and the
        Project page counts them among "Suggestions for you"; the progress line says so (a walk:
        "23 of 23 decided" on the Code page beside 18 suggestions for you on the Project page)."""
        return sum(len(e.state.pending) for e in self.excerpts()
                   if e.codable and (e.state.reviewed or e.state.codings))


def format_ms(ms: int | None) -> str:
    """``3723000`` -> ``'1:02:03'``; ``None`` -> ``''``.

    >>> format_ms(65000), format_ms(3723000), format_ms(None)
    ('1:05', '1:02:03', '')
    """
    if ms is None:
        return ""
    sec = int(ms) // 1000
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _one_chip_per_code(chips: list[Chip], coder: str) -> list[Chip]:
    """One chip per code on an excerpt: under independent coding two coders' models may each hold
    a row for the same code there. The coder's verdict first, then their own model's row, then
    the likelier one."""
    best: dict[str, Chip] = {}
    for chip in chips:
        cur = best.get(chip.code_id)
        if cur is None or _chip_rank(chip, coder) > _chip_rank(cur, coder):
            best[chip.code_id] = chip
    return [c for c in chips if best[c.code_id] is c]


def _chip_rank(chip: Chip, coder: str) -> tuple:
    return (chip.status != "pending", (chip.explanation or {}).get("model_of") == coder, chip.probability)


def _states(s, ctx: ProjectContext, *, document_id: int | None, excerpt_ids: list[int] | None,
            spans: dict[int, tuple[int, str]], code_names: dict[str, str]) -> dict[int, ExcerptState]:
    coder_id = ctx.coder_id(s)
    # A chip shows this coder's own verdict, so every coder can always record theirs: a
    # suggestion another coder decided is still open for me. With independent coding off
    # their verdict is shown beside it ("bob accepted"); with it on it stays hidden (as in
    # services.team.visible_suggestions). Codings are this coder's own; with independent coding
    # off a colleague's codes on the excerpt are listed too (``colleagues``), read-only.
    independent = bool(meta.get_setting(s, "independent_coding", False))
    states: dict[int, ExcerptState] = {}
    kw: dict[str, Any] = {"document_id": document_id} if excerpt_ids is None else {"excerpt_ids": excerpt_ids}
    suggestions = coding_store.list_suggestions(s, **kw)
    decided_by_others = [sg.id for sg in suggestions if sg.decided_by and sg.decided_by != ctx.coder]
    mine = coding_store.own_decisions(s, coder_id, decided_by_others) if decided_by_others else {}
    # a colleague's refresh stores its model's suggestions on excerpts this coder has finished:
    # not offered to this coder (walk 7: "75 of 75 decided" above Accept / Reject)
    late = coding_store.made_after_review(s, coder_id, [sg.id for sg in suggestions]) if suggestions else set()
    hidden: set[int] = set()  # excerpts holding a colleague's model's rows this coder is not shown
    for sg in suggestions:
        status, others = sg.status.value, ""
        if sg.decided_by and sg.decided_by != ctx.coder:
            status = mine.get(sg.id, "pending")
            if not independent:
                others = f"{sg.decided_by} {sg.status.value}"
        if status == "pending" and sg.id in late:
            continue
        if independent and sg.from_colleague(ctx.coder):
            if status == "pending":
                hidden.add(sg.excerpt_id)
            # a colleague's model carries their decisions: not for a blind coder (walk 18), nor
            # when this coder's "Nothing here" once rejected it in their name (walk 34)
            continue
        states.setdefault(sg.excerpt_id, ExcerptState()).chips.append(Chip(
            suggestion_id=sg.id, code_id=sg.code_id, code_name=code_names.get(sg.code_id, sg.code_id),
            score=float(sg.score), explanation=sg.explanation or {}, status=status, others=others))
    everyone = coding_store.list_codings(s, **kw)
    codings = [c for c in everyone if c.coder == ctx.coder]
    if not independent:  # a colleague's codes on the excerpt, beside (never instead of) this coder's own
        for c in everyone:
            if c.coder != ctx.coder:
                names = states.setdefault(c.excerpt_id, ExcerptState()).colleagues.setdefault(c.coder, [])
                name = code_names.get(c.code_id, c.code_id)
                if name not in names:
                    names.append(name)
    have = {(c.excerpt_id, c.code_id) for c in codings}
    for ex_id in hidden:
        states.setdefault(ex_id, ExcerptState()).hidden = True
    for ex_id, state in states.items():
        for chip in state.chips:  # a code this coder already has here is settled, never offered again
            if chip.status == "pending" and (ex_id, chip.code_id) in have:
                chip.status = "accepted"
        state.chips = _one_chip_per_code(state.chips, ctx.coder)
        state.chips.sort(key=lambda c: -c.probability)  # most likely first: the order of the percentages shown
    for c in codings:
        ex_start, ex_text = spans.get(c.excerpt_id, (c.start, ""))
        span = ex_text[c.start - ex_start:c.end - ex_start]
        states.setdefault(c.excerpt_id, ExcerptState()).codings.append(CodingView(
            id=c.id, code_id=c.code_id, code_name=code_names.get(c.code_id, c.code_id), start=c.start,
            end=c.end, origin=c.origin.value, span_text=span,
            whole=(c.start == ex_start and c.end == ex_start + len(ex_text))))
    for m in coding_store.list_memos(s, **kw):
        if m.excerpt_id is not None:
            states.setdefault(m.excerpt_id, ExcerptState()).memos.append(f"{m.coder}: {m.text}")
    doc_for_reviews = document_id
    if doc_for_reviews is None and excerpt_ids and len(excerpt_ids) == 1:
        # Several excerpts may come from several documents (a page of the survey grid):
        # then this coder's reviews are read whole and filtered below.
        doc_for_reviews = ui_views.excerpt_document(s, excerpt_ids[0])
    reviewed = coding_store.reviewed_excerpts(s, coder_id=coder_id, document_id=doc_for_reviews)
    wanted = set(excerpt_ids) if excerpt_ids is not None else None
    for ex_id in reviewed:
        if wanted is None or ex_id in wanted:
            states.setdefault(ex_id, ExcerptState()).reviewed = True
    return states


def own_coding_count(ctx: ProjectContext) -> int:
    """How many codings this coder has made (the Project page's count under independent coding)."""
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, ctx.coder)
        return 0 if cid is None else coding_store.coding_count(s, cid)


def open_count(ctx: ProjectContext) -> int:
    """How many suggestions are still open for this coder in the whole project (their Code
    page's chips, not the rows' shared status: ``storage.coding.open_for``)."""
    with ctx.session(readonly=True) as s:
        cid = meta.find_coder(s, ctx.coder)
        if cid is None:  # wrote nothing yet: every row is theirs to decide, a colleague's decided
            return coding_store.suggestion_count(s)  # ones too (walk 14: 243 shown, 267 offered)
        return len(coding_store.open_for(s, cid))


def transcript_view(ctx: ProjectContext, document_id: int) -> TranscriptView:
    """The whole Code page model for one document, as this coder sees it."""
    with ctx.session(readonly=True) as s:
        doc = doc_store.load_document(s, document_id)
        code_names = {c.id: c.shown_name for c in code_store.load_codebook(s).codes}
        spans = {e.id: (e.start, e.text) for e in doc.excerpts}
        states = _states(s, ctx, document_id=document_id, excerpt_ids=None, spans=spans, code_names=code_names)
    role_of = {sp.label: sp.role.value for sp in doc.speakers}
    display = {sp.label: sp.display for sp in doc.speakers}
    turns: dict[int, TurnView] = {}
    for t in doc.turns:
        turns[t.order] = TurnView(id=t.id, order=t.order, label=t.speaker, speaker=display.get(t.speaker, t.speaker),
                                  role=role_of.get(t.speaker, "unknown"), start_ms=t.start_ms)
    for e in doc.excerpts:
        turn = turns.get(e.turn_order)
        if turn is None:  # an excerpt outside any turn: show it on its own
            turn = turns[e.turn_order] = TurnView(id=None, order=e.turn_order, label="", speaker="",
                                                  role="unknown", start_ms=None)
        turn.excerpts.append(ExcerptView(id=e.id, order=e.order, start=e.start, end=e.end, text=e.text,
                                         codable=e.codable, turn_order=e.turn_order,
                                         state=states.get(e.id, ExcerptState())))
    ordered = [turns[k] for k in sorted(turns) if turns[k].excerpts]
    return TranscriptView(document_id=document_id, name=doc.name,
                          attributes={k: str(a.value) for k, a in doc.attributes.items()},
                          speakers=role_of, turns=ordered, code_names=code_names, text=doc.text)


def excerpt_states(ctx: ProjectContext, excerpts: Iterable[tuple[int, int, str]]) -> dict[int, ExcerptState]:
    """Fresh states for a few excerpts, given as (id, start, text): after a decision."""
    items = list(excerpts)
    if not items:
        return {}
    with ctx.session(readonly=True) as s:
        code_names = {c.id: c.shown_name for c in code_store.load_codebook(s).codes}
        spans = {i: (start, text) for i, start, text in items}
        states = _states(s, ctx, document_id=None, excerpt_ids=[i for i, _, _ in items], spans=spans,
                         code_names=code_names)
    return {i: states.get(i, ExcerptState()) for i, _, _ in items}


def review_progress(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Per document: codable excerpts, pending suggestions, reviewed counts per coder."""
    with ctx.session(readonly=True) as s:
        return ui_views.review_progress(s)


def open_per_document(ctx: ProjectContext) -> dict[int, int]:
    """Document id -> suggestions still open for this coder there (what their Code page offers)."""
    with ctx.session(readonly=True) as s:
        return ui_views.open_per_document(s, ctx.coder_id(s))


def untouched_documents(ctx: ProjectContext, *, coder: str | None = None,
                        source: str | None = None) -> tuple[list[str], int]:
    """The documents counted (``source``: None, "transcripts" or "surveys") that nobody (or
    ``coder``) has reviewed or coded an excerpt of yet, and how many are counted. Themes and the
    report say so (:func:`untouched_note`): such a document counts as one without any code (walk
    13: "Trust 1 of 2 (50%)" for a year whose other document nobody had opened)."""
    rows = [r for r in review_progress(ctx) if r["codable"]
            and (source is None or (r["format"] == "survey") == (source == "surveys"))]
    with ctx.session(readonly=True) as s:  # one rule with the comparison that leaves them out
        cid = meta.find_coder(s, coder) if coder is not None else None
        started = set() if coder is not None and cid is None else analysis_queries.started_documents(s, cid)
    return [r["name"] for r in rows if r["id"] not in started], len(rows)


def untouched_note(ctx: ProjectContext, *, coder: str | None = None, source: str | None = None,
                   include: str = "accepted") -> str | None:
    """The sentence Themes and the report put above their counts while documents are not
    started (plain text; None when every document is): which, and what that does to shares."""
    names, total = untouched_documents(ctx, coder=coder, source=source)
    if not names:
        return None
    n = len(names)
    listed = ", ".join(names[:5]) + (", …" if n > 5 else "")
    counted = ("only their pending suggestions count" if include == "pending"
               else "they count as documents without any code")
    return (f"{n} of {plural(total, 'document')} {'has' if n == 1 else 'have'} not been coded"
            f"{f' by {coder}' if coder else ''} yet ({listed}): {counted}, so shares of documents may still rise.")


def excerpts_with_code(ctx: ProjectContext, code_id: str, *, limit: int = 200) -> list[dict[str, Any]]:
    """Quotes coded with a code (drill-down from the Codebook and Themes pages)."""
    with ctx.session(readonly=True) as s:
        return ui_views.excerpts_with_code(s, code_id, limit=limit)


def codebook(ctx: ProjectContext):
    """The project's codebook (core.Codebook), retired codes included."""
    with ctx.session(readonly=True) as s:
        return code_store.load_codebook(s)


def sidecar_attributes(data: bytes, filename: str, files: list[str], known: Iterable[str] = (),
                       attributes: Iterable[str] = ()) -> dict[str, Any]:
    """Read an uploaded attributes table (CSV: a ``file`` column, one column per attribute,
    optionally ``speaker``) for the Import page: the attributes of each uploaded file.

    Returns ``{"documents": {file: {key: value}}, "speakers": {file: {label: {key: value}}},
    "unused": [rows naming no uploaded file], "unused_message" (asking, of a row spelt close to
    an uploaded file that no row names, whether that one was meant), "unmatched": [those rows,
    as ``UnmatchedRow``: for ``ingest.attributes.unmatched_message`` to say again after the
    import, with what was imported], "matched_any", "columns": [a sentence per column spelt like
    one of the project's ``attributes`` but not the same (walk 24: ``yeer``)], "summary" (what the
    table gives the transcripts, in a line), "gives_all" (every transcript gets something)}``. ``known``: file names of documents
    already in the project, whose rows are not reported as matching nothing (walk 19: they
    were, on the next import). Errors are IngestErrors with the line (a ragged row included).
    """
    import tempfile
    from pathlib import Path

    from qualcode.ingest.attributes import load_sidecar

    from qualcode.errors import QualcodeError

    name = Path(filename).name or "attributes.csv"
    with tempfile.TemporaryDirectory(prefix="qualcode-attrs-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            car = load_sidecar(path)
        except QualcodeError as exc:
            if exc.file:
                exc.file = name  # the upload's own name, never the temporary copy read
            raise
    docs: dict[str, dict[str, str]] = {}
    speakers: dict[str, dict[str, dict[str, str]]] = {}
    for f in files:
        d, sp = car.for_file(f)
        if d:
            docs[f] = {k: str(getattr(a, "value", a)) for k, a in d.items()}
        if sp:
            speakers[f] = {label: {k: str(getattr(a, "value", a)) for k, a in attrs.items()}
                           for label, attrs in sp.items()}
    # the transcripts no row names: a row that names none is asked about the closest (walk 26)
    unnamed = [f for f in files if not any(k in car.used for k in car._keys(f))]
    for f in known:  # a row for a document already in the project names a transcript: not unmatched
        car.for_file(f)
    columns = [f"{name}: the column {col!r} is not an attribute of this project; did you mean {meant!r}? Rename "
               f"the column and upload the table again, or go on to add {col!r} as a new attribute."
               for col, meant in car.close_columns(attributes)]
    columns += [f"{name}, line {line}: the column {col!r} holds {kind}, but this row has {value!r}, which would "
                f"make a group of its own in every comparison. Correct it and upload the table again, or go on "
                f"if it is meant." for col, line, value, kind in car.odd_values()]
    return {"documents": docs, "speakers": speakers, "unused": car.unused(),
            "unused_message": car.unused_message(name, candidates=unnamed),
            "unmatched": car.unmatched(unnamed), "matched_any": bool(car.used), "columns": columns,
            "summary": _table_summary(name, files, docs, speakers),
            "gives_all": bool(files) and all(f in docs or f in speakers for f in files)}


def _table_summary(name: str, files: list[str], docs: dict[str, dict[str, str]],
                   speakers: dict[str, dict[str, dict[str, str]]]) -> str:
    """What an attributes table gives the uploaded transcripts, in a line (walk 33: uploaded
    again, the table said nothing when every row matched, and the coder could not tell it had
    been read). Empty when it gives none of them anything (the rows that match nothing are
    said elsewhere, with their lines).

    >>> _table_summary("t.csv", ["a.txt", "b.txt"], {"a.txt": {"year": "2021", "site": "North"}}, {})
    't.csv: 1 of 2 transcripts gets attributes from it (site, year); b.txt gets none. Each preview below shows what its transcript gets.'
    >>> _table_summary("t.csv", ["a.txt"], {}, {"a.txt": {"Ana": {"grade": "5"}}})
    't.csv: the transcript gets attributes from it (grade). Each preview below shows what its transcript gets.'
    """
    got = [f for f in files if f in docs or f in speakers]
    if not got:
        return ""
    keys = {k for f in got for k in docs.get(f, {})}
    keys |= {k for f in got for attrs in speakers.get(f, {}).values() for k in attrs}
    what = f"attributes from it ({', '.join(sorted(keys))})"
    if len(got) == len(files):
        every = {1: "the transcript gets", 2: "both transcripts get"}.get(len(files), f"all {len(files)} transcripts get")
        head = f"{every} {what}"
    else:
        missing = [f for f in files if f not in got]
        rest = ", ".join(missing[:3]) + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
        head = (f"{len(got)} of {plural(len(files), 'transcript')} {'gets' if len(got) == 1 else 'get'} {what}; "
                f"{rest} {'gets' if len(missing) == 1 else 'get'} none")
    return f"{name}: {head}. Each preview below shows what its transcript gets."


def table_rows_after_import(note: dict[str, Any], imported: dict[str, dict[str, str]]) -> tuple[str, bool]:
    """What the Import page says, with the import's result, of the attributes table's rows that
    named no transcript: ``note`` is {"name": the table's file name, "rows": its
    ``sidecar_attributes(...)["unmatched"]``, "matched_any"}, ``imported`` the transcripts
    imported with the attributes each got. A row whose probable transcript was imported says
    what that one got (walk 26: it said "upload that transcript with the table again" of one
    imported with those attributes typed in its box).

    Returns (the message, settled): settled when every such row's probable transcript was
    imported with all of the row's values (nothing of the table was lost: a note, no warning).
    """
    from pathlib import Path

    from qualcode.ingest.attributes import row_values_missing, unmatched_message

    rows = note["rows"]
    settled = all(r.meant in imported and not row_values_missing(r, imported[r.meant]) for r in rows)
    return (unmatched_message(Path(note["name"]).name or "attributes.csv", rows, imported=imported,
                              matched_any=note.get("matched_any", True)), settled)
