"""A two-coder project for the team tests: alice and bob agree on one excerpt, differ on another."""

from __future__ import annotations

from qualcode.services import coding
from qualcode.storage import documents
from tests.conftest import make_document


def seed_two_coders(project, *, bob_memo: str | None = None):
    """alice and bob both code excerpt 1 'trust'; on excerpt 2 alice codes 'buy_in' and bob
    reviews it without a code (optionally with a memo). Returns the excerpts."""
    with project.session() as s:
        doc_id = documents.add_document(s, make_document())
        ex = documents.load_document(s, doc_id).excerpts
    bob = project.as_coder("bob")
    coding.add_coding(project, ex[1].id, "trust")
    coding.add_coding(bob, ex[1].id, "trust")
    coding.add_coding(project, ex[2].id, "buy_in")
    coding.mark_reviewed(bob, ex[2].id)
    if bob_memo:
        coding.add_memo(bob, bob_memo, excerpt_id=ex[2].id)
    return ex
