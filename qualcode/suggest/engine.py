"""The suggestion engine: codebook prior + learned head over one corpus, no database.

The app (services.suggest) and the evaluation (suggest.evaluate) both drive this class, so
what is measured is what the coder gets.

>>> eng = Engine(codebook.codable_codes(), embedder)            # doctest: +SKIP
>>> eng.prepare(corpus)                 # calibrate on the project  # doctest: +SKIP
>>> eng.fit(train_idx, Y)                # the coder's decisions     # doctest: +SKIP
>>> eng.suggest(corpus, np.arange(len(corpus)))  # -> list[Proposal]  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from qualcode.core import Code
from qualcode.suggest.calibrate import Calibrator
from qualcode.suggest.corpus import Corpus, TextFeatures, role_vocab
from qualcode.suggest.embedder import memo_encode
from qualcode.suggest.learner import LinearHead
from qualcode.suggest.prior import SLOPE, Prior, clauses

DEFAULT_MAX_PER_EXCERPT = 3  # cold cap (leaf chips per excerpt; a parent shown with its child is free; a
# confident 4th: EXTRA_CHIP_MARGIN): disaster-dev zero-shot 0.336 / 0.345 (seeds 0 / 1) at 3, 0.341 / 0.353
# with the confident 4th, 0.340 / 0.353 at a flat 4 (prior.py); 0.29-0.31 when parents took a slot
EXTRA_CHIP_MARGIN = 1.0  # cold: a 4th leaf chip when its cold margin is at least this (score 0.82)
EXTRA_CHIP_SCORE = float(1.0 / (1.0 + np.exp(-SLOPE * EXTRA_CHIP_MARGIN)))
HAND_WEIGHT = 0.3  # standardised hand features, scaled to sit beside unit-norm embeddings
# Calibration fits on the scores shown for the latest CAL_WINDOW decisions a learned model had
# scored (older ones came from weaker models): ECE at 500 reviewed 0.12-0.19 with every
# decision since the first, 0.03-0.06 with the latest 200 (both dev sets, seed 0).
CAL_WINDOW = 200
EMB_DIMS = 64  # principal directions of the embeddings the learner sees (speed; same F1)


@dataclass
class Proposal:
    """One suggested code for one excerpt (row ``row`` of the scored corpus)."""

    row: int
    code_id: str
    score: float
    explanation: dict[str, Any]
    probability: float | None = None  # calibrated P(the coder applies it); also in explanation


class Engine:
    """Scores excerpts for codes. ``prepare`` calibrates, ``fit`` learns, ``scores`` scores."""

    def __init__(self, codes: Sequence[Code], embedder) -> None:
        self.codes = list(codes)
        self.code_ids = [c.id for c in self.codes]
        self.embedder = embedder
        self._encode = memo_encode(embedder)
        self.prior = Prior.build(self.codes, self._encode)
        self._parents = np.array([bool(p.descendants) for p in self.prior.profiles], dtype=bool)
        self.head = LinearHead(self.code_ids)
        self.vocab: list[str] = []
        self.mu: np.ndarray | None = None
        self.sd: np.ndarray | None = None
        self.text: TextFeatures | None = None
        self.emb_mean: np.ndarray | None = None
        self.emb_proj: np.ndarray | None = None
        self._prepared: tuple[Corpus, np.ndarray] | None = None  # (corpus, its codable rows)
        self._X_all = None          # features of every row of the prepared corpus
        self._X_corpus: Corpus | None = None
        self._Z_all: np.ndarray | None = None
        self._Z_corpus: Corpus | None = None
        # accepted excerpts per code, for explanations: (texts, embeddings), and their ids
        self.accepted: dict[str, tuple[list[str], np.ndarray]] = {}
        self.accepted_ids: dict[str, list[Any]] = {}
        # the scores each decided excerpt had before the coder decided it (by excerpt id):
        # out-of-sample pairs for calibration, recorded at each fit
        self.shown: dict[Any, np.ndarray] = {}
        self.shown_learned: set[Any] = set()  # ... of those, the ones a learned model scored
        self.calibrator = Calibrator()
        self.fit_seconds = 0.0
        self.version = "cold"

    # -- calibration -----------------------------------------------------------------------
    def prepare(self, corpus: Corpus) -> "Engine":
        """Calibrate the prior (per-code z-scores) and the hand feature scaling on a corpus
        (every excerpt of the project: transductive, no labels); the lexical features and the
        embedding projection are fitted on its codable excerpts when first needed."""
        self.vocab = role_vocab(corpus)
        codable = np.flatnonzero(corpus.codable) if corpus.codable.any() else np.arange(len(corpus))
        raw = self._raw(corpus, codable)
        self.prior.fit_stats(raw)
        # The lexical vocabulary and the embedding projection serve only the learned head:
        # fitted on first use (the first decisions), so a cold project's suggestions don't wait.
        self.text, self.emb_proj = None, None
        self._prepared = (corpus, codable)
        H = corpus.hand[codable] if len(codable) else corpus.hand
        if len(H):
            self.mu = H.mean(axis=0)
            self.sd = H.std(axis=0) + 1e-3
        self._X_corpus, self._X_all = None, None
        self._Z_corpus, self._Z_all = None, None
        return self

    def extend(self, old: Corpus, new: Corpus) -> "Engine":
        """Move to ``new``, whose first ``len(old)`` rows are ``old`` (documents were added).

        The calibration, the fitted head and the cached features of the old rows are kept; only
        the added rows are computed. Re-``prepare`` later (in the background) to take the added
        documents' words and score spread into the calibration.
        """
        import scipy.sparse as sp

        add = np.arange(len(old), len(new))
        if self._Z_corpus is old and self._Z_all is not None:
            z = self.prior.z(self._raw(new, add))
            self._Z_all, self._Z_corpus = np.vstack([self._Z_all, z]), new
        if self._X_corpus is old and self._X_all is not None:
            self._X_all = sp.vstack([self._X_all, self._features(new, add)], format="csr", dtype=np.float32)
            self._X_corpus = new
        return self

    def inherit(self, other: "Engine") -> "Engine":
        """Take over ``other``'s record of the scores shown before each decision (calibration
        data), when a new engine replaces it (recalibrated on a grown corpus)."""
        self.shown = dict(other.shown)
        self.shown_learned = set(other.shown_learned)
        return self

    def _fit_projection(self, E: np.ndarray, *, sample: int = 5000) -> None:
        """Top principal directions of the project's embeddings: the per-code logistic
        regressions then fit on ~6x fewer non-zeros (measured: same macro-F1, 3x faster)."""
        if len(E) > sample:
            E = E[np.random.default_rng(0).choice(len(E), sample, replace=False)]
        self.emb_mean = E.mean(axis=0) if len(E) else np.zeros(E.shape[1], dtype=np.float32)
        k = min(EMB_DIMS, max(1, len(E) - 1), E.shape[1])
        if len(E) < 2:
            self.emb_proj = np.eye(E.shape[1], k, dtype=np.float32)
            return
        _, _, vt = np.linalg.svd(E - self.emb_mean, full_matrices=False)
        self.emb_proj = vt[:k].T.astype(np.float32)

    def _features(self, corpus: Corpus, idx: np.ndarray):
        """[TF-IDF words, TF-IDF chars, embedding (projected), role, preceding role, hand] (sparse)."""
        import scipy.sparse as sp

        idx = np.asarray(idx, dtype=int)
        base, rows = self._prepared or (corpus, np.arange(len(corpus)))
        if self.text is None:
            self.text = TextFeatures().fit([base.texts[i] for i in rows])
        if (self.mu is None or self.mu.shape[0] != corpus.hand.shape[1]) and len(corpus.hand):
            self.mu, self.sd = corpus.hand.mean(axis=0), corpus.hand.std(axis=0) + 1e-3
        # An empty project has nothing to scale by: nothing is cached (the mean of no rows, NaN,
        # once stayed and made the features of documents imported later NaN: the fit failed).
        mu = self.mu if self.mu is not None and len(corpus.hand) else np.zeros(corpus.hand.shape[1])
        sd = self.sd if self.sd is not None and len(corpus.hand) else np.ones(corpus.hand.shape[1])
        pos = {r: k for k, r in enumerate(self.vocab)}
        k = len(self.vocab)
        roles = np.zeros((len(idx), 2 * k + 1), dtype=np.float32)
        for row, i in enumerate(idx):
            if corpus.roles[i] in pos:
                roles[row, pos[corpus.roles[i]]] = 1.0
            roles[row, k + pos.get(corpus.prev_roles[i], k)] = 1.0
        if self.emb_proj is None or self.emb_proj.shape[0] != corpus.emb.shape[1]:
            self._fit_projection(base.emb[rows])
        hand = (corpus.hand[idx] - mu) / sd * HAND_WEIGHT
        dense = np.hstack([(corpus.emb[idx] - self.emb_mean) @ self.emb_proj, roles, hand]).astype(np.float32)
        return sp.hstack([self.text.transform([corpus.texts[i] for i in idx]), sp.csr_matrix(dense)],
                         format="csr", dtype=np.float32)

    def _X(self, corpus: Corpus, idx: np.ndarray):
        """Features of rows ``idx``; the prepared corpus's are computed once and sliced."""
        idx = np.asarray(idx, dtype=int)
        if self._X_corpus is not corpus:
            if len(idx) < 200 and self._X_corpus is not None:
                return self._features(corpus, idx)
            self._X_all = self._features(corpus, np.arange(len(corpus)))
            self._X_corpus = corpus
        return self._X_all[idx]

    def _raw(self, corpus: Corpus, idx: np.ndarray) -> np.ndarray:
        """The prior's raw scores of rows ``idx``, with their clauses (``prior.clauses``: the
        clauses of multi-clause excerpts are encoded once per process, memo_encode)."""
        idx = np.asarray(idx, dtype=int)
        per = [clauses(corpus.texts[i]) for i in idx]
        flat = [t for ts in per for t in ts]
        seg = None
        if flat:
            seg = (self._encode(flat), np.repeat(np.arange(len(idx)), [len(ts) for ts in per]))
        return self.prior.raw(corpus.emb[idx], [corpus.lemma_sets[i] for i in idx], seg,
                              [corpus.texts[i] for i in idx])

    def _Z(self, corpus: Corpus, idx: np.ndarray) -> np.ndarray:
        """Prior z-scores of rows ``idx``; the prepared corpus's are computed once and sliced."""
        idx = np.asarray(idx, dtype=int)
        if self.prior.mean is not None and self._Z_corpus is corpus and self._Z_all is not None:
            return self._Z_all[idx]
        if self.prior.mean is not None and len(idx) >= 200:
            self._Z_all = self.prior.z(self._raw(corpus, np.arange(len(corpus))))
            self._Z_corpus = corpus
            return self._Z_all[idx]
        raw = self._raw(corpus, idx)
        if self.prior.mean is None:
            self.prior.fit_stats(raw)
        return self.prior.z(raw)

    def warm(self, corpus: Corpus) -> "Engine":
        """Compute the learned head's features of every row of ``corpus`` now (vocabulary,
        embedding projection), so that the first fit on the coder's decisions only fits: the
        app does this in the background while the coder reads (measured on a 20-document
        project: the first learned fit went from ~15 s to the cost of any later one)."""
        if self._X_corpus is not corpus:
            self._X_all = self._features(corpus, np.arange(len(corpus)))
            self._X_corpus = corpus
        return self

    def is_warm(self, corpus: Corpus) -> bool:
        """Whether ``warm(corpus)`` (or a fit) has computed the features of ``corpus``."""
        return self._X_corpus is corpus and self._X_all is not None

    # -- learning --------------------------------------------------------------------------
    def fit(self, corpus: Corpus, idx: np.ndarray, Y: np.ndarray) -> "Engine":
        """Learn from decided excerpts: rows ``idx`` of ``corpus`` with labels ``Y``
        (len(idx) x len(codes), 1 = the coder applied the code, NaN = their decision says
        nothing about it: a code added after they finished the excerpt)."""
        t0 = time.perf_counter()
        idx = np.asarray(idx, dtype=int)
        if self.mu is None:
            self.prepare(corpus)
        Y = np.asarray(Y, dtype=np.float64)
        new = [i for i in idx if corpus.ids[i] not in self.shown]
        if new:  # what the current model showed for the excerpts decided since the last fit
            for i, row in zip(new, self.scores(corpus, np.asarray(new, dtype=int))):
                self.shown[corpus.ids[i]] = row
                if self.head.stack:
                    self.shown_learned.add(corpus.ids[i])
        X = self._X(corpus, idx) if len(idx) else np.zeros((0, 1))
        Z = self._Z(corpus, idx) if len(idx) else np.zeros((0, len(self.codes)))
        roles = [corpus.roles[i] for i in idx]
        self.head = LinearHead(self.code_ids).fit(X, Y, Z, roles)
        self.accepted, self.accepted_ids = {}, {}
        for j, cid in enumerate(self.code_ids):
            rows = idx[Y[:, j] > 0] if len(idx) else np.array([], dtype=int)
            if len(rows):
                self.accepted[cid] = ([corpus.texts[i] for i in rows], corpus.emb[rows])
                self.accepted_ids[cid] = [corpus.ids[i] for i in rows]
        self.calibrator = Calibrator()
        if self.head.stack:  # the latest decisions a learned model had scored before them
            recent = [k for k, i in enumerate(idx) if corpus.ids[i] in self.shown_learned][-CAL_WINDOW:]
            if recent:
                S_shown = np.stack([self.shown[corpus.ids[idx[k]]] for k in recent])
                known = ~np.isnan(Y[recent])
                self.calibrator.fit(S_shown[known], Y[recent][known], n_decisions=len(recent))
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
        X = self._X(corpus, idx) if self.head.stack else np.zeros((len(idx), 1))
        roles = [corpus.roles[i] for i in idx]
        return self.head.proba(X, Z, roles)

    def probabilities(self, S: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for decision scores ``S`` (see suggest.calibrate).

        Until the coder's decisions calibrate (``Calibrator.source == "codebook"``: fewer than
        50 decisions a learned model had scored), a code the head has learned gets the mean of
        the codebook's mapping and its own score (what the decisions' calibration is later
        shrunk towards): the codebook's mapping alone is made for the prior's far larger
        margins and read a learned score of 0.8 as 17%, so a code the coder had just accepted
        on the same words dropped from 86% to 17% (a new user's walk in the app). ECE of the
        shown test-half suggestions at 20 / 40 reviewed (seeds 0 / 1), codebook mapping ->
        the mean: disaster-dev 0.261 / 0.337, 0.232 / 0.326 -> 0.104 / 0.140, 0.139 / 0.131;
        talkmoves-dev 0.067 / 0.184, 0.037 / 0.246 -> 0.074 / 0.017, 0.244 / 0.084 (mean of
        the eight 0.211 -> 0.117). The learned score alone: disaster 0.093 / 0.079, 0.079 /
        0.106 but talkmoves 0.177 / 0.177, 0.450 / 0.157 (dropped). Later budgets (the
        decisions' own calibration) are unchanged.

        Once the decisions calibrate, a code the learned head does not speak for (one added to
        the codebook, or still under ``MIN_POS`` positives) keeps the codebook's mapping: the
        decisions' Platt fit is made on the learned head's scores, not on the prior's far larger
        margins (walk 13 saw a code just added suggested at 88% on a self-introduction). ECE of the shown test-half suggestions, in-memory
        protocol, eight seeds, mean @100 / @500: disaster-dev 0.098 / 0.079 -> 0.098 / 0.073
        (lower @500 on all eight), talkmoves-dev 0.125 / 0.062 -> 0.124 / 0.062; macro-F1
        unchanged (probabilities decide nothing)."""
        P = self.calibrator(S)
        if self.calibrator.source == "codebook" and self.head.stack:
            cols = sorted(self.head.stack)
            P[:, cols] = 0.5 * P[:, cols] + 0.5 * np.asarray(S, dtype=np.float32)[:, cols]
        elif self.calibrator.source == "decisions":  # a code the prior alone speaks for: its mapping
            cols = [j for j in range(S.shape[1]) if j not in self.head.stack]
            if cols:
                P[:, cols] = Calibrator()(np.asarray(S)[:, cols])
        return P

    def decide(self, S: np.ndarray, *, threshold: float = 0.5) -> np.ndarray:
        """The app's decision rule: score >= threshold, at most ``max_per_excerpt`` per excerpt.

        A parent code shown together with one of its descendants does not take a slot (the
        child implies it: "Drinking water" and its parent "Aid" count as one chip). Measured:
        disaster-dev zero-shot 0.286 / 0.308 -> 0.306 / 0.328 (seeds 0 / 1), @500 0.407 ->
        0.417 (seed 0, fixed training order); talkmoves-dev has no parent codes (unchanged).
        Cold (no cap learned from the coder yet), one more leaf chip is shown when its score
        is at least ``EXTRA_CHIP_SCORE`` (a cold margin of ``EXTRA_CHIP_MARGIN``): so at most 4 leaf chips, the
        4th only a confident one (see prior.py for the figures).
        """
        pred = S >= threshold
        k = self.max_per_excerpt
        if S.shape[1] <= k:
            return pred
        out = self._capped(S, pred, k)
        if self.head.max_per_excerpt is None and S.shape[1] > k + 1:
            wider = self._capped(S, pred, k + 1)
            leaf = ~self._parents
            extra = wider & ~out & leaf[None, :] & (S >= EXTRA_CHIP_SCORE)
            out |= extra
            for j in np.flatnonzero(self._parents):
                desc = self.prior.profiles[j].descendants
                out[:, j] |= wider[:, j] & extra[:, desc].any(axis=1)
        return out

    def _capped(self, S: np.ndarray, pred: np.ndarray, k: int) -> np.ndarray:
        """``pred`` kept to the ``k`` best leaf codes per excerpt (parents: see ``decide``)."""
        parent = self._parents
        if not parent.any():
            kth = -np.sort(-S, axis=1)[:, k - 1][:, None]
            return pred & (S >= kth)
        leaves = np.where(parent[None, :], -np.inf, S)
        kth = -np.sort(-leaves, axis=1)[:, min(k, int((~parent).sum())) - 1][:, None]
        out = pred & (leaves >= kth)
        for j in np.flatnonzero(parent):
            desc = self.prior.profiles[j].descendants
            out[:, j] = pred[:, j] & (out[:, desc].any(axis=1) | (S[:, j] >= kth[:, 0]))
        return out

    def suggest(self, corpus: Corpus, idx: np.ndarray | None = None, *, threshold: float = 0.5,
                skip: set[tuple[int, str]] | None = None) -> list[Proposal]:
        """Proposals for rows ``idx`` (codable ones), with explanations.

        ``skip``: (row, code_id) pairs never to propose (already decided).
        """
        idx = np.arange(len(corpus)) if idx is None else np.asarray(idx, dtype=int)
        idx = idx[corpus.codable[idx]] if len(idx) else idx
        S = self.scores(corpus, idx)
        P = self.probabilities(S)
        pred = self.decide(S, threshold=threshold)
        out = []
        for r, j in zip(*np.nonzero(pred)):
            row, cid = int(idx[r]), self.code_ids[j]
            if skip and (row, cid) in skip:
                continue
            info = self.explain(corpus, row, j, float(S[r, j]), probability=float(P[r, j]))
            out.append(Proposal(row, cid, float(S[r, j]), info, float(P[r, j])))
        return out

    def suggest_code(self, corpus: Corpus, idx: np.ndarray, code_id: str, *,
                     threshold: float = 0.5, also: set[int] = frozenset()) -> list[Proposal]:
        """Proposals of one code on rows ``idx`` (codable ones), with no per-excerpt cap: the
        question "does this code apply here too?", asked of excerpts the coder finished (and
        coded) before the code was added, where the cap would hand the slot to their own codes.
        ``also``: rows to propose it on whatever their score (a colleague applied it there)."""
        j = self.code_ids.index(code_id)
        idx = np.asarray(idx, dtype=int)
        idx = idx[corpus.codable[idx]] if len(idx) else idx
        S = self.scores(corpus, idx)
        P = self.probabilities(S)
        return [Proposal(int(idx[r]), code_id, float(S[r, j]),
                         self.explain(corpus, int(idx[r]), j, float(S[r, j]), probability=float(P[r, j])),
                         float(P[r, j]))
                for r in range(len(idx)) if S[r, j] >= threshold or int(idx[r]) in also]

    def explain(self, corpus: Corpus, row: int, j: int, score: float, *,
                probability: float | None = None) -> dict[str, Any]:
        """Why code j for this excerpt, as data (services.suggest.explain words it).

        Keys: ``score`` (decision score, 0.5 = threshold), ``model``, ``learned``,
        ``keywords`` and ``matched_words`` (the code's keyword/name lemmas found in the
        excerpt), ``closest_example`` ({text, similarity}: the nearest codebook text of the
        code: name + definition, inclusion criteria, examples; ``kind`` says which), ``closest_accepted``
        ({excerpt_id, text, similarity}: the nearest excerpt the coder applied the code to,
        or None), ``probability`` (calibrated), ``calibration`` ("codebook" or "decisions"),
        ``nearest`` (the closer of the two, as before: {text, similarity, source}).
        """
        cid = self.code_ids[j]
        v = corpus.emb[row]
        prof = self.prior.profiles[j]
        closest_example = closest_accepted = None
        if prof.v_for is not None and len(prof.v_for):
            sims = prof.v_for @ v
            k = int(np.argmax(sims))
            closest_example = {"text": prof.texts_for[k], "similarity": round(float(sims[k]), 3),
                               "kind": prof.kinds_for[k] if k < len(prof.kinds_for) else "example"}
        if cid in self.accepted:
            texts, E = self.accepted[cid]
            ids = self.accepted_ids.get(cid) or [None] * len(texts)
            sims = E @ v
            for k in np.argsort(-sims)[:2]:
                if ids[k] != corpus.ids[row] and texts[k] != corpus.texts[row]:
                    eid = ids[k].item() if hasattr(ids[k], "item") else ids[k]
                    closest_accepted = {"excerpt_id": eid, "text": texts[k],
                                        "similarity": round(float(sims[k]), 3)}
                    break
        cands = [(c["similarity"], c["text"], src) for c, src in
                 ((closest_example, "codebook"), (closest_accepted, "accepted")) if c]
        cands.sort(reverse=True)
        nearest = ({"text": cands[0][1], "similarity": cands[0][0], "source": cands[0][2]}
                   if cands else None)
        if probability is None:
            one = np.zeros((1, len(self.codes)), dtype=np.float32)
            one[0, j] = score  # in its own column: the mapping depends on the code
            probability = float(self.probabilities(one)[0, j])
        words = self.prior.matched_keywords(j, corpus.lemma_sets[row], corpus.texts[row])
        return {
            "score": round(score, 4),
            "model": self.model_id,
            "learned": bool(self.head.n and j in self.head.stack),
            "keywords": words,
            "matched_words": words,
            "nearest": nearest,
            "closest_example": closest_example,
            "closest_accepted": closest_accepted,
            "probability": round(float(probability), 4),
            "calibration": self.calibrator.source,
        }
