"""Survey spreadsheets (.csv, .tsv, .xlsx): one row per respondent, some columns open questions.

The data model reuses what transcripts already have, so frequencies, comparisons, agreement
and exports work on surveys unchanged:

- each **respondent** is one document (format ``survey``), a case whose document attributes
  are the respondent's columns (district, role, year, ...) plus ``survey`` (the survey's
  name) and ``respondent`` (the id);
- each **answer** is one turn spoken by a speaker named after its **question** (the column
  header as written, role participant, speaker attribute ``question``), and one excerpt;
- a small header line (``Survey: ... · Respondent: ...``) opens each document: it is kept,
  never coded, and makes every respondent's text (and content hash) unique.

So ``by="district"`` groups respondents (documents), ``by="question"`` groups answers
(speakers), ``by="respondent"`` one respondent; the code-by-case matrix is per respondent.

>>> table = read_table(b"id,district,What was most useful?\\n7,North,The coaching.\\n", "s.csv")
>>> survey = build_survey(table, questions=["What was most useful?"], name="fall")
>>> d = survey.documents[0]
>>> d.name, [(e.text, e.codable) for e in d.excerpts], d.attributes["district"].value
('fall · 7', [('The coaching.', True)], 'North')
"""

from __future__ import annotations

import datetime as _dt
import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from qualcode.core import Attribute, Document, Role
from qualcode.errors import IngestError, Problem
from qualcode.ingest.attributes import parse_attrs
from qualcode.ingest.build import DEFAULT_CODABLE_ROLES, build_document
from qualcode.ingest.encoding import csv_dialect, csv_rows, decode_bytes, empty_file
from qualcode.ingest.model import RawTranscript, RawTurn

SURVEY_FORMAT = "survey"
ID_NAMES = ("respondent", "respondent_id", "respondentid", "response_id", "responseid", "id", "participant_id",
            "record_id", "case", "case_id")
RESERVED = ("survey", "respondent", "question")
MIN_QUESTION_WORDS = 4.0  # a varied column whose filled cells have this many words (median or mean) is free text


@dataclass
class SurveyTable:
    """A survey spreadsheet as read: the header as written and the rows (line, cells)."""

    file: str
    columns: list[str]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    sheets: list[str] = field(default_factory=list)  # a workbook's sheets, in order (CSV: none)
    sheet: str | None = None  # the one read

    def column_values(self, column: str) -> list[str]:
        i = self.columns.index(column)
        return [cells[i] if i < len(cells) else "" for _, cells in self.rows]

    def guess_questions(self) -> list[str]:
        """Columns that read like free text: the likely open questions (see :func:`looks_like_question`)."""
        return [c for c in self.columns if looks_like_question(c, self.column_values(c))]

    def guess_id_column(self) -> str | None:
        """A column named like a respondent id whose values are all filled and distinct."""
        for c in self.columns:
            if _norm(c) in ID_NAMES:
                vals = self.column_values(c)
                if all(v.strip() for v in vals) and len(set(vals)) == len(vals):
                    return c
        return None


_NUMBERISH = re.compile(r"[\d\s.,:;/\\+\-%$€£()]+")  # years, grades, scores, dates, times, amounts
_NON_ANSWERS = {"", "na", "n_a", "none", "nothing", "no", "nope", "idk", "no_comment", "no_comments", "nil"}
_PROMPT = re.compile(r"(what|why|how|describe|explain|tell|please|share|list|in what|in your|is there|are there|"
                     r"anything|any other|if you|comments?|feedback|suggestions?)\b", re.IGNORECASE)


def _words(value: str) -> int:
    return len(value.split())


def looks_like_question(header: str, values: Sequence[str]) -> bool:
    """Whether a column reads like answers to an open question rather than who answered.

    Free text is varied (most filled cells differ, non-answers like "N/A" or "Nothing." aside)
    and wordy: a median or mean of 4+ words, or mostly short sentences ("More time.", "Our
    coach helped.") whatever the header says. A header asking something ("...this year?",
    "Please describe...", "Comments") makes varied text answers enough, short ones included.
    Short answers that repeat (15 rows, 6 different answers) still count when 3+ different
    answers mostly end like sentences, or, under such a header, run to 3+ words.
    Short repeated values (year, school, role, grade), numbers and dates, and a column named
    like a respondent id are attributes.

    >>> looks_like_question("Role", ["team lead", "team member", "team member", "coach"] * 5)
    False
    >>> looks_like_question("What helped?", ["More time.", "Trust.", "Our coach, honestly.", "Weekly meetings."])
    True
    >>> looks_like_question("Q4", ["More time.", "Trust.", "Our coach.", "The bus.", "Nothing."] * 3)
    True
    """
    if _norm(header) in ID_NAMES:
        return False
    vals = [" ".join(v.split()) for v in values if v and v.strip()]
    if not vals:
        return False
    if sum(bool(_NUMBERISH.fullmatch(v)) for v in vals) >= 0.8 * len(vals):
        return False
    answers = [v.casefold() for v in vals if _norm(v) not in _NON_ANSWERS]
    if len(answers) < 2 and len(vals) > 2:
        return False
    distinct = len(set(answers)) / max(1, len(answers))
    asks = header.strip().rstrip("*: ").endswith("?") or bool(_PROMPT.match(header.strip()))
    if distinct <= 0.5:
        # Short answers repeat in real surveys ("More time.", "Trust."): still a question when
        # at least 3 different answers mostly read as sentences (end in . ! ?), or, under a
        # header that asks something, as phrases of 3+ words. 1-2 word values without sentence
        # punctuation and few distinct values (year, school, role, yes/no) stay attributes.
        if len(set(answers)) < 3:
            return False
        ended = sum(v[-1] in ".!?" for v in answers) / len(answers)
        kinds = set(answers)
        phrase = sum(_words(v) for v in kinds) / len(kinds)
        return ended >= 0.6 or (asks and (ended >= 0.5 or phrase >= 3))
    words = sorted(_words(v) for v in vals)
    mean = sum(words) / len(words)
    median = (words[(len(words) - 1) // 2] + words[len(words) // 2]) / 2
    if median >= MIN_QUESTION_WORDS or mean >= MIN_QUESTION_WORDS:
        return True
    # short sentences: several words, or a few ending like a sentence ("More time.")
    sentences = sum(_words(v) >= 4 or (_words(v) >= 2 and v[-1] in ".!?") for v in vals) / len(vals)
    if sentences >= 0.5 and mean >= 2:
        return True
    return asks and len(set(answers)) >= 3 and (mean >= 1.5 or sentences >= 0.25)


@dataclass
class ParsedSurvey:
    """A survey ready to store: one document per respondent; nothing saved yet."""

    name: str
    file: str
    questions: list[str]
    attributes: list[str]  # the attribute keys (normalised column names)
    id_column: str | None
    documents: list[Document]
    problems: list[Problem] = field(default_factory=list)
    file_hash: str = ""

    @property
    def answers(self) -> int:
        return sum(len(d.excerpts) for d in self.documents)

    def summary(self) -> dict[str, Any]:
        per_q = {q: 0 for q in self.questions}
        for d in self.documents:
            for t in d.turns:
                per_q[t.speaker] = per_q.get(t.speaker, 0) + 1
        return {"survey": self.name, "file": self.file, "respondents": len(self.documents),
                "answers": self.answers, "questions": per_q, "attributes": list(self.attributes),
                "id_column": self.id_column, "problems": [str(p) for p in self.problems]}


def _norm(name: Any) -> str:
    return re.sub(r"[^\w]+", "_", str(name or "").strip().lower().lstrip("\ufeff")).strip("_")


def _cell(value: Any) -> str:
    """A spreadsheet cell as text: whole floats without '.0', dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time() else value.isoformat(sep=" ")
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


_IMPORT_ID = re.compile(r'\s*\{\s*"ImportId"\s*:')


def _qualtrics_headers(it, table: SurveyTable):
    """Qualtrics exports two more header rows: each question's text, then ``{"ImportId": ...}``
    per column. Neither is a respondent: both are dropped, and the question texts name the
    columns (where they are filled and distinct). Returns the iterator of the rows after."""
    head = []
    for _ in range(2):
        try:
            head.append(next(it))
        except StopIteration:
            break
    if len(head) < 2:
        return iter(head)
    (n2, texts), (n3, ids) = head
    ids = [_cell(c) for c in ids]
    filled = [c for c in ids if c.strip()]
    if not filled or sum(bool(_IMPORT_ID.match(c)) for c in filled) < max(1, len(filled) * 0.8):
        return itertools.chain(head, it)
    texts = [" ".join(_cell(c).split())[:200] for c in texts][:len(table.columns)]
    texts += [""] * (len(table.columns) - len(texts))
    named = [t or c for t, c in zip(texts, table.columns)]
    if len({n.casefold() for n in named}) == len(named):
        table.columns = named
    table.problems.append(Problem(f"a Qualtrics export: rows {n2} and {n3} hold the question texts and import ids, "
                                  "not respondents (the question texts name the columns)",
                                  file=table.file, line=n2, severity="warning"))
    return it


_MONKEY_SUB = {"response", "open-ended response"}


def _monkey_headers(columns: list[str], it, file: str):
    """SurveyMonkey exports a second header row: "Response" / "Open-Ended Response" under
    each question, and each option's text under a multiple-choice question (whose other
    columns have no name in the first row). That row is not a respondent: it is dropped and
    the columns are named "question" or "question: option". Returns (columns, rows, note)."""
    try:
        second = next(it)
    except StopIteration:
        return columns, iter(()), None
    n2, cells = second
    sub = [" ".join(_cell(c).split()) for c in cells]
    if not any(c.casefold() in _MONKEY_SUB for c in sub):
        return columns, itertools.chain([second], it), None
    width = max(len(columns), len(sub))
    columns = columns + [""] * (width - len(columns))
    sub = sub + [""] * (width - len(sub))
    named, question = [], ""
    for name, under in zip(columns, sub):
        question = name or question
        if under.casefold() in _MONKEY_SUB or not under:
            named.append(name)
        else:
            named.append(f"{question}: {under}" if question else under)
    note = Problem(f"a SurveyMonkey export: row {n2} holds the answer types and options, not a respondent "
                   "(the options name their columns)", file=file, line=n2, severity="warning")
    return named, it, note


def _table(rows: Iterable[tuple[int, list[Any]]], file: str) -> SurveyTable:
    it = iter(rows)
    try:
        _n, header = next(it)
    except StopIteration:
        raise empty_file(file) from None
    columns = [_cell(c).strip().lstrip("\ufeff") for c in header]
    columns, it, note = _monkey_headers(columns, it, file)
    while columns and not columns[-1]:
        columns.pop()
    table = SurveyTable(file=file, columns=columns)
    if note is not None:
        table.problems.append(note)
    seen: dict[str, int] = {}
    for i, c in enumerate(columns):
        if not c:
            raise IngestError(f"column {i + 1} has no name in the header", file=file, line=1,
                              hint="give every column a name in the first row (or delete the empty column)")
        key = c.casefold()
        if key in seen:
            raise IngestError(f"two columns are named {c!r} (columns {seen[key] + 1} and {i + 1})", file=file,
                              line=1, hint="rename one of them in the first row so each column has its own name")
        seen[key] = i
    width = len(columns)
    it = _qualtrics_headers(it, table)
    for number, cells in it:
        cells = [_cell(c) for c in cells]
        extra = [c for c in cells[width:] if c.strip()]
        if extra:
            table.problems.append(Problem(f"{len(extra)} cell(s) beyond the last named column were ignored",
                                          file=file, line=number, severity="warning"))
        table.rows.append((number, (cells + [""] * width)[:width]))
    if not table.rows:
        raise IngestError("the sheet has a header but no respondents", file=file, line=2,
                          hint="check that you picked the right file (one row per respondent)")
    return table


def read_table(data: bytes, filename: str, *, sheet: str | None = None) -> SurveyTable:
    """Read a survey spreadsheet's header and rows (line numbers as a spreadsheet shows them)."""
    ext = Path(filename).suffix.lower()
    if not data.strip():
        raise empty_file(filename)
    if ext == ".xlsx":
        import openpyxl

        try:
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception:
            raise IngestError("not a readable Excel .xlsx file (it may be damaged or another format)",
                              file=filename, hint="open it in Excel and save it again as .xlsx, or as CSV") from None
        try:
            if sheet is not None and sheet not in wb.sheetnames:
                raise IngestError(f"no sheet named {sheet!r} (sheets: {', '.join(wb.sheetnames)})", file=filename,
                                  hint="choose one of the sheet names")
            ws = wb[sheet] if sheet else wb.worksheets[0]
            rows = [(i, list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1)
                    if any(c is not None and str(c).strip() for c in r)]
            sheets, read = list(wb.sheetnames), ws.title
        finally:
            wb.close()
        table = _table(rows, filename)
        table.sheets, table.sheet = sheets, read
        return table
    if ext not in (".csv", ".tsv", ".txt"):
        raise IngestError(f"a survey must be a spreadsheet, not {ext or 'a file without extension'}", file=filename,
                          hint="save the survey responses as .csv or .xlsx (one row per respondent)")
    text = decode_bytes(data, file=filename)
    first = text.split("\n", 1)[0]
    dialect = csv_dialect(first, default="\t" if ext == ".tsv" else ",")
    # a quote that opens an answer and is never closed is refused where it opens, not read as one
    # long answer swallowing the respondents after it
    rows = [(first, cells) for first, _last, cells in csv_rows(text, dialect, file=filename)]
    return _table(rows, filename)


def _answer(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def build_survey(
    table: SurveyTable,
    *,
    questions: Sequence[str],
    id_column: str | None = None,
    attributes: Sequence[str] | None = None,
    name: str | None = None,
    codable_roles: Iterable[str] = DEFAULT_CODABLE_ROLES,
    file_hash: str = "",
) -> ParsedSurvey:
    """One document per respondent (see the module docstring); nothing is saved.

    ``questions`` are the open-question columns; ``attributes`` the respondent columns to
    keep (default: every other column); ``id_column`` names respondents (default: a column
    called id/respondent..., else the row number). Raises :class:`IngestError` with the
    file, line and what to do when a choice does not fit the sheet.
    """
    file = table.file
    name = (name or Path(file).stem).strip()
    if not name:
        raise IngestError("the survey needs a name", file=file, hint="type a short name for this survey")
    if not questions:
        raise IngestError("no open question chosen", file=file, line=1,
                          hint="choose the column(s) holding the open answers")
    by_fold = {c.casefold(): c for c in table.columns}

    def column(c: str, what: str) -> str:
        found = by_fold.get(str(c).strip().casefold())
        if found is None:
            raise IngestError(f"no column named {c!r} for {what} (columns: {', '.join(table.columns)})", file=file,
                              line=1, hint="choose one of the column names in the first row")
        return found

    questions = [column(q, "a question") for q in dict.fromkeys(questions)]
    if id_column is None:
        id_column = table.guess_id_column()
    elif id_column:
        id_column = column(id_column, "the respondent id")
        if id_column in questions:
            raise IngestError(f"{id_column!r} is chosen both as a question and as the respondent id", file=file,
                              line=1, hint="choose a different id column, or none (rows are then numbered)")
    if attributes is None:
        attr_cols = [c for c in table.columns if c not in questions and c != id_column]
    else:
        attr_cols = [column(a, "an attribute") for a in attributes]
        clash = [a for a in attr_cols if a in questions]
        if clash:
            raise IngestError(f"{clash[0]!r} is chosen both as a question and as an attribute", file=file, line=1,
                              hint="a column is either an open question or a respondent attribute")
    keys = {c: _norm(c) or f"column_{table.columns.index(c) + 1}" for c in attr_cols}
    for c, k in keys.items():
        if k in RESERVED:
            keys[c] = f"{k}_column"
    problems = list(table.problems)
    qi = [table.columns.index(q) for q in questions]
    ii = table.columns.index(id_column) if id_column else None
    ai = [(keys[c], table.columns.index(c)) for c in attr_cols]
    docs: list[Document] = []
    seen_ids: dict[str, int] = {}
    empty_rows: list[int] = []
    roles = {q: Role.PARTICIPANT.value for q in questions}
    for n, (line, cells) in enumerate(table.rows, start=1):
        rid = cells[ii].strip() if ii is not None else f"R{n:04d}"
        if not rid:
            raise IngestError(f"row without a respondent id in column {id_column!r}", file=file, line=line,
                              hint="fill in the id, or choose no id column (rows are then numbered)")
        if rid in seen_ids:
            raise IngestError(f"respondent {rid!r} appears twice (lines {seen_ids[rid]} and {line})", file=file,
                              line=line, hint="choose an id column whose values are unique, or none "
                                              "(rows are then numbered)")
        seen_ids[rid] = line
        turns = [RawTurn(q, _answer(cells[i]), line=line) for q, i in zip(questions, qi) if _answer(cells[i])]
        if not turns:
            empty_rows.append(line)
            continue
        raw = RawTranscript(turns=turns, header=f"Survey: {name} · Respondent: {rid}", roles=dict(roles))
        doc = build_document(raw, name=f"{name} · {rid}", source_filename=Path(file).name, fmt=SURVEY_FORMAT,
                             unit="turn", codable_roles=codable_roles, roles=roles)
        values = {k: cells[i].strip() for k, i in ai if cells[i].strip()}
        attrs = parse_attrs(values) if values else {}
        attrs["survey"] = Attribute("survey", name)
        attrs["respondent"] = Attribute("respondent", rid)
        doc.attributes.update(attrs)
        for sp in doc.speakers:
            sp.attributes["question"] = Attribute("question", sp.label)
        docs.append(doc)
    if empty_rows:
        shown = ", ".join(map(str, empty_rows[:5])) + (" ..." if len(empty_rows) > 5 else "")
        left = set(empty_rows)
        answered = [c for c in table.columns if c not in questions and c != id_column
                    and any(cells[table.columns.index(c)].strip() for line, cells in table.rows if line in left)
                    and looks_like_question(c, table.column_values(c))]
        also = (f"; they answered {', '.join(map(repr, answered))}, which "
                + ("reads like an open question: choose it" if len(answered) == 1 else
                   "read like open questions: choose them") + " to keep them") if answered else ""
        problems.append(Problem(f"{len(empty_rows)} respondent(s) answered none of the chosen questions and were "
                                f"left out (lines {shown}){also}", file=file, line=empty_rows[0], severity="warning"))
    if not docs:
        raise IngestError("no answers in the chosen question columns", file=file, line=2,
                          hint="choose the columns that hold the open answers")
    return ParsedSurvey(name=name, file=file, questions=questions, attributes=list(keys.values()),
                        id_column=id_column, documents=docs, problems=problems, file_hash=file_hash)


__all__ = ["ParsedSurvey", "SURVEY_FORMAT", "SurveyTable", "build_survey", "looks_like_question", "read_table"]
