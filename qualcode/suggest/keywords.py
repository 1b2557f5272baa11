"""Lemmatised keywords: the lexical evidence beside the embeddings.

spaCy's blank English pipeline with the lookup lemmatizer (tables from
spacy-lookups-data, installed locally; no model download) turns "trusted", "trusting"
and "trust" into one lemma, so a code's keywords match their inflections.

A keyword of several words ("own money", "open up", "buy-in") is also matched as a phrase:
its words' lemmas, function words included, one after the other in the excerpt
(``lemma_text``, ``keyword_phrases``). Its content words alone would lose what makes it a
phrase ("own money" is "money": a stop word dropped) and weigh no more than any word of the
code's definition.

>>> sorted(lemmas("The principals were buying in"))
['buy', 'principal']
>>> keyword_phrases(["stipend / own money"]), lemma_text("Some paid with their own money.")
([('own money', ' own money ')], ' some pay with their own money ')
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Iterable, Sequence

from qualcode.core.text import split_keywords

_WORD = re.compile(r"[A-Za-z][A-Za-z'\-]+")
_ANY_WORD = re.compile(r"\w")  # a token of a phrase: any token with a letter or digit

# Function words and transcript fillers that carry no theme.
STOP = frozenset("""
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further get got
had has have having he her here hers herself him himself his how i if in into is it its itself just
know like me more most my myself no nor not now of off on once only or other our ours ourselves out
over own really right same say said she should so some such than that the their theirs them
themselves then there these they thing things think this those through to too under until up very
was we well were what when where which while who whom why will with would yeah yes you your yours
yourself yourselves um uh mm hmm okay ok oh kind sort lot lots go going gonna want mean one two
""".split())


@lru_cache(maxsize=1)
def _nlp():
    from qualcode.ingest.segment import blank_pipeline  # spaCy imported once, under a lock

    nlp = blank_pipeline("en")
    try:
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.initialize()
    except Exception:  # noqa: BLE001 - lookups missing: fall back to lower-cased words
        nlp = blank_pipeline("en")
    return nlp


# text -> (its content lemmas in order, its lemma text: every word's lemma, see ``lemma_text``)
_CACHE: dict[str, tuple[tuple[str, ...], str]] = {}
_CACHE_MAX = 50_000


def _analysed(text: str) -> tuple[tuple[str, ...], str]:
    hit = _CACHE.get(text)
    if hit is None:
        hit = _remember(text, _analyse(_nlp()(text)))
    return hit


def _lemma_tuple(text: str) -> tuple[str, ...]:
    return _analysed(text)[0]


def _remember(text: str, value: tuple[tuple[str, ...], str]) -> tuple[tuple[str, ...], str]:
    if len(_CACHE) >= _CACHE_MAX:
        _CACHE.clear()
    _CACHE[text] = value
    return value


def prime_lemmas(texts: Iterable[str]) -> None:
    """Lemmatise the texts not seen yet in one ``nlp.pipe`` pass (about 3x faster than one call
    per text); later ``lemmas(text)`` calls for them are lookups.

    >>> prime_lemmas(["Teachers trusted the data."]); sorted(lemmas("Teachers trusted the data."))
    ['datum', 'teachers', 'trust']
    """
    missing = [t for t in dict.fromkeys(texts) if t not in _CACHE]
    for text, doc in zip(missing, _nlp().pipe(missing, batch_size=256)):
        _remember(text, _analyse(doc))


def _analyse(doc) -> tuple[tuple[str, ...], str]:
    """(content-word lemmas in order, the lemma text of every word token)."""
    out, every = [], []
    for tok in doc:
        w = tok.text.lower()
        if not _ANY_WORD.search(w):
            continue
        lem = (tok.lemma_ or w).lower()
        every.append(lem)
        if not _WORD.fullmatch(w) or lem in STOP or w in STOP or len(lem) < 3:
            continue
        out.append(lem)
    return tuple(out), " " + " ".join(every) + " "


def lemmas(text: str) -> set[str]:
    """Content-word lemmas of a text (stop words and fillers dropped)."""
    return set(_lemma_tuple(text))


def lemma_list(text: str) -> list[str]:
    """Content-word lemmas in order, with repeats (for counting)."""
    return list(_lemma_tuple(text))


def lemma_text(text: str) -> str:
    """Every word's lemma, function words included, space-separated with a space at each end
    (punctuation dropped: "buy-in" is " buy in "): a phrase's lemma text is in an excerpt's
    when the excerpt has the phrase, inflected or not.

    >>> lemma_text("own money") in lemma_text("Some bought paracetamol with their own money.")
    True
    """
    return _analysed(text)[1]


def keyword_phrases(keywords: Iterable[str]) -> list[tuple[str, str]]:
    """A code's keywords of two or more words, as ``(keyword, its lemma text)``: each keyword
    entry split at the separators people type between keywords (``split_keywords``)."""
    out = []
    for k in split_keywords(list(keywords)):
        lt = lemma_text(k)
        if len(lt.split()) >= 2:
            out.append((k, lt))
    return out


def keyword_lemmas(phrases: Iterable[str]) -> set[str]:
    """Lemmas of a code's keywords, name and criteria (each phrase split into words)."""
    out: set[str] = set()
    for p in phrases:
        out |= lemmas(p)
    return out


def distinctive_terms(texts: Sequence[str], background: Sequence[str], *, top: int = 6) -> list[str]:
    """Words over-represented in ``texts`` compared with ``background`` (for theme labels).

    A smoothed log-odds ratio: frequent in the cluster, rare elsewhere.
    """
    import math

    fg = Counter(w for t in texts for w in set(_lemma_tuple(t)))
    bg = Counter(w for t in background for w in set(_lemma_tuple(t)))
    n_fg, n_bg = max(len(texts), 1), max(len(background), 1)
    scored = []
    for w, c in fg.items():
        if c < 2 and len(texts) > 3:
            continue
        p_fg = (c + 0.5) / (n_fg + 1)
        p_bg = (bg.get(w, 0) + 0.5) / (n_bg + 1)
        scored.append((c * math.log(p_fg / p_bg), w))
    scored.sort(reverse=True)
    return [w for _, w in scored[:top]]
