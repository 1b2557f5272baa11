"""Bulk loaders for analysis: compact columns straight from SQL into pandas.

Analysis works on a few integer columns per coding (excerpt, code, document, speaker),
never on ORM objects: half a million codings load in a fraction of a second this way.
Each loader returns a :class:`pandas.DataFrame` with the columns named in its docstring.

>>> pairs = coded_pairs(s)  # doctest: +SKIP
>>> list(pairs.columns)  # doctest: +SKIP
['excerpt_id', 'code_id', 'document_id', 'speaker_id']
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import String, and_, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from qualcode.core.model import CONSENSUS_CODER
from qualcode.storage.chunks import chunks
from qualcode.storage.coding import open_for
from qualcode.storage.models import (
    CoderRow,
    CodingRow,
    DocumentAttributeRow,
    DocumentRow,
    ExcerptRow,
    MemoRow,
    ReviewRow,
    SpeakerAttributeRow,
    SpeakerRow,
    SuggestionRow,
    TurnRow,
)


def _frame(s: Session, stmt, columns: list[str]) -> pd.DataFrame:
    """Run ``stmt`` on the raw DBAPI cursor (no Row objects) and build a frame."""
    result = s.connection().execute(stmt)
    rows = result.cursor.fetchall() if result.cursor is not None else []
    result.close()
    return pd.DataFrame.from_records(rows, columns=columns)


def _ints(text: str | None) -> np.ndarray:
    """Parse a comma-joined list of integers (from ``aggregate_strings``)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def _agg(s: Session, col):
    """Comma-joined values of an integer column. SQLite's group_concat takes integers as
    they are (a CAST to text per value costs a third more); other databases get the
    portable ``aggregate_strings`` of the text."""
    if s.get_bind().dialect.name == "sqlite":
        return func.group_concat(col)
    return func.aggregate_strings(cast(col, String), ",")


_PACK = 1 << 32  # excerpt id and "who" share one 64-bit integer: id * _PACK + who + _HALF
_HALF = 1 << 31


def _excerpt_who(s: Session) -> tuple[np.ndarray, np.ndarray]:
    """(excerpt ids, who) for every excerpt with a turn; who is the turn's speaker id, or
    ``-1 - document_id`` when the turn has no speaker. On SQLite, when all ids fit in 31
    bits (the three maxima are primary-key look-ups), both travel packed in one 64-bit
    integer per excerpt: half the values to join into text and to parse (15 % faster)."""
    who = func.coalesce(TurnRow.speaker_id, -1 - TurnRow.document_id)

    def joined(*cols):
        return select(*cols).select_from(ExcerptRow).join(TurnRow, TurnRow.id == ExcerptRow.turn_id)

    sqlite = s.get_bind().dialect.name == "sqlite"
    tops = s.execute(select(select(func.max(ExcerptRow.id)).scalar_subquery(),
                            select(func.max(SpeakerRow.id)).scalar_subquery(),
                            select(func.max(DocumentRow.id)).scalar_subquery())).one() if sqlite else ()
    if sqlite and all((t or 0) < _HALF - 1 for t in tops):
        packed = _ints(s.execute(joined(_agg(s, ExcerptRow.id * _PACK + who + _HALF))).scalar())
        return packed >> 32, (packed & (_PACK - 1)) - _HALF
    ids, whos = s.execute(joined(_agg(s, ExcerptRow.id), _agg(s, who))).one()
    return _ints(ids), _ints(whos)


def excerpt_map(s: Session) -> pd.DataFrame:
    """Every excerpt's document and speaker: columns excerpt_id, document_id, speaker_id
    (-1 when the excerpt has no turn/speaker).

    One narrow query (an index-only scan of ``ix_excerpts_turn_id``, joined to turns by
    primary key in turn order) returns a comma-joined string of each excerpt's id and its
    turn's speaker (see :func:`_excerpt_who`). A speaker belongs to one document, so the
    document comes from the small speakers table. Parsing one string with numpy instead of
    building 500,000 result rows is what keeps analysis of large projects well under a second.
    """
    e_ids, who = _excerpt_who(s)
    sp = s.execute(select(SpeakerRow.id, SpeakerRow.document_id)).all()
    sp_ids = np.array([r[0] for r in sp], dtype=np.int64)
    doc_of_speaker = np.full(int(sp_ids.max()) + 1 if len(sp_ids) else 1, -1, dtype=np.int64)
    doc_of_speaker[sp_ids] = np.array([r[1] for r in sp], dtype=np.int64)
    has = who >= 0
    speaker_id = np.where(has, who, -1)
    document_id = np.where(has, doc_of_speaker[np.where(has, who, 0)], -1 - who)
    # Excerpts without a turn (rare) get their document directly.
    loose = s.execute(select(ExcerptRow.id, ExcerptRow.document_id).where(ExcerptRow.turn_id.is_(None))).all()
    if loose:
        e_ids = np.concatenate([e_ids, np.array([r[0] for r in loose], dtype=np.int64)])
        document_id = np.concatenate([document_id, np.array([r[1] for r in loose], dtype=np.int64)])
        speaker_id = np.concatenate([speaker_id, np.full(len(loose), -1, dtype=np.int64)])
    return pd.DataFrame({"excerpt_id": e_ids, "document_id": document_id, "speaker_id": speaker_id})


def settled_excerpts(s: Session) -> tuple[int | None, np.ndarray]:
    """The consensus coder's id and the excerpts it has reviewed: those a disagreement review
    settled (its agreed codes, or none). Pooled counts read the consensus alone there: two
    coders who resolved Trust against Structure as Trust count Trust once, not Structure too
    (walk 43: an excerpt agreed as Trust still counted for Structure)."""
    cid = s.scalar(select(CoderRow.id).where(CoderRow.name == CONSENSUS_CODER))
    if cid is None:
        return None, np.zeros(0, dtype=np.int64)
    return cid, np.fromiter(s.scalars(select(ReviewRow.excerpt_id).where(ReviewRow.coder_id == cid)),
                            dtype=np.int64)


def code_excerpts(s: Session, *, include_pending: bool = False,
                  coder_id: int | None = None) -> list[tuple[str, np.ndarray]]:
    """(code_id, excerpt ids) per code: one entry per coding (an excerpt two coders coded
    appears twice), pending suggestions added with ``include_pending``. An index-only scan
    of ``ix_codings_code_id_excerpt_id``, one comma-joined string per code. Pooled (no
    ``coder_id``), an excerpt a consensus settled holds the consensus's codes alone
    (:func:`settled_excerpts`)."""
    q = select(CodingRow.code_id, _agg(s, CodingRow.excerpt_id)).group_by(CodingRow.code_id)
    if coder_id is not None:
        q = q.where(CodingRow.coder_id == coder_id)
    parts = list(s.execute(q).all())
    out = [(c, _ints(ids)) for c, ids in parts]
    settled = np.zeros(0, dtype=np.int64)
    if coder_id is None:
        consensus, settled = settled_excerpts(s)
        if len(settled):
            out = [(c, a[~np.isin(a, settled)]) for c, a in out]
            agreed = s.execute(select(CodingRow.code_id, _agg(s, CodingRow.excerpt_id))
                               .where(CodingRow.coder_id == consensus).group_by(CodingRow.code_id)).all()
            out += [(c, a[np.isin(a, settled)]) for c, a in ((c, _ints(ids)) for c, ids in agreed)]
    if include_pending and coder_id is not None:  # one coder: the suggestions still open for them
        by_code: dict[str, list[int]] = {}
        for _, ex, code in open_for(s, coder_id):
            by_code.setdefault(code, []).append(ex)
        out += [(c, np.asarray(ids, dtype=np.int64)) for c, ids in sorted(by_code.items())]
    elif include_pending:
        out += [(c, a[~np.isin(a, settled)]) for c, a in ((c, _ints(ids)) for c, ids in s.execute(
            select(SuggestionRow.code_id, _agg(s, SuggestionRow.excerpt_id))
            .where(SuggestionRow.status == "pending").group_by(SuggestionRow.code_id)).all())]
    return [(c, a) for c, a in out if len(a)]


def coded_pairs(
    s: Session,
    *,
    include_pending: bool = False,
    coder_id: int | None = None,
    excerpts: pd.DataFrame | None = None,
    units: bool = True,
) -> pd.DataFrame:
    """Which excerpt carries which code: columns excerpt_id, code_id (categorical),
    document_id, speaker_id (-1 when none).

    One row per coding (so an excerpt two coders coded appears twice); with
    ``include_pending`` pending suggestions are added as if they were codings.
    ``excerpts`` is :func:`excerpt_map` (loaded when not given). With ``units=False``
    only excerpt_id and code_id are returned (all excerpt-level co-occurrence needs) and
    the excerpt map is not read.
    """
    parts = code_excerpts(s, include_pending=include_pending, coder_id=coder_id)
    codes = sorted({c for c, _ in parts})
    index = {c: i for i, c in enumerate(codes)}
    arrays = [a for _, a in parts]
    ex = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.int64)
    code_idx = (np.concatenate([np.full(len(a), index[c], dtype=np.int64) for c, a in parts])
                if arrays else np.zeros(0, dtype=np.int64))
    out = {
        "excerpt_id": ex,
        "code_id": pd.Categorical.from_codes(code_idx, categories=codes) if codes else pd.Categorical([]),
    }
    if not units:
        return pd.DataFrame(out)
    emap = excerpt_map(s) if excerpts is None else excerpts
    top = int(max(emap["excerpt_id"].max() if len(emap) else 0, ex.max() if len(ex) else 0)) + 1
    doc_of = np.full(top, -1, dtype=np.int64)
    spk_of = np.full(top, -1, dtype=np.int64)
    doc_of[emap["excerpt_id"].to_numpy()] = emap["document_id"].to_numpy()
    spk_of[emap["excerpt_id"].to_numpy()] = emap["speaker_id"].to_numpy()
    out["document_id"] = doc_of[ex] if len(ex) else ex
    out["speaker_id"] = spk_of[ex] if len(ex) else ex
    return pd.DataFrame(out)


def documents_frame(s: Session) -> pd.DataFrame:
    """Columns document_id, name, format, word_count, participant_words, content_hash."""
    q = select(DocumentRow.id, DocumentRow.name, DocumentRow.format, DocumentRow.word_count,
               DocumentRow.participant_words, DocumentRow.content_hash).order_by(DocumentRow.id)
    return _frame(s, q, ["document_id", "name", "format", "word_count", "participant_words", "content_hash"])


def document_attributes_frame(s: Session) -> pd.DataFrame:
    """Columns document_id, key, value, type."""
    q = select(DocumentAttributeRow.document_id, DocumentAttributeRow.key, DocumentAttributeRow.value,
               DocumentAttributeRow.type)
    return _frame(s, q, ["document_id", "key", "value", "type"])


def speakers_frame(s: Session) -> pd.DataFrame:
    """Columns speaker_id, document_id, label, pseudonym, role."""
    q = select(SpeakerRow.id, SpeakerRow.document_id, SpeakerRow.label, SpeakerRow.pseudonym, SpeakerRow.role)
    return _frame(s, q, ["speaker_id", "document_id", "label", "pseudonym", "role"])


def speaker_attributes_frame(s: Session) -> pd.DataFrame:
    """Columns speaker_id, key, value, type."""
    q = select(SpeakerAttributeRow.speaker_id, SpeakerAttributeRow.key, SpeakerAttributeRow.value,
               SpeakerAttributeRow.type)
    return _frame(s, q, ["speaker_id", "key", "value", "type"])


def excerpt_counts(s: Session, excerpts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Excerpts per (document, speaker): columns document_id, speaker_id (-1: none), excerpts,
    and codable (those of them a coder can code: an interviewer's lines are not, so they are no
    part of a share of excerpts; walk 10: the export's excerpts_total counted them)."""
    emap = excerpt_map(s) if excerpts is None else excerpts
    if emap.empty:
        return pd.DataFrame(columns=["document_id", "speaker_id", "excerpts", "codable"])
    doc = emap["document_id"].to_numpy(dtype=np.int64)
    spk = emap["speaker_id"].to_numpy(dtype=np.int64)
    span = int(spk.max()) + 2
    key, inverse, n = np.unique(doc * span + (spk + 1), return_inverse=True, return_counts=True)
    closed = np.fromiter(s.scalars(select(ExcerptRow.id).where(ExcerptRow.codable.is_(False))), dtype=np.int64)
    shut = np.isin(emap["excerpt_id"].to_numpy(dtype=np.int64), closed)
    codable = n - np.bincount(inverse.ravel()[shut], minlength=len(n))
    return pd.DataFrame({"document_id": key // span, "speaker_id": key % span - 1, "excerpts": n, "codable": codable})


def speaker_words(s: Session) -> pd.DataFrame:
    """Words spoken per speaker (whitespace tokens of their turns): speaker_id, words.

    Needs the document texts, so it is only loaded when a speaker-level attribute is
    used for grouping.
    """
    texts = dict(s.execute(select(DocumentRow.id, DocumentRow.text)).all())
    words: dict[int, int] = {}
    for doc_id, speaker_id, start, end in s.execute(
        select(TurnRow.document_id, TurnRow.speaker_id, TurnRow.start, TurnRow.end)
    ):
        if speaker_id is None:
            continue
        words[speaker_id] = words.get(speaker_id, 0) + len(texts[doc_id][start:end].split())
    return pd.DataFrame({"speaker_id": list(words), "words": list(words.values())},
                        columns=["speaker_id", "words"])


def coding_details(
    s: Session,
    *,
    include_pending: bool = False,
    coder_id: int | None = None,
    code_ids: Iterable[str] | None = None,
    document_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Every coding with its coder and span: excerpt_id, code_id, coder, origin, start, end,
    score (when it came from a suggestion: the probability its chip showed, the calibrated one
    kept with the suggestion, else its decision score; walk 11: the export's 0.9997 beside a
    chip's 83%). Pending suggestions come with coder ``None`` and origin ``pending``. Pooled (no
    ``coder_id``), an excerpt a consensus settled holds the consensus's codings alone, as in
    :func:`code_excerpts`."""
    shown = func.coalesce(SuggestionRow.explanation["probability"].as_float(), SuggestionRow.score)
    code_ids = None if code_ids is None else list(code_ids)
    document_ids = None if document_ids is None else list(document_ids)
    q = (select(CodingRow.excerpt_id, CodingRow.code_id, CoderRow.name, CodingRow.origin,
                CodingRow.start, CodingRow.end, shown)
         .select_from(CodingRow)
         .join(CoderRow, CoderRow.id == CodingRow.coder_id)
         .outerjoin(SuggestionRow, SuggestionRow.id == CodingRow.suggestion_id))
    conds = []
    if coder_id is not None:
        conds.append(CodingRow.coder_id == coder_id)
    if code_ids is not None:
        conds.append(CodingRow.code_id.in_(code_ids))
    if document_ids is not None:
        q = q.join(ExcerptRow, ExcerptRow.id == CodingRow.excerpt_id)
        conds.append(ExcerptRow.document_id.in_(document_ids))
    if conds:
        q = q.where(and_(*conds))
    columns = ["excerpt_id", "code_id", "coder", "origin", "start", "end", "score"]
    if not include_pending:
        details = _frame(s, q, columns)
    elif coder_id is None:
        p = _pending_details(code_ids, document_ids, shown)
        details = _frame(s, union_all(q, p.where(SuggestionRow.status == "pending")), columns)
    else:  # one coder: the suggestions still open for them (their Code page's), not the rows' status
        p = _pending_details(code_ids, document_ids, shown)
        ids = [i for i, _, _ in open_for(s, coder_id, document_ids)]
        frames = [_frame(s, q, columns)] + [_frame(s, p.where(SuggestionRow.id.in_(chunk)), columns)
                                            for chunk in chunks(ids)]
        frames = [f for f in frames if len(f)]
        details = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    return _consensus_alone(s, details) if coder_id is None else details


def _pending_details(code_ids, document_ids, shown):
    """The pending suggestions as coding rows (coder None, origin "pending"), filtered alike."""
    p = (select(SuggestionRow.excerpt_id, SuggestionRow.code_id, literal(None).label("name"),
                literal("pending").label("origin"), ExcerptRow.start, ExcerptRow.end, shown)
         .select_from(SuggestionRow).join(ExcerptRow, ExcerptRow.id == SuggestionRow.excerpt_id))
    if code_ids is not None:
        p = p.where(SuggestionRow.code_id.in_(code_ids))
    if document_ids is not None:
        p = p.where(ExcerptRow.document_id.in_(document_ids))
    return p


def _consensus_alone(s: Session, details: pd.DataFrame) -> pd.DataFrame:
    """Pooled details without the coders' own codings (and pending suggestions) on the excerpts
    a consensus settled (:func:`settled_excerpts`)."""
    _consensus, settled = settled_excerpts(s)
    if not len(settled) or details.empty:
        return details
    other = details["excerpt_id"].isin(settled) & (details["coder"] != CONSENSUS_CODER)
    return details[~other].reset_index(drop=True)


def excerpts_frame(s: Session, excerpt_ids: Iterable[int] | None = None, *,
                   containing: Iterable[str] | None = None, or_accented: str | None = None) -> pd.DataFrame:
    """excerpt_id, document_id, turn_id, order, start, end, text, codable, speaker_id, turn_order.

    ``containing``: only excerpts whose text holds one of these pieces, in any case (ASCII letters:
    SQL's LIKE folds no other case): the text search's first, cheap cut (500,000 excerpts are not
    read into Python to find a word in a few). ``or_accented`` (a character range such as
    ``"\u00c0-\u024f"``): excerpts holding a character of it come too (a search that ignores
    accents reads those in Python)."""
    q = (select(ExcerptRow.id, ExcerptRow.document_id, ExcerptRow.turn_id, ExcerptRow.order,
                ExcerptRow.start, ExcerptRow.end, ExcerptRow.text, ExcerptRow.codable,
                TurnRow.speaker_id, TurnRow.order)
         .select_from(ExcerptRow).outerjoin(TurnRow, TurnRow.id == ExcerptRow.turn_id)
         .order_by(ExcerptRow.document_id, ExcerptRow.order))
    if containing is not None:
        pieces = [p.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for p in containing]
        found = [ExcerptRow.text.ilike(f"%{p}%", escape="\\") for p in pieces]
        if or_accented:
            sqlite = s.get_bind().dialect.name == "sqlite"
            found.append(ExcerptRow.text.op("GLOB")(f"*[{or_accented}]*") if sqlite
                         else ExcerptRow.text.op("~")(f"[{or_accented}]"))
        q = q.where(or_(*found))
    cols = ["excerpt_id", "document_id", "turn_id", "order", "start", "end", "text", "codable",
            "speaker_id", "turn_order"]
    if excerpt_ids is None:
        return _frame(s, q, cols)
    ids = sorted(set(int(i) for i in excerpt_ids))
    parts = [_frame(s, q.where(ExcerptRow.id.in_(chunk)), cols) for chunk in chunks(ids, 900)]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=cols)


def turns_frame(s: Session, document_ids: Iterable[int] | None = None) -> pd.DataFrame:
    """turn_id, document_id, speaker_id, order, start, end, start_ms, end_ms."""
    q = select(TurnRow.id, TurnRow.document_id, TurnRow.speaker_id, TurnRow.order, TurnRow.start,
               TurnRow.end, TurnRow.start_ms, TurnRow.end_ms).order_by(TurnRow.document_id, TurnRow.order)
    if document_ids is not None:
        q = q.where(TurnRow.document_id.in_(list(document_ids)))
    return _frame(s, q, ["turn_id", "document_id", "speaker_id", "order", "start", "end", "start_ms", "end_ms"])


def document_texts(s: Session, document_ids: Iterable[int] | None = None) -> dict[int, str]:
    q = select(DocumentRow.id, DocumentRow.text)
    if document_ids is not None:
        q = q.where(DocumentRow.id.in_(list(document_ids)))
    return dict(s.execute(q).all())


def memos_frame(s: Session) -> pd.DataFrame:
    """memo_id, excerpt_id, document_id, code_id, coder, text, created_at.

    A memo on one coding carries that coding's code and excerpt (walk 49: a memo written under
    one of an excerpt's two codes stood on both codes' rows of the coded-excerpts table)."""
    on = aliased(CodingRow)
    q = (select(MemoRow.id, func.coalesce(MemoRow.excerpt_id, on.excerpt_id), MemoRow.document_id,
                func.coalesce(MemoRow.code_id, on.code_id), CoderRow.name, MemoRow.text, MemoRow.created_at)
         .join(CoderRow, CoderRow.id == MemoRow.coder_id)
         .outerjoin(on, on.id == MemoRow.coding_id).order_by(MemoRow.id))
    return pd.DataFrame([tuple(r) for r in s.execute(q).all()],
                        columns=["memo_id", "excerpt_id", "document_id", "code_id", "coder", "text", "created_at"])


def coder_id_by_name(s: Session, name: str) -> int | None:
    return s.scalar(select(CoderRow.id).where(CoderRow.name == name))


def coders_with_codings(s: Session) -> list[str]:
    """Names of the coders who made at least one coding, alphabetically."""
    q = (select(CoderRow.name).join(CodingRow, CodingRow.coder_id == CoderRow.id)
         .group_by(CoderRow.name).order_by(CoderRow.name))
    return list(s.scalars(q))


def started_documents(s: Session, coder_id: int | None = None) -> set[int]:
    """Documents with at least one excerpt reviewed or coded (by ``coder_id``, else by anyone):
    the ones a comparison of groups can read a code's absence from."""
    out: set[int] = set()
    for row in (ReviewRow, CodingRow):
        q = select(ExcerptRow.document_id).join(row, row.excerpt_id == ExcerptRow.id).distinct()
        if coder_id is not None:
            q = q.where(row.coder_id == coder_id)
        out.update(int(d) for d in s.scalars(q))
    return out
