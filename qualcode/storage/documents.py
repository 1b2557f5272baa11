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
    undo: dict[str, Any] = {"keep": {"id": keep.id, "label": keep.label}, "removed": [], "added_attributes": []}
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
