"""Open-ended survey responses: import a spreadsheet, read it back as a grid.

A survey is stored with the model transcripts use (see :mod:`qualcode.ingest.survey`): one
document per respondent (attributes = the respondent's columns), one turn and one excerpt
per answer, spoken by a speaker named after the question. Frequencies, comparisons,
agreement, suggestions and exports therefore work by question (``by="question"``), by
respondent and by any attribute (``by="district"``) without anything survey-specific.

The whole survey is one transaction: it lands whole or not at all.

>>> table = preview_survey(data, "fall-2021.csv")  # doctest: +SKIP
>>> parsed = parse_survey(data, "fall-2021.csv", questions=table.guess_questions())  # doctest: +SKIP
>>> save_survey(ctx, parsed).respondents  # doctest: +SKIP
240
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from qualcode.config import get_setting
from qualcode.errors import IngestError, NotFoundError, Problem
from qualcode.ingest.survey import SURVEY_FORMAT, ParsedSurvey, SurveyTable, build_survey, read_table
from qualcode.services.ingest import AlreadyImported, _codable_roles
from qualcode.services.project import ProjectContext
from qualcode.core import commands as cmd
from qualcode.services import commands as executor
from qualcode.services.commands import Outcome, handles
from qualcode.storage import audit, meta, surveys

SURVEYS_SETTING = "surveys"  # name -> {questions, attributes, file, id_column}


@dataclass
class SurveyImport:
    """What an import stored."""

    survey: str
    respondents: int
    answers: int
    questions: list[str]
    document_ids: list[int] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    replaced: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"survey": self.survey, "respondents": self.respondents, "answers": self.answers,
                "questions": self.questions, "replaced": self.replaced,
                "problems": [str(p) for p in self.problems]}


def _check_size(data: bytes, filename: str, max_file_mb: float | None, project_dir: Any = None) -> None:
    limit = float(max_file_mb if max_file_mb is not None else get_setting("max_file_mb", project_dir=project_dir))
    if len(data) > limit * 1024 * 1024:
        raise IngestError(f"the file is {len(data) / 1024 / 1024:.1f} MB, over the {limit:g} MB limit",
                          file=filename, hint="split the survey, or raise the file size limit (max_file_mb)")


def preview_survey(data: bytes, filename: str, *, sheet: str | None = None,
                   max_file_mb: float | None = None) -> SurveyTable:
    """Read a survey spreadsheet for the preview (columns, rows, guessed questions); saves nothing.

    >>> preview_survey(b"id,Q\\n1,Because the coaching helped us.\\n", "s.csv").guess_questions()
    ['Q']
    """
    _check_size(data, filename, max_file_mb)
    return read_table(data, filename, sheet=sheet)


def parse_survey(data: bytes, filename: str, *, questions: Sequence[str] | None = None,
                 id_column: str | None = None, attributes: Sequence[str] | None = None, name: str | None = None,
                 sheet: str | None = None, max_file_mb: float | None = None,
                 codable_roles: Sequence[str] | None = None) -> ParsedSurvey:
    """Parse a survey into one document per respondent; saves nothing.

    ``questions`` default to the columns that read like free text (:meth:`SurveyTable.guess_questions`).
    """
    table = preview_survey(data, filename, sheet=sheet, max_file_mb=max_file_mb)
    if questions is None:
        questions = table.guess_questions()
    kw: dict[str, Any] = {"codable_roles": codable_roles} if codable_roles is not None else {}
    return build_survey(table, questions=list(questions), id_column=id_column, attributes=attributes, name=name,
                        file_hash=hashlib.sha256(data).hexdigest(), **kw)


def save_survey(ctx: ProjectContext, parsed: ParsedSurvey, *, replace: bool = False) -> SurveyImport:
    """Store every respondent of a parsed survey in one transaction.

    A survey of the same name already in the project is refused (:class:`AlreadyImported`)
    unless ``replace``, which deletes the old respondents (their codings too) first.

    >>> save_survey(ctx, parse_survey(data, "fall.csv", questions=["Most useful"])).answers  # doctest: +SKIP
    """
    result = SurveyImport(survey=parsed.name, respondents=len(parsed.documents), answers=parsed.answers,
                          questions=list(parsed.questions), problems=list(parsed.problems))
    return executor.execute(ctx, cmd.ImportSurvey(name=parsed.name, replace=replace, parsed=parsed, result=result))


@handles(cmd.ImportSurvey)
class _ImportSurvey:
    """The whole survey in one command (its respondents are documents; one ``import`` event
    each is written with them, for the suggestion engine's corpus revision)."""

    @staticmethod
    def apply(s, ctx, cid, c: cmd.ImportSurvey) -> Outcome:
        parsed, result, replace = c.parsed, c.result, c.replace
        roles = set(_codable_roles(s))
        existing = surveys.survey_document_ids(s, parsed.name)
        if existing and not replace:
            raise AlreadyImported(f"a survey named {parsed.name!r} is already in the project "
                                  f"({len(existing)} respondents)", file=parsed.file, document_id=existing[0],
                                  hint="give this survey another name, or replace the old one")
        if existing:
            for did in existing:
                audit.record(s, "delete", "document", did, coder_id=cid)
            result.replaced = surveys.delete_survey(s, parsed.name)
            s.flush()
        for doc in parsed.documents:
            role_of = {sp.label: sp.role.value for sp in doc.speakers}
            for e in doc.excerpts:
                e.codable = role_of.get(doc.turns[e.turn_order].speaker, "participant") in roles
        clash = surveys.existing_hashes(s, [d.content_hash for d in parsed.documents])
        if clash:
            doc = next(d for d in parsed.documents if d.content_hash in clash)
            raise AlreadyImported(f"respondent {doc.attributes['respondent'].value!r} is already in the project "
                                  f"as document {clash[doc.content_hash]}", file=parsed.file,
                                  document_id=clash[doc.content_hash],
                                  hint="give this survey another name, or replace the old one")
        result.document_ids = surveys.add_documents(s, parsed.documents, coder_id=cid, audit_after=[
            {"name": d.name, "file": d.source_filename, "format": SURVEY_FORMAT, "turns": len(d.turns),
             "excerpts": len(d.excerpts), "survey": parsed.name} for d in parsed.documents])
        known = dict(meta.get_setting(s, SURVEYS_SETTING, {}) or {})
        known[parsed.name] = {"questions": list(parsed.questions), "attributes": list(parsed.attributes),
                              "file": Path(parsed.file).name, "id_column": parsed.id_column,
                              "file_hash": parsed.file_hash}
        meta.set_setting(s, SURVEYS_SETTING, known)
        return Outcome(result, parsed.name, None,
                       {"respondents": result.respondents, "answers": result.answers,
                        "questions": result.questions, "replaced": result.replaced})


def ingest_survey(ctx: ProjectContext, path: str | Path, *, questions: Sequence[str] | None = None,
                  id_column: str | None = None, attributes: Sequence[str] | None = None, name: str | None = None,
                  sheet: str | None = None, replace: bool = False, max_file_mb: float | None = None) -> SurveyImport:
    """Parse and store a survey file in one go (the CLI's ``ingest-survey``).

    >>> ingest_survey(ctx, "fall-2021.csv", questions=["most_useful", "change"])  # doctest: +SKIP
    """
    p = Path(path)
    if not p.is_file():
        raise IngestError("file not found", file=str(p), hint="check the path")
    with ctx.session(readonly=True) as s:
        roles = _codable_roles(s)
    parsed = parse_survey(p.read_bytes(), str(p), questions=questions, id_column=id_column, attributes=attributes,
                          name=name, sheet=sheet, max_file_mb=max_file_mb, codable_roles=roles)
    return save_survey(ctx, parsed, replace=replace)


def list_surveys(ctx: ProjectContext) -> list[dict[str, Any]]:
    """Every survey in the project: name, respondents, questions, attributes, file."""
    with ctx.session(readonly=True) as s:
        counts = surveys.survey_names(s)
        known = dict(meta.get_setting(s, SURVEYS_SETTING, {}) or {})
    return [{"name": n, "respondents": c, **{k: known.get(n, {}).get(k) for k in ("questions", "attributes", "file")}}
            for n, c in counts.items()]


@dataclass
class SurveyGrid:
    """One survey for the grid: a frame with one row per answer and the survey's shape.

    ``rows`` columns: excerpt_id, document_id, respondent, question, answer, start, codable,
    codes (this coder's code ids, a list), pending (undecided suggestions), status
    (coded | reviewed | pending | open), then one column per attribute.
    """

    name: str
    questions: list[str]
    attributes: list[str]
    rows: pd.DataFrame

    def question(self, q: str) -> pd.DataFrame:
        return self.rows[self.rows["question"] == q]


def survey_grid(ctx: ProjectContext, name: str) -> SurveyGrid:
    """The survey's answers as this coder sees them, in a few queries (fast for 5,000 answers)."""
    with ctx.session(readonly=True) as s:
        data = surveys.grid_rows(s, name, coder_id=ctx.coder_id(s))
        known = dict(meta.get_setting(s, SURVEYS_SETTING, {}) or {}).get(name, {})
    if not data["answers"]:
        raise NotFoundError(f"no survey named {name!r} in this project", hint="import a survey on the Import page")
    rows = pd.DataFrame.from_records(data["answers"], columns=["excerpt_id", "document_id", "start", "answer",
                                                               "question", "codable"])
    attrs = pd.DataFrame.from_records(data["attributes"], columns=["document_id", "key", "value"])
    wide = attrs.pivot(index="document_id", columns="key", values="value")  # one value per (document, key)
    doc = rows["document_id"]
    rows["respondent"] = doc.map(wide["respondent"]) if "respondent" in wide else doc
    names = [a for a in (known.get("attributes") or sorted(set(wide.columns) - {"survey", "respondent"}))
             if a in wide.columns]
    for a in names:
        rows[a] = doc.map(wide[a]).fillna("")
    codes: dict[int, list[str]] = {}
    for ex, code in data["codings"]:
        codes.setdefault(int(ex), []).append(code)
    empty: list[str] = []
    rows["codes"] = [sorted(set(codes[e])) if e in codes else empty for e in rows["excerpt_id"].tolist()]
    rows["pending"] = rows["excerpt_id"].map(dict(data["pending"])).fillna(0).astype(int)
    coded = rows["excerpt_id"].isin(list(codes)).to_numpy()
    reviewed = rows["excerpt_id"].isin(data["reviewed"]).to_numpy()
    pending = (rows["pending"] > 0).to_numpy()
    rows["status"] = np.where(coded, "coded", np.where(reviewed, "reviewed", np.where(pending, "pending", "open")))
    questions = [q for q in (known.get("questions") or []) if q in set(rows["question"])]
    questions += [q for q in dict.fromkeys(rows["question"]) if q not in questions]
    cols = ["excerpt_id", "document_id", "respondent", "question", "answer", "start", "codable", "codes",
            "pending", "status", *names]
    return SurveyGrid(name=name, questions=questions, attributes=names, rows=rows[cols].reset_index(drop=True))


def agreement_by(ctx: ProjectContext, name: str, *, by: str = "question", coders: Sequence[str] | None = None,
                 code: str | None = None) -> pd.DataFrame:
    """Inter-coder agreement on one survey per question (``by="question"``) or per value of a
    respondent attribute (``by="district"``): one row per group with units (answers both
    coders reviewed), percent agreement, Cohen's kappa (two coders) and Krippendorff's alpha,
    pooled over the codes applied (``services.team.agreement`` on the group's answers).

    >>> agreement_by(ctx, "fall", by="question", coders=["alice", "bob"])  # doctest: +SKIP
    """
    from qualcode.services import team

    rows = survey_grid(ctx, name).rows
    if by not in rows.columns or by in ("excerpt_id", "document_id", "answer", "start", "codable", "codes",
                                        "pending", "status"):
        raise NotFoundError(f"survey {name!r} has no attribute {by!r}",
                            hint="group by question, respondent or one of the respondent attributes")
    out = []
    for value, part in rows.groupby(rows[by].astype(str), sort=True):
        res = team.agreement(ctx, coders=coders, code=code, excerpt_ids=part["excerpt_id"].tolist(), pairs=False)
        o = res["overall"]
        out.append({by: value, "answers": len(part), "units": res["units"], "percent_agreement": o.get("percent_agreement"),
                    "cohen_kappa": o.get("cohen_kappa"), "krippendorff_alpha": o.get("krippendorff_alpha")})
    return pd.DataFrame(out)


def has_transcripts(ctx: ProjectContext) -> bool:
    """Whether the project holds documents other than survey respondents."""
    with ctx.session(readonly=True) as s:
        return surveys.has_other_documents(s)


def grid_revision(ctx: ProjectContext) -> int:
    """Changes whenever anything is decided or imported: a cached :class:`SurveyGrid` older
    than this is stale (one primary-key look-up)."""
    with ctx.session(readonly=True) as s:
        return surveys.revision(s)


def answer_place(ctx: ProjectContext, *, excerpt_id: int | None = None,
                 document_id: int | None = None) -> tuple[str, str, int] | None:
    """(survey, question, excerpt id) of an answer (an excerpt of a survey respondent; with
    ``document_id``, the respondent's first answer), or None for a transcript's: where the Code
    page opens it (the Survey grid)."""
    with ctx.session(readonly=True) as s:
        return surveys.answer_of(s, excerpt_id=excerpt_id, document_id=document_id)


def filter_grid(rows: pd.DataFrame, *, where: dict[str, Sequence[str]] | None = None, text: str = "",
                status: Sequence[str] = (), code: str | None = None, sort: str | None = None,
                descending: bool = False) -> pd.DataFrame:
    """Filter and sort grid rows: attribute values, words in the answer, status, a code.

    >>> df = pd.DataFrame({"respondent": ["2", "1"], "district": ["A", "B"], "answer": ["Trust grew", "Time"],
    ...                    "status": ["open", "coded"], "codes": [[], ["trust"]]})
    >>> filter_grid(df, where={"district": ["A", "B"]}, sort="respondent")["respondent"].tolist()
    ['1', '2']
    >>> filter_grid(df, text="trust")["respondent"].tolist(), filter_grid(df, code="trust")["respondent"].tolist()
    (['2'], ['1'])
    >>> ids = pd.DataFrame({"respondent": ["S10", "S2", "S1"]})
    >>> filter_grid(ids, sort="respondent")["respondent"].tolist(), filter_grid(ids, sort="respondent", descending=True)["respondent"].tolist()
    (['S1', 'S2', 'S10'], ['S10', 'S2', 'S1'])
    """
    out = rows
    for key, values in (where or {}).items():
        if values:
            out = out[out[key].astype(str).isin([str(v) for v in values])]
    if text.strip():
        out = out[out["answer"].str.contains(text.strip(), case=False, regex=False)]
    if status:
        out = out[out["status"].isin(list(status))]
    if code:
        out = out[out["codes"].map(lambda cs: code in cs)]
    if sort and sort in out.columns:
        key = out[sort]
        numeric = pd.to_numeric(key, errors="coerce")
        if numeric.notna().all():
            at = numeric.argsort(kind="stable").to_numpy()
        else:  # S2 before S10, as people number respondents (walk 44: S1, S10, S11, S12, S2)
            natural = [_natural(v) for v in key.astype(str)]
            at = np.array(sorted(range(len(natural)), key=natural.__getitem__), dtype=np.int64)
        out = out.iloc[at[::-1 if descending else 1]]
    return out


def _natural(text: str) -> tuple:
    """A sort key that reads the numbers in a text as numbers, case aside.

    >>> sorted(["S10", "s2", "S1"], key=_natural)
    ['S1', 's2', 'S10']
    """
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.split(r"(\d+)", text.casefold()) if part)


__all__ = ["SURVEYS_SETTING", "agreement_by", "answer_place", "SurveyGrid", "SurveyImport", "filter_grid", "grid_revision", "has_transcripts",
           "ingest_survey", "list_surveys",
           "parse_survey", "preview_survey", "save_survey", "survey_grid"]
