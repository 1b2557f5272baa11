"""The de-identification key (real -> pseudonym), kept apart from the documents.

Only de-identification and an explicit key export read the real names; nothing else does.
"""

from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.storage.models import PseudonymRow


def load_key(s: Session) -> list[tuple[str, str, str]]:
    """Every (kind, real, pseudonym) row, in insertion order."""
    return [(r.kind, r.real, r.pseudonym) for r in s.scalars(select(PseudonymRow).order_by(PseudonymRow.id))]


def add_entries(s: Session, rows: Iterable[tuple[str, str, str]]) -> int:
    """Insert new (kind, real, pseudonym) rows, skipping spellings already there."""
    have = {(k, r.casefold()) for k, r, _p in load_key(s)}
    n = 0
    for kind, real, pseudonym in rows:
        if (kind, real.casefold()) in have:
            continue
        s.add(PseudonymRow(kind=kind, real=real, pseudonym=pseudonym))
        have.add((kind, real.casefold()))
        n += 1
    s.flush()
    return n
