"""Python API for researchers: a project as pandas DataFrames.

>>> import qualcode
>>> p = qualcode.open_project("my-study")  # doctest: +SKIP
>>> p.frequencies(by="year").head()  # doctest: +SKIP
>>> p.compare(by="year", groups=["2018", "2021"])  # doctest: +SKIP
>>> p.excerpts(code_id="trust", where={"district": "North"})  # doctest: +SKIP

Every method returns a DataFrame; ``include="pending"`` counts pending suggestions too,
``coder="alice"`` only one coder's codings. Speakers appear under their pseudonyms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from qualcode import services
from qualcode.services import analysis
from qualcode.services import export as exports
from qualcode.services import search as search_svc


class Project:
    """An open project. ``qualcode.open_project(path_or_url)`` returns one."""

    def __init__(self, ctx: services.ProjectContext) -> None:
        self.ctx = ctx

    @classmethod
    def open(cls, path_or_url: str | Path, *, coder: str | None = None) -> "Project":
        return cls(services.open_context(path_or_url, coder=coder))

    def __enter__(self) -> "Project":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        self.ctx.close()

    def __repr__(self) -> str:
        return f"<qualcode.Project {self.ctx.label}>"

    def status(self) -> dict:
        """Counts of documents, excerpts, codes, codings, suggestions, coders."""
        return services.project_status(self.ctx)

    def documents(self) -> pd.DataFrame:
        """One row per document: document_id, name, format, words, participant_words,
        excerpts, then one column per document attribute."""
        facts = analysis.load_facts(self.ctx)
        d = facts.documents.drop(columns=["content_hash"]).rename(columns={"word_count": "words"})
        counts = facts.excerpt_counts.groupby("document_id")["excerpts"].sum()  # loaded: units=True
        d["excerpts"] = d["document_id"].map(counts).fillna(0).astype(int)
        if len(facts.doc_attrs):
            wide = facts.doc_attrs.pivot_table(index="document_id", columns="key", values="value", aggfunc="first")
            for key in wide.columns:
                d[str(key) if str(key) not in d.columns else f"attr.{key}"] = d["document_id"].map(wide[key])
        return d.reset_index(drop=True)

    def excerpts(self, *, code_id: str | None = None, where: Mapping[str, Any] | None = None,
                 include: str = "accepted", coder: str | None = None, context: bool = True) -> pd.DataFrame:
        """Coded excerpts, one row per excerpt and code, with speaker, role, attributes,
        coders, memo and the turns around it (the quotes behind every number)."""
        return analysis.retrieve(self.ctx, code_id=code_id, where=where, include=include, coder=coder,
                                 context=context)

    def search(self, query: str, *, whole_words: bool = True, match_case: bool = False,
               match_accents: bool = False, coder: str | None = None) -> pd.DataFrame:
        """Every excerpt holding a hit of ``query`` (words or phrases separated by commas, ``*``
        for any ending): document, speaker, role, whether its speaker is coded, the text, the
        hits' ``(start, end)`` in it and the codes ``coder`` gave it (default: yours). Accents
        count only with ``match_accents`` ("creche" finds "crèche" by default)."""
        return search_svc.search(self.ctx, query, whole_words=whole_words, match_case=match_case,
                                 match_accents=match_accents, coder=coder).rows

    def codings(self, *, include: str = "accepted", coder: str | None = None) -> pd.DataFrame:
        """Every coding: excerpt_id, code_id, coder, origin, start, end, score, document_id.
        With ``include="pending"`` pending suggestions are listed too (origin ``pending``)."""
        corpus = analysis.load_corpus(self.ctx, include=include, coder=coder)
        d = corpus.details.copy()
        d["document_id"] = d["excerpt_id"].map(corpus.excerpts.set_index("excerpt_id")["document_id"])
        return d.reset_index(drop=True)

    def frequencies(self, by: str | None = None, *, include: str = "accepted", coder: str | None = None,
                    source: str | None = None) -> pd.DataFrame:
        """Per code (and value of ``by``): excerpts, documents, participants, % of
        documents, per 1,000 participant words (parents roll up their children).
        ``source``: ``"transcripts"`` or ``"surveys"`` counts only those documents."""
        return analysis.frequencies(self.ctx, by=by, include=include, coder=coder, source=source)

    def crosstab(self, by: str, *, measure: str = "documents", include: str = "accepted",
                 coder: str | None = None) -> pd.DataFrame:
        """Codes x values of ``by``: counts and percentages."""
        return analysis.crosstab(self.ctx, by=by, measure=measure, include=include, coder=coder)

    def compare(self, by: str, *, groups: list[str] | None = None, include: str = "accepted",
                coder: str | None = None, source: str | None = None) -> pd.DataFrame:
        """Prevalence per code across the values of ``by`` with chi-square/Fisher tests,
        Cramér's V and Benjamini-Hochberg adjusted p-values. ``source``: as in
        :meth:`frequencies`."""
        return analysis.compare(self.ctx, by=by, groups=groups, include=include, coder=coder, source=source)

    def cooccurrence(self, *, level: str = "excerpt", include: str = "accepted",
                     coder: str | None = None) -> pd.DataFrame:
        """Pairs of codes: counts and Jaccard, within excerpts or documents."""
        return analysis.cooccurrence(self.ctx, level=level, include=include, coder=coder)

    def matrix(self, *, values: str = "binary", include: str = "accepted", coder: str | None = None) -> pd.DataFrame:
        """The code-by-document (case) matrix of 0/1 or counts."""
        return analysis.matrix(self.ctx, values=values, include=include, coder=coder)

    def survey(self, name: str) -> pd.DataFrame:
        """A survey's answers, one row per answer: excerpt_id, document_id, respondent,
        question, answer, this coder's codes, status, then the respondent's attributes."""
        from qualcode.services import survey

        rows = survey.survey_grid(self.ctx, name).rows
        return rows.drop(columns=["start", "codable", "pending"]).reset_index(drop=True)

    def export_qdpx(self, out: str | Path) -> dict:
        """Write the project as a REFI-QDA .qdpx."""
        return exports.export_qdpx(self.ctx, out)
