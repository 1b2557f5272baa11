"""The one door for every change: run a typed command, and undo the latest one.

:func:`execute` opens the transaction, resolves the coder inside it, lets the command's
handler validate and apply it, and records the command itself as the audit event (its
action, its payload in ``command``, and in ``before``/``after`` what its ``revert`` needs).
:func:`undo` reverts the coder's latest command of any kind through that command's own
``revert``; the undo is itself a command and an audit event (``undo_of`` the reverted one).

Handlers live next to the service that owns the noun (``services/coding.py``,
``services/team.py``, ``services/codebook.py``, ``services/ingest.py``) and register with
:func:`handles`::

    @handles(cmd.Uncode)
    class _Uncode:
        def apply(s, ctx, coder_id, c) -> Outcome: ...
        def revert(s, ev, coder_id) -> None: ...

>>> execute(ctx, cmd.CodeExcerpt(excerpt_id=12, code_id="trust"))  # doctest: +SKIP
57
>>> undo(ctx)                                                         # doctest: +SKIP
[{'action': 'code', 'entity': 'coding', 'entity_id': '57'}]
"""

from __future__ import annotations

import contextlib
import contextvars
import importlib
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

from qualcode.core import commands as cmd
from qualcode.services.project import ProjectContext
from qualcode.storage import audit


@dataclass
class Outcome:
    """What a handler's ``apply`` did: the caller's result and the audit event to record.

    ``record=False``: nothing changed (a repeated decision), so no event is written.
    """

    result: Any = None
    entity_id: Any = None
    before: Any = None
    after: Any = None
    entity: str | None = None
    record: bool = True
    undo_of: int | None = None


class Handler(Protocol):
    def apply(self, s: Any, ctx: ProjectContext, coder_id: int, c: Any) -> Outcome: ...

    def revert(self, s: Any, ev: Any, coder_id: int) -> None: ...


_HANDLERS: dict[type[cmd.Command], Any] = {}
#: the modules whose handlers the executor needs (imported on first use)
_HANDLER_MODULES = ("qualcode.services.coding", "qualcode.services.team", "qualcode.services.codebook",
                    "qualcode.services.ingest", "qualcode.services.export", "qualcode.services.merge",
                    "qualcode.services.survey", "qualcode.services.documents_edit",
                    "qualcode.services.prefs")


def handles(command_type: type[cmd.Command]) -> Callable[[Any], Any]:
    """Register the handler (a class with static ``apply`` and, if undoable, ``revert``)."""
    def register(handler: Any) -> Any:
        if command_type.undoable and not hasattr(handler, "revert"):
            raise TypeError(f"{command_type.__name__} is undoable: its handler needs a revert")
        _HANDLERS[command_type] = handler
        return handler
    return register


def _load_handlers() -> None:
    for name in _HANDLER_MODULES:
        importlib.import_module(name)


def handler_for(command_type: type[cmd.Command]) -> Any:
    if command_type not in _HANDLERS:
        _load_handlers()
    try:
        return _HANDLERS[command_type]
    except KeyError:  # pragma: no cover - every command has a handler (tested)
        raise TypeError(f"no handler for {command_type.__name__}") from None


_BATCH: contextvars.ContextVar[str | None] = contextvars.ContextVar("qualcode_batch", default=None)


@contextlib.contextmanager
def one_undo() -> Iterator[str]:
    """The commands run inside are one step for the undo (each still its own transaction):
    a new code made from a code box and its first coding (walk 40: Undo took the coding back
    and left the code, which a second Undo could not remove). Their audit events share a
    ``batch`` in ``after``, as an "Accept all" click's do."""
    outer = _BATCH.get()
    token = _BATCH.set(outer or uuid.uuid4().hex)
    try:
        yield _BATCH.get() or ""
    finally:
        _BATCH.reset(token)


def execute(ctx: ProjectContext, c: cmd.Command) -> Any:
    """Run one command in one transaction and record it; returns the handler's result.

    Any error (validation included) rolls back everything, the audit event too.
    """
    handler = handler_for(type(c))
    with ctx.session() as s:
        coder_id = ctx.coder_id(s)  # resolved (created on first write) inside this transaction
        out = handler.apply(s, ctx, coder_id, c)
        batch = _BATCH.get()
        if batch and c.undoable and isinstance(out.after, dict) and "batch" not in out.after:
            out.after = {**out.after, "batch": batch}
        if out.record:
            audit.record(s, c.action, out.entity or c.entity, out.entity_id, coder_id=coder_id,
                         before=out.before, after=out.after, undo_of=out.undo_of, command=c.payload())
        return out.result


@dataclass(frozen=True)
class Undone:
    """An event the one undo reverted."""

    id: int
    action: str
    entity: str
    entity_id: str
    before: Any
    after: Any
    more: int = 0  # further events of the same click undone with it (an "Accept all")
    new_codes: tuple[str, ...] = ()  # the names of the codes that click made, removed with it

    def brief(self) -> dict[str, Any]:
        return {"action": self.action, "entity": self.entity, "entity_id": self.entity_id,
                **({"more": self.more} if self.more else {}),
                **({"new_codes": list(self.new_codes)} if self.new_codes else {})}


@handles(cmd.Undo)
class _Undo:
    @staticmethod
    def apply(s, ctx, coder_id, c: cmd.Undo) -> Outcome:
        actions = tuple(a for a in (c.only or cmd.undoable_actions()) if a in cmd.undoable_actions())
        rows = audit.latest_rows(s, coder_id=coder_id, actions=actions, limit=1)
        if not rows:
            return Outcome(result=None, record=False)
        ev = rows[0]
        handler_for(cmd.COMMANDS[ev.action]).revert(s, ev, coder_id)
        ev.undone = True
        # the other events of the same click (an "Accept all" on a turn), newest first: one undo
        batch = ev.after.get("batch") if isinstance(ev.after, dict) else None
        more: list[int] = []
        new_codes: list[str] = []
        s.flush()
        while batch:
            nxt = audit.latest_rows(s, coder_id=coder_id, actions=actions, limit=1)
            if not nxt or not isinstance(nxt[0].after, dict) or nxt[0].after.get("batch") != batch:
                break
            handler_for(cmd.COMMANDS[nxt[0].action]).revert(s, nxt[0], coder_id)
            nxt[0].undone = True
            s.flush()
            more.append(nxt[0].id)
            if nxt[0].action == cmd.AddCode.action:
                new_codes.append(str(nxt[0].after.get("name") or nxt[0].entity_id))
        done = Undone(id=ev.id, action=ev.action, entity=ev.entity, entity_id=ev.entity_id,
                      before=ev.before, after=ev.after, more=len(more) - len(new_codes),
                      new_codes=tuple(new_codes))
        return Outcome(result=done, entity=ev.entity, entity_id=ev.entity_id,
                       before={"action": ev.action, "after": ev.after, **({"with": more} if more else {})},
                       after=ev.before, undo_of=ev.id)


def undo_latest(ctx: ProjectContext, *, only: tuple[str, ...] = ()) -> Undone | None:
    """Undo this coder's latest command (of the ``only`` actions, if given); None if none."""
    return execute(ctx, cmd.Undo(only=tuple(only)))


def undo(ctx: ProjectContext, steps: int = 1, *, only: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """Undo this coder's last ``steps`` commands of any kind, newest first, each in its own
    transaction and audited. Returns ``[{"action", "entity", "entity_id"}, ...]``; an undone
    command is never undone twice.
    """
    done: list[dict[str, Any]] = []
    for _ in range(max(0, int(steps))):
        got = undo_latest(ctx, only=only)
        if got is None:
            break
        done.append(got.brief())
    return done
