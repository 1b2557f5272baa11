"""Documents with their speakers, turns, excerpts and attributes."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from qualcode.core import Attribute, AttrType, Document, Excerpt, Role, Speaker, Turn, is_coded, text_hash
from qualcode.errors import NotFoundError
from qualcode.storage.models import (
    CodingRow,
    DocumentAttributeRow,
    DocumentRow,
    ExcerptRow,
    SpeakerAttributeRow,
    SpeakerRow,
    TurnRow,
)


def find_by_hash(s: Session, content_hash: str) -> int | None:
    return s.scalar(select(DocumentRow.id).where(DocumentRow.content_hash == content_hash))


def add_document(s: Session, doc: Document, *, coder_id: int | None = None,
                 coded_roles: Iterable[str] | None = None) -> int:
    """Insert a parsed document and everything under it; returns the new id.

    ``participant_words`` counts the words of the speakers whose speech is coded
    (:func:`qualcode.core.is_coded` with the project's ``coded_roles``).

    Runs inside the caller's transaction: if anything fails, nothing is kept.
    """
    doc.check_offsets()
    speakers_by_label = {sp.label: sp for sp in doc.speakers}
    for t in doc.turns:  # speakers referenced by turns but not declared
        speakers_by_label.setdefault(t.speaker, Speaker(label=t.speaker))
    role_of = {label: sp.role.value if isinstance(sp.role, Role) else str(sp.role)
               for label, sp in speakers_by_label.items()}
    participant_words = sum(
        len(doc.text[t.start : t.end].split())
        for t in doc.turns
        if is_coded(role_of.get(t.speaker), coded_roles)
    )
    row = DocumentRow(
        name=doc.name,
        source_filename=doc.source_filename,
        format=doc.format,
        text=doc.text,
        content_hash=doc.content_hash or text_hash(doc.text),
        word_count=doc.word_count,
        participant_words=participant_words,
        created_by=coder_id,
    )
    s.add(row)
    s.flush()
    for a in doc.attributes.values():
        s.add(DocumentAttributeRow(document_id=row.id, key=a.key, value=str(a.value), type=_type(a)))
    speaker_rows = {label: SpeakerRow(document_id=row.id, label=label, role=role_of[label], pseudonym=sp.pseudonym)
                    for label, sp in speakers_by_label.items()}
    s.add_all(speaker_rows.values())
    s.flush()
    for label, sp in speakers_by_label.items():
        for a in sp.attributes.values():
            s.add(SpeakerAttributeRow(speaker_id=speaker_rows[label].id, key=a.key, value=str(a.value), type=_type(a)))
    turn_rows = {
        t.order: TurnRow(
            document_id=row.id, speaker_id=speaker_rows[t.speaker].id, order=t.order,
            start=t.start, end=t.end, start_ms=t.start_ms, end_ms=t.end_ms,
        )
        for t in doc.turns
    }
    s.add_all(turn_rows.values())
    s.flush()
    turn_ids = {order: tr.id for order, tr in turn_rows.items()}
    s.add_all(
        ExcerptRow(
            document_id=row.id, turn_id=turn_ids.get(e.turn_order), order=i,
            start=e.start, end=e.end, text=e.text, text_hash=text_hash(e.text), codable=e.codable,
        )
        for i, e in enumerate(doc.excerpts)
    )
    s.flush()
    return row.id


def _type(a: Attribute) -> str:
    return a.type.value if isinstance(a.type, AttrType) else str(a.type)


def resolve_document(s: Session, ref: str | int) -> int:
    """A document id from an id or a name (exact, then unique prefix)."""
    if isinstance(ref, int) or str(ref).isdigit():
        if s.get(DocumentRow, int(ref)) is not None:
            return int(ref)
    ref = str(ref)
    ids = list(s.scalars(select(DocumentRow.id).where(DocumentRow.name == ref)))
    if not ids:
        ids = list(s.scalars(select(DocumentRow.id).where(DocumentRow.name.startswith(ref))))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise NotFoundError(f"no document {ref!r}", hint="list them with: qualcode documents",
                            app_hint="pick a document on the Code page")
    raise NotFoundError(f"{ref!r} matches {len(ids)} documents", hint="use the document id")


def load_document(s: Session, doc_id: int) -> Document:
    """The stored document as a core object, with speakers, turns and excerpts."""
    row = s.get(
        DocumentRow, doc_id,
        options=[selectinload(DocumentRow.speakers).selectinload(SpeakerRow.attributes),
                 selectinload(DocumentRow.attributes)],
    )
    if row is None:
        raise NotFoundError(f"no document with id {doc_id}", hint="list them with: qualcode documents",
                            app_hint="pick a document on the Code page")
    label_of = {sp.id: sp.label for sp in row.speakers}
    turns = [
        Turn(speaker=label_of.get(t.speaker_id, ""), order=t.order, start=t.start, end=t.end,
             start_ms=t.start_ms, end_ms=t.end_ms, id=t.id)
        for t in s.scalars(select(TurnRow).where(TurnRow.document_id == doc_id).order_by(TurnRow.order))
    ]
    order_of_turn = {t.id: t.order for t in turns}
    excerpts = [
        Excerpt(start=e.start, end=e.end, text=e.text, turn_order=order_of_turn.get(e.turn_id, -1),
                order=e.order, codable=e.codable, id=e.id, document_id=doc_id, turn_id=e.turn_id)
        for e in s.scalars(select(ExcerptRow).where(ExcerptRow.document_id == doc_id).order_by(ExcerptRow.order))
    ]
    return Document(
        name=row.name, text=row.text, source_filename=row.source_filename, format=row.format,
        attributes={a.key: Attribute(a.key, a.value, AttrType(a.type)) for a in row.attributes},
        speakers=[
            Speaker(label=sp.label, role=Role(sp.role), pseudonym=sp.pseudonym, id=sp.id,
                    attributes={a.key: Attribute(a.key, a.value, AttrType(a.type)) for a in sp.attributes})
            for sp in row.speakers
        ],
        turns=turns, excerpts=excerpts, content_hash=row.content_hash, id=row.id,
    )


def list_documents(s: Session) -> list[dict[str, Any]]:
    """One dict per document: id, name, format, attributes and counts (SQL aggregates)."""
    turns = dict(s.execute(select(TurnRow.document_id, func.count()).group_by(TurnRow.document_id)).all())
    excerpts = dict(
        s.execute(select(ExcerptRow.document_id, func.count()).group_by(ExcerptRow.document_id)).all()
    )
    attrs: dict[int, dict[str, str]] = {}
    for doc_id, key, value in s.execute(
        select(DocumentAttributeRow.document_id, DocumentAttributeRow.key, DocumentAttributeRow.value)
    ):
        attrs.setdefault(doc_id, {})[key] = value
    speakers = dict(
        s.execute(select(SpeakerRow.document_id, func.count()).group_by(SpeakerRow.document_id)).all()
    )
    out = []
    for r in s.execute(
        select(DocumentRow.id, DocumentRow.name, DocumentRow.format, DocumentRow.source_filename,
               DocumentRow.word_count, DocumentRow.created_at).order_by(DocumentRow.id)
    ):
        out.append({
            "id": r.id, "name": r.name, "format": r.format, "source_filename": r.source_filename,
            "attributes": attrs.get(r.id, {}),
            "counts": {"speakers": speakers.get(r.id, 0), "turns": turns.get(r.id, 0),
                       "excerpts": excerpts.get(r.id, 0), "words": r.word_count},
            "created_at": r.created_at.isoformat() if r.created_at else None,
        })
    return out


def delete_document(s: Session, doc_id: int) -> None:
    s.execute(delete(DocumentRow).where(DocumentRow.id == doc_id))


def set_document_attribute(s: Session, doc_id: int, key: str, value: str, type: str = "text") -> str | None:
    """Set one document attribute; returns its previous value (None if it was not set)."""
    row = s.scalar(select(DocumentAttributeRow).where(
        DocumentAttributeRow.document_id == doc_id, DocumentAttributeRow.key == key))
    if row is None:
        s.add(DocumentAttributeRow(document_id=doc_id, key=key, value=str(value), type=type))
        return None
    before = row.value
    row.value, row.type = str(value), type
    return before


def set_speaker_role(s: Session, doc_id: int, label: str, role: str) -> str:
    """Change a speaker's role; returns the role it had."""
    row = s.scalar(select(SpeakerRow).where(SpeakerRow.document_id == doc_id, SpeakerRow.label == label))
    if row is None:
        raise NotFoundError(f"no speaker {label!r} in document {doc_id}")
    before = row.role
    row.role = Role(role).value
    return before


# --- additions for ingest (codable excerpts, attributes, de-identification) ----------------

def refresh_codable(s: Session, doc_id: int, codable_roles: tuple[str, ...] | list[str]) -> int:
    """Set each excerpt's ``codable`` from its turn's speaker role; update participant words.

    Returns how many excerpts are codable now.
    """
    role_of_speaker = dict(s.execute(select(SpeakerRow.id, SpeakerRow.role)
                                     .where(SpeakerRow.document_id == doc_id)).all())
    turns = {t.id: t for t in s.scalars(select(TurnRow).where(TurnRow.document_id == doc_id))}
    codable_turns = {tid for tid, t in turns.items() if is_coded(role_of_speaker.get(t.speaker_id), codable_roles)}
    n = 0
    for e in s.scalars(select(ExcerptRow).where(ExcerptRow.document_id == doc_id)):
        e.codable = e.turn_id in codable_turns
        n += e.codable
    doc = s.get(DocumentRow, doc_id)
    doc.participant_words = sum(len(doc.text[turns[t].start:turns[t].end].split()) for t in codable_turns)
    return n


def set_speaker_attribute(s: Session, doc_id: int, label: str, key: str, value: str, type: str = "text") -> None:
    sp = s.scalar(select(SpeakerRow).where(SpeakerRow.document_id == doc_id, SpeakerRow.label == label))
    if sp is None:
        raise NotFoundError(f"no speaker {label!r} in document {doc_id}",
                            hint="see the speakers with: qualcode show DOC")
    row = s.scalar(select(SpeakerAttributeRow).where(SpeakerAttributeRow.speaker_id == sp.id,
                                                      SpeakerAttributeRow.key == key))
    if row is None:
        s.add(SpeakerAttributeRow(speaker_id=sp.id, key=key, value=str(value), type=type))
    else:
        row.value, row.type = str(value), type


def is_deidentified(s: Session, doc_id: int) -> bool:
    return bool(s.scalar(select(DocumentRow.deidentified).where(DocumentRow.id == doc_id)))


def apply_deidentified(s: Session, new: Document, offset_map, labels: dict[str, str]) -> None:
    """Write a de-identified version of stored document ``new.id`` in place.

    ``new`` has the same turns and excerpts (same ids, mapped offsets); ``offset_map(pos,
    end=...)`` maps old positions to new ones and is applied to the document's codings;
    ``labels`` maps old speaker labels to new ones (speakers given the same pseudonym are
    merged). Excerpt, coding and suggestion ids stay, so nothing a coder did is lost.
    """
    doc_id = new.id
    row = s.get(DocumentRow, doc_id)
    row.text = new.text
    row.content_hash = text_hash(new.text)
    row.word_count = new.word_count
    row.name = new.name
    row.source_filename = new.source_filename
    row.deidentified = True
    groups: dict[str, list[SpeakerRow]] = {}
    for sp in s.scalars(select(SpeakerRow).where(SpeakerRow.document_id == doc_id).order_by(SpeakerRow.id)):
        groups.setdefault(labels.get(sp.label, sp.label), []).append(sp)
    pseudonym_of = {sp.label: sp.pseudonym for sp in new.speakers}
    for label, rows in groups.items():
        keep = rows[0]
        for other in rows[1:]:
            for t in s.scalars(select(TurnRow).where(TurnRow.speaker_id == other.id)):
                t.speaker_id = keep.id
            s.flush()
            s.delete(other)
    s.flush()
    for label, rows in groups.items():
        rows[0].label = label
        rows[0].pseudonym = pseudonym_of.get(label, rows[0].pseudonym)
    turns = {t.id: t for t in new.turns}
    for t in s.scalars(select(TurnRow).where(TurnRow.document_id == doc_id)):
        t.start, t.end = turns[t.id].start, turns[t.id].end
    excerpts = {e.id: e for e in new.excerpts}
    for e in s.scalars(select(ExcerptRow).where(ExcerptRow.document_id == doc_id)):
        ne = excerpts[e.id]
        e.start, e.end, e.text, e.text_hash = ne.start, ne.end, ne.text, text_hash(ne.text)
    excerpt_ids = select(ExcerptRow.id).where(ExcerptRow.document_id == doc_id)
    for c in s.scalars(select(CodingRow).where(CodingRow.excerpt_id.in_(excerpt_ids))):
        c.start, c.end = offset_map(c.start), offset_map(c.end, end=True)
    s.flush()


def speaker_labels(s: Session, doc_id: int) -> list[str]:
    """The labels of a document's speakers, in the order they were stored."""
    return list(s.scalars(select(SpeakerRow.label).where(SpeakerRow.document_id == doc_id).order_by(SpeakerRow.id)))


def merge_speakers(s: Session, doc_id: int, labels: list[str], into: str) -> dict[str, Any]:
    """Give the turns of speakers ``labels`` to speaker ``into`` (an existing label, or a new
    name that the first of ``labels`` takes); the others are removed. The text is kept as
    written. Returns what changed, for the audit log, with ``undo``: what
    :func:`unmerge_speakers` needs to put every row back as it was."""
    rows = {sp.label: sp for sp in s.scalars(select(SpeakerRow).where(SpeakerRow.document_id == doc_id)
                                              .order_by(SpeakerRow.id))}
    for label in labels:
        if label not in rows:
            raise NotFoundError(f"no speaker {label!r} in document {doc_id}",
                                hint="pick speakers from the document's list of speakers")
    keep = rows.get(into) or rows[labels[0]]
    turns_of = {label: list(s.scalars(select(TurnRow.id).where(TurnRow.speaker_id == rows[label].id)
                                      .order_by(TurnRow.id))) for label in labels}
    before = {label: {"role": rows[label].role, "turns": len(turns_of[label])} for label in labels}
    undo: dict[str, Any] = {"keep": {"id": keep.id, "label": keep.label, "pseudonym": keep.pseudonym},
                            "removed": [], "added_attributes": []}
    have = {a.key for a in keep.attributes}
    for label in labels:
        other = rows[label]
        if other is keep:
            continue
        undo["removed"].append({"id": other.id, "label": other.label, "role": other.role, "pseudonym": other.pseudonym,
                                "attributes": [[a.id, a.key, a.value, a.type] for a in other.attributes],
                                "turns": turns_of[label]})
        for t in s.scalars(select(TurnRow).where(TurnRow.speaker_id == other.id)):
            t.speaker_id = keep.id
        for a in other.attributes:
            if a.key not in have:
                added = SpeakerAttributeRow(speaker_id=keep.id, key=a.key, value=a.value, type=a.type)
                s.add(added)
                s.flush()
                undo["added_attributes"].append(added.id)
                have.add(a.key)
        s.flush()
        s.delete(other)
    s.flush()
    if keep.pseudonym and keep.label != into:
        # a de-identified speaker is shown by their pseudonym, which their label repeats: merged
        # under another's (Participant 10 into Participant 7 of another document), it is that one
        # (walk 43: the label moved, the pseudonym shown everywhere stayed "Participant 10")
        keep.pseudonym = into
    keep.label = into
    s.flush()
    return {"into": into, "role": keep.role, "speakers": before, "undo": undo}


def unmerge_speakers(s: Session, doc_id: int, undo: dict[str, Any]) -> None:
    """Put back the speakers :func:`merge_speakers` removed (same ids, labels, roles,
    pseudonyms and attributes), their turns, and the kept speaker's old label."""
    keep = s.get(SpeakerRow, undo["keep"]["id"])
    if keep is None or keep.document_id != doc_id:
        raise NotFoundError("the merged speaker is no longer in the document, so the merge cannot be undone",
                            hint="change the speakers' roles or names by hand")
    if undo["added_attributes"]:
        s.execute(delete(SpeakerAttributeRow).where(SpeakerAttributeRow.id.in_(undo["added_attributes"])))
    keep.label = undo["keep"]["label"]
    if "pseudonym" in undo["keep"]:  # merges recorded before it was kept left it as it was
        keep.pseudonym = undo["keep"]["pseudonym"]
    s.flush()
    for r in undo["removed"]:
        s.add(SpeakerRow(id=r["id"], document_id=doc_id, label=r["label"], role=r["role"], pseudonym=r["pseudonym"]))
        s.flush()
        for aid, key, value, type_ in r["attributes"]:
            s.add(SpeakerAttributeRow(id=aid, speaker_id=r["id"], key=key, value=value, type=type_))
        for t in s.scalars(select(TurnRow).where(TurnRow.id.in_(r["turns"]), TurnRow.document_id == doc_id)):
            t.speaker_id = r["id"]
    s.flush()


def set_deidentified(s: Session, doc_id: int, value: bool = True) -> None:
    s.get(DocumentRow, doc_id).deidentified = value


def find_document(s: Session, doc_id: int) -> bool:
    """Whether a document with this id exists."""
    return s.get(DocumentRow, doc_id) is not None


# --- rename and delete with undo (the Documents page) ------------------------------------------

def rename_document(s: Session, doc_id: int, name: str) -> str:
    """Give document ``doc_id`` the name ``name``; returns the name it had."""
    row = s.get(DocumentRow, doc_id)
    if row is None:
        raise NotFoundError(f"no document with id {doc_id}", hint="pick a document from the list")
    before, row.name = row.name, name
    return before


def document_ids_named(s: Session, name: str) -> list[int]:
    """The documents called ``name``, ignoring case and spacing."""
    want = " ".join(name.split()).casefold()
    return [did for did, n in s.execute(select(DocumentRow.id, DocumentRow.name))
            if " ".join(str(n).split()).casefold() == want]


#: the tables a document's rows live in, parents first
_DOCUMENT_TABLES = ("documents", "document_attributes", "speakers", "speaker_attributes", "turns", "excerpts",
                    "suggestions", "codings", "reviews", "memos")


def _document_rows(s: Session, doc_id: int) -> dict[str, Any]:
    """The select statements for every row that belongs to document ``doc_id``, parents first."""
    from sqlalchemy import or_

    from qualcode.storage.models import MemoRow, ReviewRow, SuggestionRow

    speakers = select(SpeakerRow.id).where(SpeakerRow.document_id == doc_id)
    excerpts = select(ExcerptRow.id).where(ExcerptRow.document_id == doc_id)
    codings = select(CodingRow.id).where(CodingRow.excerpt_id.in_(excerpts))
    return {
        "documents": select(DocumentRow.__table__).where(DocumentRow.id == doc_id),
        "document_attributes": select(DocumentAttributeRow.__table__).where(DocumentAttributeRow.document_id == doc_id),
        "speakers": select(SpeakerRow.__table__).where(SpeakerRow.document_id == doc_id),
        "speaker_attributes": select(SpeakerAttributeRow.__table__).where(SpeakerAttributeRow.speaker_id.in_(speakers)),
        "turns": select(TurnRow.__table__).where(TurnRow.document_id == doc_id),
        "excerpts": select(ExcerptRow.__table__).where(ExcerptRow.document_id == doc_id),
        "suggestions": select(SuggestionRow.__table__).where(SuggestionRow.excerpt_id.in_(excerpts)),
        "codings": select(CodingRow.__table__).where(CodingRow.excerpt_id.in_(excerpts)),
        "reviews": select(ReviewRow.__table__).where(ReviewRow.excerpt_id.in_(excerpts)),
        "memos": select(MemoRow.__table__).where(or_(MemoRow.document_id == doc_id, MemoRow.excerpt_id.in_(excerpts),
                                                     MemoRow.coding_id.in_(codings))),
    }


def document_footprint(s: Session, doc_id: int) -> dict[str, Any]:
    """What goes with document ``doc_id`` if it is deleted: name, turns, excerpts (``codable``:
    those a coder codes, as Import and the Project page count them), codings, coders (the names
    of those who coded it), memos, suggestions and reviews."""
    from qualcode.storage.models import CoderRow

    row = s.get(DocumentRow, doc_id)
    if row is None:
        raise NotFoundError(f"no document with id {doc_id}", hint="pick a document from the list")
    stmts = _document_rows(s, doc_id)
    n = {name: s.scalar(select(func.count()).select_from(stmt.subquery()))
         for name, stmt in stmts.items() if name in ("turns", "excerpts", "codings", "memos", "suggestions", "reviews")}
    excerpts = select(ExcerptRow.id).where(ExcerptRow.document_id == doc_id)
    coders = sorted(s.scalars(select(CoderRow.name).join(CodingRow, CodingRow.coder_id == CoderRow.id)
                              .where(CodingRow.excerpt_id.in_(excerpts)).distinct()))
    codable = s.scalar(select(func.count(ExcerptRow.id)).where(ExcerptRow.document_id == doc_id,
                                                             ExcerptRow.codable.is_(True)))
    return {"document_id": doc_id, "name": row.name, **n, "codable": int(codable or 0), "coders": coders}


def _json_value(v: Any) -> Any:
    from datetime import datetime

    return {"$datetime": v.isoformat()} if isinstance(v, datetime) else v


def _from_json(v: Any) -> Any:
    from datetime import datetime

    if isinstance(v, dict) and set(v) == {"$datetime"}:
        return datetime.fromisoformat(v["$datetime"])
    return v


def snapshot_document(s: Session, doc_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of document ``doc_id`` and of what hangs on it, as JSON (table -> rows),
    for :func:`restore_document`."""
    return {name: [{k: _json_value(v) for k, v in r._mapping.items()} for r in s.execute(stmt)]
            for name, stmt in _document_rows(s, doc_id).items()}


def restore_document(s: Session, snap: dict[str, list[dict[str, Any]]]) -> None:
    """Put back the rows :func:`snapshot_document` kept, with their ids. Refused (nothing
    written) when the document's text was imported again since, an id was taken meanwhile, or
    a code or coder its codings need is gone."""
    from qualcode.storage.models import Base, CodeRow, CoderRow

    tables = Base.metadata.tables
    doc = (snap.get("documents") or [None])[0]
    if doc is None:
        raise NotFoundError("nothing to bring back: the deleted document was not kept")
    if find_by_hash(s, doc["content_hash"]) is not None:
        raise NotFoundError(f"the document {doc['name']!r} cannot be brought back: the same transcript was "
                            "imported again since", hint="delete that copy first, then undo again")
    for name, rows in snap.items():
        ids = [r["id"] for r in rows if "id" in r]
        table = tables[name]
        for i in range(0, len(ids), 500):
            if s.scalar(select(func.count()).select_from(table).where(table.c.id.in_(ids[i:i + 500]))):
                raise NotFoundError(f"the document {doc['name']!r} cannot be brought back: documents were added "
                                    "since, and their rows took its place", hint="import the file again instead")
    codes = {r["code_id"] for name in ("suggestions", "codings", "memos") for r in snap.get(name, [])
             if r.get("code_id")}
    if codes - set(s.scalars(select(CodeRow.id).where(CodeRow.id.in_(codes)))):
        raise NotFoundError(f"the document {doc['name']!r} cannot be brought back: codes its codings used are gone",
                            hint="import the file again instead")
    coders = {r[k] for name in ("documents", "suggestions", "codings", "reviews", "memos") for r in snap.get(name, [])
              for k in ("coder_id", "decided_by", "created_by") if r.get(k) is not None}
    if coders - set(s.scalars(select(CoderRow.id).where(CoderRow.id.in_(coders)))):
        raise NotFoundError(f"the document {doc['name']!r} cannot be brought back: a coder of it is gone",
                            hint="import the file again instead")
    s.flush()
    for name in _DOCUMENT_TABLES:  # parents first
        rows = snap.get(name) or []
        if rows:
            s.execute(tables[name].insert(), [{k: _from_json(v) for k, v in r.items()} for r in rows])
    s.flush()
