"""Excerpts as arrays: embeddings plus the context the classifier sees.

Context of an excerpt (why: a sentence's meaning often depends on what it answers):
- the preceding turn by another speaker (e.g. the interviewer's question), as the mean
  embedding of that turn's last two excerpts (no extra encoding needed);
- the speaker's role and the preceding speaker's role;
- hand features: similarity and word overlap with the preceding turn (repeating or
  rephrasing someone: content lemmas, all words, shared word pairs both ways), question
  mark, length, first sentence of the turn, and the share of the neighbouring excerpts
  spoken in the same role (``role_share``: pupils talking among themselves, not to the
  teacher; participants answering one another in a focus group).

>>> rows = [{"id": 1, "doc": 1, "turn": 0, "speaker": "I", "role": "interviewer", "text": "Why?"}]
>>> build_context(rows)[0]["prev"]
[]
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from qualcode.suggest.keywords import lemmas, prime_lemmas

_TOKEN = re.compile(r"[a-z0-9']+")
HAND_FEATURES = ("prev_cosine", "prev_lemma_overlap", "question", "log_words", "first_in_turn",
                 "prev_word_jaccard", "prev_pairs_of_mine", "prev_pairs_of_theirs", "role_share_nearby")
NEARBY = 10  # excerpts on either side that role_share looks at
ROLES = ("interviewer", "facilitator", "participant", "unknown")


def build_context(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """For rows in transcript order, the indices of the preceding turn's last two excerpts
    (``prev``), the preceding speaker's role (``prev_role``) and ``first_in_turn``."""
    out: list[dict[str, Any]] = []
    cur_doc, cur_turn, cur_speaker = object(), object(), object()
    turn_start = 0
    prev_turn: list[int] = []
    prev_role = "none"
    last_turn_rows: list[int] = []
    last_speaker, last_role = None, "none"
    for i, r in enumerate(rows):
        doc, turn, speaker = r.get("doc"), r.get("turn"), r.get("speaker")
        if doc != cur_doc:
            prev_turn, prev_role, last_turn_rows, last_speaker, last_role = [], "none", [], None, "none"
        new_turn = doc != cur_doc or turn != cur_turn or speaker != cur_speaker
        if new_turn:
            if last_turn_rows and last_speaker != speaker:
                prev_turn, prev_role = last_turn_rows[-2:], last_role
            elif last_turn_rows and last_speaker == speaker and doc == cur_doc:
                pass  # same speaker continues: keep the earlier preceding turn
            last_turn_rows, last_speaker, last_role = [], speaker, r.get("role", "unknown")
            turn_start = i
        last_turn_rows.append(i)
        out.append({"prev": list(prev_turn), "prev_role": prev_role, "first_in_turn": i == turn_start})
        cur_doc, cur_turn, cur_speaker = doc, turn, speaker
    return out


@dataclass
class Corpus:
    """Arrays for a set of excerpts in transcript order (row i = excerpt ``ids[i]``)."""

    ids: list[Any]
    texts: list[str]
    emb: np.ndarray
    ctx: np.ndarray
    roles: list[str]
    prev_roles: list[str]
    hand: np.ndarray
    codable: np.ndarray
    docs: list[Any] = field(default_factory=list)
    lemma_sets: list[set[str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)


def make_corpus(rows: Sequence[dict[str, Any]], emb: np.ndarray) -> Corpus:
    """Rows (keys id, doc, turn, speaker, role, text, codable) + their embeddings."""
    n = len(rows)
    ctx_info = build_context(rows)
    dim = emb.shape[1] if emb.ndim == 2 else 0
    ctx = np.zeros((n, dim), dtype=np.float32)
    has_prev = np.array([bool(c["prev"]) for c in ctx_info], dtype=bool)
    if n and dim and has_prev.any():  # mean of the preceding turn's last (two) excerpts, normalised
        first = np.array([c["prev"][0] if c["prev"] else 0 for c in ctx_info])
        last = np.array([c["prev"][-1] if c["prev"] else 0 for c in ctx_info])
        v = (emb[first] + emb[last]) / 2.0
        norm = np.linalg.norm(v, axis=1)
        ok = has_prev & (norm > 0)
        ctx[ok] = v[ok] / norm[ok, None]
    prev_cos = (ctx * emb).sum(axis=1) if n and dim else np.zeros(n, dtype=np.float32)
    prime_lemmas(r["text"] for r in rows)
    lemma_sets = [lemmas(r["text"]) for r in rows]
    hand = np.zeros((n, len(HAND_FEATURES)), dtype=np.float32)
    share = role_share(rows)
    tokens = [_TOKEN.findall(str(r["text"]).lower()) for r in rows]
    for i, (r, c) in enumerate(zip(rows, ctx_info)):
        jac = mine = theirs = 0.0
        if c["prev"]:
            prev_lem = set().union(*(lemma_sets[j] for j in c["prev"]))
            overlap = len(lemma_sets[i] & prev_lem) / max(1, len(lemma_sets[i]))
            # Repeating a classmate's words (restating, revoicing, building on an idea):
            # overlap of all words and of word pairs, which content lemmas miss.
            a = tokens[i]
            b = [w for j in c["prev"] for w in tokens[j]]
            sa, sb = set(a), set(b)
            jac = len(sa & sb) / max(1, len(sa | sb))
            pa, pb = set(zip(a, a[1:])), set(zip(b, b[1:]))
            mine = len(pa & pb) / max(1, len(pa))
            theirs = len(pa & pb) / max(1, len(pb))
        else:
            overlap = 0.0
        text = r["text"]
        hand[i] = (
            float(prev_cos[i]) if c["prev"] else 0.0,
            overlap,
            1.0 if text.rstrip().endswith("?") else 0.0,
            np.log1p(len(text.split())) / 3.0,
            1.0 if c["first_in_turn"] else 0.0,
            jac, mine, theirs,
            share[i],
        )
    return Corpus(
        ids=[r["id"] for r in rows], texts=[r["text"] for r in rows], emb=emb.astype(np.float32),
        ctx=ctx, roles=[str(r.get("role") or "unknown") for r in rows],
        prev_roles=[c["prev_role"] or "none" for c in ctx_info], hand=hand,
        codable=np.array([bool(r.get("codable", True)) for r in rows], dtype=bool),
        docs=[r.get("doc") for r in rows], lemma_sets=lemma_sets,
    )


def role_share(rows: Sequence[dict[str, Any]], nearby: int = NEARBY) -> np.ndarray:
    """Per row (transcript order): the share of the ``nearby`` excerpts on either side, in the
    same document, spoken in the row's own role (1.0 with no neighbours).

    Why (measured, bench_evaluate @500, seeds 0 / 1, liblinear seeds 0 / 1 / 2): a pupil's
    sentence in a long run of pupils' sentences mostly answers a classmate (talkmoves-dev:
    "relating to another student" on 37% of student sentences where >90% of the neighbours
    are students, 3% where <30% are), one in a teacher-led stretch mostly makes a claim.
    talkmoves-dev 0.522 / 0.490 -> 0.550 / 0.506 (liblinear seed 1: 0.501 / 0.483 -> 0.544 /
    0.487; seed 2: 0.404 / 0.495 -> 0.552 / 0.448); disaster-dev, one speaker per document,
    unchanged. A window of 5 or 20: talkmoves 0.481 / 0.500, 0.541 / 0.500; the turn's length
    in excerpts and the position in the turn beside it: 0.499 / 0.481 (each alone: worse)."""
    n = len(rows)
    share = np.ones(n)
    docs = [r.get("doc") for r in rows]
    roles = [str(r.get("role") or "unknown") for r in rows]
    start = 0
    while start < n:  # one document at a time
        end = start
        while end + 1 < n and docs[end + 1] == docs[start]:
            end += 1
        for i in range(start, end + 1):
            lo, hi = max(start, i - nearby), min(end, i + nearby)
            if hi > lo:
                share[i] = (sum(roles[t] == roles[i] for t in range(lo, hi + 1)) - 1) / (hi - lo)
        start = end + 1
    return share


def concat_corpus(a: Corpus, b: Corpus) -> Corpus:
    """``a``'s rows then ``b``'s (whole documents: context never crosses documents)."""
    return Corpus(
        ids=a.ids + b.ids, texts=a.texts + b.texts, emb=np.vstack([a.emb, b.emb]),
        ctx=np.vstack([a.ctx, b.ctx]), roles=a.roles + b.roles, prev_roles=a.prev_roles + b.prev_roles,
        hand=np.vstack([a.hand, b.hand]), codable=np.concatenate([a.codable, b.codable]),
        docs=a.docs + b.docs, lemma_sets=a.lemma_sets + b.lemma_sets,
    )


def role_vocab(*corpora: Corpus) -> list[str]:
    seen = set(ROLES)
    for c in corpora:
        seen |= set(c.roles)
    return sorted(seen)


class TextFeatures:
    """Sparse lexical features of excerpts: TF-IDF word 1-2-grams and character 2-4-grams.

    Why: the pragmatic codes of talk (asking for reasoning, restating, keeping everyone
    together) live in short function-word patterns ("why do you", "you said", "can
    everybody") that a sentence embedding blurs. Fitted transductively on every excerpt of
    the project (the app has them all), so no decision is needed to build the vocabulary.

    >>> tf = TextFeatures().fit(["Why do you think so?", "You said twelve."])
    >>> tf.transform(["Why twelve?"]).shape[0]
    1
    """

    def __init__(self, *, max_char_features: int = 20_000) -> None:
        self.max_char_features = max_char_features
        self.word = None
        self.char = None

    def fit(self, texts: Sequence[str]) -> "TextFeatures":
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = list(texts)
        min_df = 2 if len(texts) >= 50 else 1
        self.word = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, dtype=np.float32,
                                    token_pattern=r"(?u)\b\w+\b|\?")
        self.char = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=min_df + 1 if min_df > 1 else 1,
                                    sublinear_tf=True, max_features=self.max_char_features, dtype=np.float32)
        try:
            self.word.fit(texts)
        except ValueError:  # no words at all (tiny or empty project)
            self.word = None
        try:
            self.char.fit(texts)
        except ValueError:
            self.char = None
        return self

    def transform(self, texts: Sequence[str]):
        import scipy.sparse as sp

        texts = list(texts)
        parts = [v.transform(texts) for v in (self.word, self.char) if v is not None]
        if not parts:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        return sp.hstack(parts, format="csr", dtype=np.float32)
