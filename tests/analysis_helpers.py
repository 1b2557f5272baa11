"""A small project built by hand, whose every statistic is worked out in the tests.

Codes (own ids so the default codebook cannot interfere):
  rel (Relationships, parent, not codable) > rel_trust, rel_buyin;  evid (Evidence)

Documents (participant words in brackets: the words of participant turns):
  D1 year 2018 North interview   I / Ana(P-Ana, teacher) / I / Ana          [7 + 4 = 11]
  D2 year 2018 South focus group F / Ben(principal) / Cara(teacher)         [4 + 4 = 8]
  D3 year 2021 North interview   I / Dan(principal) / Dan                   [5 + 3 = 8]
  D4 year 2021 South focus group F / Eve(teacher)                           [4]

Codings (excerpt = turn):
  D1e1 Ana  rel_trust (alice) + rel_trust (bob)      D1e3 Ana  evid (alice)
  D2e1 Ben  rel_buyin (alice)                        D2e2 Cara rel_trust (alice) + rel_buyin (bob)
  D3e1 Dan  rel_trust (alice) + evid (alice)         D3e2 Dan  rel_buyin (bob)
Pending suggestions: D4e1 evid, D2e1 evid, D1e1 rel_trust (model "m").
Memo by alice on D1e1: "first mention of trust".
"""

from __future__ import annotations

from dataclasses import dataclass

from qualcode.core import Attribute, AttrType, Code, Suggestion
from qualcode.storage import codes as code_store
from qualcode.storage import coding as store
from qualcode.storage import documents as doc_store
from qualcode.storage import meta
from tests.conftest import make_document

CODES = [
    Code(id="rel", name="Relationships (test)", codable=False, definition="How people relate."),
    Code(id="rel_trust", name="Trust (rel)", parent="rel", definition="Trust between people.",
         include=["trust in the coach"], exclude=["trusting data"], examples=["We trust each other."],
         keywords=["trust"], color="#336699"),
    Code(id="rel_buyin", name="Buy-in (rel)", parent="rel", definition="Support for the plan."),
    Code(id="evid", name="Evidence (test)", definition="Data that shows progress.",
         counterexamples=["We had no data."]),
]

DOCS = {
    "D1": ({"year": "2018", "district": "North", "format": "interview"}, [
        ("Interviewer", "interviewer", "How did trust grow?"),
        ("Ana", "participant", "We met the same people every time."),
        ("Interviewer", "interviewer", "And the data?"),
        ("Ana", "participant", "Exit tickets showed growth."),
    ]),
    "D2": ({"year": "2018", "district": "South", "format": "focus group"}, [
        ("Facilitator", "facilitator", "Tell me about buy-in."),
        ("Ben", "participant", "Principals bought in early."),
        ("Cara", "participant", "Teachers trusted the coach."),
    ]),
    "D3": ({"year": "2021", "district": "North", "format": "interview"}, [
        ("Interviewer", "interviewer", "What changed?"),
        ("Dan", "participant", "We trust the data now."),
        ("Dan", "participant", "Buy-in came slowly."),
    ]),
    "D4": ({"year": "2021", "district": "South", "format": "focus group"}, [
        ("Facilitator", "facilitator", "Anything else?"),
        ("Eve", "participant", "Nothing much to add."),
    ]),
}
POSITION = {"Ana": "teacher", "Ben": "principal", "Cara": "teacher", "Dan": "principal", "Eve": "teacher"}
PSEUDONYM = {"Ana": "P-Ana"}

CODINGS = [  # (doc, excerpt order, code, coder)
    ("D1", 1, "rel_trust", "alice"), ("D1", 1, "rel_trust", "bob"), ("D1", 3, "evid", "alice"),
    ("D2", 1, "rel_buyin", "alice"), ("D2", 2, "rel_trust", "alice"), ("D2", 2, "rel_buyin", "bob"),
    ("D3", 1, "rel_trust", "alice"), ("D3", 1, "evid", "alice"), ("D3", 2, "rel_buyin", "bob"),
]
PENDING = [("D4", 1, "evid"), ("D2", 1, "evid"), ("D1", 1, "rel_trust")]


@dataclass
class Small:
    doc: dict[str, int]  # name -> document id
    ex: dict[tuple[str, int], int]  # (name, order) -> excerpt id


def build_small_project(ctx) -> Small:
    """Fill ``ctx`` (a fresh project) with the documents and codings above."""
    with ctx.session() as s:
        for c in CODES:
            code_store.save_code(s, c)
        coder = {n: meta.get_or_create_coder(s, n) for n in ("alice", "bob")}
        doc_ids, ex_ids = {}, {}
        for name, (attrs, turns) in DOCS.items():
            d = make_document(name, turns)
            d.attributes = {k: Attribute(k, v, AttrType.INTEGER if k == "year" else AttrType.TEXT)
                            for k, v in attrs.items()}
            for sp in d.speakers:
                if sp.label in POSITION:
                    sp.attributes = {"position": Attribute("position", POSITION[sp.label])}
                sp.pseudonym = PSEUDONYM.get(sp.label)
            doc_ids[name] = doc_store.add_document(s, d, coder_id=coder["alice"])
            for e in doc_store.load_document(s, doc_ids[name]).excerpts:
                ex_ids[(name, e.order)] = e.id
        for name, order, code, who in CODINGS:
            store.add_coding(s, ex_ids[(name, order)], code, coder[who])
        store.upsert_suggestions(s, [Suggestion(excerpt_id=ex_ids[(n, o)], code_id=c, score=0.7, model_id="m")
                                     for n, o, c in PENDING])
        store.add_memo(s, "first mention of trust", coder["alice"], excerpt_id=ex_ids[("D1", 1)])
    return Small(doc=doc_ids, ex=ex_ids)


def start_d4(ctx, small: Small) -> None:
    """D4 (2021), which nobody codes in the small project, reviewed by alice without a code: a
    document looked at, each code absent from it (a comparison leaves out documents nobody started)."""
    from qualcode.services import coding

    coding.mark_reviewed(ctx.as_coder("alice"), small.ex[("D4", 1)])  # Eve's line
