"""Cold start: score excerpts against each code's profile in the codebook.

A code's profile is its name + definition, its inclusion criteria, its examples and its
keywords (for), and its exclusion criteria and counterexamples (against). Raw score:

    sim(definition) = 0.5 * sim(name: definition) + 0.5 * mean of the best 2 sim(phrase)
    0.5 * sim(definition) + 0.5 * max sim(include/examples)
    - max(0, max sim(exclude/counterexamples) - that)  + 0.15 * keyword evidence

- phrases (``definition_phrases``): the definition split at punctuation, "and", "or", plus
  the name: "Food: hunger, lack of food, requests for food" lists things an excerpt may be
  about one of;
- keyword evidence: the code's keywords, its name's and its definition's content words
  (lemmas), up to 2 found in the excerpt; a keyword of several words found whole, as a phrase
  (``keywords.keyword_phrases``: "own money" in "with their own money"), is the full evidence
  (counts 2): its content words alone ("money": "own" is a stop word) weighed no more than one
  word of the definition ("worker");
- clauses (``clauses``): an excerpt of several clauses (sentences, comma-separated parts of
  3+ words) is also scored clause by clause, and the best clause's lead over the whole
  excerpt counts half (``CLAUSE_WEIGHT``): a message asking for food, water and medicine is
  about each, but its whole embedding is a blend. (The clauses are encoded by the engine.)

A parent code's raw score is at least its best descendant's (an excerpt about drinking
water is about aid): the codebook's tree is evidence the embeddings do not see.

The cold rule uses absolute fit AND relative standing (``Prior.z`` returns the margin ``d``;
a code is suggested cold when ``d >= 0``):

    d = max((raw - ABS) / ABS_SCALE, z - Z0)     z = raw's z-score over the project
    d = min(d, (raw - FLOOR) / ABS_SCALE)        nothing under the floor, whatever its rank

- absolute fit: ``raw >= ABS`` suggests a code for every excerpt that fits it, so a code that
  fits many excerpts is suggested for many (a z-score rule gives every code ~2%);
- relative standing: an excerpt that stands out for a code (``z >= Z0``) is suggested even
  under ``ABS`` (codes whose profile sits far from every sentence: dialogue moves);
- the floor: in a project the codebook does not fit, every raw score is low, so nothing is
  suggested even though some excerpt always stands out.

``Prior.z`` returns ``Z0 + d``. The decision score is ``sigmoid(SLOPE * d)``: 0.5 at the
threshold; the cold calibration maps ``d`` to a probability (``CAL_A``, ``CAL_B``).

Measured: every constant chosen on the pool halves of seeds 0 and 1 (disaster-dev macro-F1,
mean of the two pool halves, "pool"), never on the test halves; test halves reported as
seed 0 / seed 1 (bench/results/evaluate_cold.json). The first absolute rule (name +
definition, name keywords, ABS 0.28, FLOOR 0.20) took disaster-dev zero-shot from 0.24-0.26
(z-score rule) to 0.306 / 0.328 with the app's cap of 3 leaf chips (pool 0.310); talkmoves
0.072 / 0.064. Now:

- + definition phrases and definition words as keywords: pool 0.332, test 0.321 / 0.336,
  talkmoves 0.080 / 0.072;
- + clauses (ABS re-chosen 0.34, FLOOR = ABS - 0.08 as before): pool 0.347, test 0.336 /
  0.345, talkmoves 0.078 / 0.067;
- + a 4th leaf chip when its margin is >= 1 (engine.decide): pool 0.350, test 0.341 / 0.353,
  talkmoves 0.077 / 0.067. Cooking-class interview, default codebook: 4 cold suggestions
  (6 before), each under 20%.

- + the code's name (all its content words) found in the excerpt adds ``NAME_WEIGHT`` 0.2 to
  the raw score, over the keyword evidence (which counts any of the definition's words, so a
  name in the text weighed no more than "teachers"; walks 10-11: "the teachers trust each
  other more" got Buy-in and Team composition, not Trust). Measured in one run (seeds 0 / 1,
  zero-shot, @100, @500 reviewed), 0 -> 0.1 -> 0.2: disaster-dev 0.341 / 0.353, 0.376 / 0.374,
  0.434 / 0.447 -> 0.342 / 0.359, 0.395 / 0.325, 0.436 / 0.449 -> 0.344 / 0.361, 0.370 /
  0.373, 0.442 / 0.444; talkmoves-dev unchanged at every budget (0.077 / 0.067, 0.241 / 0.168,
  0.540 / 0.489: its moves' names are not words of classroom talk); the default codebook on 40
  sentences of our own (bench_default_codebook.py): code among the chips 36 -> 36 -> 37 of 40,
  most likely chip 31 -> 31 -> 32, its mean probability 0.602 -> 0.608 -> 0.633. Measured there
  and dropped: a counterexample's penalty halved, or taken against the best example rather than
  the blended score: no sentence changed.

The learned head sees the margin (learner.prior_feature), so the curve moved too (before ->
after, seeds 0 / 1): disaster-dev @100 0.318 / 0.339 -> 0.349 / 0.348, @500 0.393 / 0.420 ->
0.412 / 0.404; talkmoves-dev @100 0.173 / 0.243 -> 0.234 / 0.193, @500 0.521 / 0.468 ->
0.522 / 0.490. ECE of the shown suggestions at 0 reviewed: disaster-dev 0.067 / 0.074 ->
0.104 / 0.111, talkmoves-dev 0.083 / 0.105 -> 0.071 / 0.105 (see the calibration below).
Cost: the clauses are encoded too (the demo's 11 transcripts: first suggestions 11.7 -> 17.5 s
on a loaded machine, once per project; services.suggest caches them with the excerpts).

Measured and dropped (pool, at the best ABS of 0.24-0.38; cap 3 unless said):
- ABS 0.24-0.32 x FLOOR 0.18-0.22 on the old profile: 0.304-0.310 (it was already tuned);
- hubness: minus the excerpt's mean raw score over the codes (x 0.25 / 0.5 / 1; or its top 5):
  0.307-0.312, test lower on both seeds; CSLS code side (the code's mean over its 50 best
  excerpts, x 0.25-1): 0.260-0.306;
- a per-code cut from the code's own score distribution (Otsu, two-Gaussian mixture): their
  cuts do not follow the pool's hindsight cuts, nor do the code's mean, spread, 90th/99th
  percentile or its profile's similarity to the nearest other code (|r| <= 0.35): not used;
- parents: own score only 0.295; parent margin = its best child's margin (-1, 0, +1, +2):
  0.308-0.310; a child held under its parent's own margin (+2 / +4 / +6, or 0.25-0.5 x the
  parent's shortfall): 0.304 / 0.330 / 0.333, 0.333-0.334 (no gain on the 0.332 it had);
- profile text: name alone 0.299, definition alone 0.301, mean of name and name+definition
  0.310; phrase weight 0.3 / 0.7: 0.333 / 0.328; phrases of 2+ words only 0.332; the
  parent's name in the child's text 0.330;
- keywords: name words at weight 0 / 0.1 / 0.2 / 0.3: 0.304 / 0.310 / 0.312 / 0.313;
  definition words at 0.08 / 0.2: 0.320-0.326 / 0.325-0.331 (0.15 kept); definition words
  scored apart from the name's (0.08 / 0.15 / 0.25): 0.324-0.329; only definition words rare
  in the codebook (< 2 / 3 / 5 definitions): 0.326 / 0.330 / 0.331; only words rare in the
  project (< 5% / 2% of excerpts): 0.325 / 0.321;
- margin over the siblings (a child's margin minus 0.25 / 0.5 / 1 x its best sibling's lead):
  0.336 / 0.335 / 0.332 against 0.332 (noise-sized); over neighbour codes by profile
  similarity (>= 0.4 / 0.5 / 0.6): 0.328-0.330;
- the cap's ranking by z-score, raw score or raw minus the code's mean instead of the margin:
  0.327-0.333;
- no relative branch (or Z0 2.5 / 3 on it): 0.335, but talkmoves' pool halves 0.087 / 0.097
  -> 0.082 / 0.086: kept; FLOOR = ABS - 0.04 / 0.06 / 0.10 / 0.12 / 0.14: within 0.001;
- clauses: weight 0.75 / 1: 0.351 / 0.348, but talkmoves' pool halves 0.084 / 0.095 ->
  0.074 / 0.083; the average of the whole and the best clause 0.347; sentences only 0.335;
  clauses of 2+ / 4+ words 0.347 / 0.344; also split at "and" / "but" 0.347;
- cap: a flat 4 leaf chips 0.349; the 4th chip at margin >= 2 / 3: 0.349 / 0.348; no cap
  (before clauses) 0.320 against 0.310: the app shows at most 4.

Calibration (``CAL_A``, ``CAL_B``): chosen on a grid to minimise the mean ECE of the shown
cold suggestions on the pool halves of both sets (a Platt fit of the margin, d >= -3, each set
weighted equally, gave 0.54 / -1.86: test ECE disaster 0.092 / 0.093, talkmoves 0.104 /
0.132). One global map cannot fit both sets: on disaster-dev the share of shown suggestions
the gold coder applied rises with the margin (0.24 under 0.5, 0.72 over 5), on talkmoves-dev
it is ~0.1 at every margin (the codebook's definitions do not describe dialogue moves).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from qualcode.core import Code
from qualcode.suggest.keywords import keyword_lemmas, keyword_phrases, lemma_text, lemmas

Z0 = 2.0
SLOPE = 1.5
LEX_WEIGHT = 0.15
ABS = 0.34        # raw score at which a code fits an excerpt, whatever the project
ABS_SCALE = 0.05  # raw-score units per unit of margin (z-units on the relative side)
FLOOR = 0.26      # under it nothing is suggested cold (ABS - 0.08, as before the clause scoring)
PHRASE_WEIGHT = 0.5  # share of the definition score from its best phrases (the rest: the whole text)
PHRASE_TOP = 2       # ... mean of the best this many phrase similarities
CLAUSE_WEIGHT = 0.5  # share of an excerpt's best clause's lead over the whole excerpt that counts
CLAUSE_MIN_WORDS = 3
NAME_WEIGHT = 0.2   # the code's whole name in the excerpt (see the module docstring)
PHRASE_HITS = 2     # a multi-word keyword found as a phrase counts as this many keyword hits (the most)
# Calibrated cold probability P(right | d) = sigmoid(CAL_A * d + CAL_B): the map that minimises
# the mean ECE of the shown cold suggestions on the pool halves of seeds 0 and 1 of both dev
# sets (bench/bench_evaluate.py reports the ECE it gives on the test halves); it is global,
# not per code, so a keyword-only hit is as likely right as any other hit with its margin.
CAL_A, CAL_B = 0.70, -2.25


@dataclass
class CodeProfile:
    code_id: str
    texts_for: list[str]
    texts_against: list[str]
    keywords: set[str]
    phrases: list[str] = field(default_factory=list)
    v_def: np.ndarray | None = None
    v_phrases: np.ndarray | None = None
    v_for: np.ndarray | None = None
    v_against: np.ndarray | None = None
    descendants: list[int] = field(default_factory=list)  # positions in the prior's code list
    name_lemmas: frozenset = frozenset()  # the content words of the code's name
    kinds_for: list[str] = field(default_factory=list)  # per text_for: definition, include, example
    # the code's multi-word keywords: (keyword, its lemma text, the content lemmas it needs)
    keyword_phrases: list[tuple[str, str, frozenset]] = field(default_factory=list)

    def phrases_in(self, lemma_set: set[str], text: str) -> list[str]:
        """The code's multi-word keywords found as phrases in ``text`` (whose content lemmas are
        ``lemma_set``: a phrase whose content words are not all there is not looked for)."""
        return [k for k, lt, need in self.keyword_phrases if need <= lemma_set and lt in lemma_text(text)]


def _clean(items) -> list[str]:
    return [str(t).strip() for t in items if str(t).strip()]


_PHRASE_SPLIT = re.compile(r"[:,;.]| and | or ")
_CLAUSE_SPLIT = re.compile(r"(?<=[.!?;])\s+|,\s+")


def definition_phrases(code: Code) -> list[str]:
    """The code's name and the phrases of its definition ("Food: hunger, lack of food, requests
    for food" -> Food, hunger, lack of food, requests for food): a list-like definition names
    several things, and an excerpt about one of them matches that phrase better than the whole."""
    parts = [x.strip() for x in _PHRASE_SPLIT.split(str(code.definition or "").strip())]
    # (a phrase that repeats the name counts twice among the best two: measured that way)
    return [p for p in parts if len(p) > 2] + [code.name.strip() or code.id]


def clauses(text: str) -> list[str]:
    """An excerpt's clauses (sentences and comma-separated parts of at least
    ``CLAUSE_MIN_WORDS`` words), or [] when it has fewer than two: a message that asks for
    food, water and medicine in three clauses is about each of them, but its whole embedding
    is a blend of the three."""
    parts = [x.strip() for x in _CLAUSE_SPLIT.split(str(text))]
    parts = [p for p in parts if len(p.split()) >= CLAUSE_MIN_WORDS]
    return parts if len(parts) >= 2 else []


def profile_texts(code: Code) -> CodeProfile:
    head = f"{code.name}: {code.definition}".strip().rstrip(":")
    texts_for = [head] + _clean(code.include) + _clean(code.examples)
    against = _clean(code.exclude) + _clean(code.counterexamples)
    kw = keyword_lemmas(list(code.keywords) + [code.name, str(code.definition or "")])
    kinds = ["definition"] + ["include"] * len(_clean(code.include)) + ["example"] * len(_clean(code.examples))
    kw_phrases = [(k, lt, frozenset(lemmas(k))) for k, lt in keyword_phrases(code.keywords)]
    return CodeProfile(code.id, texts_for, against, kw, phrases=definition_phrases(code),
                       name_lemmas=frozenset(keyword_lemmas([code.name])), kinds_for=kinds,
                       keyword_phrases=kw_phrases)


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
        parent = {c.id: c.parent for c in codes}
        pos = {c.id: j for j, c in enumerate(codes)}
        for k, c in enumerate(codes):  # every ancestor of c in the list gets c as a descendant
            seen, cur = set(), parent.get(c.id)
            while cur and cur not in seen:
                seen.add(cur)
                if cur in pos:
                    profiles[pos[cur]].descendants.append(k)
                cur = parent.get(cur)
        texts = [t for p in profiles for t in p.texts_for + p.texts_against + p.phrases]
        vecs = encode(texts) if texts else np.zeros((0, 1), dtype=np.float32)
        k = 0
        for p in profiles:
            nf, na, nph = len(p.texts_for), len(p.texts_against), len(p.phrases)
            p.v_def = vecs[k]
            p.v_for = vecs[k:k + nf]
            p.v_against = vecs[k + nf:k + nf + na]
            p.v_phrases = vecs[k + nf + na:k + nf + na + nph]
            k += nf + na + nph
        return cls(codes=codes, profiles=profiles)

    def similarity(self, emb: np.ndarray) -> np.ndarray:
        """The embedding part of the raw score (n texts x n codes), keywords aside."""
        out = np.zeros((emb.shape[0], len(self.profiles)), dtype=np.float32)
        for j, p in enumerate(self.profiles):
            s_def = emb @ p.v_def
            if p.v_phrases is not None and len(p.v_phrases):
                sims = emb @ p.v_phrases.T
                top = -np.sort(-sims, axis=1)[:, :PHRASE_TOP].mean(axis=1)
                s_def = (1 - PHRASE_WEIGHT) * s_def + PHRASE_WEIGHT * top
            s_for = (emb @ p.v_for.T).max(axis=1) if len(p.v_for) > 1 else s_def
            pos = 0.5 * s_def + 0.5 * s_for
            if len(p.v_against):
                s_ag = (emb @ p.v_against.T).max(axis=1)
                pos = pos - np.maximum(0.0, s_ag - pos)
            out[:, j] = pos
        return out

    def raw(self, emb: np.ndarray, lemma_sets: list[set[str]] | None = None,
            clause_emb: tuple[np.ndarray, np.ndarray] | None = None,
            texts: list[str] | None = None) -> np.ndarray:
        """Uncalibrated scores (n excerpts x n codes). ``clause_emb``: (vectors, row of each)
        of the excerpts' clauses (see ``clauses``): an excerpt whose best clause fits a code
        better than the whole gains ``CLAUSE_WEIGHT`` of the difference. ``texts``: the
        excerpts' texts, where a code's multi-word keywords are looked for as phrases (with
        ``lemma_sets``)."""
        out = self.similarity(emb)
        if clause_emb is not None and len(clause_emb[0]):
            vecs, rows = clause_emb
            best = np.full_like(out, -np.inf)
            np.maximum.at(best, np.asarray(rows, dtype=int), self.similarity(vecs))
            out = out + CLAUSE_WEIGHT * np.maximum(0.0, best - out)
        for j, p in enumerate(self.profiles):
            if lemma_sets is not None and p.keywords:
                hits = np.array([len(ls & p.keywords) for ls in lemma_sets], dtype=np.float32)
                if texts is not None and p.keyword_phrases:
                    hits += PHRASE_HITS * np.array([bool(p.phrases_in(ls, t)) for ls, t in zip(lemma_sets, texts)],
                                                   dtype=np.float32)
                out[:, j] += LEX_WEIGHT * np.minimum(hits, 2.0) / 2.0
            if lemma_sets is not None and NAME_WEIGHT and p.name_lemmas:
                out[:, j] += NAME_WEIGHT * np.array([p.name_lemmas <= ls for ls in lemma_sets], dtype=np.float32)
        own = out.copy()
        for j, p in enumerate(self.profiles):
            if p.descendants:
                out[:, j] = np.maximum(own[:, j], own[:, p.descendants].max(axis=1))
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
        """``Z0 +`` the cold margin ``d`` (see the module docstring), on the z-score scale the
        learner expects: ``>= Z0`` means suggest (for a code that only stands out relative to
        the project this is its z-score, as before)."""
        rel = (raw - self.mean) / self.std * self.scale - Z0
        d = np.maximum((raw - ABS) / ABS_SCALE, rel)
        return Z0 + np.minimum(d, (raw - FLOOR) / ABS_SCALE)

    def matched_keywords(self, j: int, lemma_set: set[str], text: str | None = None) -> list[str]:
        """The code's keyword, name and definition lemmas in the excerpt, then its multi-word
        keywords found there as phrases (given the excerpt's ``text``)."""
        p = self.profiles[j]
        words = sorted(lemma_set & p.keywords)
        return words + ([k for k in p.phrases_in(lemma_set, text) if k not in words] if text is not None else [])
