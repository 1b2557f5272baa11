"""Themes across years and groups: what the UI, the CLI and the Python API call.

Which codings count (``include``/``coder``), the same for every function:

- ``include="accepted"`` (default): every coding in the project (a coding exists only
  once a coder accepted a suggestion or coded by hand; imported and consensus codings
  count too), except on an excerpt a disagreement review settled: there the consensus's
  agreed codes alone count (``storage.analysis_queries.settled_excerpts``);
- ``include="pending"``: also pending suggestions, as if they were codings;
- ``coder="alice"``: only that coder's codings.

Every number can be traced to its quotes: :func:`retrieve` takes the same filters
(``code_id``, ``where={attribute: value}``, ``include``, ``coder``).

>>> freq = frequencies(ctx, by="year")  # doctest: +SKIP
>>> quotes = retrieve(ctx, code_id="trust", where={"year": "2021"})  # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from qualcode.analysis import charts
from qualcode.analysis import compare as compare_mod
from qualcode.analysis import cooccurrence as cooc_mod
from qualcode.analysis import frequencies as freq_mod
from qualcode.analysis import retrieve as retrieve_mod
from qualcode.analysis.facts import (NOT_SET, SOURCES, SPEAKER_ROLE, Facts, attribute_level,  # noqa: F401 (NOT_SET: for the UI)
                                     only_documents, source_documents)
from qualcode.analysis.retrieve import Corpus, code_filter
from qualcode.core import is_coded
from qualcode.errors import NotFoundError, QualcodeError
from qualcode.services.project import ProjectContext
from qualcode.storage import analysis_queries as q
from qualcode.storage import codes as code_store
from qualcode.storage import meta

INCLUDE = ("accepted", "pending")


def _check_include(include: str) -> bool:
    if include not in INCLUDE:
        raise QualcodeError(f"include must be one of {', '.join(INCLUDE)}, not {include!r}",
                            hint="use include='accepted' (default) or include='pending'")
    return include == "pending"


def _coder_id(s, coder: str | None) -> int | None:
    if coder is None:
        return None
    cid = q.coder_id_by_name(s, coder)
    if cid is None:
        raise NotFoundError(f"no coder {coder!r}", hint="see the coders with: qualcode status")
    return cid


def load_facts(ctx: ProjectContext, *, include: str = "accepted", coder: str | None = None,
               by: str | None = None, units: bool = True, source: str | None = None) -> Facts:
    """Load the compact frames every analysis works on (one read-only transaction).

    ``units=False`` loads only which excerpt carries which code (``pairs`` without
    document_id/speaker_id, no excerpt counts): enough for excerpt-level co-occurrence,
    and it skips the scan of every excerpt's document and speaker. ``source``:
    ``"transcripts"`` or ``"surveys"`` counts only those documents (a survey respondent is one
    document, so a project holding both would otherwise count them together).
    """
    if source is not None:
        facts = load_facts(ctx, include=include, coder=coder, by=by, units=True)
        return only_documents(facts, source_documents(facts.documents, source))
    pending = _check_include(include)
    with ctx.session(readonly=True) as s:
        emap = q.excerpt_map(s) if units else None
        facts = Facts(
            codebook=code_store.load_codebook(s),
            pairs=q.coded_pairs(s, include_pending=pending, coder_id=_coder_id(s, coder), excerpts=emap,
                                units=units),
            documents=q.documents_frame(s),
            doc_attrs=q.document_attributes_frame(s),
            speakers=q.speakers_frame(s),
            speaker_attrs=q.speaker_attributes_frame(s),
            excerpt_counts=q.excerpt_counts(s, emap) if units else None,
        )
        roles = meta.coded_roles(s)
        facts.coded_speakers = np.array(sorted(
            int(i) for i, r in zip(facts.speakers["speaker_id"], facts.speakers["role"]) if is_coded(r, roles)),
            dtype=np.int64)
        if by is not None and attribute_level(facts, by) == "speaker":
            words = q.speaker_words(s)  # the coded speech only, as participant_words
            facts.speaker_words = words[words["speaker_id"].isin(facts.coded_speakers)].reset_index(drop=True)
    return facts


def load_corpus(ctx: ProjectContext, *, include: str = "accepted", coder: str | None = None,
                code_ids: "set[str] | None" = None, document_id: int | None = None,
                source: str | None = None) -> Corpus:
    """Load what :func:`retrieve` needs (codings with coders, excerpts, turns, texts);
    ``document_id`` / ``source``: only that document's / that kind of source's codings."""
    pending = _check_include(include)
    with ctx.session(readonly=True) as s:
        docs = None if document_id is None else [document_id]
        if source is not None:
            kept = source_documents(q.documents_frame(s), source)
            docs = sorted(kept if docs is None else kept & set(docs))
        details = q.coding_details(s, include_pending=pending, coder_id=_coder_id(s, coder),
                                   code_ids=code_ids, document_ids=docs)
        excerpts = q.excerpts_frame(s, details["excerpt_id"].unique().tolist())
        doc_ids = sorted(set(excerpts["document_id"].tolist()))
        return Corpus(
            codebook=code_store.load_codebook(s), details=details, excerpts=excerpts,
            turns=q.turns_frame(s, doc_ids), texts=q.document_texts(s, doc_ids),
            documents=q.documents_frame(s), doc_attrs=q.document_attributes_frame(s),
            speakers=q.speakers_frame(s), speaker_attrs=q.speaker_attributes_frame(s),
            memos=q.memos_frame(s),
        )


def frequencies(ctx: ProjectContext, *, by: str | None = None, include: str = "accepted",
                coder: str | None = None, rollup: bool = True, source: str | None = None) -> pd.DataFrame:
    """Per code (and per value of ``by``): excerpts, documents, participants, % of
    documents, rate per 1,000 participant words. See :mod:`qualcode.analysis.frequencies`.

    >>> frequencies(ctx, by="year", include="pending")  # doctest: +SKIP
    """
    return freq_mod.frequencies(load_facts(ctx, include=include, coder=coder, by=by, source=source), by=by,
                                rollup=rollup)


def crosstab(ctx: ProjectContext, *, by: str, measure: str = "documents", include: str = "accepted",
             coder: str | None = None, rollup: bool = True, source: str | None = None) -> pd.DataFrame:
    """Codes x values of ``by``: counts and percentages (``measure``: documents, excerpts,
    participants)."""
    return freq_mod.crosstab(load_facts(ctx, include=include, coder=coder, by=by, source=source), by=by,
                             measure=measure, rollup=rollup)


SMALL_GROUP = 5  # fewer units than this in a group: flagged by compare (and named on the Themes page)


def compare(ctx: ProjectContext, *, by: str, groups: "list[str] | None" = None, include: str = "accepted",
            coder: str | None = None, small_group: int = SMALL_GROUP, rollup: bool = True,
            source: str | None = None) -> pd.DataFrame:
    """Prevalence per code across the values of ``by`` with chi-square / Fisher tests,
    Cramér's V and Benjamini-Hochberg adjusted p-values; small groups flagged.

    Counting decided codes (``include="accepted"``), a document nobody (or ``coder``) has started
    is left out of the comparison, not counted as one without every code: tested, such documents
    made a difference of their own (walk 48: a cohort none of whose 22 respondents had been coded
    yet, "0 of 18 (0%) against 12 of 22 (55%), p < 0.001"). ``attrs["not_started"]`` says how many
    were left out.

    >>> compare(ctx, by="year", groups=["2018", "2021"])  # doctest: +SKIP
    """
    facts = every_doc = load_facts(ctx, include=include, coder=coder, by=by, source=source)
    left_out = 0
    if include == "accepted":
        with ctx.session(readonly=True) as s:
            started = q.started_documents(s, _coder_id(s, coder))
        every = {int(d) for d in facts.documents["document_id"]}
        left_out = len(every - started)
        if left_out:
            facts = only_documents(facts, every & started)
    try:
        out = compare_mod.compare(facts, by=by, groups=groups, small_group=small_group, rollup=rollup)
    except NotFoundError as exc:
        try:  # a value with documents, none of them started (else: a value the attribute never has)
            compare_mod.compare(every_doc, by=by, groups=groups, small_group=small_group, rollup=rollup)
        except NotFoundError:
            raise exc from None
        raise NotFoundError(f"{exc.message}: no document of it has been coded{f' by {coder}' if coder else ''} yet",
                            hint="code some of its documents first; a comparison leaves out documents nobody "
                                 "has started") from exc
    out.attrs["not_started"] = left_out
    return out


def readable_comparison(table: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """:func:`compare`'s table for readers: plain column names and one sentence per code
    saying what the test found (see :func:`qualcode.analysis.compare.readable`)."""
    return compare_mod.readable(table, by=by)


def cooccurrence(ctx: ProjectContext, *, level: str = "excerpt", include: str = "accepted",
                 coder: str | None = None, rollup: bool = False, only_pairs: bool = False,
                 source: str | None = None) -> pd.DataFrame:
    """Pairs of codes with counts and Jaccard, at excerpt or document level.

    ``only_pairs=True``: the pairs that occur together at least once, most frequent first
    (what a reader wants to see first); otherwise every pair in codebook order.
    """
    facts = load_facts(ctx, include=include, coder=coder, units=level != "excerpt", source=source)
    df = cooc_mod.cooccurrence(facts, level=level, rollup=rollup)
    if only_pairs:
        df = (df[df["count"] > 0].sort_values(["count", "jaccard"], ascending=False, kind="stable")
              .reset_index(drop=True))
    return df


def cooccurrence_matrix(ctx: ProjectContext, *, level: str = "excerpt", value: str = "count",
                        include: str = "accepted", coder: str | None = None, rollup: bool = False) -> pd.DataFrame:
    """The square code x code co-occurrence matrix (counts or Jaccard)."""
    facts = load_facts(ctx, include=include, coder=coder, units=level != "excerpt")
    return cooc_mod.cooccurrence_matrix(facts, level=level, value=value, rollup=rollup)


def matrix(ctx: ProjectContext, *, values: str = "binary", include: str = "accepted", coder: str | None = None,
           rollup: bool = True, attributes: bool = True, source: str | None = None) -> pd.DataFrame:
    """The code-by-document (case) matrix of 0/1 (``values="binary"``) or counts."""
    return cooc_mod.case_matrix(load_facts(ctx, include=include, coder=coder, source=source), values=values,
                                rollup=rollup, attributes=attributes)


def retrieve(ctx: ProjectContext, *, code_id: str | None = None, where: Mapping[str, Any] | None = None,
             document_id: int | None = None, include: str = "accepted", coder: str | None = None,
             rollup: bool = True, context: bool = True, source: str | None = None,
             **attributes: Any) -> pd.DataFrame:
    """The coded excerpts behind a number, one row per (excerpt, code), with speaker
    (pseudonym), role, attributes, coders, origin, memo and the turns around it.

    Attribute filters go in ``where`` or as keywords: ``retrieve(ctx, code_id="trust",
    year="2021")`` is ``retrieve(ctx, code_id="trust", where={"year": "2021"})``.
    """
    filters = {**(where or {}), **attributes}
    with ctx.session(readonly=True) as s:
        cb = code_store.load_codebook(s)
    if code_id is not None and cb.get(code_id) is None:
        raise NotFoundError(f"no code {code_id!r}", hint="see the codes with: qualcode codebook show")
    codes = code_filter(cb, code_id, rollup=rollup)
    corpus = load_corpus(ctx, include=include, coder=coder, code_ids=codes, document_id=document_id, source=source)
    return retrieve_mod.retrieve(corpus, code_id=code_id, where=filters, document_id=document_id,
                                 rollup=rollup, context=context)


def quotes(ctx: ProjectContext, *, code_id: str, where: Mapping[str, Any] | None = None,
           include: str = "accepted", coder: str | None = None, rollup: bool = True,
           also: str | None = None, level: str = "excerpt", context: bool = False,
           source: str | None = None, document_id: int | None = None) -> pd.DataFrame:
    """The quotes behind one number of a table or chart, one row per excerpt (``document_id``:
    of one document, a case matrix cell).

    What is counted decides what is shown, so the rows are exactly the units counted:

    - a frequencies / crosstab / compare cell (``code_id``, ``where={by: value}``): its
      ``excerpts`` rows, from its ``documents`` distinct documents;
    - a co-occurrence pair (``also``, ``rollup=False`` as the co-occurrence counts):
      ``level="excerpt"``: the excerpts carrying both codes (``count`` rows);
      ``level="document"``: the excerpts of either code in the documents carrying both
      (``count`` distinct documents).

    Columns: retrieve's, with ``code`` the names of every counted code on the excerpt.

    >>> quotes(ctx, code_id="trust", where={"year": "2021"})  # doctest: +SKIP
    """
    if level not in ("excerpt", "document"):
        raise QualcodeError(f"level must be 'excerpt' or 'document', not {level!r}")
    df = retrieve(ctx, code_id=code_id, where=where, include=include, coder=coder, rollup=rollup, context=context,
                  source=source, document_id=document_id)
    if also is not None:
        other = retrieve(ctx, code_id=also, where=where, include=include, coder=coder, rollup=rollup,
                         context=context, source=source, document_id=document_id)
        key = "excerpt_id" if level == "excerpt" else "document_id"
        both = set(df[key]) & set(other[key])
        df = pd.concat([df, other], ignore_index=True) if len(other) else df
        df = df[df[key].isin(both)]
    out = one_row_per_excerpt(df)
    out["also_coded"] = _also_coded(ctx, out, include=include, coder=coder)
    return out


def _also_coded(ctx: ProjectContext, rows: pd.DataFrame, *, include: str, coder: str | None) -> list[str]:
    """Per quote, the other codes on its excerpt (same coders and inclusion as the number), names
    joined by "; " (walk 28: the Codes column named only the clicked code, and the coder could
    not see that R15 also carries Dignity and stigma)."""
    if rows.empty:
        return []
    pending = _check_include(include)
    with ctx.session(readonly=True) as s:
        details = q.coding_details(s, include_pending=pending, coder_id=_coder_id(s, coder),
                                   document_ids=sorted(set(rows["document_id"].astype(int).tolist())))
        names = {c.id: c.name for c in code_store.load_codebook(s).codes}
    details = details[details["excerpt_id"].isin(rows["excerpt_id"])]
    on = details["code_id"].map(lambda c: names.get(c, c)).groupby(details["excerpt_id"]).agg(set)
    return ["; ".join(sorted(on.get(ex, set()) - set(str(counted).split("; "))))
            for ex, counted in zip(rows["excerpt_id"], rows["code"])]


def one_row_per_excerpt(df: pd.DataFrame) -> pd.DataFrame:
    """Fold retrieve's (excerpt, code) rows into one row per excerpt (codes joined by "; ")."""
    if df.empty:
        return df.reset_index(drop=True)

    def joined(values: pd.Series) -> str:
        seen = [str(v) for v in dict.fromkeys(values) if isinstance(v, str) and v]
        return "; ".join(seen)

    agg = {c: "first" for c in df.columns if c != "excerpt_id"}
    for c in ("code_id", "code", "coders", "origin", "memo"):
        if c in agg:
            agg[c] = joined
    out = df.groupby("excerpt_id", sort=False).agg(agg).reset_index()
    return out.sort_values(["document_id", "excerpt_order"]).reset_index(drop=True)[list(df.columns)]


# ---- charts ---------------------------------------------------------------------------

def chart_bars(ctx: ProjectContext, *, measure: str = "documents", by: str | None = None,
               include: str = "accepted", coder: str | None = None, source: str | None = None):
    """Bars of a frequency measure per code (grouped by ``by``), for the codes in use: a code
    with no excerpt in any group is left out (a codebook's 20 unused codes drew 20 empty rows)."""
    freq = frequencies(ctx, by=by, include=include, coder=coder, source=source)
    if len(freq):
        used = freq.groupby("code_id")["excerpts"].transform("sum") > 0
        freq = freq[used]
    return charts.bars(freq, measure=measure, by=by)


def chart_heatmap(ctx: ProjectContext, *, level: str = "excerpt", value: str = "count",
                  include: str = "accepted", coder: str | None = None, source: str | None = None):
    """Heatmap of the co-occurrence matrix."""
    facts = load_facts(ctx, include=include, coder=coder, units=level != "excerpt", source=source)
    m = cooc_mod.cooccurrence_matrix(facts, level=level, value=value)
    names = {c.id: c.shown_name for c in facts.codebook.codes}
    # The diagonal (each code with itself) is each code's own count, not a pair: left out.
    return charts.heatmap(m, title=f"Co-occurrence ({level}s)", value_title=value, labels=names, diagonal=False)


def chart_trend(ctx: ProjectContext, *, by: str = "year", measure: str = "pct_documents",
                codes: "list[str] | None" = None, include: str = "accepted", coder: str | None = None):
    """Trend lines of a measure across years (or any ordered attribute)."""
    return charts.trend(frequencies(ctx, by=by, include=include, coder=coder), by=by, measure=measure, codes=codes)


def chart_bytes(chart, *, fmt: str = "png") -> bytes:
    """PNG or SVG bytes of a chart (for download buttons and reports)."""
    return charts.render(chart, fmt=fmt)


def sources(ctx: ProjectContext) -> dict[str, int]:
    """How many documents of each kind of source the project holds (``transcripts``,
    ``surveys``: one per respondent)."""
    with ctx.session(readonly=True) as s:
        docs = q.documents_frame(s)
    return {src: len(source_documents(docs, src)) for src in SOURCES}


def coders(ctx: ProjectContext) -> list[str]:
    """The coders whose codings the counts can hold (those with at least one coding),
    alphabetically. With more than one, counts without ``coder=`` pool them all: an
    excerpt counts for a code when any of them applied it."""
    with ctx.session(readonly=True) as s:
        return q.coders_with_codings(s)


def attribute_names(ctx: ProjectContext) -> dict[str, list[str]]:
    """The attributes one can group by: {"document": [...], "speaker": [...]}. The speakers'
    role is "role", or "speaker role" where an attribute is itself called "role" (both then
    offered: "role" is the attribute)."""
    with ctx.session(readonly=True) as s:
        d = sorted(set(q.document_attributes_frame(s)["key"]))
        sp = sorted(set(q.speaker_attributes_frame(s)["key"]))
    return {"document": d, "speaker": [SPEAKER_ROLE if "role" in d or "role" in sp else "role", *sp]}
