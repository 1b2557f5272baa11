"""Cold start: score excerpts against each code's profile in the codebook.

A code's profile is its name + definition, its inclusion criteria, its examples and its
keywords (for), and its exclusion criteria and counterexamples (against). Raw score:

    0.5 * sim(definition) + 0.5 * max sim(include/examples)
    - max(0, max sim(exclude/counterexamples) - that)  + 0.15 * keyword evidence

Raw cosine similarities mean different things for different codes (a long, abstract
definition sits further from every sentence than a concrete one), so each code's raw scores
are turned into z-scores over the project's excerpts (calibration). A code is suggested
cold when its z-score is at least ``Z0`` and it is one of the two best codes for the
excerpt: only excerpts that stand out for that code, relative to the corpus and to the
other codes. The stored score is ``sigmoid(SLOPE * (z - Z0))``: 0.5 at the default
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from qualcode.core import Code
from qualcode.suggest.keywords import keyword_lemmas

Z0 = 2.0
SLOPE = 1.5
LEX_WEIGHT = 0.15


@dataclass
class CodeProfile:
    code_id: str
    texts_for: list[str]
    texts_against: list[str]
    keywords: set[str]
    v_def: np.ndarray | None = None
    v_for: np.ndarray | None = None
    v_against: np.ndarray | None = None


def _clean(items) -> list[str]:
    return [str(t).strip() for t in items if str(t).strip()]


def profile_texts(code: Code) -> CodeProfile:
    head = f"{code.name}: {code.definition}".strip().rstrip(":")
    texts_for = [head] + _clean(code.include) + _clean(code.examples)
    against = _clean(code.exclude) + _clean(code.counterexamples)
    kw = keyword_lemmas(list(code.keywords) + [code.name])
    return CodeProfile(code.id, texts_for, against, kw)


@dataclass
class Prior:
    """Cold-start scorer for a list of codes; ``fit_stats`` calibrates on a corpus."""

    codes: list[Code]
    profiles: list[CodeProfile] = field(default_factory=list)
    mean: np.ndarray | None = None
    std: np.ndarray | None = None
    scale: float = 1.0

    @classmethod
    def build(cls, codes: list[Code], encode) -> "Prior":
        """Embed every profile text once (``encode``: list[str] -> normalised array)."""
        profiles = [profile_texts(c) for c in codes]
        texts = [t for p in profiles for t in p.texts_for + p.texts_against]
        vecs = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        k = 0
        for p in profiles:
            nf, na = len(p.texts_for), len(p.texts_against)
            p.v_def = vecs[k]
            p.v_for = vecs[k:k + nf]
            p.v_against = vecs[k + nf:k + nf + na]
            k += nf + na
        return cls(codes=codes, profiles=profiles)

    def raw(self, emb: np.ndarray, lemma_sets: list[set[str]] | None = None) -> np.ndarray:
        """Uncalibrated scores (n excerpts x n codes)."""
        n = emb.shape[0]
        out = np.zeros((n, len(self.profiles)), dtype=np.float32)
        for j, p in enumerate(self.profiles):
            s_def = emb @ p.v_def
            s_for = (emb @ p.v_for.T).max(axis=1) if len(p.v_for) > 1 else s_def
            pos = 0.5 * s_def + 0.5 * s_for
            if len(p.v_against):
                s_ag = (emb @ p.v_against.T).max(axis=1)
                pos = pos - np.maximum(0.0, s_ag - pos)
            out[:, j] = pos
            if lemma_sets is not None and p.keywords:
                hits = np.array([len(ls & p.keywords) for ls in lemma_sets], dtype=np.float32)
                out[:, j] += LEX_WEIGHT * np.minimum(hits, 2.0) / 2.0
        return out

    def fit_stats(self, raw: np.ndarray) -> "Prior":
        """Per-code mean and spread of raw scores over the project's excerpts."""
        n = raw.shape[0]
        if n >= 2:
            self.mean = raw.mean(axis=0)
            self.std = raw.std(axis=0) + 1e-6
            # Among n excerpts no z-score can exceed sqrt(n - 1): in a small project the
            # scale is stretched so that the threshold stays reachable (n < ~17).
            self.scale = max(1.0, Z0 / (0.5 * np.sqrt(n - 1)))
        else:
            self.mean = np.zeros(raw.shape[1], dtype=np.float32) + 0.2
            self.std = np.ones(raw.shape[1], dtype=np.float32) * 0.1
        return self

    def z(self, raw: np.ndarray) -> np.ndarray:
        return (raw - self.mean) / self.std * self.scale

    def matched_keywords(self, j: int, lemma_set: set[str]) -> list[str]:
        return sorted(lemma_set & self.profiles[j].keywords)
