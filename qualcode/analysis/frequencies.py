"""Code frequencies, overall or per value of an attribute, and crosstabs.

Counts, per code (parents rolled up: an excerpt coded with two children of a parent
counts once for the parent):

- ``excerpts``: distinct coded excerpts;
- ``documents``: documents (interviews, focus groups) with the code;
- ``participants``: distinct participants (not interviewer/facilitator) whose excerpts carry
  the code; one who speaks in two documents under the same name is one (``facts.person_ids``);
- ``pct_documents``: ``100 * documents / documents_total`` of the group;
- ``per_1000_words``: ``1000 * excerpts / words``, words = participant (coded) speech in the
  group's documents (for a speaker-level attribute: the speech of the group's coded speakers),
  excerpts = those in that speech (``Facts.coded_speakers``): a coding kept on a speaker made
  interviewer after coding is in ``excerpts`` but not in the rate, whose base has no words of
  theirs. Both sides on one base, whichever coder is counted.

Everything is vectorised over integer arrays, so half a million codings take well under a
second.

>>> frequencies(facts)  # doctest: +SKIP
   code_id   code  ... excerpts documents participants pct_documents per_1000_words
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from qualcode.analysis.facts import (
    NOT_SET,
    Facts,
    Grouping,
    code_order,
    code_table,
    expand_rollup,
    grouping,
    is_participant,
    lookup,
    person_ids,
    used_codes,
)

MEASURES = ("excerpts", "documents", "participants")


def _unique_count(group_code: np.ndarray, other: np.ndarray, size: int) -> np.ndarray:
    """How many distinct ``other`` values each ``group_code`` key has (bincount of size)."""
    if len(group_code) == 0:
        return np.zeros(size, dtype=np.int64)
    span = int(other.max()) + 2
    key = group_code * span + (other + 1)
    if size * span <= 50_000_000:  # dense presence table: linear time, no sort
        present = np.zeros(size * span, dtype=bool)
        present[key] = True
        return present.reshape(size, span).sum(axis=1).astype(np.int64)
    keys = np.unique(key)
    return np.bincount(keys // span, minlength=size)[:size]


def group_totals(facts: Facts, g: Grouping) -> pd.DataFrame:
    """Per group: documents_total, participants_total, excerpts_total (codable excerpts: an
    interviewer's lines are never coded, so they are no part of the denominator), words (the
    coded speech: ``participant_words``; at speaker level ``Facts.speaker_words``, which
    ``services.analysis.load_facts`` limits to the coded speakers)."""
    n = len(g.labels)
    part = is_participant(facts)
    sp = facts.speakers
    person = person_ids(facts).reindex(sp["speaker_id"]).to_numpy(dtype=np.int64)
    if g.level == "speaker":
        sg = lookup(g.speaker_group, sp["speaker_id"].to_numpy(dtype=np.int64), default=-1)
        docs = _unique_count(sg[sg >= 0], sp["document_id"].to_numpy(dtype=np.int64)[sg >= 0], n)
        pm = (sg >= 0) & part.reindex(sp["speaker_id"]).to_numpy(dtype=bool)
        parts = _unique_count(sg[pm], person[pm], n)
        if facts.speaker_words is not None and len(facts.speaker_words):
            w = facts.speaker_words
            wg = lookup(g.speaker_group, w["speaker_id"].to_numpy(dtype=np.int64), default=-1)
            words = np.bincount(wg[wg >= 0], weights=w["words"].to_numpy(dtype=float)[wg >= 0], minlength=n)
        else:
            words = np.full(n, np.nan)
    else:
        d = facts.documents
        dg = lookup(g.doc_group, d["document_id"].to_numpy(dtype=np.int64), default=0)
        docs = np.bincount(dg, minlength=n)
        words = np.bincount(dg, weights=d["participant_words"].to_numpy(dtype=float), minlength=n)
        pmask = part.reindex(sp["speaker_id"]).to_numpy(dtype=bool)
        spg = lookup(g.doc_group, sp["document_id"].to_numpy(dtype=np.int64), default=0)
        parts = _unique_count(spg[pmask], person[pmask], n)
    excerpts = np.zeros(n)
    if facts.excerpt_counts is not None and len(facts.excerpt_counts):
        ec = facts.excerpt_counts
        spk = ec["speaker_id"].to_numpy(dtype=float)
        spk = np.where(np.isnan(spk), -1, spk).astype(np.int64)
        eg = g.of_incidences(ec["document_id"].to_numpy(dtype=np.int64), spk)
        col = "codable" if "codable" in ec.columns else "excerpts"  # a share of excerpts is of codable ones
        excerpts = np.bincount(eg[eg >= 0], weights=ec[col].to_numpy(dtype=float)[eg >= 0], minlength=n)
    return pd.DataFrame({
        "group": g.labels, "documents_total": docs[:n].astype(int), "participants_total": parts[:n].astype(int),
        "excerpts_total": excerpts[:n].astype(int), "words": words[:n],
    })


def frequencies(facts: Facts, *, by: str | None = None, rollup: bool = True) -> pd.DataFrame:
    """One row per code (and per value of ``by``) with the counts of the module docstring.

    Columns: [by,] code_id, code, parent_id, depth, excerpts, documents, participants,
    documents_total, participants_total, excerpts_total, words, pct_documents,
    per_1000_words. Codes never used still get a row of zeros. ``attrs["outside_rate"]``: the
    coded excerpts counted in ``excerpts`` but not in the rate (on speakers not coded now).

    >>> frequencies(facts, by="year").query("code_id == 'trust'")  # doctest: +SKIP
    """
    used = used_codes(facts.pairs)
    ids = code_order(facts.codebook, used)
    nc = max(len(ids), 1)
    g = grouping(facts, by)
    ng = len(g.labels)
    inc = expand_rollup(facts.pairs, ids, facts.codebook, rollup=rollup)
    grp = g.of_incidences(inc["document"], inc["speaker"])
    ok = grp >= 0
    key = grp[ok] * nc + inc["code"][ok]
    size = ng * nc
    excerpts = np.bincount(key, minlength=size)[:size] if len(key) else np.zeros(size, dtype=np.int64)
    documents = _unique_count(key, inc["document"][ok], size)
    part = is_participant(facts)
    spk = inc["speaker"][ok]
    pmask = lookup(part.astype(np.int64), spk, default=0).astype(bool)
    person = lookup(person_ids(facts), spk[pmask], default=-1)  # one person across documents
    participants = _unique_count(key[pmask], person, size)

    # the rate's numerator: excerpts in coded speech only, on the base of its denominator
    in_rate = np.ones(len(key), dtype=bool)
    if facts.coded_speakers is not None:
        in_rate = (inc["speaker"][ok] < 0) | np.isin(inc["speaker"][ok], facts.coded_speakers)
    rated = np.bincount(key[in_rate], minlength=size)[:size] if in_rate.any() else np.zeros(size, dtype=np.int64)
    codes = code_table(facts.codebook, ids)
    totals = group_totals(facts, g)
    out = pd.DataFrame({
        "group": np.repeat(g.labels, len(ids)),
        "code_id": np.tile(codes["code_id"].to_numpy(), ng),
        "excerpts": excerpts.astype(int), "documents": documents.astype(int),
        "participants": participants.astype(int), "rated": rated.astype(int),
    })
    out = out.merge(codes, on="code_id", how="left").merge(totals, on="group", how="left")
    # Groups that hold nothing at all (e.g. "(not set)" when every speaker has a value).
    keep_groups = set(totals.loc[(totals["documents_total"] > 0), "group"])
    keep_groups |= set(out.loc[out["excerpts"] > 0, "group"])
    out = out[out["group"].isin(keep_groups)].reset_index(drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["pct_documents"] = np.where(out["documents_total"] > 0,
                                        100.0 * out["documents"] / out["documents_total"], np.nan)
        out["per_1000_words"] = np.where(out["words"] > 0, 1000.0 * out["rated"] / out["words"], np.nan)
    cols = ["code_id", "code", "parent_id", "depth", "excerpts", "documents", "participants",
            "documents_total", "participants_total", "excerpts_total", "words", "pct_documents", "per_1000_words"]
    # how many coded excerpts count in Excerpts but not in the rate (the Themes page says so)
    outside = len(np.unique(inc["excerpt"][ok][~in_rate]))
    out = out[cols] if by is None else out.rename(columns={"group": by})[[by, *cols]]
    out.attrs["outside_rate"] = outside
    return out


def crosstab(facts: Facts, *, by: str, measure: str = "documents", rollup: bool = True) -> pd.DataFrame:
    """Codes by the values of ``by``: a count and a percentage column per value, and totals.

    The percentage is the share of the group's units having the code: documents
    (``measure="documents"``), excerpts (all excerpts of the group) or participants.
    Columns: code_id, code, then ``<value> n``, ``<value> %`` for each value, then
    ``Total n``, ``Total %``.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}")
    long = frequencies(facts, by=by, rollup=rollup)
    overall = frequencies(facts, rollup=rollup)
    denom = {"documents": "documents_total", "excerpts": "excerpts_total", "participants": "participants_total"}[measure]
    out = overall[["code_id", "code"]].copy()

    def add(label: str, part: pd.DataFrame) -> None:
        part = part.set_index("code_id")
        n = part[measure].reindex(out["code_id"]).to_numpy()
        d = part[denom].reindex(out["code_id"]).to_numpy(dtype=float)
        out[f"{label} n"] = n
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{label} %"] = np.where(d > 0, 100.0 * n / d, np.nan)

    for v in dict.fromkeys(long[by]):
        add(v, long[long[by] == v])
    add("Total", overall)
    return out.reset_index(drop=True)


__all__ = ["frequencies", "crosstab", "group_totals", "MEASURES", "NOT_SET"]
