"""The suggestion engine: codebook prior + learned head over one corpus, no database.

The app (services.suggest) and the evaluation (suggest.evaluate) both drive this class, so
what is measured is what the coder gets.

>>> eng = Engine(codebook.codable_codes(), embedder)            # doctest: +SKIP
>>> eng.prepare(corpus)                                          # calibrate on the project
>>> eng.fit(train_idx, Y)                                        # the coder's decisions
>>> eng.suggest(corpus, np.arange(len(corpus)))                  # -> list[Proposal]
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from qualcode.core import Code
from qualcode.suggest.corpus import Corpus, context_projection, features, role_vocab
from qualcode.suggest.learner import Head
from qualcode.suggest.prior import Prior

DEFAULT_MAX_PER_EXCERPT = 3
ROLE_HEAD_MIN = 40


@dataclass
class Proposal:
    """One suggested code for one excerpt (row ``row`` of the scored corpus)."""

    row: int
    code_id: str
    score: float
    explanation: dict[str, Any]


class Engine:
    """Scores excerpts for codes. ``prepare`` calibrates, ``fit`` learns, ``scores`` scores."""

    def __init__(self, codes: Sequence[Code], embedder) -> None:
        self.codes = list(codes)
        self.code_ids = [c.id for c in self.codes]
        self.embedder = embedder
        self.prior = Prior.build(self.codes, embedder.encode)
        self.head = Head(self.code_ids)
        self.role_heads: dict[str, Head] = {}
        self.vocab: list[str] = []
        self.mu: np.ndarray | None = None
        self.sd: np.ndarray | None = None
        self.proj: np.ndarray | None = None
        # accepted excerpts per code, for explanations: (texts, embeddings)
        self.accepted: dict[str, tuple[list[str], np.ndarray]] = {}
        self.fit_seconds = 0.0
        self.version = "cold"

    # -- calibration -----------------------------------------------------------------------
    def prepare(self, corpus: Corpus) -> "Engine":
        """Calibrate the prior (per-code z-scores) and the feature scaling on a corpus."""
        self.vocab = role_vocab(corpus)
        codable = np.flatnonzero(corpus.codable) if corpus.codable.any() else np.arange(len(corpus))
        raw = self.prior.raw(corpus.emb[codable], [corpus.lemma_sets[i] for i in codable])
        self.prior.fit_stats(raw)
        self.proj = context_projection(corpus)
        X = features(corpus, self.vocab, codable, self.proj) if len(codable) else np.zeros((0, 1))
        if len(X):
            self.mu = X.mean(axis=0)
            self.sd = X.std(axis=0) + 1e-3
        return self

    def _X(self, corpus: Corpus, idx: np.ndarray) -> np.ndarray:
        X = features(corpus, self.vocab, idx, self.proj)
        if self.mu is None or self.mu.shape[0] != X.shape[1]:
            self.mu, self.sd = X.mean(axis=0), X.std(axis=0) + 1e-3
        return (X - self.mu) / self.sd

    def _Z(self, corpus: Corpus, idx: np.ndarray) -> np.ndarray:
        raw = self.prior.raw(corpus.emb[idx], [corpus.lemma_sets[i] for i in idx])
        if self.prior.mean is None:
            self.prior.fit_stats(raw)
        return self.prior.z(raw)

    # -- learning --------------------------------------------------------------------------
    def fit(self, corpus: Corpus, idx: np.ndarray, Y: np.ndarray) -> "Engine":
        """Learn from decided excerpts: rows ``idx`` of ``corpus`` with labels ``Y``
        (len(idx) x len(codes), 1 = the coder applied the code)."""
        t0 = time.perf_counter()
        idx = np.asarray(idx, dtype=int)
        if self.mu is None:
            self.prepare(corpus)
        Y = np.asarray(Y, dtype=np.float64)
        X = self._X(corpus, idx) if len(idx) else np.zeros((0, 1))
        Z = self._Z(corpus, idx) if len(idx) else np.zeros((0, len(self.codes)))
        roles = [corpus.roles[i] for i in idx]
        self.head = Head(self.code_ids).fit(X, Y, Z, roles)
        # One head per speaker role with enough decisions: what a sentence does depends on
        # who says it (teacher vs student, interviewer vs participant), and separate heads
        # let every feature interact with the role.
        self.role_heads = {}
        roles_arr = np.array(roles)
        for r in sorted(set(roles)):
            m = roles_arr == r
            if m.sum() >= ROLE_HEAD_MIN and Y[m].sum(axis=0).max() >= 3:
                self.role_heads[r] = Head(self.code_ids).fit(X[m], Y[m], Z[m], [r] * int(m.sum()))
        self.accepted = {}
        for j, cid in enumerate(self.code_ids):
            rows = idx[Y[:, j] > 0] if len(idx) else np.array([], dtype=int)
            if len(rows):
                self.accepted[cid] = ([corpus.texts[i] for i in rows], corpus.emb[rows])
        digest = hashlib.sha1(np.ascontiguousarray(Y).tobytes() + np.asarray(idx).tobytes()).hexdigest()[:8]
        self.version = f"h{len(idx)}-{digest}" if len(idx) else "cold"
        self.fit_seconds = time.perf_counter() - t0
        return self

    @property
    def model_id(self) -> str:
        return f"{self.embedder.model_id}/{self.version}"

    @property
    def max_per_excerpt(self) -> int:
        return self.head.max_per_excerpt or DEFAULT_MAX_PER_EXCERPT

    # -- scoring ---------------------------------------------------------------------------
    def scores(self, corpus: Corpus, idx: np.ndarray | None = None) -> np.ndarray:
        """Scores in [0, 1] (rows idx x codes); 0.5 = the default decision threshold."""
        idx = np.arange(len(corpus)) if idx is None else np.asarray(idx, dtype=int)
        if len(idx) == 0:
            return np.zeros((0, len(self.codes)), dtype=np.float32)
        Z = self._Z(corpus, idx)
        X = self._X(corpus, idx) if self.head.n else np.zeros((len(idx), 1))
        roles = [corpus.roles[i] for i in idx]
        S = self.head.proba(X, Z, roles)
        if self.role_heads:
            roles_arr = np.array(roles)
            for r, head in self.role_heads.items():
                m = roles_arr == r
                if m.any():
                    Sr = head.proba(X[m], Z[m], [r] * int(m.sum()))
                    never = (head.n_pos == 0) & (self.head.n_pos >= 3)
                    Sr[:, never] *= 0.1
                    S[m] = Sr
        return S

    def decide(self, S: np.ndarray, *, threshold: float = 0.5) -> np.ndarray:
        """The app's decision rule: score >= threshold, at most ``max_per_excerpt`` per excerpt."""
        pred = S >= threshold
        k = self.max_per_excerpt
        if S.shape[1] > k:
            kth = -np.sort(-S, axis=1)[:, k - 1][:, None]
            pred &= S >= kth
        return pred

    def suggest(self, corpus: Corpus, idx: np.ndarray | None = None, *, threshold: float = 0.5,
                skip: set[tuple[int, str]] | None = None) -> list[Proposal]:
        """Proposals for rows ``idx`` (codable ones), with explanations.

        ``skip``: (row, code_id) pairs never to propose (already decided).
        """
        idx = np.arange(len(corpus)) if idx is None else np.asarray(idx, dtype=int)
        idx = idx[corpus.codable[idx]] if len(idx) else idx
        S = self.scores(corpus, idx)
        pred = self.decide(S, threshold=threshold)
        out = []
        for r, j in zip(*np.nonzero(pred)):
            row, cid = int(idx[r]), self.code_ids[j]
            if skip and (row, cid) in skip:
                continue
            out.append(Proposal(row, cid, float(S[r, j]), self.explain(corpus, row, j, float(S[r, j]))))
        return out

    def explain(self, corpus: Corpus, row: int, j: int, score: float) -> dict[str, Any]:
        """Why code j for this excerpt: score, keywords, nearest example or accepted excerpt."""
        cid = self.code_ids[j]
        v = corpus.emb[row]
        prof = self.prior.profiles[j]
        cands: list[tuple[float, str, str]] = []
        if prof.v_for is not None and len(prof.v_for):
            sims = prof.v_for @ v
            k = int(np.argmax(sims))
            cands.append((float(sims[k]), prof.texts_for[k], "codebook"))
        if cid in self.accepted:
            texts, E = self.accepted[cid]
            sims = E @ v
            for k in np.argsort(-sims)[:2]:
                if texts[k] != corpus.texts[row]:
                    cands.append((float(sims[k]), texts[k], "accepted"))
                    break
        cands.sort(reverse=True)
        nearest = ({"text": cands[0][1], "similarity": round(cands[0][0], 3), "source": cands[0][2]}
                   if cands else None)
        return {
            "score": round(score, 4),
            "model": self.model_id,
            "learned": bool(self.head.n and j in self.head.stack),
            "keywords": self.prior.matched_keywords(j, corpus.lemma_sets[row]),
            "nearest": nearest,
        }
