"""The memo list: memos on documents, excerpts, codings and codes, filtered, with anchors.

Writing a memo is :func:`qualcode.services.coding.add_memo` (one audited, undoable action);
this module reads.

>>> memos = list_memos(ctx, code_id="trust")  # doctest: +SKIP
>>> memos[0]["kind"], memos[0]["anchor"]       # doctest: +SKIP
('coding', 'Trust on “we met the same people”')
"""

from __future__ import annotations

from typing import Any

from qualcode.services.project import ProjectContext
from qualcode.storage import codes as code_store
from qualcode.storage import coding as coding_store
from qualcode.storage import memos as memo_store

KINDS = {"document": "Document", "excerpt": "Excerpt", "coding": "Coding", "code": "Code (analytic memo)",
         "project": "Project"}


def list_memos(ctx: ProjectContext, *, code_id: str | None = None, document_id: int | None = None,
               coder: str | None = None, coded_by: str | None = None) -> list[dict[str, Any]]:
    """Every memo (newest first) with ``kind`` (document, excerpt, coding, code), ``anchor``
    (what it is about, in words), ``text``, ``coder``, document, excerpt, coding and code ids.
    ``code_id``: memos on the code or one under it, their codings, and excerpts coded with them
    (by ``coded_by`` only, when given), as Themes counts a code with its sub-codes."""
    with ctx.session(readonly=True) as s:
        under = tuple(code_store.load_codebook(s).descendants(code_id)) if code_id is not None else ()
        return memo_store.memo_rows(s, code_id=code_id, document_id=document_id, coder=coder, coded_by=coded_by,
                                    under=under)


def memo_count(ctx: ProjectContext) -> int:
    """How many memos the project holds (one count; the Export page asks on every run)."""
    with ctx.session(readonly=True) as s:
        return coding_store.memo_count(s)
