"""The inputs of every analysis, as compact frames, plus the shared grouping rules.

:class:`Facts` bundles what the loaders in ``qualcode.storage.analysis_queries`` return:
which excerpt carries which code (with its document and speaker), the documents with their
participant word counts, document and speaker attributes, and the codebook. Analyses are
pure functions of a ``Facts``: easy to test with hand-made frames.

Grouping ("by"): a key is looked up first among document attributes, then speaker
attributes; ``role`` means the speaker's role and ``format`` falls back to the document's
file format when no document attribute of that name exists. Documents (or speakers)
without a value are grouped under ``(not set)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from qualcode.core import Codebook
from qualcode.core.text import person_key
from qualcode.errors import NotFoundError

NOT_SET = "(not set)"
# The speakers' role (interviewer, participant, ...) by a name no attribute shadows: documents
# often carry an attribute called "role" too (a nurse, a CHW), and "role" then means that one
# (walk 8: grouping by the speakers' role was out of reach).
SPEAKER_ROLE = "speaker role"
#: Speaker roles that are not participants (everyone else counts as a participant,
#: matching how ``documents.participant_words`` is computed at ingest).
NON_PARTICIPANT_ROLES = ("interviewer", "facilitator")


@dataclass
class Facts:
    """Everything an analysis needs; see the module docstring."""

    codebook: Codebook
    pairs: pd.DataFrame  # excerpt_id, code_id, document_id, speaker_id (one row per coding)
    documents: pd.DataFrame  # document_id, name, format, word_count, participant_words, ...
    doc_attrs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["document_id", "key", "value", "type"]))
    speakers: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["speaker_id", "document_id", "label", "pseudonym", "role"]))
    speaker_attrs: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["speaker_id", "key", "value", "type"]))
    excerpt_counts: pd.DataFrame | None = None  # document_id, speaker_id, excerpts
    speaker_words: pd.DataFrame | None = None  # speaker_id, words
    # speaker ids whose speech is coded now (the project's coded roles, as participant_words):
    # the per-1,000-words rate counts only their excerpts, as its base counts only their words.
    # A coding kept on a speaker made interviewer after coding counts as an excerpt, not in the
    # rate (walk 20: the rate on two bases; walk 22: a base that moved with the coder chosen)
    coded_speakers: np.ndarray | None = None


SURVEY_FORMAT = "survey"  # a survey respondent's answers are one document of this format
SOURCES = ("transcripts", "surveys")


def source_documents(documents: pd.DataFrame, source: str) -> set[int]:
    """Document ids of one kind of source: ``transcripts`` (interviews, focus groups, any
    document but a survey respondent) or ``surveys`` (respondents)."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    survey = documents["format"] == SURVEY_FORMAT
    return {int(d) for d in documents.loc[survey if source == "surveys" else ~survey, "document_id"]}


def only_documents(facts: Facts, keep: set[int]) -> Facts:
    """``facts`` restricted to the documents ``keep`` (their codings, speakers, attributes)."""
    def by_doc(df: pd.DataFrame | None) -> pd.DataFrame | None:
        if df is None or "document_id" not in df.columns:
            return df
        return df[df["document_id"].isin(keep)].reset_index(drop=True)

    speakers = by_doc(facts.speakers)
    spk = set(speakers["speaker_id"]) if speakers is not None else set()

    def by_speaker(df: pd.DataFrame | None) -> pd.DataFrame | None:
        if df is None or "speaker_id" not in df.columns:
            return df
        return df[df["speaker_id"].isin(spk)].reset_index(drop=True)

    # The attribute tables stay whole: values are looked up for the kept documents and speakers
    # only, and an attribute that none of them has (transcripts without the survey's "year")
    # groups them all under "(not set)" instead of failing as an unknown attribute.
    return Facts(codebook=facts.codebook, pairs=by_doc(facts.pairs), documents=by_doc(facts.documents),
                 doc_attrs=facts.doc_attrs, speakers=speakers, speaker_attrs=facts.speaker_attrs,
                 excerpt_counts=by_doc(facts.excerpt_counts), speaker_words=by_speaker(facts.speaker_words),
                 coded_speakers=facts.coded_speakers)


def code_order(codebook: Codebook, used: "set[str] | None" = None) -> list[str]:
    """Code ids to report, in the codebook's tree order (``Codebook.tree_order``: a sub-code
    under its parent): every active code plus retired ones in use (``Codebook.exported``, the
    rule every export follows)."""
    return [c.id for c in codebook.exported(used or ()).tree_order()]


def code_table(codebook: Codebook, ids: list[str]) -> pd.DataFrame:
    """code_id, code (name), parent_id, depth for ``ids``."""
    by_id = codebook.by_id()

    def depth(cid: str) -> int:
        d, cur, seen = 0, by_id[cid].parent, {cid}
        while cur and cur in by_id and cur not in seen:
            seen.add(cur)
            d, cur = d + 1, by_id[cur].parent
        return d

    return pd.DataFrame({
        "code_id": ids,
        # a retired code still counts where it was applied, and says it is retired (walk 10)
        "code": [by_id[i].shown_name for i in ids],
        "parent_id": [by_id[i].parent for i in ids],
        "depth": [depth(i) for i in ids],
    })


def ancestor_levels(codebook: Codebook, ids: list[str], *, rollup: bool) -> np.ndarray:
    """An int array ``A[k, i]``: the index of code ``i``'s k-th ancestor (k=0: itself), -1 if none."""
    index = {cid: i for i, cid in enumerate(ids)}
    by_id = codebook.by_id()
    chains = []
    for cid in ids:
        chain, cur, seen = [index[cid]], by_id[cid].parent if rollup else None, {cid}
        while cur and cur in index and cur not in seen:
            seen.add(cur)
            chain.append(index[cur])
            cur = by_id[cur].parent
        chains.append(chain)
    depth = max((len(c) for c in chains), default=1)
    out = np.full((depth, len(ids)), -1, dtype=np.int64)
    for i, chain in enumerate(chains):
        out[: len(chain), i] = chain
    return out


def pair_code_index(pairs: pd.DataFrame, ids: list[str]) -> np.ndarray:
    """Each pair's code as an index into ``ids`` (-1 for codes not reported)."""
    col = pairs["code_id"]
    if not isinstance(col.dtype, pd.CategoricalDtype):
        col = col.astype("category")
    index = {cid: i for i, cid in enumerate(ids)}
    lut = np.array([index.get(c, -1) for c in col.cat.categories] + [-1], dtype=np.int64)
    codes = col.cat.codes.to_numpy()
    return lut[np.where(codes < 0, len(lut) - 1, codes)]


def used_codes(pairs: pd.DataFrame) -> set[str]:
    """The code ids that occur in ``pairs`` (cheap for the categorical column the loaders give)."""
    if not len(pairs):
        return set()
    col = pairs["code_id"]
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy()
        present = np.bincount(codes[codes >= 0], minlength=len(col.cat.categories)) > 0
        return {str(c) for c in col.cat.categories[present]}
    return set(col.astype(str).unique())


def code_excerpt_sets(pairs: pd.DataFrame, ids: list[str], codebook: Codebook, *,
                      rollup: bool = True) -> list[np.ndarray]:
    """For each code of ``ids``: the sorted distinct ids of the excerpts carrying it (with
    ``rollup``, or carrying any of its descendants: an excerpt coded with two children of
    a parent counts once for the parent, and twice-coded excerpts once).

    Works per code on a presence bitmap over excerpt ids that stays in the CPU cache,
    so it is linear in the number of codings, without sorting them.
    """
    n = len(ids)
    code = pair_code_index(pairs, ids)
    ex = pairs["excerpt_id"].to_numpy(dtype=np.int64)
    ok = code >= 0
    code, ex = code[ok], ex[ok]
    empty = np.zeros(0, dtype=np.int64)
    if not len(ex):
        return [empty] * n
    if len(code) > 1 and not bool(np.all(code[1:] >= code[:-1])):
        order = np.argsort(code, kind="stable")  # loaders give runs per code: cheap
        code, ex = code[order], ex[order]
    bounds = np.searchsorted(code, np.arange(n + 1))
    levels = ancestor_levels(codebook, ids, rollup=rollup)
    members: list[list[int]] = [[] for _ in range(n)]  # whose excerpts count for each code
    for i in range(n):
        for a in levels[:, i]:
            if a >= 0:
                members[int(a)].append(i)
    top = int(ex.max()) + 1
    present = np.zeros(top, dtype=bool) if top <= max(16 * len(ex), 1 << 22) else None
    out = []
    for a in range(n):
        segs = [ex[bounds[i]:bounds[i + 1]] for i in members[a] if bounds[i + 1] > bounds[i]]
        if not segs:
            out.append(empty)
        elif len(segs) == 1 and bool(np.all(segs[0][1:] > segs[0][:-1])):
            out.append(segs[0])  # one code, already distinct and sorted
        elif present is not None:
            for seg in segs:
                present[seg] = True
            u = np.flatnonzero(present)
            present[u] = False
            out.append(u)
        else:
            out.append(np.unique(np.concatenate(segs)))
    return out


def expand_rollup(pairs: pd.DataFrame, ids: list[str], codebook: Codebook, *, rollup: bool = True) -> dict[str, np.ndarray]:
    """Distinct (excerpt, code) incidences, each parent also carrying its descendants'
    excerpts, counted once (see :func:`code_excerpt_sets`). Returns arrays excerpt, code
    (index into ids) and, when ``pairs`` has those columns, document and speaker
    (functions of the excerpt). Sorted by code, then excerpt."""
    sets = code_excerpt_sets(pairs, ids, codebook, rollup=rollup)
    out = {
        "excerpt": np.concatenate(sets) if sets else np.zeros(0, dtype=np.int64),
        "code": np.repeat(np.arange(len(ids), dtype=np.int64), [len(x) for x in sets]),
    }
    ex = pairs["excerpt_id"].to_numpy(dtype=np.int64)
    top_ex = int(ex.max()) + 1 if len(ex) else 1
    for name, col in (("document", "document_id"), ("speaker", "speaker_id")):
        if col not in pairs.columns:
            continue
        vals = pairs[col].to_numpy(dtype=np.float64) if pairs[col].dtype == object else pairs[col].to_numpy()
        vals = np.where(np.isnan(vals), -1, vals).astype(np.int64) if vals.dtype.kind == "f" else vals.astype(np.int64)
        of = np.full(top_ex, -1, dtype=np.int64)
        of[ex] = vals  # the same value for every row of one excerpt
        out[name] = of[out["excerpt"]]
    return out


def _sort_values(values: list[str]) -> list[str]:
    def key(v: str):
        if v == NOT_SET:
            return (2, 0.0, "")
        try:
            return (0, float(v), "")
        except (TypeError, ValueError):
            return (1, 0.0, str(v).lower())

    return sorted(values, key=key)


def attribute_level(facts: Facts, by: str) -> str:
    """``document`` or ``speaker``: where attribute ``by`` lives (see module docstring)."""
    if by == SPEAKER_ROLE:
        return "speaker"
    if by in set(facts.doc_attrs["key"]):
        return "document"
    if by in set(facts.speaker_attrs["key"]) or by == "role":
        return "speaker"
    if by == "format":
        return "document"
    known = sorted(set(facts.doc_attrs["key"]) | set(facts.speaker_attrs["key"]) | {"role", "format", SPEAKER_ROLE})
    raise NotFoundError(f"no attribute {by!r}", hint="choose one of: " + ", ".join(known))


def document_values(facts: Facts, by: str) -> pd.Series:
    """document_id -> value of document attribute ``by`` (``(not set)`` when missing)."""
    a = facts.doc_attrs[facts.doc_attrs["key"] == by]
    if a.empty and by == "format":
        vals = facts.documents.set_index("document_id")["format"].astype(str)
    else:
        vals = a.set_index("document_id")["value"].astype(str)
    docs = facts.documents["document_id"]
    return pd.Series(docs.map(vals).fillna(NOT_SET).to_numpy(), index=docs.to_numpy(), dtype=object)


def speaker_values(facts: Facts, by: str) -> pd.Series:
    """speaker_id -> value of speaker attribute ``by`` (or the role)."""
    sp = facts.speakers
    if by == SPEAKER_ROLE or (by == "role" and by not in set(facts.speaker_attrs["key"])):
        vals = sp.set_index("speaker_id")["role"].astype(str)
    else:
        a = facts.speaker_attrs[facts.speaker_attrs["key"] == by]
        vals = sp["speaker_id"].map(a.set_index("speaker_id")["value"].astype(str))
        vals.index = sp["speaker_id"].to_numpy()
    return pd.Series(vals.fillna(NOT_SET).to_numpy(), index=sp["speaker_id"].to_numpy(), dtype=object)


def is_participant(facts: Facts) -> pd.Series:
    """speaker_id -> True when the speaker is a participant (not interviewer/facilitator)."""
    sp = facts.speakers
    return pd.Series((~sp["role"].isin(NON_PARTICIPANT_ROLES)).to_numpy(), index=sp["speaker_id"].to_numpy())


def person_ids(facts: Facts) -> pd.Series:
    """speaker_id -> a person number. Speakers are stored per document; a participant who speaks
    in two documents under the same name (Grace Mwale in her interview and in a focus group) is
    one person, as the Documents page lists her (walk 17: Themes counted her twice). A label that
    names a role or a placeholder (``core.text.GENERIC_LABELS``, or any label with a digit: "Speaker 1",
    "P3") is a different person in each document, unless it is a de-identified speaker's pseudonym
    (one person across the project). A survey's respondent is one person: their
    answers are one document, each "spoken" by its question, and every question of it is that
    respondent (walk 39: a respondent coded in two questions counted as two participants).

    >>> import pandas as pd
    >>> sp = pd.DataFrame({"speaker_id": [1, 2, 3, 4, 5, 6], "document_id": [1, 2, 1, 2, 7, 7],
    ...                    "label": ["Grace  Mwale", "grace mwale", "Speaker 1", "Speaker 1", "Q1?", "Q2?"]})
    >>> docs = pd.DataFrame({"document_id": [1, 2, 7], "format": ["txt", "txt", "survey"]})
    >>> person_ids(Facts(pairs=None, documents=docs, doc_attrs=None, codebook=None, speakers=sp)).tolist()
    [0, 0, 1, 2, 3, 3]
    """
    sp = facts.speakers
    d = facts.documents
    surveys = set() if d is None or "format" not in d else set(d.loc[d["format"] == SURVEY_FORMAT, "document_id"])
    named = (sp["pseudonym"].fillna("").astype(str).str.strip() != "").tolist() if "pseudonym" in sp else [False] * len(sp)
    keys = [("survey respondent", doc) if doc in surveys else person_key(doc, label, pseudonym=pseud)
            for doc, label, pseud in zip(sp["document_id"].tolist(), sp["label"].fillna("").astype(str).tolist(), named)]
    codes = pd.Series(pd.factorize(pd.Series(keys, dtype=object))[0], index=sp["speaker_id"].to_numpy())
    return codes.astype(np.int64)


def lookup(values: pd.Series, keys: np.ndarray, default: int = -1) -> np.ndarray:
    """Vectorised ``values[key]`` for integer keys (values: small ints), ``default`` when absent."""
    if len(values) == 0:
        return np.full(len(keys), default, dtype=np.int64)
    top = int(max(values.index.max(), keys.max() if len(keys) else 0)) + 1
    arr = np.full(top + 1, default, dtype=np.int64)
    arr[values.index.to_numpy(dtype=np.int64)] = values.to_numpy(dtype=np.int64)
    safe = np.where(keys < 0, top, keys)
    return arr[safe]


@dataclass
class Grouping:
    """How excerpts, documents and speakers fall into the groups of one attribute."""

    by: str | None
    level: str  # none | document | speaker
    labels: list[str]
    doc_group: pd.Series  # document_id -> group index (document level / none)
    speaker_group: pd.Series  # speaker_id -> group index (speaker level)

    def of_incidences(self, document: np.ndarray, speaker: np.ndarray) -> np.ndarray:
        if self.level == "speaker":
            return lookup(self.speaker_group, speaker, default=self._not_set())
        return lookup(self.doc_group, document, default=0)

    def _not_set(self) -> int:
        return self.labels.index(NOT_SET) if NOT_SET in self.labels else -1


def grouping(facts: Facts, by: str | None) -> Grouping:
    """The groups of attribute ``by`` (one group ``All`` when ``by`` is None)."""
    docs = facts.documents["document_id"].to_numpy()
    if by is None:
        return Grouping(None, "none", ["All"], pd.Series(np.zeros(len(docs), dtype=np.int64), index=docs),
                        pd.Series(dtype=np.int64))
    level = attribute_level(facts, by)
    if level == "document":
        vals = document_values(facts, by)
        labels = _sort_values(sorted(set(vals)))
        idx = {v: i for i, v in enumerate(labels)}
        return Grouping(by, level, labels, vals.map(idx).astype(np.int64), pd.Series(dtype=np.int64))
    vals = speaker_values(facts, by)
    labels = _sort_values(sorted(set(vals) | {NOT_SET}))
    idx = {v: i for i, v in enumerate(labels)}
    return Grouping(by, level, labels, pd.Series(dtype=np.int64), vals.map(idx).astype(np.int64))
