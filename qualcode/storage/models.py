"""The project schema (SQLAlchemy 2.0 ORM). Changes go through Alembic migrations.

Constraint names follow one convention (after Taguette) so migrations can name them on
every backend. Only ``qualcode.storage`` imports this module.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class SettingRow(Base):
    """Project-level settings and codebook metadata as JSON values."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class CoderRow(Base):
    __tablename__ = "coders"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class DocumentRow(Base):
    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(500))
    source_filename: Mapped[str] = mapped_column(String(1000), default="")
    format: Mapped[str] = mapped_column(String(20), default="txt")
    text: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    participant_words: Mapped[int] = mapped_column(Integer, default=0)
    deidentified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)

    speakers: Mapped[list["SpeakerRow"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )
    turns: Mapped[list["TurnRow"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True,
        order_by="TurnRow.order",
    )
    excerpts: Mapped[list["ExcerptRow"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True,
        order_by="ExcerptRow.order",
    )
    attributes: Mapped[list["DocumentAttributeRow"]] = relationship(
        back_populates="document", cascade="all, delete-orphan", passive_deletes=True
    )


class DocumentAttributeRow(Base):
    __tablename__ = "document_attributes"
    __table_args__ = (UniqueConstraint("document_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20), default="text")
    document: Mapped[DocumentRow] = relationship(back_populates="attributes")


class SpeakerRow(Base):
    __tablename__ = "speakers"
    __table_args__ = (UniqueConstraint("document_id", "label"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20), default="unknown")
    pseudonym: Mapped[str | None] = mapped_column(String(300), nullable=True)
    document: Mapped[DocumentRow] = relationship(back_populates="speakers")
    attributes: Mapped[list["SpeakerAttributeRow"]] = relationship(
        back_populates="speaker", cascade="all, delete-orphan", passive_deletes=True
    )


class SpeakerAttributeRow(Base):
    __tablename__ = "speaker_attributes"
    __table_args__ = (UniqueConstraint("speaker_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    speaker_id: Mapped[int] = mapped_column(ForeignKey("speakers.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20), default="text")
    speaker: Mapped[SpeakerRow] = relationship(back_populates="attributes")


class TurnRow(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("document_id", "order"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("speakers.id", ondelete="CASCADE"), nullable=True)
    order: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    start_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    end_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    document: Mapped[DocumentRow] = relationship(back_populates="turns")
    speaker: Mapped[SpeakerRow | None] = relationship()


class ExcerptRow(Base):
    """A codable unit. ``text`` is kept equal to ``document.text[start:end]`` (tested)."""

    __tablename__ = "excerpts"
    __table_args__ = (UniqueConstraint("document_id", "order"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), index=True)
    turn_id: Mapped[int | None] = mapped_column(ForeignKey("turns.id", ondelete="CASCADE"), nullable=True, index=True)
    order: Mapped[int] = mapped_column(Integer)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    text_hash: Mapped[str] = mapped_column(String(64), index=True)
    codable: Mapped[bool] = mapped_column(Boolean, default=True)
    document: Mapped[DocumentRow] = relationship(back_populates="excerpts")
    turn: Mapped[TurnRow | None] = relationship()


class CodeRow(Base):
    """A code. ``id`` is the stable slug; ``guid`` is uuid5 of it for REFI-QDA."""

    __tablename__ = "codes"
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), nullable=True, index=True)
    codable: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[str] = mapped_column(Text, default="")
    include: Mapped[list] = mapped_column(JSON, default=list)
    exclude: Mapped[list] = mapped_column(JSON, default=list)
    examples: Mapped[list] = mapped_column(JSON, default=list)
    counterexamples: Mapped[list] = mapped_column(JSON, default=list)
    keywords: Mapped[list] = mapped_column(JSON, default=list)
    color: Mapped[str | None] = mapped_column(String(20), nullable=True)
    guid: Mapped[str] = mapped_column(String(36))
    retired: Mapped[bool] = mapped_column(Boolean, default=False)
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class CodingRow(Base):
    """A coder's coding of an excerpt (or a span inside it, absolute document offsets)."""

    __tablename__ = "codings"
    __table_args__ = (
        UniqueConstraint("excerpt_id", "code_id", "coder_id", "start", "end"),
        Index("ix_codings_code_id_excerpt_id", "code_id", "excerpt_id"),
        Index("ix_codings_code_id_coder_id_excerpt_id", "code_id", "coder_id", "excerpt_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    excerpt_id: Mapped[int] = mapped_column(ForeignKey("excerpts.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"), index=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(20), default="manual")
    suggestion_id: Mapped[int | None] = mapped_column(
        ForeignKey("suggestions.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=_now)


class SuggestionRow(Base):
    """Model output: never a coding until a coder accepts it. Rejections are kept."""

    __tablename__ = "suggestions"
    __table_args__ = (
        UniqueConstraint("excerpt_id", "code_id", "model_id"),
        Index("ix_suggestions_status_code_id_excerpt_id", "status", "code_id", "excerpt_id"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    excerpt_id: Mapped[int] = mapped_column(ForeignKey("excerpts.id", ondelete="CASCADE"), index=True)
    code_id: Mapped[str] = mapped_column(ForeignKey("codes.id"))
    score: Mapped[float] = mapped_column(Float)
    model_id: Mapped[str] = mapped_column(String(300))
    explanation: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class ReviewRow(Base):
    """That a coder has looked at an excerpt and finished with it (codes or none).

    Agreement and learning need it: an excerpt a coder reviewed without coding it is a
    negative for every code; one they never reached says nothing.
    """

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("excerpt_id", "coder_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    excerpt_id: Mapped[int] = mapped_column(ForeignKey("excerpts.id", ondelete="CASCADE"), index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"), index=True)
    reviewed_at: Mapped[datetime] = mapped_column(default=_now)


class MemoRow(Base):
    __tablename__ = "memos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    excerpt_id: Mapped[int | None] = mapped_column(ForeignKey("excerpts.id", ondelete="CASCADE"), nullable=True, index=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"), nullable=True)
    code_id: Mapped[str | None] = mapped_column(ForeignKey("codes.id"), nullable=True)
    coding_id: Mapped[int | None] = mapped_column(ForeignKey("codings.id", ondelete="CASCADE"), nullable=True,
                                                  index=True)
    coder_id: Mapped[int] = mapped_column(ForeignKey("coders.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)


class AuditRow(Base):
    """Who changed what, when, with the state before and after (JSON)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=_now, index=True)
    coder_id: Mapped[int | None] = mapped_column(ForeignKey("coders.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(50))
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(200))
    before: Mapped[object | None] = mapped_column(JSON, nullable=True)
    after: Mapped[object | None] = mapped_column(JSON, nullable=True)
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
    undo_of: Mapped[int | None] = mapped_column(ForeignKey("audit_events.id"), nullable=True)
    # the typed command's payload (qualcode.core.commands); action is its type
    command: Mapped[object | None] = mapped_column(JSON, nullable=True)


class EmbeddingRow(Base):
    """Embedding cache keyed by (text hash, model id): nothing is encoded twice."""

    __tablename__ = "embeddings"
    text_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class PseudonymRow(Base):
    """De-identification key (real -> pseudonym). Never exported unless asked for."""

    __tablename__ = "pseudonyms"
    __table_args__ = (UniqueConstraint("kind", "real"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # person | place | other
    real: Mapped[str] = mapped_column(String(300))
    pseudonym: Mapped[str] = mapped_column(String(300))


class ModelArtifactRow(Base):
    """Trained heads or fine-tuned models saved for reuse (pickled bytes)."""

    __tablename__ = "model_artifacts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    model_id: Mapped[str] = mapped_column(String(300))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=_now)
