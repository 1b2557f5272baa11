"""The audit trail: one row per change, with the state before and after."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qualcode.core import AuditEvent
from qualcode.storage.models import AuditRow, CoderRow


def record(
    s: Session,
    action: str,
    entity: str,
    entity_id: Any,
    *,
    coder_id: int | None = None,
    before: Any = None,
    after: Any = None,
    undo_of: int | None = None,
    command: dict[str, Any] | None = None,
) -> int:
    """Append an audit event inside the caller's transaction; returns its id.

    ``command``: the payload of the typed command that made the change (see
    ``qualcode.core.commands``); ``action`` is the command's type.
    """
    row = AuditRow(
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        coder_id=coder_id,
        before=before,
        after=after,
        undo_of=undo_of,
        command=command,
    )
    s.add(row)
    s.flush()
    return row.id


def list_events(
    s: Session,
    *,
    coder: str | None = None,
    action: str | None = None,
    entity: str | None = None,
    since: datetime | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    q = select(AuditRow, CoderRow.name).outerjoin(CoderRow, CoderRow.id == AuditRow.coder_id)
    if coder:
        q = q.where(CoderRow.name == coder)
    if action:
        q = q.where(AuditRow.action == action)
    if entity:
        q = q.where(AuditRow.entity == entity)
    if since:
        q = q.where(AuditRow.at >= since)
    q = q.order_by(AuditRow.id.desc())
    if limit:
        q = q.limit(limit)
    return [
        AuditEvent(
            action=r.action, entity=r.entity, entity_id=r.entity_id, coder=name,
            before=r.before, after=r.after, at=r.at, id=r.id,
        )
        for r, name in s.execute(q).all()
    ]


def latest_rows(s: Session, *, coder_id: int, actions: tuple[str, ...], limit: int) -> list[AuditRow]:
    """A coder's newest events of the given actions that were not undone yet."""
    return list(s.scalars(
        select(AuditRow).where(AuditRow.coder_id == coder_id, AuditRow.action.in_(actions),
                               AuditRow.undone.is_(False))
        .order_by(AuditRow.id.desc()).limit(limit)))


def last_undone(s: Session, coder: str | None) -> int | None:
    """The id of the event this coder's newest undo reverted (None: no undo yet)."""
    q = (select(AuditRow.undo_of).outerjoin(CoderRow, CoderRow.id == AuditRow.coder_id)
         .where(AuditRow.action == "undo", AuditRow.undo_of.is_not(None)).order_by(AuditRow.id.desc()).limit(1))
    if coder:
        q = q.where(CoderRow.name == coder)
    return s.scalar(q)
