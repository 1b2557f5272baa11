"""Embedding cache: vectors keyed by (text hash, model id), stored as float32 bytes."""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from qualcode.storage.chunks import chunks
from qualcode.storage.models import EmbeddingRow


def get_vectors(s: Session, hashes: Iterable[str], model_id: str) -> dict[str, bytes]:
    """Cached vectors (raw float32 bytes) for the hashes that have one."""
    out: dict[str, bytes] = {}
    for chunk in chunks(dict.fromkeys(hashes)):
        q = select(EmbeddingRow.text_hash, EmbeddingRow.vector).where(
            EmbeddingRow.model_id == model_id, EmbeddingRow.text_hash.in_(chunk)
        )
        out.update(dict(s.execute(q).all()))
    return out


def put_vectors(s: Session, vectors: dict[str, bytes], model_id: str, dim: int) -> None:
    """Store vectors that are not cached yet (idempotent)."""
    if not vectors:
        return
    have = get_vectors(s, vectors.keys(), model_id)
    rows = [{"text_hash": h, "model_id": model_id, "dim": dim, "vector": v}
            for h, v in vectors.items() if h not in have]
    if rows:  # one executemany, not an ORM object per vector; a concurrent writer's copy wins
        s.execute(_insert_ignore(s), rows)


def _insert_ignore(s: Session):
    name = s.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(EmbeddingRow).on_conflict_do_nothing()
    if name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(EmbeddingRow).on_conflict_do_nothing()
    return insert(EmbeddingRow)
