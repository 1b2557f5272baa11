"""A code's keywords as the coder typed them: split at the separators people type, and a
keyword of several words matched as a phrase (walk 26: "own money" never pointed to "Some
bought paracetamol with their own money.", while "the workers living in the same villages"
got the code at 50% on the definition's word "workers")."""

from __future__ import annotations

import numpy as np

from qualcode.core import Code
from qualcode.core.text import split_keywords
from qualcode.suggest.corpus import make_corpus
from qualcode.suggest.embedder import HashEmbedder
from qualcode.suggest.engine import Engine
from qualcode.suggest.keywords import keyword_phrases, lemma_text, lemmas
from tests.ui_helpers import no_exception, page

STIPEND = Code(
    id="stipend_delays", name="Stipend delays",
    definition="Workers' stipends or pay arriving late, being too small, or workers paying costs from their "
               "own pocket; and the effects of that on morale and retention.",
    examples=["The stipend always comes three months late.", "I buy airtime with my own money to call the clinic."],
    keywords=["stipend", "paid", "pay", "own money"])
OTHER = Code(id="trust", name="Trust", definition="Trust between people.", keywords=["trust"])

PHRASE = "Some bought paracetamol with their own money."
WEAK = "Honestly it was the workers living in the same villages."


def test_the_keywords_box_is_split_where_the_coder_separated_them():
    assert split_keywords("stipend / paid / pay / own money") == ["stipend", "paid", "pay", "own money"]
    assert split_keywords(["stipend, paid; pay", "own money", "Own  money", "stipend /pay"]) == \
        ["stipend", "paid", "pay", "own money"]
    # a slash inside a word, a hyphen: one keyword
    assert split_keywords("24/7\nburn-out\nand/or") == ["24/7", "burn-out", "and/or"]
    assert split_keywords(None) == [] and split_keywords(" , / ") == []


def test_a_multi_word_keyword_is_a_phrase_inflected_or_not():
    assert lemma_text("own money") in lemma_text(PHRASE)
    assert lemma_text("paid late") in lemma_text("They were paid late again.")
    assert lemma_text("buy-in") in lemma_text("I would say buy in came slowly.")
    assert lemma_text("own money") not in lemma_text("Money of their own, they said.")  # not in that order
    assert lemmas("own money") == {"money"}  # its content words alone: what matched before
    assert [k for k, _ in keyword_phrases(STIPEND.keywords)] == ["own money"]
    assert [k for k, _ in keyword_phrases(["stipend / paid / own money"])] == ["own money"]


def _engine_and_corpus(texts: list[str]):
    """Every excerpt with the same embedding: what tells them apart is the keyword evidence."""
    rows = [{"id": i, "doc": 0, "turn": i, "speaker": "P", "role": "participant", "text": t, "codable": True}
            for i, t in enumerate(texts)]
    v = HashEmbedder().encode(["a sentence about nothing in particular"])
    corpus = make_corpus(rows, np.repeat(v, len(rows), axis=0))
    return Engine([STIPEND, OTHER], HashEmbedder()).prepare(corpus), corpus


def test_a_keyword_phrase_in_the_excerpt_outweighs_one_word_of_the_definition():
    from qualcode.suggest.prior import LEX_WEIGHT

    fillers = [f"Nothing special about item {k} here." for k in range(18)]
    eng, corpus = _engine_and_corpus([PHRASE, WEAK, "Some bought paracetamol with their money."] + fillers)
    raw = eng._raw(corpus, np.arange(3))[:, 0]
    # "own money" found whole is the full keyword evidence; "workers" (a definition word) and
    # "money" (the phrase's content word alone) count one hit each, as before
    assert raw[0] - raw[1] > 0.99 * LEX_WEIGHT / 2
    assert np.isclose(raw[1], raw[2])
    S = eng.scores(corpus)[:, 0]
    assert S[0] > S[1] and S[0] > S[2]
    props = {p.row: p for p in eng.suggest_code(corpus, np.arange(3), "stipend_delays", threshold=0.0)}
    assert "own money" in props[0].explanation["keywords"] and "money" in props[0].explanation["keywords"]
    assert "own money" not in props[2].explanation["keywords"]


def test_the_keyword_as_typed_in_the_codebook_page_is_stored_split(project):
    """The Add form's keywords box, filled the way the walk's coder did, on one line."""
    at = no_exception(page("codebook", project))
    at.text_input(key="add_name").input("Stipend delays")
    at.text_area(key="add_definition").input("Workers' stipends or pay arriving late.")
    at.text_area(key="add_keywords").input("stipend / paid / pay / own money")
    at.button[[b.label for b in at.button].index("Add code")].click().run()
    no_exception(at)
    from qualcode.services import codebook as cb_service

    added = cb_service.get_codebook(project).get("stipend_delays")
    assert added is not None and list(added.keywords) == ["stipend", "paid", "pay", "own money"]
    # and an edit through the service keeps them split the same way
    cb_service.edit_code(project, "stipend_delays", keywords=["stipend, pay", "own money"])
    assert list(cb_service.get_codebook(project).get("stipend_delays").keywords) == ["stipend", "pay", "own money"]
