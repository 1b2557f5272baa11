"""Coders, project settings and the status counts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from qualcode.core import DEFAULT_CODED_ROLES
from qualcode.storage.coding import pending_count, verdict_events
from qualcode.storage.models import (
    AuditRow,
    CoderRow,
    CodeRow,
    CodingRow,
    DocumentRow,
    ExcerptRow,
    SettingRow,
    TurnRow,
)


def find_coder(s: Session, name: str) -> int | None:
    """The id of coder ``name``, or None if they have not written anything yet."""
    return s.scalar(select(CoderRow.id).where(CoderRow.name == name.strip()))


def get_or_create_coder(s: Session, name: str) -> int:
    """Return the id of coder ``name``, creating the coder on first use (race-safe)."""
    name = name.strip()
    row = s.scalar(select(CoderRow).where(CoderRow.name == name))
    if row is not None:
        return row.id
    try:
        with s.begin_nested():
            row = CoderRow(name=name)
            s.add(row)
            s.flush()
            return row.id
    except IntegrityError:  # another process created it meanwhile
        return s.scalar(select(CoderRow.id).where(CoderRow.name == name))


def list_coders(s: Session) -> list[str]:
    return list(s.scalars(select(CoderRow.name).order_by(CoderRow.name)))


FALLBACK_CODER = "coder"  # the name used when no coder is known (config.default_coder)


def working_coders(s: Session) -> list[str]:
    """The coders to offer on the Project page: every coder but the fallback name "coder" while
    it has coded or decided nothing and was not added by name (walk 12: ``qualcode init`` run as
    root set the project up as "coder", which the list then offered beside the two people
    coding). A person who set the project up under their own name stays."""
    names = list_coders(s)
    cid = find_coder(s, FALLBACK_CODER)
    if cid is None:
        return names
    worked = (s.scalar(select(AuditRow.id).where(AuditRow.coder_id == cid, AuditRow.action.in_(DECISIONS)).limit(1))
              or s.scalar(select(CodingRow.id).where(CodingRow.coder_id == cid).limit(1))
              or s.scalar(select(AuditRow.id).where(AuditRow.action == "add_coder",
                                                    AuditRow.entity_id == str(cid)).limit(1)))
    return names if worked else [n for n in names if n != FALLBACK_CODER]


#: what a coder does to the text (not to the project's set-up): who last did one "is coding here"
DECISIONS = ("accept", "reject", "code", "code_selection", "code_excerpts", "recode", "uncode", "review",
             "nothing_here", "memo", "memo_edit", "consensus")


def last_coder(s: Session) -> str | None:
    """The coder who last decided something (accept, reject, code, ...), or None."""
    from qualcode.storage.models import AuditRow

    return s.scalar(select(CoderRow.name).join(AuditRow, AuditRow.coder_id == CoderRow.id)
                    .where(AuditRow.action.in_(DECISIONS)).order_by(AuditRow.id.desc()).limit(1))


def get_setting(s: Session, key: str, default: Any = None) -> Any:
    row = s.get(SettingRow, key)
    return default if row is None else row.value


def set_setting(s: Session, key: str, value: Any) -> None:
    row = s.get(SettingRow, key)
    if row is None:
        s.add(SettingRow(key=key, value=value))
    else:
        row.value = value


CODED_ROLES_KEY = "code_roles"


def coded_roles(s: Session) -> tuple[str, ...]:
    """The project's coded roles (the ``code_roles`` setting; older projects kept it inside
    ``project``); the default participant + unknown when unset. See ``core.is_coded``."""
    roles = get_setting(s, CODED_ROLES_KEY)
    if roles is None:
        roles = (get_setting(s, "project", {}) or {}).get(CODED_ROLES_KEY)
    return tuple(roles) if roles else DEFAULT_CODED_ROLES


def delete_setting(s: Session, key: str) -> None:
    row = s.get(SettingRow, key)
    if row is not None:
        s.delete(row)
        s.flush()


def restore_setting(s: Session, key: str, value: Any, *, was_set: bool = True) -> None:
    """Put a setting back as it was (undo): its old value, or no row if it had none."""
    if was_set:
        set_setting(s, key, value)
    else:
        delete_setting(s, key)


def status_counts(s: Session, *, verdicts: bool = True) -> dict[str, Any]:
    """The numbers behind ``qualcode status``, each one SQL aggregate. ``verdicts``: also the
    coders' accepted / rejected counts, which read the audit trail (pages that do not show
    them leave that out)."""

    def count(model) -> int:
        return s.scalar(select(func.count()).select_from(model)) or 0

    return {
        "documents": count(DocumentRow),
        "turns": count(TurnRow),
        "excerpts": count(ExcerptRow),
        "codable_excerpts": s.scalar(select(func.count()).select_from(ExcerptRow)
                                     .where(ExcerptRow.codable.is_(True))) or 0,
        # the codes a coder can apply; the grouping codes that only hold others apart (walk 49:
        # "codes 7" here, "Codes 6" on the Project page, for one codebook with one group)
        "codes": s.scalar(select(func.count()).select_from(CodeRow)
                          .where(CodeRow.retired.is_(False), CodeRow.codable.is_(True))) or 0,
        "code_groups": s.scalar(select(func.count()).select_from(CodeRow)
                                .where(CodeRow.retired.is_(False), CodeRow.codable.is_(False))) or 0,
        "codings": count(CodingRow),
        # accepted / rejected: every coder's standing verdicts (a suggestion two coders decided
        # counts twice; walk 11: a row holds only the latest decider's, so it read 3 and 2 for
        # 5 accepts and 4 rejects)
        "suggestions": {"pending": pending_count(s), **(_verdict_counts(s) if verdicts else {})},
        "coders": len(working_coders(s)),  # not the unused fallback name "coder" (walk 14)
    }


def _verdict_counts(s: Session) -> dict[str, int]:
    """Standing verdicts on suggestions, one per (coder, suggestion): the newest of each."""
    last = {(cid, sid): verdict for _, cid, sid, verdict in verdict_events(s)}
    return {v: sum(x == v for x in last.values()) for v in ("accepted", "rejected")}
